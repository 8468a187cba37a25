package ui

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// shutdownGrace is how long the toolkit may take from a quit to running its
// stopped hook before the process is finished without it. A normal quit
// takes milliseconds; a loaded machine a few hundred.
const shutdownGrace = 5 * time.Second

// shutdownGuard keeps a quit from leaving an invisible process behind.
//
// Fyne 2.8.1 can lose its own stopped hook while it shuts down: as the main
// loop ends it queues the hook for its lifecycle goroutine, which hands it
// back to the main loop just as the loop makes its last pass over queued
// calls and closes the queue. When the hand-over lands between that pass and
// the close, nothing ever runs it, and App.Run waits for it forever: the
// window is gone but the process stays (internal/driver/glfw runGL and Run).
// The guard notices that case (a quit began and the stopped hook has not run
// within the grace) and lets the caller finish the process itself.
type shutdownGuard struct {
	grace           time.Duration
	began, stopped  chan struct{}
	beganOnce, once sync.Once
	// claimed decides, once, who ends the process: the main goroutine
	// because App.Run returned, or the watch because it did not.
	claimed atomic.Bool
}

func newShutdownGuard(grace time.Duration) *shutdownGuard {
	return &shutdownGuard{grace: grace, began: make(chan struct{}), stopped: make(chan struct{})}
}

// quitBegan records that the app was told to quit.
func (g *shutdownGuard) quitBegan() { g.beganOnce.Do(func() { close(g.began) }) }

// stoppedRan is the app's stopped hook: the toolkit's shutdown got through.
func (g *shutdownGuard) stoppedRan() { g.once.Do(func() { close(g.stopped) }) }

// watch waits for a quit and then for the stopped hook; if the hook has not
// run within the grace, it calls stuck, which must end the process. It
// returns when ctx ends (App.Run returned) or once it has decided.
func (g *shutdownGuard) watch(ctx context.Context, stuck func()) {
	select {
	case <-ctx.Done():
		return
	case <-g.began:
	}
	t := time.NewTimer(g.grace)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-g.stopped:
		return
	case <-t.C:
	}
	if g.claimed.CompareAndSwap(false, true) {
		stuck()
	}
}

// returned is called once App.Run has returned; it reports whether the
// caller may go on, false when the watch is already finishing the process.
func (g *shutdownGuard) returned() bool { return g.claimed.CompareAndSwap(false, true) }
