package transfer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestSecondOwnerRefused runs one upload in a Manager and tries the same file and
// destination from a second Manager on the same state directory (what the window and
// `ossdrop upload` do). flock belongs to the open file, so two Managers in one process
// exclude each other exactly as two processes do (cli tests cover the latter).
func TestSecondOwnerRefused(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	state := t.TempDir()
	data := randBytes(24*MinPartSize, 41)
	file := writeFile(t, t.TempDir(), "shared.bin", data)
	m1 := newManager(t, s, state, func(o *Options) { o.TaskNum = 2; o.LimitRate = 1 << 20 })
	id1, err := m1.AddFile(file, "shared.bin")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m1, id1, func(ts TaskSnapshot) bool { return ts.Done >= 2*MinPartSize })

	us, err := ListUnfinished(state)
	if err != nil || len(us) != 1 || !us[0].InUse || us[0].UploadID == "" {
		t.Fatalf("the running upload is not listed as in use: %+v %v", us, err)
	}
	cp := us[0].CheckpointFile
	journal, _ := os.ReadFile(cp)

	m2 := newManager(t, s, state, nil)
	id2, err := m2.AddFile(file, "shared.bin")
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m2)
	ts, _ := m2.Task(id2)
	want := file + " → " + s.Bucket() + "/shared.bin is being uploaded by another ossdrop process"
	if ts.State != Failed || ts.Err == nil || ts.Err.Error() != want || !errors.Is(ts.Err, ErrInUse) {
		t.Fatalf("second owner: %s %v, want failed with %q", ts.State, ts.Err, want)
	}
	// Resume and discard leave it alone, saying why.
	m2.ResumeUnfinished(us)
	snap := m2.Snapshot(nil)
	if len(snap) != 2 || snap[1].State != Skipped || !strings.Contains(snap[1].Note, "being uploaded by another ossdrop process") ||
		snap[1].NoteKinds != NotesOf(NoteInUseNotResumed) {
		t.Fatalf("resume of an in-use upload: %+v", snap)
	}
	err = m2.DiscardUnfinished(context.Background(), us)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "not discarded: "+want) {
		t.Fatalf("discard of an in-use upload: %v", err)
	}
	// A stale InUse=false copy is refused too: the lock is checked again.
	stale := us[0]
	stale.InUse = false
	if err := m2.DiscardUnfinished(context.Background(), []Unfinished{stale}); !errors.Is(err, ErrInUse) {
		t.Fatalf("discard with a stale listing: %v", err)
	}
	if now, _ := os.ReadFile(cp); len(now) < len(journal) || string(now[:len(journal)]) != string(journal) {
		t.Fatal("the second Manager touched the running upload's checkpoint")
	}
	if len(s.Uploads(s.Bucket())) != 1 {
		t.Fatal("the running upload was aborted on the server")
	}
	m2.Close()

	m1.SetLimitRate(0)
	waitIdle(t, m1)
	mustDone(t, m1, id1)
	mustObject(t, s, "shared.bin", data)
	m1.Close()
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("still listed: %+v", us)
	}
	if locks, _ := filepath.Glob(filepath.Join(state, "checkpoints", "*"+lockExt)); len(locks) != 0 {
		t.Fatalf("lock files left: %v", locks)
	}

	// Once the owner has let go, the same upload is free again.
	m3 := newManager(t, s, state, nil)
	id3, _ := m3.AddFile(file, "shared.bin")
	waitIdle(t, m3)
	mustDone(t, m3, id3)
}
