package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
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
	onEnter  func()          // the Enter key: details of the selected row
	stats    func(transfer.TaskSnapshot) liveStats

	// marked are the tasks of a multiple selection (Shift+click extends
	// from anchor, Ctrl+click toggles); Fyne's List selects only one row.
	marked    map[transfer.TaskID]bool
	anchor    transfer.TaskID
	modifiers func() fyne.KeyModifier // the keys held during a click
	selecting bool                    // reselect is moving the selection, not the user
}

func newTaskList(act rowActions) *taskList {
	l := &taskList{act: act, visible: map[int]*taskRow{}, stats: func(transfer.TaskSnapshot) liveStats { return liveStats{} }}
	l.Length = func() int { return len(l.tasks) }
	l.CreateItem = func() fyne.CanvasObject {
		l.rows++
		return newTaskRow(l.act)
	}
	l.UpdateItem = l.updateItem
	l.marked = map[transfer.TaskID]bool{}
	l.modifiers = heldModifiers
	l.OnSelected = l.selectedRow
	l.OnUnselected = func(widget.ListItemID) {
		if !l.selecting {
			l.selected = 0
		}
	}
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
	r.set(id, l.tasks[id], l.stats(l.tasks[id]))
	r.setMarked(l.showMark(l.tasks[id].ID))
	l.visible[id] = r
}

// heldModifiers asks a desktop driver which modifier keys are down.
func heldModifiers() fyne.KeyModifier {
	if a := fyne.CurrentApp(); a != nil {
		if d, ok := a.Driver().(desktop.Driver); ok {
			return d.CurrentKeyModifiers()
		}
	}
	return 0
}

// selectedRow extends or replaces the multiple selection as the keys held
// during the click say.
func (l *taskList) selectedRow(id widget.ListItemID) {
	if id < 0 || id >= len(l.tasks) {
		return
	}
	tid := l.tasks[id].ID
	if l.selecting {
		l.selected = tid
		return
	}
	mods := l.modifiers()
	switch {
	case mods&fyne.KeyModifierShift != 0 && l.anchor != 0:
		from := l.indexOf(l.anchor)
		if from < 0 {
			from = id
		}
		clear(l.marked)
		for i := min(from, id); i <= max(from, id); i++ {
			l.marked[l.tasks[i].ID] = true
		}
	case mods&fyne.KeyModifierShortcutDefault != 0:
		if l.selected != 0 && len(l.marked) == 0 {
			l.marked[l.selected] = true
		}
		l.anchor = tid
		if l.marked[tid] {
			// Toggled off: the list must not keep highlighting it.
			delete(l.marked, tid)
			l.selected = 0
			l.Unselect(id)
			l.refreshMarks()
			return
		}
		l.marked[tid] = true
	default:
		clear(l.marked)
		l.marked[tid] = true
		l.anchor = tid
	}
	l.selected = tid
	l.refreshMarks()
}

func (l *taskList) indexOf(id transfer.TaskID) int {
	for i := range l.tasks {
		if l.tasks[i].ID == id {
			return i
		}
	}
	return -1
}

// showMark says whether a row draws its own selection highlight: marked,
// and not the row the list highlights already.
func (l *taskList) showMark(id transfer.TaskID) bool {
	return l.marked[id] && id != l.selected
}

func (l *taskList) refreshMarks() {
	for _, r := range l.visible {
		if r.bound {
			r.setMarked(l.showMark(r.task.ID))
		}
	}
}

// markedTasks are the latest snapshots of the selected tasks, in list order.
func (l *taskList) markedTasks() []transfer.TaskSnapshot {
	var out []transfer.TaskSnapshot
	for _, t := range l.tasks {
		if l.marked[t.ID] {
			out = append(out, t)
		}
	}
	return out
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
		st := l.stats(t)
		// Sent moves between version bumps (the engine counts bytes as they go).
		if r.task.ID != t.ID || r.task.Version != t.Version || r.task.Sent != t.Sent || !r.bound || r.stats != st {
			r.set(i, t, st)
			r.setMarked(l.showMark(t.ID))
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
	if len(l.marked) > 0 {
		present := make(map[transfer.TaskID]bool, len(l.marked))
		for i := range l.tasks {
			if l.marked[l.tasks[i].ID] {
				present[l.tasks[i].ID] = true
			}
		}
		l.marked = present
	}
	if l.selected == 0 {
		return
	}
	l.selecting = true
	defer func() { l.selecting = false }()
	for i := range l.tasks {
		if l.tasks[i].ID == l.selected {
			l.Select(i)
			return
		}
	}
	l.selected = 0
	l.UnselectAll()
}

// TypedKey adds Delete, Enter, Home, End, PageUp and PageDown to the list's
// own keyboard handling; Up and Down move the selection, not just the focus
// ring, so the row Enter and Delete act on is always the highlighted one.
func (l *taskList) TypedKey(ev *fyne.KeyEvent) {
	n := len(l.tasks)
	cur := l.indexOf(l.selected)
	page := l.pageRows()
	switch ev.Name {
	case fyne.KeyDelete:
		if l.onDelete != nil {
			l.onDelete()
		}
	case fyne.KeyReturn, fyne.KeyEnter:
		if l.onEnter != nil {
			l.onEnter()
		}
	case fyne.KeyHome:
		l.moveTo(0)
	case fyne.KeyEnd:
		l.moveTo(n - 1)
	case fyne.KeyPageUp:
		l.moveTo(max(cur-page, 0))
	case fyne.KeyPageDown:
		l.moveTo(min(max(cur, 0)+page, n-1))
	case fyne.KeyUp:
		l.moveTo(max(cur-1, 0))
	case fyne.KeyDown:
		l.moveTo(min(cur+1, n-1))
	default:
		l.List.TypedKey(ev)
	}
}

// TypedShortcut selects every row on Ctrl+A (Cmd+A).
func (l *taskList) TypedShortcut(s fyne.Shortcut) {
	if _, ok := s.(*fyne.ShortcutSelectAll); ok {
		l.selectAll()
	}
}

// selectAll marks every row in the current view.
func (l *taskList) selectAll() {
	clear(l.marked)
	for i := range l.tasks {
		l.marked[l.tasks[i].ID] = true
	}
	if len(l.tasks) > 0 && l.selected == 0 {
		l.anchor = l.tasks[0].ID
	}
	l.refreshMarks()
}

// moveTo selects row i alone and scrolls it into view.
func (l *taskList) moveTo(i int) {
	if i < 0 || i >= len(l.tasks) {
		return
	}
	tid := l.tasks[i].ID
	clear(l.marked)
	l.marked[tid] = true
	l.anchor = tid
	l.selecting = true
	l.Select(i)
	l.selecting = false
	l.selected = tid
	l.ScrollTo(i)
	l.refreshMarks()
}

// pageRows is how many rows fit on screen, at least one.
func (l *taskList) pageRows() int {
	for _, r := range l.visible {
		h := r.MinSize().Height + l.Theme().Size(theme.SizeNamePadding)
		if h > 0 {
			return max(int(l.Size().Height/h), 1)
		}
	}
	return 10
}

// selectedTask is the row selected last, if any.
func (l *taskList) selectedTask() (transfer.TaskSnapshot, bool) {
	if i := l.indexOf(l.selected); i >= 0 {
		return l.tasks[i], true
	}
	return transfer.TaskSnapshot{}, false
}
