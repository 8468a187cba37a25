package transfer

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// countingConn counts the writes a connection makes.
type countingConn struct {
	net.Conn
	writes *atomic.Int32
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// A small request body leaves in the write that carries the headers, whatever
// reader it comes from; a big one still streams. The server sees every byte.
func TestSmallBodyOneWrite(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
	}))
	defer srv.Close()
	hc := newHTTPClientTimeout(nil, 0)
	sb, ok := hc.Transport.(*smallBodies)
	if !ok {
		t.Fatalf("transport is %T", hc.Transport)
	}
	var writes atomic.Int32
	dial := sb.DialContext
	sb.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}
	put := func(body string) int32 {
		t.Helper()
		// A reader net/http does not know as in-memory, as the SDK's wrappers are.
		r := struct{ io.Reader }{strings.NewReader(body)}
		req, err := http.NewRequest(http.MethodPut, srv.URL+"/k", r)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(body))
		writes.Store(0)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if got.Load() != body {
			t.Fatalf("server got %d bytes, want %d", len(got.Load().(string)), len(body))
		}
		return writes.Load()
	}
	if n := put(strings.Repeat("x", 256)); n != 1 {
		t.Errorf("a 256-byte body took %d writes, want 1", n)
	}
	if n := put(strings.Repeat("y", 32<<10)); n != 1 {
		t.Errorf("a 32 KiB body took %d writes, want 1", n)
	}
	if n := put(strings.Repeat("z", 1<<20)); n < 2 {
		t.Errorf("a 1 MiB body took %d writes: it cannot fit one buffer", n)
	}
}

// A reply can come before net/http has written the whole body; the pooled
// buffer must stay out of the pool until the write ends, or the next small
// request would overwrite bytes still being sent.
func TestSmallBodyBufferHeldUntilWritten(t *testing.T) {
	var released atomic.Int32
	orig := releaseSmallBuf
	releaseSmallBuf = func(bp *[]byte) { released.Add(1); orig(bp) }
	defer func() { releaseSmallBuf = orig }()

	// A server that answers from the headers alone and reads the body only
	// when the test says so (net/http's server would drain it first), with
	// a small receive buffer so the client's write of 64 KiB cannot end
	// before that.
	lc := net.ListenConfig{Control: func(_, _ string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { setRcvBuf(fd, 4096) })
	}}
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	readBody := make(chan struct{})
	bodies := make(chan string, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				if req.URL.Path == "/early" {
					// The reply's body follows the request's: until the
					// client has read it, net/http keeps the connection
					// and goes on writing.
					io.WriteString(c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\n")
					<-readBody
				}
				b, _ := io.ReadAll(req.Body)
				bodies <- string(b)
				if req.URL.Path == "/early" {
					io.WriteString(c, "done")
				} else {
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
				}
			}()
		}
	}()
	hc := newHTTPClientTimeout(nil, 0)
	sb := hc.Transport.(*smallBodies)
	dial := sb.DialContext
	sb.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err == nil {
			c.(*idleConn).Conn.(*net.TCPConn).SetWriteBuffer(4096)
		}
		return c, err
	}
	put := func(path, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPut, "http://"+ln.Addr().String()+path, struct{ io.Reader }{strings.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(body))
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := strings.Repeat("a", smallBodyMax)
	early := put("/early", first)
	defer early.Body.Close()
	// The reply is in, the body is not all written: the buffer is still leased.
	if n := released.Load(); n != 0 {
		t.Fatalf("%d buffers back in the pool while the body was being written", n)
	}
	// Another small request meanwhile, on another connection, takes a buffer.
	second := strings.Repeat("b", smallBodyMax)
	put("/late", second).Body.Close()
	if got := <-bodies; got != second {
		t.Errorf("second body: %d bytes, not the %d sent", len(got), len(second))
	}
	close(readBody)
	if got := <-bodies; got != first {
		t.Errorf("first body changed while it was written: %.8q… (%d bytes)", got, len(got))
	}
	io.Copy(io.Discard, early.Body)
	for deadline := time.Now().Add(10 * time.Second); released.Load() < 2; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 2 buffers back in the pool after both writes ended", released.Load())
		}
		time.Sleep(time.Millisecond)
	}
}
