package ui

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
)

// BenchmarkTick20000 queues 20,000 files on a real Manager (uploading to
// ossemu) and measures one refresh tick: the snapshot taken off the UI
// goroutine (only what changed) and the work apply does on it, which is what can stall the
// window. It also reports the time until the list holds every row and the
// heap then. The real-window benchmark (ui/e2e) measures the frame loop itself.
func BenchmarkTick20000(b *testing.B) {
	const n = 20000
	dir := b.TempDir()
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%05d.txt", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	srv := newServer(b)
	m := newManager(b, serverTarget(srv), b.TempDir(), nil)
	a := test.NewTempApp(b)
	w := New(a, Config{Backend: m, Target: serverTarget(srv)})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 640))
	defer w.win.Close()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	w.AddPaths([]string{dir})
	for w.list.count() < n {
		w.sync()
		if time.Since(start) > 2*time.Minute {
			b.Fatalf("only %d rows after 2 minutes", w.list.count())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ready := time.Since(start)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	var snapTotal, applyTotal, applyMax time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		m.Changes(&w.cur, &w.chg, changesPerApply)
		tot := m.Totals()
		t1 := time.Now()
		w.apply(&w.chg, tot)
		d := time.Since(t1)
		snapTotal += t1.Sub(t0)
		applyTotal += d
		applyMax = max(applyMax, d)
	}
	b.StopTimer()
	b.ReportMetric(ready.Seconds(), "s-to-20000-rows")
	b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "MiB-heap")
	b.ReportMetric(float64(snapTotal.Microseconds())/float64(b.N), "µs-snapshot")
	b.ReportMetric(float64(applyTotal.Microseconds())/float64(b.N), "µs-apply")
	b.ReportMetric(float64(applyMax.Microseconds()), "µs-apply-max")
	m.PauseAll()
}
