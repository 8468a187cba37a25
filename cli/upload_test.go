package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

type cliRun struct {
	code           int
	stdout, stderr string
}

func testEnv(s *ossemu.Server, extra map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	vars := map[string]string{"OSS_ACCESS_KEY_ID": s.AccessKeyID, "OSS_ACCESS_KEY_SECRET": s.AccessKeySecret}
	for k, v := range extra {
		vars[k] = v
	}
	return &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return vars[k] }}, &out, &errb
}

func run(t *testing.T, s *ossemu.Server, extra map[string]string, args ...string) cliRun {
	t.Helper()
	env, out, errb := testEnv(s, extra)
	code := Run(context.Background(), env, args)
	return cliRun{code, out.String(), errb.String()}
}

func rnd(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestUploadCommand(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	state := t.TempDir()
	a := rnd(350<<10, 1)
	os.WriteFile(filepath.Join(dir, "a file.bin"), a, 0o644)
	os.MkdirAll(filepath.Join(dir, "tree", "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "tree", "sub", "b.txt"), []byte("bee"), 0o644)

	r := run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--prefix", "in", "--part-size", "100KiB",
		"--state-dir", state, filepath.Join(dir, "a file.bin"), filepath.Join(dir, "tree"))
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, _ := s.ReadObject(s.Bucket(), "in/a file.bin"); !bytes.Equal(got, a) {
		t.Fatal("in/a file.bin differs")
	}
	if got, _ := s.ReadObject(s.Bucket(), "in/tree/sub/b.txt"); string(got) != "bee" {
		t.Fatal("in/tree/sub/b.txt differs")
	}
	if !strings.Contains(r.stdout, "2 uploaded") {
		t.Fatalf("summary: %q", r.stdout)
	}

	// A missing file fails the run with one line naming it and why.
	r = run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", state, filepath.Join(dir, "nope.bin"))
	if r.code != 1 || !strings.Contains(r.stderr, "failed: "+filepath.Join(dir, "nope.bin")) || !strings.Contains(r.stderr, "no such file") {
		t.Fatalf("missing file: exit %d\n%s", r.code, r.stderr)
	}
	// Wrong secret: exit 1 with the human message and OSS code.
	r = run(t, s, map[string]string{"OSS_ACCESS_KEY_SECRET": "bad"}, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", state, filepath.Join(dir, "a file.bin"))
	if r.code != 1 || !strings.Contains(r.stderr, "the AccessKey secret is wrong (SignatureDoesNotMatch, RequestId ") {
		t.Fatalf("wrong secret: exit %d\n%s", r.code, r.stderr)
	}
	// Bad flags are usage errors.
	r = run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--part-size", "1KiB", "--state-dir", state, filepath.Join(dir, "a file.bin"))
	if r.code != 2 || !strings.Contains(r.stderr, "out of range") {
		t.Fatalf("bad part size: exit %d\n%s", r.code, r.stderr)
	}
	// An unwritable checkpoint directory is a clear error before anything uploads.
	blocker := filepath.Join(t.TempDir(), "file")
	os.WriteFile(blocker, nil, 0o600)
	r = run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--checkpoint-dir", filepath.Join(blocker, "cp"), "--state-dir", state, filepath.Join(dir, "a file.bin"))
	if r.code != 2 || !strings.Contains(r.stderr, "checkpoint directory") {
		t.Fatalf("unwritable checkpoint dir: exit %d\n%s", r.code, r.stderr)
	}
	r = run(t, s, nil, "list", "--state-dir", state)
	if r.code != 0 {
		t.Fatalf("list: %d %s", r.code, r.stderr)
	}
}

// TestHelperProcess is the child process of TestKillAndRerun: it runs ossdrop's
// command line with the arguments in OSSDROP_CHILD_ARGS.
func TestHelperProcess(t *testing.T) {
	args := os.Getenv("OSSDROP_CHILD_ARGS")
	if args == "" {
		t.Skip("helper process only")
	}
	os.Exit(Main(strings.Split(args, "\x1f")))
}

// TestKillAndRerun SIGKILLs `ossdrop upload` at several points and reruns it: the
// object must come out byte-exact and re-sent bytes must stay within the parts that
// were in flight at each kill.
func TestKillAndRerun(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const partSize, taskNum = 100 << 10, 2
	data := rnd(40*partSize+777, 42)
	file := filepath.Join(t.TempDir(), "big file.bin")
	os.WriteFile(file, data, 0o644)
	state := t.TempDir()
	base := []string{"upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--part-size", "100KiB", "--task-num", "2", "--jobs", "1", "--state-dir", state}

	start := func(extra ...string) (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		args := append(append(append([]string{}, base...), extra...), file)
		cmd.Env = append(os.Environ(), "OSSDROP_CHILD_ARGS="+strings.Join(args, "\x1f"),
			"OSS_ACCESS_KEY_ID="+s.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+s.AccessKeySecret)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}
	waitFor := func(cond func() bool) {
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatal("child never reached the kill point")
			}
			time.Sleep(time.Millisecond)
		}
	}
	kills := 0
	for _, point := range []func() bool{
		func() bool { return s.Requests(ossemu.OpInitiateMultipartUpload) >= 1 },
		func() bool { return s.Requests(ossemu.OpUploadPart) >= 10 },
		func() bool { return s.Requests(ossemu.OpUploadPart) >= 25 },
	} {
		cmd, _ := start("--limit-rate", "1MiB/s")
		waitFor(point)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		kills++
	}
	cmd, out := start()
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("final run: %v\n%s", err, out)
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Signal(syscall.SIGQUIT) // dump the child's goroutines into out
		<-waited
		t.Fatalf("final run hung:\n%s", out)
	}
	got, err := s.ReadObject(s.Bucket(), "big file.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object not byte-exact after kills: %v (len %d)", err, len(got))
	}
	sent := s.BytesReceived(ossemu.OpUploadPart)
	limit := int64(len(data)) + int64(kills*taskNum*partSize)
	t.Logf("file %d bytes, part bytes received over %d runs: %d (limit %d)", len(data), kills+1, sent, limit)
	if sent > limit {
		t.Fatalf("re-sent too much: %d bytes received for a %d-byte file after %d kills", sent, len(data), kills)
	}
	if ents, _ := os.ReadDir(filepath.Join(state, "checkpoints")); len(ents) != 0 {
		t.Fatalf("checkpoint left behind: %v", ents)
	}
	r := run(t, s, nil, "list", "--state-dir", state)
	if strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("list after success shows: %q", r.stdout)
	}
}

// TestInterruptKeepsCheckpoint cancels the context (what SIGINT does) mid-upload:
// exit 130, checkpoint kept, and `ossdrop resume` finishes the job.
func TestInterruptKeepsCheckpoint(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := rnd(30<<10*10+5, 3)
	file := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(file, data, 0o644)
	state := t.TempDir()
	env, _, errb := testEnv(s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for s.Requests(ossemu.OpUploadPart) < 1 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	code := Run(ctx, env, []string{"upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--part-size", "100KiB", "--limit-rate", "200KiB/s", "--state-dir", state, file})
	if code != 130 {
		t.Fatalf("exit %d, want 130\n%s", code, errb)
	}
	r := run(t, s, nil, "list", "--state-dir", state)
	if !strings.Contains(r.stdout, file) {
		t.Fatalf("list does not show the interrupted upload: %q", r.stdout)
	}
	r = run(t, s, nil, "resume", "--state-dir", state)
	if r.code != 0 {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	if got, _ := s.ReadObject(s.Bucket(), "x.bin"); !bytes.Equal(got, data) {
		t.Fatal("resumed object differs")
	}
	if r := run(t, s, nil, "list", "--state-dir", state); strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("list after resume: %q", r.stdout)
	}
}
