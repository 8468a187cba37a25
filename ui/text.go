package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// midText is one line of text that, when too long, drops characters from the
// middle ("holiday-vid…-final.mp4") so the start and the extension stay
// readable. Its colour is a theme colour name, read again on every refresh,
// so a theme change recolours it. It is lighter than a Label: a row has four.
type midText struct {
	widget.BaseWidget

	Text      string
	Color     fyne.ThemeColorName
	SizeName  fyne.ThemeSizeName
	Bold      bool
	Alignment fyne.TextAlign

	shown *canvas.Text
	fitW  float32 // width the shown text was fitted to
	fitS  string  // text it was fitted from
}

func newMidText(size fyne.ThemeSizeName, col fyne.ThemeColorName, bold bool) *midText {
	t := &midText{SizeName: size, Color: col, Bold: bold}
	t.ExtendBaseWidget(t)
	return t
}

// set changes text and colour, redrawing only when something changed.
func (t *midText) set(s string, col fyne.ThemeColorName) {
	if t.Text == s && t.Color == col {
		return
	}
	t.Text, t.Color = s, col
	t.Refresh()
}

func (t *midText) style() fyne.TextStyle { return fyne.TextStyle{Bold: t.Bold} }

func (t *midText) textSize() float32 {
	if t.SizeName == "" {
		return theme.TextSize()
	}
	return theme.Size(t.SizeName)
}

func (t *midText) CreateRenderer() fyne.WidgetRenderer {
	t.shown = canvas.NewText("", colorOf(t.Color))
	r := &midTextRenderer{t: t}
	r.Refresh()
	return r
}

type midTextRenderer struct{ t *midText }

func (r *midTextRenderer) Destroy() {}
func (r *midTextRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.t.shown}
}

func (r *midTextRenderer) MinSize() fyne.Size {
	h := fyne.MeasureText("Mg", r.t.textSize(), r.t.style()).Height
	return fyne.NewSize(4*h, h)
}

func (r *midTextRenderer) Layout(s fyne.Size) {
	t := r.t
	if t.fitW != s.Width || t.fitS != t.Text {
		t.shown.Text = fitMiddle(t.Text, s.Width, t.textSize(), t.style())
		t.fitW, t.fitS = s.Width, t.Text
	}
	t.shown.Resize(s)
	t.shown.Move(fyne.Position{})
}

func (r *midTextRenderer) Refresh() {
	t := r.t
	t.shown.Color = colorOf(t.Color)
	t.shown.TextSize = t.textSize()
	t.shown.TextStyle = t.style()
	t.shown.Alignment = t.Alignment
	t.fitS = "\x00" // force a new fit
	r.Layout(t.Size())
	t.shown.Refresh()
}

// fitMiddle shortens s by removing runes from its middle until it fits width.
func fitMiddle(s string, width, size float32, style fyne.TextStyle) string {
	if s == "" || width <= 0 || fyne.MeasureText(s, size, style).Width <= width {
		return s
	}
	runes := []rune(s)
	cut := func(keep int) string {
		tail := keep / 2
		head := keep - tail
		return string(runes[:head]) + "…" + string(runes[len(runes)-tail:])
	}
	lo, hi := 0, len(runes)-1 // lo always fits (or is 0)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fyne.MeasureText(cut(mid), size, style).Width <= width {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return "…"
	}
	return cut(lo)
}
