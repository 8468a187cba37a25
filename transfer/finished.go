package transfer

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

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
	defer m.forgetLocked(t)
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
	j.t.spanned().crc = crc
	j.m.mu.Unlock()
}

// ObjectURLFor is the address of key in t's bucket: plain when expires is 0, else
// a link presigned with t's credentials for that long. It makes no request, so it
// serves objects uploaded by earlier sessions as well as current tasks.
func ObjectURLFor(t Target, key string, expires time.Duration) (string, error) {
	if expires <= 0 {
		return plainURL(t.Endpoint, t.Bucket, key)
	}
	c, err := NewOSSClient(t, &http.Client{})
	if err != nil {
		return "", err
	}
	b, err := c.Bucket(t.Bucket)
	if err != nil {
		return "", fmt.Errorf("bucket %q: %w", t.Bucket, err)
	}
	u, err := b.SignURL(key, oss.HTTPGet, int64(expires.Seconds()))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return u, nil
}
