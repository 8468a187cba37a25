package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/ossdrop/ossdrop/history"
	"github.com/ossdrop/ossdrop/transfer"
	"github.com/ossdrop/ossdrop/transfer/errkind"
)

// HistorySource is what the History view reads and asks of the rest of the
// program; the window provides one over package history, tests a fake.
type HistorySource interface {
	// Load returns the recorded uploads, oldest first.
	Load() ([]history.Entry, error)
	// Link returns the object's URL (presigned for expires > 0) and records it
	// in the history, returning the entry with the link added.
	Link(e history.Entry, expires time.Duration) (string, history.Entry, error)
	// UploadAgain queues the entry's file again.
	UploadAgain(e history.Entry) error
	// Reveal shows the local file in the system's file manager.
	Reveal(path string) error
}

// historyView is the History window: search, a state filter, the list and
// actions on the selected entry.
type historyView struct {
	src    HistorySource
	win    fyne.Window
	copyTo func(string) // the clipboard
	open   func(*url.URL) error
	onErr  func(error)

	idx      *history.Index
	shown    []int // entry numbers in idx, newest first
	selected int   // entry number, -1 for none

	search  *widget.Entry
	state   *widget.Select
	list    *widget.List
	count   *widget.Label
	expiry  *widget.Select
	actions []*widget.Button
	details *widget.Button // the selected entry's error, summary and exact text
	errDlg  dialog.Dialog  // the error dialog last shown, for tests
}

// historyTimeZone is where History shows times; tests fix it.
var historyTimeZone = time.Local

// historyStates pairs the filter's labels with entry states; "" is any.
func historyStates() []struct{ state, label string } {
	return []struct{ state, label string }{
		{"", lang.L("All states")},
		{history.StateDone, lang.L("Done")},
		{history.StateFailed, lang.L("Failed")},
		{history.StateCanceled, lang.L("Canceled")},
		{history.StateSkipped, lang.L("Skipped")},
	}
}

func historyStateLabel(s string) string {
	for _, c := range historyStates() {
		if c.state == s && s != "" {
			return c.label
		}
	}
	return s
}

// historyErrorText is an entry's error in the window's language, chosen by
// the kind the entry stored (an entry from before kinds were stored has only
// its OSS code, if any); the engine's exact text when neither says more.
func historyErrorText(e *history.Entry) string {
	k := errkind.Kind(e.ErrorKind)
	if k == "" && e.ErrorCode != "" {
		k = errkind.OSS
	}
	s := kindSummary(k, e.ErrorCode, e.ErrorStatus, e.Bucket)
	switch {
	case s == "":
		return e.Error
	case k == errkind.OSS && e.ErrorCode != "" && !strings.Contains(s, e.ErrorCode):
		return s + " (" + e.ErrorCode + ")"
	}
	return s
}

// historyTechnical is what an entry stored about its error, exactly: the
// engine's message (file names as given), OSS code, HTTP status, RequestId.
func historyTechnical(e *history.Entry) string {
	var lines []string
	line := func(label, v string) {
		if v != "" {
			lines = append(lines, labelled(label, v))
		}
	}
	line(lang.L("Message"), e.Error)
	line(lang.L("OSS code"), e.ErrorCode)
	if e.ErrorStatus != 0 {
		line(lang.L("HTTP status"), formatInt(int64(e.ErrorStatus)))
	}
	line("RequestId", e.RequestID)
	return strings.Join(lines, "\n")
}

// newHistoryView builds the view over entries already loaded.
func newHistoryView(src HistorySource, entries []history.Entry, win fyne.Window) *historyView {
	v := &historyView{src: src, win: win, selected: -1, idx: history.NewIndex(entries)}
	v.copyTo = func(s string) { fyne.CurrentApp().Clipboard().SetContent(s) }
	v.open = fyne.CurrentApp().OpenURL
	v.onErr = func(err error) { dialog.ShowError(err, win) }
	return v
}

