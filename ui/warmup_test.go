package ui

import (
	"image"
	"testing"

	"fyne.io/fyne/v2"
)

// The window's first frame draws sample rows, unseen, before anything was
// dropped, and the loop removes them once that frame was painted: the frame
// that shows the first real rows then meets nothing a driver draws for the
// first time (see warmup.go).
func TestWarmUpDrawsRowsUnseenBeforeAnyDrop(t *testing.T) {
	w := newViewWindow(t, newViewBackend())
	w.sync()
	empty := w.win.Canvas().Capture()

	w.startWarmUp()
	u := w.warm
	if u == nil || len(w.body.Objects) == 0 || w.body.Objects[0] != u.box {
		t.Fatal("the sample rows are not under the window's body")
	}
	// The frame: the painter draws the sample (its row widgets are built
	// for it, in every state warmUpTasks lists) under the cover.
	shown := w.win.Canvas().Capture()
	if u.rows == 0 {
		t.Fatal("the first frame built no sample row")
	}
	if !u.fired {
		t.Fatal("painting the first frame did not draw the sample")
	}
	var rows []*taskRow
	walkVisible(u.list, func(o fyne.CanvasObject) {
		if r, ok := o.(*taskRow); ok && r.bound && !r.Size().IsZero() {
			rows = append(rows, r)
		}
	})
	if len(rows) < 2 {
		t.Fatalf("%d sample rows laid out, want at least 2", len(rows))
	}
	if h := u.list.Size().Height; h < u.rowH || h >= float32(len(warmUpTasks()))*u.rowH {
		t.Fatalf("the sample list is %v tall for rows of %v: it must show one and scroll (to draw its shadow)", h, u.rowH)
	}
	if d := diffPixels(empty, shown); d != 0 {
		t.Fatalf("the sample can be seen: %d pixels differ from the empty window", d)
	}

	// After the frame the loop runs what the paint posted: the sample goes.
	settle(w)
	if w.warm != nil {
		t.Fatal("the sample is still there after its frame")
	}
	for _, o := range w.body.Objects {
		if o == u.box {
			t.Fatal("the sample is still in the window's body after its frame")
		}
	}
	if d := diffPixels(empty, w.win.Canvas().Capture()); d != 0 {
		t.Fatalf("%d pixels differ from the empty window after the sample went", d)
	}
}

// walkVisible calls f for o and every visible object inside it.
func walkVisible(o fyne.CanvasObject, f func(fyne.CanvasObject)) {
	eachObject(o, func(o fyne.CanvasObject) bool {
		if !o.Visible() {
			return false
		}
		f(o)
		return true
	})
}

// diffPixels counts the pixels that differ between two captures by more than
// one level in a channel: the test driver's painter rounds blending over an
// opaque rectangle of the background colour one level away from blending over
// the cleared background, which nobody can see.
func diffPixels(a, b image.Image) int {
	if a.Bounds() != b.Bounds() {
		return a.Bounds().Dx() * a.Bounds().Dy()
	}
	n := 0
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if far(r1, r2) || far(g1, g2) || far(b1, b2) || far(a1, a2) {
				n++
			}
		}
	}
	return n
}

// far says two 16-bit channel values are more than one 8-bit level apart.
func far(a, b uint32) bool {
	return max(a, b)-min(a, b) > 0x101
}
