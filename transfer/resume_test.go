package transfer

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer/checkpoint"
)

const testParts = 24

// interrupted uploads part of a file, then closes the Manager mid-upload (as a quit
// would), returning the file, its data and the state dir holding the checkpoint.
func interrupted(t *testing.T, s *ossemu.Server, afterParts int64) (file string, data []byte, state string) {
	t.Helper()
	state = t.TempDir()
	data = randBytes(testParts*MinPartSize+321, uint64(afterParts))
	file = writeFile(t, t.TempDir(), "f.bin", data)
	m := newManager(t, s, state, func(o *Options) { o.TaskNum = 2; o.LimitRate = 2 << 20 })
	id, err := m.AddFile(file, "f.bin")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.Done >= afterParts*MinPartSize })
	m.Close()
	ts, _ := m.Task(id)
	if ts.State == Done {
		t.Fatal("finished before it could be interrupted")
	}
	// The server may still be reading what the cancelled parts had put in
	// the socket; wait so byte counts taken next belong to the next run.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	return file, data, state
}

func cpFiles(t *testing.T, state string) []string {
	names, _ := filepath.Glob(filepath.Join(state, "checkpoints", "*.ucp"))
	return names
}

func TestResumeAfterClose(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	file, data, state := interrupted(t, s, 8)
	if n := len(cpFiles(t, state)); n != 1 {
		t.Fatalf("%d checkpoints after close", n)
	}
	// The unfinished upload is listed for "resume on launch".
	us, err := ListUnfinished(state)
	if err != nil || len(us) != 1 || us[0].Path != file || us[0].Done < 8*MinPartSize || us[0].UploadID == "" {
		t.Fatalf("unfinished: %+v %v", us, err)
	}
	before := s.BytesReceived(ossemu.OpUploadPart)
	m := newManager(t, s, state, func(o *Options) { o.TaskNum = 2 })
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	ts := m.Snapshot(nil)
	if len(ts) != 1 || ts[0].State != Done || !ts[0].Resumed {
		t.Fatalf("%+v", ts)
	}
	mustObject(t, s, "f.bin", data)
	resent := s.BytesReceived(ossemu.OpUploadPart) - before
	if max := int64(len(data)) - us[0].Done; resent > max {
		t.Fatalf("resume sent %d bytes; only %d were missing", resent, max)
	}
	if len(cpFiles(t, state)) != 0 || len(s.Uploads(s.Bucket())) != 0 {
		t.Fatal("checkpoint or server upload left after completion")
	}
	m.Close() // flushes the durable queue
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("still unfinished: %+v", us)
	}
}

func TestResumeAbortedBehindOurBack(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	file, data, state := interrupted(t, s, 5)
	h, err := checkpoint.ReadHeader(cpFiles(t, state)[0])
	if err != nil {
		t.Fatal(err)
	}
	c, _ := oss.New(s.URL, s.AccessKeyID, s.AccessKeySecret)
	b, _ := c.Bucket(s.Bucket())
	if err := b.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: s.Bucket(), Key: h.Key, UploadID: h.UploadID}); err != nil {
		t.Fatal(err)
	}
	m := newManager(t, s, state, nil)
	id, _ := m.AddFile(file, "f.bin")
	waitIdle(t, m)
	ts := mustDone(t, m, id)
	if !strings.Contains(ts.Note, "no longer exists on the server") || ts.NoteKinds != NotesOf(NoteRestarted) {
		t.Fatalf("note %q", ts.Note)
	}
	mustObject(t, s, "f.bin", data)
}

func TestResumeFileChanged(t *testing.T) {
	for _, how := range []string{"size", "same-size-same-mtime"} {
		t.Run(how, func(t *testing.T) {
			s := newServer(t, ossemu.Options{})
			file, data, state := interrupted(t, s, 5)
			st, _ := os.Stat(file)
			var next []byte
			if how == "size" {
				next = append(data, "more"...)
			} else {
				next = bytes.Clone(data)
				copy(next[len(next)/2:], "edited in the middle")
			}
			os.WriteFile(file, next, 0o644)
			if how != "size" {
				os.Chtimes(file, st.ModTime(), st.ModTime()) // only the fingerprint can tell
			}
			m := newManager(t, s, state, nil)
			id, _ := m.AddFile(file, "f.bin")
			waitIdle(t, m)
			ts := mustDone(t, m, id)
			// A new size restarts from zero; an edit that kept size and time keeps the
			// upload, and the parts taken from the checkpoint are checked one by one.
			if how == "size" && (!strings.Contains(ts.Note, "file changed since the last run") || ts.Resumed) ||
				how != "size" && !ts.Resumed {
				t.Fatalf("note %q resumed %v", ts.Note, ts.Resumed)
			}
			mustObject(t, s, "f.bin", next)
			if n := len(s.Uploads(s.Bucket())); n != 0 {
				t.Fatalf("stale upload not aborted: %d left", n)
			}
		})
	}
}

