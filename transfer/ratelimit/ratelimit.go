// Package ratelimit is a bandwidth cap shared by every upload worker. The SDK's own
// limiter sleeps without looking at the context, so a cancelled upload would wait out
// its budget; this one gives up the moment the context is done and can be retuned live.
package ratelimit

import (
	"context"
	"io"
	"sync"

	"golang.org/x/time/rate"
)

// Limiter caps the bytes per second passing through all readers it wraps.
type Limiter struct {
	mu    sync.RWMutex
	lim   *rate.Limiter
	bytes int64 // current limit; 0 = unlimited
}

// New returns a Limiter; bytesPerSec <= 0 means unlimited.
func New(bytesPerSec int64) *Limiter {
	l := &Limiter{lim: rate.NewLimiter(rate.Inf, 0)}
	l.Set(bytesPerSec)
	return l
}

// burstFor keeps bursts near a tenth of a second of traffic so a limit change or a
// cancellation takes effect quickly, while staying large enough that token bookkeeping
// stays cheap at high rates.
func burstFor(bps int64) int {
	b := bps / 10
	if b < 4<<10 {
		b = 4 << 10
	}
	if b > 1<<20 {
		b = 1 << 20
	}
	return int(b)
}

// Set changes the limit while readers are running; bytesPerSec <= 0 removes it.
func (l *Limiter) Set(bytesPerSec int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if bytesPerSec <= 0 {
		l.bytes = 0
		l.lim.SetLimit(rate.Inf)
		return
	}
	l.bytes = bytesPerSec
	l.lim.SetBurst(burstFor(bytesPerSec))
	l.lim.SetLimit(rate.Limit(bytesPerSec))
}

// Limit returns the current limit in bytes per second, 0 when unlimited.
func (l *Limiter) Limit() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.bytes
}

// Wait blocks until n bytes may pass or ctx is done.
func (l *Limiter) Wait(ctx context.Context, n int) error {
	for n > 0 {
		l.mu.RLock()
		unlimited := l.bytes == 0
		burst := l.lim.Burst()
		l.mu.RUnlock()
		if unlimited {
			return ctx.Err()
		}
		chunk := min(n, burst)
		if err := l.lim.WaitN(ctx, chunk); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			// The burst shrank between reading it and waiting: try again with the new size.
			continue
		}
		n -= chunk
	}
	return nil
}

// Step is how many bytes a sender should move before calling Wait: at most max,
// and no more than one burst while a limit is set, so the wait after each step
// stays short and a changed limit takes effect within a step.
func (l *Limiter) Step(max int) int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.bytes == 0 {
		return max
	}
	if b := l.lim.Burst(); b > 0 && b < max {
		return b
	}
	return max
}

// Reader wraps r so its reads are paced by l and fail once ctx is done.
func (l *Limiter) Reader(ctx context.Context, r io.Reader) io.Reader {
	return &reader{ctx: ctx, l: l, r: r}
}

type reader struct {
	ctx context.Context
	l   *Limiter
	r   io.Reader
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if r.l.Limit() == 0 {
		return r.r.Read(p)
	}
	// Read at most one burst so the wait before the next read stays short.
	r.l.mu.RLock()
	b := r.l.lim.Burst()
	r.l.mu.RUnlock()
	if len(p) > b && b > 0 {
		p = p[:b]
	}
	n, err := r.r.Read(p)
	if n > 0 {
		if werr := r.l.Wait(r.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}
