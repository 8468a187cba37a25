package cli

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
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
	root := t.TempDir()
	vars := map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(root, "config"),
		"XDG_DATA_HOME":   filepath.Join(root, "data"),
		"XDG_STATE_HOME":  filepath.Join(root, "state"),
	}
	env := windowTestEnv(vars)
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
	c := app.Open(context.Background(), app.Options{ConfigDir: settingsDirFor(env), StateDir: stateDirFor("", env),
		LocalBucketDir: localBucketDirFor(env), Getenv: env.Getenv, Secrets: settings.NewMemorySecretStore("test")})
	tg, o, err := c.Destination(context.Background(), settings.LocalProfileName)
	if err != nil {
		t.Fatal(err)
	}
	o.PartSize, o.LimitRate = transfer.MinPartSize, 2<<20
	m, _ := c.NewManager(tg, o)
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
	s, err := ossemu.NewServer(ossemu.Options{Dir: localBucketDirFor(env), Buckets: []string{settings.LocalBucketName}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ReadObject(settings.LocalBucketName, "v.bin")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object %d bytes, %v", len(got), err)
	}
	if us, _ := transfer.ListUnfinished(stateDirFor("", env)); len(us) != 0 {
		t.Fatalf("left: %+v", us)
	}
}

// `ossdrop upload FILE` with no flags on a new install uploads to the default
// profile, the built-in Local bucket, like a drop on the window would.
func TestUploadWithNoFlagsGoesToTheLocalBucket(t *testing.T) {
	root := t.TempDir()
	env := windowTestEnv(map[string]string{
		"XDG_CONFIG_HOME": filepath.Join(root, "config"),
		"XDG_DATA_HOME":   filepath.Join(root, "data"),
		"XDG_STATE_HOME":  filepath.Join(root, "state"),
	})
	data := []byte("first upload on defaults\n")
	file := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if code := Run(context.Background(), env, []string{"upload", "--quiet", file}); code != 0 {
		t.Fatalf("upload exited %d\nstdout %s\nstderr %s", code, env.Stdout, env.Stderr)
	}
	s, err := ossemu.NewServer(ossemu.Options{Dir: localBucketDirFor(env), Buckets: []string{settings.LocalBucketName}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.ReadObject(settings.LocalBucketName, "note.txt"); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("object %q, %v", got, err)
	}
}
