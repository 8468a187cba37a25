package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/ossemu"
)

// syncBuffer is a bytes.Buffer safe for the command's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServeLocal runs serve-local in-process and returns its endpoint (the
// first stdout line), a stop function that cancels it and returns the exit
// code, and its stderr.
func startServeLocal(t *testing.T, environ map[string]string, args ...string) (url string, stop func() int, stderr *syncBuffer) {
	t.Helper()
	pr, pw := io.Pipe()
	stderr = &syncBuffer{}
	env := &Env{Stdin: strings.NewReader(""), Stdout: pw, Stderr: stderr, Getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code := Run(ctx, env, append([]string{"serve-local"}, args...))
		pw.Close()
		done <- code
	}()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		if sc.Scan() {
			lines <- sc.Text()
		} else {
			lines <- ""
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case url = <-lines:
	case code := <-done:
		cancel()
		t.Fatalf("serve-local exited with %d before printing the endpoint; stderr:\n%s", code, stderr)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("serve-local printed no endpoint; stderr:\n%s", stderr)
	}
	stopped := false
	var code int
	stop = func() int {
		if !stopped {
			stopped = true
			cancel()
			code = <-done
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return url, stop, stderr
}

func TestServeLocalGeneratedCredentials(t *testing.T) {
	dir := t.TempDir()
	url, stop, stderr := startServeLocal(t, nil, "--dir", dir, "--bucket", "photos", "--bucket", "docs")
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("first stdout line %q is not a loopback endpoint", url)
	}
	// the generated pair is stored 0600 with the data and only the id is logged
	path := ossemu.CredentialsPath(dir)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("credentials not stored: %v", err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	var creds struct{ AccessKeyID, AccessKeySecret string }
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &creds); err != nil || creds.AccessKeyID == "" {
		t.Fatalf("credentials file: %v %q", err, data)
	}
	if !strings.Contains(stderr.String(), creds.AccessKeyID) || strings.Contains(stderr.String(), creds.AccessKeySecret) {
		t.Errorf("stderr should name the id and never the secret:\n%s", stderr)
	}
	if !strings.Contains(stderr.String(), path) {
		t.Errorf("stderr should say where the secret is stored:\n%s", stderr)
	}

	c, err := oss.New(url, creds.AccessKeyID, creds.AccessKeySecret)
	if err != nil {
		t.Fatal(err)
	}
	lb, err := c.ListBuckets()
	if err != nil || len(lb.Buckets) != 2 {
		t.Fatalf("ListBuckets: %+v %v", lb, err)
	}
	b, _ := c.Bucket("photos")
	if err := b.PutObject("cat.jpg", strings.NewReader("meow")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit code %d after cancel; stderr:\n%s", code, stderr)
	}

	// a restart reuses the stored pair and still has the object
	url2, stop2, _ := startServeLocal(t, nil, "--dir", dir, "--bucket", "photos")
	c2, _ := oss.New(url2, creds.AccessKeyID, creds.AccessKeySecret)
	b2, _ := c2.Bucket("photos")
	rc, err := b2.GetObject("cat.jpg")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "meow" {
		t.Fatalf("after restart got %q", got)
	}
	if code := stop2(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
}

func TestServeLocalEnvCredentials(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OSS_ACCESS_KEY_ID": "AKTEST", "OSS_ACCESS_KEY_SECRET": "s3cret"}
	url, stop, _ := startServeLocal(t, env, "--dir", dir)
	if _, err := os.Stat(ossemu.CredentialsPath(dir)); !os.IsNotExist(err) {
		t.Errorf("given credentials must not be written to disk (stat: %v)", err)
	}
	c, _ := oss.New(url, "AKTEST", "s3cret")
	b, _ := c.Bucket("local")
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	bad, _ := oss.New(url, "AKTEST", "wrong")
	bb, _ := bad.Bucket("local")
	if err := bb.PutObject("k", strings.NewReader("v")); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestServeLocalRefusesRemoteAndBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0"}, "--allow-remote"},
		{[]string{"--bucket", "Bad_Name"}, "bucket name"},
		{[]string{"--access-key-id", "only-id"}, "both"},
		{[]string{"extra"}, "unexpected"},
	} {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := Run(context.Background(), env, append([]string{"serve-local", "--dir", t.TempDir()}, tc.args...))
		if code == 0 || !strings.Contains(errb.String(), tc.want) || out.Len() != 0 {
			t.Errorf("%v: code %d, stdout %q, stderr %q (want mention of %q)", tc.args, code, out.String(), errb.String(), tc.want)
		}
	}
	var out, errb bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	if code := Run(context.Background(), env, []string{"serve-local", "--help"}); code != 0 || !strings.Contains(errb.String(), "--allow-remote") && !strings.Contains(errb.String(), "-allow-remote") {
		t.Errorf("--help: code %d, stderr %q", code, errb.String())
	}
}
