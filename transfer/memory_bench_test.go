//go:build unix

package transfer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// Memory per file, as slopes between two sizes (a fixed cost cancels out):
//   go test -run '^$' -bench 'Heap' -benchtime 1x ./transfer/

// benchTree writes n files of 256 bytes in folders of 1,000.
func benchTree(b *testing.B, n int) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "tree")
	data := make([]byte, 256)
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("d%04d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%07d.bin", i)), data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// writeHeapProfile writes the heap in use to name, for
// go tool pprof -sample_index=inuse_space (OSSDROP_BENCH_HEAPPROFILE=prefix).
func writeHeapProfile(b *testing.B, name string) {
	f, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// slope reports the heap bytes per file between the two sizes measured.
func slope(b *testing.B, what string, n [2]int, heap [2]float64) {
	if heap[0] > 0 && heap[1] > 0 {
		b.Logf("%s: %.0f heap bytes per file between %d and %d files (%.1f → %.1f MiB)", what,
			(heap[1]-heap[0])/float64(n[1]-n[0]), n[0], n[1], heap[0]/(1<<20), heap[1]/(1<<20))
	}
}

// queuedSizes is the two queue sizes the queued-file benchmarks measure:
// 20,000 and 100,000 files unless OSSDROP_BENCH_QUEUED names others.
func queuedSizes(b *testing.B) [2]int {
	sizes := [2]int{20_000, 100_000}
	if v := os.Getenv("OSSDROP_BENCH_QUEUED"); v != "" {
		if _, err := fmt.Sscanf(v, "%d,%d", &sizes[0], &sizes[1]); err != nil || sizes[0] <= 0 || sizes[1] <= sizes[0] {
			b.Fatalf("OSSDROP_BENCH_QUEUED=%q: want two sizes, the smaller first, as 100000,500000", v)
		}
	}
	return sizes
}

// BenchmarkCommandLineHeap uploads a folder the way the command line does
// (finished tasks forgotten, the walk a bounded distance ahead) and reports the
// peak heap over the start: it should not grow with the number of files.
func BenchmarkCommandLineHeap(b *testing.B) {
	bs := startBenchServer(b)
	sizes := [2]int{10_000, 40_000}
	var peaks [2]float64
	for i, n := range sizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			tree := benchTree(b, n)
			base := heapInuse()
			heap := testkit.StartHeapSampler(10 * time.Millisecond)
			start := time.Now()
			for r := range b.N {
				var finished atomic.Int64
				m, err := NewManager(Config{Target: bs.target(), Options: DefaultOptions(), StateDir: b.TempDir(),
					ForgetFinished: true, WalkAhead: 4096, OnFinished: func(TaskSnapshot) { finished.Add(1) }})
				if err != nil {
					b.Fatal(err)
				}
				m.Add([]string{tree}, fmt.Sprintf("clheap-%d-%d", n, r))
				if err := m.Wait(context.Background()); err != nil {
					b.Fatal(err)
				}
				tt := m.Totals()
				m.Close()
				if tt.Done != n || finished.Load() != int64(n) {
					b.Fatalf("%d of %d done, %d reported", tt.Done, n, finished.Load())
				}
			}
			peak := float64(heap.Stop()) - float64(base)
			peaks[i] = peak
			b.ReportMetric(peak/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "files/s")
		})
	}
	slope(b, "command line, peak", sizes, peaks)
}