func (v *historyView) build() fyne.CanvasObject {
	v.search = widget.NewEntry()
	v.search.SetPlaceHolder(lang.L("Search file name, key or bucket"))
	v.search.OnChanged = func(string) { v.filter() }
	states := historyStates()
	labels := make([]string, len(states))
	for i, s := range states {
		labels[i] = s.label
	}
	v.state = widget.NewSelect(labels, nil)
	v.state.SetSelectedIndex(0)
	v.state.OnChanged = func(string) { v.filter() }
	v.count = widget.NewLabel("")

	v.list = widget.NewList(func() int { return len(v.shown) }, v.newRow, v.updateRow)
	v.list.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(v.shown) {
			v.selected = v.shown[id]
		}
		v.updateActions()
	}
	v.list.OnUnselected = func(widget.ListItemID) { v.selected = -1; v.updateActions() }

	expiries := make([]string, len(linkExpiries))
	for i, e := range linkExpiries {
		expiries[i] = e.label()
	}
	v.expiry = widget.NewSelect(expiries, nil)
	v.expiry.SetSelectedIndex(0)
	copyURL := widget.NewButtonWithIcon(lang.L("Copy URL"), theme.ContentCopyIcon(), v.copyURL)
	copyLink := widget.NewButtonWithIcon(lang.L("Copy presigned link"), theme.ContentCopyIcon(), v.copyPresigned)
	openB := widget.NewButtonWithIcon(lang.L("Open in browser"), theme.ComputerIcon(), v.openInBrowser)
	reveal := widget.NewButtonWithIcon(lang.L("Show in folder"), theme.FolderOpenIcon(), v.reveal)
	again := widget.NewButtonWithIcon(lang.L("Upload again"), theme.UploadIcon(), v.uploadAgain)
	v.actions = []*widget.Button{copyURL, copyLink, openB, reveal, again}
	v.details = widget.NewButtonWithIcon(lang.L("Error details"), theme.InfoIcon(), v.showDetails)
	export := widget.NewButtonWithIcon(lang.L("Export CSV…"), theme.DocumentSaveIcon(), v.exportDialog)

	top := container.NewBorder(nil, nil, nil, v.state, v.search)
	bottom := container.NewVBox(
		widget.NewSeparator(),
		container.NewHBox(copyURL, copyLink, v.expiry, openB, reveal, again),
		container.NewBorder(nil, nil, nil, container.NewHBox(v.details, export), v.count),
	)
	v.filter()
	return container.NewBorder(top, bottom, nil, nil, v.list)
}

// filter reapplies the search and state filter; it runs on every keystroke.
func (v *historyView) filter() {
	q := history.Query{Text: v.search.Text}
	if i := v.state.SelectedIndex(); i > 0 {
		q.State = historyStates()[i].state
	}
	v.shown = v.idx.Search(q, 0, v.shown)
	v.selected = -1
	v.list.UnselectAll()
	v.list.Refresh()
	v.list.ScrollToTop()
	n := len(v.shown)
	if n == v.idx.Len() {
		v.count.SetText(lang.N("{{.Count}} upload", n, map[string]any{"Count": count(n)}))
	} else {
		v.count.SetText(lang.N("{{.Count}} of {{.Total}} uploads match", n, map[string]any{"Count": count(n), "Total": count(v.idx.Len())}))
	}
	v.updateActions()
}

// historyRow is one list row: name and state, then destination and details.
type historyRow struct {
	widget.BaseWidget
	name, state, detail *widget.Label
	top                 *fyne.Container // name and state: laid out again when the state's width changes
}

func (v *historyView) newRow() fyne.CanvasObject {
	r := &historyRow{name: widget.NewLabel(""), state: widget.NewLabel(""), detail: widget.NewLabel("")}
	r.name.TextStyle.Bold = true
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.detail.Truncation = fyne.TextTruncateEllipsis
	r.detail.Importance = widget.LowImportance
	r.ExtendBaseWidget(r)
	return r
}

func (r *historyRow) CreateRenderer() fyne.WidgetRenderer {
	r.top = container.NewBorder(nil, nil, nil, r.state, r.name)
	return widget.NewSimpleRenderer(container.NewVBox(r.top, r.detail))
}

func (v *historyView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*historyRow)
	if id < 0 || id >= len(v.shown) {
		return
	}
	e := v.idx.Entry(v.shown[id])
	r.name.SetText(e.Name())
	st := join(historyStateLabel(e.State), size(e.Size), dateTime(e.When, historyTimeZone))
	r.state.SetText(st)
	switch e.State {
	case history.StateFailed:
		r.state.Importance = widget.DangerImportance
	case history.StateDone:
		r.state.Importance = widget.SuccessImportance
	default:
		r.state.Importance = widget.MediumImportance
	}
	r.state.Refresh()
	if r.top != nil {
		r.top.Refresh() // a recycled row's state text has a new width
	}
	detail := "oss://" + destination(e.Bucket, e.Key)
	if e.Profile != "" {
		detail = e.Profile + " · " + detail
	}
	if e.Error != "" {
		detail += " · " + historyErrorText(e)
	}
	r.detail.SetText(detail)
}

func (v *historyView) updateActions() {
	var e *history.Entry
	if v.selected >= 0 {
		e = v.idx.Entry(v.selected)
	}
	done := e != nil && e.State == history.StateDone
	for i, b := range v.actions {
		on := e != nil
		if i < 3 { // links need an object in the bucket
			on = done
		}
		enable(b, on)
	}
	if v.details != nil {
		enable(v.details, e != nil && e.Error != "")
	}
}

