package ui

import (
	"fmt"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/transfer"
)

func TestTabsSearchAndSort(t *testing.T) {
	be := newViewBackend(sampleTasks()...)
	w := newViewWindow(t, be)
	w.sync()
	tabText := func() string {
		var s []string
		for _, b := range w.vbar.tabs {
			s = append(s, b.Text)
		}
		return strings.Join(s, ",")
	}
	if got := tabText(); got != "All 9,Active 5,Failed 2,Done 2" {
		t.Fatalf("tabs %q", got)
	}
	names := func() string {
		var s []string
		for _, x := range w.list.tasks() {
			s = append(s, displayName(x))
		}
		return strings.Join(s, ",")
	}
	test.Tap(w.vbar.tabs[filterFailed])
	if got := names(); got != "secret.pdf,draft.docx" {
		t.Fatalf("Failed tab shows %s", got)
	}
	test.Tap(w.vbar.tabs[filterDone])
	if got := names(); got != "sunset.jpg,readme.md" {
		t.Fatalf("Done tab shows %s", got)
	}
	test.Tap(w.vbar.tabs[filterAll])
	// Search matches name and key, ignoring case; counts follow the search.
	test.Type(w.vbar.search, "TRIP/S")
	if got := names(); got != "song.flac,sunset.jpg,secret.pdf" {
		t.Fatalf("search shows %s", got)
	}
	if got := tabText(); got != "All 3,Active 1,Failed 1,Done 1" {
		t.Fatalf("tabs while searching %q", got)
	}
	w.vbar.search.SetText("")
	w.vbar.sort.SetSelected("Size")
	if got := names(); !strings.HasPrefix(got, "album.zip,beach.mp4,song.flac") {
		t.Fatalf("by size: %s", got)
	}
	w.vbar.sort.SetSelected("Name")
	if got := names(); !strings.HasPrefix(got, "album.zip,beach.mp4,draft.docx,notes.txt") {
		t.Fatalf("by name: %s", got)
	}
	w.vbar.sort.SetSelected("State")
	if got := names(); !strings.HasPrefix(got, "secret.pdf,notes.txt,album.zip,beach.mp4") {
		t.Fatalf("by state: %s", got)
	}
	w.vbar.sort.SetSelected("Progress")
	if got := names(); !strings.HasPrefix(got, "song.flac,sunset.jpg,readme.md") {
		t.Fatalf("by progress: %s", got)
	}
	// A refresh keeps the view the user chose.
	w.sync()
	if got := names(); !strings.HasPrefix(got, "song.flac,sunset.jpg,readme.md") {
		t.Fatalf("after a refresh: %s", got)
	}
}

func TestListKeyboard(t *testing.T) {
	const n = 200
	tasks := make([]transfer.TaskSnapshot, n)
	for i := range tasks {
		tasks[i] = transfer.TaskSnapshot{ID: transfer.TaskID(i + 1), Path: fmt.Sprintf("/d/f%03d", i), Key: fmt.Sprintf("f%03d", i),
			Size: 1, State: transfer.Done, Version: 1}
	}
	be := newViewBackend(tasks...)
	w := newViewWindow(t, be)
	w.sync()
	key := func(k fyne.KeyName) { w.list.TypedKey(&fyne.KeyEvent{Name: k}) }
	sel := func() int { return w.list.indexOf(w.list.selected) }
	key(fyne.KeyHome)
	if sel() != 0 {
		t.Fatalf("Home selects %d", sel())
	}
	key(fyne.KeyDown)
	key(fyne.KeyDown)
	if sel() != 2 {
		t.Fatalf("Down twice selects %d", sel())
	}
	page := w.list.pageRows()
	if page < 12 {
		t.Errorf("%d rows fit in the default window, want at least 12", page)
	}
	key(fyne.KeyPageDown)
	if sel() != 2+page {
		t.Fatalf("PageDown selects %d, want %d", sel(), 2+page)
	}
	key(fyne.KeyPageUp)
	key(fyne.KeyUp)
	if sel() != 1 {
		t.Fatalf("PageUp, Up selects %d", sel())
	}
	key(fyne.KeyEnd)
	if sel() != n-1 {
		t.Fatalf("End selects %d", sel())
	}
	if _, ok := w.list.visible[n-1]; !ok {
		t.Fatal("End did not scroll to the last row")
	}
	// Enter opens the row's details.
	key(fyne.KeyReturn)
	if !strings.Contains(overlayText(w), "f199") {
		t.Fatalf("Enter: overlays say %q", overlayText(w))
	}
	w.win.Canvas().Overlays().Top().Hide()
	w.win.Canvas().Overlays().Remove(w.win.Canvas().Overlays().Top())
	// Ctrl+A then Delete removes every finished row.
	w.list.TypedShortcut(&fyne.ShortcutSelectAll{})
	if len(w.list.markedTasks()) != n {
		t.Fatalf("Ctrl+A marked %d rows", len(w.list.markedTasks()))
	}
	key(fyne.KeyDelete)
	if len(be.calls) != n || be.calls[0] != "remove 1" {
		t.Fatalf("Delete after Ctrl+A: %d calls, first %v", len(be.calls), be.calls[:1])
	}
}

