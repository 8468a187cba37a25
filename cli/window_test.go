package cli

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
)

func windowTestEnv(vars map[string]string) *Env {
	return &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string { return vars[k] }}
}

func TestWindowArgs(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "x.txt")
	writeTestFile(t, f)
	env := windowTestEnv(nil)
	a, err := parseWindowArgs(env, []string{"--endpoint", "http://127.0.0.1:9", "--bucket", "b", "--resume", "always", f, dir})
	if err != nil {
		t.Fatal(err)
	}
	if a.resume != settings.ResumeAlways || a.bucket != "b" || len(a.files) != 2 || a.files[0] != f {
		t.Fatalf("parsed %+v", a)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--resume", "sometimes"}, "must be ask, always or never"},
		{[]string{"--endpoint", "http://x"}, "--endpoint and --bucket go together"},
		{[]string{"--profile", "p", "--bucket", "b", "--endpoint", "e"}, "either --profile or --endpoint"},
		{[]string{filepath.Join(dir, "missing.bin")}, "missing.bin"},
	} {
		_, err := parseWindowArgs(env, tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

// testCore opens the application core with env's directories and secrets in memory.
func testCore(t *testing.T, env *Env) *app.Core {
	t.Helper()
	root := t.TempDir()
	c := app.Open(context.Background(), app.Options{ConfigDir: filepath.Join(root, "config"), StateDir: filepath.Join(root, "state"),
		LocalBucketDir: filepath.Join(root, "local"), Getenv: env.Getenv, Secrets: settings.NewMemorySecretStore("test"), Logger: discardLog()})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestInitialTargetNeedsCredentialsWithEndpoint(t *testing.T) {
	env := windowTestEnv(nil)
	a, err := parseWindowArgs(env, []string{"--endpoint", "http://127.0.0.1:9", "--bucket", "bkt"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := initialTarget(context.Background(), testCore(t, env), a); err == nil ||
		!strings.Contains(err.Error(), "OSS_ACCESS_KEY_ID") {
		t.Fatalf("error %v", err)
	}
	env = windowTestEnv(map[string]string{settings.EnvAccessKeyID: "id", settings.EnvAccessKeySecret: "s3cret"})
	core := testCore(t, env)
	tgt, _, _, err := initialTarget(context.Background(), core, a)
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Bucket != "bkt" || tgt.Endpoint != "http://127.0.0.1:9" || tgt.Credentials.GetCredentials().GetAccessKeySecret() != "s3cret" {
		t.Fatalf("target %+v", tgt)
	}
	a.endpoint, a.bucket, a.profile = "", "", "nope"
	if _, _, _, err := initialTarget(context.Background(), core, a); err == nil ||
		!strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("unknown profile: %v", err)
	}
}

func TestInitialTargetDefaultsToLocalBucket(t *testing.T) {
	env := windowTestEnv(nil)
	tgt, opts, _, err := initialTarget(context.Background(), testCore(t, env), windowArgs{})
	if err != nil {
		t.Fatal(err)
	}
	if tgt.Profile != settings.LocalProfileName || tgt.Dest != settings.LocalProfileID || tgt.Bucket != settings.LocalBucketName || !strings.HasPrefix(tgt.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("target %+v", tgt)
	}
	if !opts.EnableCheckpoint {
		t.Error("the Local bucket's options have checkpoints off")
	}
	res := settings.CheckConnection(context.Background(), tgt, 0, env.Getenv)
	if !res.OK() {
		t.Fatalf("local bucket unreachable: %s", res.Message)
	}
}

func writeTestFile(t *testing.T, p string) {
	t.Helper()
	if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
