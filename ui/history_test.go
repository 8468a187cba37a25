package ui

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/ossdrop/ossdrop/history"
	"github.com/ossdrop/ossdrop/transfer/errkind"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

// fakeHistory is a HistorySource that records what the view asks.
type fakeHistory struct {
	mu      sync.Mutex
	entries []history.Entry
	calls   []string
}

func (f *fakeHistory) record(s string) { f.mu.Lock(); f.calls = append(f.calls, s); f.mu.Unlock() }

func (f *fakeHistory) Load() ([]history.Entry, error) {
	return append([]history.Entry(nil), f.entries...), nil
}

func (f *fakeHistory) Link(e history.Entry, d time.Duration) (string, history.Entry, error) {
	f.record(fmt.Sprintf("link %s %s", e.Key, d))
	u := "https://" + e.Bucket + ".oss.example.com/" + e.Key
	if d > 0 {
		u += "?Expires=1&Signature=x"
	}
	e.Links = append(e.Links, history.Link{URL: u, Presigned: d > 0})
	return u, e, nil
}

func (f *fakeHistory) UploadAgain(e history.Entry) error { f.record("again " + e.Path); return nil }
func (f *fakeHistory) Reveal(p string) error             { f.record("reveal " + p); return nil }

func historySample() []history.Entry {
	at := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	return []history.Entry{
		{ID: "1", Path: "/home/li/报告/季度报告.pdf", Profile: "work", Bucket: "docs", Key: "2026/季度报告.pdf", Size: 4 << 20, CRC64: 42, State: history.StateDone, When: at, Duration: 3 * time.Second},
		{ID: "2", Path: "/home/li/photos/cat.jpg", Profile: "work", Bucket: "photos", Key: "pets/cat.jpg", Size: 2 << 20, State: history.StateFailed, When: at.Add(time.Minute), Error: "the AccessKey secret does not match (SignatureDoesNotMatch, RequestId 65F1A2B3C4D5E6F7)", ErrorCode: "SignatureDoesNotMatch", RequestID: "65F1A2B3C4D5E6F7", Retries: 2},
		{ID: "3", Path: "/home/li/video.mp4", Profile: "Local", Bucket: "local", Key: "video.mp4", Size: 700 << 20, State: history.StateCanceled, When: at.Add(2 * time.Minute)},
		{ID: "4", Path: "/home/li/notes.txt", Profile: "Local", Bucket: "local", Key: "notes.txt", Size: 120, State: history.StateSkipped, When: at.Add(3 * time.Minute)},
	}
}

func newHistoryTestView(t testing.TB, entries []history.Entry) (*Window, *historyView, *fakeHistory) {
	historyTimeZone = time.UTC // snapshots must not depend on the machine's zone
	t.Cleanup(func() { historyTimeZone = time.Local })
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: newViewBackend()})
	useLoop(w)
	src := &fakeHistory{entries: entries}
	w.hist = src
	v := w.openHistoryWindow(entries)
	v.open = func(u *url.URL) error { src.record("open " + u.String()); return nil }
	t.Cleanup(func() { w.histWin.Close(); w.win.Close() })
	return w, v, src
}

func TestHistoryViewSearchFilterAndActions(t *testing.T) {
	w, v, src := newHistoryTestView(t, historySample())
	if len(v.shown) != 4 || v.count.Text != "4 uploads" {
		t.Fatalf("opened with %d shown, count %q", len(v.shown), v.count.Text)
	}
	if first := v.idx.Entry(v.shown[0]); first.ID != "4" {
		t.Fatalf("newest first expected, got %s", first.ID)
	}
	test.Type(v.search, "季度")
	if len(v.shown) != 1 || v.idx.Entry(v.shown[0]).ID != "1" || v.count.Text != "1 of 4 uploads matches" {
		t.Fatalf("search: %v, %q", v.shown, v.count.Text)
	}
	v.search.SetText("")
	v.state.SetSelectedIndex(2) // Failed
	if len(v.shown) != 1 || v.idx.Entry(v.shown[0]).ID != "2" {
		t.Fatalf("state filter: %v", v.shown)
	}
	v.list.Select(0)
	for i, b := range v.actions {
		if b.Disabled() != (i < 3) {
			t.Errorf("failed entry: action %q disabled=%v", b.Text, b.Disabled())
		}
	}
	test.Tap(v.actions[4]) // upload again
	test.Tap(v.actions[3]) // show in folder

	v.state.SetSelectedIndex(1) // Done
	v.list.Select(0)
	test.Tap(v.actions[0])
	if w.lastCopied != "https://docs.oss.example.com/2026/季度报告.pdf" {
		t.Fatalf("copy URL put %q", w.lastCopied)
	}
	v.expiry.SetSelectedIndex(2) // 7 days
	test.Tap(v.actions[1])
	if !strings.Contains(w.lastCopied, "Signature=") {
		t.Fatalf("presigned link %q", w.lastCopied)
	}
	test.Tap(v.actions[2]) // open in browser: a one-hour presigned link
	if got := len(v.idx.Entry(v.selected).Links); got != 3 {
		t.Fatalf("the entry lists %d links, want 3", got)
	}
	want := []string{
		"again /home/li/photos/cat.jpg", "reveal /home/li/photos/cat.jpg",
		"link 2026/季度报告.pdf 0s", "link 2026/季度报告.pdf 168h0m0s", "link 2026/季度报告.pdf 1h0m0s",
		"open https://docs.oss.example.com/2026/%E5%AD%A3%E5%BA%A6%E6%8A%A5%E5%91%8A.pdf?Expires=1&Signature=x",
	}
	if strings.Join(src.calls, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(src.calls, "\n"), strings.Join(want, "\n"))
	}

	// Export writes what the filter shows.
	var b strings.Builder
	if err := v.export(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "when,state,path") || !strings.Contains(lines[1], "季度报告.pdf") {
		t.Fatalf("export:\n%s", b.String())
	}
}

