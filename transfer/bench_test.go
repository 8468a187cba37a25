//go:build unix

package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/ossemu"
)

// The benchmarks compare ossdrop with the SDK's own Bucket.UploadFile at the same
// part size and parallelism. The server runs in a child process so the CPU figures
// (from getrusage) are the client's alone. Run with:
//   go test -run '^$' -bench . -benchtime 1x ./transfer/

type benchServer struct {
	URL, ID, Secret, Bucket string
	cmd                     *exec.Cmd
	stdin                   io.WriteCloser
}

// TestHelperBenchServer serves ossemu for the benchmarks in a separate process.
func TestHelperBenchServer(t *testing.T) {
	if os.Getenv("OSSDROP_BENCH_SERVER") == "" {
		t.Skip("helper process only")
	}
	s, err := ossemu.NewServer(ossemu.Options{Dir: os.Getenv("OSSDROP_BENCH_SERVER")})
	if err != nil {
		fmt.Println("ERR", err)
		os.Exit(1)
	}
	json.NewEncoder(os.Stdout).Encode(benchServer{URL: s.URL, ID: s.AccessKeyID, Secret: s.AccessKeySecret, Bucket: s.Bucket()})
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
	s.Close()
	os.Exit(0)
}

func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBenchServer$")
	cmd.Env = append(os.Environ(), "OSSDROP_BENCH_SERVER="+b.TempDir())
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var bs benchServer
	if err := json.NewDecoder(bufio.NewReader(out)).Decode(&bs); err != nil {
		b.Fatalf("bench server: %v", err)
	}
	bs.cmd, bs.stdin = cmd, stdin
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	return &bs
}

func (bs *benchServer) target() Target {
	return Target{Endpoint: bs.URL, Bucket: bs.Bucket, Credentials: staticCreds{bs.ID, bs.Secret, ""}}
}

func (bs *benchServer) sdkBucket(b *testing.B) *oss.Bucket {
	c, err := oss.New(bs.URL, bs.ID, bs.Secret)
	if err != nil {
		b.Fatal(err)
	}
	bk, _ := c.Bucket(bs.Bucket)
	return bk
}

// measure reports fn's CPU per GiB and the peak heap while it runs.
func measure(b *testing.B, bytes int64, fn func()) {
	heap := testkit.StartHeapSampler(20 * time.Millisecond)
	runtime.GC()
	b.ReportAllocs()
	b.SetBytes(bytes)
	b.ResetTimer()
	c0 := testkit.CPUTime()
	for i := 0; i < b.N; i++ {
		fn()
	}
	cpu := testkit.CPUTime() - c0
	b.StopTimer()
	peak := heap.Stop()
	gib := float64(bytes*int64(b.N)) / (1 << 30)
	b.ReportMetric(cpu.Seconds()/gib, "cpu-s/GiB")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

const benchPart = 8 << 20
const benchTaskNum = 4
const benchJobs = 3

func bigFile(b *testing.B) (string, int64) {
	p := filepath.Join(b.TempDir(), "big.bin")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	chunk := randBytes(8<<20, 77)
	for i := 0; i < 128; i++ { // 1 GiB
		chunk[0] = byte(i)
		f.Write(chunk)
	}
	f.Close()
	return p, 1 << 30
}

func BenchmarkUpload1GiB(b *testing.B) {
	bs := startBenchServer(b)
	path, size := bigFile(b)
	b.Run("ossdrop", func(b *testing.B) {
		measure(b, size, func() {
			m, err := NewManager(Config{Target: bs.target(), Options: Options{PartSize: benchPart, TaskNum: benchTaskNum, Jobs: 1, EnableCheckpoint: true}, StateDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			id, _ := m.AddFile(path, "big-ossdrop.bin")
			m.Wait(context.Background())
			if ts, _ := m.Task(id); ts.State != Done {
				b.Fatalf("%+v", ts)
			}
			m.Close()
		})
	})
	b.Run("sdk-UploadFile", func(b *testing.B) {
		bk := bs.sdkBucket(b)
		cpDir := b.TempDir()
		measure(b, size, func() {
			if err := bk.UploadFile("big-sdk.bin", path, benchPart, oss.Routines(benchTaskNum), oss.CheckpointDir(true, cpDir)); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func BenchmarkUpload2000Small(b *testing.B) {
	bs := startBenchServer(b)
	dir := filepath.Join(b.TempDir(), "small")
	os.MkdirAll(dir, 0o755)
	var paths []string
	for i := 0; i < 2000; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%04d.bin", i))
		os.WriteFile(p, randBytes(64<<10, uint64(i)), 0o644)
		paths = append(paths, p)
	}
	total := int64(2000 * (64 << 10))
	b.Run("ossdrop", func(b *testing.B) {
		measure(b, total, func() {
			m, err := NewManager(Config{Target: bs.target(), Options: Options{PartSize: benchPart, TaskNum: benchTaskNum, Jobs: benchJobs, EnableCheckpoint: true}, StateDir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			m.Add([]string{dir}, "ossdrop")
			m.Wait(context.Background())
			if tt := m.Totals(); tt.Done != 2000 {
				b.Fatalf("%+v", tt)
			}
			m.Close()
		})
	})
	b.Run("sdk-UploadFile", func(b *testing.B) {
		bk := bs.sdkBucket(b)
		cpDir := b.TempDir()
		measure(b, total, func() {
			ch := make(chan string)
			var wg sync.WaitGroup
			var failed atomic.Int64
			for range benchJobs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for p := range ch {
						if err := bk.UploadFile("sdk/"+filepath.Base(p), p, benchPart, oss.Routines(benchTaskNum), oss.CheckpointDir(true, cpDir)); err != nil {
							failed.Add(1)
						}
					}
				}()
			}
			for _, p := range paths {
				ch <- p
			}
			close(ch)
			wg.Wait()
			if failed.Load() > 0 {
				b.Fatalf("%d failed", failed.Load())
			}
		})
	})
}

// BenchmarkResumeStart measures how long a resumed 1 GiB upload with half its parts
// done takes from AddFile to sending its first missing part (checkpoint read,
// fingerprint, ListParts reconciliation).
func BenchmarkResumeStart(b *testing.B) {
	bs := startBenchServer(b)
	path, _ := bigFile(b)
	state := b.TempDir()
	opts := Options{PartSize: 1 << 20, TaskNum: benchTaskNum, Jobs: 1, EnableCheckpoint: true}
	// Upload about half of 1,024 parts, then stop.
	m, _ := NewManager(Config{Target: bs.target(), Options: opts, StateDir: state})
	id, _ := m.AddFile(path, "resume.bin")
	for {
		ts, _ := m.Task(id)
		if ts.Done >= 512<<20 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	m.Close()
	b.ResetTimer()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		m, _ := NewManager(Config{Target: bs.target(), Options: opts, StateDir: state})
		start := time.Now()
		id, _ := m.AddFile(path, "resume.bin")
		var ts TaskSnapshot
		for {
			ts, _ = m.Task(id)
			if ts.Resumed && ts.Sent > ts.Done || ts.State.Finished() {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		total += time.Since(start)
		m.PauseAll()
		m.Close()
		if !ts.Resumed {
			b.Fatalf("not resumed: %+v", ts)
		}
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-first-part")
}
