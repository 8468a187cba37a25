package ossemu

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A directory sync never returns on an fsync that began before the change it
// covers: a request that arrives while an fsync runs waits for the next one.
// Requests that arrive together share an fsync.
func TestDirSyncGroupCommit(t *testing.T) {
	dir := t.TempDir()
	var d dirSyncers
	defer d.close()
	var fsyncs atomic.Int32
	entered := make(chan struct{}, 100)
	release := make(chan struct{})
	dirSynced = func(string) {
		fsyncs.Add(1)
		entered <- struct{}{}
		<-release
	}
	defer func() { dirSynced = nil }()

	first := make(chan struct{})
	go func() { d.sync(dir); close(first) }()
	<-entered // the first fsync is under way
	second := make(chan struct{})
	go func() { d.sync(dir); close(second) }()
	time.Sleep(10 * time.Millisecond) // let the second ask while the first runs (the check holds either way)
	release <- struct{}{}
	<-first
	select {
	case <-second:
		t.Fatal("a sync returned on an fsync that began before it was asked for")
	case <-entered: // its own fsync
	case <-time.After(10 * time.Second):
		t.Fatal("the second sync never ran an fsync")
	}
	close(release)
	<-second
	if n := fsyncs.Load(); n != 2 {
		t.Fatalf("%d fsyncs, want 2", n)
	}

	// Many at once: all return, on fewer fsyncs than requests when they overlap.
	fsyncs.Store(0)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() { d.sync(dir) })
	}
	wg.Wait()
	if n := fsyncs.Load(); n < 1 || n > 50 {
		t.Fatalf("%d fsyncs for 50 syncs", n)
	}
	// After close, syncs still happen (each on its own).
	d.close()
	fsyncs.Store(0)
	d.sync(dir)
	if fsyncs.Load() != 1 {
		t.Fatal("no fsync after close")
	}
}
