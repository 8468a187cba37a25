package benchcmp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/ossemu"
)

// Every client runs in its own child process (this test binary, re-run as
// TestHelperClient), so its CPU time, peak RSS and heap are its own; the
// server and the shaping proxy run in the parent.

// scenario is one workload.
type scenario struct {
	name   string
	files  int
	size   int64 // bytes per file
	perDir int   // > 0: a tree with this many files per directory
	shaped bool  // through the long link
	reps   int   // repetitions unless OSSDROP_BENCH_REPS says otherwise
}

var scenarios = []scenario{
	{name: "1GiB", files: 1, size: 1 << 30, reps: 3},
	{name: "2000x64KiB", files: 2000, size: 64 << 10, reps: 3},
	{name: "20000x4KiB", files: 20000, size: 4 << 10, perDir: 100, reps: 3},
	// Round trips dominate here; each run of a peer takes minutes.
	{name: "2000x64KiB-20ms-200Mbit", files: 2000, size: 64 << 10, shaped: true, reps: 1},
	{name: "20000x4KiB-20ms-200Mbit", files: 20000, size: 4 << 10, perDir: 100, shaped: true, reps: 1},
}

// The long link: 20 ms each way, 200 Mbit/s each way.
var longLink = testkit.Link{Delay: 20 * time.Millisecond, Rate: 200e6 / 8}

const (
	benchPart     = 8 << 20 // part size for every tool
	benchParallel = 4       // parts in flight per file
	benchJobs     = 3       // files in flight for the SDKs, as ossutil does
)

// result is what a child reports.
type result struct {
	Wall     time.Duration
	CPU      time.Duration // user + system, client only
	PeakRSS  uint64
	PeakHeap uint64
	Err      string

	PeakRequests int64 // requests in progress at the server at once (set by the parent)
}

// inFlight counts the requests the handler is serving at once, and the peak.
type inFlight struct {
	h         http.Handler
	cur, peak atomic.Int64
}

func (f *inFlight) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := f.cur.Add(1)
	defer f.cur.Add(-1)
	for p := f.peak.Load(); n > p && !f.peak.CompareAndSwap(p, n); p = f.peak.Load() {
	}
	f.h.ServeHTTP(w, r)
}

const jobEnv = "OSSDROP_BENCHCMP_JOB"

// profileEnv names a directory: each client then writes its CPU profile there
// (ossdrop.cpu.pprof, …; the last run of each tool wins), since the parent's
// -cpuprofile sees only the server.
const profileEnv = "OSSDROP_BENCHCMP_CPUPROFILE"
const resultMark = "BENCHCMP-RESULT "

// TestHelperClient is the child process: it runs one job and prints its result.
func TestHelperClient(t *testing.T) {
	spec := os.Getenv(jobEnv)
	if spec == "" {
		t.Skip("child process of the comparison benchmarks only")
	}
	var j job
	if err := json.Unmarshal([]byte(spec), &j); err != nil {
		t.Fatalf("%s: %v", jobEnv, err)
	}
	if dir := os.Getenv(profileEnv); dir != "" {
		// A CPU profile of this client alone, named after the tool.
		f, err := os.Create(filepath.Join(dir, j.Tool+".cpu.pprof"))
		if err != nil {
			t.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			t.Fatal(err)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	heap := testkit.StartHeapSampler(20 * time.Millisecond)
	cpu0, start := testkit.CPUTime(), time.Now()
	err := j.run(t.Context())
	r := result{Wall: time.Since(start), CPU: testkit.CPUTime() - cpu0}
	r.PeakHeap, r.PeakRSS = heap.Stop(), testkit.PeakRSS()
	if err != nil {
		r.Err = err.Error()
	}
	out, _ := json.Marshal(r)
	fmt.Printf("%s%s\n", resultMark, out)
}

func runChild(b *testing.B, j job) result {
	b.Helper()
	spec, _ := json.Marshal(j)
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^TestHelperClient$", "-test.count=1")
	cmd.Env = append(os.Environ(), jobEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	for line := range strings.Lines(string(out)) {
		if rest, ok := strings.CutPrefix(line, resultMark); ok {
			var r result
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				b.Fatalf("%s: result %q: %v", j.Tool, rest, err)
			}
			if r.Err != "" {
				b.Fatalf("%s: %s", j.Tool, r.Err)
			}
			return r
		}
	}
	b.Fatalf("%s: no result (%v); output:\n%s", j.Tool, err, out)
	return result{}
}

// benchTools is the tools to run: all, or those OSSDROP_BENCH_TOOLS names
// (comma-separated; ossdrop always runs, as the base of the ratios).
func benchTools(b *testing.B) []string {
	v := os.Getenv("OSSDROP_BENCH_TOOLS")
	if v == "" {
		return tools
	}
	out := []string{toolOssdrop}
	for _, t := range strings.Split(v, ",") {
		if !slices.Contains(tools, t) {
			b.Fatalf("OSSDROP_BENCH_TOOLS: %q is not one of %v", t, tools)
		}
		if t != toolOssdrop {
			out = append(out, t)
		}
	}
	return out
}

func requireBench(b *testing.B) {
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		b.Skip("runs only with -bench")
	}
}

func reps(b *testing.B, def int) int {
	v := os.Getenv("OSSDROP_BENCH_REPS")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		b.Fatalf("OSSDROP_BENCH_REPS=%q: want a positive integer", v)
	}
	return n
}

