// Package testkit holds helpers shared by tests and benchmarks: seeded random
// data and files, process CPU time and peak memory, and a loopback TCP proxy
// that shapes latency and bandwidth like a long-distance link.
package testkit

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/metrics"
	"sync"
	"testing"
	"time"
)

// RandBytes returns n pseudo-random bytes that depend only on seed, so a
// failing test sees the same data again.
func RandBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	FillRand(seed, b)
	return b
}

// FillRand fills b with the bytes RandBytes(seed, len(b)) returns.
func FillRand(seed uint64, b []byte) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		v := r.Uint64()
		b[i], b[i+1], b[i+2], b[i+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		b[i+4], b[i+5], b[i+6], b[i+7] = byte(v>>32), byte(v>>40), byte(v>>48), byte(v>>56)
	}
	for v := r.Uint64(); i < len(b); i, v = i+1, v>>8 {
		b[i] = byte(v)
	}
}

// WriteFile writes data to dir/name, creating parent directories, and returns
// the path. It fails the test on error.
func WriteFile(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// WriteRandomFiles writes count files of size random bytes each under dir and
// returns their paths in order. With perDir > 0 they are spread over
// subdirectories of perDir files each (d0000/f000000.bin, …), like a source
// tree; otherwise they all go in dir. File i's content is RandBytes(seed+i, size).
func WriteRandomFiles(tb testing.TB, dir string, count, size, perDir int, seed uint64) []string {
	tb.Helper()
	paths := make([]string, count)
	buf := make([]byte, size)
	for i := range count {
		name := fmt.Sprintf("f%06d.bin", i)
		if perDir > 0 {
			name = filepath.Join(fmt.Sprintf("d%04d", i/perDir), name)
		}
		FillRand(seed+uint64(i), buf)
		paths[i] = WriteFile(tb, dir, name, buf)
	}
	return paths
}

// WriteRandomFile writes size random bytes to path in 8 MiB pieces, so large
// files need little memory; piece k holds RandBytes(seed+k, …).
func WriteRandomFile(tb testing.TB, path string, size int64, seed uint64) {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	buf := make([]byte, 8<<20)
	for k := uint64(0); size > 0; k++ {
		n := min(size, int64(len(buf)))
		FillRand(seed+k, buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			tb.Fatal(err)
		}
		size -= n
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// HeapSampler records the peak of the heap in use (what runtime.MemStats
// calls HeapInuse) while it runs. It reads runtime/metrics, which does not stop
// the world: ReadMemStats every few milliseconds would, and its stops and
// thread wake-ups would count in the CPU time of the very client measured.
type HeapSampler struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64 // written by the sampling goroutine only, read after Stop
}

// heapInUse are the runtime/metrics whose sum is MemStats.HeapInuse.
var heapInUse = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/heap/unused:bytes"}

// StartHeapSampler starts sampling every interval until Stop.
func StartHeapSampler(interval time.Duration) *HeapSampler {
	s := &HeapSampler{stop: make(chan struct{})}
	s.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		samples := make([]metrics.Sample, len(heapInUse))
		for i, name := range heapInUse {
			samples[i].Name = name
		}
		for {
			metrics.Read(samples)
			var inUse uint64
			for _, m := range samples {
				if m.Value.Kind() == metrics.KindUint64 {
					inUse += m.Value.Uint64()
				}
			}
			s.peak = max(s.peak, inUse)
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	})
	return s
}

// Stop ends sampling (taking one last sample) and returns the peak heap in
// use, in bytes. Call it once.
func (s *HeapSampler) Stop() uint64 {
	close(s.stop)
	s.done.Wait()
	return s.peak
}

// PhotoTree is a folder of n one-byte files named like a camera's
// (d000/IMG_000000.jpg, 1,000 per subfolder), for benchmarks of large
// drops. It is made in a temporary folder, or in OSSDROP_BENCH_TREE when
// set, where a tree of the same size is reused: making 500,000 files takes
// minutes.
func PhotoTree(tb testing.TB, n int) string {
	tb.Helper()
	root := os.Getenv("OSSDROP_BENCH_TREE")
	if root == "" {
		root = tb.TempDir()
	}
	dir := filepath.Join(root, fmt.Sprintf("photos-%d", n))
	complete := dir + ".complete"
	if _, err := os.Stat(complete); err == nil {
		return dir
	}
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				tb.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("IMG_%06d.jpg", i)), []byte("x"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(complete, nil, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dir
}
