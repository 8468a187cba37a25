package ossemu_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu/ossemutest"
)

// aliOSSDir holds the npm project that pins ali-oss (make test-deps runs
// npm ci there).
const aliOSSDir = "testdata/alioss"

// requireTool skips when a tool the test drives is missing, except in CI
// (OSSDROP_E2E=1), where a missing tool is a broken setup and fails.
func requireTool(t *testing.T, what, hint string) {
	t.Helper()
	if os.Getenv("OSSDROP_E2E") == "1" {
		t.Fatalf("%s is missing: %s", what, hint)
	}
	t.Skipf("%s is missing (%s); set OSSDROP_E2E=1 to make this a failure", what, hint)
}

// TestAliOSS runs the official JavaScript SDK, ali-oss, against the server in
// its default V1 configuration (which signs with x-oss-date, not Date) and
// with authorizationV4.
func TestAliOSS(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		requireTool(t, "node", "install Debian's nodejs and npm packages (make test-deps)")
	}
	if _, err := os.Stat(filepath.Join(aliOSSDir, "node_modules", "ali-oss", "package.json")); err != nil {
		requireTool(t, "ali-oss", "run npm ci in ossemu/"+aliOSSDir+" (make test-deps)")
	}
	script, err := filepath.Abs(filepath.Join(aliOSSDir, "run.js"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ name, v4 string }{{"V1", "0"}, {"V4", "1"}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			s := ossemutest.NewServer(t, ossemutest.WithBuckets("local", "other"))
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, script)
			cmd.Dir = aliOSSDir
			cmd.Env = append(os.Environ(),
				"OSS_ENDPOINT="+s.URL, "OSS_AK="+s.AccessKeyID, "OSS_SK="+s.AccessKeySecret,
				"OSS_BUCKET=local", "OSS_OTHER_BUCKET=other", "OSS_V4="+v.v4)
			out, err := cmd.CombinedOutput()
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				t.Log(line)
			}
			if err != nil {
				t.Fatalf("ali-oss run failed: %v", err)
			}
		})
	}
}