func TestResumeCorruptCheckpoint(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"truncated header": func(b []byte) []byte { return b[:30] },
		"garbage":          func([]byte) []byte { return []byte("\x00\xffnot json at all\n{}\n") },
		"bad middle line": func(b []byte) []byte {
			lines := bytes.SplitAfter(b, []byte("\n"))
			lines[1] = []byte("{broken\n")
			return bytes.Join(lines, nil)
		},
		"torn tail": func(b []byte) []byte { return append(b, `{"n":9,"si`...) },
	} {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, ossemu.Options{})
			file, data, state := interrupted(t, s, 4)
			cp := cpFiles(t, state)[0]
			raw, _ := os.ReadFile(cp)
			os.WriteFile(cp, damage(raw), 0o600)
			if name != "torn tail" {
				us, _ := ListUnfinished(state)
				if len(us) != 1 || us[0].Err == nil || !strings.Contains(us[0].Err.Error(), cp) || us[0].Path != file {
					t.Fatalf("corrupt checkpoint not reported with its file: %+v", us)
				}
			}
			m := newManager(t, s, state, nil)
			id, _ := m.AddFile(file, "f.bin")
			waitIdle(t, m)
			ts := mustDone(t, m, id)
			if name == "torn tail" {
				if !ts.Resumed {
					t.Fatalf("torn tail should still resume: %+v", ts)
				}
			} else if !strings.Contains(ts.Note, "is corrupt") || !strings.Contains(ts.Note, "started again from zero") {
				t.Fatalf("note %q", ts.Note)
			}
			mustObject(t, s, "f.bin", data)
			// The upload the corrupt checkpoint named was aborted, not left billed.
			if ups := s.Uploads(s.Bucket()); len(ups) != 0 {
				t.Fatalf("%d abandoned uploads left on the server: %+v", len(ups), ups)
			}
		})
	}
}

func TestUnwritableCheckpointDir(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	blocker := writeFile(t, t.TempDir(), "file", nil)
	_, err := NewManager(Config{Target: targetOf(s), Options: Options{EnableCheckpoint: true, CheckpointDir: filepath.Join(blocker, "cp")}, StateDir: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "checkpoint directory") {
		t.Fatalf("got %v", err)
	}
}

func TestServerFaults(t *testing.T) {
	cases := map[string]ossemu.Fault{
		"500 burst":       {Match: ossemu.MatchOp(ossemu.OpUploadPart), Times: 5, Status: 500, Code: "InternalError"},
		"503 on complete": {Match: ossemu.MatchOp(ossemu.OpCompleteMultipartUpload), Times: 2, Status: 503, Code: "ServiceUnavailable"},
		"429 throttled":   {Match: ossemu.MatchOp(ossemu.OpInitiateMultipartUpload), Times: 2, Status: 429, Code: "TooManyRequests"},
		"clock skew":      {Match: ossemu.MatchOp(ossemu.OpUploadPart), Times: 1, Status: 403, Code: "RequestTimeTooSkewed"},
		"cut mid-part":    {Match: ossemu.MatchOp(ossemu.OpUploadPart), Times: 3, CutAfter: 50 << 10},
		"cut at once":     {Match: ossemu.MatchOp(ossemu.OpUploadPart), Times: 2, CutNow: true},
		"slow server":     {Match: ossemu.MatchOp(ossemu.OpUploadPart), Times: 4, Delay: 300 * time.Millisecond, Bandwidth: 400 << 10},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, ossemu.Options{})
			s.Inject(f)
			m := newManager(t, s, "", nil)
			data := randBytes(10*MinPartSize+99, 5)
			id, _ := m.AddFile(writeFile(t, t.TempDir(), "f", data), "f")
			waitIdle(t, m)
			mustDone(t, m, id)
			mustObject(t, s, "f", data)
			if s.FaultsApplied() == 0 {
				t.Fatal("fault never applied")
			}
		})
	}
}

func TestServerRestart(t *testing.T) {
	dir := t.TempDir()
	s1 := newServer(t, ossemu.Options{Dir: dir})
	addr := strings.TrimPrefix(s1.URL, "http://")
	m := newManager(t, s1, "", func(o *Options) { o.LimitRate = 1 << 20; o.TaskNum = 2 })
	data := randBytes(20*MinPartSize, 9)
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "f", data), "f")
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.Done >= 4*MinPartSize })
	s1.Close()
	time.Sleep(100 * time.Millisecond)
	s2 := newServer(t, ossemu.Options{Dir: dir, Addr: addr})
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s2, "f", data)
}

