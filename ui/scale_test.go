package ui

import (
	"fmt"
	"os"
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

// newScaleWindow is a window over n generated tasks, none listed yet.
func newScaleWindow(b testing.TB, n int) (*Window, *genBackend) {
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

// TestLargeDropIsListedInSlices follows one large read from the Backend
// through the UI callbacks the refresh loop posts: each merges at most
// rowsPerSlice rows; the list (the rows it laid out) and the All tab
// follow the slices once the read ran listEvery, then at most every
// listEvery, while the view is every row in add order; a searched and
// sorted view is rebuilt once, at the last slice, showing what an
// all-at-once apply shows.
func TestLargeDropIsListedInSlices(t *testing.T) {
	const n = 3*rowsPerSlice + 500
	// slices runs the callbacks of one read, the window's clock moving
	// step before each.
	slices := func(w *Window, step time.Duration) (counts []int) {
		at := time.Now()
		w.now = func() time.Time { return at }
		w.be.Changes(&w.cur, &w.chg, changesPerApply)
		if len(w.chg.Tasks) != n || w.chg.More {
			t.Fatalf("read %d tasks (more %v), want all %d at once", len(w.chg.Tasks), w.chg.More, n)
		}
		done := make(chan struct{}, 1)
		w.do(func() { w.applySlices(&w.chg, transfer.Totals{}, 0, done) })
		l := loopOf(w)
		prev := w.model.len()
		for len(done) == 0 {
			f := l.pop()
			if f == nil {
				t.Fatal("the slices stopped before the last one")
			}
			at = at.Add(step)
			f()
			if got := w.model.len() - prev; got > rowsPerSlice {
				t.Fatalf("one callback merged %d rows, want at most %d", got, rowsPerSlice)
			}
			prev = w.model.len()
			counts = append(counts, w.list.shown)
		}
		if f := l.pop(); f != nil {
			t.Fatal("a callback was posted after the last slice")
		}
		return counts
	}

	for _, c := range []struct {
		step time.Duration
		want []int
	}{
		{listEvery, []int{0, 2 * rowsPerSlice, 3 * rowsPerSlice, n}},
		{listEvery * 2 / 3, []int{0, 0, 3 * rowsPerSlice, n}},
		{listEvery / 10, []int{0, 0, 0, n}},
	} {
		w, _ := newScaleWindow(t, n)
		if got := slices(w, c.step); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("%s between slices: rows listed after each callback %v, want %v", c.step, got, c.want)
		}
		if c := w.vbar.counts[filterAll]; c != n {
			t.Fatalf("All tab counts %d, want %d", c, n)
		}
	}

	// The same drop with a search and an order chosen first, against a
	// window that applies it at once.
	ids := func(w *Window) []transfer.TaskID {
		out := make([]transfer.TaskID, w.list.count())
		for i := range out {
			out[i] = w.list.idAt(i)
		}
		return out
	}
	pick := func(w *Window) {
		w.vbar.sort.SetSelected(sortLabels()[sortName])
		w.vbar.search.SetText("_0001")
	}
	sliced, _ := newScaleWindow(t, n)
	pick(sliced)
	got := slices(sliced, listEvery)
	if fmt.Sprint(got) != fmt.Sprint([]int{0, 0, 0, len(ids(sliced))}) {
		t.Fatalf("searched list after each callback %v, want it rebuilt at the last only", got)
	}
	whole, _ := newScaleWindow(t, n)
	pick(whole)
	whole.sync()
	if a, b := ids(sliced), ids(whole); len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("sliced apply shows %v, all at once %v", a, b)
	}
	if sliced.vbar.counts != whole.vbar.counts {
		t.Fatalf("tabs %v, all at once %v", sliced.vbar.counts, whole.vbar.counts)
	}
}

// uiCosts are the UI goroutine's callbacks while rows are listed.
type uiCosts struct {
	calls         int
	worst, sum    time.Duration // wall time of one callback, of all
	worstCPU, cpu time.Duration // CPU time of one callback, of all
	read          time.Duration // CPU time reading the Backend (off the UI goroutine)
}

// step reads one piece from the Backend and applies it as the refresh loop
// does, slice by slice, running each callback the window posts (it posts
// the next slice itself) and timing it. The caller locks its OS thread.
func (u *uiCosts) step(w *Window, changes func(), totals transfer.Totals) {
	c0 := threadCPU()
	changes()
	u.read += threadCPU() - c0
	done := make(chan struct{}, 1)
	w.do(func() { w.applySlices(&w.chg, totals, 0, done) })
	l := loopOf(w)
	for len(done) == 0 {
		f := l.pop()
		t0, c0 := time.Now(), threadCPU()
		f()
		d, c := time.Since(t0), threadCPU()-c0
		u.calls++
		u.worst, u.sum = max(u.worst, d), u.sum+d
		u.worstCPU, u.cpu = max(u.worstCPU, c), u.cpu+c
	}
}

func (u *uiCosts) report(b *testing.B, n int) {
	b.ReportMetric(float64(u.worst.Microseconds())/1000, "ms-callback-max")
	b.ReportMetric(float64(u.worstCPU.Microseconds())/1000, "cpu-ms-callback-max")
	b.ReportMetric(float64(u.sum.Microseconds())/1000/float64(max(u.calls, 1)), "ms-callback-mean")
	b.ReportMetric(float64(u.cpu.Nanoseconds())/float64(n), "cpu-ns-ui/file")
	b.ReportMetric(float64(u.read.Nanoseconds())/float64(n), "cpu-ns-read/file")
}

