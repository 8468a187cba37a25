package ui

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

func newViewWindow(t *testing.T, be Backend) *Window {
	t.Helper()
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: be, Target: transfer.Target{Bucket: "media", Profile: "work"}, Prefix: "trip"})
	useLoop(w)
	w.win.Resize(fyne.NewSize(1000, 640))
	t.Cleanup(w.win.Close)
	return w
}

func TestEmptyWindowShowsDropZone(t *testing.T) {
	w := newViewWindow(t, newViewBackend())
	w.sync()
	if !w.dropZone.Visible() || w.list.Visible() {
		t.Fatal("an empty window must show the drop zone, not the list")
	}
	want := "Drop files or folders here — they upload to media/trip/"
	if w.dropText.Text != want {
		t.Fatalf("drop zone says %q, want %q", w.dropText.Text, want)
	}
	test.AssertRendersToMarkup(t, "empty.xml", w.win.Canvas())
	test.AssertRendersToImage(t, "empty.png", w.win.Canvas())

	// Changing the destination updates the promise the drop zone makes.
	w.prefixE.SetText("/trip/2026")
	if w.prefix != "trip/2026/" {
		t.Fatalf("prefix = %q", w.prefix)
	}
	if !strings.HasSuffix(w.dropText.Text, "media/trip/2026/") {
		t.Fatalf("drop zone not updated: %q", w.dropText.Text)
	}
}

func TestEveryStateRenders(t *testing.T) {
	tasks := sampleTasks()
	// Two ticks 2 s apart, 25 MB sent in between: 12.5 MB/s.
	tasks[1].Sent -= 25_000_000
	be := newViewBackend(tasks...)
	w := newViewWindow(t, be)
	clk := newFakeClock()
	w.now = clk.now
	w.win.Resize(fyne.NewSize(1100, 900))
	w.sync()
	clk.add(2 * time.Second)
	be.mu.Lock()
	be.tasks[1].Sent += 25_000_000
	be.tasks[1].Version++
	be.tasks[2].RetryAt = clk.t.Add(12 * time.Second)
	be.tasks[2].Version++
	be.mu.Unlock()
	w.sync()
	if w.dropZone.Visible() {
		t.Fatal("drop zone still shown with tasks in the list")
	}
	test.AssertRendersToMarkup(t, "states.xml", w.win.Canvas())
	test.AssertRendersToImage(t, "states.png", w.win.Canvas())

	for i, want := range []struct {
		status  string
		buttons []string
	}{
		{"Queued · 2.0 kB", []string{"pause", "cancel"}},
		{"41% · 302 MB of 734 MB · 13 MB/s · 35s left", []string{"pause", "cancel"}},
		{"Retrying in 12 s — the connection to the server failed · 48 kB", []string{"pause", "details", "cancel"}},
		{"Verifying CRC-64 · 30 MB", []string{"cancel"}},
		{"Done · 4.2 MB · in 3s", []string{"link", "remove"}},
		{"Failed: the AccessKey secret is wrong", []string{"retry", "details", "remove"}},
		{"Paused · 500 MB of 2.0 GB", []string{"resume", "cancel", "remove"}},
		{"Canceled", []string{"retry", "remove"}},
		{"Skipped · an identical object already exists", []string{"link", "remove"}},
	} {
		r := w.list.visible[i]
		if r == nil {
			t.Fatalf("row %d not visible", i)
		}
		if r.status.Text != want.status {
			t.Errorf("row %d (%s) status %q, want %q", i, r.task.State, r.status.Text, want.status)
		}
		if got := shownButtons(r); strings.Join(got, ",") != strings.Join(want.buttons, ",") {
			t.Errorf("row %d (%s) buttons %v, want %v", i, r.task.State, got, want.buttons)
		}
	}
	// The batch is what is queued or running plus what joined it; the
	// finished rows from before the queue went busy are not in it.
	if got := w.summary.Text; got != "0 of 4 files · 43% · 332 MB of 764 MB · 13 MB/s · 35s left" {
		t.Errorf("summary %q", got)
	}
	if got := w.win.Title(); got != "43% — ossdrop" {
		t.Errorf("title %q while uploading; summary %q", got, w.summary.Text)
	}
}

