package transfer

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestSurveyCountsWhatAddQueues(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "photos")
	writeFile(t, dir, "a.jpg", make([]byte, 100))
	writeFile(t, filepath.Join(dir, "sub"), "b.jpg", make([]byte, 200))
	writeFile(t, dir, ".DS_Store", make([]byte, 10))
	writeFile(t, filepath.Join(dir, ".git"), "config", make([]byte, 20))
	s, err := Survey(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if s.Files != 4 || s.Bytes != 330 || s.HiddenFiles != 2 || s.HiddenBytes != 30 || s.Problems != 0 {
		t.Fatalf("survey %+v", s)
	}
	// A hidden folder given directly is what the user chose: not "hidden" inside.
	s, _ = Survey(context.Background(), []string{filepath.Join(dir, ".git")})
	if s.Files != 1 || s.HiddenFiles != 0 {
		t.Fatalf("survey of a hidden folder itself %+v", s)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "sub", "loop")); err != nil {
		t.Fatal(err)
	}
	if s, _ = Survey(context.Background(), []string{dir}); s.Problems != 1 {
		t.Fatalf("a symlink loop is not counted as a problem: %+v", s)
	}
	os.Remove(filepath.Join(dir, "sub", "loop"))

	srv := newServer(t, ossemu.Options{})
	m := newManager(t, srv, "", nil)
	m.AddSkippingHidden([]string{dir}, "up")
	waitIdle(t, m)
	var keys []string
	for _, ts := range m.Snapshot(nil) {
		keys = append(keys, ts.Key)
		if ts.State != Done {
			t.Errorf("%s: %s %v", ts.Key, ts.State, ts.Err)
		}
	}
	slices.Sort(keys)
	if want := []string{"up/photos/a.jpg", "up/photos/sub/b.jpg"}; !slices.Equal(keys, want) {
		t.Fatalf("queued %v, want %v", keys, want)
	}
}

func TestAskOnExists(t *testing.T) {
	srv := newServer(t, ossemu.Options{})
	dir := t.TempDir()
	var asked []string
	answers := map[string]OnExists{"keep.txt": Skip, "new.txt": Rename, "over.txt": Overwrite}
	m := newManager(t, srv, "", func(o *Options) { o.OnExists = Ask })
	m.SetOnExistsAsk(func(ctx context.Context, ts TaskSnapshot) (OnExists, error) {
		asked = append(asked, ts.Key)
		return answers[ts.Key], nil
	})
	// First upload: nothing exists, nobody is asked.
	for name := range answers {
		writeFile(t, dir, name, []byte("one"))
	}
	writeFile(t, dir, "fresh.txt", []byte("x"))
	m.Add([]string{filepath.Join(dir, "keep.txt"), filepath.Join(dir, "new.txt"), filepath.Join(dir, "over.txt")}, "")
	waitIdle(t, m)
	if len(asked) != 0 {
		t.Fatalf("asked about %v although nothing existed", asked)
	}
	m.ClearFinished()
	for name := range answers {
		writeFile(t, dir, name, []byte("two!"))
	}
	m.Add([]string{filepath.Join(dir, "keep.txt"), filepath.Join(dir, "new.txt"), filepath.Join(dir, "over.txt"), filepath.Join(dir, "fresh.txt")}, "")
	waitIdle(t, m)
	slices.Sort(asked)
	if want := []string{"keep.txt", "new.txt", "over.txt"}; !slices.Equal(asked, want) {
		t.Fatalf("asked about %v, want %v", asked, want)
	}
	got := map[string]string{}
	for _, ts := range m.Snapshot(nil) {
		got[filepath.Base(ts.Path)] = ts.State.String() + " " + ts.Key
	}
	want := map[string]string{"keep.txt": "skipped keep.txt", "new.txt": "done new (1).txt", "over.txt": "done over.txt", "fresh.txt": "done fresh.txt"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	// Nobody to ask: a clear failure, not a silent overwrite.
	m.SetOnExistsAsk(nil)
	m.ClearFinished()
	m.Add([]string{filepath.Join(dir, "over.txt")}, "")
	waitIdle(t, m)
	ts := m.Snapshot(nil)[0]
	if ts.State != Failed || ts.Err == nil || !strings.Contains(ts.Err.Message, "no one to ask") {
		t.Fatalf("without an asker: %s %v", ts.State, ts.Err)
	}
	// The question waits for the person, and a pause ends the wait.
	started := make(chan struct{})
	m.SetOnExistsAsk(func(ctx context.Context, ts TaskSnapshot) (OnExists, error) {
		close(started)
		<-ctx.Done()
		return 0, ctx.Err()
	})
	m.Retry(ts.ID)
	<-started
	if err := m.Pause(ts.ID); err != nil {
		t.Fatal(err)
	}
	waitState(t, m, ts.ID, func(s TaskSnapshot) bool { return s.State == Paused })
}

// A walk without hidden files that a crash interrupted leaves them out when
// it is walked again.
func TestResumedWalkStillSkipsHidden(t *testing.T) {
	src := filepath.Join(t.TempDir(), "docs")
	writeFile(t, src, "a.txt", []byte("a"))
	writeFile(t, src, ".secret", []byte("s"))
	s := newServer(t, ossemu.Options{})
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	m.mu.Lock()
	r := walkRecFor(m.tgt.destination(), src, "", cpDirFor(state, m.opts))
	m.mu.Unlock()
	r.SkipHidden = true
	m.queue.add(r) // as if Add had recorded it and the process died
	m.Close()
	us, _ := ListUnfinished(state)
	if len(us) != 1 || !us[0].Walk {
		t.Fatalf("%+v", us)
	}
	m2 := newManager(t, s, state, nil)
	m2.ResumeUnfinished(us)
	waitIdle(t, m2)
	var keys []string
	for _, ts := range m2.Snapshot(nil) {
		keys = append(keys, ts.Key)
	}
	if !slices.Equal(keys, []string{"docs/a.txt"}) {
		t.Fatalf("resumed walk queued %v", keys)
	}
}
