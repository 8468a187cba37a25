package transfer

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer/checkpoint"
)

// A file edited in place with its modification time put back (touch -r, cp -p,
// a restored backup) after part of it was uploaded: resume re-reads every part it
// takes from the checkpoint, sends only the part that changed again, and the object
// equals the file as it is now.
func TestResumeEditedInPlaceMtimeRestored(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	file, data, state := interrupted(t, s, 6)
	st, _ := os.Stat(file)
	next := bytes.Clone(data)
	copy(next[MinPartSize+100:], "edited inside part 2") // part 2 is already on the server
	if err := os.WriteFile(file, next, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(file, st.ModTime(), st.ModTime())
	us, _ := ListUnfinished(state)
	if len(us) != 1 {
		t.Fatalf("%+v", us)
	}
	before := s.BytesReceived(ossemu.OpUploadPart)
	m := newManager(t, s, state, nil)
	id, _ := m.AddFile(file, "f.bin")
	waitIdle(t, m)
	ts := mustDone(t, m, id)
	if !ts.Resumed || !strings.Contains(ts.Note, "part 2 of the file changed") || ts.NoteKinds != NotesOf(NotePartsResent) {
		t.Fatalf("resumed %v note %q", ts.Resumed, ts.Note)
	}
	mustObject(t, s, "f.bin", next)
	resent := s.BytesReceived(ossemu.OpUploadPart) - before
	if limit := int64(len(data)) - us[0].Done + MinPartSize; resent > limit {
		t.Fatalf("resume sent %d bytes; the missing parts and the edited one are %d", resent, limit)
	}
}

// A checkpoint whose recorded CRC disagrees with the file's bytes re-sends that part.
func TestResumeRecordedCRCWrongResendsPart(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	file, data, state := interrupted(t, s, 4)
	cp := cpFiles(t, state)[0]
	raw, _ := os.ReadFile(cp)
	lines := bytes.SplitAfter(raw, []byte("\n"))
	lines[1] = bytes.Replace(lines[1], []byte(`"crc64":`), []byte(`"crc64":1`), 1)
	os.WriteFile(cp, bytes.Join(lines, nil), 0o600)
	m := newManager(t, s, state, nil)
	id, _ := m.AddFile(file, "f.bin")
	waitIdle(t, m)
	ts := mustDone(t, m, id)
	if !strings.Contains(ts.Note, "changed since the earlier run") {
		t.Fatalf("note %q", ts.Note)
	}
	mustObject(t, s, "f.bin", data)
}

// editOn rewrites path whenever the server sees a request for op (before it is
// handled), as another program saving the file would.
func editOn(s *ossemu.Server, op string, times int, edit func(n int)) *atomic.Int32 {
	var n atomic.Int32
	s.Inject(ossemu.Fault{Times: times, Match: func(r *http.Request) bool {
		if ossemu.Op(r) != op {
			return false
		}
		edit(int(n.Add(1)))
		return false
	}})
	return &n
}

func TestChangedWhileUploading(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int
		op    string
		edits int // how many requests see the file change
		grow  bool
	}{
		{"single-request-edited", 50 << 10, ossemu.OpPutObject, 1, false},
		{"single-request-grew", 50 << 10, ossemu.OpPutObject, 1, true},
		{"multipart-during-parts", 6*MinPartSize + 5, ossemu.OpUploadPart, 1, false},
		{"multipart-at-complete", 6*MinPartSize + 5, ossemu.OpCompleteMultipartUpload, 1, false},
		{"single-request-twice", 50 << 10, ossemu.OpPutObject, 2, false},
		{"multipart-twice", 6*MinPartSize + 5, ossemu.OpCompleteMultipartUpload, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, ossemu.Options{})
			data := randBytes(tc.size, 5)
			file := writeFile(t, t.TempDir(), "doc.bin", data)
			var final []byte
			seen := editOn(s, tc.op, 0, func(n int) {
				if n > tc.edits {
					return
				}
				st, _ := os.Stat(file)
				next := bytes.Clone(data)
				if tc.grow {
					next = append(next, "appended"...)
				}
				next[len(next)/2] ^= byte(n)
				// In place, as an editor saving over the file does, without truncating
				// first (a truncation is a file getting shorter, tested separately).
				f, _ := os.OpenFile(file, os.O_WRONLY, 0)
				f.WriteAt(next, 0)
				f.Close()
				if !tc.grow {
					os.Chtimes(file, st.ModTime(), st.ModTime().Add(time.Duration(n)*time.Second))
				}
				final = next
			})
			m := newManager(t, s, "", func(o *Options) { o.TaskNum = 2 })
			id, err := m.AddFile(file, "doc.bin")
			if err != nil {
				t.Fatal(err)
			}
			waitIdle(t, m)
			ts, _ := m.Task(id)
			if seen.Load() == 0 {
				t.Fatal("the edit never happened")
			}
			if tc.edits == 1 {
				if ts.State != Done || !strings.Contains(ts.Note, "changed while uploading; started again") {
					t.Fatalf("%s %q %v", ts.State, ts.Note, ts.Err)
				}
				mustObject(t, s, "doc.bin", final)
				return
			}
			if ts.State != Failed || ts.Err == nil || !strings.Contains(ts.Err.Error(), file) || !strings.Contains(ts.Err.Error(), "changed again") {
				t.Fatalf("want a failure naming the file: %s %v", ts.State, ts.Err)
			}
		})
	}
}

