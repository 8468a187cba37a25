package ui

import (
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// rowActions is what a row's buttons do; the Window implements it. Buttons
// read the row's current task when tapped, so a recycled row never acts on
// the task it showed before.
type rowActions interface {
	pauseTask(id transfer.TaskID)
	resumeTask(id transfer.TaskID)
	cancelTask(id transfer.TaskID)
	retryTask(id transfer.TaskID)
	removeTask(id transfer.TaskID)
	showLinkMenu(t transfer.TaskSnapshot, from fyne.CanvasObject)
	showErrorDetails(t transfer.TaskSnapshot)
}

// taskRow shows one task: icon, name and key on the left, progress and status
// on the right, then the actions that fit the task's state.
type taskRow struct {
	widget.BaseWidget

	act    rowActions
	icon   *widget.Icon
	name   *widget.Label
	key    *widget.Label
	bar    *widget.ProgressBar
	status *widget.Label

	pause, resume, cancel, retry, remove, link, details *widget.Button
	actions                                             *fyne.Container
	mark                                                *canvas.Rectangle // shown when the row is in a multiple selection

	task  transfer.TaskSnapshot // what the row shows now
	bound bool                  // task holds a real snapshot
	index int                   // list index the row shows
}

func newTaskRow(act rowActions) *taskRow {
	r := &taskRow{act: act, index: -1}
	r.icon = widget.NewIcon(theme.FileIcon())
	r.name = widget.NewLabel("")
	r.name.TextStyle.Bold = true
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.key = widget.NewLabel("")
	r.key.Truncation = fyne.TextTruncateEllipsis
	r.key.SizeName = theme.SizeNameCaptionText
	r.bar = widget.NewProgressBar()
	r.status = widget.NewLabel("")
	r.status.Truncation = fyne.TextTruncateEllipsis
	r.status.SizeName = theme.SizeNameCaptionText

	button := func(icon fyne.Resource, do func()) *widget.Button {
		b := widget.NewButtonWithIcon("", icon, do)
		b.Importance = widget.LowImportance
		b.Hide()
		return b
	}
	r.pause = button(theme.MediaPauseIcon(), func() { r.act.pauseTask(r.task.ID) })
	r.resume = button(theme.MediaPlayIcon(), func() { r.act.resumeTask(r.task.ID) })
	r.retry = button(theme.ViewRefreshIcon(), func() { r.act.retryTask(r.task.ID) })
	r.cancel = button(theme.CancelIcon(), func() { r.act.cancelTask(r.task.ID) })
	r.link = button(theme.ContentCopyIcon(), nil)
	r.link.OnTapped = func() { r.act.showLinkMenu(r.task, r.link) }
	r.details = button(theme.ErrorIcon(), func() { r.act.showErrorDetails(r.task) })
	r.remove = button(theme.DeleteIcon(), func() { r.act.removeTask(r.task.ID) })
	// The spacer right-aligns the buttons inside the fixed-width action column.
	r.actions = container.NewHBox(layout.NewSpacer(), r.pause, r.resume, r.retry, r.link, r.details, r.cancel, r.remove)
	r.mark = canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
	r.mark.CornerRadius = theme.SelectionRadiusSize()
	r.mark.Hide()
	r.ExtendBaseWidget(r)
	return r
}

func (r *taskRow) CreateRenderer() fyne.WidgetRenderer {
	left := container.New(&linesLayout{}, r.name, r.key)
	right := container.New(&linesLayout{}, r.bar, r.status)
	return widget.NewSimpleRenderer(container.NewStack(r.mark, container.New(&rowLayout{}, r.icon, left, right, r.actions)))
}

// set shows t in the row. It resets everything a previous task may have left
// (text, importance, visible buttons), because the list recycles rows.
func (r *taskRow) set(index int, t transfer.TaskSnapshot) {
	same := r.bound && r.task.ID == t.ID
	if same && r.task.Version == t.Version && r.index == index {
		return
	}
	r.index = index
	old := r.task
	r.task = t
	r.bound = true

	if !same || old.Path != t.Path {
		setText(r.name, displayName(t))
		r.icon.SetResource(fileIcon(t.Path))
	}
	if !same || old.Key != t.Key || old.Bucket != t.Bucket {
		setText(r.key, destination(t.Bucket, t.Key))
	}
	if v := fraction(t); r.bar.Value != v {
		r.bar.SetValue(v)
	}
	setText(r.status, statusText(t))
	setImportance(r.status, stateImportance(t.State))
	r.showActions(t.State)
}

// setMarked shows whether the row belongs to a multiple selection (the
// list itself highlights only the row selected last).
func (r *taskRow) setMarked(on bool) {
	if on == r.mark.Visible() {
		return
	}
	if on {
		r.mark.FillColor = theme.Color(theme.ColorNameSelection)
		r.mark.Show()
	} else {
		r.mark.Hide()
	}
}

// clear empties a row the list handed out for an id no longer in the model.
func (r *taskRow) clear() {
	r.bound = false
	r.index = -1
	r.task = transfer.TaskSnapshot{}
	setText(r.name, "")
	setText(r.key, "")
	setText(r.status, "")
	r.bar.SetValue(0)
	r.showActions(-1)
	r.setMarked(false)
}

func (r *taskRow) showActions(s transfer.State) {
	changed := false
	show := func(b *widget.Button, on bool) {
		if on == b.Visible() {
			return
		}
		changed = true
		if on {
			b.Show()
		} else {
			b.Hide()
		}
	}
	bound := s >= 0
	show(r.pause, bound && (s == transfer.Queued || s == transfer.Uploading || s == transfer.Retrying))
	show(r.resume, s == transfer.Paused)
	show(r.retry, s == transfer.Failed || s == transfer.Canceled)
	show(r.link, s == transfer.Done || s == transfer.Skipped)
	show(r.details, s == transfer.Failed || s == transfer.Retrying || (s == transfer.Paused && pauseReason(r.task) != ""))
	show(r.cancel, bound && !s.Finished())
	show(r.remove, s.Finished() || s == transfer.Paused)
	if changed {
		// Showing a button does not re-lay out its box; the row must.
		r.actions.Refresh()
	}
}

func stateImportance(s transfer.State) widget.Importance {
	switch s {
	case transfer.Done:
		return widget.SuccessImportance
	case transfer.Failed:
		return widget.DangerImportance
	case transfer.Retrying, transfer.Paused:
		return widget.WarningImportance
	case transfer.Canceled, transfer.Skipped, transfer.Queued:
		return widget.LowImportance
	default:
		return widget.MediumImportance
	}
}

func setText(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
	}
}

