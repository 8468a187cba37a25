package transfer

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

func TestCallbackReplyKept(t *testing.T) {
	var got []string
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, string(b))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer cb.Close()
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", func(o *Options) {
		o.Callback = &Callback{URL: cb.URL, Body: "object=${object}&size=${size}&who=${x:who}", Vars: map[string]string{"x:who": "tester"}}
	})
	small, _ := m.AddFile(writeFile(t, t.TempDir(), "s", []byte("tiny")), "cb/small")
	big, _ := m.AddFile(writeFile(t, t.TempDir(), "b", randBytes(3*MinPartSize, 4)), "cb/big")
	waitIdle(t, m)
	for _, id := range []TaskID{small, big} {
		ts := mustDone(t, m, id)
		if ts.Callback != `{"ok":true}` {
			t.Errorf("%s: callback reply %q", ts.Key, ts.Callback)
		}
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, "who=tester") || !strings.Contains(all, "object=cb%2Fbig") && !strings.Contains(all, "object=cb/big") {
		t.Fatalf("callback bodies: %q", all)
	}
}

func TestOpenLogRotatesAndRedacts(t *testing.T) {
	dir := t.TempDir()
	log, c, err := OpenLog(dir)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "access_key_secret", "SHHH", "path", "/x")
	big := strings.Repeat("x", 1<<20)
	for i := 0; i < 6; i++ {
		log.Info("filler", "data", big)
	}
	c.Close()
	st, err := os.Stat(filepath.Join(dir, "ossdrop.log"))
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() > MaxLogSize {
		t.Fatalf("log %v %v", st, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ossdrop.log.1")); err != nil {
		t.Fatal("not rotated")
	}
	for _, f := range []string{"ossdrop.log", "ossdrop.log.1"} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		if bytes.Contains(b, []byte("SHHH")) {
			t.Fatal("secret in log")
		}
	}
}

// Secrets never reach checkpoints or the durable queue.
func TestNoSecretsInStateFiles(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, _, state := interrupted(t, s, 2)
	filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			if info != nil && info.IsDir() && p != state && info.Mode().Perm() != 0o700 { // the root was made by the test
				t.Errorf("%s: mode %v, want 0700", p, info.Mode().Perm())
			}
			return nil
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, info.Mode().Perm())
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(s.AccessKeySecret)) || bytes.Contains(b, []byte(s.AccessKeyID)) {
			t.Errorf("%s holds a credential", p)
		}
		return nil
	})
}

func TestSignatureV4(t *testing.T) {
	s := newServer(t, ossemu.Options{Region: "cn-test"})
	tg := targetOf(s)
	tg.AuthV4, tg.Region = true, "cn-test"
	m, err := NewManager(Config{Target: tg, Options: Options{PartSize: MinPartSize, EnableCheckpoint: true}, StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	data := randBytes(3*MinPartSize+1, 8)
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "v4", data), "v4/obj")
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s, "v4/obj", data)
	tg.Region = ""
	if _, err := NewManager(Config{Target: tg, StateDir: t.TempDir()}); err != nil {
		t.Fatal(err) // the target error surfaces per task, not at construction
	}
}

func TestNoCheckpoint(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	state := t.TempDir()
	m := newManager(t, s, state, func(o *Options) { o.EnableCheckpoint = false; o.LimitRate = 1 << 20; o.TaskNum = 1 })
	data := randBytes(12*MinPartSize, 6)
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "f", data), "f")
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.Done >= 2*MinPartSize })
	m.Pause(id)
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Paused })
	if n := len(s.Uploads(s.Bucket())); n != 0 {
		t.Fatalf("pausing without a checkpoint must abort the upload; %d left", n)
	}
	m.SetLimitRate(0)
	m.Resume(id)
	waitIdle(t, m)
	if ts := mustDone(t, m, id); ts.Resumed {
		t.Fatal("resumed without a checkpoint")
	}
	mustObject(t, s, "f", data)
	if ents, _ := os.ReadDir(filepath.Join(state, "checkpoints")); len(ents) != 0 {
		t.Fatalf("checkpoint files written with checkpoints off: %v", ents)
	}
}

