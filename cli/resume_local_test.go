package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// `ossdrop resume` with no flags finishes an upload the window left unfinished
// on the Local bucket: the record names the Local bucket, not its old port.
func TestResumeCommandFinishesALocalBucketUpload(t *testing.T) {
	env := freshInstallEnv(t)
	data := make([]byte, 10*transfer.MinPartSize+3)
	r := rand.New(rand.NewPCG(5, 6))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	file := filepath.Join(t.TempDir(), "v.bin")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}

	// The window's launch: uploading to the Local bucket, then quit mid-way.
	c, m := windowManager(t, env, func(o *transfer.Options) { o.PartSize, o.LimitRate = transfer.MinPartSize, 2<<20 })
	id, _ := m.AddFile(file, "v.bin")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ts, _ := m.Task(id)
		if ts.Done >= 2*transfer.MinPartSize {
			break
		}
		if ts.State.Finished() || time.Now().After(deadline) {
			t.Fatalf("not interrupted: %+v", ts)
		}
	}
	c.Close()

	if code := Run(context.Background(), env, []string{"resume", "--quiet"}); code != 0 {
		t.Fatalf("resume exited %d\nstdout %s\nstderr %s", code, env.Stdout, env.Stderr)
	}
	s := openLocalBucket(t, env)
	got, err := s.ReadObject(settings.LocalBucketName, "v.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object %d bytes, %v", len(got), err)
	}
	if us, _ := transfer.ListUnfinished(stateDirFor("", env)); len(us) != 0 {
		t.Fatalf("left: %+v", us)
	}
}

// freshInstallEnv is the environment of a new install: its own empty XDG
// config, data and state folders.
func freshInstallEnv(t *testing.T) *Env {
	root := t.TempDir()
	return windowTestEnv(map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(root, "config"),
		"XDG_DATA_HOME":   filepath.Join(root, "data"),
		"XDG_STATE_HOME":  filepath.Join(root, "state"),
	})
}

// windowManager opens the app core as the window does with env's folders and
// a Manager on the Local bucket, its options changed by mut; the caller
// closes the core.
func windowManager(t *testing.T, env *Env, mut func(*transfer.Options)) (*app.Core, *transfer.Manager) {
	t.Helper()
	c := app.Open(context.Background(), app.Options{ConfigDir: settingsDirFor(env), StateDir: stateDirFor("", env),
		LocalBucketDir: localBucketDirFor(env), Getenv: env.Getenv, Secrets: settings.NewMemorySecretStore("test")})
	tg, o, err := c.Destination(context.Background(), settings.LocalProfileName)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	mut(&o)
	m, err := c.NewManager(tg, o)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c, m
}

// openLocalBucket serves env's Local bucket folder, to read what was stored
// there once ossdrop is done with it.
func openLocalBucket(t *testing.T, env *Env) *ossemu.Server {
	t.Helper()
	s, err := ossemu.NewServer(ossemu.Options{Dir: localBucketDirFor(env), Buckets: []string{settings.LocalBucketName}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// `ossdrop upload FILE` with no flags on a new install uploads to the default
// profile, the built-in Local bucket, like a drop on the window would.
func TestUploadWithNoFlagsGoesToTheLocalBucket(t *testing.T) {
	env := freshInstallEnv(t)
	data := []byte("first upload on defaults\n")
	file := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Run(context.Background(), env, []string{"upload", "--quiet", file}); code != 0 {
		t.Fatalf("upload exited %d\nstdout %s\nstderr %s", code, env.Stdout, env.Stderr)
	}
	s := openLocalBucket(t, env)
	if got, err := s.ReadObject(settings.LocalBucketName, "note.txt"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object %q, %v", got, err)
	}
}

// A folder the window queued before reading its files' sizes: `ossdrop list`
// shows those sizes as not read ("-"), never as a wrapped-around 16 EiB, and
// `ossdrop resume` finishes every file byte-exact.
func TestListAndResumeFilesQueuedUnsized(t *testing.T) {
	env := freshInstallEnv(t)
	dir := filepath.Join(t.TempDir(), "photos")
	files := map[string][]byte{}
	for i := range 200 {
		rel := filepath.Join(string(rune('a'+i%5)), strconv.Itoa(i)+".jpg")
		files[rel] = rnd(4<<10+i, uint64(i))
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), files[rel], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The window's drop, quit once every file is listed: the slow link
	// leaves most of them queued.
	c, m := windowManager(t, env, func(o *transfer.Options) { o.LimitRate = 32 << 10 })
	m.Add([]string{dir}, "")
	for deadline := time.Now().Add(30 * time.Second); m.Totals().Files < len(files); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("not listed: %+v", m.Totals())
		}
	}
	c.Close()

	if code := Run(context.Background(), env, []string{"list"}); code != 0 {
		t.Fatalf("list exited %d\nstdout %s\nstderr %s", code, env.Stdout, env.Stderr)
	}
	out := env.Stdout.(*bytes.Buffer).String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < len(files)/2 || strings.Contains(out, "EiB") {
		t.Fatalf("list shows %d lines, want most of %d, none of 16 EiB:\n%s", len(lines), len(files), out)
	}
	if !strings.Contains(out, "/-\t") {
		t.Errorf("list shows no size as not read yet:\n%s", out)
	}
	env.Stdout.(*bytes.Buffer).Reset()
	if code := Run(context.Background(), env, []string{"resume", "--quiet"}); code != 0 {
		t.Fatalf("resume exited %d\nstdout %s\nstderr %s", code, env.Stdout, env.Stderr)
	}
	s := openLocalBucket(t, env)
	for rel, data := range files {
		key := "photos/" + filepath.ToSlash(rel)
		if got, err := s.ReadObject(settings.LocalBucketName, key); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, %v; want %d", key, len(got), err, len(data))
		}
	}
}