// showDetails explains the selected entry's error in the window's language,
// with what was stored exactly under "Technical details".
func (v *historyView) showDetails() {
	e, ok := v.current()
	if !ok || e.Error == "" {
		return
	}
	v.errDlg = problemDialog(problemWithDetails(sentence(historyErrorText(e)), historyTechnical(e)), v.win)
	v.errDlg.Show()
}

func (v *historyView) current() (*history.Entry, bool) {
	if v.selected < 0 {
		return nil, false
	}
	return v.idx.Entry(v.selected), true
}

// link gets a URL for the selected entry and keeps the entry it returns, which
// now lists the link.
func (v *historyView) link(expires time.Duration) (string, bool) {
	e, ok := v.current()
	if !ok {
		return "", false
	}
	u, updated, err := v.src.Link(*e, expires)
	if err != nil {
		v.onErr(fmt.Errorf("%s: %w", lang.L("Link for {{.Key}}", map[string]any{"Key": e.Key}), err))
		return "", false
	}
	*e = updated
	return u, true
}

func (v *historyView) copyURL() {
	if u, ok := v.link(0); ok {
		v.copyTo(u)
	}
}

func (v *historyView) copyPresigned() {
	d := linkExpiries[0].d
	if i := v.expiry.SelectedIndex(); i >= 0 {
		d = linkExpiries[i].d
	}
	if u, ok := v.link(d); ok {
		v.copyTo(u)
	}
}

// openInBrowser opens a presigned link, so private objects open too.
func (v *historyView) openInBrowser() {
	u, ok := v.link(linkExpiries[0].d)
	if !ok {
		return
	}
	p, err := url.Parse(u)
	if err == nil {
		err = v.open(p)
	}
	if err != nil {
		v.onErr(err)
	}
}

func (v *historyView) reveal() {
	if e, ok := v.current(); ok {
		if err := v.src.Reveal(e.Path); err != nil {
			v.onErr(err)
		}
	}
}

func (v *historyView) uploadAgain() {
	if e, ok := v.current(); ok {
		if err := v.src.UploadAgain(*e); err != nil {
			v.onErr(err)
		}
	}
}

// visible is what the filter shows, oldest first, for export.
func (v *historyView) visible() []history.Entry {
	out := make([]history.Entry, len(v.shown))
	for i, n := range v.shown {
		out[len(v.shown)-1-i] = *v.idx.Entry(n)
	}
	return out
}

func (v *historyView) exportDialog() {
	d := dialog.NewFileSave(func(w fyne.URIWriteCloser, err error) {
		if err != nil {
			v.onErr(err)
			return
		}
		if w == nil {
			return
		}
		err = v.export(w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			v.onErr(fmt.Errorf("%s: %w", lang.L("Export CSV"), err))
		}
	}, v.win)
	d.SetFileName("ossdrop-history.csv")
	d.Show()
	d.Resize(fyne.NewSize(800, 560))
}

