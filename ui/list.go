package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// taskList bridges the Manager's snapshots to a virtualised list. It keeps
// the rows the list has handed out by index, so a progress tick updates those
// few widgets directly instead of List.RefreshItem, which re-renders every
// visible row. All of it runs on the UI goroutine.
type taskList struct {
	widget.List

	act     rowActions
	tasks   []transfer.TaskSnapshot // the model, replaced wholesale by apply
	visible map[int]*taskRow        // index → row, maintained in UpdateItem
	rows    int                     // row widgets ever created (the list's pool is bounded)

	selected transfer.TaskID // 0: none; by id, because indices shift when rows go
	onDelete func()          // the Delete key while the list has focus
}

func newTaskList(act rowActions) *taskList {
	l := &taskList{act: act, visible: map[int]*taskRow{}}
	l.Length = func() int { return len(l.tasks) }
	l.CreateItem = func() fyne.CanvasObject {
		l.rows++
		return newTaskRow(l.act)
	}
	l.UpdateItem = l.updateItem
	l.OnSelected = func(id widget.ListItemID) {
		if id >= 0 && id < len(l.tasks) {
			l.selected = l.tasks[id].ID
		}
	}
	l.OnUnselected = func(widget.ListItemID) { l.selected = 0 }
	l.ExtendBaseWidget(l)
	return l
}

func (l *taskList) updateItem(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*taskRow)
	if r.index >= 0 && l.visible[r.index] == r {
		delete(l.visible, r.index)
	}
	if id < 0 || id >= len(l.tasks) {
		r.clear()
		return
	}
	r.set(id, l.tasks[id])
	l.visible[id] = r
}

// apply installs a new model and updates only the visible rows whose task
// changed. It returns the previous model so the caller can reuse its memory.
func (l *taskList) apply(tasks []transfer.TaskSnapshot) []transfer.TaskSnapshot {
	old := l.tasks
	l.tasks = tasks
	if len(old) != len(tasks) {
		// The scroll extent changed: let the list re-lay out; it calls
		// UpdateItem for the rows it shows, which resets them.
		for i, r := range l.visible {
			if i >= len(tasks) {
				delete(l.visible, i)
				r.clear()
			}
		}
		l.Refresh()
		l.reselect()
		return old
	}
	l.prune()
	for i, r := range l.visible {
		t := tasks[i]
		if r.task.ID != t.ID || r.task.Version != t.Version || !r.bound {
			r.set(i, t)
		}
	}
	return old
}

// prune forgets rows for indices that scrolled out of view. The list drops
// row widgets on a full refresh without telling UpdateItem, so entries
// outside the visible window may point at widgets that are gone; inside it,
// the latest UpdateItem for an index always wins.
func (l *taskList) prune() {
	var rowH float32
	for _, r := range l.visible {
		rowH = r.MinSize().Height
		break
	}
	if rowH <= 0 {
		return
	}
	step := rowH + l.Theme().Size(theme.SizeNamePadding)
	off := l.GetScrollOffset()
	first := int(off/step) - 1
	last := int((off+l.Size().Height)/step) + 1
	for i := range l.visible {
		if i < first || i > last {
			delete(l.visible, i)
		}
	}
}

// reselect keeps the selection on the same task after rows moved.
func (l *taskList) reselect() {
	if l.selected == 0 {
		return
	}
	for i := range l.tasks {
		if l.tasks[i].ID == l.selected {
			l.Select(i)
			return
		}
	}
	l.selected = 0
	l.UnselectAll()
}

// selectedTask is the selected task's latest snapshot.
func (l *taskList) selectedTask() (transfer.TaskSnapshot, bool) {
	if l.selected == 0 {
		return transfer.TaskSnapshot{}, false
	}
	for _, t := range l.tasks {
		if t.ID == l.selected {
			return t, true
		}
	}
	return transfer.TaskSnapshot{}, false
}

// TypedKey adds Delete to the list's own keyboard handling.
func (l *taskList) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyDelete && l.onDelete != nil {
		l.onDelete()
		return
	}
	l.List.TypedKey(ev)
}
