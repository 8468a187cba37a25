package testkit

import (
	"bytes"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRandBytes(t *testing.T) {
	a, b, c := RandBytes(1, 1001), RandBytes(1, 1001), RandBytes(2, 1001)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) {
		t.Fatal("RandBytes is not a function of its seed")
	}
	if !bytes.Equal(RandBytes(1, 10), a[:10]) {
		t.Fatal("a shorter RandBytes is not a prefix of a longer one")
	}
}

func TestWriteRandomFiles(t *testing.T) {
	dir := t.TempDir()
	paths := WriteRandomFiles(t, dir, 5, 100, 2, 7)
	if len(paths) != 5 || filepath.Dir(paths[4]) != filepath.Join(dir, "d0002") {
		t.Fatalf("paths %q", paths)
	}
	got, err := os.ReadFile(paths[3])
	if err != nil || !bytes.Equal(got, RandBytes(10, 100)) {
		t.Fatalf("file 3: %v", err)
	}
}

func TestWriteRandomFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	WriteRandomFile(t, p, 8<<20+3, 5)
	got, err := os.ReadFile(p)
	if err != nil || len(got) != 8<<20+3 {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	if !bytes.Equal(got[8<<20:], RandBytes(6, 3)) || !bytes.Equal(got[:10], RandBytes(5, 10)) {
		t.Fatal("content is not the seeded pieces")
	}
}

func TestUsage(t *testing.T) {
	s := StartHeapSampler(time.Millisecond)
	keep := make([]byte, 8<<20)
	for i := range keep {
		keep[i] = byte(i)
	}
	time.Sleep(5 * time.Millisecond)
	if peak := s.Stop(); peak < uint64(len(keep)) {
		t.Errorf("peak heap %d below the %d bytes held", peak, len(keep))
	}
	_ = keep[len(keep)-1]
	if CPUTime() < 0 {
		t.Error("negative CPU time")
	}
	if rss := PeakRSS(); rss != 0 && rss < uint64(len(keep)) {
		t.Errorf("peak RSS %d below the %d bytes touched", rss, len(keep))
	}
	if runtime.GOOS == "linux" && PeakRSS() == 0 {
		t.Error("no peak RSS on Linux")
	}
}

// echoServer echoes every connection until closed.
func echoServer(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				io.Copy(c, c)
			})
		}
	})
	return ln.Addr().String()
}

// TestProxyShapes checks the link's lower bounds only (a loaded machine can
// only make things slower): a round trip costs two delays, and bytes cannot
// cross faster than the rate, shared between connections. Data arrives intact.
func TestProxyShapes(t *testing.T) {
	const delay = 15 * time.Millisecond
	const rate = 4 << 20 // bytes per second
	p, err := NewProxy(echoServer(t), Link{Delay: delay, Rate: rate})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	c.Write([]byte("ping"))
	if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	if rtt := time.Since(start); rtt < 2*delay {
		t.Errorf("round trip %v, want ≥ %v", rtt, 2*delay)
	}

	// Two connections each echo 256 KiB: 512 KiB each way at 4 MiB/s ≥ 125 ms.
	const n = 256 << 10
	start = time.Now()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			c, err := net.Dial("tcp", p.Addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			data := RandBytes(uint64(i), n)
			go c.Write(data)
			got := make([]byte, n)
			if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, data) {
				t.Errorf("echo %d: %v, intact %v", i, err, bytes.Equal(got, data))
			}
		})
	}
	wg.Wait()
	if d, want := time.Since(start), time.Duration(2*n)*time.Second/rate; d < want {
		t.Errorf("512 KiB through a 4 MiB/s link in %v, want ≥ %v", d, want)
	}
}

// TestProxyClose cuts open connections and ends every goroutine (goleak
// checks the latter), and half-closes propagate.
func TestProxyClose(t *testing.T) {
	p, err := NewProxy(echoServer(t), Link{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("x"))
	c.(*net.TCPConn).CloseWrite()
	if got, err := io.ReadAll(c); err != nil || string(got) != "x" {
		t.Fatalf("after half-close read %q, %v", got, err)
	}

	c2, err := net.Dial("tcp", p.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	c2.Write([]byte("y"))
	io.ReadFull(c2, make([]byte, 1))
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	c2.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c2.Read(make([]byte, 1)); err == nil {
		t.Fatal("connection still open after Close")
	}
	if _, err := NewProxy("127.0.0.1:1", Link{Delay: -1}); err == nil {
		t.Fatal("negative delay accepted")
	}
}
