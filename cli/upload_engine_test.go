package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

func newTestServer(t *testing.T) *ossemu.Server {
	t.Helper()
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// `ossdrop upload d1/report.txt d2/report.txt` never stores one over the other.
func TestUploadTwoSourcesOneKey(t *testing.T) {
	s := newTestServer(t)
	dir := t.TempDir()
	a := filepath.Join(dir, "d1", "report.txt")
	b := filepath.Join(dir, "d2", "report.txt")
	os.MkdirAll(filepath.Dir(a), 0o755)
	os.MkdirAll(filepath.Dir(b), 0o755)
	os.WriteFile(a, []byte("one"), 0o644)
	os.WriteFile(b, []byte("two"), 0o644)
	for _, tc := range []struct {
		policy string
		code   int
		want   string
	}{
		{"overwrite", 1, "would both be uploaded as overwrite/report.txt"},
		{"skip", 1, "not uploaded: " + b},
		{"rename", 0, "uploaded as rename/report (1).txt"},
	} {
		t.Run(tc.policy, func(t *testing.T) {
			r := run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--prefix", tc.policy, "--on-exists", tc.policy,
				"--state-dir", t.TempDir(), a, b)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			if tc.code == 1 && (!strings.Contains(r.stderr, a) || !strings.Contains(r.stderr, b)) {
				t.Fatalf("both files must be named:\n%s", r.stderr)
			}
			if got, _ := s.ReadObject(s.Bucket(), tc.policy+"/report.txt"); string(got) != "one" {
				t.Fatalf("object %q", got)
			}
		})
	}
}

// Unreadable queue records make resume exit non-zero, naming the file, and are
// kept aside rather than deleted.
func TestResumeReportsUnreadableQueueLines(t *testing.T) {
	s := newTestServer(t)
	state := t.TempDir()
	q := filepath.Join(state, "queue")
	os.MkdirAll(q, 0o700)
	os.WriteFile(filepath.Join(q, "1-1.jsonl"), []byte(`{"ts":1,"op":"add","id":"x","path":"/home/u/lost.txt",`+"\x00garbage\n"), 0o600)
	r := run(t, s, nil, "list", "--state-dir", state)
	if !strings.Contains(r.stdout, "/home/u/lost.txt") {
		t.Fatalf("list: %q", r.stdout)
	}
	r = run(t, s, nil, "resume", "--state-dir", state)
	if r.code == 0 || !strings.Contains(r.stderr, "/home/u/lost.txt") {
		t.Fatalf("resume: exit %d\n%s", r.code, r.stderr)
	}
	if aside, _ := filepath.Glob(filepath.Join(q, "unreadable-*.txt")); len(aside) != 1 {
		t.Fatalf("not kept aside: %v", aside)
	}
}

// An unwritable queue directory is an error for upload (exit 2), not a log line.
func TestUploadUnwritableQueueDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes anywhere")
	}
	s := newTestServer(t)
	state := t.TempDir()
	os.MkdirAll(filepath.Join(state, "queue"), 0o500)
	f := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(f, []byte("x"), 0o644)
	r := run(t, s, nil, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", state, f)
	if r.code != 2 || !strings.Contains(r.stderr, "queue directory") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if s.Requests(ossemu.OpPutObject) != 0 {
		t.Fatal("uploaded although the queue cannot be written")
	}
}

// Usage errors exit 2 naming the flag, before any request reaches the server.
func TestUploadUsageErrors(t *testing.T) {
	s := newTestServer(t)
	f := filepath.Join(t.TempDir(), "f.txt")
	os.WriteFile(f, []byte("x"), 0o644)
	for _, tc := range []struct {
		args []string
		flag string
	}{
		{[]string{"--endpoint", "ftp://example.com"}, "--endpoint"},
		{[]string{"--endpoint", "http://exa mple.com"}, "--endpoint"},
		{[]string{"--endpoint", "http://127.0.0.1:99999"}, "--endpoint"},
		{[]string{"--bucket", "Bad_Bucket"}, "--bucket"},
		{[]string{"--part-size", "0"}, "--part-size"},
		{[]string{"--part-size", "6GiB"}, "--part-size"},
		{[]string{"--task-num", "0"}, "--task-num"},
		{[]string{"--task-num", "1000"}, "--task-num"},
		{[]string{"--jobs", "0"}, "--jobs"},
		{[]string{"--jobs", "65"}, "--jobs"},
	} {
		args := append([]string{"upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", t.TempDir()}, tc.args...)
		r := run(t, s, nil, append(args, f)...)
		if r.code != 2 || !strings.Contains(r.stderr, tc.flag) {
			t.Fatalf("%v: exit %d\n%s", tc.args, r.code, r.stderr)
		}
	}
	for _, op := range []string{ossemu.OpPutObject, ossemu.OpHeadObject, ossemu.OpInitiateMultipartUpload, ossemu.OpGetBucketInfo} {
		if n := s.Requests(op); n != 0 {
			t.Fatalf("%d %s requests for usage errors", n, op)
		}
	}
}
