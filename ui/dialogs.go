package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

// stateLabel is a task state as the window names it.
func stateLabel(s transfer.State) string {
	switch s {
	case transfer.Queued:
		return lang.L("Queued")
	case transfer.Uploading:
		return lang.L("Uploading")
	case transfer.Retrying:
		return lang.L("Retrying")
	case transfer.Completing:
		return lang.L("Completing upload")
	case transfer.Verifying:
		return lang.L("Verifying CRC-64")
	case transfer.Done:
		return lang.L("Done")
	case transfer.Failed:
		return lang.L("Failed")
	case transfer.Paused:
		return lang.L("Paused")
	case transfer.Canceled:
		return lang.L("Canceled")
	case transfer.Skipped:
		return lang.L("Skipped")
	}
	return s.String()
}

// errorDetails is the copyable text of a task's error: the summary in the
// window's language, then the file exactly as given and the engine's own
// account (taskTechnical).
func errorDetails(t transfer.TaskSnapshot) string {
	var b strings.Builder
	if s := taskSummary(t); s != "" {
		b.WriteString(sentence(s) + "\n\n")
	}
	b.WriteString(whereText(t))
	if tech := taskTechnical(t); tech != "" {
		b.WriteString("\n" + labelled(lang.L("Technical details"), "\n"+tech))
	}
	return b.String()
}

// sentence starts s with a capital letter, for a summary that stands alone
// (summaries are written to follow "Failed: " in a row).
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsLower(r) {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// whereText names the file, object and state of a task, one line each.
func whereText(t transfer.TaskSnapshot) string {
	var b strings.Builder
	b.WriteString(labelled(lang.L("File"), t.Path) + "\n")
	b.WriteString(labelled(lang.L("Object"), destination(t.Bucket, t.Key)) + "\n")
	b.WriteString(labelled(lang.L("State"), stateLabel(t.State)))
	if t.Note != "" {
		b.WriteString("\n" + labelled(lang.L("Note"), noteText(t)))
	}
	return b.String()
}

// showErrorDetails opens a dialog with everything known about a task's error:
// what went wrong in plain words, where, and the technical details (OSS code,
// HTTP status, RequestId, the engine's message) behind a closed section,
// selectable and with a copy button, for bug reports and support tickets.
func (w *Window) showErrorDetails(t transfer.TaskSnapshot) {
	text := errorDetails(t)
	label := func(s string) *widget.Label {
		l := widget.NewLabel(s)
		l.Selectable = true
		l.Wrapping = fyne.TextWrapBreak
		return l
	}
	body := container.NewVBox()
	if s := taskSummary(t); s != "" {
		sum := label(sentence(s))
		sum.TextStyle.Bold = true
		body.Add(sum)
	}
	body.Add(label(whereText(t)))
	if tech := taskTechnical(t); tech != "" {
		more := widget.NewAccordion(widget.NewAccordionItem(lang.L("Technical details"), label(tech)))
		body.Add(more)
	}
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
	d.Resize(fyne.NewSize(620, 380))
	d.Show()
}

// newConfirm is a confirm dialog with its own button texts.
func newConfirm(title, msg, yes, no string, cb func(bool), parent fyne.Window) dialog.Dialog {
	d := dialog.NewConfirm(title, msg, cb, parent)
	d.SetConfirmText(yes)
	d.SetDismissText(no)
	return d
}
