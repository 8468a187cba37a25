package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// blockingLister stands in for reading a very large queue: it reports that
// it started, then waits for the test to hand it the records. Like the real
// read, it does not stop when its context ends; it records the context so
// tests can check it was canceled.
type blockingLister struct {
	started  chan struct{}
	release  chan []transfer.Unfinished
	ctx      chan context.Context
	timedOut chan struct{}
}

func newBlockingLister() *blockingLister {
	return &blockingLister{started: make(chan struct{}), release: make(chan []transfer.Unfinished, 1),
		ctx: make(chan context.Context, 1), timedOut: make(chan struct{})}
}

func (l *blockingLister) list(ctx context.Context) ([]transfer.Unfinished, error) {
	l.ctx <- ctx
	close(l.started)
	select {
	case items := <-l.release:
		return items, nil
	case <-time.After(10 * time.Second):
		// Run by the UI goroutine, the listing would block the test for good.
		close(l.timedOut)
		return nil, errors.New("never released")
	}
}

// notOnCaller fails when the listing ran on the goroutine that asked for it.
func (l *blockingLister) notOnCaller(t *testing.T) {
	t.Helper()
	select {
	case <-l.timedOut:
		t.Fatal("the listing ran on the UI goroutine: the window waited for it")
	default:
	}
}

// waitStarted waits until the listing runs.
func (l *blockingLister) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-l.started:
	case <-time.After(10 * time.Second):
		t.Fatal("the listing never started")
	}
}

// twoGoodOneBad is a small record set: two resumable uploads and one
// unreadable checkpoint.
func twoGoodOneBad() []transfer.Unfinished {
	return []transfer.Unfinished{
		{Path: "/home/ana/video/holiday.mp4", Key: "trip/holiday.mp4", Bucket: "media", Size: 2_000_000_000, Done: 1_200_000_000, UploadID: "U1"},
		{CheckpointFile: "/home/ana/.local/state/ossdrop/checkpoints/x.ucp", Err: fmt.Errorf("checkpoint x.ucp: checksum mismatch")},
		{Path: "/home/ana/video/notes.txt", Key: "trip/notes.txt", Bucket: "media", Size: 5_000},
	}
}

// The window works while the unfinished uploads are still being read: a drop
// is queued at once and no dialog stands in the way; the offer follows when
// the read ends.
func TestResumeOfferFollowsTheListing(t *testing.T) {
	be := newViewBackend()
	w := newViewWindow(t, be)
	l := newBlockingLister()
	w.OfferResumeWhenListed(context.Background(), l.list, settings.ResumeAsk)
	l.waitStarted(t)
	l.notOnCaller(t)

	dir := t.TempDir()
	w.Dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI(dir + "/a.txt")})
	be.mu.Lock()
	added := fmt.Sprint(be.added)
	be.mu.Unlock()
	if added != "[[trip/ "+dir+"/a.txt]]" {
		t.Fatalf("drop while listing: added %s", added)
	}
	w.sync() // the refresh works too
	if n := len(w.win.Canvas().Overlays().List()); n != 0 {
		t.Fatalf("%d overlays before the listing ended: %q", n, overlayText(w))
	}

	l.release <- twoGoodOneBad()
	settle(w)
	if txt := overlayText(w); !strings.Contains(txt, "2 uploads did not finish last time to media; 800 MB left to send.") ||
		!strings.Contains(txt, "1 record cannot be resumed") {
		t.Fatalf("after the listing the dialog says %q", txt)
	}
}

// A window that closes while the listing runs offers nothing, and the
// listing's context ends with it; goleak (TestMain) checks nothing is left.
func TestResumeListingDroppedWhenWindowStops(t *testing.T) {
	be := newViewBackend()
	w := newViewWindow(t, be)
	w.Start(context.Background())
	l := newBlockingLister()
	w.OfferResumeWhenListed(context.Background(), l.list, settings.ResumeAlways)
	l.waitStarted(t)
	ctx := <-l.ctx
	w.Stop()
	select {
	case <-ctx.Done():
	default:
		t.Fatal("Stop did not end the listing's context")
	}
	l.release <- twoGoodOneBad() // the read ends on its own, as the real one does
	settle(w)
	if len(be.calls) != 0 || len(w.win.Canvas().Overlays().List()) != 0 {
		t.Fatalf("offered after the window stopped: calls %v, overlays %q", be.calls, overlayText(w))
	}
}

// The policy still rules the offer made after the listing: "never" reads
// nothing, "always" resumes the readable records and names the others, "ask"
// asks (TestResumeOfferFollowsTheListing).
func TestResumeListingPolicies(t *testing.T) {
	be := newViewBackend()
	w := newViewWindow(t, be)
	called := false
	w.OfferResumeWhenListed(context.Background(), func(context.Context) ([]transfer.Unfinished, error) {
		called = true
		return twoGoodOneBad(), nil
	}, settings.ResumeNever)
	settle(w)
	if called || len(be.calls) != 0 || len(w.win.Canvas().Overlays().List()) != 0 {
		t.Fatalf("never: listed %v, calls %v, overlays %q", called, be.calls, overlayText(w))
	}

	w.OfferResumeWhenListed(context.Background(), func(context.Context) ([]transfer.Unfinished, error) {
		// A read that failed part way still offers what it found.
		return twoGoodOneBad(), errors.New("queue journal: permission denied")
	}, settings.ResumeAlways)
	settle(w)
	if got := strings.Join(be.calls, ";"); got != "resume unfinished 2" {
		t.Fatalf("always: calls %q", got)
	}
	if txt := overlayText(w); !strings.Contains(txt, "checksum mismatch") || strings.Contains(txt, "Resume unfinished uploads?") {
		t.Fatalf("always: overlays %q", txt)
	}
}

