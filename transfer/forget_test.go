package transfer

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestForgetFinishedWalkAhead: a command-line Manager uploads a folder while
// keeping at most WalkAhead files queued, forgets each finished file once
// OnFinished has it, and still counts every file in Totals.
func TestForgetFinishedWalkAhead(t *testing.T) {
	t.Parallel()
	s := newServer(t, ossemu.Options{})
	src := t.TempDir()
	const n = 300
	for i := range n {
		writeFile(t, src, fmt.Sprintf("pics/d%d/f%03d.txt", i%3, i), []byte(fmt.Sprint(i)))
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	maxQueued := 0
	o := DefaultOptions()
	o.Jobs = 4
	const ahead = 50
	var m *Manager
	m, err := NewManager(Config{Target: targetOf(s), Options: o, StateDir: t.TempDir(), ForgetFinished: true, WalkAhead: ahead,
		OnFinished: func(ts TaskSnapshot) {
			mu.Lock()
			seen[ts.Key] = ts.State == Done
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // samples how many files wait queued, as the walk goes on
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			m.mu.Lock()
			maxQueued = max(maxQueued, m.queued)
			m.mu.Unlock()
		}
	}()
	m.Add([]string{filepath.Join(src, "pics")}, "up")
	waitIdle(t, m)
	close(stop)
	wg.Wait()
	tt := m.Totals()
	if tt.Files != n || tt.Done != n || tt.BytesDone != tt.Bytes {
		t.Fatalf("totals %+v, want %d files done", tt, n)
	}
	if l := m.Len(); l != 0 {
		t.Fatalf("%d finished tasks still in memory", l)
	}
	m.Close()
	if len(seen) != n {
		t.Fatalf("OnFinished saw %d files, want %d", len(seen), n)
	}
	// A walk waits once WalkAhead are queued, then adds at most one batch
	// (a quarter of WalkAhead, at least 16).
	if maxQueued > ahead+max(ahead/4, 16) {
		t.Fatalf("up to %d files queued at once; WalkAhead is %d", maxQueued, ahead)
	}
	if got := len(s.Keys(s.Bucket())); got != n {
		t.Fatalf("%d objects, want %d", got, n)
	}
}

// TestForgetFinishedKeepsOneKeyOneSource: two dropped folders of one name claim
// the same keys; their files stay in memory so the second is refused, not
// silently stored over the first.
func TestForgetFinishedKeepsOneKeyOneSource(t *testing.T) {
	t.Parallel()
	s := newServer(t, ossemu.Options{})
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, a, "docs/x.txt", []byte("first"))
	writeFile(t, b, "docs/x.txt", []byte("second"))
	writeFile(t, b, "other.txt", []byte("alone"))
	var mu sync.Mutex
	var got []TaskSnapshot
	m, err := NewManager(Config{Target: targetOf(s), Options: DefaultOptions(), StateDir: t.TempDir(), ForgetFinished: true, WalkAhead: 10,
		OnFinished: func(ts TaskSnapshot) { mu.Lock(); got = append(got, ts); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Add([]string{filepath.Join(a, "docs"), filepath.Join(b, "docs"), filepath.Join(b, "other.txt")}, "")
	waitIdle(t, m)
	m.Close()
	tt := m.Totals()
	if tt.Files != 3 || tt.Done != 2 || tt.Failed != 1 {
		t.Fatalf("totals %+v; finished %+v", tt, got)
	}
	conflict := 0
	for _, ts := range got {
		if ts.KeyConflict && ts.State == Failed {
			conflict++
		}
	}
	if conflict != 1 || len(got) != 3 {
		t.Fatalf("want one refused file among 3 reported; got %+v", got)
	}
	mustObject(t, s, "docs/x.txt", []byte("first"))
	mustObject(t, s, "other.txt", []byte("alone"))
}
