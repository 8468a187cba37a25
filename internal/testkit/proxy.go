package testkit

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// Link describes one direction of a shaped link; both directions get the same.
type Link struct {
	Delay time.Duration // one-way propagation delay
	Rate  int64         // bytes per second shared by every connection; 0: unlimited
}

// Proxy is a loopback TCP proxy that forwards to one address through a
// shaped link: each direction is a queue of the given rate shared by all
// connections, followed by the given delay, so round trips cost 2×Delay and
// concurrent transfers split the bandwidth as they would on a real link.
// Buffering is bounded per connection (maxInFlight), so a slow receiver
// pushes back on the sender through TCP as on a real path.
type Proxy struct {
	Addr string // "127.0.0.1:port" to dial instead of the target

	ln      net.Listener
	target  string
	up, dn  *linkDir
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
	maxConn int
}

const (
	chunkSize   = 32 << 10
	maxInFlight = 256 // chunks queued per direction per connection: 8 MiB
	maxConns    = 4096
)

// linkDir serialises one direction's bytes onto the link.
type linkDir struct {
	link Link
	mu   sync.Mutex
	free time.Time // when the link finishes sending what is queued
}

// reserve returns when a chunk of n bytes read now reaches the far end.
func (l *linkDir) reserve(n int) time.Time {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now
	if l.free.After(start) {
		start = l.free
	}
	end := start
	if l.link.Rate > 0 {
		end = start.Add(time.Duration(float64(n) / float64(l.link.Rate) * float64(time.Second)))
	}
	l.free = end
	return end.Add(l.link.Delay)
}

// NewProxy listens on a loopback port and forwards each connection to target
// (host:port) through link. Close it to stop; it refuses connections beyond
// a few thousand at once.
func NewProxy(target string, link Link) (*Proxy, error) {
	if link.Delay < 0 || link.Rate < 0 {
		return nil, fmt.Errorf("testkit: proxy link %+v: delay and rate must not be negative", link)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("testkit: proxy listen: %w", err)
	}
	p := &Proxy{
		Addr: ln.Addr().String(), ln: ln, target: target,
		up: &linkDir{link: link}, dn: &linkDir{link: link},
		conns: map[net.Conn]struct{}{}, maxConn: maxConns,
	}
	p.wg.Go(p.accept)
	return p, nil
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		if !p.track(c) {
			c.Close()
			continue
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

// track registers c; it reports false when closed or full.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.conns) >= p.maxConn {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		p.untrack(client)
		return
	}
	defer server.Close()
	if !p.track(server) {
		p.untrack(client)
		return
	}
	defer p.untrack(client, server)
	var wg sync.WaitGroup
	wg.Go(func() { pipe(server, client, p.up) })
	pipe(client, server, p.dn)
	wg.Wait()
}

type chunk struct {
	b   []byte
	due time.Time
}

// pipe copies src to dst through l. When src ends, dst's write side is shut
// after the last byte arrives; when dst fails, both are closed so the other
// direction ends too.
func pipe(dst, src net.Conn, l *linkDir) {
	q := make(chan chunk, maxInFlight)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTimer(0)
		defer t.Stop()
		<-t.C
		for c := range q {
			if d := time.Until(c.due); d > 0 {
				t.Reset(d)
				<-t.C
			}
			if _, err := dst.Write(c.b); err != nil {
				dst.Close()
				src.Close()
				for range q { // let the reader finish
				}
				return
			}
		}
		if tc, ok := dst.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	buf := make([]byte, chunkSize)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			q <- chunk{append([]byte(nil), buf[:n]...), l.reserve(n)}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				dst.Close()
			}
			break
		}
	}
	close(q)
	<-done
}

// Close stops listening, cuts every connection and waits for its goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}
