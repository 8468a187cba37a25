//go:build unix

package transfer

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// BenchmarkWalkTree times only the walk of an existing tree (testkit.PhotoTree,
// kept between runs in OSSDROP_BENCH_TREE; OSSDROP_BENCH_FILES sets its size,
// default 100,000): "survey" is the folder walk alone, "queue" is the walk
// into a paused Manager's durable queue until every file is held. All report
// wall and process CPU time per file, the figure that matters on a busy machine.
// "queue" lists files as a window does, their sizes read after the last file
// is listed (not timed); "queue-sized" reads each size as it walks, as the
// command line does.
//
//	OSSDROP_BENCH_TREE=/tmp/tree go test -run '^$' -bench WalkTree -benchtime 3x ./transfer/
func BenchmarkWalkTree(b *testing.B) {
	n := 100_000
	if s := os.Getenv("OSSDROP_BENCH_FILES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := testkit.PhotoTree(b, n)
	report := func(b *testing.B, wall, cpu time.Duration) {
		b.ReportMetric(float64(wall.Nanoseconds())/1e3/float64(n*b.N), "µs/file")
		b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(n*b.N), "cpu-µs/file")
	}
	b.Run("survey", func(b *testing.B) {
		var wall, cpu time.Duration
		for range b.N {
			runtime.GC()
			c0, t0 := testkit.CPUTime(), time.Now()
			s, err := Survey(context.Background(), []string{dir})
			wall, cpu = wall+time.Since(t0), cpu+testkit.CPUTime()-c0
			if err != nil || s.Files != n || s.Problems != 0 {
				b.Fatalf("survey %+v, %v; want %d files", s, err, n)
			}
		}
		report(b, wall, cpu)
	})
	for _, sizeFirst := range []bool{false, true} {
		name := "queue"
		if sizeFirst {
			name = "queue-sized"
		}
		b.Run(name, func(b *testing.B) {
			var wall, cpu time.Duration
			for range b.N {
				// Nothing listens there and the Manager is paused: every file stays queued.
				tgt := Target{Endpoint: "http://127.0.0.1:9", Bucket: "bench", Credentials: staticCreds{"a", "b", ""}}
				m, err := NewManager(Config{Target: tgt, Options: Options{Jobs: 1, EnableCheckpoint: true}, StateDir: b.TempDir(), SizeWhileWalking: sizeFirst})
				if err != nil {
					b.Fatal(err)
				}
				m.PauseAll()
				runtime.GC()
				c0, t0 := testkit.CPUTime(), time.Now()
				m.Add([]string{dir}, "")
				for m.Len() < n {
					time.Sleep(time.Millisecond)
				}
				wall, cpu = wall+time.Since(t0), cpu+testkit.CPUTime()-c0
				m.Close()
			}
			report(b, wall, cpu)
		})
	}
}
