package ui

import (
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// linkExpiries are the presigned-link lifetimes offered in link menus; label
// is called when the menu is built, so it speaks the current language.
var linkExpiries = []struct {
	label func() string
	d     time.Duration
}{
	{func() string { return lang.L("1 hour") }, time.Hour},
	{func() string { return lang.L("1 day") }, 24 * time.Hour},
	{func() string { return lang.L("7 days") }, 7 * 24 * time.Hour},
}

// showLinkMenu pops up the copy-link choices for a finished object.
func (w *Window) showLinkMenu(t transfer.TaskSnapshot, from fyne.CanvasObject) {
	items := []*fyne.MenuItem{
		fyne.NewMenuItem(lang.L("Copy URL"), func() { w.copyLink(t, 0) }),
		fyne.NewMenuItemSeparator(),
	}
	for _, e := range linkExpiries {
		items = append(items, fyne.NewMenuItem(lang.L("Copy presigned link ({{.Expiry}})", map[string]any{"Expiry": e.label()}), func() { w.copyLink(t, e.d) }))
	}
	c := w.win.Canvas()
	pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(from)
	widget.ShowPopUpMenuAtPosition(fyne.NewMenu("", items...), c, pos.AddXY(0, from.Size().Height))
}

// copyLink puts the object's URL on the clipboard. Signing is local (no
// request), so it is done here on the UI goroutine.
func (w *Window) copyLink(t transfer.TaskSnapshot, expires time.Duration) {
	u, err := w.be.ObjectURL(t.ID, expires)
	if err != nil {
		w.showError(fmt.Errorf("%s: %w", lang.L("Link for {{.Key}}", map[string]any{"Key": t.Key}), err))
		return
	}
	w.app.Clipboard().SetContent(u)
	w.lastCopied = u
	w.flash(lang.L("Link copied"))
	w.rememberLink(t, u, expires)
}

// showSelectedDetails opens the details of the row selected last (Enter).
func (w *Window) showSelectedDetails() {
	if t, ok := w.list.selectedTask(); ok {
		w.showErrorDetails(t)
	}
}

// flash tells the user briefly, in the summary line, that something
// happened that has nothing else to show (a copy to the clipboard).
func (w *Window) flash(msg string) {
	w.flashMsg = msg
	w.summary.SetText(msg)
	time.AfterFunc(flashFor, func() {
		w.do(func() {
			if w.flashMsg == msg {
				w.flashMsg = ""
				w.summary.SetText(batchText(w.batchT))
			}
		})
	})
}

// flashFor is how long a flash message stays.
var flashFor = 2 * time.Second

// errorDetails is the copyable text of a task's error.
func errorDetails(t transfer.TaskSnapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s\n%s: %s\n%s: %s\n", lang.L("File"), t.Path, lang.L("Object"), destination(t.Bucket, t.Key), lang.L("State"), t.State)
	if e := t.Err; e != nil {
		if e.Op != "" {
			fmt.Fprintf(&b, "%s: %s\n", lang.L("While"), e.Op)
		}
		fmt.Fprintf(&b, "%s: %s\n", lang.L("Message"), orUnknown(e.Message))
		if e.Code != "" {
			fmt.Fprintf(&b, "%s: %s\n", lang.L("OSS code"), e.Code)
		}
		if e.Status != 0 {
			fmt.Fprintf(&b, "%s: %d\n", lang.L("HTTP status"), e.Status)
		}
		if e.RequestID != "" {
			fmt.Fprintf(&b, "RequestId: %s\n", e.RequestID)
		}
		if e.Err != nil && e.Err.Error() != e.Message {
			fmt.Fprintf(&b, "%s: %s\n", lang.L("Cause"), e.Err)
		}
	}
	if t.Note != "" {
		fmt.Fprintf(&b, "%s: %s\n", lang.L("Note"), t.Note)
	}
	return strings.TrimRight(b.String(), "\n")
}

// showErrorDetails opens a dialog with everything known about a task's error,
// selectable and with a copy button, for bug reports and support tickets.
func (w *Window) showErrorDetails(t transfer.TaskSnapshot) {
	text := errorDetails(t)
	body := widget.NewLabel(text)
	body.Selectable = true
	body.Wrapping = fyne.TextWrapBreak
	var copyB *widget.Button
	copyB = widget.NewButtonWithIcon(lang.L("Copy details"), theme.ContentCopyIcon(), func() {
		w.app.Clipboard().SetContent(text)
		w.lastCopied = text
		copyB.SetText(lang.L("Copied"))
	})
	content := container.NewBorder(nil, container.NewHBox(copyB), nil, nil, container.NewVScroll(body))
	title := lang.L("Upload failed: {{.Name}}", map[string]any{"Name": displayName(t)})
	switch {
	case t.State == transfer.Retrying || t.State == transfer.Paused && t.Err != nil:
		title = lang.L("Upload problem: {{.Name}}", map[string]any{"Name": displayName(t)})
	case t.State != transfer.Failed:
		title = lang.L("Upload: {{.Name}}", map[string]any{"Name": displayName(t)})
	}
	d := dialog.NewCustom(title, lang.L("Close"), content, w.win)
	d.Resize(fyne.NewSize(620, 340))
	d.Show()
}

// newConfirm is a confirm dialog with its own button texts.
func newConfirm(title, msg, yes, no string, cb func(bool), parent fyne.Window) dialog.Dialog {
	d := dialog.NewConfirm(title, msg, cb, parent)
	d.SetConfirmText(yes)
	d.SetDismissText(no)
	return d
}
