package transfer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// A dropped folder's files are listed first and sized after, and then the
// rows and the sums carry every size, and the files the sizes show to be
// small start at once.
func TestDroppedFolderGetsItsSizes(t *testing.T) {
	root := t.TempDir()
	var sum int64
	for i, name := range []string{"a", "b/c", "b/d/e", "f"} {
		body := strings.Repeat("x", 10*i+1)
		writeFile(t, root, name, []byte(body))
		sum += int64(len(body))
	}
	srv := newServer(t, ossemu.Options{})
	// One file sent in parts at a time (an unsized file counts as one), held
	// at the server: the other files wait queued, and only the sizer can read
	// their sizes.
	defer srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("PutObject", "InitiateMultipartUpload"), Delay: time.Hour})()
	m := newManager(t, srv, "", func(o *Options) { o.Jobs = 1 })
	m.Add([]string{root}, "")
	deadline := time.Now().Add(30 * time.Second)
	// Once sized, the small files start beside the one running.
	for tt := m.Totals(); tt.Files != 4 || tt.Sizing != 0 || tt.Active != 4; tt = m.Totals() {
		if time.Now().After(deadline) {
			t.Fatalf("sizes never read: %+v", tt)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if tt := m.Totals(); tt.Bytes != sum {
		t.Fatalf("totals %+v, want %d bytes", tt, sum)
	}
	for _, s := range m.Snapshot(nil) {
		st, err := os.Stat(s.Path)
		if err != nil || s.Size != st.Size() {
			t.Errorf("%s: size %d, file %v %v", s.Path, s.Size, st, err)
		}
	}
}

// A folder queued before its sizes were read and then closed is sized again
// when it resumes: its rows, sums and small-file starts are as after a drop.
func TestResumedQueueGetsItsSizes(t *testing.T) {
	root := t.TempDir()
	var sum int64
	for i := range 6 {
		body := strings.Repeat("y", 7*i+3)
		writeFile(t, root, filepath.Join("d", string(rune('a'+i))), []byte(body))
		sum += int64(len(body))
	}
	srv := newServer(t, ossemu.Options{})
	defer srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("PutObject", "InitiateMultipartUpload"), Delay: time.Hour})()
	state := t.TempDir()
	m := newManager(t, srv, state, func(o *Options) { o.Jobs = 1 })
	// The walk writes its records unsized, and the sizes it reads later stay
	// in memory: the queue on disk keeps what the walk wrote.
	m.Add([]string{root}, "")
	deadline := time.Now().Add(30 * time.Second)
	for tt := m.Totals(); tt.Files != 6 || tt.Sizing != 0; tt = m.Totals() {
		if time.Now().After(deadline) {
			t.Fatalf("never listed and sized: %+v", tt)
		}
		time.Sleep(5 * time.Millisecond)
	}
	m.Close()
	us, err := ListUnfinished(state)
	if err != nil || len(us) != 6 {
		t.Fatalf("listed %d: %v", len(us), err)
	}
	for _, u := range us {
		if u.Size != unsized {
			t.Fatalf("%s recorded with size %d, want it unsized", u.Path, u.Size)
		}
	}
	m2 := newManager(t, srv, state, func(o *Options) { o.Jobs = 1 })
	m2.ResumeUnfinished(us)
	deadline = time.Now().Add(30 * time.Second)
	for tt := m2.Totals(); tt.Sizing != 0 || tt.Active != 6; tt = m2.Totals() {
		if time.Now().After(deadline) {
			t.Fatalf("resumed files never sized: %+v", tt)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if tt := m2.Totals(); tt.Bytes != sum {
		t.Fatalf("totals %+v, want %d bytes", tt, sum)
	}
}

// sizeQueued sizes what it can, leaves a file it cannot read unsized for its
// upload to report, and the sums say so meanwhile.
func TestSizeQueuedLeavesUnreadableFileToItsUpload(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", []byte("aaa"))
	b := writeFile(t, dir, "b.txt", []byte("bbbbb"))
	gone := filepath.Join(dir, "gone.txt")
	srv := newServer(t, ossemu.Options{})
	m := newManager(t, srv, "", nil)
	var first TaskID
	m.mu.Lock()
	for _, p := range []string{a, b, gone} {
		key := "k/" + filepath.Base(p)
		// Listed and held, never started: only sizeQueued reads its size.
		task := m.newTaskQIDLocked(p, key, qidFor(m.tgt, key, p), m.tgt, nil, unsized, "")
		m.setStateLocked(task, Paused)
		if first == 0 {
			first = task.id
		}
	}
	m.mu.Unlock()
	if tt := m.Totals(); tt.Sizing != 3 || tt.Bytes != 0 {
		t.Fatalf("before sizing: %+v", tt)
	}
	m.sizeQueued(first)
	if tt := m.Totals(); tt.Sizing != 1 || tt.Bytes != 8 {
		t.Fatalf("after sizing: %+v", tt)
	}
	m.ResumeAll()
	waitIdle(t, m)
	for _, s := range m.Snapshot(nil) {
		switch s.Path {
		case gone:
			if s.State != Failed || s.Err == nil || !strings.Contains(s.Err.Message, "cannot read "+gone) {
				t.Errorf("%s: %v %v", s.Path, s.State, s.Err)
			}
		default:
			if s.State != Done {
				t.Errorf("%s: %v %v", s.Path, s.State, s.Err)
			}
		}
	}
	if tt := m.Totals(); tt.Sizing != 0 || tt.Bytes != 8 || tt.Done != 2 || tt.Failed != 1 {
		t.Fatalf("at the end: %+v", tt)
	}
}

// While a front end is still reading a large drop's rows in pieces, sizes
// wait for it (each would make an early row changed, reported before the
// rows still to come); once it has caught up they are read. A front end that
// stops reading delays them by viewWait only.
func TestSizesWaitForAFrontEndCatchingUp(t *testing.T) {
	dir := t.TempDir()
	srv := newServer(t, ossemu.Options{})
	m := newManager(t, srv, "", nil)
	admit := func(names ...string) TaskID {
		var first TaskID
		m.mu.Lock()
		defer m.mu.Unlock()
		for _, n := range names {
			p := writeFile(t, dir, n, []byte("12345"))
			task := m.newTaskQIDLocked(p, "k/"+n, qidFor(m.tgt, "k/"+n, p), m.tgt, nil, unsized, "")
			m.setStateLocked(task, Paused)
			if first == 0 {
				first = task.id
			}
		}
		return first
	}
	sizing := func() int { return m.Totals().Sizing }
	waitSized := func(within time.Duration) time.Duration {
		t0 := time.Now()
		for sizing() != 0 {
			if time.Since(t0) > within {
				t.Fatalf("sizes not read within %s: %+v", within, m.Totals())
			}
			time.Sleep(2 * time.Millisecond)
		}
		return time.Since(t0)
	}

	first := admit("a", "b", "c")
	var cur Cursor
	var c Changes
	m.Changes(&cur, &c, 1) // one row of three: the front end has more to read
	if !c.More {
		t.Fatal("a read cut at its limit says there is no more")
	}
	done := make(chan struct{})
	go func() { m.sizeQueued(first); close(done) }()
	time.Sleep(50 * time.Millisecond)
	if n := sizing(); n != 3 {
		t.Fatalf("%d of 3 files still unsized while the front end was behind", n)
	}
	m.Changes(&cur, &c, 0)
	waitSized(30 * time.Second)
	<-done

	// A front end that stopped reading: the sizes come after viewWait.
	first = admit("d", "e")
	m.Changes(&cur, &c, 1)
	done = make(chan struct{})
	go func() { m.sizeQueued(first); close(done) }()
	if took := waitSized(30 * time.Second); took < viewWait/2 {
		t.Fatalf("sized after %s, without waiting for the front end", took)
	}
	<-done
}
