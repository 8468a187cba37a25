package ui

import (
	"image/color"
	"path/filepath"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/lang"
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
	tipLayer() *tipLayer
}

// taskRow shows one task in one compact row: icon, name over destination,
// a slim bar over the status, then the actions. Each action has a fixed slot,
// so a button never turns into a different one under the pointer when the
// task changes state (pause never becomes copy-link).
type taskRow struct {
	widget.BaseWidget

	act    rowActions
	icon   *widget.Icon
	name   *midText
	key    *midText
	bar    *thinBar
	status *midText

	pause, resume, cancel, retry, remove, link, details *tipButton
	actions                                             *fyne.Container
	mark                                                *canvas.Rectangle // shown when the row is in a multiple selection

	task  transfer.TaskSnapshot // what the row shows now
	stats liveStats             // the live figures shown with it
	bound bool                  // task holds a real snapshot
	index int                   // list index the row shows
}

func newTaskRow(act rowActions) *taskRow {
	r := &taskRow{act: act, index: -1}
	r.icon = widget.NewIcon(theme.FileIcon())
	r.name = newMidText(theme.SizeNameText, theme.ColorNameForeground, true)
	r.key = newMidText(theme.SizeNameCaptionText, colorSubtle, false)
	r.bar = newThinBar(barMaxWidth)
	r.status = newMidText(theme.SizeNameCaptionText, theme.ColorNameForeground, false)

	tips := act.tipLayer()
	button := func(icon fyne.Resource, tip string, do func()) *tipButton {
		b := newTipButton("", icon, tip, tips, do)
		b.Importance = widget.LowImportance
		b.Hide()
		return b
	}
	r.pause = button(theme.MediaPauseIcon(), lang.L("Pause"), func() { r.act.pauseTask(r.task.ID) })
	r.resume = button(theme.MediaPlayIcon(), lang.L("Resume"), func() { r.act.resumeTask(r.task.ID) })
	r.retry = button(theme.ViewRefreshIcon(), lang.L("Retry"), func() { r.act.retryTask(r.task.ID) })
	r.cancel = button(theme.CancelIcon(), lang.L("Cancel upload"), func() { r.act.cancelTask(r.task.ID) })
	r.link = button(theme.ContentCopyIcon(), lang.L("Copy link…"), nil)
	r.link.OnTapped = func() { r.act.showLinkMenu(r.task, r.link) }
	r.details = button(theme.InfoIcon(), lang.L("Details"), func() { r.act.showErrorDetails(r.task) })
	r.remove = button(theme.DeleteIcon(), lang.L("Remove from list"), func() { r.act.removeTask(r.task.ID) })
	// Four fixed slots: start/stop, information, cancel, remove.
	r.actions = container.New(&slotsLayout{},
		container.NewStack(r.pause, r.resume, r.retry),
		container.NewStack(r.details, r.link),
		container.NewStack(r.cancel),
		container.NewStack(r.remove))
	r.mark = canvas.NewRectangle(theme.Color(theme.ColorNameSelection))
	r.mark.CornerRadius = theme.SelectionRadiusSize()
	r.mark.Hide()
	r.ExtendBaseWidget(r)
	return r
}

// barMaxWidth keeps bars readable on wide windows instead of 960 px stripes.
const barMaxWidth = 360

func (r *taskRow) CreateRenderer() fyne.WidgetRenderer {
	left := container.New(&linesLayout{gap: 0}, r.name, r.key)
	right := container.New(&linesLayout{gap: 5}, r.bar, r.status)
	actions := container.NewThemeOverride(r.actions, compactTheme{})
	return widget.NewSimpleRenderer(container.NewStack(r.mark, container.New(&rowLayout{}, r.icon, left, right, actions)))
}

// set shows t in the row. It resets everything a previous task may have left
// (text, colours, visible buttons), because the list recycles rows.
func (r *taskRow) set(index int, t transfer.TaskSnapshot, st liveStats) {
	same := r.bound && r.task.ID == t.ID
	if same && r.task.Version == t.Version && r.task.Sent == t.Sent && r.index == index && r.stats == st {
		return
	}
	r.index = index
	r.task = t
	r.stats = st
	r.bound = true

	finished := t.State.Finished()
	nameColor := theme.ColorNameForeground
	if finished {
		nameColor = colorSubtle
	}
	r.name.set(displayName(t), nameColor)
	if !same {
		r.icon.SetResource(fileIcon(t.Path))
	}
	r.key.set(destination(t.Bucket, t.Key), colorSubtle)
	r.bar.set(fraction(t), finished)
	r.status.set(statusText(t, st), stateColor(t, st))
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
	r.stats = liveStats{}
	r.name.set("", theme.ColorNameForeground)
	r.key.set("", colorSubtle)
	r.status.set("", theme.ColorNameForeground)
	r.bar.set(0, false)
	r.showActions(-1)
	r.setMarked(false)
}

