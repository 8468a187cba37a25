package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Fyne 2.8 has no tooltips, and an icon button without one leaves people
// guessing. tipLayer is a transparent layer over the window content that shows
// one tip at a time below the hovered button; it holds no widgets, so clicks
// and hovers pass through it.
type tipLayer struct {
	box  *fyne.Container
	bg   *canvas.Rectangle
	text *canvas.Text
	for_ fyne.CanvasObject // the object the tip is shown for
}

func newTipLayer() *tipLayer {
	l := &tipLayer{}
	l.bg = canvas.NewRectangle(theme.Color(theme.ColorNameOverlayBackground))
	l.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	l.bg.StrokeWidth = 1
	l.bg.CornerRadius = 4
	l.text = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	l.text.TextSize = theme.CaptionTextSize()
	l.box = container.NewWithoutLayout(l.bg, l.text)
	l.bg.Hide()
	l.text.Hide()
	return l
}

// show puts tip below (or, at the bottom edge, above) obj.
func (l *tipLayer) show(obj fyne.CanvasObject, tip string) {
	if tip == "" || l.box.Size().IsZero() {
		return
	}
	d := fyne.CurrentApp().Driver()
	at := d.AbsolutePositionForObject(obj).Subtract(d.AbsolutePositionForObject(l.box))
	pad := theme.Padding()
	l.text.Text = tip
	l.text.Color = theme.Color(theme.ColorNameForeground)
	l.text.TextSize = theme.CaptionTextSize()
	ts := fyne.MeasureText(tip, l.text.TextSize, l.text.TextStyle)
	size := fyne.NewSize(ts.Width+2*pad, ts.Height+pad)
	box := l.box.Size()
	x := min(max(at.X+(obj.Size().Width-size.Width)/2, 0), max(box.Width-size.Width, 0))
	y := at.Y + obj.Size().Height + 2
	if y+size.Height > box.Height {
		y = at.Y - size.Height - 2
	}
	l.bg.FillColor = theme.Color(theme.ColorNameOverlayBackground)
	l.bg.StrokeColor = theme.Color(theme.ColorNameInputBorder)
	l.bg.Resize(size)
	l.bg.Move(fyne.NewPos(x, y))
	l.text.Resize(ts)
	l.text.Move(fyne.NewPos(x+pad, y+pad/2))
	l.for_ = obj
	l.bg.Show()
	l.text.Show()
	l.box.Refresh()
}

// hide removes the tip if it belongs to obj (nil: whatever is shown).
func (l *tipLayer) hide(obj fyne.CanvasObject) {
	if obj != nil && l.for_ != obj {
		return
	}
	l.for_ = nil
	if l.bg.Visible() {
		l.bg.Hide()
		l.text.Hide()
		l.box.Refresh()
	}
}

// text is the tip shown now, "" when none; for tests.
func (l *tipLayer) shown() string {
	if l.for_ == nil {
		return ""
	}
	return l.text.Text
}

// tipButton is a button with a tooltip and an accessible name.
type tipButton struct {
	widget.Button
	tip   string
	layer *tipLayer
}

func newTipButton(label string, icon fyne.Resource, tip string, layer *tipLayer, tapped func()) *tipButton {
	b := &tipButton{tip: tip, layer: layer}
	b.Text, b.Icon, b.OnTapped = label, icon, tapped
	b.ExtendBaseWidget(b)
	return b
}

// MouseIn shows the tip as the pointer enters.
func (b *tipButton) MouseIn(e *desktop.MouseEvent) {
	b.Button.MouseIn(e)
	if b.layer != nil {
		b.layer.show(b, b.tip)
	}
}

// MouseOut hides it.
func (b *tipButton) MouseOut() {
	b.Button.MouseOut()
	if b.layer != nil {
		b.layer.hide(b)
	}
}

// Tapped hides the tip: the button may move or change after an action.
func (b *tipButton) Tapped(e *fyne.PointEvent) {
	if b.layer != nil {
		b.layer.hide(b)
	}
	b.Button.Tapped(e)
}
