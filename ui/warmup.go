package ui

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// The frame that shows the first rows draws things the empty window never
// drew: caption-sized text, the list's scroll shadow. A GL driver prepares
// the drawing state of each new kind on first use, on the UI thread, inside
// that frame. Mesa's software renderer (llvmpipe: virtual machines, remote
// desktops, computers without a GPU driver) compiles a variant of its texture
// shader for each texture shape it meets first, a side being a power of two
// or not: the 16-pixel-high caption text and the 1×8 shadow were two new
// ones, 20–50 ms of code generation each, which made the first-rows frame
// after a drop of thousands of files 0.13 s long. GPU drivers also build
// state on first use, only much faster.
//
// warmUp pays that while the window is idle: its first frame also draws a
// small list of sample rows, and one tiny texture of each shape, under an
// opaque rectangle of the window's background colour, and the loop removes
// them once that frame was painted. Nothing of it can be seen, and the first
// real rows find everything already prepared.
type warmUp struct {
	box  *fyne.Container // the sample list, the texture shapes and the cover
	list *widget.List
	rows int // sample row widgets built

	rowH    float32 // the height of one sample row
	painted func()  // called (once) from the paint that drew the sample
	fired   bool
}

// warmUpShown is how many sample rows fit the sample list's height: fewer
// than warmUpTasks, so the list scrolls and draws its shadow.
const warmUpShown = 2.5

// newWarmUp builds the sample; painted runs on the UI goroutine during the
// frame that drew it.
func newWarmUp(painted func()) *warmUp {
	u := &warmUp{painted: painted}
	act := warmActions{tips: newTipLayer()}
	u.rowH = newTaskRow(act).MinSize().Height
	samples := warmUpTasks()
	u.list = widget.NewList(
		func() int { return len(samples) },
		func() fyne.CanvasObject {
			u.rows++
			return newTaskRow(act)
		},
		func(i widget.ListItemID, o fyne.CanvasObject) {
			o.(*taskRow).set(i, samples[i], liveStats{})
		})
	// One tiny texture of each shape (sides a power of two or not): which
	// ones the real rows' text needs depends on the display's scale and on
	// the names, so all four are prepared. The first painted tells the
	// window that the sample was drawn.
	shapes := container.NewWithoutLayout()
	for i, px := range [][2]int{{1, 1}, {1, 3}, {3, 1}, {3, 3}} {
		r := canvas.NewRaster(func(int, int) image.Image {
			u.drawn()
			return image.NewRGBA(image.Rect(0, 0, px[0], px[1]))
		})
		r.Resize(fyne.NewSquareSize(1))
		r.Move(fyne.NewPos(float32(2*i), 0))
		shapes.Add(r)
	}
	cover := canvas.NewRectangle(theme.Color(theme.ColorNameBackground))
	u.box = container.New(&warmUpLayout{rowH: u.rowH}, u.list, shapes, cover)
	return u
}

// drawn is called by the painter; the sample is removed after this frame.
func (u *warmUp) drawn() {
	if u.fired {
		return
	}
	u.fired = true
	u.painted()
}

// warmUpLayout gives the sample and its cover the top of the space, tall
// enough for warmUpShown rows.
type warmUpLayout struct{ rowH float32 }

func (l *warmUpLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	h := min(s.Height, float32(int(warmUpShown*l.rowH)))
	for _, o := range objs {
		o.Resize(fyne.NewSize(s.Width, h))
		o.Move(fyne.Position{})
	}
}

func (*warmUpLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.Size{} }

// warmUpTasks are sample rows in the states that show different parts: a
// queued and an uploading row (bar, pause, cancel), a finished one (subdued
// bar, copy link, remove) and a failed one (retry, details).
func warmUpTasks() []transfer.TaskSnapshot {
	mk := func(id int, name string, st transfer.State, size, done int64) transfer.TaskSnapshot {
		return transfer.TaskSnapshot{ID: transfer.TaskID(id), Path: "/sample/" + name, Key: name,
			Bucket: "sample", Size: size, Done: done, Sent: done, State: st, Version: 1}
	}
	failed := mk(4, "IMG_0004.jpg", transfer.Failed, 4096, 0)
	failed.Err = &transfer.TaskError{Op: "upload", Message: "sample"}
	return []transfer.TaskSnapshot{
		mk(1, "IMG_0001.jpg", transfer.Queued, 4096, 0),
		mk(2, "IMG_0002.jpg", transfer.Uploading, 4096, 1024),
		mk(3, "IMG_0003.jpg", transfer.Done, 4096, 4096),
		failed,
	}
}

// warmActions is what the sample rows' buttons do: nothing, they are never
// seen (and gone after the first frame).
type warmActions struct{ tips *tipLayer }

func (warmActions) pauseTask(transfer.TaskID)                             {}
func (warmActions) resumeTask(transfer.TaskID)                            {}
func (warmActions) cancelTask(transfer.TaskID)                            {}
func (warmActions) retryTask(transfer.TaskID)                             {}
func (warmActions) removeTask(transfer.TaskID)                            {}
func (warmActions) showLinkMenu(transfer.TaskSnapshot, fyne.CanvasObject) {}
func (warmActions) showErrorDetails(transfer.TaskSnapshot)                {}
func (a warmActions) tipLayer() *tipLayer                                 { return a.tips }

// startWarmUp puts the sample under the window's body, to be drawn by the
// next frame and removed after it. Call it before the window's first frame.
func (w *Window) startWarmUp() {
	if w.warm != nil {
		return
	}
	u := newWarmUp(func() {
		// Posted from inside the paint: runs after the frame is complete.
		w.do(w.endWarmUp)
	})
	w.warm = u
	w.body.Objects = append([]fyne.CanvasObject{u.box}, w.body.Objects...)
	w.body.Refresh()
}

// endWarmUp removes the sample once it was painted.
func (w *Window) endWarmUp() {
	if w.warm == nil {
		return
	}
	w.body.Remove(w.warm.box)
	w.warm = nil
}
