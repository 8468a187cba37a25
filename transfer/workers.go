package transfer

import (
	"context"
	"time"
)

// Running tasks are handed to worker goroutines that outlive them: a worker
// that finished a task waits a moment for the next before it exits. With
// thousands of small files a goroutine per file cost its creation and, each
// time, growing its stack again through the HTTP and checksum code; a reused
// worker keeps the stack it grew. Close ends idle workers at once (the
// Manager's context), and Manager.wg counts them.

// workerIdle is how long a worker without a task waits for one.
const workerIdle = time.Second

type workItem struct {
	ctx context.Context
	t   *task
}

// dispatch runs t on an idle worker, or on a new one when none waits. It never
// blocks, so it may be called with m.mu held.
func (m *Manager) dispatch(ctx context.Context, t *task) {
	w := workItem{ctx, t}
	select {
	case m.work <- w:
		return
	default:
	}
	m.wg.Add(1)
	go m.worker(w)
}

func (m *Manager) worker(w workItem) {
	defer m.wg.Done()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		m.run(w.ctx, w.t)
		idle.Reset(workerIdle)
		select {
		case w = <-m.work:
		case <-idle.C:
			return
		case <-m.ctx.Done():
			return
		}
	}
}