// BenchmarkWindowHeap lists n queued files in a window and reports the heap
// the window holds for them, per file, beyond what the empty window holds
// (the engine's own memory is left out: the tasks come from a formula), the
// longest and mean UI callback while listing (each a slice of rows; the heap
// sampler's stop-the-world reads add to the longest), the UI goroutine's CPU
// time per file (the window's own share; reading the formula backend is
// reported apart) and the time to list them all. Compare the per-file
// figures at both sizes: they should not grow.
func BenchmarkWindowHeap(b *testing.B) {
	for _, n := range []int{100_000, 500_000} {
		b.Run("files="+strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				w, g := newScaleWindow(b, n)
				before := heapNow() // the empty window's own heap is not per file
				peak := testkit.StartHeapSampler(20 * time.Millisecond)
				start := time.Now()
				var u uiCosts
				runtime.LockOSThread()
				for w.list.count() < n {
					u.step(w, func() { w.be.Changes(&w.cur, &w.chg, changesPerApply) }, g.Totals())
				}
				listed := time.Since(start)
				// The next tick, which finds the drop listed.
				u.step(w, func() { w.be.Changes(&w.cur, &w.chg, changesPerApply) }, g.Totals())
				runtime.UnlockOSThread()
				top := peak.Stop()
				live := heapNow()
				b.ReportMetric(float64(live-min(before, live))/float64(n), "B/file-live")
				b.ReportMetric(float64(top-min(before, top))/float64(n), "B/file-peak")
				u.report(b, n)
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
// durable queue; the window cannot list faster), and the window's share
// apart: its UI callbacks (longest, CPU per file) and its reads of the
// Manager (CPU per file, off the UI goroutine but under the Manager's
// lock). n comes from OSSDROP_BENCH_FILES (default 100000); the tree is
// made as testkit.PhotoTree says.
func BenchmarkManagerWindowHeap(b *testing.B) {
	n := 100_000
	if s := os.Getenv("OSSDROP_BENCH_FILES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := testkit.PhotoTree(b, n)
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
		var engine time.Duration
		var u uiCosts
		runtime.LockOSThread()
		read := func() {
			// The read that lists the last row starts once the engine
			// holds every task.
			if engine == 0 && m.Len() >= n {
				engine = time.Since(start)
			}
			m.Changes(&w.cur, &w.chg, changesPerApply)
		}
		for w.list.count() < n {
			u.step(w, read, m.Totals())
			if !w.chg.More {
				time.Sleep(20 * time.Millisecond)
			}
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("only %d of %d rows after 5 minutes", w.list.count(), n)
			}
		}
		listed := time.Since(start)
		// The next tick, which finds the drop listed.
		u.step(w, func() { m.Changes(&w.cur, &w.chg, changesPerApply) }, m.Totals())
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
		u.report(b, n)
		b.ReportMetric(listed.Seconds(), "s-to-list")
		b.ReportMetric(engine.Seconds(), "s-engine-holds-all")
		b.ReportMetric(float64(changes.Microseconds())/1000/ticks, "cpu-ms-changes-per-tick")
		b.ReportMetric(float64(totals.Microseconds())/1000/ticks, "cpu-ms-totals-per-tick")
		m.PauseAll()
		w.win.Close()
		runtime.KeepAlive(m)
	}
}

// TestDropSumsPaintedWithTheList: while a drop is read in pieces, the
// summary line, the overall bar and the title change only when the list
// does (each change on screen is a frame of the whole window), and show
// every row once the window has caught up.
func TestDropSumsPaintedWithTheList(t *testing.T) {
	const n = 2*changesPerApply + 500
	w, _ := newScaleWindow(t, n)
	at := time.Now()
	w.now = func() time.Time { return at }
	read := func() (more bool) {
		w.be.Changes(&w.cur, &w.chg, changesPerApply)
		more = w.chg.More
		done := make(chan struct{}, 1)
		w.do(func() { w.applySlices(&w.chg, transfer.Totals{}, 0, done) })
		l := loopOf(w)
		for len(done) == 0 {
			f := l.pop()
			if f == nil {
				t.Fatal("the slices stopped before the last one")
			}
			at = at.Add(listEvery / 50)
			f()
		}
		return more
	}
	if !read() {
		t.Fatal("the first read took every row")
	}
	first := w.summary.Text
	if first != batchText(w.batchT) {
		t.Fatalf("after the first piece the summary says %q, its sums %q", first, batchText(w.batchT))
	}
	if !read() {
		t.Fatal("the second read took every row")
	}
	if w.summary.Text != first || w.list.shown != changesPerApply {
		t.Fatalf("between list refreshes: summary %q (was %q), list %d rows", w.summary.Text, first, w.list.shown)
	}
	if batchText(w.batchT) == first {
		t.Fatalf("the second piece changed no sums: %q", first)
	}
	if read() {
		t.Fatal("the last read says more is to come")
	}
	if w.summary.Text != batchText(w.batchT) || w.list.shown != n {
		t.Fatalf("caught up: summary %q, sums %q, list %d rows", w.summary.Text, batchText(w.batchT), w.list.shown)
	}
}
