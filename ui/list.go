package ui

import (
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// taskList bridges the window's row model to a virtualised list. It shows a
// view (indices into the model) and holds a full snapshot only in the row
// widgets on screen. It keeps the rows the list has handed out by index, so
// a progress tick updates those few widgets directly instead of
// List.RefreshItem, which re-renders every visible row. All of it runs on
// the UI goroutine.
type taskList struct {
	widget.List

	act     rowActions
	model   *rowModel
	view    rowsView         // what is shown, replaced wholesale by apply
	shown   int              // rows in the view at the last apply (the model may have grown since)
	visible map[int]*taskRow // index → row, maintained in UpdateItem
	rows    int              // row widgets ever created (the list's pool is bounded)
	// fetch reads one task's snapshot from the Backend, for a row scrolled
	// into view; fresh are the snapshots of the apply in progress (nil
	// otherwise), checked first.
	fetch func(transfer.TaskID) (transfer.TaskSnapshot, bool)
	fresh []transfer.TaskSnapshot

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

func newTaskList(act rowActions, m *rowModel, fetch func(transfer.TaskID) (transfer.TaskSnapshot, bool)) *taskList {
	l := &taskList{act: act, model: m, fetch: fetch, view: rowsView{all: true}, visible: map[int]*taskRow{},
		stats: func(transfer.TaskSnapshot) liveStats { return liveStats{} }}
	l.Length = l.count
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

// count is the number of rows shown.
func (l *taskList) count() int {
	if l.view.all {
		return l.model.len()
	}
	return len(l.view.idx)
}

// rowAt is the model row shown at i (0 <= i < count).
func (l *taskList) rowAt(i int) *row {
	if l.view.all {
		return l.model.at(i)
	}
	return l.model.at(int(l.view.idx[i]))
}

// idAt is the task shown at i, 0 when out of range.
func (l *taskList) idAt(i int) transfer.TaskID {
	if i < 0 || i >= l.count() {
		return 0
	}
	return l.rowAt(i).id
}

// snapshot is the full snapshot of task id: from the apply in progress or
// the Backend.
func (l *taskList) snapshot(id transfer.TaskID) (transfer.TaskSnapshot, bool) {
	if t, ok := freshOf(l.fresh, id); ok {
		return t, true
	}
	if l.fetch == nil {
		return transfer.TaskSnapshot{}, false
	}
	return l.fetch(id)
}

// freshOf finds id in snapshots sorted by ID.
func freshOf(fresh []transfer.TaskSnapshot, id transfer.TaskID) (transfer.TaskSnapshot, bool) {
	k, ok := slices.BinarySearchFunc(fresh, id, func(t transfer.TaskSnapshot, id transfer.TaskID) int { return cmpID(t.ID, id) })
	if !ok {
		return transfer.TaskSnapshot{}, false
	}
	return fresh[k], true
}

func (l *taskList) updateItem(id widget.ListItemID, o fyne.CanvasObject) {
	r := o.(*taskRow)
	// A row that stayed on screen was kept up to date by apply; one coming
	// into view reads its task afresh.
	current := r.bound && r.index >= 0 && l.visible[r.index] == r
	if current {
		delete(l.visible, r.index)
	}
	var t transfer.TaskSnapshot
	ok := false
	if tid := l.idAt(id); tid != 0 {
		if t, ok = freshOf(l.fresh, tid); !ok {
			if current && r.task.ID == tid {
				t, ok = r.task, true
			} else {
				t, ok = l.snapshot(tid)
			}
		}
	}
	if !ok {
		r.clear()
		return
	}
	r.set(id, t, l.stats(t))
	r.setMarked(l.showMark(t.ID))
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
	if id < 0 || id >= l.count() {
		return
	}
	tid := l.idAt(id)
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
			l.marked[l.idAt(i)] = true
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
	if id == 0 {
		return -1
	}
	if l.view.all {
		return l.model.find(id)
	}
	for i, k := range l.view.idx {
		if l.model.at(int(k)).id == id {
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

// markedIDs are the selected tasks, in list order.
func (l *taskList) markedIDs() []transfer.TaskID {
	var out []transfer.TaskID
	if len(l.marked) == 0 {
		return nil
	}
	for i, n := 0, l.count(); i < n; i++ {
		if id := l.rowAt(i).id; l.marked[id] {
			out = append(out, id)
		}
	}
	return out
}

// markedTasks are the latest snapshots of the selected tasks, in list order.
func (l *taskList) markedTasks() []transfer.TaskSnapshot {
	var out []transfer.TaskSnapshot
	for _, id := range l.markedIDs() {
		if t, ok := l.snapshot(id); ok {
			out = append(out, t)
		}
	}
	return out
}

// apply installs a new view and updates only the visible rows whose task
// changed; fresh are the snapshots that changed since the last apply, in
// add order.
func (l *taskList) apply(view rowsView, fresh []transfer.TaskSnapshot) {
	l.fresh = fresh
	defer func() { l.fresh = nil }()
	oldLen := l.shown
	l.view = view
	n := l.count()
	l.shown = n
	if oldLen != n {
		// The scroll extent changed: let the list re-lay out; it calls
		// UpdateItem for the rows it shows, which resets them.
		for i, r := range l.visible {
			if i >= n {
				delete(l.visible, i)
				r.clear()
			}
		}
		l.Refresh()
		l.reselect()
		return
	}
	l.prune()
	for i, r := range l.visible {
		id := l.idAt(i)
		var t transfer.TaskSnapshot
		ok := false
		if t, ok = freshOf(fresh, id); !ok {
			if r.bound && r.task.ID == id {
				t, ok = r.task, true
			} else {
				t, ok = l.snapshot(id)
			}
		}
		if !ok {
			continue
		}
		st := l.stats(t)
		// Sent moves between version bumps (the engine counts bytes as they go).
		if r.task.ID != t.ID || r.task.Version != t.Version || r.task.Sent != t.Sent || !r.bound || r.stats != st || r.index != i {
			r.set(i, t, st)
			r.setMarked(l.showMark(t.ID))
		}
	}
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
		for _, id := range l.markedIDs() {
			present[id] = true
		}
		l.marked = present
	}
	if l.selected == 0 {
		return
	}
	l.selecting = true
	defer func() { l.selecting = false }()
	if i := l.indexOf(l.selected); i >= 0 {
		l.Select(i)
		return
	}
	l.selected = 0
	l.UnselectAll()
}

// TypedKey adds Delete, Enter, Home, End, PageUp and PageDown to the list's
// own keyboard handling; Up and Down move the selection, not just the focus
// ring, so the row Enter and Delete act on is always the highlighted one.
func (l *taskList) TypedKey(ev *fyne.KeyEvent) {
	n := l.count()
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
	n := l.count()
	for i := 0; i < n; i++ {
		l.marked[l.rowAt(i).id] = true
	}
	if n > 0 && l.selected == 0 {
		l.anchor = l.idAt(0)
	}
	l.refreshMarks()
}

// moveTo selects row i alone and scrolls it into view.
func (l *taskList) moveTo(i int) {
	if i < 0 || i >= l.count() {
		return
	}
	tid := l.idAt(i)
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
	if l.indexOf(l.selected) >= 0 {
		return l.snapshot(l.selected)
	}
	return transfer.TaskSnapshot{}, false
}