// export writes what the filter shows as CSV.
func (v *historyView) export(w interface{ Write([]byte) (int, error) }) error {
	var b bytes.Buffer
	if err := history.WriteCSV(&b, v.visible()); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ShowHistory opens the History window, loading the entries off the UI
// goroutine; a second call brings the open one to the front.
func (w *Window) ShowHistory() {
	if w.hist == nil {
		return
	}
	if w.histWin != nil {
		w.histWin.RequestFocus()
		return
	}
	w.goAsync(func() func() {
		entries, err := w.hist.Load()
		return func() {
			if err != nil {
				w.showError(err)
				return
			}
			w.openHistoryWindow(entries)
		}
	})
}

func (w *Window) openHistoryWindow(entries []history.Entry) *historyView {
	win := w.app.NewWindow(lang.L("Upload history"))
	v := newHistoryView(w.hist, entries, win)
	v.copyTo = func(s string) { w.app.Clipboard().SetContent(s); w.lastCopied = s }
	v.open = w.app.OpenURL
	win.SetContent(v.build())
	win.Resize(fyne.NewSize(900, 560))
	win.SetOnClosed(func() { w.histWin = nil })
	w.histWin = win
	win.Show()
	return v
}

// newWindowHistory is the window's HistorySource, or nil without a state dir.
func newWindowHistory(w *Window, cfg Config) HistorySource {
	if cfg.StateDir == "" {
		return nil
	}
	return &windowHistory{w: w, dir: cfg.StateDir, rec: cfg.History}
}

// historyButton opens the History window from the top bar.
func (w *Window) historyButton() *tipButton {
	b := newTipButton("", theme.HistoryIcon(), lang.L("Upload history"), w.tips, w.ShowHistory)
	b.Importance = widget.LowImportance
	if w.hist == nil {
		b.Hide()
	}
	return b
}

// windowHistory is the window's HistorySource: the history file of the state
// directory, links made with the profile the upload went to, uploads again
// into the window's queue.
type windowHistory struct {
	w   *Window
	dir string
	rec *history.Recorder
}

// Load reads the history once entries still gathering for the next write
// (up to 50 ms of them) are on disk, so uploads that just ended are listed.
func (h *windowHistory) Load() ([]history.Entry, error) {
	if err := h.rec.Flush(); err != nil {
		h.w.log.Warn("upload history", "err", err)
	}
	return history.Load(h.dir)
}

func (h *windowHistory) Link(e history.Entry, expires time.Duration) (string, history.Entry, error) {
	t, err := h.targetFor(e)
	if err != nil {
		return "", e, err
	}
	u, err := transfer.ObjectURLFor(t, e.Key, expires)
	if err != nil {
		return "", e, err
	}
	l := history.Link{URL: u, Presigned: expires > 0, Issued: time.Now()}
	if expires > 0 {
		l.Expires = l.Issued.Add(expires)
	}
	if h.rec != nil {
		e = h.rec.AddLink(e, l)
	}
	return u, e, nil
}

// targetFor finds the destination an entry went to: the window's own target
// when it matches, else the entry's profile from the settings.
func (h *windowHistory) targetFor(e history.Entry) (transfer.Target, error) {
	w := h.w
	if w.target.Bucket == e.Bucket && w.target.Profile == e.Profile && w.target.Endpoint != "" {
		return w.target, nil
	}
	if e.Profile == "" || w.core == nil {
		return transfer.Target{}, errors.New(lang.L("This upload was made without a saved profile, so its endpoint is unknown; open ossdrop with the same --endpoint and --bucket to get its link."))
	}
	p, ok := w.core.Config().Profile(e.Profile)
	if !ok {
		return transfer.Target{}, errors.New(lang.L("Profile {{.Name}} is not in the settings any more.", map[string]any{"Name": e.Profile}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	t, err := w.core.Target(ctx, p)
	if err != nil {
		return t, err
	}
	t.Bucket = e.Bucket
	return t, nil
}

// rememberLink records a link copied from a row in that upload's history
// entry, off the UI goroutine.
func (w *Window) rememberLink(t transfer.TaskSnapshot, u string, expires time.Duration) {
	h, ok := w.hist.(*windowHistory)
	if !ok || h.rec == nil {
		return
	}
	l := history.Link{URL: u, Presigned: expires > 0, Issued: time.Now()}
	if expires > 0 {
		l.Expires = l.Issued.Add(expires)
	}
	w.goAsync(func() func() {
		if err := h.addLinkFor(t, l); err != nil {
			w.log.Warn("upload history: link not recorded", "key", t.Key, "err", err)
		}
		return nil
	})
}

// addLinkFor adds l to the newest entry recorded for t's upload.
func (h *windowHistory) addLinkFor(t transfer.TaskSnapshot, l history.Link) error {
	if err := h.rec.Flush(); err != nil { // the entry may still be on its way to the file
		return err
	}
	es, err := history.Load(h.dir)
	if err != nil {
		return err
	}
	for i := len(es) - 1; i >= 0; i-- {
		if e := es[i]; e.Path == t.Path && e.Key == t.Key && e.Bucket == t.Bucket {
			h.rec.AddLink(e, l)
			return nil
		}
	}
	return errors.New("no history entry for this upload")
}

// UploadAgain queues the file into the key's folder at the current destination.
func (h *windowHistory) UploadAgain(e history.Entry) error {
	if _, err := os.Stat(e.Path); err != nil {
		return errors.New(lang.L("Cannot upload {{.Path}} again: {{.Reason}}", map[string]any{"Path": e.Path, "Reason": errorText(err)}))
	}
	prefix := path.Dir(e.Key)
	if prefix == "." {
		prefix = ""
	}
	h.w.be.Add([]string{e.Path}, prefix)
	return nil
}

// Reveal shows path in the file manager: selected on Windows and macOS, its
// folder opened elsewhere (xdg-open has no "select").
func (h *windowHistory) Reveal(p string) error { return revealFile(p) }

var revealFile = func(p string) error {
	if _, err := os.Stat(p); err != nil {
		return errors.New(lang.L("Cannot show {{.Path}}: {{.Reason}}", map[string]any{"Path": p, "Reason": errorText(err)}))
	}
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "windows":
		cmd = exec.Command("explorer", "/select,"+p)
	case "darwin":
		cmd = exec.Command("open", "-R", p)
	default:
		cmd = exec.Command("xdg-open", filepath.Dir(p))
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", cmd.Path, err)
	}
	go cmd.Wait() // explorer exits with 1 even on success; nothing to report
	return nil
}
