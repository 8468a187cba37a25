package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// thinBar is a slim progress bar without text on it: the figures sit next to
// it in text that meets contrast rules, which a label drawn over a coloured
// fill cannot. Finished rows draw it subdued.
type thinBar struct {
	widget.BaseWidget

	value  float64
	subdue bool
	maxW   float32 // the bar never stretches wider than this (0: no cap)

	track, fill *canvas.Rectangle
}

const barHeight = 6

func newThinBar(maxW float32) *thinBar {
	b := &thinBar{maxW: maxW}
	b.track = canvas.NewRectangle(colorOf(colorTrack))
	b.fill = canvas.NewRectangle(colorOf(colorBar))
	b.track.CornerRadius, b.fill.CornerRadius = barHeight/2, barHeight/2
	b.ExtendBaseWidget(b)
	return b
}

// set shows v (0..1); subdue greys it out for finished tasks.
func (b *thinBar) set(v float64, subdue bool) {
	if b.value == v && b.subdue == subdue {
		return
	}
	b.value, b.subdue = v, subdue
	b.Refresh()
}

func (b *thinBar) CreateRenderer() fyne.WidgetRenderer {
	return &thinBarRenderer{b: b}
}

type thinBarRenderer struct{ b *thinBar }

func (r *thinBarRenderer) Destroy() {}
func (r *thinBarRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.b.track, r.b.fill}
}
func (r *thinBarRenderer) MinSize() fyne.Size { return fyne.NewSize(40, barHeight) }

func (r *thinBarRenderer) Layout(s fyne.Size) {
	b := r.b
	w := s.Width
	if b.maxW > 0 && w > b.maxW {
		w = b.maxW
	}
	y := (s.Height - barHeight) / 2
	b.track.Resize(fyne.NewSize(w, barHeight))
	b.track.Move(fyne.NewPos(0, y))
	fw := float32(min(max(b.value, 0), 1)) * w
	b.fill.Resize(fyne.NewSize(fw, barHeight))
	b.fill.Move(fyne.NewPos(0, y))
	b.fill.Hidden = fw < 1
}

func (r *thinBarRenderer) Refresh() {
	b := r.b
	b.track.FillColor = colorOf(colorTrack)
	if b.subdue {
		b.fill.FillColor = colorOf(colorBarDone)
	} else {
		b.fill.FillColor = colorOf(colorBar)
	}
	r.Layout(b.Size())
	b.track.Refresh()
	b.fill.Refresh()
}
