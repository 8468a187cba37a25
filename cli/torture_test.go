package cli

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestKillTorture SIGKILLs a real `ossdrop upload` / `ossdrop resume` process at
// random points (while walking, while sending parts, around Complete) and finally
// resumes: every file must be stored byte-exact, nothing may stay unfinished, and
// the bytes sent again must stay within what was in flight at each kill. Three
// kills by default; OSSDROP_TORTURE=1 makes it 20 (OSSDROP_TORTURE_SEED repeats a run).
func TestKillTorture(t *testing.T) {
	kills, bigParts := 3, 30
	if os.Getenv("OSSDROP_TORTURE") != "" {
		kills, bigParts = 20, 150 // enough work left for every kill
	}
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("OSSDROP_TORTURE_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (set OSSDROP_TORTURE_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 99))
	s := newTestServer(t)
	// A cycle uploads a fresh set of files under its own prefix, killing until the
	// work runs out; cycles repeat until every kill is spent.
	for cycle, killed := 0, 0; killed < kills; cycle++ {
		n := tortureCycle(t, s, rng, seed+uint64(cycle)*7919, fmt.Sprintf("c%d", cycle), bigParts, kills-killed)
		if n == 0 {
			t.Fatal("a cycle ended without a kill")
		}
		killed += n
	}
}

func tortureCycle(t *testing.T, s *ossemu.Server, rng *rand.Rand, seed uint64, prefix string, bigParts, kills int) int {
	s.ResetCounters()
	const partSize, taskNum, jobs, rate = 100 << 10, 2, 2, 4 << 20
	src := filepath.Join(t.TempDir(), "src")
	want := map[string][]byte{} // key -> content
	maxSmall := 0
	for i := 0; i < 150; i++ {
		n := 1 + rng.IntN(8<<10)
		maxSmall = max(maxSmall, n)
		rel := fmt.Sprintf("tree/d%d/f%03d.txt", i%6, i)
		p := filepath.Join(src, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		data := rnd(n, uint64(i)+seed)
		os.WriteFile(p, data, 0o644)
		want[prefix+"/"+filepath.ToSlash(rel)] = data
	}
	var bigs []string
	for i := 0; i < 2; i++ {
		p := filepath.Join(src, fmt.Sprintf("big%d.bin", i))
		data := rnd(bigParts*partSize+rng.IntN(partSize), seed+uint64(1000+i))
		os.WriteFile(p, data, 0o644)
		want[prefix+"/"+filepath.Base(p)] = data
		bigs = append(bigs, p)
	}
	var total int64
	for _, d := range want {
		total += int64(len(d))
	}
	state := t.TempDir()
	common := []string{"--endpoint", s.URL, "--bucket", s.Bucket(), "--part-size", "100KiB", "--task-num", strconv.Itoa(taskNum),
		"--jobs", strconv.Itoa(jobs), "--limit-rate", "4MiB/s", "--state-dir", state, "--quiet", "--prefix", prefix}
	start := func(args []string) (*exec.Cmd, *bytes.Buffer, chan error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "OSSDROP_CHILD_ARGS="+strings.Join(args, "\x1f"),
			"OSS_ACCESS_KEY_ID="+s.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+s.AccessKeySecret)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		return cmd, &out, done
	}
	walkRecorded := func() bool {
		names, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl"))
		for _, n := range names {
			if b, _ := os.ReadFile(n); bytes.Contains(b, []byte(`"op":"walk"`)) {
				return true
			}
		}
		return false
	}
	upload := append(append([]string{"upload"}, common...), filepath.Join(src, "tree"), bigs[0], bigs[1])
	resume := append([]string{"resume"}, common...)
	killed := 0
	for round := 0; killed < kills; round++ {
		args := resume
		if round == 0 {
			args = upload
		}
		parts0, completes0 := s.Requests(ossemu.OpUploadPart), s.Requests(ossemu.OpCompleteMultipartUpload)
		point := []string{"walk", "parts", "complete"}[rng.IntN(3)]
		var cond func() bool
		switch point {
		case "walk":
			delay := time.Duration(rng.IntN(40)) * time.Millisecond
			var at time.Time
			cond = func() bool {
				if round == 0 && !walkRecorded() {
					return false // not handed over yet
				}
				if at.IsZero() {
					at = time.Now()
				}
				return time.Since(at) >= delay
			}
		case "parts":
			n := parts0 + 1 + int64(rng.IntN(12))
			cond = func() bool { return s.Requests(ossemu.OpUploadPart) >= n }
		case "complete":
			cond = func() bool { return s.Requests(ossemu.OpCompleteMultipartUpload) > completes0 }
		}
		cmd, out, done := start(args)
		deadline := time.Now().Add(time.Minute)
		exited := false
		for !cond() {
			select {
			case <-done:
				exited = true
			default:
			}
			if exited || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Microsecond)
		}
		if exited {
			t.Logf("round %d (%s): finished before the kill point (%s)", round, args[0], point)
			if round == 0 {
				t.Fatalf("the first run finished before any kill:\n%s", out)
			}
			break
		}
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		killed++
		t.Logf("round %d: killed %s at %s", round, args[0], point)
	}
	// Everything handed over is known after the kills.
	r := run(t, s, nil, "list", "--state-dir", state)
	if r.code != 0 {
		t.Fatalf("list: %d %s", r.code, r.stderr)
	}
	_, out, done := start(resume)
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("final resume: %v\n%s", err, out)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("final resume hung")
	}
	for key, data := range want {
		got, err := s.ReadObject(s.Bucket(), key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: not byte-exact after %d kills: %v (len %d, want %d)\nlist before the final resume:\n%s", key, killed, err, len(got), len(data), r.stdout)
		}
	}
	var keys []string
	for _, k := range s.Keys(s.Bucket()) {
		if strings.HasPrefix(k, prefix+"/") {
			keys = append(keys, k)
		}
	}
	if len(keys) != len(want) {
		t.Fatalf("%d objects for %d files: %q", len(keys), len(want), keys)
	}
	if r := run(t, s, nil, "list", "--state-dir", state); strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("still unfinished after the final resume:\n%s", r.stdout)
	}
	if ents, _ := filepath.Glob(filepath.Join(state, "checkpoints", "*.ucp")); len(ents) != 0 {
		t.Fatalf("checkpoints left: %v", ents)
	}
	// Per kill, at most what was in flight is sent again: the parts of the running
	// multipart files, the small files being sent, and the small files finished in
	// the last queue flush interval (their "done" is written with the next flush).
	sent := s.BytesReceived(ossemu.OpUploadPart) + s.BytesReceived(ossemu.OpPutObject)
	perKill := int64(jobs*taskNum*partSize + jobs*maxSmall + rate/2)
	limit := total + int64(killed)*perKill
	t.Logf("%d kills: %d bytes of files, %d bytes received, limit %d", killed, total, sent, limit)
	if sent > limit {
		t.Fatalf("re-sent too much: %d bytes received for %d bytes of files after %d kills", sent, total, killed)
	}
	return killed
}
