//go:build unix

package transfer

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// The figures these give are in the README's performance table:
//   go test -run '^$' -bench 'ResumeHalf|Queue100k' -benchtime 3x ./transfer/

// BenchmarkResumeHalf resumes a 1 GiB upload with half its 1 MiB parts done and
// reports the time to the first new byte on the wire and to Done.
func BenchmarkResumeHalf(b *testing.B) {
	bs := startBenchServer(b)
	path, _ := bigFile(b)
	opts := Options{PartSize: 1 << 20, TaskNum: benchTaskNum, Jobs: 1, EnableCheckpoint: true}
	var first, total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		state := b.TempDir()
		m, _ := NewManager(Config{Target: bs.target(), Options: opts, StateDir: state})
		key := fmt.Sprintf("resume-%d.bin", i)
		id, _ := m.AddFile(path, key)
		for {
			ts, _ := m.Task(id)
			if ts.Done >= 512<<20 {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		m.Close()
		b.StartTimer()
		m, _ = NewManager(Config{Target: bs.target(), Options: opts, StateDir: state})
		start := time.Now()
		id, _ = m.AddFile(path, key)
		var ts TaskSnapshot
		gotFirst := false
		for {
			ts, _ = m.Task(id)
			if !gotFirst && (ts.Resumed && ts.Sent > ts.Done || ts.State.Finished()) {
				first += time.Since(start)
				gotFirst = true
			}
			if ts.State.Finished() {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		total += time.Since(start)
		m.Close()
		if ts.State != Done || !ts.Resumed {
			b.Fatalf("%+v", ts)
		}
	}
	b.ReportMetric(float64(first.Microseconds())/1000/float64(b.N), "ms-to-first-byte")
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-total")
}

// BenchmarkQueue100k walks a folder of 100,000 empty files into the queue (uploads
// held by a never-answering server) and reports the time and heap per queued file.
func BenchmarkQueue100k(b *testing.B) {
	const n = 100_000
	dir := filepath.Join(b.TempDir(), "many")
	for i := 0; i < n; i++ {
		d := filepath.Join(dir, fmt.Sprintf("d%02d", i%100))
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d", i)), nil, 0o644)
	}
	b.ResetTimer()
	var perFile float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		// Nothing listens there: the one running task fails and retries while the
		// rest stay queued, which is what is measured.
		tgt := Target{Endpoint: "http://127.0.0.1:9", Bucket: "bench", Credentials: staticCreds{"a", "b", ""}}
		m, err := NewManager(Config{Target: tgt, Options: Options{Jobs: 1, EnableCheckpoint: true}, StateDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		m.PauseAll()
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		b.StartTimer()
		m.Add([]string{dir}, "")
		for m.Len() < n {
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&after)
		perFile += float64(after.HeapAlloc-before.HeapAlloc) / n
		m.Close()
	}
	b.ReportMetric(perFile/float64(b.N), "heap-B/file")
}
