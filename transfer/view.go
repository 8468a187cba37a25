package transfer

// Front ends with many tasks follow the Manager through a Cursor instead of
// copying every task on every refresh: Changes reports only the tasks added
// or changed since the previous call and the IDs of those removed, so a
// window over 500,000 queued files copies a handful of snapshots per tick.

// Cursor remembers which version of every task its owner has seen. The zero
// value has seen nothing. It costs 12 bytes per task; one goroutine at a time
// may use it.
type Cursor struct {
	ids  []TaskID // in add order (increasing)
	vers []uint32 // low bits of each task's Version when last reported
}

// Changes is what a Changes call found since the cursor's previous call.
type Changes struct {
	// Reset says the cursor could not be followed (it was used with another
	// source): Tasks then starts over from the first task, and the caller
	// should forget every task it knew.
	Reset bool
	// Tasks are the tasks added or changed, in add order. Tasks that hold a
	// worker or are in an active state are always included: their Sent,
	// speed, ETA and retry countdown move without a version bump.
	Tasks []TaskSnapshot
	// Removed are the tasks gone since the previous call, in add order.
	Removed []TaskID
	// More says Tasks was cut at the limit; call again for the rest (they
	// are reported as changed on the next call).
	More bool
}

// taskMark is what a cursor compares: a task's identity and version, and
// whether it must be reported regardless (it is moving).
type taskMark struct {
	id     TaskID
	ver    uint32
	moving bool
}

// Changes fills c (reusing its slices) with what changed since cur last
// looked and advances cur. limit > 0 caps len(c.Tasks), so a front end
// catching up with a large drop takes the new tasks in bounded pieces.
// Removed is never capped. The lock is held for one pass over the task
// list, reading a few words per task; snapshots are made only for tasks
// reported.
func (m *Manager) Changes(cur *Cursor, c *Changes, limit int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur.advance(len(m.tasks), func(i int) taskMark {
		t := m.tasks[i]
		return taskMark{id: t.id, ver: uint32(t.version), moving: t.rt != nil || t.state.Active()}
	}, func(i int) TaskSnapshot { return m.snapshotLocked(m.tasks[i]) }, c, limit)
	m.viewReadLocked(c.More)
}

// Diff fills c with what changed in all (every task of some source, in add
// order with increasing IDs, as Manager.Snapshot returns them) since cur last
// looked, exactly as Manager.Changes would. It serves sources that can only
// list all tasks, such as test doubles.
func (cur *Cursor) Diff(all []TaskSnapshot, c *Changes, limit int) {
	cur.advance(len(all), func(i int) taskMark {
		t := &all[i]
		return taskMark{id: t.ID, ver: uint32(t.Version), moving: t.State.Active()}
	}, func(i int) TaskSnapshot { return all[i] }, c, limit)
}

// advance merges the n tasks of a source (mark and snap read task i) with
// the cursor's list; both are ordered by increasing ID, which is how tasks
// are added. It rewrites the cursor in place: removals only shrink it and
// new tasks come after every older one; a source out of that order resets
// the cursor.
func (cur *Cursor) advance(n int, mark func(int) taskMark, snap func(int) TaskSnapshot, c *Changes, limit int) {
	c.Reset, c.More = false, false
	c.Tasks, c.Removed = c.Tasks[:0], c.Removed[:0]
	if fresh := n - len(cur.ids); fresh > cap(c.Tasks) {
		// At least this many tasks are new: make room once rather than
		// doubling a large buffer of snapshots as they come.
		if limit > 0 {
			fresh = min(fresh, limit)
		}
		c.Tasks = make([]TaskSnapshot, 0, fresh+16)
	}
	oldIDs, oldVers := cur.ids, cur.vers
	j, k := 0, 0 // read and write positions in the old list
	var prev TaskID
	full := func() bool { return limit > 0 && len(c.Tasks) >= limit }
	for i := 0; i < n; i++ {
		t := mark(i)
		if i > 0 && t.id <= prev {
			// Not in add order: start over and report everything.
			cur.ids, cur.vers = cur.ids[:0], cur.vers[:0]
			c.Tasks, c.Removed = c.Tasks[:0], c.Removed[:0]
			c.Reset = true
			cur.fresh(n, mark, snap, c, limit)
			return
		}
		prev = t.id
		for j < len(oldIDs) && oldIDs[j] < t.id {
			c.Removed = append(c.Removed, oldIDs[j])
			j++
		}
		if j < len(oldIDs) && oldIDs[j] == t.id {
			ver := oldVers[j]
			if ver != t.ver || t.moving {
				if !full() {
					c.Tasks = append(c.Tasks, snap(i))
					ver = t.ver
				} else {
					c.More = true
				}
			}
			cur.put(k, t.id, ver)
			j++
			k++
			continue
		}
		// A task the cursor has not seen.
		if full() {
			c.More = true
			if j == len(oldIDs) && k == j {
				// Every task from here on is new (a large drop being
				// listed): the next call takes them, no need to look.
				break
			}
			continue
		}
		if j < len(oldIDs) {
			// Added before tasks already seen: the in-place rewrite would
			// overtake its reads, so read from a copy from here on.
			oldIDs = append([]TaskID(nil), oldIDs...)
			oldVers = append([]uint32(nil), oldVers...)
		}
		c.Tasks = append(c.Tasks, snap(i))
		cur.put(k, t.id, t.ver)
		k++
	}
	c.Removed = append(c.Removed, oldIDs[j:]...)
	cur.ids, cur.vers = cur.ids[:k], cur.vers[:k]
	cur.shrink()
}

// put writes entry k of the cursor, growing it by one when k is its end.
func (cur *Cursor) put(k int, id TaskID, ver uint32) {
	if k < len(cur.ids) {
		cur.ids[k], cur.vers[k] = id, ver
		return
	}
	cur.ids = append(cur.ids[:k], id)
	cur.vers = append(cur.vers[:k], ver)
}

// fresh reports tasks from the first one, as for a new cursor.
func (cur *Cursor) fresh(n int, mark func(int) taskMark, snap func(int) TaskSnapshot, c *Changes, limit int) {
	for i := 0; i < n; i++ {
		if limit > 0 && len(c.Tasks) >= limit {
			c.More = true
			return
		}
		t := mark(i)
		c.Tasks = append(c.Tasks, snap(i))
		cur.ids = append(cur.ids, t.id)
		cur.vers = append(cur.vers, t.ver)
	}
}

// shrink gives memory back after most tasks were removed (a cleared list).
func (cur *Cursor) shrink() {
	if cap(cur.ids) > 1024 && len(cur.ids) < cap(cur.ids)/4 {
		cur.ids = append([]TaskID(nil), cur.ids...)
		cur.vers = append([]uint32(nil), cur.vers...)
	}
}
