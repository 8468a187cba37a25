package transfer

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
	"github.com/ossdrop/ossdrop/transfer/ratelimit"
)

// partBody is the body of one UploadPart request: the bytes [off, end) of the
// job's open file, read with explicit offsets (parts in flight share the file)
// straight into the buffer of whoever reads the body. Over a plain connection
// that is idleConn.ReadFrom's pooled chunk buffer, so each chunk is read once,
// its CRC64 taken once, and written in one system call; the SDK's own CRC is
// off (NewOSSClient) and nothing copies the bytes in between.
//
// Each Read waits for the rate limit before it returns its bytes, and counts
// them (progress, CRC64) before the connection has them: once the server holds
// every byte, the CRC is final. net/http may go on reading a body after the
// reply has arrived (an early error reply), so release ends the body's use:
// later reads fail and the progress and CRC no longer move.
type partBody struct {
	ctx context.Context
	f   *os.File
	lim *ratelimit.Limiter
	rt  *running

	// off is the next byte to read; end is where the part ends.
	// Read (one goroutine at a time) moves off, n and crc under mu.
	mu       sync.Mutex
	off, end int64
	n        int64  // bytes handed to the connection
	crc      uint64 // CRC64 of those bytes, as read from the file
	released bool
}

func (j *job) partBody(ctx context.Context, off, size int64) *partBody {
	return &partBody{ctx: ctx, f: j.f, lim: j.m.limiter, rt: j.t.rt, off: off, end: off + size}
}

// Read reads the next bytes of the part into p (at most one rate-limit burst).
func (b *partBody) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	b.mu.Lock()
	off, left, crc, released := b.off, b.end-b.off, b.crc, b.released
	b.mu.Unlock()
	switch {
	case released:
		return 0, errReleased
	case left <= 0:
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), left, int64(b.lim.Step(len(p))))]
	n, err := b.f.ReadAt(p, off)
	if n < len(p) {
		if err == nil || errors.Is(err, io.EOF) {
			err = errShrunk
		}
		return 0, err
	}
	if err := b.lim.Wait(b.ctx, n); err != nil {
		return 0, err
	}
	crc = crc64ecma.Update(crc, p)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.released {
		return 0, errReleased
	}
	b.off += int64(n)
	b.n += int64(n)
	b.crc = crc
	b.rt.sent.Add(int64(n))
	if b.off == b.end {
		return n, io.EOF
	}
	return n, nil
}

// release ends the body's use and returns the CRC64 of the bytes sent.
func (b *partBody) release() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.released = true
	return b.crc
}

// rollback takes back the progress of a failed attempt (after release).
func (b *partBody) rollback() {
	b.mu.Lock()
	b.rt.sent.Add(-b.n)
	b.n = 0
	b.mu.Unlock()
}
