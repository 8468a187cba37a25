package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// viewBar holds the state tabs, the search box and the sort order above
// the list.
type viewBar struct {
	tabs   [nFilters]*widget.Button
	search *widget.Entry
	sort   *widget.Select
	counts tabCounts
}

// buildViewBar makes the tabs, search box and sort picker.
func (w *Window) buildViewBar() fyne.CanvasObject {
	vb := &w.vbar
	objs := []fyne.CanvasObject{}
	for f := filterAll; f < nFilters; f++ {
		vb.tabs[f] = widget.NewButton(f.label(), func() { w.setFilter(f) })
		objs = append(objs, vb.tabs[f])
	}
	vb.search = widget.NewEntry()
	vb.search.SetPlaceHolder(lang.L("Search name or key"))
	vb.search.ActionItem = widget.NewIcon(theme.SearchIcon())
	vb.search.OnChanged = func(s string) {
		w.view.spec.query = s
		w.reapplyView()
	}
	labels := sortLabels()
	vb.sort = widget.NewSelect(labels, func(s string) {
		for i, l := range labels {
			if l == s {
				w.view.spec.sort = sortBy(i)
			}
		}
		w.reapplyView()
	})
	vb.sort.Selected = labels[0]
	w.paintTabs()
	sortBox := container.NewHBox(widget.NewLabel(lang.L("Sort")), vb.sort)
	return container.NewBorder(nil, nil, container.NewHBox(objs...), sortBox, vb.search)
}

// setFilter switches the state tab.
func (w *Window) setFilter(f rowFilter) {
	w.view.spec.filter = f
	w.paintTabs()
	w.reapplyView()
}

// paintTabs shows counts and marks the current tab.
func (w *Window) paintTabs() {
	vb := &w.vbar
	for f := filterAll; f < nFilters; f++ {
		b := vb.tabs[f]
		text := fmt.Sprintf("%s %d", f.label(), vb.counts[f])
		imp := widget.LowImportance
		if w.view.spec.filter == f {
			imp = widget.HighImportance
		}
		if b.Text != text || b.Importance != imp {
			b.Text, b.Importance = text, imp
			b.Refresh()
		}
	}
}

// reapplyView rebuilds the shown rows from the last snapshot, on the UI
// goroutine, after the user changed the tab, search or order.
func (w *Window) reapplyView() {
	if w.list == nil {
		return
	}
	view, counts := w.view.build(&w.model)
	w.vbar.counts = counts
	w.paintTabs()
	w.list.apply(view, nil)
	w.listGen = w.model.textGen
	w.list.ScrollToTop()
}

// buildBottom is the overall bar with its summary and the queue actions.
func (w *Window) buildBottom() fyne.CanvasObject {
	w.summary = widget.NewLabel("")
	w.summary.Truncation = fyne.TextTruncateEllipsis
	w.overall = newThinBar(0)
	tip := func(label string, icon fyne.Resource, tip string, do func()) *tipButton {
		return newTipButton(label, icon, tip, w.tips, do)
	}
	w.pauseAll = tip("", theme.MediaPauseIcon(), lang.L("Pause all"), w.PauseAll)
	w.resumeA = tip("", theme.MediaPlayIcon(), lang.L("Resume all"), w.ResumeAll)
	w.retryF = tip("", theme.ViewRefreshIcon(), lang.L("Retry failed"), w.RetryFailed)
	w.clearF = tip(lang.L("Clear finished"), theme.ContentClearIcon(), lang.L("Remove finished and canceled rows from the list"), w.ClearFinished)
	buttons := container.NewHBox(w.pauseAll, w.resumeA, w.retryF, w.clearF)
	return container.NewVBox(
		widget.NewSeparator(),
		container.NewBorder(nil, nil, nil, buttons, container.New(&linesLayout{}, w.summary, w.overall)),
	)
}

// applyBatch shows the current batch in the overall bar and the title.
func (w *Window) applyBatch(b batchTotals) {
	w.noteBatch(b)
	w.paintBatch()
}

// noteBatch takes in the batch's sums without showing them (paintBatch does).
func (w *Window) noteBatch(b batchTotals) {
	if b.Running != w.batchT.Running {
		// "Apply to all" lasts for one batch.
		w.exists.newBatch()
	}
	w.batchT = b
	w.batchShown = false
}

// paintBatch shows the batch's sums noteBatch took in: the summary line, the
// overall bar and the window title.
func (w *Window) paintBatch() {
	b := w.batchT
	w.batchShown = true
	if w.flashMsg == "" {
		setText(w.summary, batchText(b))
	}
	w.overall.set(b.Fraction(), !b.Running)
	title := "ossdrop"
	if b.Running && b.Files > 0 {
		title = percent(b.Fraction()) + " — ossdrop"
	}
	if w.win.Title() != title {
		w.win.SetTitle(title)
	}
}

// applyButtons enables each queue action only when it would do something.
func (w *Window) applyButtons(t transfer.Totals) {
	enable(&w.pauseAll.Button, t.Active+t.Queued > 0)
	enable(&w.resumeA.Button, t.Paused > 0)
	enable(&w.retryF.Button, t.Failed > 0)
	// ClearFinished removes done, skipped and canceled rows; failed ones stay
	// for a retry.
	enable(&w.clearF.Button, t.Done+t.Skipped+t.Canceled > 0)
}

// tipLayer is where tooltips are drawn.
func (w *Window) tipLayer() *tipLayer { return w.tips }
