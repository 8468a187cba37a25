package transfer

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
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