// slowBackend is a Backend whose ResumeUnfinished takes as long as admitting
// half a million records does, until the test releases it.
type slowBackend struct {
	*viewBackend
	entered  chan struct{}
	release  chan struct{}
	timedOut chan struct{}
}

func newSlowBackend() *slowBackend {
	return &slowBackend{viewBackend: newViewBackend(), entered: make(chan struct{}, 8), release: make(chan struct{}, 1), timedOut: make(chan struct{}, 8)}
}

func (b *slowBackend) ResumeUnfinished(items []transfer.Unfinished) {
	b.entered <- struct{}{}
	select {
	case <-b.release:
	case <-time.After(10 * time.Second):
		// Called on the UI goroutine, this would block the test for good.
		b.timedOut <- struct{}{}
	}
	b.viewBackend.ResumeUnfinished(items)
}

// resumeReturnsAtOnce checks that act, which hands records to a slow Backend,
// gives the UI goroutine back before the Backend is done, and that the call
// then completes.
func resumeReturnsAtOnce(t *testing.T, w *Window, be *slowBackend, act func(), want string) {
	t.Helper()
	act()
	select {
	case <-be.timedOut:
		t.Fatal("the Backend's ResumeUnfinished ran on the UI goroutine")
	default:
	}
	select {
	case <-be.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("ResumeUnfinished was never called")
	}
	if n := len(w.win.Canvas().Overlays().List()); n != 0 {
		t.Fatalf("the dialog stays while the Backend works: %q", overlayText(w))
	}
	// The window goes on working meanwhile.
	w.Dropped(fyne.NewPos(10, 10), []fyne.URI{storage.NewFileURI("/tmp/x")})
	be.release <- struct{}{}
	settle(w)
	if got := strings.Join(be.calls, ";"); got != want {
		t.Fatalf("calls %q, want %q", got, want)
	}
	be.calls = nil
}

func TestResumeAllReturnsToTheWindowAtOnce(t *testing.T) {
	be := newSlowBackend()
	w := newViewWindow(t, be)
	resumeReturnsAtOnce(t, w, be, func() {
		w.OfferResume(twoGoodOneBad(), settings.ResumeAsk)
		test.Tap(findButton(t, w.win.Canvas(), "Resume all"))
	}, "resume unfinished 2")

	resumeReturnsAtOnce(t, w, be, func() {
		w.OfferResume(twoGoodOneBad(), settings.ResumeAsk)
		test.Tap(findButton(t, w.win.Canvas(), "Choose…"))
		test.Tap(findButton(t, w.win.Canvas(), "Resume selected"))
	}, "resume unfinished 2")

	resumeReturnsAtOnce(t, w, be, func() {
		items := twoGoodOneBad()
		items[1].Err = nil // all readable: nothing to report
		items[1].Path, items[1].Key = "/home/ana/video/x", "trip/x"
		w.OfferResume(items, settings.ResumeAlways)
	}, "resume unfinished 3")
}

// The resume dialogs share the listed records: splitting reorders them in
// place, and a selection is handed over as slices of that same list.
func TestResumeOfferCopiesNoRecords(t *testing.T) {
	items := []transfer.Unfinished{
		{Path: "/a", Key: "a"},
		{Path: "/b", Key: "b", Err: errors.New("bad")},
		{Path: "/c", Key: "c", InUse: true},
		{Path: "/d", Key: "d"},
		{Path: "/e", Key: "e"},
		{Key: "f"},
	}
	o := newResumeOffer(items)
	if &o.all[0] != &items[0] || len(o.all) != 5 || o.nGood != 3 {
		t.Fatalf("offer is not the listed records: %d records, %d good", len(o.all), o.nGood)
	}
	var names []string
	for _, u := range o.all {
		names = append(names, u.Path+u.Key)
	}
	if got := strings.Join(names, " "); got != "/aa /dd /ee /bb f" {
		t.Fatalf("order %q (resumable first, in listed order; records in use left out)", got)
	}
	if items[5] != (transfer.Unfinished{}) {
		t.Fatalf("the record left out is still held: %+v", items[5])
	}
	runs := tickedRuns(o.good(), []bool{true, false, true})
	if len(runs) != 2 || &runs[0][0] != &items[0] || &runs[1][0] != &items[2] || len(runs[0]) != 1 || len(runs[1]) != 1 {
		t.Fatalf("runs %v", runs)
	}
}

// Unticking a record in the middle resumes the others, in order.
func TestResumeSelectedSkipsUnticked(t *testing.T) {
	be := &pathBackend{viewBackend: newViewBackend()}
	w := newViewWindow(t, be)
	items := []transfer.Unfinished{{Path: "/a", Key: "a"}, {Path: "/b", Key: "b"}, {Path: "/c", Key: "c"}}
	w.OfferResume(items, settings.ResumeAsk)
	test.Tap(findButton(t, w.win.Canvas(), "Choose…"))
	checks := findChecks(w.win.Canvas())
	if len(checks) != 3 {
		t.Fatalf("%d checkboxes", len(checks))
	}
	test.Tap(checks[1])
	test.Tap(findButton(t, w.win.Canvas(), "Resume selected"))
	settle(w)
	if got := strings.Join(be.calls, ";"); got != "resume /a;resume /c" {
		t.Fatalf("calls %q", got)
	}
}

// pathBackend records the files ResumeUnfinished is given.
type pathBackend struct{ *viewBackend }

func (b *pathBackend) ResumeUnfinished(items []transfer.Unfinished) {
	for _, u := range items {
		b.record("resume " + u.Path)
	}
}
