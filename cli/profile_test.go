package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
)

type profileEnv struct {
	t    *testing.T
	vars map[string]string
	dirs []string
}

func newProfileEnv(t *testing.T) *profileEnv {
	root := t.TempDir()
	e := &profileEnv{t: t, vars: map[string]string{}}
	for _, v := range []string{"XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "HOME"} {
		d := filepath.Join(root, strings.ToLower(v))
		os.MkdirAll(d, 0o700)
		e.vars[v] = d
		e.dirs = append(e.dirs, d)
	}
	return e
}

// run runs `ossdrop profile args…` with stdin and returns exit code, stdout, stderr.
func (e *profileEnv) run(stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.vars[k] }}
	code := Run(context.Background(), env, append([]string{"profile"}, args...))
	e.t.Logf("ossdrop profile %s → %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

func (e *profileEnv) assertNoSecret(secret string) {
	e.t.Helper()
	n := 0
	for _, d := range e.dirs {
		filepath.WalkDir(d, func(path string, de fs.DirEntry, err error) error {
			if err != nil || de.IsDir() {
				return err
			}
			n++
			if data, _ := os.ReadFile(path); bytes.Contains(data, []byte(secret)) {
				e.t.Errorf("secret found in %s", path)
			}
			return nil
		})
	}
	if n == 0 {
		e.t.Fatal("no files written at all")
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestProfileCommandEndToEnd(t *testing.T) {
	srv, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := newProfileEnv(t)
	name := "emu-" + randHex(4)
	wrong := name + "-wrong"
	t.Cleanup(func() {
		e.run("", "remove", name)
		e.run("", "remove", wrong)
	})

	code, out, _ := e.run(srv.AccessKeySecret+"\n", "add", name, "--endpoint", srv.URL, "--bucket", "local",
		"--prefix", "inbox/", "--access-key-id", srv.AccessKeyID, "--part-size", "16MiB", "--task-num", "8", "--default")
	if code != 0 || !strings.Contains(out, "Saved profile") {
		t.Fatalf("add: %d %s", code, out)
	}
	code, out, _ = e.run("", "list")
	if code != 0 || !strings.Contains(out, name) || !strings.Contains(out, srv.AccessKeyID) || !strings.Contains(out, "inbox/") ||
		!strings.Contains(out, settings.LocalProfileName) || strings.Contains(out, srv.AccessKeySecret) {
		t.Fatalf("list: %s", out)
	}
	if !strings.Contains(out, "* ") {
		t.Fatalf("list does not mark the default: %s", out)
	}
	code, out, _ = e.run("", "test", name)
	if code != 0 || !strings.Contains(out, "Connected") {
		t.Fatalf("test: %d %s", code, out)
	}
	st := settings.NewStore(filepath.Join(e.vars["XDG_CONFIG_HOME"], "ossdrop"))
	cfg, err := st.Load()
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := cfg.Profile(name); !ok || p.Transfer.PartSize != 16<<20 || p.Transfer.TaskNum != 8 || cfg.DefaultProfile != name {
		t.Fatalf("saved profile %+v default %q", p, cfg.DefaultProfile)
	}

	// A wrong secret: the test fails with a clear message and exit 1.
	code, _, _ = e.run("not-the-secret\n", "add", wrong, "--endpoint", srv.URL, "--bucket", "local", "--access-key-id", srv.AccessKeyID)
	if code != 0 {
		t.Fatal("add wrong")
	}
	code, _, stderr := e.run("", "test", wrong)
	if code != 1 || !strings.Contains(stderr, "secret does not match") {
		t.Fatalf("test wrong: %d %s", code, stderr)
	}
	if code, _, stderr = e.run("x\n", "add", wrong, "--endpoint", srv.URL, "--bucket", "local", "--access-key-id", "a"); code != 1 || !strings.Contains(stderr, "--replace") {
		t.Fatalf("add existing: %d %s", code, stderr)
	}

	// The Local bucket works out of the box.
	code, out, _ = e.run("", "test", settings.LocalProfileName)
	if code != 0 || !strings.Contains(out, "Connected") {
		t.Fatalf("test local: %d %s", code, out)
	}

	e.assertNoSecret(srv.AccessKeySecret)

	// Remove takes the keyring entries along.
	code, _, _ = e.run("", "remove", name)
	if code != 0 {
		t.Fatal("remove")
	}
	store := settings.OpenSecretStore(context.Background(), settings.SecretOptions{Dir: filepath.Join(e.vars["XDG_CONFIG_HOME"], "ossdrop")})
	if _, err := store.Get(settings.SecretKey(name)); !errors.Is(err, settings.ErrSecretNotFound) {
		t.Fatalf("secret left after remove: %v", err)
	}
	code, out, _ = e.run("", "list")
	if code != 0 || strings.Contains(out, name+" ") {
		t.Fatalf("list after remove: %s", out)
	}
	if code, _, stderr = e.run("", "test", name); code != 1 || !strings.Contains(stderr, "no profile named") {
		t.Fatalf("test removed: %d %s", code, stderr)
	}
	if code, _, stderr = e.run("", "remove", settings.LocalProfileName); code != 1 || !strings.Contains(stderr, "built in") {
		t.Fatalf("remove local: %d %s", code, stderr)
	}
}

func TestProfileAddRefusals(t *testing.T) {
	e := newProfileEnv(t)
	cases := []struct {
		stdin string
		args  []string
		code  int
		says  string
	}{
		{"", []string{"add", "x", "--endpoint", "http://oss.example.com", "--bucket", "abc"}, 1, "unencrypted"},
		{"", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "Bad"}, 1, `bucket "Bad"`},
		{"", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--part-size", "1KiB"}, 1, "between 100 KiB and 5 GiB"},
		{"", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--part-size", "huge"}, 2, "--part-size"},
		{"", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--task-num", "0"}, 1, "TaskNum"},
		{"", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--secret", "s"}, 2, "flag provided but not defined: -secret"},
		{"", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--access-key-id", "id"}, 1, "standard input ended"},
		{"\n", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--access-key-id", "id"}, 1, "empty"},
		{"s\n", []string{"add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc", "--access-key-id", "id", "--sts"}, 1, "STS token"},
		{"", []string{"add", "--endpoint", "cn-hangzhou", "--bucket", "abc"}, 2, "NAME is required"},
		{"", []string{"add", settings.LocalProfileName, "--endpoint", "cn-hangzhou", "--bucket", "abc"}, 1, "built-in"},
		{"", []string{"frobnicate"}, 2, "unknown subcommand"},
		{"", nil, 2, "Usage"},
	}
	for _, c := range cases {
		code, _, stderr := e.run(c.stdin, c.args...)
		if code != c.code || !strings.Contains(stderr, c.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, c.code, c.says)
		}
	}
	if _, err := os.Stat(filepath.Join(e.vars["XDG_CONFIG_HOME"], "ossdrop", "settings.json")); !os.IsNotExist(err) {
		t.Fatalf("a refused add wrote settings: %v", err)
	}
}

func TestProfileBrokenSettingsNotOverwritten(t *testing.T) {
	e := newProfileEnv(t)
	dir := filepath.Join(e.vars["XDG_CONFIG_HOME"], "ossdrop")
	os.MkdirAll(dir, 0o700)
	path := filepath.Join(dir, "settings.json")
	os.WriteFile(path, []byte("{not json"), 0o600)
	code, _, stderr := e.run("", "add", "x", "--endpoint", "cn-hangzhou", "--bucket", "abc")
	if code != 1 || !strings.Contains(stderr, path) || !strings.Contains(stderr, "not changing settings") {
		t.Fatalf("add over broken: %d %s", code, stderr)
	}
	if data, _ := os.ReadFile(path); string(data) != "{not json" {
		t.Fatal("broken settings overwritten")
	}
	code, out, stderr := e.run("", "list")
	if code != 0 || !strings.Contains(out, settings.LocalProfileName) || !strings.Contains(stderr, "line 1") {
		t.Fatalf("list over broken: %d %s %s", code, out, stderr)
	}
}

func TestProfileImportOssutil(t *testing.T) {
	srv, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	e := newProfileEnv(t)
	name := "imported-" + randHex(4)
	t.Cleanup(func() { e.run("", "remove", name) })
	conf := filepath.Join(e.vars["HOME"], ".ossutilconfig")
	os.WriteFile(conf, []byte("[Credentials]\nlanguage=EN\nendpoint="+srv.URL+"\naccessKeyID="+srv.AccessKeyID+
		"\naccessKeySecret="+srv.AccessKeySecret+"\n"), 0o600)

	code, _, stderr := e.run("", "import-ossutil")
	if code != 1 || !strings.Contains(stderr, "names no bucket") {
		t.Fatalf("import without bucket: %d %s", code, stderr)
	}
	code, out, _ := e.run("", "import-ossutil", "--bucket", "local", "--name", name)
	if code != 0 || !strings.Contains(out, "Imported profile") {
		t.Fatalf("import: %d %s", code, out)
	}
	code, out, _ = e.run("", "test", name)
	if code != 0 || !strings.Contains(out, "Connected") {
		t.Fatalf("test imported: %d %s", code, out)
	}
	code, _, stderr = e.run("", "import-ossutil", conf, "--bucket", "local", "--name", name)
	if code != 1 || !strings.Contains(stderr, "--replace") {
		t.Fatalf("re-import: %d %s", code, stderr)
	}
	if code, _, _ = e.run("", "import-ossutil", conf, "--bucket", "local", "--name", name, "--replace"); code != 0 {
		t.Fatal("re-import with --replace")
	}
	// The secret went to the secret store, not our settings (the ossutil file itself is the user's).
	os.Remove(conf)
	e.assertNoSecret(srv.AccessKeySecret)
	code, _, stderr = e.run("", "import-ossutil", filepath.Join(e.vars["HOME"], "nope"))
	if code != 1 || !strings.Contains(stderr, "does not exist") {
		t.Fatalf("missing file: %d %s", code, stderr)
	}
}