func TestFileShrinksWhileRead(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	data := randBytes(20*MinPartSize, 6)
	file := writeFile(t, t.TempDir(), "shrinks.bin", data)
	editOn(s, ossemu.OpUploadPart, 1, func(int) { os.Truncate(file, 3*MinPartSize) })
	m := newManager(t, s, "", func(o *Options) { o.TaskNum = 1; o.LimitRate = 4 << 20 })
	id, _ := m.AddFile(file, "shrinks.bin")
	start := time.Now()
	waitIdle(t, m)
	ts, _ := m.Task(id)
	if ts.State != Failed || ts.Err == nil || !strings.Contains(ts.Err.Error(), "the file got shorter while it was being read") {
		t.Fatalf("%s %v", ts.State, ts.Err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("took %v", d)
	}
	if n := s.Requests(ossemu.OpUploadPart); n > 8 {
		t.Fatalf("%d part requests: retried a local read failure", n)
	}
}

// completeOutOfBand finishes the upload a checkpoint names, as the server would have
// when a crash came between its Complete and our record of it.
func completeOutOfBand(t *testing.T, s *ossemu.Server, cp string, data []byte) {
	t.Helper()
	l, err := checkpoint.Load(cp)
	if err != nil {
		t.Fatal(err)
	}
	h := l.Header
	c, _ := oss.New(s.URL, s.AccessKeyID, s.AccessKeySecret)
	b, _ := c.Bucket(s.Bucket())
	imur := oss.InitiateMultipartUploadResult{Bucket: h.Bucket, Key: h.Key, UploadID: h.UploadID}
	done := map[int]string{}
	for _, p := range l.Parts {
		done[p.Number] = p.ETag
	}
	var parts []oss.UploadPart
	for off, n := int64(0), 1; off < int64(len(data)); off, n = off+h.PartSize, n+1 {
		etag, ok := done[n]
		if !ok {
			end := min(off+h.PartSize, int64(len(data)))
			up, err := b.UploadPart(imur, bytes.NewReader(data[off:end]), end-off, n)
			if err != nil {
				t.Fatal(err)
			}
			etag = up.ETag
		}
		parts = append(parts, oss.UploadPart{PartNumber: n, ETag: etag})
	}
	if _, err := b.CompleteMultipartUpload(imur, parts); err != nil {
		t.Fatal(err)
	}
}

// Killed after the server completed the upload and before it was recorded: the
// rerun recognises the object (size and CRC64 of the file), sends nothing, and with
// --on-exists rename makes no second copy.
func TestCompletedButUnrecorded(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	file, data, state := interrupted(t, s, 4)
	completeOutOfBand(t, s, cpFiles(t, state)[0], data)
	s.ResetCounters()
	m := newManager(t, s, state, func(o *Options) { o.OnExists = Rename })
	us, _ := ListUnfinished(state)
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	snap := m.Snapshot(nil)
	if len(snap) != 1 || snap[0].State != Done || !strings.Contains(snap[0].Note, "already uploaded by an earlier run") ||
		snap[0].NoteKinds != NotesOf(NoteAlreadyUploaded) {
		t.Fatalf("%+v", snap)
	}
	if n := s.BytesReceived(ossemu.OpUploadPart) + s.BytesReceived(ossemu.OpPutObject); n != 0 {
		t.Fatalf("%d bytes sent again", n)
	}
	if keys := s.Keys(s.Bucket()); len(keys) != 1 || keys[0] != "f.bin" {
		t.Fatalf("keys %q", keys)
	}
	mustObject(t, s, "f.bin", data)
	m.Close()
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("still unfinished: %+v", us)
	}
	// The same file edited since is not mistaken for the stored object.
	_ = file
}

