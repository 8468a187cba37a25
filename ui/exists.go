package ui

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// existsAsker answers the engine's Ask policy with a dialog. Workers ask
// from their own goroutines; questions are shown one at a time, and "apply
// to all in this batch" answers the rest of the batch without a dialog.
type existsAsker struct {
	one sync.Mutex // held while a question is on screen

	mu    sync.Mutex
	all   bool // an answer applies to the rest of the batch
	which transfer.OnExists
	open  dialog.Dialog // the question on screen, for tests
}

// askSetter is what a Backend offers when it can ask about existing objects.
type askSetter interface {
	SetOnExistsAsk(transfer.AskFunc)
}

// newBatch forgets "apply to all": a new batch asks again.
func (a *existsAsker) newBatch() {
	a.mu.Lock()
	a.all = false
	a.mu.Unlock()
}

// askExists is the window's transfer.AskFunc.
func (w *Window) askExists(ctx context.Context, t transfer.TaskSnapshot) (transfer.OnExists, error) {
	a := &w.exists
	if which, ok := a.answered(); ok {
		return which, nil
	}
	// From here the task waits for the user, even while another question is
	// on screen: that time is the user's, not the upload's, so the tracker
	// neither calls it a stall nor counts it in the row's time.
	waits := &w.prog.waits
	waits.begin(t.ID, w.now())
	defer func() { waits.end(t.ID, w.now()) }()
	a.one.Lock()
	defer a.one.Unlock()
	if which, ok := a.answered(); ok {
		return which, nil
	}

	answer := make(chan transfer.OnExists, 1)
	var d dialog.Dialog
	w.do(func() { d = w.showExists(t, answer) })
	select {
	case which := <-answer:
		return which, nil
	case <-ctx.Done():
		w.do(func() {
			if d != nil {
				d.Hide()
			}
		})
		return 0, ctx.Err()
	}
}

// answered is the answer "apply to all" gave for the rest of the batch.
func (a *existsAsker) answered() (transfer.OnExists, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.which, a.all
}

// showExists puts the question on screen; it runs on the UI goroutine.
func (w *Window) showExists(t transfer.TaskSnapshot, answer chan<- transfer.OnExists) dialog.Dialog {
	a := &w.exists
	msg := widget.NewLabel(lang.L("{{.Object}} already exists in the bucket. What should happen to {{.File}}?",
		map[string]any{"Object": destination(t.Bucket, t.Key), "File": displayName(t)}))
	msg.Wrapping = fyne.TextWrapWord
	all := widget.NewCheck(lang.L("Apply to all in this batch"), nil)
	var d dialog.Dialog
	choose := func(which transfer.OnExists) func() {
		return func() {
			a.mu.Lock()
			if all.Checked {
				a.all, a.which = true, which
			}
			a.open = nil
			a.mu.Unlock()
			d.Hide()
			answer <- which
		}
	}
	overwrite := widget.NewButton(lang.L("Overwrite"), choose(transfer.Overwrite))
	skip := widget.NewButton(lang.L("Skip"), choose(transfer.Skip))
	same := widget.NewButton(lang.L("Skip if identical"), choose(transfer.SkipIdentical))
	rename := widget.NewButton(lang.L("Keep both (rename)"), choose(transfer.Rename))
	rename.Importance = widget.HighImportance
	buttons := container.NewGridWithColumns(2, rename, same, skip, overwrite)
	d = dialog.NewCustomWithoutButtons(lang.L("The object already exists"), container.NewVBox(msg, all, buttons), w.win)
	d.Resize(fyne.NewSize(520, 0))
	a.mu.Lock()
	a.open = d
	a.mu.Unlock()
	d.Show()
	return d
}