// BenchmarkCompare runs every scenario; select one with e.g.
// -bench 'Compare/2000x64KiB$'.
func BenchmarkCompare(b *testing.B) {
	requireBench(b)
	for _, sc := range scenarios {
		b.Run(sc.name, func(b *testing.B) { compare(b, sc) })
	}
}

func compare(b *testing.B, sc scenario) {
	srv, err := ossemu.NewServer(ossemu.Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	// The clients reach the server through a counter of requests in flight.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	count := &inFlight{h: srv}
	hs := &http.Server{Handler: count, ReadHeaderTimeout: time.Minute}
	go hs.Serve(ln)
	b.Cleanup(func() { hs.Close() })
	endpoint := "http://" + ln.Addr().String()
	if sc.shaped {
		p, err := testkit.NewProxy(ln.Addr().String(), longLink)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		endpoint = "http://" + p.Addr
	}

	// The data: one file, or a directory of files.
	data := b.TempDir()
	src := filepath.Join(data, "src")
	if sc.files == 1 {
		src = filepath.Join(data, "big.bin")
		testkit.WriteRandomFile(b, src, sc.size, 1)
	} else {
		testkit.WriteRandomFiles(b, src, sc.files, int(sc.size), sc.perDir, 1)
	}
	total := int64(sc.files) * sc.size

	runs := map[string][]result{}
	n := reps(b, sc.reps)
	for rep := range n {
		tools := benchTools(b)
		for i := range tools {
			// Rotate the order so no tool always runs first (cold caches) or last.
			tool := tools[(i+rep)%len(tools)]
			j := job{
				Tool: tool, Endpoint: endpoint, ID: srv.AccessKeyID, Secret: srv.AccessKeySecret,
				Bucket: srv.Bucket(), Src: src, Prefix: fmt.Sprintf("r%d/%s", rep, tool), Files: sc.files,
				PartSize: benchPart, Parallel: benchParallel, Jobs: benchJobs,
				Matched: sc.files == 1, StateDir: b.TempDir(),
			}
			count.peak.Store(0)
			r := runChild(b, j)
			r.PeakRequests = count.peak.Load()
			checkStored(b, srv, j.Prefix+"/", sc.files, total)
			runs[tool] = append(runs[tool], r)
		}
	}
	report(b, sc, total, runs)
}

// checkStored fails unless the server holds files objects under prefix with
// total bytes between them: every tool must really have uploaded everything.
func checkStored(b *testing.B, srv *ossemu.Server, prefix string, files int, total int64) {
	var n int
	var sum int64
	for _, k := range srv.Keys(srv.Bucket()) {
		if strings.HasPrefix(k, prefix) {
			info, _ := srv.Object(srv.Bucket(), k)
			n++
			sum += info.Size
		}
	}
	if n != files || sum != total {
		b.Fatalf("under %q: %d objects, %d bytes; want %d, %d", prefix, n, sum, files, total)
	}
}

func median(rs []result, f func(result) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func maxOf(rs []result, f func(result) uint64) float64 {
	var m uint64
	for _, r := range rs {
		m = max(m, f(r))
	}
	return float64(m)
}

// report prints one table per scenario and records ratios as metrics:
// ratio = peer ÷ ossdrop, so above 1 means ossdrop is faster or leaner. RSS,
// heap and requests in flight are the highest seen over the runs.
func report(b *testing.B, sc scenario, total int64, runs map[string][]result) {
	wall := func(r result) float64 { return r.Wall.Seconds() }
	cpu := func(r result) float64 { return r.CPU.Seconds() }
	gib := float64(total) / (1 << 30)
	base := runs[toolOssdrop]
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	fmt.Fprintf(w, "\n%s: %d run(s) each, interleaved; medians; ratio = peer ÷ ossdrop\n", sc.name, len(base))
	fmt.Fprintf(w, "  %-16s %9s %9s %11s %10s %10s %8s %11s %10s\n", "tool", "wall s", "cpu s", "cpu s/GiB", "rss MiB", "heap MiB", "max req", "wall ratio", "cpu ratio")
	for _, tool := range tools {
		rs := runs[tool]
		if len(rs) == 0 {
			continue // left out by OSSDROP_BENCH_TOOLS
		}
		wr, cr := median(rs, wall)/median(base, wall), median(rs, cpu)/median(base, cpu)
		fmt.Fprintf(w, "  %-16s %9.2f %9.2f %11.2f %10.1f %10.1f %8.0f %11.2f %10.2f\n", tool,
			median(rs, wall), median(rs, cpu), median(rs, cpu)/gib,
			maxOf(rs, func(r result) uint64 { return r.PeakRSS })/(1<<20),
			maxOf(rs, func(r result) uint64 { return r.PeakHeap })/(1<<20),
			maxOf(rs, func(r result) uint64 { return uint64(r.PeakRequests) }), wr, cr)
		short := strings.SplitN(tool, "-", 2)[0]
		if tool == toolOssdrop {
			b.ReportMetric(median(rs, wall), "wall-s")
			b.ReportMetric(median(rs, cpu)/gib, "cpu-s/GiB")
			b.ReportMetric(maxOf(rs, func(r result) uint64 { return r.PeakRSS })/(1<<20), "peak-rss-MiB")
			b.ReportMetric(maxOf(rs, func(r result) uint64 { return uint64(r.PeakRequests) }), "max-requests")
			continue
		}
		b.ReportMetric(wr, short+"-wall-ratio")
		b.ReportMetric(cr, short+"-cpu-ratio")
	}
	w.Flush()
	fmt.Print(buf.String())
}
