package ui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// These tests drive the window over a real Manager that uploads through the
// real SDK over HTTP to an in-process ossemu server.

type staticCreds struct{ id, secret string }

func (c staticCreds) GetAccessKeyID() string          { return c.id }
func (c staticCreds) GetAccessKeySecret() string      { return c.secret }
func (c staticCreds) GetSecurityToken() string        { return "" }
func (c staticCreds) GetCredentials() oss.Credentials { return c }

type rig struct {
	srv   *ossemu.Server
	m     *transfer.Manager
	w     *Window
	state string
}

func newServer(t testing.TB) *ossemu.Server {
	t.Helper()
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func serverTarget(s *ossemu.Server) transfer.Target {
	return transfer.Target{Profile: "test", Endpoint: s.URL, Bucket: s.Bucket(), Credentials: staticCreds{s.AccessKeyID, s.AccessKeySecret}}
}

func newManager(t testing.TB, tgt transfer.Target, stateDir string, mut func(*transfer.Options)) *transfer.Manager {
	t.Helper()
	o := transfer.DefaultOptions()
	o.PartSize = transfer.MinPartSize
	if mut != nil {
		mut(&o)
	}
	m, err := transfer.NewManager(transfer.Config{Target: tgt, Options: o, StateDir: stateDir,
		Retry: transfer.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func newRig(t *testing.T, mut func(*transfer.Options)) *rig {
	t.Helper()
	r := &rig{srv: newServer(t), state: t.TempDir()}
	tgt := serverTarget(r.srv)
	r.m = newManager(t, tgt, r.state, mut)
	a := test.NewTempApp(t)
	r.w = New(a, Config{Backend: r.m, Target: tgt, Prefix: "in"})
	useLoop(r.w)
	r.w.win.Resize(fyne.NewSize(1000, 640))
	t.Cleanup(func() {
		settle(r.w)
		r.w.win.Close()
	})
	return r
}

// waitFor refreshes the window until cond holds; the deadline only guards
// against a hang, it does not measure speed. A refresh reads the sums after
// the rows, so they may count a task the rows do not show yet: one more
// refresh once cond holds brings the rows up to the sums.
func (r *rig) waitFor(t *testing.T, what string, cond func(transfer.Totals) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		settle(r.w)
		r.w.sync()
		if cond(r.w.totals) {
			settle(r.w)
			r.w.sync()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; totals %+v", what, r.w.totals)
		}
		select {
		case <-r.m.Changed():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitTask refreshes until the task shown at row index i satisfies cond.
func (r *rig) waitTask(t *testing.T, what string, id transfer.TaskID, cond func(transfer.TaskSnapshot) bool) transfer.TaskSnapshot {
	t.Helper()
	var last transfer.TaskSnapshot
	r.waitFor(t, what, func(transfer.Totals) bool {
		for _, s := range r.w.list.tasks() {
			if s.ID == id {
				last = s
				return cond(s)
			}
		}
		return false
	})
	// The condition was read from the engine, which may be ahead of the last
	// refresh; one more refresh makes the rows show at least that state.
	settle(r.w)
	r.w.sync()
	return last
}

// eventually polls cond until it holds; the deadline guards against a hang.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// randBytes is the shared test kit's seeded data, argument order kept for
// this package's many callers.
func randBytes(n int, seed uint64) []byte { return testkit.RandBytes(seed, n) }

func writeFile(t testing.TB, p string, data []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (r *rig) assertObject(t *testing.T, key string, want []byte) {
	t.Helper()
	got, err := r.srv.ReadObject(r.srv.Bucket(), key)
	if err != nil {
		t.Fatalf("object %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("object %s: %d bytes differ from the %d-byte file", key, len(got), len(want))
	}
}

func TestDropUploadsFilesAndFolders(t *testing.T) {
	r := newRig(t, nil)
	dir := t.TempDir()
	files := map[string][]byte{
		"a.txt":             []byte("hello"),
		"b.bin":             randBytes(300_000, 1), // multipart with 100 KB parts
		"photos/x.jpg":      randBytes(20_000, 2),
		"photos/sub/y.json": []byte(`{"y":1}`),
		"empty.dat":         {},
	}
	for name, data := range files {
		writeFile(t, filepath.Join(dir, name), data)
	}
	uris := []fyne.URI{
		storage.NewFileURI(filepath.Join(dir, "a.txt")),
		storage.NewFileURI(filepath.Join(dir, "b.bin")),
		storage.NewFileURI(filepath.Join(dir, "empty.dat")),
		storage.NewFileURI(filepath.Join(dir, "photos")),
	}
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Uploads finished", Content: "5 files uploaded to local"}, func() {
		r.w.Dropped(fyne.NewPos(300, 300), uris)
		r.waitFor(t, "5 uploads", func(tt transfer.Totals) bool { return tt.Files == 5 && tt.Done == 5 })
	})
	for name, data := range files {
		r.assertObject(t, "in/"+name, data)
	}
	if r.w.dropZone.Visible() {
		t.Error("drop zone still shown")
	}
	for i, row := range r.w.list.visible {
		if !strings.HasPrefix(row.status.Text, "Done") || row.bar.value != 1 {
			t.Errorf("row %d: %q bar %v", i, row.status.Text, row.bar.value)
		}
		if got := shownButtons(row); strings.Join(got, ",") != "link,remove" {
			t.Errorf("row %d buttons %v", i, got)
		}
	}
	if got := r.w.summary.Text; !strings.HasPrefix(got, "5 of 5 files") {
		t.Errorf("summary %q", got)
	}

	// Copy URL and a presigned link: the link really downloads the object.
	var bRow *taskRow
	for _, row := range r.w.list.visible {
		if row.task.Key == "in/b.bin" {
			bRow = row
		}
	}
	r.w.copyLink(bRow.task, 0)
	if got := r.w.app.Clipboard().Content(); !strings.Contains(got, "/in/b.bin") {
		t.Errorf("plain URL %q", got)
	}
	r.w.copyLink(bRow.task, time.Hour)
	link := r.w.app.Clipboard().Content()
	if !strings.Contains(link, "/in%2Fb.bin?") || !strings.Contains(link, "Expires=") || !strings.Contains(link, "Signature=") {
		t.Fatalf("presigned link %q", link)
	}
	t.Run("presigned link downloads", func(t *testing.T) {
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !bytes.Equal(body, files["b.bin"]) {
			t.Fatalf("presigned link %s: status %d, %d bytes %s", link, resp.StatusCode, len(body), body[:min(len(body), 400)])
		}
	})

	// Clear finished empties the list and brings back the drop zone.
	test.Tap(r.w.clearF)
	r.waitFor(t, "cleared list", func(tt transfer.Totals) bool { return tt.Files == 0 })
	if !r.w.dropZone.Visible() || r.w.list.Visible() {
		t.Error("empty list does not show the drop zone again")
	}
}

func TestRowActionsPauseResumeCancelRetryRemove(t *testing.T) {
	r := newRig(t, func(o *transfer.Options) { o.TaskNum = 1 })
	// 64 KB/s makes the 1 MB file take long enough to act on it mid-way.
	slow := r.srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 64 << 10})
	data := randBytes(1<<20, 3)
	p := writeFile(t, filepath.Join(t.TempDir(), "big.bin"), data)
	r.w.AddPaths([]string{p})
	r.waitFor(t, "upload to start", func(tt transfer.Totals) bool { return tt.Active == 1 })
	row := r.w.list.visible[0]
	id := row.task.ID
	r.waitTask(t, "some bytes", id, func(s transfer.TaskSnapshot) bool { return s.Done > 0 })

	test.Tap(row.pause)
	r.waitTask(t, "paused", id, func(s transfer.TaskSnapshot) bool { return s.State == transfer.Paused })
	if got := shownButtons(row); strings.Join(got, ",") != "resume,cancel,remove" {
		t.Fatalf("paused row buttons %v (%q, %+v)", got, row.status.Text, row.task.Err)
	}
	if !strings.HasPrefix(row.status.Text, "Paused") {
		t.Fatalf("paused row says %q", row.status.Text)
	}
	test.Tap(row.resume)
	// Cancel as soon as it runs again, while it is still reconciling with the
	// server: the multipart upload must go all the same.
	r.waitTask(t, "resumed", id, func(s transfer.TaskSnapshot) bool { return s.State.Active() })
	test.Tap(row.cancel)
	// Bytes were sent: the window asks before throwing them away.
	test.Tap(findButton(t, r.w.win.Canvas(), "Cancel upload"))
	r.waitTask(t, "canceled", id, func(s transfer.TaskSnapshot) bool { return s.State == transfer.Canceled })
	// The abort runs right after the state change; give it a moment.
	eventually(t, "cancel to abort the multipart upload", func() bool { return len(r.srv.Uploads(r.srv.Bucket())) == 0 })
	slow()
	test.Tap(row.retry)
	r.waitTask(t, "retried to done", id, func(s transfer.TaskSnapshot) bool { return s.State == transfer.Done })
	r.assertObject(t, "in/big.bin", data)

	// Delete removes the selected finished row.
	r.w.list.Select(0)
	r.w.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	r.waitFor(t, "row removed", func(tt transfer.Totals) bool { return tt.Files == 0 })
}

func TestFailedUploadShowsOSSErrorDetails(t *testing.T) {
	srv := newServer(t)
	tgt := serverTarget(srv)
	tgt.Credentials = staticCreds{srv.AccessKeyID, "wrong-secret"}
	m := newManager(t, tgt, t.TempDir(), nil)
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: m, Target: tgt})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 640))
	r := &rig{srv: srv, m: m, w: w}
	p := writeFile(t, filepath.Join(t.TempDir(), "doc.pdf"), []byte("%PDF-1.7"))
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Uploads failed", Content: "1 file failed, 0 files uploaded"}, func() {
		w.AddPaths([]string{p})
		r.waitFor(t, "failure", func(tt transfer.Totals) bool { return tt.Failed == 1 })
	})
	row := w.list.visible[0]
	// Plain language in the row; the OSS code is one click away.
	if !strings.HasPrefix(row.status.Text, "Failed: the AccessKey secret") || strings.Contains(row.status.Text, "SignatureDoesNotMatch") {
		t.Errorf("failed row says %q", row.status.Text)
	}
	test.Tap(row.details)
	text := overlayText(w)
	for _, want := range []string{"OSS code: SignatureDoesNotMatch", "RequestId: ", "HTTP status: 403", "doc.pdf"} {
		if !strings.Contains(text, want) {
			t.Errorf("details dialog lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "wrong-secret") {
		t.Error("the secret appears in the error details")
	}
}

func TestResumeOnLaunchResumeAllAndDiscard(t *testing.T) {
	srv := newServer(t)
	tgt := serverTarget(srv)
	state := t.TempDir()
	data := randBytes(600_000, 4)
	dir := t.TempDir()
	p1 := writeFile(t, filepath.Join(dir, "one.bin"), data)
	p2 := writeFile(t, filepath.Join(dir, "two.bin"), data[:500_000])

	// First run: the uploads start, then the app goes away mid-way.
	slow := srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 100 << 10})
	m1, err := transfer.NewManager(transfer.Config{Target: tgt, Options: func() transfer.Options {
		o := transfer.DefaultOptions()
		o.PartSize = transfer.MinPartSize
		o.TaskNum = 1
		return o
	}(), StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	m1.Add([]string{p1, p2}, "r/")
	deadline := time.Now().Add(30 * time.Second)
	for m1.Totals().BytesDone < 150_000 {
		if time.Now().After(deadline) {
			t.Fatalf("first run never got going: %+v", m1.Totals())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := m1.Close(); err != nil {
		t.Fatal(err)
	}
	slow()

	items, err := transfer.ListUnfinished(state)
	if err != nil || len(items) != 2 {
		t.Fatalf("unfinished: %v, %+v", err, items)
	}

	// Second run asks; "Resume all" finishes both.
	m2 := newManager(t, tgt, state, nil)
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: m2, Target: tgt})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 640))
	r := &rig{srv: srv, m: m2, w: w}
	w.OfferResume(items, settings.ResumeAsk)
	if txt := overlayText(w); !strings.Contains(txt, "2 uploads did not finish last time to local") {
		t.Fatalf("resume dialog says %q", txt)
	}
	test.Tap(findButton(t, w.win.Canvas(), "Resume all"))
	r.waitFor(t, "resumed uploads", func(tt transfer.Totals) bool { return tt.Done == 2 })
	r.assertObject(t, "r/one.bin", data)
	r.assertObject(t, "r/two.bin", data[:500_000])
	for _, s := range w.list.tasks() {
		if !s.Resumed {
			t.Errorf("%s not marked resumed", s.Key)
		}
	}
	// The durable queue is flushed lazily; closing the Manager settles it.
	m2.Close()
	if left, _ := transfer.ListUnfinished(state); len(left) != 0 {
		t.Fatalf("%d records left after resuming: %+v", len(left), left)
	}
	m2 = newManager(t, tgt, state, nil)
	w.be = m2
	r.m = m2

	// Third run: interrupted again, then discarded: uploads aborted, records gone.
	slow = srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 100 << 10})
	defer slow()
	m3, err := transfer.NewManager(transfer.Config{Target: tgt, Options: func() transfer.Options {
		o := transfer.DefaultOptions()
		o.PartSize = transfer.MinPartSize
		return o
	}(), StateDir: state})
	if err != nil {
		t.Fatal(err)
	}
	p3 := writeFile(t, filepath.Join(dir, "three.bin"), data)
	m3.Add([]string{p3}, "d/")
	for len(srv.Uploads(srv.Bucket())) == 0 || m3.Totals().BytesDone == 0 {
		if time.Now().After(deadline.Add(30 * time.Second)) {
			t.Fatal("third run never started its multipart upload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m3.Close()
	items, _ = transfer.ListUnfinished(state)
	if len(items) != 1 {
		t.Fatalf("want 1 unfinished, got %+v", items)
	}
	w.OfferResume(items, settings.ResumeAsk)
	test.Tap(findButton(t, w.win.Canvas(), "Discard"))
	test.Tap(findButton(t, w.win.Canvas(), "Discard")) // the confirmation
	settle(w)
	if left, _ := transfer.ListUnfinished(state); len(left) != 0 {
		t.Fatalf("discard left %+v", left)
	}
	eventually(t, "discard to abort the multipart upload", func() bool { return len(srv.Uploads(srv.Bucket())) == 0 })
}

// TestRefreshLoopFollowsManager runs the real refresh loop: the ticker
// goroutine snapshots the Manager and posts the apply to the UI goroutine
// (here the test's, through the loop stand-in), at most once per tick.
func TestRefreshLoopFollowsManager(t *testing.T) {
	srv := newServer(t)
	tgt := serverTarget(srv)
	m := newManager(t, tgt, t.TempDir(), nil)
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: m, Target: tgt, Interval: 20 * time.Millisecond})
	useLoop(w)
	defer w.win.Close()
	w.Start(context.Background())
	data := randBytes(250_000, 9)
	w.AddPaths([]string{writeFile(t, filepath.Join(t.TempDir(), "loop.bin"), data)})
	deadline := time.Now().Add(30 * time.Second)
	applied := 0
	for w.totals.Done != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("loop never showed the upload done: %+v", w.totals)
		}
		v, _ := loops.Load(w)
		l := v.(*uiLoop)
		l.mu.Lock()
		q := l.q
		l.q = nil
		l.mu.Unlock()
		for _, f := range q {
			f()
			applied++
		}
		time.Sleep(5 * time.Millisecond)
	}
	w.Stop()
	if applied == 0 || w.list.visible[0] == nil || !strings.HasPrefix(w.list.visible[0].status.Text, "Done") {
		t.Fatalf("after %d applies the row says %q", applied, w.list.visible[0].status.Text)
	}
	if got, _ := srv.ReadObject(srv.Bucket(), "loop.bin"); !bytes.Equal(got, data) {
		t.Fatal("object differs")
	}
}