// dropReplyProxy forwards to s and, for the first CompleteMultipartUpload, lets
// the server complete the upload and then drops the connection instead of replying.
func dropReplyProxy(t *testing.T, s *ossemu.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var dropped atomic.Bool
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := testkit.Resend(r, strings.TrimPrefix(s.URL, "http://"), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		isComplete := r.Method == http.MethodPost && r.URL.Query().Has("uploadId")
		if isComplete && resp.StatusCode == 200 && dropped.CompareAndSwap(false, true) {
			resp.Body.Close()
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		testkit.Reply(w, resp)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestCompleteReplyLost(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	data := randBytes(5*MinPartSize+9, 8)
	file := writeFile(t, t.TempDir(), "big.bin", data)
	tgt := targetOf(s)
	tgt.Endpoint = dropReplyProxy(t, s)
	o := DefaultOptions()
	o.PartSize, o.OnExists = MinPartSize, Rename
	m, err := NewManager(Config{Target: tgt, Options: o, StateDir: t.TempDir(), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id, _ := m.AddFile(file, "big.bin")
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s, "big.bin", data)
	if keys := s.Keys(s.Bucket()); len(keys) != 1 {
		t.Fatalf("keys %q", keys)
	}
}

// A run killed while its Complete was still being processed: the next run lists
// the parts before the server finishes that Complete, and its own Complete then
// finds the upload gone. The object has the file's size and CRC64, so it is done.
func TestCompletedUnderUs(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	file, data, state := interrupted(t, s, 4)
	var once atomic.Bool
	s.Inject(ossemu.Fault{Match: func(r *http.Request) bool {
		if ossemu.Op(r) == ossemu.OpCompleteMultipartUpload && once.CompareAndSwap(false, true) {
			completeOutOfBand(t, s, cpFiles(t, state)[0], data)
		}
		return false
	}})
	m := newManager(t, s, state, nil)
	id, _ := m.AddFile(file, "f.bin")
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s, "f.bin", data)
	if !once.Load() {
		t.Fatal("the Complete was never raced")
	}
}

// corruptingProxy forwards to s and flips one byte in the body of the first
// UploadPart and the first PutObject: data damaged on the way, which the server
// stores (nothing signs the body) and reports with its CRC64.
func corruptingProxy(t *testing.T, s *ossemu.Server) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var partDone, putDone atomic.Bool
	var corrupted atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		isPart := r.Method == http.MethodPut && r.URL.Query().Has("partNumber")
		isPut := r.Method == http.MethodPut && !isPart
		if len(body) > 0 && (isPart && partDone.CompareAndSwap(false, true) || isPut && putDone.CompareAndSwap(false, true)) {
			body[len(body)/2] ^= 0x40
			corrupted.Add(1)
		}
		testkit.Forward(w, r, strings.TrimPrefix(s.URL, "http://"), bytes.NewReader(body))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), &corrupted
}

// A part or a small object damaged in transit is caught by comparing the CRC64
// of the bytes sent with the server's, and sent again: both end byte-exact.
func TestCorruptedInTransitIsSentAgain(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	big := randBytes(4*MinPartSize+5, 21)
	small := randBytes(MinPartSize/2, 22)
	dir := t.TempDir()
	tgt := targetOf(s)
	ep, corrupted := corruptingProxy(t, s)
	tgt.Endpoint = ep
	o := DefaultOptions()
	o.PartSize = MinPartSize
	m, err := NewManager(Config{Target: tgt, Options: o, StateDir: t.TempDir(), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	idBig, _ := m.AddFile(writeFile(t, dir, "big.bin", big), "big.bin")
	idSmall, _ := m.AddFile(writeFile(t, dir, "small.bin", small), "small.bin")
	waitIdle(t, m)
	for _, id := range []TaskID{idBig, idSmall} {
		if ts := mustDone(t, m, id); ts.Retries == 0 {
			t.Errorf("%s: done without a retry although its data was damaged", ts.Key)
		}
	}
	if corrupted.Load() != 2 {
		t.Fatalf("the proxy damaged %d requests, want 2", corrupted.Load())
	}
	mustObject(t, s, "big.bin", big)
	mustObject(t, s, "small.bin", small)
}