func shownButtons(r *taskRow) []string {
	var out []string
	for _, b := range []struct {
		n string
		b *tipButton
	}{{"pause", r.pause}, {"resume", r.resume}, {"retry", r.retry}, {"link", r.link},
		{"details", r.details}, {"cancel", r.cancel}, {"remove", r.remove}} {
		if b.b.Visible() {
			out = append(out, b.n)
		}
	}
	return out
}

func TestErrorDetailsAreCopyable(t *testing.T) {
	tasks := sampleTasks()
	w := newViewWindow(t, newViewBackend(tasks...))
	w.sync()
	r := w.list.visible[5]
	test.Tap(r.details)
	text := errorDetails(tasks[5])
	for _, want := range []string{"SignatureDoesNotMatch", "RequestId: 5F1A2B3C4D5E6F7A8B9C0D1E", "HTTP status: 403", "media/trip/secret.pdf", "While: initiate"} {
		if !strings.Contains(text, want) {
			t.Errorf("details lack %q:\n%s", want, text)
		}
	}
	test.AssertRendersToMarkup(t, "error_details.xml", w.win.Canvas())
	test.AssertRendersToImage(t, "error_details.png", w.win.Canvas())
	copyB := findButton(t, w.win.Canvas(), "Copy details")
	test.Tap(copyB)
	if w.lastCopied != text || w.app.Clipboard().Content() != text {
		t.Fatalf("clipboard has %q", w.app.Clipboard().Content())
	}
	if copyB.Text != "Copied" {
		t.Fatalf("no feedback after copying: button says %q", copyB.Text)
	}
	// A copied link says so in the summary line for a moment.
	w.copyLink(tasks[4], 0)
	if w.summary.Text != "Link copied" || !strings.Contains(w.lastCopied, "example.invalid/5") {
		t.Fatalf("after copying a link the summary says %q", w.summary.Text)
	}
}

// findButton finds a button by label among the window's content and overlays.
func findButton(t *testing.T, c fyne.Canvas, label string) *widget.Button {
	t.Helper()
	found := buttonIn(label, append(c.Overlays().List(), c.Content())...)
	if found == nil {
		t.Fatalf("no visible button %q", label)
	}
	return found
}

// buttonIn is the first visible button labelled label under roots, in order.
func buttonIn(label string, roots ...fyne.CanvasObject) *widget.Button {
	var found *widget.Button
	for _, r := range roots {
		eachObject(r, func(o fyne.CanvasObject) bool {
			if found != nil || !o.Visible() {
				return false
			}
			if b, ok := o.(*widget.Button); ok && b.Text == label {
				found = b
				return false
			}
			return true
		})
	}
	return found
}

// eachObject calls visit for o and, while visit says so, for what o holds: a
// container's objects or the objects a widget renders, depth first. Tests
// find what the window shows with it.
func eachObject(o fyne.CanvasObject, visit func(fyne.CanvasObject) bool) {
	if o == nil || !visit(o) {
		return
	}
	switch v := o.(type) {
	case *fyne.Container:
		for _, ch := range v.Objects {
			eachObject(ch, visit)
		}
	case fyne.Widget:
		for _, ch := range test.WidgetRenderer(v).Objects() {
			eachObject(ch, visit)
		}
	}
}