func TestDeleteRemovesSeveralSelectedRows(t *testing.T) {
	r := newRig(t, nil)
	dir := t.TempDir()
	var paths []string
	for _, n := range []string{"a.txt", "b.txt", "c.txt", "d.txt"} {
		paths = append(paths, writeFile(t, filepath.Join(dir, n), []byte("row "+n)))
	}
	r.w.AddPaths(paths)
	r.waitFor(t, "uploads", func(tt transfer.Totals) bool { return tt.Done == 4 })
	var mods fyne.KeyModifier
	r.w.list.modifiers = func() fyne.KeyModifier { return mods }
	key := func(i int) string { return r.w.list.tasks()[i].Key }

	// Click the first row, Shift+click the third, Ctrl+click the second
	// off again: the first and third are selected.
	r.w.list.Select(0)
	mods = fyne.KeyModifierShift
	r.w.list.Select(2)
	if got := len(r.w.list.markedTasks()); got != 3 {
		t.Fatalf("shift-click selected %d rows", got)
	}
	if !r.w.list.visible[0].mark.Visible() || !r.w.list.visible[1].mark.Visible() || r.w.list.visible[3].mark.Visible() {
		t.Fatal("the selected rows are not highlighted")
	}
	mods = fyne.KeyModifierShortcutDefault
	r.w.list.Select(1)
	mods = 0
	var want []string
	for _, s := range r.w.list.markedTasks() {
		want = append(want, s.Key)
	}
	if strings.Join(want, ",") != key(0)+","+key(2) {
		t.Fatalf("selected %v", want)
	}
	keep := []string{key(1), key(3)}
	r.w.list.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	r.waitFor(t, "two rows removed", func(tt transfer.Totals) bool { return tt.Files == 2 })
	if got := []string{key(0), key(1)}; strings.Join(got, ",") != strings.Join(keep, ",") {
		t.Fatalf("left %v, want %v", got, keep)
	}

	// A plain click starts a new selection of one.
	r.w.list.Select(1)
	if got := r.w.list.markedTasks(); len(got) != 1 || got[0].Key != keep[1] {
		t.Fatalf("plain click selected %+v", got)
	}
	r.w.DeleteSelected()
	r.waitFor(t, "one row removed", func(tt transfer.Totals) bool { return tt.Files == 1 })
	if r.w.list.tasks()[0].Key != keep[0] {
		t.Fatalf("left %s", r.w.list.tasks()[0].Key)
	}
}
