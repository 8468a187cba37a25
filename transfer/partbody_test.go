package transfer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
	"github.com/ossdrop/ossdrop/transfer/ratelimit"
)

func testPartBody(t *testing.T, data []byte, off, size int64, lim *ratelimit.Limiter) (*partBody, *running) {
	t.Helper()
	f, err := os.Open(writeFile(t, t.TempDir(), "part.bin", data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	rt := &running{}
	return &partBody{ctx: context.Background(), f: f, lim: lim, rt: rt, off: off, end: off + size}, rt
}

// A part's body is exactly its bytes of the file, its CRC64 theirs, and the
// progress they count; after release nothing more is read or counted, and a
// rollback takes the progress back.
func TestPartBodyReadsReleasesAndRollsBack(t *testing.T) {
	data := randBytes(3<<20+17, 41)
	off, size := int64(1<<20+5), int64(1<<20+3)
	b, rt := testPartBody(t, data, off, size, ratelimit.New(0))
	got, err := io.ReadAll(b)
	if err != nil || !bytes.Equal(got, data[off:off+size]) {
		t.Fatalf("read %d bytes, %v; want the part's %d", len(got), err, size)
	}
	if crc := b.release(); crc != crc64ecma.Update(0, data[off:off+size]) {
		t.Fatalf("CRC64 %d is not the part's", crc)
	}
	if rt.sent.Load() != size {
		t.Fatalf("progress %d, want %d", rt.sent.Load(), size)
	}
	b.rollback()
	if rt.sent.Load() != 0 {
		t.Fatalf("progress %d after rollback", rt.sent.Load())
	}

	// Released half way: the rest is refused and not counted.
	b, rt = testPartBody(t, data, 0, int64(len(data)), ratelimit.New(0))
	half := make([]byte, 1<<20)
	if _, err := io.ReadFull(b, half); err != nil {
		t.Fatal(err)
	}
	crc := b.release()
	if n, err := b.Read(half); n != 0 || !errors.Is(err, errReleased) {
		t.Fatalf("read after release: %d, %v", n, err)
	}
	if rt.sent.Load() != 1<<20 || crc != crc64ecma.Update(0, data[:1<<20]) || b.release() != crc {
		t.Fatalf("after release: progress %d, CRC moved", rt.sent.Load())
	}
}

// A file that ends before the part does fails the read with errShrunk, so the
// upload fails at once instead of retrying a local problem as a network one.
func TestPartBodyFileShrank(t *testing.T) {
	data := randBytes(1<<20, 42)
	b, rt := testPartBody(t, data, 512<<10, 1<<20, ratelimit.New(0))
	_, err := io.Copy(io.Discard, b)
	if !errors.Is(err, errShrunk) {
		t.Fatalf("want errShrunk, got %v", err)
	}
	if b.release(); rt.sent.Load() > 512<<10 {
		t.Fatalf("counted %d bytes the file does not have", rt.sent.Load())
	}
}

// Under a rate limit each read is at most one burst and waits for it: 1 MiB
// at 2 MiB/s takes about half a second, and a cancel ends the wait.
func TestPartBodyRateLimited(t *testing.T) {
	data := randBytes(1<<20, 43)
	b, _ := testPartBody(t, data, 0, 1<<20, ratelimit.New(2<<20))
	buf := make([]byte, 1<<20)
	start := time.Now()
	var reads int
	for {
		n, err := b.Read(buf)
		if n > 210<<10 {
			t.Fatalf("one read of %d bytes under a 2 MiB/s limit", n)
		}
		reads++
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 300*time.Millisecond || reads < 5 {
		t.Fatalf("1 MiB at 2 MiB/s in %v, %d reads", d, reads)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b, _ = testPartBody(t, data, 0, 1<<20, ratelimit.New(64<<10))
	b.ctx = ctx
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := io.Copy(io.Discard, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
}

// countingReader counts the reads the connection makes of a body.
type countingReader struct {
	r     io.Reader
	reads atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.r.Read(p)
}

// A part's body crosses the connection in copyChunk steps, not io.Copy's
// 32 KiB ones: a fraction of the reads, system calls and deadline updates. It
// is wrapped as the SDK wraps it (io.LimitedReader, io.NopCloser).
func TestPartBodyCrossesConnectionInChunks(t *testing.T) {
	data := randBytes(8<<20, 44)
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
	}))
	defer srv.Close()
	b, _ := testPartBody(t, data, 0, int64(len(data)), ratelimit.New(0))
	cr := &countingReader{r: b}
	req, _ := http.NewRequest(http.MethodPut, srv.URL, io.NopCloser(&io.LimitedReader{R: cr, N: int64(len(data))}))
	req.ContentLength = int64(len(data))
	resp, err := newHTTPClientTimeout(nil, time.Minute).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("server got %d bytes, not the part", len(got))
	}
	if crc := b.release(); crc != crc64ecma.Update(0, data) {
		t.Fatal("CRC64 is not the part's")
	}
	// One read fills the rest of the 64 KiB header buffer, then copyChunk steps.
	if max := int64(len(data)/copyChunk + 3); cr.reads.Load() > max {
		t.Fatalf("%d reads for %d bytes; want at most %d", cr.reads.Load(), len(data), max)
	}
}

// A write of a whole chunk to a peer that reads slowly but steadily goes on
// past the idle timeout; one to a peer that stops reading fails, within two
// timeouts, as a timeout (a "no reply" to the engine).
func TestIdleConnWriteTimesOutOnlyWithoutProgress(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stopReading, finished := make(chan struct{}), make(chan struct{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 256<<10)
		for {
			select {
			case <-stopReading:
				<-finished
				return
			case <-time.After(20 * time.Millisecond):
			}
			if _, err := c.Read(buf); err != nil {
				return
			}
		}
	}()
	defer func() { close(finished); <-served }()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.(*net.TCPConn).SetWriteBuffer(64 << 10)
	const timeout = 300 * time.Millisecond
	c := &idleConn{Conn: raw, timeout: timeout}
	// About 12 MiB/s taken: 12 MiB need several timeouts' worth of time.
	big := make([]byte, 12<<20)
	start := time.Now()
	if n, err := c.Write(big); err != nil || n != len(big) {
		t.Fatalf("slow but steady peer: wrote %d of %d: %v", n, len(big), err)
	}
	if d := time.Since(start); d < 2*timeout {
		t.Skipf("the peer took 12 MiB in %v; the socket buffers hid the slowness", d)
	}
	close(stopReading)
	start = time.Now()
	_, err = c.Write(big)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("peer stopped reading: want a timeout, got %v", err)
	}
	if d := time.Since(start); d > 2*timeout+time.Second {
		t.Fatalf("stall noticed after %v; timeout %v", d, timeout)
	}
}