func TestCustomCheckpointDirListed(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	state, cpDir := t.TempDir(), filepath.Join(t.TempDir(), "my-cp")
	m := newManager(t, s, state, func(o *Options) { o.CheckpointDir = cpDir; o.LimitRate = 1 << 20; o.TaskNum = 1 })
	data := randBytes(12*MinPartSize, 7)
	file := writeFile(t, t.TempDir(), "f", data)
	id, _ := m.AddFile(file, "f")
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.Done >= 2*MinPartSize })
	m.Close()
	us, _ := ListUnfinished(state)
	if len(us) != 1 || filepath.Dir(us[0].CheckpointFile) != cpDir || us[0].Done < 2*MinPartSize {
		t.Fatalf("%+v", us)
	}
	m2 := newManager(t, s, state, nil)
	m2.ResumeUnfinished(us)
	waitIdle(t, m2)
	if ts := m2.Snapshot(nil); len(ts) != 1 || ts[0].State != Done || !ts[0].Resumed {
		t.Fatalf("%+v", ts)
	}
	mustObject(t, s, "f", data)
}

func TestDiscardUnfinished(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, _, state := interrupted(t, s, 3)
	us, _ := ListUnfinished(state)
	if len(us) != 1 {
		t.Fatalf("%+v", us)
	}
	m := newManager(t, s, state, nil)
	if err := m.DiscardUnfinished(context.Background(), us); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("still listed: %+v", us)
	}
	if n := len(s.Uploads(s.Bucket())); n != 0 {
		t.Fatalf("%d uploads left on the server", n)
	}
}

func TestRetriesAreCapped(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpUploadPart), Status: 500, Code: "InternalError"})
	m := newManager(t, s, "", func(o *Options) { o.TaskNum = 1 })
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "f", randBytes(2*MinPartSize, 1)), "f")
	r := waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Retrying && !ts.RetryAt.IsZero() })
	if wait := time.Until(r.RetryAt); wait > 31*time.Second {
		t.Fatalf("next attempt announced in %s, beyond the backoff cap", wait)
	}
	if r.Err == nil || r.Err.Code != "InternalError" || r.Err.Op != "upload part 1" && r.Err.Op != "upload part 2" {
		t.Fatalf("retrying without a reason: %+v", r.Err)
	}
	waitIdle(t, m)
	ts, _ := m.Task(id)
	if ts.State != Failed || !strings.Contains(ts.Err.Error(), "gave up after 8 attempts") || ts.Err.Status != 500 {
		t.Fatalf("%s %v", ts.State, ts.Err)
	}
	if n := s.Requests(ossemu.OpUploadPart); n != 8 {
		t.Fatalf("%d part attempts, want 8", n)
	}
}

// Files dropped but never started are in the durable queue: listed as unfinished
// while the Manager runs and after it stops, and resumable by the next one.
func TestDurableQueue(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	remove := s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpPutObject), Delay: 30 * time.Second})
	state := t.TempDir()
	m := newManager(t, s, state, func(o *Options) { o.Jobs = 1 })
	dir := t.TempDir()
	want := map[string][]byte{}
	for i := range 5 {
		k := fmt.Sprintf("q/%d.txt", i)
		want[k] = []byte(k)
		if _, err := m.AddFile(writeFile(t, dir, k, want[k]), k); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(700 * time.Millisecond) // one flush interval
	us, _ := ListUnfinished(state)
	if len(us) != 5 {
		t.Fatalf("live queue lists %d, want 5: %+v", len(us), us)
	}
	m.Close()
	remove()
	us, _ = ListUnfinished(state)
	if len(us) != 5 || us[0].Key != "q/0.txt" || us[0].UploadID != "" || us[0].Path == "" {
		t.Fatalf("after close: %+v", us)
	}
	m2 := newManager(t, s, state, nil)
	m2.ResumeUnfinished(us)
	waitIdle(t, m2)
	for k, v := range want {
		mustObject(t, s, k, v)
	}
	m2.Close()
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("still listed: %+v", us)
	}
	if js, _ := filepath.Glob(filepath.Join(state, "queue", "*.jsonl")); len(js) != 0 {
		t.Fatalf("queue journals not compacted away: %v", js)
	}
}
