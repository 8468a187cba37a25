package transfer

import (
	"os"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"
)

// viewDrop is a Manager receiving a large drop in walk-sized batches while
// uploads start and finish among the tasks already listed, driven by hand
// under m.mu so nothing runs on its own: only the cost of following it is
// measured.
type viewDrop struct {
	m       *Manager
	movers  []*task // tasks "uploading", oldest first
	next    int     // index in m.tasks of the next task to start
	running int     // how many tasks upload at once
}

func newViewDrop(tb testing.TB, running int) *viewDrop {
	tb.Helper()
	tg := Target{Endpoint: "http://127.0.0.1:1", Bucket: "bench", Credentials: staticCreds{"id", "secret", ""}}
	m, err := NewManager(Config{Target: tg, Options: DefaultOptions(), StateDir: tb.TempDir()})
	if err != nil {
		tb.Fatal(err)
	}
	d := &viewDrop{m: m, running: running}
	tb.Cleanup(func() {
		d.m.mu.Lock()
		for len(d.movers) > 0 {
			d.finishLocked()
		}
		d.m.mu.Unlock()
		d.m.Close()
	})
	return d
}

// addLocked lists n more files, as a walk admits a batch.
func (d *viewDrop) addLocked(n int) {
	m := d.m
	for range n {
		i := len(m.tasks)
		dir := "/drop/d" + strconv.Itoa(i/1000)
		name := "f" + strconv.Itoa(i) + ".jpg"
		m.newTaskLocked(dir+"/"+name, "d"+strconv.Itoa(i/1000)+"/"+name, m.tgt, 1000, "")
	}
}

// startLocked puts the next queued task to work as a worker would: it gets a
// running part and an active state, so every view reports it each time.
func (d *viewDrop) startLocked() bool {
	m := d.m
	if d.next >= len(m.tasks) {
		return false
	}
	t := m.tasks[d.next]
	d.next++
	t.rt = &running{cancel: func(error) {}}
	if m.runSet == nil {
		m.runSet = map[TaskID]*task{}
	}
	m.runSet[t.id] = t
	m.setStateLocked(t, Uploading)
	d.movers = append(d.movers, t)
	return true
}

// finishLocked ends the oldest upload.
func (d *viewDrop) finishLocked() {
	t := d.movers[0]
	d.movers = d.movers[1:]
	delete(d.m.runSet, t.id)
	t.rt = nil
	d.m.setStateLocked(t, Done)
}

// stepLocked finishes `done` uploads and keeps `running` going.
func (d *viewDrop) stepLocked(done int) {
	for range done {
		if len(d.movers) == 0 {
			break
		}
		d.finishLocked()
	}
	for len(d.movers) < d.running && d.startLocked() {
	}
}

// BenchmarkChangesLargeDrop follows a drop of OSSDROP_BENCH_DROP files
// (default 500,000) listed in batches of 2,000 while 8 uploads run and 20
// finish per batch, reading Changes in pieces of 10,000 after every five
// batches, as the window's refresh loop does while a drop arrives, then
// until caught up. It reports the time spent in Changes per task (one
// goroutine, no contention: the time the lock is held), the CPU time of
// those calls (Linux: the thread's, counted in scheduler ticks, robust to
// a busy machine), the longest call in wall and CPU time (a call that
// meets the garbage collector is the longest) and the median call.
func BenchmarkChangesLargeDrop(b *testing.B) {
	n := 500_000
	if s := os.Getenv("OSSDROP_BENCH_DROP"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("OSSDROP_BENCH_DROP=%q: %v", s, err)
		}
		n = v
	}
	const batch, perRead, limit = 2_000, 5, 10_000
	for range b.N {
		b.StopTimer()
		d := newViewDrop(b, 8)
		m := d.m
		var cur Cursor
		var c Changes
		var spent, longest, cpu, cpuLongest time.Duration
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		calls := 0
		var holds []time.Duration
		state := make(map[TaskID]State, n)
		read := func() {
			c0, _ := threadCPU()
			t0 := time.Now()
			m.Changes(&cur, &c, limit)
			dt := time.Since(t0)
			c1, _ := threadCPU()
			cpu += c1 - c0
			cpuLongest = max(cpuLongest, c1-c0)
			spent += dt
			longest = max(longest, dt)
			holds = append(holds, dt)
			calls++
			for i := range c.Tasks {
				state[c.Tasks[i].ID] = c.Tasks[i].State
			}
		}
		b.StartTimer()
		for added := 0; added < n; {
			for range perRead {
				k := min(batch, n-added)
				m.mu.Lock()
				d.addLocked(k)
				d.stepLocked(20)
				m.mu.Unlock()
				added += k
			}
			read()
		}
		for read(); c.More; read() {
		}
		b.StopTimer()
		m.mu.Lock()
		if len(state) != len(m.tasks) {
			b.Fatalf("%d tasks reported, %d listed", len(state), len(m.tasks))
		}
		for _, t := range m.tasks {
			if state[t.id] != t.state {
				b.Fatalf("task %d reported %v, is %v", t.id, state[t.id], t.state)
			}
		}
		m.mu.Unlock()
		b.ReportMetric(float64(spent.Microseconds())/float64(n), "changes-µs/task")
		if _, ok := threadCPU(); ok {
			b.ReportMetric(float64(cpu.Microseconds())/float64(n), "changes-cpu-µs/task")
			b.ReportMetric(float64(cpuLongest.Microseconds())/1000, "max-hold-cpu-ms")
		}
		b.ReportMetric(float64(longest.Microseconds())/1000, "max-hold-ms")
		slices.Sort(holds)
		b.ReportMetric(float64(holds[len(holds)/2].Microseconds())/1000, "median-hold-ms")
		b.ReportMetric(float64(calls), "calls")
		b.Logf("%d files: %d Changes calls, %v in Changes (CPU %v), longest %v", n, calls, spent, cpu, longest)
	}
}
