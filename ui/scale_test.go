package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/transfer"
)

// genBackend is a queue of n files that exists only as a formula: it makes
// each task's snapshot when asked and stores none, so a benchmark over it
// weighs the window alone. The first few tasks upload, a fifth are done, a
// tenth failed, the rest wait.
type genBackend struct {
	*viewBackend
	n    int
	next int // tasks reported so far
	tick int64
}

func newGenBackend(n int) *genBackend {
	return &genBackend{viewBackend: newViewBackend(), n: n}
}

func (g *genBackend) snap(i int) transfer.TaskSnapshot {
	st := transfer.Queued
	switch {
	case i < 3:
		st = transfer.Uploading
	case i%5 == 1:
		st = transfer.Done
	case i%10 == 2:
		st = transfer.Failed
	}
	t := transfer.TaskSnapshot{ID: transfer.TaskID(i + 1),
		Path:   fmt.Sprintf("/home/ana/photos/2026/d%03d/IMG_%06d.jpg", i/1000, i),
		Key:    fmt.Sprintf("trip/2026/d%03d/IMG_%06d.jpg", i/1000, i),
		Bucket: "media", Size: int64(i*997%100000 + 1), State: st, Version: 1}
	if st == transfer.Done {
		t.Done, t.Sent = t.Size, t.Size
	}
	if st == transfer.Uploading {
		t.Size = 1 << 30
		t.Sent = min(g.tick*100_000, t.Size)
		t.Version = uint64(g.tick + 1)
	}
	return t
}

// Changes reports the uploading tasks every time, as the Manager does, and
// the rest once, at most limit at a time.
func (g *genBackend) Changes(_ *transfer.Cursor, c *transfer.Changes, limit int) {
	g.tick++
	c.Reset, c.More, c.Tasks, c.Removed = false, false, c.Tasks[:0], c.Removed[:0]
	for i := 0; i < min(3, g.next); i++ {
		c.Tasks = append(c.Tasks, g.snap(i))
	}
	for ; g.next < g.n; g.next++ {
		if limit > 0 && len(c.Tasks) >= limit {
			c.More = true
			break
		}
		c.Tasks = append(c.Tasks, g.snap(g.next))
	}
}

func (g *genBackend) Task(id transfer.TaskID) (transfer.TaskSnapshot, bool) {
	if id < 1 || int(id) > g.next {
		return transfer.TaskSnapshot{}, false
	}
	return g.snap(int(id) - 1), true
}

func (g *genBackend) Totals() transfer.Totals { return transfer.Totals{Files: g.next, Queued: g.next} }

// newScaleWindow is a window over n generated tasks, all listed.
func newScaleWindow(b *testing.B, n int) (*Window, *genBackend) {
	g := newGenBackend(n)
	a := test.NewTempApp(b)
	w := New(a, Config{Backend: g, Target: transfer.Target{Bucket: "media"}})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 640))
	b.Cleanup(w.win.Close)
	return w, g
}

func heapNow() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkWindowHeap lists n queued files in a window and reports the heap
// the window holds for them, per file, beyond what the empty window holds
// (the engine's own memory is left out: the tasks come from a formula), the
// longest and mean single apply (the UI goroutine's pauses while listing;
// the heap sampler's stop-the-world reads add to the longest) and the time
// to list them all. Compare the per-file figure at both sizes: it should
// not grow.
func BenchmarkWindowHeap(b *testing.B) {
	for _, n := range []int{100_000, 500_000} {
		b.Run("files="+strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				w, g := newScaleWindow(b, n)
				before := heapNow() // the empty window's own heap is not per file
				peak := testkit.StartHeapSampler(20 * time.Millisecond)
				start := time.Now()
				var worst, sum, worstCPU time.Duration
				applies := 0
				runtime.LockOSThread()
				for w.list.count() < n {
					w.be.Changes(&w.cur, &w.chg, changesPerApply)
					t0, c0 := time.Now(), threadCPU()
					w.apply(&w.chg, g.Totals())
					d := time.Since(t0)
					worst, sum, applies = max(worst, d), sum+d, applies+1
					worstCPU = max(worstCPU, threadCPU()-c0)
				}
				runtime.UnlockOSThread()
				listed := time.Since(start)
				top := peak.Stop()
				live := heapNow()
				b.ReportMetric(float64(live-min(before, live))/float64(n), "B/file-live")
				b.ReportMetric(float64(top-min(before, top))/float64(n), "B/file-peak")
				b.ReportMetric(float64(worst.Microseconds())/1000, "ms-apply-max")
				b.ReportMetric(float64(sum.Microseconds())/1000/float64(applies), "ms-apply-mean")
				b.ReportMetric(float64(worstCPU.Microseconds())/1000, "ms-apply-cpu-max")
				b.ReportMetric(listed.Seconds(), "s-to-list")
				runtime.KeepAlive(w)
			}
		})
	}
}