// BenchmarkQueuedHeap walks a folder into the queue of a window-style Manager
// (every task kept) whose uploads never get an answer, and reports the heap per
// queued file. OSSDROP_BENCH_QUEUED="100000,500000" sets the two sizes;
// OSSDROP_BENCH_HEAPPROFILE=prefix writes the heap in use at each size to
// prefix.<files> (run with -memprofilerate 512 for a finer profile).
func BenchmarkQueuedHeap(b *testing.B) {
	// The first uploads hang on a server that never answers; the rest stay queued.
	tg := Target{Endpoint: silentServer(b), Bucket: "bench", Credentials: staticCreds{"id", "secret", ""}}
	sizes := queuedSizes(b)
	var heaps [2]float64
	for i, n := range sizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			tree := benchTree(b, n)
			for range b.N {
				base := heapInuse()
				m, err := NewManager(Config{Target: tg, Options: DefaultOptions(), StateDir: b.TempDir()})
				if err != nil {
					b.Fatal(err)
				}
				m.Add([]string{tree}, "")
				waitWalked(b, m, 10*time.Minute)
				used := float64(heapInuse()) - float64(base)
				if p := os.Getenv("OSSDROP_BENCH_HEAPPROFILE"); p != "" {
					writeHeapProfile(b, fmt.Sprintf("%s.%d", p, n))
				}
				if tt := m.Totals(); tt.Files != n {
					b.Fatalf("%d files listed, want %d", tt.Files, n)
				}
				m.Close()
				heaps[i] = used
				b.ReportMetric(used/float64(n), "heap-B/file")
			}
		})
	}
	slope(b, "queued", sizes, heaps)
}

// BenchmarkResumeQueuedHeap lists and resumes a queue left by a crash with
// every file still queued, as the next launch does, and reports the heap the
// listing holds and the Manager keeps once resumed, per file, with the time
// each takes.
func BenchmarkResumeQueuedHeap(b *testing.B) {
	tg := Target{Endpoint: silentServer(b), Bucket: "bench", Credentials: staticCreds{"id", "secret", ""}}
	sizes := queuedSizes(b)
	var listed, resumed [2]float64
	for i, n := range sizes {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			tree := benchTree(b, n)
			state := b.TempDir()
			m, err := NewManager(Config{Target: tg, Options: DefaultOptions(), StateDir: state})
			if err != nil {
				b.Fatal(err)
			}
			m.Add([]string{tree}, "")
			waitWalked(b, m, 10*time.Minute)
			m.Close()
			for range b.N {
				base := heapInuse()
				heap := testkit.StartHeapSampler(5 * time.Millisecond)
				start := time.Now()
				items, err := ListUnfinished(state)
				if err != nil {
					b.Fatal(err)
				}
				listTime := time.Since(start)
				peak := heap.Stop()
				listed[i] = float64(heapInuse()) - float64(base)
				if p := os.Getenv("OSSDROP_BENCH_HEAPPROFILE"); p != "" {
					writeHeapProfile(b, fmt.Sprintf("%s.listed.%d", p, n))
				}
				m, err := NewManager(Config{Target: tg, Options: DefaultOptions(), StateDir: state})
				if err != nil {
					b.Fatal(err)
				}
				start = time.Now()
				m.ResumeUnfinished(items)
				resumeTime := time.Since(start)
				if len(items) < n {
					b.Fatalf("%d unfinished listed, want %d", len(items), n)
				}
				items = nil
				resumed[i] = float64(heapInuse()) - float64(base)
				if p := os.Getenv("OSSDROP_BENCH_HEAPPROFILE"); p != "" {
					writeHeapProfile(b, fmt.Sprintf("%s.resumed.%d", p, n))
				}
				if tt := m.Totals(); tt.Files != n {
					b.Fatalf("%d files resumed, want %d", tt.Files, n)
				}
				start = time.Now()
				m.Close() // quitting with the resumed queue unfinished
				b.ReportMetric(time.Since(start).Seconds(), "close-s")
				b.ReportMetric(listed[i]/float64(n), "list-B/file")
				b.ReportMetric((float64(peak)-float64(base))/float64(n), "list-peak-B/file")
				b.ReportMetric(resumed[i]/float64(n), "resumed-B/file")
				b.ReportMetric(float64(listTime.Microseconds())/float64(n), "list-µs/file")
				b.ReportMetric(float64(resumeTime.Microseconds())/float64(n), "resume-µs/file")
			}
		})
	}
	slope(b, "listed", sizes, listed)
	slope(b, "resumed", sizes, resumed)
}
