package transfer

import (
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestPauseResumeCancelNoLeaks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	state := t.TempDir()
	m, err := NewManager(Config{Target: targetOf(s), Options: Options{PartSize: MinPartSize, TaskNum: 2, Jobs: 2, EnableCheckpoint: true, LimitRate: 1 << 20}, StateDir: state, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	dir := t.TempDir()
	a := randBytes(20*MinPartSize, 1)
	b := randBytes(20*MinPartSize, 2)
	c := randBytes(20*MinPartSize, 3)
	ida, _ := m.AddFile(writeFile(t, dir, "a", a), "a")
	idb, _ := m.AddFile(writeFile(t, dir, "b", b), "b")
	idc, _ := m.AddFile(writeFile(t, dir, "c", c), "c") // waits: Jobs=2

	// Pause a running task: it stops, keeps its bytes and its checkpoint.
	waitState(t, m, ida, func(ts TaskSnapshot) bool { return ts.Done >= 2*MinPartSize })
	if err := m.Pause(ida); err != nil {
		t.Fatal(err)
	}
	pa := waitState(t, m, ida, func(ts TaskSnapshot) bool { return ts.State == Paused })
	if pa.Done < 2*MinPartSize || len(cpFiles(t, state)) == 0 {
		t.Fatalf("paused task lost progress: %+v", pa)
	}
	// Cancel a running task: the server-side upload is aborted, the checkpoint removed.
	waitState(t, m, idb, func(ts TaskSnapshot) bool { return ts.Done >= MinPartSize })
	m.Cancel(idb)
	waitState(t, m, idb, func(ts TaskSnapshot) bool { return ts.State == Canceled })
	// c starts in the freed slot; cancel it while queued or running.
	m.Cancel(idc)
	waitState(t, m, idc, func(ts TaskSnapshot) bool { return ts.State == Canceled })

	m.SetLimitRate(0)
	if err := m.Resume(ida); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	ts := mustDone(t, m, ida)
	if !ts.Resumed {
		t.Fatal("resume after pause restarted from zero")
	}
	mustObject(t, s, "a", a)
	if ups := s.Uploads(s.Bucket()); len(ups) != 0 {
		t.Fatalf("canceled uploads left on the server: %+v", ups)
	}
	if _, ok := s.Object(s.Bucket(), "b"); ok {
		t.Fatal("canceled object exists")
	}
	if err := m.Retry(idb); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	mustDone(t, m, idb)
	mustObject(t, s, "b", b)
	if err := m.Remove(idc); err != nil {
		t.Fatal(err)
	}
	m.ClearFinished()
	if m.Len() != 0 {
		t.Fatalf("%d tasks after clearing", m.Len())
	}
	if len(cpFiles(t, state)) != 0 {
		t.Fatal("checkpoints left")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestCloseStopsPromptly(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, _ := ossemu.NewServer(ossemu.Options{})
	defer s.Close()
	// The server sits on each part for 3 s; Close must not wait for that.
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpUploadPart), Delay: 3 * time.Second})
	m, err := NewManager(Config{Target: targetOf(s), Options: Options{PartSize: MinPartSize, EnableCheckpoint: true}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "f", randBytes(5*MinPartSize, 1)), "f")
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Uploading })
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	m.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Close took %v", d)
	}
	if ts, _ := m.Task(id); ts.State != Queued {
		t.Fatalf("after Close the task is %s, want queued (to resume next launch)", ts.State)
	}
	s.Close()
}

// TestQueueMemory queues 100,000 files and checks the heap grows by well under 1 KB
// per queued task, with no goroutine per task.
func TestQueueMemory(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	// Hold the few running uploads so everything else stays queued, however slow
	// the machine (the server's Close ends the delay).
	s.Inject(ossemu.Fault{Delay: 10 * time.Minute})
	m := newManager(t, s, "", nil)
	f := writeFile(t, t.TempDir(), "same-file-many-keys.bin", []byte("x"))
	g0 := runtime.NumGoroutine()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 100_000
	batch := make([]FileKey, 0, 1000)
	for i := range n {
		batch = append(batch, FileKey{f, "synthetic/dir-" + strconv.Itoa(i%100) + "/file-" + strconv.Itoa(i) + ".bin"})
		if len(batch) == cap(batch) {
			if _, err := m.AddFiles(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapAlloc-before.HeapAlloc) / n
	tt := m.Totals()
	t.Logf("100k queued: %.0f bytes/task heap, goroutines %d -> %d, totals %+v", per, g0, runtime.NumGoroutine(), tt)
	if per > 768 {
		t.Fatalf("%.0f bytes per queued task; the budget is well under 1 KB", per)
	}
	// A running upload has its worker and its connection's goroutines, at
	// both ends (the server runs in this process); a queued one has none.
	if g := runtime.NumGoroutine(); g > g0+50+5*tt.Active {
		t.Fatalf("goroutines grew from %d to %d with %d uploads running", g0, g, tt.Active)
	}
	if tt.Queued < n-smallMaxInFlight-10 { // the few running, done or failed aside
		t.Fatalf("queued %d", tt.Queued)
	}
	// The last file is still queued (the first may be done once the delay passed).
	if _, err := m.AddFile(f, "synthetic/dir-99/file-99999.bin"); err == nil || !strings.Contains(err.Error(), "already queued") {
		t.Fatalf("duplicate add: %v", err)
	}
	snap := m.Snapshot(nil)
	if len(snap) != n || snap[n-1].Key != "synthetic/dir-99/file-99999.bin" {
		t.Fatal("snapshot order")
	}
	qs, _ := filepath.Glob(filepath.Join(m.stateDir, "queue", "*.jsonl"))
	if len(qs) == 0 {
		t.Fatal("durable queue not written")
	}
	s.ClearFaults()
}
