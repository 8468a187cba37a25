package transfer

// forgetLocked drops a finished task from memory under Config.ForgetFinished,
// after finishedLocked has taken its snapshot. Its counts move to m.gone so
// Totals stay whole. Caller holds m.mu.
func (m *Manager) forgetLocked(t *task) {
	if !m.cfg.ForgetFinished || t.pinned || t.gone || !t.state.Finished() {
		return
	}
	t.gone = true
	m.gone.Files++
	m.gone.count(t)
	m.byQID.del(t)
	if t.tgt != nil || t.rec() != nil {
		m.byKey.delIf(t.keyRef(), t)
	}
	m.unplaceLocked(t)
	m.goneN++
	if m.goneN >= 1024 && m.goneN*2 >= len(m.tasks) {
		m.compactTasksLocked()
	}
}

// compactTasksLocked removes forgotten tasks from m.tasks, keeping add order;
// amortized over the tasks forgotten since the last pass.
func (m *Manager) compactTasksLocked() {
	kept := m.tasks[:0]
	for _, t := range m.tasks {
		if !t.gone {
			kept = append(kept, t)
		}
	}
	clear(m.tasks[len(kept):])
	m.tasks = kept
	if cap(m.tasks) > 4096 && len(m.tasks)*4 < cap(m.tasks) {
		m.tasks = append([]*task(nil), m.tasks...) // let a burst's array go
	}
	m.goneN = 0
}

// waitRoomLocked holds a walk while Config.WalkAhead files already wait queued.
// Caller holds m.mu; it is released while waiting.
func (m *Manager) waitRoomLocked() {
	for n := m.cfg.WalkAhead; n > 0 && m.queued >= n && !m.closed && m.ctx.Err() == nil; {
		m.roomWait++
		m.room.Wait()
		m.roomWait--
	}
}

// roomLocked wakes walks held by waitRoomLocked once the queue has drained by a
// quarter of WalkAhead (a batch's worth), not on every start: a walk then wakes
// once per batch instead of once per file.
func (m *Manager) roomLocked() {
	if n := m.cfg.WalkAhead; m.roomWait > 0 && m.queued <= n-max(n/4, 1) {
		m.room.Broadcast()
	}
}

// pinRootsLocked reports, per path handed to Add, whether its files must stay
// in memory under Config.ForgetFinished: when two items share a root key (the
// same name under one prefix), their files contest the same keys and the
// checks between them need both in memory.
func (m *Manager) pinRootsLocked(d Destination, roots []string) []bool {
	pins := make([]bool, len(roots))
	if !m.cfg.ForgetFinished {
		return pins
	}
	if m.roots == nil {
		m.roots = map[keyRef]bool{}
	}
	first := map[keyRef]int{}
	for i, r := range roots {
		ref := refOf(d, r)
		if j, ok := first[ref]; ok {
			pins[i], pins[j] = true, true
		} else {
			first[ref] = i
		}
		if m.roots[ref] {
			pins[i] = true
		}
		m.roots[ref] = true
	}
	return pins
}