func (r *taskRow) showActions(s transfer.State) {
	show := func(b *tipButton, on bool) {
		if on == b.Visible() {
			return
		}
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
}

// slotsLayout gives each action slot the same square, right-aligned, so
// every button stays where it was whatever the others do.
type slotsLayout struct{}

func (slotsLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	side := s.Height
	x := s.Width - side*float32(len(objs))
	for _, o := range objs {
		o.Resize(fyne.NewSquareSize(side))
		o.Move(fyne.NewPos(x, 0))
		x += side
	}
}

// MinSize does not depend on which buttons are shown, so showing one never
// needs a new row layout.
func (slotsLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	side := slotSide()
	return fyne.NewSize(side*float32(len(objs)), side)
}

// slotSide is the square of one row button: icon plus compact padding.
func slotSide() float32 {
	return theme.IconInlineSize() + 2*compactTheme{}.Size(theme.SizeNameInnerPadding)
}

// compactTheme shrinks the padding inside row buttons so a row stays short.
type compactTheme struct{}

func (compactTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	return fyne.CurrentApp().Settings().Theme().Color(n, v)
}
func (compactTheme) Font(s fyne.TextStyle) fyne.Resource {
	return fyne.CurrentApp().Settings().Theme().Font(s)
}
func (compactTheme) Icon(n fyne.ThemeIconName) fyne.Resource {
	return fyne.CurrentApp().Settings().Theme().Icon(n)
}
func (compactTheme) Size(n fyne.ThemeSizeName) float32 {
	if n == theme.SizeNameInnerPadding {
		return 6
	}
	return fyne.CurrentApp().Settings().Theme().Size(n)
}

// stateColor is the status line's colour; each keeps AA contrast (theme.go).
func stateColor(t transfer.TaskSnapshot, st liveStats) fyne.ThemeColorName {
	switch t.State {
	case transfer.Done:
		return colorOK
	case transfer.Failed:
		return colorBad
	case transfer.Retrying, transfer.Paused:
		return colorWarn
	case transfer.Canceled, transfer.Skipped, transfer.Queued:
		return colorSubtle
	case transfer.Uploading:
		if st.Stalled || st.Asking {
			return colorWarn
		}
	}
	return theme.ColorNameForeground
}

func setText(l *widget.Label, s string) {
	if l.Text != s {
		l.SetText(s)
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

const iconSize = 24

func (rowLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Padding()
	icon, left, right, actions := objs[0], objs[1], objs[2], objs[3]
	icon.Resize(fyne.NewSquareSize(iconSize))
	icon.Move(fyne.NewPos(pad, (s.Height-iconSize)/2))

	am := actions.MinSize()
	x := pad + iconSize + 2*pad
	rest := s.Width - x - am.Width - 3*pad
	rw := min(float32(int(rest*0.45)), barMaxWidth+40)
	lw := rest - rw
	left.Resize(fyne.NewSize(lw, s.Height))
	left.Move(fyne.NewPos(x, 0))
	right.Resize(fyne.NewSize(rw, s.Height))
	right.Move(fyne.NewPos(x+lw+2*pad, 0))

	actions.Resize(am)
	actions.Move(fyne.NewPos(s.Width-pad-am.Width, (s.Height-am.Height)/2))
}

func (rowLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	pad := theme.Padding()
	h := float32(iconSize)
	for _, o := range objs[1:] {
		h = max(h, o.MinSize().Height)
	}
	am := objs[3].MinSize()
	return fyne.NewSize(pad+iconSize+2*pad+140+2*pad+120+3*pad+am.Width, h)
}

// linesLayout stacks its objects gap apart, each at its minimum height,
// centred vertically, so two lines read as one block.
type linesLayout struct{ gap float32 }

func (l linesLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	total := l.gap * float32(max(len(objs)-1, 0))
	for _, o := range objs {
		total += o.MinSize().Height
	}
	y := max((s.Height-total)/2, 0)
	for _, o := range objs {
		h := o.MinSize().Height
		o.Resize(fyne.NewSize(s.Width, h))
		o.Move(fyne.NewPos(0, y))
		y += h + l.gap
	}
}

func (l linesLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for _, o := range objs {
		m := o.MinSize()
		w = max(w, m.Width)
		h += m.Height
	}
	return fyne.NewSize(w, h+l.gap*float32(max(len(objs)-1, 0)))
}

func setImportance(l *widget.Label, i widget.Importance) {
	if l.Importance != i {
		l.Importance = i
		l.Refresh()
	}
}