func setImportance(l *widget.Label, i widget.Importance) {
	if l.Importance != i {
		l.Importance = i
		l.Refresh()
	}
}

// fileIcon picks a theme icon by extension, without touching the disk: the
// list must not stat files while scrolling through thousands of rows.
func fileIcon(p string) fyne.Resource {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".heic", ".tif", ".tiff":
		return theme.FileImageIcon()
	case ".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v":
		return theme.FileVideoIcon()
	case ".mp3", ".flac", ".wav", ".ogg", ".m4a", ".aac", ".opus":
		return theme.FileAudioIcon()
	case ".txt", ".md", ".csv", ".json", ".xml", ".yaml", ".yml", ".log", ".html", ".go", ".py", ".js":
		return theme.FileTextIcon()
	case ".zip", ".tar", ".gz", ".tgz", ".xz", ".zst", ".7z", ".rar", ".iso", ".deb", ".rpm", ".exe", ".bin", ".img":
		return theme.FileApplicationIcon()
	default:
		return theme.FileIcon()
	}
}

// rowLayout places icon | name+key | progress+status | actions. The action
// column has a fixed width so columns line up whatever buttons a state shows.
type rowLayout struct{}

const (
	actionsWidth = 3*36 + 2*4 // three icon buttons
	iconSize     = 32
)

func (rowLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Padding()
	icon, left, right, actions := objs[0], objs[1], objs[2], objs[3]
	icon.Resize(fyne.NewSquareSize(iconSize))
	icon.Move(fyne.NewPos(pad, (s.Height-iconSize)/2))

	x := pad + iconSize + pad
	rest := s.Width - x - actionsWidth - 2*pad
	lw := float32(int(rest * 0.45))
	left.Resize(fyne.NewSize(lw, s.Height))
	left.Move(fyne.NewPos(x, 0))
	right.Resize(fyne.NewSize(rest-lw-pad, s.Height))
	right.Move(fyne.NewPos(x+lw+pad, 0))

	ah := actions.MinSize().Height
	actions.Resize(fyne.NewSize(actionsWidth, ah))
	actions.Move(fyne.NewPos(s.Width-pad-actionsWidth, (s.Height-ah)/2))
}

func (rowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	h := float32(iconSize)
	for _, o := range objs[1:] {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(pad+iconSize+pad+160+pad+160+pad+actionsWidth, h)
}

// linesLayout stacks its objects with no gap, each at its minimum height, so
// two labels read as one block of text.
type linesLayout struct{}

func (linesLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	var total float32
	for _, o := range objs {
		total += o.MinSize().Height
	}
	y := max((s.Height-total)/2, 0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(s.Width, h))
		o.Move(fyne.NewPos(0, y))
		y += h
	}
}

func (linesLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w = max(w, m.Width)
		h += m.Height
	}
	return fyne.NewSize(w, h)
}
