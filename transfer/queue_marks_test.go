package transfer

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// openInJournal is what the Manager's journal counts as open, and whether it
// finished files other journals hold.
func openInJournal(m *Manager) (int, bool) {
	q := m.queue
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.nOpen + len(q.open) + len(q.openStr), q.foreign
}

// A journal counts its tasks' open records through their marks, with no set
// of identities: a folder walked, uploaded and a file of it added again (a
// file that gets a new record) all cancel out, so closing drops the journal
// unread; files left queued stay counted.
func TestQueueMarksCountOpenRecords(t *testing.T) {
	t.Parallel()
	s := newServer(t, ossemu.Options{})
	src := t.TempDir()
	var files []string
	for i := range 5 {
		files = append(files, writeFile(t, src, fmt.Sprintf("d/f%d.txt", i), []byte(fmt.Sprint("data ", i))))
	}
	one := writeFile(t, src, "single.txt", []byte("one file"))
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	m.Add([]string{filepath.Join(src, "d"), one}, "")
	waitIdle(t, m)
	if n, foreign := openInJournal(m); n != 0 || foreign {
		t.Fatalf("after every file finished: %d open, foreign %v; want 0, false", n, foreign)
	}
	m.Add([]string{files[0]}, "again/")
	waitIdle(t, m)
	if n, foreign := openInJournal(m); n != 0 || foreign {
		t.Fatalf("after a file added again finished: %d open, foreign %v; want 0, false", n, foreign)
	}
	if tt := m.Totals(); tt.Done != 7 {
		t.Fatalf("%d done, want 7", tt.Done)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if js, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl")); len(js) != 0 {
		t.Fatalf("journals %v left after every file finished", js)
	}

	// Files whose uploads never get an answer stay open, and closing keeps them.
	state2 := t.TempDir()
	m2, err := NewManager(Config{Target: Target{Endpoint: silentServer(t), Bucket: "bucket", Credentials: staticCreds{"id", "secret", ""}},
		Options: DefaultOptions(), StateDir: state2})
	if err != nil {
		t.Fatal(err)
	}
	m2.Add([]string{filepath.Join(src, "d"), one}, "")
	waitWalked(t, m2, 30*time.Second)
	if n, _ := openInJournal(m2); n != 6 {
		t.Errorf("%d open with 6 files queued", n)
	}
	m2.Close()
	us, err := ListUnfinished(state2)
	if err != nil || len(us) != 6 {
		t.Fatalf("%d unfinished after close (%v), want the 6 queued", len(us), err)
	}
}