func TestHistoryButtonOpensTheWindow(t *testing.T) {
	a := test.NewTempApp(t)
	w := New(a, Config{Backend: newViewBackend(), StateDir: t.TempDir()})
	useLoop(w)
	defer w.win.Close()
	w.ShowHistory()
	settle(w)
	if w.histWin == nil {
		t.Fatal("History window not opened")
	}
	if w.histWin.Title() != "Upload history" {
		t.Fatalf("title %q", w.histWin.Title())
	}
	w.histWin.Close()
	if w.histWin != nil {
		t.Fatal("closing forgets the window")
	}
}

func manyHistoryEntries(n int) []history.Entry {
	es := make([]history.Entry, n)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range es {
		es[i] = history.Entry{ID: fmt.Sprint(i), Path: fmt.Sprintf("/home/user/projects/dataset-%05d/part-%d.parquet", i/100, i),
			Profile: "analytics", Bucket: "analytics-prod", Key: fmt.Sprintf("raw/2026/11/%05d/part-%d.parquet", i/100, i),
			Size: int64(i) << 10, State: history.States[i%4], When: at.Add(time.Duration(i) * time.Second)}
	}
	return es
}

// BenchmarkHistoryOpen10k opens History on 10,000 entries: index, widgets and
// the first frame.
func BenchmarkHistoryOpen10k(b *testing.B) {
	es := manyHistoryEntries(10000)
	a := test.NewTempApp(b)
	win := a.NewWindow("bench")
	defer win.Close()
	win.Resize(fyne.NewSize(900, 560))
	cpu0 := testkit.CPUTime()
	for b.Loop() {
		v := newHistoryView(&fakeHistory{}, es, win)
		win.SetContent(v.build())
		win.Canvas().Refresh(win.Content())
	}
	b.ReportMetric(float64(testkit.CPUTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// BenchmarkHistorySearch10k is one keystroke in the search field over 10,000
// entries: filter, list refresh and count.
func BenchmarkHistorySearch10k(b *testing.B) {
	es := manyHistoryEntries(10000)
	a := test.NewTempApp(b)
	win := a.NewWindow("bench")
	defer win.Close()
	win.Resize(fyne.NewSize(900, 560))
	v := newHistoryView(&fakeHistory{}, es, win)
	win.SetContent(v.build())
	queries := []string{"p", "pa", "par", "part", "part-", "part-9", "part-99", "part-999"}
	i := 0
	cpu0 := testkit.CPUTime()
	for b.Loop() {
		v.search.SetText(queries[i%len(queries)])
		i++
	}
	// The machine is shared: CPU time per keystroke is the figure to hold to 50 ms.
	b.ReportMetric(float64(testkit.CPUTime()-cpu0)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// TestHistoryErrorKindInChinese: an entry names its error's kind, so History
// explains it in the window's language even without an OSS code, and keeps
// the stored message, exactly, under the technical details. Entries from
// before kinds were stored still read.
func TestHistoryErrorKindInChinese(t *testing.T) {
	useChinese(t)
	msg := "cannot read /home/李/数据/季度报告.pdf: open /home/李/数据/季度报告.pdf: permission denied"
	e := history.Entry{ID: "1", Path: "/home/李/数据/季度报告.pdf", Bucket: "docs", Key: "季度报告.pdf", Size: 10,
		State: history.StateFailed, When: time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC), Error: msg, ErrorKind: string(errkind.NoPermission)}
	if got := historyErrorText(&e); got != "没有读取该文件的权限" {
		t.Fatalf("entry with a kind reads %q", got)
	}
	for _, c := range []struct {
		e    history.Entry
		want string
	}{
		{history.Entry{Error: msg}, msg}, // written before kinds: the stored text
		{history.Entry{Error: "refused (InvalidObjectName, RequestId R)", ErrorCode: "InvalidObjectName"}, "OSS 拒绝了请求（InvalidObjectName）"},
		{history.Entry{Error: msg, ErrorKind: "a-kind-of-a-later-version"}, msg},
		{history.Entry{Error: "x", ErrorKind: string(errkind.OSS), ErrorCode: "SignatureDoesNotMatch", ErrorStatus: 403}, "AccessKey Secret 不正确 (SignatureDoesNotMatch)"},
	} {
		if got := historyErrorText(&c.e); got != c.want {
			t.Errorf("%+v reads %q, want %q", c.e, got, c.want)
		}
	}

	_, v, _ := newHistoryTestView(t, []history.Entry{e})
	if !v.details.Disabled() {
		t.Fatal("error details enabled with nothing selected")
	}
	v.list.Select(0)
	if v.details.Disabled() {
		t.Fatal("error details disabled for a failed entry")
	}
	test.Tap(v.details)
	if v.errDlg == nil {
		t.Fatal("no error dialog")
	}
	var text string
	for _, o := range v.win.Canvas().Overlays().List() {
		text += overlayTextOf(o)
	}
	if !strings.Contains(text, "没有读取该文件的权限") || !strings.Contains(text, msg) {
		t.Fatalf("error dialog says:\n%s", text)
	}
}
