package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/ui"
)

// BenchmarkRealWindow20000Files opens the real window with a folder of 20,000
// files queued and reports: seconds until all 20,000 rows are in the list,
// the process's resident memory then and at the end, and the longest and
// 99th-percentile delay of the UI loop while uploads run (a no-op posted
// through fyne.Do every 5 ms; its delay is how long the window could not
// react). Run with OSSDROP_E2E=1: make bench.
func BenchmarkRealWindow20000Files(b *testing.B) {
	const n = 20000
	e := setup(b)
	dir := filepath.Join(b.TempDir(), "many")
	for i := 0; i < n; i++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%02d", i%50))
		if i < 50 {
			if err := os.MkdirAll(sub, 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("file-%05d.txt", i)), []byte(strconv.Itoa(i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i++ {
		probe := filepath.Join(b.TempDir(), "stalls.json")
		start := time.Now()
		a := e.launchEnv([]string{"OSSDROP_STALL_PROBE=" + probe}, "--prefix", fmt.Sprintf("bench%d/", i), "--resume", "never", dir)
		var rssReady int64
		deadline := time.Now().Add(5 * time.Minute)
		for e.srv.Requests("PutObject") < 200 {
			if time.Now().After(deadline) {
				b.Fatalf("uploads never got going")
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Let uploads run for a while, then stop.
		time.Sleep(10 * time.Second)
		rssReady = rss(a.cmd.Process.Pid)
		e.screenshot(fmt.Sprintf("bench-%d.png", i))
		uploaded := e.srv.Requests("PutObject")
		s := quitForStalls(b, a, probe)
		// From launching the process to the list holding every row.
		ready := time.Duration(-1)
		for _, r := range s.Rows {
			if r.Rows >= n {
				ready = s.Started.Add(r.After).Sub(start)
				break
			}
		}
		if ready < 0 {
			b.Fatalf("the list never showed %d rows: %+v", n, s.Rows)
		}
		b.ReportMetric(ready.Seconds(), "s-to-20000-rows")
		b.ReportMetric(float64(s.Max.Microseconds())/1000, "ms-max-stall")
		b.ReportMetric(float64(s.P99.Microseconds())/1000, "ms-p99-stall")
		b.ReportMetric(float64(rssReady)/(1<<20), "MiB-rss")
		b.ReportMetric(float64(uploaded), "files-uploaded")
		b.Logf("launch to %d rows: %s (window up after %s); UI loop stalls while uploading: max %s, p99 %s over %d samples; RSS %d MiB; %d files uploaded in ~10 s",
			n, ready, s.Started.Sub(start), s.Max, s.P99, s.Samples, rssReady>>20, uploaded)
	}
}

// rss is the resident set size of a process in bytes, from /proc.
func rss(pid int) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// BenchmarkRealWindowListing opens the real window, waits until it is idle,
// and hands it a folder of n files (OSSDROP_BENCH_FILES, default 500,000;
// OSSDROP_BENCH_TREE keeps the tree between runs, see testkit.PhotoTree) as
// "Open with ossdrop" does (the path a drop takes), against a server that
// holds every upload, so the files stay queued. It reports: seconds from the
// drop until the first upload reaches the server and until every row is in
// the list, the longest and 99th-percentile delay of the UI loop (a no-op
// posted through fyne.Do every 5 ms) from the drop until every row is in,
// the longest while the window was starting, the process's CPU
// seconds until every row was listed and until it settled, and its resident
// memory then. The CPU seconds are the figure a busy machine moves least.
func BenchmarkRealWindowListing(b *testing.B) {
	n := 500_000
	if s := os.Getenv("OSSDROP_BENCH_FILES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	e := setupWindow(b)
	dir := testkit.PhotoTree(b, n)
	// Every upload waits at the server: the queue stays as dropped. The
	// first upload's request to arrive is timed: a walk must start uploading
	// long before it has listed the whole folder.
	var firstUpload atomic.Int64
	isUpload := ossemu.MatchOp("PutObject", "InitiateMultipartUpload")
	defer e.srv.Inject(ossemu.Fault{Match: func(r *http.Request) bool {
		if !isUpload(r) {
			return false
		}
		firstUpload.CompareAndSwap(0, time.Now().UnixNano())
		return true
	}, Delay: time.Hour})()
	for i := 0; i < b.N; i++ {
		probe := filepath.Join(b.TempDir(), "stalls.json")
		a := e.launchEnv([]string{"OSSDROP_STALL_PROBE=" + probe}, "--resume", "never")
		pid := a.cmd.Process.Pid
		// ossdrop execs the window program, so the pid is the window's.
		// Nothing outside says when the window is idle or every row is
		// listed: wait until its CPU time stays flat, then read when the
		// rows arrived from the probe's report.
		settle := func() (time.Duration, int64) {
			deadline := time.Now().Add(10 * time.Minute)
			for last := time.Duration(-1); ; {
				time.Sleep(2 * time.Second)
				cpu := procCPU(pid)
				if cpu-last < 200*time.Millisecond {
					return cpu, rss(pid)
				}
				last = cpu
				if time.Now().After(deadline) {
					b.Fatalf("the window was still busy after 10 minutes")
				}
			}
		}
		settle()
		// The process's CPU time is sampled while it lists, so the CPU spent
		// until every row was in (what a busy machine cannot hide, unlike
		// the wall time) can be read off once the probe says when that was.
		samples := make(chan []cpuAt, 1)
		stopSampling := make(chan struct{})
		go func() {
			var got []cpuAt
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for {
				got = append(got, cpuAt{time.Now(), procCPU(pid)})
				select {
				case <-stopSampling:
					samples <- got
					return
				case <-tick.C:
				}
			}
		}()
		firstUpload.Store(0)
		dropped := time.Now()
		e.handOver(dir)
		cpu, rssAll := settle()
		close(stopSampling)
		cpuSamples := <-samples
		e.screenshot(fmt.Sprintf("listing-%d.png", i))
		s := quitForStalls(b, a, probe)
		drop := dropped.Sub(s.Started) // on the probe's clock
		listed := time.Duration(-1)
		for _, r := range s.Rows {
			if r.Rows >= n {
				listed = r.After - drop
				break
			}
		}
		if listed < 0 {
			b.Fatalf("the list never showed %d rows: %+v", n, s.Rows)
		}
		allAt := dropped.Add(listed)
		cpuListed := time.Duration(-1)
		for _, c := range cpuSamples {
			if !c.at.Before(allAt) {
				cpuListed = c.cpu - cpuSamples[0].cpu // from the drop
				break
			}
		}
		var worst, startup time.Duration
		var during []time.Duration
		for _, d := range s.Delays {
			switch {
			case d.After < drop:
				startup = max(startup, d.Took)
			case d.After <= drop+listed:
				worst = max(worst, d.Took)
				during = append(during, d.Took)
			}
		}
		slices.Sort(during)
		var p99 time.Duration
		if len(during) > 0 {
			p99 = during[len(during)*99/100]
		}
		started := time.Duration(-1)
		if ns := firstUpload.Load(); ns != 0 {
			started = time.Unix(0, ns).Sub(dropped)
		}
		b.ReportMetric(listed.Seconds(), "s-drop-to-all-rows")
		b.ReportMetric(started.Seconds(), "s-drop-to-first-upload")
		b.ReportMetric(float64(worst.Microseconds())/1000, "ms-max-stall-listing")
		b.ReportMetric(float64(p99.Microseconds())/1000, "ms-p99-stall-listing")
		b.ReportMetric(float64(startup.Microseconds())/1000, "ms-max-stall-startup")
		b.ReportMetric(float64(s.ApplyMax.Microseconds())/1000, "ms-window-callback-max")
		b.ReportMetric(cpu.Seconds(), "cpu-s-process")
		b.ReportMetric(cpuListed.Seconds(), "cpu-s-drop-to-all-rows")
		b.ReportMetric(float64(rssAll)/(1<<20), "MiB-rss")
		b.Logf("first upload %s and %d rows %s after the drop; UI loop while listing: longest delay %s, p99 %s (%d samples); while starting: %s; longest overall: %+v; the window's %d row callbacks took at most %s; process CPU %s (%s of it until every row was listed), RSS %d MiB",
			started, n, listed, worst, p99, len(during), startup, s.Longest[:min(5, len(s.Longest))], s.Applies, s.ApplyMax, cpu, cpuListed, rssAll>>20)
	}
}

// cpuAt is a process's CPU time read at a moment.
type cpuAt struct {
	at  time.Time
	cpu time.Duration
}

// procCPU is a process's user and system CPU time, from /proc.
func procCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// Fields after the command name (which may hold spaces) start at ")".
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	if len(f) < 13 {
		return -1
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// quitForStalls ends the window with SIGTERM, as a session logout would, and
// reads the stall probe's report it writes on the way out.
func quitForStalls(b *testing.B, a *app, probe string) ui.StallStats {
	b.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	select {
	case <-a.done:
	case <-time.After(60 * time.Second):
		b.Fatal("ossdrop did not quit on SIGTERM")
	}
	data, err := os.ReadFile(probe)
	if err != nil {
		b.Fatalf("no stall report: %v\n%s", err, a.log)
	}
	var s ui.StallStats
	if err := json.Unmarshal(data, &s); err != nil {
		b.Fatal(err)
	}
	return s
}
