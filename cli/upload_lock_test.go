package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestSecondProcessSameUpload runs `ossdrop upload` in a child process and, while it
// uploads, the same command, `list` and `resume` in this one, all on one state
// directory: the second upload must refuse with a clear reason instead of sharing
// the child's checkpoint, list must say the upload is in use, and resume must leave
// it to its owner.
func TestSecondProcessSameUpload(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := rnd(30*(100<<10)+5, 77)
	file := filepath.Join(t.TempDir(), "shared file.bin")
	os.WriteFile(file, data, 0o644)
	state := t.TempDir()
	args := []string{"upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--part-size", "100KiB", "--state-dir", state}

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	childArgs := append(append([]string{}, args...), "--limit-rate", "1MiB/s", file)
	cmd.Env = append(os.Environ(), "OSSDROP_CHILD_ARGS="+strings.Join(childArgs, "\x1f"),
		"OSS_ACCESS_KEY_ID="+s.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+s.AccessKeySecret)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for s.Requests(ossemu.OpUploadPart) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("child never started uploading:\n%s", out.String())
		}
		time.Sleep(time.Millisecond)
	}
	before := s.Requests(ossemu.OpInitiateMultipartUpload)

	r := run(t, s, nil, "list", "--state-dir", state)
	if !strings.Contains(r.stdout, file) || !strings.Contains(r.stdout, "in use by another ossdrop process") {
		t.Fatalf("list while another process uploads: %q", r.stdout)
	}
	r = run(t, s, nil, append(append([]string{}, args...), file)...)
	want := "failed: " + file + " -> oss://" + s.Bucket() + "/shared file.bin: " + file + " → " + s.Bucket() + "/shared file.bin is being uploaded by another ossdrop process"
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Fatalf("second upload: exit %d\n%s\nwant %q", r.code, r.stderr, want)
	}
	r = run(t, s, nil, "resume", "--state-dir", state)
	if r.code != 0 || !strings.Contains(r.stderr, "skipped: "+file+" → "+s.Bucket()+"/shared file.bin is being uploaded by another ossdrop process") ||
		!strings.Contains(r.stdout, "nothing to resume") {
		t.Fatalf("resume while another process uploads: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if n := s.Requests(ossemu.OpInitiateMultipartUpload); n != before {
		t.Fatalf("this process started its own upload (%d initiates, was %d)", n, before)
	}

	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out.String())
		}
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatalf("child hung:\n%s", out.String())
	}
	if got, _ := s.ReadObject(s.Bucket(), "shared file.bin"); !bytes.Equal(got, data) {
		t.Fatal("object differs from the file")
	}
	if r := run(t, s, nil, "list", "--state-dir", state); strings.TrimSpace(r.stdout) != "" {
		t.Fatalf("list after the owner finished: %q", r.stdout)
	}
	// With the owner gone the same command runs normally.
	if r := run(t, s, nil, append(append([]string{}, args...), file)...); r.code != 0 {
		t.Fatalf("upload after the owner finished: exit %d\n%s", r.code, r.stderr)
	}
}
