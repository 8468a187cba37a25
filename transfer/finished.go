package transfer

import "sync"

// finisher hands snapshots of tasks that reached an end state to Config.OnFinished
// on its own goroutine, in order, so a slow receiver (a history file being written)
// never holds the Manager's lock or delays a worker. The goroutine exists only while
// there is something to deliver.
type finisher struct {
	mu      sync.Mutex
	q       []TaskSnapshot
	running bool
	wg      sync.WaitGroup
}

// finishedLocked queues t's snapshot for Config.OnFinished. Caller holds m.mu; the
// call only appends to a slice.
func (m *Manager) finishedLocked(t *task) {
	fn := m.cfg.OnFinished
	if fn == nil {
		return
	}
	s := m.snapshotLocked(t)
	f := &m.fin
	f.mu.Lock()
	f.q = append(f.q, s)
	if !f.running {
		f.running = true
		f.wg.Add(1)
		go f.drain(fn)
	}
	f.mu.Unlock()
}

func (f *finisher) drain(fn func(TaskSnapshot)) {
	defer f.wg.Done()
	for {
		f.mu.Lock()
		batch := f.q
		f.q = nil
		if len(batch) == 0 {
			f.running = false
			f.mu.Unlock()
			return
		}
		f.mu.Unlock()
		for _, s := range batch {
			fn(s)
		}
	}
}

// wait returns once every queued snapshot has been delivered.
func (f *finisher) wait() { f.wg.Wait() }

// setCRC records the CRC64 of the stored object once it has been verified.
func (j *job) setCRC(crc uint64) {
	j.m.mu.Lock()
	j.t.crc = crc
	j.m.mu.Unlock()
}