func TestTooltipsAndButtonsThatDoSomething(t *testing.T) {
	be := newViewBackend(sampleTasks()...)
	w := newViewWindow(t, be)
	w.sync()
	r := w.list.visible[5] // failed
	r.retry.MouseIn(&desktop.MouseEvent{})
	if got := w.tips.shown(); got != "Retry" {
		t.Fatalf("tooltip %q", got)
	}
	r.retry.MouseOut()
	if got := w.tips.shown(); got != "" {
		t.Fatalf("tooltip after leaving: %q", got)
	}
	for _, b := range []*tipButton{r.pause, r.resume, r.retry, r.cancel, r.remove, r.link, r.details, w.pauseAll, w.resumeA, w.retryF, w.clearF} {
		if b.tip == "" {
			t.Errorf("button %q has no tooltip", b.Text)
		}
	}
	// Only failed rows: Clear finished would clear nothing, so it is off.
	be.mu.Lock()
	be.tasks = sampleTasks()[5:6]
	be.mu.Unlock()
	w.sync()
	if !w.clearF.Disabled() || w.retryF.Disabled() {
		t.Fatalf("with only a failed row: clear finished enabled=%v, retry failed enabled=%v", !w.clearF.Disabled(), !w.retryF.Disabled())
	}
}

func TestButtonsKeepTheirSlots(t *testing.T) {
	tasks := sampleTasks()
	be := newViewBackend(tasks...)
	w := newViewWindow(t, be)
	w.sync()
	r := w.list.visible[1] // uploading
	d := fyne.CurrentApp().Driver()
	pausePos, cancelPos := d.AbsolutePositionForObject(r.pause), d.AbsolutePositionForObject(r.cancel)
	if pausePos == cancelPos {
		t.Fatal("pause and cancel share a place")
	}
	// The upload finishes under the pointer: the pause slot must not turn
	// into copy-link, nor cancel into remove.
	be.mu.Lock()
	be.tasks[1].State, be.tasks[1].Version = transfer.Done, 9
	be.mu.Unlock()
	w.sync()
	if r != w.list.visible[1] || !r.link.Visible() || !r.remove.Visible() || r.pause.Visible() || r.cancel.Visible() {
		t.Fatal("the row did not switch to the done buttons")
	}
	if p := d.AbsolutePositionForObject(r.link); p == pausePos {
		t.Errorf("copy-link appeared at %v, where pause was", p)
	}
	if p := d.AbsolutePositionForObject(r.remove); p == cancelPos {
		t.Errorf("remove appeared at %v, where cancel was", p)
	}
}

// BenchmarkFilterSearch measures one keystroke in the search box (and one
// tab change, sort change and refresh tick) over 100,000 and 500,000 tasks:
// build the view and hand it to the list. ns/op is wall time per keystroke.
func BenchmarkFilterSearch(b *testing.B) {
	for _, n := range []int{100_000, 500_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchFilterSearch(b, n) })
	}
}

