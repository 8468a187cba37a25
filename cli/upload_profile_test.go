package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
)

// runUpload runs `ossdrop upload args…` in the profile environment, with no
// credentials in the environment: they must come from the profile.
func (e *profileEnv) runUpload(args ...string) (int, string) {
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.vars[k] }}
	code := Run(context.Background(), env, append([]string{"upload", "--quiet"}, args...))
	e.t.Logf("ossdrop upload %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String() + errb.String()
}

func TestUploadWithSavedProfile(t *testing.T) {
	srv, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := newProfileEnv(t)
	name := "up-" + randHex(4)
	t.Cleanup(func() { e.run("", "remove", name) })
	if code, _, _ := e.run(srv.AccessKeySecret+"\n", "add", name, "--endpoint", srv.URL, "--bucket", "local",
		"--prefix", "inbox/", "--access-key-id", srv.AccessKeyID); code != 0 {
		t.Fatal("profile add failed")
	}
	data := rnd(300<<10, 7)
	path := filepath.Join(t.TempDir(), "report 1.bin")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := e.runUpload("--profile", name, "--part-size", "100KiB", path); code != 0 {
		t.Fatalf("upload --profile: exit %d: %s", code, out)
	}
	got, err := srv.ReadObject("local", "inbox/report 1.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object under the profile's prefix: %v (len %d)", err, len(got))
	}
	e.assertNoSecret(srv.AccessKeySecret)

	code, out := e.runUpload("--profile", "no-such-"+name, path)
	if code == 0 || !strings.Contains(out, "no such profile") {
		t.Fatalf("unknown profile: exit %d: %s", code, out)
	}
}

func TestUploadWithLocalBucketProfile(t *testing.T) {
	e := newProfileEnv(t)
	data := rnd(50<<10, 9)
	path := filepath.Join(t.TempDir(), "hello.txt")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := e.runUpload("--profile", settings.LocalProfileName, path); code != 0 {
		t.Fatalf("upload to the Local bucket: exit %d: %s", code, out)
	}
	// The object lands in the Local bucket's data directory: a server started on
	// it afterwards serves it.
	dir := filepath.Join(e.vars["XDG_DATA_HOME"], "ossdrop", "local-bucket")
	srv, err := ossemu.NewServer(ossemu.Options{Dir: dir, Buckets: []string{settings.LocalBucketName}, AccessKeyID: "x", AccessKeySecret: "y"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	keys := srv.Keys(settings.LocalBucketName)
	if len(keys) != 1 || !strings.HasSuffix(keys[0], "hello.txt") {
		t.Fatalf("Local bucket keys %q", keys)
	}
	got, err := srv.ReadObject(settings.LocalBucketName, keys[0])
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Local bucket object: %v", err)
	}
}
