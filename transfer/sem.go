package transfer

import (
	"context"
	"sync"
)

// semaphore caps parts in flight across all files; its limit can change while
// holders run (raising it wakes waiters, lowering it lets holders drain).
type semaphore struct {
	mu    sync.Mutex
	n     int
	limit int
	wake  chan struct{}
}

func newSemaphore(limit int) *semaphore {
	return &semaphore{limit: max(limit, 1), wake: make(chan struct{})}
}

func (s *semaphore) acquire(ctx context.Context) error {
	for {
		s.mu.Lock()
		if s.n < s.limit {
			s.n++
			s.mu.Unlock()
			return nil
		}
		ch := s.wake
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *semaphore) release() {
	s.mu.Lock()
	s.n--
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}

func (s *semaphore) setLimit(limit int) {
	s.mu.Lock()
	s.limit = max(limit, 1)
	close(s.wake)
	s.wake = make(chan struct{})
	s.mu.Unlock()
}
