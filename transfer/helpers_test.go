package transfer

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/ossemu"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

type staticCreds struct{ id, secret, token string }

func (c staticCreds) GetAccessKeyID() string          { return c.id }
func (c staticCreds) GetAccessKeySecret() string      { return c.secret }
func (c staticCreds) GetSecurityToken() string        { return c.token }
func (c staticCreds) GetCredentials() oss.Credentials { return c }

func newServer(t testing.TB, o ossemu.Options) *ossemu.Server {
	t.Helper()
	s, err := ossemu.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func targetOf(s *ossemu.Server) Target {
	return Target{Endpoint: s.URL, Bucket: s.Bucket(), Credentials: staticCreds{s.AccessKeyID, s.AccessKeySecret, ""}}
}

// fastRetry keeps fault tests quick while still exercising backoff.
var fastRetry = RetryPolicy{MaxAttempts: 8, BaseDelay: 10 * time.Millisecond, MaxDelay: 200 * time.Millisecond}

func newManager(t testing.TB, s *ossemu.Server, stateDir string, mut func(*Options)) *Manager {
	t.Helper()
	o := DefaultOptions()
	o.PartSize = MinPartSize
	if mut != nil {
		mut(&o)
	}
	if stateDir == "" {
		stateDir = t.TempDir()
	}
	m, err := NewManager(Config{Target: targetOf(s), Options: o, StateDir: stateDir, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// randBytes is the shared test kit's seeded data, argument order kept for
// this package's many callers.
func randBytes(n int, seed uint64) []byte { return testkit.RandBytes(seed, n) }

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func waitIdle(t testing.TB, m *Manager) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Wait(ctx); err != nil {
		t.Fatalf("wait: %v; tasks: %+v", err, m.Snapshot(nil))
	}
}

func waitState(t testing.TB, m *Manager, id TaskID, want func(TaskSnapshot) bool) TaskSnapshot {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		s, ok := m.Task(id)
		if ok && want(s) {
			return s
		}
		time.Sleep(2 * time.Millisecond)
	}
	s, _ := m.Task(id)
	t.Fatalf("task %d never reached the wanted state; last %+v", id, s)
	return s
}

func mustObject(t testing.TB, s *ossemu.Server, key string, want []byte) {
	t.Helper()
	got, err := s.ReadObject(s.Bucket(), key)
	if err != nil {
		t.Fatalf("object %q: %v (keys %q)", key, err, s.Keys(s.Bucket()))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("object %q: %d bytes differ from the %d-byte file", key, len(got), len(want))
	}
}

func mustDone(t testing.TB, m *Manager, id TaskID) TaskSnapshot {
	t.Helper()
	s, ok := m.Task(id)
	if !ok || s.State != Done {
		t.Fatalf("task %d: %+v (err %v)", id, s, s.Err)
	}
	return s
}

// waitWalked waits until m has walked every folder added to it.
func waitWalked(t testing.TB, m *Manager, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); ; time.Sleep(5 * time.Millisecond) {
		m.mu.Lock()
		walking := m.busy > 0
		m.mu.Unlock()
		if !walking {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("walk did not end within %s", within)
		}
	}
}
