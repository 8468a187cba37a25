package transfer

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// BenchmarkAdmit times what a walk does per file once it holds the file's
// path, key and size: name it (qid), check it is not queued already, and
// admit it (key check, task, tables), under the Manager's lock as walker.flush
// does, without the walk and the durable queue's writes. Reports process CPU
// time per file, for OSSDROP_BENCH_FILES files (default 100,000) in folders of
// 1,000.
//
//	go test -run '^$' -bench Admit -benchtime 3x ./transfer/
func BenchmarkAdmit(b *testing.B) {
	const perDir = 1_000
	n := 100_000
	if s := os.Getenv("OSSDROP_BENCH_FILES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	paths, keys := make([]string, n), make([]string, n)
	for i := range n {
		keys[i] = fmt.Sprintf("photos/%04d/IMG_%07d.jpg", i/perDir, i)
		paths[i] = "/home/user/Pictures/" + keys[i]
	}
	var cpu time.Duration
	for range b.N {
		tgt := Target{Endpoint: "http://127.0.0.1:9", Bucket: "bench", Credentials: staticCreds{"a", "b", ""}}
		m, err := NewManager(Config{Target: tgt, Options: Options{Jobs: 1, EnableCheckpoint: true}, StateDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		m.PauseAll()
		runtime.GC()
		c0 := testkit.CPUTime()
		m.mu.Lock()
		for i := range n {
			qid := qidFor(m.tgt, keys[i], paths[i])
			if m.duplicateQIDLocked(qid) != nil {
				b.Fatalf("%s queued twice", paths[i])
			}
			m.admitLocked(paths[i], keys[i], qid, m.tgt, nil, 256, "/cp", true)
		}
		m.mu.Unlock()
		cpu += testkit.CPUTime() - c0
		if m.Len() != n {
			b.Fatalf("%d tasks, want %d", m.Len(), n)
		}
		m.Close()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n*b.N), "cpu-ns/file")
}