func TestRowsAreRecycledWhileScrolling(t *testing.T) {
	const n = 5000
	tasks := make([]transfer.TaskSnapshot, n)
	for i := range tasks {
		tasks[i] = transfer.TaskSnapshot{ID: transfer.TaskID(i + 1), Path: fmt.Sprintf("/d/file-%05d.txt", i),
			Key: fmt.Sprintf("k/file-%05d.txt", i), Bucket: "b", Size: 1000, State: transfer.Queued, Version: 1}
	}
	tasks[3].State, tasks[3].Err = transfer.Failed, &transfer.TaskError{Message: "boom"}
	be := newViewBackend(tasks...)
	w := newViewWindow(t, be)
	w.sync()
	created := w.list.rows
	if created == 0 || created > 40 {
		t.Fatalf("%d row widgets for %d tasks: the list is not virtualised", created, n)
	}
	check := func() {
		t.Helper()
		if len(w.list.visible) == 0 {
			t.Fatal("no visible rows")
		}
		for i, r := range w.list.visible {
			want := tasks[i]
			if r.task.ID != want.ID || r.name.Text != fmt.Sprintf("file-%05d.txt", i) {
				t.Fatalf("index %d shows task %d %q, want %d", i, r.task.ID, r.name.Text, want.ID)
			}
			// A recycled row must not keep the failed row's buttons.
			if got := strings.Join(shownButtons(r), ","); got != map[bool]string{true: "retry,details,remove", false: "pause,cancel"}[i == 3] {
				t.Fatalf("index %d buttons %s", i, got)
			}
		}
	}
	check()
	for _, id := range []int{2500, 4999, 0, 1200} {
		w.list.ScrollTo(id)
		w.sync()
		check()
		if len(w.list.visible) > created+4 {
			t.Fatalf("%d rows tracked as visible after scrolling to %d; %d fit on screen", len(w.list.visible), id, created)
		}
		if _, ok := w.list.visible[id]; !ok {
			t.Fatalf("after ScrollTo(%d) it is not among the visible rows", id)
		}
	}

	// A progress tick updates only the rows on screen, in place.
	be.mu.Lock()
	be.tasks[1201].State, be.tasks[1201].Sent, be.tasks[1201].Version = transfer.Uploading, 500, 2
	be.mu.Unlock()
	r := w.list.visible[1201]
	w.sync()
	if r != w.list.visible[1201] || r.bar.value != 0.5 || !strings.HasPrefix(r.status.Text, "50% · 500 B of 1.0 kB") {
		t.Fatalf("visible row not updated in place: bar %v status %q", r.bar.value, r.status.Text)
	}
}

func TestDroppedQueuesLocalPathsUnderPrefix(t *testing.T) {
	be := newViewBackend()
	w := newViewWindow(t, be)
	dir := t.TempDir()
	w.Dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(dir + "/a.txt"), storage.NewFileURI(dir)})
	if len(be.added) != 1 || strings.Join(be.added[0], "|") != "trip/|"+dir+"/a.txt|"+dir {
		t.Fatalf("added %v", be.added)
	}
	// Non-file URIs are refused with a message naming them.
	u, _ := storage.ParseURI("https://example.com/x")
	w.Dropped(fyne.Position{}, []fyne.URI{u})
	if len(be.added) != 1 {
		t.Fatal("a web URL was queued")
	}
	if !strings.Contains(overlayText(w), "https://example.com/x") {
		t.Fatalf("no error naming the URL, overlays: %q", overlayText(w))
	}
}

// overlayText concatenates the texts of labels in the window's overlays
// (dialogs), to check what a dialog says.
func overlayText(w *Window) string {
	var b strings.Builder
	for _, o := range w.win.Canvas().Overlays().List() {
		b.WriteString(overlayTextOf(o))
	}
	return b.String()
}

// overlayTextOf concatenates the texts of the labels inside o.
func overlayTextOf(o fyne.CanvasObject) string {
	var b strings.Builder
	eachObject(o, func(o fyne.CanvasObject) bool {
		if l, ok := o.(*widget.Label); ok {
			b.WriteString(l.Text + "\n")
		}
		return true
	})
	return b.String()
}

// Records a folder walk queued before their sizes were read say so: the sum
// is of the sizes known, and no line ends in an empty size.
func TestResumeDialogUnsizedFiles(t *testing.T) {
	w := newViewWindow(t, newViewBackend())
	items := []transfer.Unfinished{
		{Path: "/p/a.txt", Key: "a.txt", Bucket: "media", Size: 5_000},
		{Path: "/p/b.jpg", Key: "b.jpg", Bucket: "media", Size: -1},
		{Path: "/p/c.mov", Key: "c.mov", Bucket: "media", Size: -1, Done: 3_000_000, UploadID: "U1"},
	}
	w.OfferResume(items, "ask")
	txt := overlayText(w)
	for _, want := range []string{
		"3 uploads did not finish last time to media; 5.0 kB left to send.",
		"The sizes of 2 files are read when they resume.",
	} {
		if !strings.Contains(txt, want) {
			t.Errorf("dialog says %q, want %q", txt, want)
		}
	}
	for u, want := range map[*transfer.Unfinished]string{
		&items[0]: "/p/a.txt  to  media/a.txt · 5.0 kB",
		&items[1]: "/p/b.jpg  to  media/b.jpg",
		&items[2]: "/p/c.mov  to  media/c.mov · 3.0 MB sent",
	} {
		if got := unfinishedLine(*u); got != want {
			t.Errorf("line %q, want %q", got, want)
		}
	}
}