// BenchmarkManagerWindowHeap is the whole path: n files on disk dropped as a
// folder onto a window over a real Manager whose uploads crawl behind a
// bandwidth limit, so nearly all stay queued. It reports the heap per file
// of engine and window together once every row is listed, the time from the
// drop until then and until the engine held every task (the walk and the
// durable queue; the window cannot list faster). n comes from OSSDROP_BENCH_FILES (default 100000).
func BenchmarkManagerWindowHeap(b *testing.B) {
	n := 100_000
	if s := os.Getenv("OSSDROP_BENCH_FILES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := b.TempDir()
	for i := range n {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", i/1000))
		if i%1000 == 0 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("IMG_%06d.jpg", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for range b.N {
		srv := newServer(b)
		m := newManager(b, serverTarget(srv), b.TempDir(), func(o *transfer.Options) { o.LimitRate = 1 })
		a := test.NewTempApp(b)
		w := New(a, Config{Backend: m, Target: serverTarget(srv)})
		useLoop(w)
		w.win.Resize(fyne.NewSize(1000, 640))
		before := heapNow() // an empty window and Manager are not per file
		peak := testkit.StartHeapSampler(20 * time.Millisecond)
		start := time.Now()
		w.AddPaths([]string{dir})
		var worst, worstCPU, engine time.Duration
		runtime.LockOSThread()
		for w.list.count() < n {
			if engine == 0 && m.Len() >= n {
				engine = time.Since(start)
			}
			m.Changes(&w.cur, &w.chg, changesPerApply)
			tot := m.Totals()
			t0, c0 := time.Now(), threadCPU()
			w.apply(&w.chg, tot)
			worst = max(worst, time.Since(t0))
			worstCPU = max(worstCPU, threadCPU()-c0)
			if !w.chg.More {
				time.Sleep(20 * time.Millisecond)
			}
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("only %d of %d rows after 5 minutes", w.list.count(), n)
			}
		}
		runtime.UnlockOSThread()
		listed := time.Since(start)
		top := peak.Stop()
		live := heapNow()
		// A refresh tick's reads once all is listed (off the UI goroutine,
		// under the Manager's lock).
		// CPU time of this thread, as the machine may be busy.
		var changes, totals time.Duration
		const ticks = 10
		runtime.LockOSThread()
		for range ticks {
			t0 := threadCPU()
			m.Changes(&w.cur, &w.chg, changesPerApply)
			t1 := threadCPU()
			m.Totals()
			changes, totals = changes+t1-t0, totals+threadCPU()-t1
		}
		runtime.UnlockOSThread()
		b.ReportMetric(float64(live-min(before, live))/float64(n), "B/file-live")
		b.ReportMetric(float64(top-min(before, top))/float64(n), "B/file-peak")
		b.ReportMetric(float64(worst.Microseconds())/1000, "ms-apply-max")
		b.ReportMetric(float64(worstCPU.Microseconds())/1000, "ms-apply-cpu-max")
		b.ReportMetric(listed.Seconds(), "s-to-list")
		b.ReportMetric(engine.Seconds(), "s-engine-holds-all")
		b.ReportMetric(float64(changes.Microseconds())/1000/ticks, "cpu-ms-changes-per-tick")
		b.ReportMetric(float64(totals.Microseconds())/1000/ticks, "cpu-ms-totals-per-tick")
		m.PauseAll()
		w.win.Close()
		runtime.KeepAlive(m)
	}
}
