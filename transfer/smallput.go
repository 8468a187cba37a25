package transfer

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
)

// A file sent in one request and no bigger than bufferedMax is read once, into a
// pooled buffer: the same bytes give the content type, the CRC64 (computed once,
// compared with the server's) and every attempt's body, and the buffer is reused
// for the read that checks the file did not change. Thousands of small files then
// cost one open, two reads and no per-file buffers.
const bufferedMax = 1 << 20

// bufPools hold buffers of two sizes, so a 4 KiB file does not pin a mebibyte.
var bufPools = [2]struct {
	size int
	pool sync.Pool
}{{size: 64 << 10}, {size: bufferedMax}}

// getBuf returns a pooled buffer of at least n bytes (n ≤ bufferedMax).
func getBuf(n int64) *[]byte {
	for i := range bufPools {
		p := &bufPools[i]
		if n <= int64(p.size) {
			if b, ok := p.pool.Get().(*[]byte); ok {
				return b
			}
			b := make([]byte, p.size)
			return &b
		}
	}
	b := make([]byte, n)
	return &b
}

func putBuf(b *[]byte) {
	for i := range bufPools {
		if p := &bufPools[i]; cap(*b) == p.size {
			*b = (*b)[:p.size]
			p.pool.Put(b)
			return
		}
	}
}

// readWhole reads the whole file (j.size bytes) into b.
func (j *job) readWhole(b []byte) error {
	n, err := j.f.ReadAt(b, 0)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		return localErr("upload", fmt.Sprintf("%s: the file got shorter while it was being read", j.t.path()), errShrunk)
	}
	return localErr("open", fmt.Sprintf("cannot read %s: %v", j.t.path(), unwrapPath(err)), err)
}

// wholeCRC is the CRC64 of b.
func wholeCRC(b []byte) uint64 { return crc64ecma.Update(0, b) }

// heldBytes is a request body over a buffer the caller takes back with release:
// net/http may go on reading a body after the reply has arrived (an early error
// reply), and the buffer must not be refilled under it.
type heldBytes struct {
	mu  sync.Mutex
	b   []byte
	off int
}

func (h *heldBytes) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.b == nil {
		return 0, errReleased
	}
	if h.off >= len(h.b) {
		return 0, io.EOF
	}
	n := copy(p, h.b[h.off:])
	h.off += n
	return n, nil
}

// release ends every later Read with errReleased.
func (h *heldBytes) release() {
	h.mu.Lock()
	h.b = nil
	h.mu.Unlock()
}

var errReleased = errors.New("request body released after the reply")
