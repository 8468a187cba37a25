package ossemu

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/dustin/go-humanize"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// BenchmarkMultipartUpload1GiB measures the server alone: a multipart upload
// over loopback from a client that hashes nothing (CRC off, parts sent from
// one reused buffer), so the figure is what the server can absorb.
// OSSEMU_BENCH_SIZE (e.g. "256MiB"), OSSEMU_BENCH_PART, OSSEMU_BENCH_CONC and
// OSSEMU_BENCH_DIR (default: a temp dir on the test's file system) tune it.
func BenchmarkMultipartUpload1GiB(b *testing.B) {
	size := envBytes(b, "OSSEMU_BENCH_SIZE", 1<<30)
	partSize := envBytes(b, "OSSEMU_BENCH_PART", 16<<20)
	conc := int(envBytes(b, "OSSEMU_BENCH_CONC", 4))
	dir := benchDir(b)
	s := newServer(b, Options{Dir: dir})
	bkt := bucketOf(b, s, oss.EnableCRC(false))
	buf := randBytes(int(partSize), 99)
	nparts := int((size + partSize - 1) / partSize)

	heap := testkit.StartHeapSampler(20 * time.Millisecond)

	b.SetBytes(size)
	cpu0 := testkit.CPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		imur, err := bkt.InitiateMultipartUpload("bench.bin")
		if err != nil {
			b.Fatal(err)
		}
		parts := make([]oss.UploadPart, nparts)
		next := atomic.Int64{}
		var pw sync.WaitGroup
		errs := make(chan error, conc)
		for range conc {
			pw.Go(func() {
				for {
					n := int(next.Add(1))
					if n > nparts {
						return
					}
					l := partSize
					if rest := size - int64(n-1)*partSize; rest < l {
						l = rest
					}
					p, err := bkt.UploadPart(imur, bytes.NewReader(buf[:l]), l, n)
					if err != nil {
						errs <- err
						return
					}
					parts[n-1] = p
				}
			})
		}
		pw.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		if _, err := bkt.CompleteMultipartUpload(imur, parts); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if cpu := testkit.CPUTime() - cpu0; cpu > 0 {
		// client and server together; the client hashes nothing
		b.ReportMetric(float64(size)*float64(b.N)/1e6/cpu.Seconds(), "MB/cpu-s")
	}
	b.ReportMetric(float64(heap.Stop())/(1<<20), "peak-heap-MiB")
	if info, ok := s.Object("", "bench.bin"); !ok || info.Size != size {
		b.Fatalf("object not stored: %+v", info)
	}
}

func envBytes(b *testing.B, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := humanize.ParseBytes(v)
	if err != nil {
		b.Fatalf("%s=%q: %v", name, v, err)
	}
	return int64(n)
}

// BenchmarkPutSmallObjects measures what one small PutObject costs: the real
// v1 SDK sends OSSEMU_BENCH_SMALL (default 256 B) objects from 8 goroutines
// over loopback, as `ossdrop upload` does with a folder of small files.
// cpu-µs/op is the process's CPU per object, client and server together;
// the server's share shows in a CPU profile (-cpuprofile). OSSEMU_BENCH_DIR
// places the data directory (e.g. /dev/shm, as the command-line benchmark does).
func BenchmarkPutSmallObjects(b *testing.B) {
	size := envBytes(b, "OSSEMU_BENCH_SMALL", 256)
	dir := benchDir(b)
	s := newServer(b, Options{Dir: dir})
	bkt := bucketOf(b, s)
	body := randBytes(int(size), 7)
	const conc = 8
	var next atomic.Int64
	b.SetBytes(size)
	cpu0 := testkit.CPUTime()
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, conc)
	for range conc {
		wg.Go(func() {
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				key := "d" + strconv.FormatInt(n/1000, 10) + "/f" + strconv.FormatInt(n%1000, 10)
				if err := bkt.PutObject(key, bytes.NewReader(body)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64((testkit.CPUTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
	if got := len(s.Keys("")); got != b.N {
		b.Fatalf("%d objects stored, want %d", got, b.N)
	}
}

// benchDir is the data directory of a benchmark's server: a new one under
// OSSEMU_BENCH_DIR when it is set (removed afterwards), else a temp dir.
func benchDir(b *testing.B) string {
	dir := os.Getenv("OSSEMU_BENCH_DIR")
	if dir == "" {
		return b.TempDir()
	}
	d, err := os.MkdirTemp(dir, "ossemu-bench-*")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	return d
}