func TestResumeDialogViews(t *testing.T) {
	be := newViewBackend()
	w := newViewWindow(t, be)
	items := []transfer.Unfinished{
		{Path: "/home/ana/video/holiday.mp4", Key: "trip/holiday.mp4", Bucket: "media", Size: 2_000_000_000, Done: 1_200_000_000, UploadID: "U1"},
		{Path: "/home/ana/video/notes.txt", Key: "trip/notes.txt", Bucket: "media", Size: 5_000},
		{CheckpointFile: "/home/ana/.local/state/ossdrop/checkpoints/x.ucp", Err: fmt.Errorf("checkpoint x.ucp: checksum mismatch")},
	}
	w.OfferResume(items, "ask")
	if txt := overlayText(w); !strings.Contains(txt, "2 uploads did not finish last time to media; 800 MB left to send.") ||
		!strings.Contains(txt, "1 record cannot be resumed") {
		t.Fatalf("dialog says %q", txt)
	}
	test.AssertRendersToMarkup(t, "resume_dialog.xml", w.win.Canvas())
	test.AssertRendersToImage(t, "resume_dialog.png", w.win.Canvas())

	// Choose: untick the first, resume the rest.
	test.Tap(findButton(t, w.win.Canvas(), "Choose…"))
	test.AssertRendersToMarkup(t, "resume_choose.xml", w.win.Canvas())
	checks := findChecks(w.win.Canvas())
	if len(checks) != 2 {
		t.Fatalf("%d checkboxes, want 2 (unreadable records are not offered)", len(checks))
	}
	test.Tap(checks[0])
	test.Tap(findButton(t, w.win.Canvas(), "Resume selected"))
	settle(w) // the Backend is called off the UI goroutine
	if got := strings.Join(be.calls, ";"); got != "resume unfinished 1" {
		t.Fatalf("calls %q", got)
	}

	// "always" resumes without asking and names what it could not resume.
	be.calls = nil
	w.OfferResume(items, "always")
	settle(w)
	if got := strings.Join(be.calls, ";"); got != "resume unfinished 2" {
		t.Fatalf("calls %q", got)
	}
	if !strings.Contains(overlayText(w), "checksum mismatch") {
		t.Fatal("unreadable record not reported")
	}
	// Uploads another ossdrop process is running right now are not offered.
	be.calls = nil
	busy := transfer.Unfinished{Path: "/home/ana/video/big.iso", Key: "trip/big.iso", Bucket: "media", Size: 9_000, InUse: true}
	w.OfferResume(append(items[:len(items):len(items)], busy), "always")
	settle(w)
	if got := strings.Join(be.calls, ";"); got != "resume unfinished 2" {
		t.Fatalf("with an upload in use elsewhere: calls %q", got)
	}
	be.calls = nil
	overlays := len(w.win.Canvas().Overlays().List())
	w.OfferResume([]transfer.Unfinished{busy}, "ask")
	settle(w)
	if len(be.calls) != 0 || len(w.win.Canvas().Overlays().List()) != overlays {
		t.Fatalf("only uploads in use elsewhere: calls %v, a dialog was shown", be.calls)
	}
	be.calls = nil
	w.OfferResume(items, "never")
	settle(w)
	if len(be.calls) != 0 {
		t.Fatalf("never: calls %v", be.calls)
	}
}

func findChecks(c fyne.Canvas) []*widget.Check {
	var out []*widget.Check
	for _, o := range c.Overlays().List() {
		eachObject(o, func(o fyne.CanvasObject) bool {
			if !o.Visible() {
				return false
			}
			if ch, ok := o.(*widget.Check); ok {
				out = append(out, ch)
				return false
			}
			return true
		})
	}
	return out
}