func TestCredentialsExpiredPausesAndResumes(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", func(o *Options) { o.TaskNum = 1 })
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpUploadPart), Times: 1, Status: 403, Code: "SecurityTokenExpired"})
	data := randBytes(6*MinPartSize, 11)
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "f", data), "f")
	ts := waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Paused })
	if ts.Err == nil || ts.Err.Code != "SecurityTokenExpired" || !strings.Contains(ts.Err.Error(), "expired") || !errors.Is(ts.Err, ErrCredentialsExpired) {
		t.Fatalf("paused without the reason: %+v", ts.Err)
	}
	m.SetCredentials(staticCreds{s.AccessKeyID, s.AccessKeySecret, ""})
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s, "f", data)
}

func TestOnExists(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	dir := t.TempDir()
	old := randBytes(3*MinPartSize, 1)
	up := func(policy OnExists, data []byte, key string) TaskSnapshot {
		m := newManager(t, s, "", func(o *Options) { o.OnExists = policy })
		id, err := m.AddFile(writeFile(t, dir, "src.bin", data), key)
		if err != nil {
			t.Fatal(err)
		}
		waitIdle(t, m)
		ts, _ := m.Task(id)
		m.Close()
		return ts
	}
	for _, small := range []bool{false, true} {
		key := "obj.bin"
		o := old
		if small {
			key, o = "small.bin", old[:1000]
		}
		if ts := up(Overwrite, o, key); ts.State != Done {
			t.Fatalf("%+v", ts)
		}
		newer := bytes.Clone(o)
		newer[0] ^= 1
		if ts := up(Skip, newer, key); ts.State != Skipped {
			t.Fatalf("skip: %+v", ts)
		}
		mustObject(t, s, key, o)
		if ts := up(SkipIdentical, o, key); ts.State != Skipped {
			t.Fatalf("skip-identical (same): %+v", ts)
		}
		if ts := up(SkipIdentical, newer, key); ts.State != Done {
			t.Fatalf("skip-identical (different): %+v", ts)
		}
		mustObject(t, s, key, newer)
		ts := up(Rename, o, key)
		want := strings.Replace(key, ".bin", " (1).bin", 1)
		if ts.State != Done || ts.Key != want {
			t.Fatalf("rename: %+v", ts)
		}
		mustObject(t, s, want, o)
		mustObject(t, s, key, newer)
	}
}

func TestMetaAndCallbackOptions(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", func(o *Options) {
		o.Meta = ObjectMeta{ACL: "private", StorageClass: "IA", UserMeta: map[string]string{"owner": "qa"}}
	})
	id, _ := m.AddFile(writeFile(t, t.TempDir(), "page", []byte("<html><body>hi</body></html>")), "page")
	id2, _ := m.AddFile(writeFile(t, t.TempDir(), "x.json", randBytes(2*MinPartSize, 2)), "x.json")
	waitIdle(t, m)
	mustDone(t, m, id)
	mustDone(t, m, id2)
	info, _ := s.Object(s.Bucket(), "page")
	if !strings.HasPrefix(info.ContentType, "text/html") {
		t.Fatalf("sniffed type %q", info.ContentType)
	}
	info, _ = s.Object(s.Bucket(), "x.json")
	if info.ContentType != "application/json" {
		t.Fatalf("type by extension %q", info.ContentType)
	}
	if _, err := (Options{Callback: &Callback{URL: "http://x", Vars: map[string]string{"bad": "1"}}}).normalize(); err == nil {
		t.Fatal("callback var without x: accepted")
	}
}

func TestOrphans(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, _, state := interrupted(t, s, 3)
	c, _ := oss.New(s.URL, s.AccessKeyID, s.AccessKeySecret)
	b, _ := c.Bucket(s.Bucket())
	stray, err := b.InitiateMultipartUpload("stray.bin")
	if err != nil {
		t.Fatal(err)
	}
	m := newManager(t, s, state, nil)
	ctx := context.Background()
	os1, err := m.Orphans(ctx)
	if err != nil || len(os1) != 1 || os1[0].UploadID != stray.UploadID {
		t.Fatalf("orphans %+v %v (the checkpointed upload must not be listed)", os1, err)
	}
	if err := m.AbortOrphans(ctx, os1); err != nil {
		t.Fatal(err)
	}
	if os2, _ := m.Orphans(ctx); len(os2) != 0 {
		t.Fatalf("still %+v", os2)
	}
	if n := len(s.Uploads(s.Bucket())); n != 1 {
		t.Fatalf("%d uploads on server, want the checkpointed one only", n)
	}
}
