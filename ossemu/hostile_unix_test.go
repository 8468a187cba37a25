//go:build unix

package ossemu

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// 2,000 hostile connections (half trickling headers, half trickling a
// rejected body) must neither push memory past 150 MiB nor lock out a signed
// client, and must be dropped within the configured limits.
func TestHostileConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 2,000 connections")
	}
	const n = 2000
	raiseFileLimit(t, 2*n+512)
	s := newServer(t, Options{headerTimeout: 3 * time.Second, drainTimeout: 3 * time.Second})
	b := bucketOf(t, s)
	runtime.GC()
	baseRSS := rssBytes()

	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	filler := strings.Repeat("h", 1000)
	for i := 0; i < n; i++ {
		c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		conns = append(conns, c)
		if i%2 == 0 {
			// ~20 KiB of a header block that never ends
			fmt.Fprintf(c, "GET /local/k HTTP/1.1\r\nHost: x\r\n")
			for j := 0; j < 20; j++ {
				fmt.Fprintf(c, "X-Fill-%d: %s\r\n", j, filler)
			}
		} else {
			// an unsigned upload whose body never arrives in full
			fmt.Fprintf(c, "PUT /local/k HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n%s", strings.Repeat("b", 16<<10))
		}
	}
	// let the server take it all in
	time.Sleep(500 * time.Millisecond)

	// a signed client still gets through
	if err := b.PutObject("ok", strings.NewReader("fine")); err != nil {
		t.Fatalf("signed request with %d hostile connections open: %v", n, err)
	}

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap := ms.HeapInuse + ms.StackInuse
	rss := rssBytes()
	t.Logf("with %d hostile connections: heap+stacks %d MiB, RSS %d MiB (RSS before %d MiB)", n, heap>>20, rss>>20, baseRSS>>20)
	if heap > 150<<20 {
		t.Errorf("heap+stacks %d MiB with %d hostile connections, want < 150 MiB", heap>>20, n)
	}
	if !raceEnabled && rss > 150<<20 {
		t.Errorf("RSS %d MiB with %d hostile connections, want < 150 MiB", rss>>20, n)
	}

	// every hostile connection is dropped once its time is up
	deadline := time.Now().Add(10 * time.Second)
	open := 0
	for _, c := range conns {
		if !closedWithin(c, time.Until(deadline)) {
			open++
		}
	}
	if open > 0 {
		t.Fatalf("%d hostile connections still open 10 s later", open)
	}
}

// raiseFileLimit lifts the soft limit on open files to at least want, as far
// as the hard limit allows; the test is skipped when that is not enough.
func raiseFileLimit(t *testing.T, want uint64) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skipf("getrlimit: %v", err)
	}
	if lim.Cur >= want {
		return
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < want {
		t.Skipf("cannot raise the open-file limit to %d (hard limit %d): %v", want, lim.Max, err)
	}
}

// rssBytes is the process's resident set size (0 where /proc is absent).
func rssBytes() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