func benchFilterSearch(b *testing.B, n int) {
	w, _ := newScaleWindow(b, n)
	w.sync()
	if w.list.count() != n {
		b.Fatalf("%d rows listed", w.list.count())
	}
	// Typed one key at a time, then erased, as a person does.
	queries := []string{"i", "im", "img", "img_", "img_0", "img_01", "img_012", "img_0123", "img_01234",
		"img_0123", "img_012", "img_01", "img_0", "img_", "img", "im", "i", "", "d12", "d12/", ""}
	b.Run("search", func(b *testing.B) {
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.vbar.search.SetText(queries[i%len(queries)])
		}
	})
	// Unrelated queries: each one scans every row.
	b.Run("search-fresh", func(b *testing.B) {
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.vbar.search.SetText([2]string{"img_0", "2026/d1"}[i%2])
		}
	})
	w.vbar.search.SetText("")
	b.Run("tab", func(b *testing.B) {
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.setFilter(rowFilter(i % int(nFilters)))
		}
	})
	// The first order by name sorts every row; later ones reuse it.
	b.Run("sort-name-first", func(b *testing.B) {
		w.setFilter(filterAll)
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.view.byName = orderCache{}
			w.view.spec.sort = sortName
			w.reapplyView()
			w.view.spec.sort = sortAdded
			w.reapplyView()
		}
	})
	b.Run("sort-name", func(b *testing.B) {
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.view.spec.sort = sortBy(i%2) * sortName
			w.reapplyView()
		}
	})
	b.Run("sort-state", func(b *testing.B) {
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.view.spec.sort = sortBy(i%2) * sortState
			w.reapplyView()
		}
	})
	w.view.spec.sort = sortAdded
	b.Run("tick-while-searching", func(b *testing.B) {
		w.vbar.search.SetText("img_0")
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.sync()
		}
	})
	b.Run("tick-by-progress", func(b *testing.B) {
		w.vbar.search.SetText("")
		w.vbar.sort.SetSelected("Progress")
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			w.sync()
		}
	})
}

// BenchmarkBuildView100000 is the view computation alone, without widgets.
func BenchmarkBuildView100000(b *testing.B) {
	const n = 100000
	tasks := make([]transfer.TaskSnapshot, n)
	for i := range tasks {
		tasks[i] = transfer.TaskSnapshot{ID: transfer.TaskID(i + 1), Path: fmt.Sprintf("/home/ana/photos/2026/IMG_%06d.jpg", i),
			Key: fmt.Sprintf("trip/2026/IMG_%06d.jpg", i), Bucket: "media", State: transfer.State(i % 10)}
	}
	var m rowModel
	var f feed
	m.apply(f.diff(tasks))
	v := newRowView()
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; i < b.N; i++ {
		// Alternate queries, so every build computes (a repeated query is
		// answered from the last build).
		v.spec.query = [2]string{"img_", "2026/"}[i%2]
		v.build(&m)
	}
}

// Sizes read after a folder was listed reorder a view sorted by size, and
// leave a search's matches and the order by name as they were: a large drop
// sized in pieces must not make every piece search and sort all rows again.
func TestSizesReadReorderOnlyBySize(t *testing.T) {
	tasks := make([]transfer.TaskSnapshot, 5)
	for i := range tasks {
		tasks[i] = transfer.TaskSnapshot{ID: transfer.TaskID(i + 1), Path: fmt.Sprintf("/p/f%d.jpg", i),
			Key: fmt.Sprintf("f%d.jpg", i), Bucket: "b", Size: -1}
	}
	var m rowModel
	var f feed
	m.apply(f.diff(tasks))
	bySize, search := newRowView(), newRowView()
	bySize.spec.sort = sortSize
	search.spec.query = "f"
	search.spec.sort = sortName
	bySize.build(&m)
	search.build(&m)
	nameGen, matchGen := search.byName.gen, search.qGen

	for i := range tasks {
		tasks[i].Size = int64(10 * i) // the last is the largest
	}
	m.apply(f.diff(tasks))
	view, _ := bySize.build(&m)
	var got []string
	for _, i := range view.idx {
		got = append(got, tasks[i].Key)
	}
	if s := strings.Join(got, ","); s != "f4.jpg,f3.jpg,f2.jpg,f1.jpg,f0.jpg" {
		t.Fatalf("by size after the sizes came: %s", s)
	}
	search.build(&m)
	if search.qGen != matchGen || search.byName.gen != nameGen {
		t.Fatal("sizes read made the search or the order by name start again")
	}
}
