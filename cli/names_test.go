package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestUploadErrorsNameFilesExactly: whatever the script of a file's name, an
// error about it names it byte for byte as it was given — Chinese, a
// precomposed and a decomposed accent (which look alike but are different
// files), and a space — both for a local failure and for a server refusal.
func TestUploadErrorsNameFilesExactly(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := filepath.Join(t.TempDir(), "季度 报告")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	names := []string{"财务报表 2026.xlsx", "r\u00e9sum\u00e9.pdf", "re\u0301sume\u0301.pdf", "Ελληνικά.txt"}

	// Missing files: each failure line names its path exactly.
	var args []string
	for _, n := range names {
		args = append(args, filepath.Join(dir, n))
	}
	r := run(t, s, nil, append([]string{"upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", state}, args...)...)
	if r.code != 1 {
		t.Fatalf("missing files: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, p := range args {
		if !strings.Contains(r.stderr, "failed: "+p+" -> ") {
			t.Errorf("stderr does not name %q exactly (%+q):\n%s", p, p, r.stderr)
		}
	}

	// The server refuses (wrong secret): the line still names the file exactly,
	// with OSS's code.
	p := filepath.Join(dir, names[0])
	if err := os.WriteFile(p, []byte("数据"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, s, map[string]string{"OSS_ACCESS_KEY_SECRET": "bad"}, "upload", "--endpoint", s.URL, "--bucket", s.Bucket(), "--state-dir", state, p)
	if r.code != 1 || !strings.Contains(r.stderr, "failed: "+p+" -> oss://"+s.Bucket()+"/"+names[0]) || !strings.Contains(r.stderr, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret: exit %d\n%s", r.code, r.stderr)
	}
}
