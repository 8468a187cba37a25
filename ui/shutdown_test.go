package ui

import (
	"context"
	"testing"
	"time"
)

// A quit whose stopped hook never runs (the toolkit lost it) is finished by
// the guard; one whose hook runs, or that never began, is left alone.
func TestShutdownGuard(t *testing.T) {
	run := func(t *testing.T, quit, stopped bool) (stuck bool, mayGoOn bool) {
		t.Helper()
		g := newShutdownGuard(20 * time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		called := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			g.watch(ctx, func() { close(called) })
		}()
		if quit {
			g.quitBegan()
			g.quitBegan() // quits can come from several places at once
		}
		if stopped {
			g.stoppedRan()
		}
		select {
		case <-called:
			stuck = true
		case <-time.After(200 * time.Millisecond):
		}
		mayGoOn = g.returned()
		cancel()
		<-done
		return stuck, mayGoOn
	}
	t.Run("hook lost", func(t *testing.T) {
		if stuck, goOn := run(t, true, false); !stuck || goOn {
			t.Fatalf("stuck=%v, main may go on=%v; want the guard to finish alone", stuck, goOn)
		}
	})
	t.Run("hook ran", func(t *testing.T) {
		if stuck, goOn := run(t, true, true); stuck || !goOn {
			t.Fatalf("stuck=%v, main may go on=%v; want a normal exit", stuck, goOn)
		}
	})
	t.Run("no quit", func(t *testing.T) {
		if stuck, goOn := run(t, false, false); stuck || !goOn {
			t.Fatalf("stuck=%v, main may go on=%v; want nothing to happen", stuck, goOn)
		}
	})
}
