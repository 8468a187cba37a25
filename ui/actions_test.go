package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

func TestAddFolderShowsWhatItUploadsAndAsks(t *testing.T) {
	r := newRig(t, nil)
	root := filepath.Join(t.TempDir(), "photos")
	writeFile(t, filepath.Join(root, "a.jpg"), randBytes(1000, 1))
	writeFile(t, filepath.Join(root, "sub", "b.jpg"), randBytes(2000, 2))
	writeFile(t, filepath.Join(root, ".DS_Store"), randBytes(10, 3))
	writeFile(t, filepath.Join(root, ".git", "config"), randBytes(20, 4))

	// Cancel: nothing is queued.
	r.w.confirmFolder(root)
	settle(r.w)
	test.Tap(findButton(t, r.w.win.Canvas(), "Cancel"))
	settle(r.w)
	r.w.sync()
	if r.w.totals.Files != 0 {
		t.Fatalf("%d files queued after Cancel", r.w.totals.Files)
	}

	r.w.confirmFolder(root)
	settle(r.w)
	txt := overlayText(r.w)
	if !strings.Contains(txt, "2 files (3.0 kB) from photos will upload to "+r.srv.Bucket()+"/in/photos/.") {
		t.Fatalf("confirmation says %q", txt)
	}
	checks := findChecks(r.w.win.Canvas())
	if len(checks) != 1 || checks[0].Text != "Include 2 hidden files (30 B)" || checks[0].Checked {
		t.Fatalf("hidden-files choice: %d checks %v", len(checks), checks)
	}
	test.AssertRendersToImage(t, "add_folder_confirm.png", r.w.win.Canvas())
	r.w.sync()
	if r.w.totals.Files != 0 {
		t.Fatal("files queued before the user confirmed")
	}
	test.Tap(findButton(t, r.w.win.Canvas(), "Upload"))
	r.waitFor(t, "the folder's visible files", func(tt transfer.Totals) bool { return tt.Done == 2 && tt.Active+tt.Queued == 0 })
	if r.w.totals.Files != 2 {
		t.Fatalf("%d files queued, want the 2 visible ones", r.w.totals.Files)
	}
	r.assertObject(t, "in/photos/sub/b.jpg", randBytes(2000, 2))

	// Ticked: hidden files go too.
	r.m.ClearFinished()
	r.w.confirmFolder(root)
	settle(r.w)
	test.Tap(findChecks(r.w.win.Canvas())[0])
	if !strings.Contains(overlayText(r.w), "4 files (3.0 kB)") {
		t.Fatalf("with hidden files ticked the summary says %q", overlayText(r.w))
	}
	test.Tap(findButton(t, r.w.win.Canvas(), "Upload"))
	r.waitFor(t, "all four files", func(tt transfer.Totals) bool { return tt.Done == 4 && tt.Active+tt.Queued == 0 })
	r.assertObject(t, "in/photos/.git/config", randBytes(20, 4))
}

func TestExistingObjectAsksWithApplyToAll(t *testing.T) {
	// One file at a time, so the question is about a.txt first: small files
	// would otherwise all go at once (the adaptive window), and a threshold of
	// one byte sends even these through the Jobs-limited path.
	r := newRig(t, func(o *transfer.Options) { o.OnExists = transfer.Ask; o.Jobs = 1; o.MultipartThreshold = 1 })
	dir := t.TempDir()
	var paths []string
	for i, n := range []string{"a.txt", "b.txt", "c.txt"} {
		paths = append(paths, writeFile(t, filepath.Join(dir, n), randBytes(100, uint64(i))))
	}
	r.w.AddPaths(paths)
	r.waitFor(t, "first upload", func(tt transfer.Totals) bool { return tt.Done == 3 })
	if r.w.exists.open != nil {
		t.Fatal("asked although nothing existed")
	}
	r.m.ClearFinished()
	for i, p := range paths {
		if err := os.WriteFile(p, randBytes(100, uint64(10+i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.w.AddPaths(paths)
	var asked int
	eventually(t, "the exists question", func() bool {
		settle(r.w)
		r.w.exists.mu.Lock()
		defer r.w.exists.mu.Unlock()
		return r.w.exists.open != nil
	})
	asked++
	txt := overlayText(r.w)
	if !strings.Contains(txt, r.srv.Bucket()+"/in/a.txt already exists in the bucket") {
		t.Fatalf("question says %q", txt)
	}
	r.w.sync()
	// The upload waits for the answer: the row and the overall bar say so,
	// not "stalled", and the tracker counts the time as the user's.
	if got := r.w.summary.Text; !strings.Contains(got, "waiting for your answer") {
		t.Errorf("overall bar says %q while the question is open", got)
	}
	var askedID transfer.TaskID
	for _, row := range r.w.list.visible {
		if row != nil && row.task.Key == "in/a.txt" {
			askedID = row.task.ID
			if !strings.Contains(row.status.Text, "waiting for your answer") {
				t.Errorf("asked row says %q", row.status.Text)
			}
		}
	}
	if !r.w.prog.waits.waiting(askedID) {
		t.Errorf("task %d is not counted as waiting for the user", askedID)
	}
	test.AssertRendersToImage(t, "exists_ask.png", r.w.win.Canvas())
	var all *widget.Check
	for _, c := range findChecks(r.w.win.Canvas()) {
		if c.Text == "Apply to all in this batch" {
			all = c
		}
	}
	if all == nil {
		t.Fatal("no apply-to-all choice")
	}
	test.Tap(all)
	test.Tap(findButton(t, r.w.win.Canvas(), "Keep both (rename)"))
	r.waitFor(t, "the batch", func(tt transfer.Totals) bool { return tt.Done == 3 && tt.Active+tt.Queued == 0 })
	settle(r.w)
	if r.w.exists.open != nil {
		t.Fatal("asked again after apply to all")
	}
	if r.w.prog.waits.any() || r.w.prog.waits.since(askedID, time.Time{}, time.Now()) <= 0 {
		t.Error("the question's time was not recorded once answered")
	}
	for i, n := range []string{"a", "b", "c"} {
		r.assertObject(t, "in/"+n+" (1).txt", randBytes(100, uint64(10+i)))
		r.assertObject(t, "in/"+n+".txt", randBytes(100, uint64(i)))
	}
	_ = asked
}

func TestCancelAsksWhenSomethingWasSent(t *testing.T) {
	tasks := sampleTasks()
	be := newViewBackend(tasks...)
	w := newViewWindow(t, be)
	w.sync()
	// Queued, nothing sent: canceled at once.
	test.Tap(w.list.visible[0].cancel)
	if strings.Join(be.calls, ";") != "cancel 1" {
		t.Fatalf("calls %v", be.calls)
	}
	// 302 MB sent: asked first.
	test.Tap(w.list.visible[1].cancel)
	if len(be.calls) != 1 || !strings.Contains(overlayText(w), "302 MB of beach.mp4 is already uploaded") {
		t.Fatalf("calls %v, dialog %q", be.calls, overlayText(w))
	}
	test.Tap(findButton(t, w.win.Canvas(), "Keep uploading"))
	if len(be.calls) != 1 {
		t.Fatalf("keep uploading canceled: %v", be.calls)
	}
	test.Tap(w.list.visible[1].cancel)
	test.Tap(findButton(t, w.win.Canvas(), "Cancel upload"))
	if strings.Join(be.calls, ";") != "cancel 1;cancel 2" {
		t.Fatalf("calls %v", be.calls)
	}
}
