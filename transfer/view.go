package transfer

import (
	"slices"
	"sync/atomic"
)

// Front ends with many tasks follow the Manager through a Cursor instead of
// copying every task on every refresh: Changes reports only the tasks added
// or changed since the previous call and the IDs of those removed, so a
// window over 500,000 queued files copies a handful of snapshots per tick.
// Nor does it pass over every task to find them: the Manager logs which
// tasks changed (changeLog), so a call costs what it reports, and a drop of
// 500,000 files read in pieces of 10,000 does not cost 50 passes over it.

// Cursor remembers which version of every task its owner has seen. The zero
// value has seen nothing. It costs 12 bytes per task; one goroutine at a time
// may use it.
type Cursor struct {
	ids  []TaskID // in add order (increasing)
	vers []uint32 // low bits of each task's Version when last reported
	// src is the change log of the Manager this cursor follows (its serial),
	// 0 when the next call must pass over every task; seq is where in that
	// log the cursor has read every change.
	src, seq uint64
	idx      []int // positions to look at, reused by catchUpLocked
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
// Removed is never capped. The lock is held for what is reported plus the
// tasks changed since the previous call; only when the change log cannot
// tell (a task seen was removed, the cursor fell too far behind, it
// follows another source, or the previous call's limit left a changed task
// out) does it pass over the whole task list, reading a few words per
// task. Snapshots are made only for tasks reported.
func (m *Manager) Changes(cur *Cursor, c *Changes, limit int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.changesLocked(cur, c, limit)
	m.viewReadLocked(c.More)
}

// changesLocked is Changes under m.mu: through the change log when it can,
// else by a pass over every task.
func (m *Manager) changesLocked(cur *Cursor, c *Changes, limit int) {
	src := m.changes.follow()
	if cur.src == src && m.catchUpLocked(cur, c, limit) {
		return
	}
	cutOld := cur.advance(len(m.tasks), func(i int) taskMark {
		t := m.tasks[i]
		return taskMark{id: t.id, ver: uint32(t.version), moving: t.moving()}
	}, func(i int) TaskSnapshot { return m.snapshotLocked(m.tasks[i]) }, c, limit)
	cur.src, cur.seq = src, m.changes.seq()
	if cutOld {
		// Changed tasks the limit left out are only in the versions the
		// cursor kept: the next call must compare them all again.
		cur.src = 0
	}
}

// catchUpLocked is Changes for a cursor that followed m at cur.seq of its
// change log: the tasks it has seen are still m.tasks[:len(cur.ids)] unless
// one was removed (tasks are only ever appended, with increasing IDs, and
// removals keep the order), and among them only those logged since cur.seq
// or moving can have anything to report. It returns false, having changed
// nothing, when it cannot tell and Changes must pass over every task.
// Caller holds m.mu.
func (m *Manager) catchUpLocked(cur *Cursor, c *Changes, limit int) bool {
	k := len(cur.ids)
	if len(m.tasks) < k || (k > 0 && m.tasks[k-1].id != cur.ids[k-1]) {
		// The k-th task listed is another one: a task seen was removed.
		return false
	}
	logged, ok := m.changes.since(cur.seq)
	if !ok || len(logged) > k/4+64 {
		// Behind the log, or so much changed that looking each change up
		// would cost about as much as a pass.
		return false
	}
	var last TaskID
	if k > 0 {
		last = cur.ids[k-1]
	}
	idx := cur.idx[:0]
	at := func(id TaskID) {
		if id > last {
			return // new to the cursor: reported from m.tasks[k:] below
		}
		if i, ok := slices.BinarySearch(cur.ids, id); ok {
			idx = append(idx, i)
		}
	}
	for _, id := range logged {
		at(id)
	}
	// Moving tasks are reported every time, changed or not. A task in an
	// active state always has a worker (startLocked gives it both, run
	// takes both away, each under m.mu), so runSet holds every one.
	for id := range m.runSet {
		at(id)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	cur.idx = idx

	c.begin(len(idx)+len(m.tasks)-k, limit)
	full := func() bool { return limit > 0 && len(c.Tasks) >= limit }
	cutOld := false
	for _, i := range idx {
		t := m.tasks[i]
		if cur.vers[i] == uint32(t.version) && !t.moving() {
			continue
		}
		if full() {
			c.More, cutOld = true, true
			break
		}
		c.Tasks = append(c.Tasks, m.snapshotLocked(t))
		cur.vers[i] = uint32(t.version)
	}
	for _, t := range m.tasks[k:] {
		if full() {
			c.More = true
			break
		}
		c.Tasks = append(c.Tasks, m.snapshotLocked(t))
		cur.ids = append(cur.ids, t.id)
		cur.vers = append(cur.vers, uint32(t.version))
	}
	if !cutOld {
		// Otherwise the next call reads the same log entries again: those
		// reported since compare equal, the rest are reported then.
		cur.seq = m.changes.seq()
	}
	return true
}

// moving says a view must report t whatever its version: its Sent, speed,
// ETA and retry countdown move without a version bump.
func (t *task) moving() bool { return t.rt != nil || t.state.Active() }

// touchLocked records a change to t that views show. Every bump of
// t.version goes through here, so the change log misses none; caller holds
// m.mu.
func (m *Manager) touchLocked(t *task) {
	t.version++
	m.changes.add(t.id)
}

// changeLog lists the tasks whose version was bumped, in the order of the
// bumps, so a cursor finds what changed since it last looked without
// passing over every task. It is kept only once a cursor follows the
// Manager, and bounded: a cursor that falls further behind than the log
// reaches passes over every task once. Guarded by Manager.mu.
type changeLog struct {
	serial uint64   // tells Managers apart in a Cursor; 0 until one follows
	base   uint64   // sequence number of ids[0]
	ids    []TaskID // oldest first; a task appears once per bump
}

// changeLogMax bounds the log: 512 KiB, some seconds of a fast drop's
// uploads starting and finishing, or of the sizes of a large drop arriving
// (sizer.go). A view reads several times a second.
const changeLogMax = 1 << 16

var changeLogSerials atomic.Uint64

// follow starts the log if no cursor followed before and returns its serial.
func (l *changeLog) follow() uint64 {
	if l.serial == 0 {
		l.serial = changeLogSerials.Add(1)
	}
	return l.serial
}

func (l *changeLog) add(id TaskID) {
	if l.serial == 0 {
		return
	}
	if len(l.ids) == changeLogMax {
		// Drop the older half: amortized, a copy per half a log of bumps.
		n := copy(l.ids, l.ids[changeLogMax/2:])
		l.ids = l.ids[:n]
		l.base += changeLogMax / 2
	}
	l.ids = append(l.ids, id)
}

// seq is the sequence number of the next change.
func (l *changeLog) seq() uint64 { return l.base + uint64(len(l.ids)) }

// since is the tasks changed from sequence number seq on; false if the log
// no longer reaches back that far.
func (l *changeLog) since(seq uint64) ([]TaskID, bool) {
	if seq < l.base || seq > l.seq() {
		return nil, false
	}
	return l.ids[seq-l.base:], true
}

// Diff fills c with what changed in all (every task of some source, in add
// order with increasing IDs, as Manager.Snapshot returns them) since cur last
// looked, exactly as Manager.Changes would. It serves sources that can only
// list all tasks, such as test doubles.
func (cur *Cursor) Diff(all []TaskSnapshot, c *Changes, limit int) {
	cur.src = 0
	cur.advance(len(all), func(i int) taskMark {
		t := &all[i]
		return taskMark{id: t.ID, ver: uint32(t.Version), moving: t.State.Active()}
	}, func(i int) TaskSnapshot { return all[i] }, c, limit)
}

// advance merges the n tasks of a source (mark and snap read task i) with
// the cursor's list; both are ordered by increasing ID, which is how tasks
// are added. It rewrites the cursor in place: removals only shrink it and
// new tasks come after every older one; a source out of that order resets
// the cursor. It returns whether the limit left out a changed task the
// cursor had seen before.
func (cur *Cursor) advance(n int, mark func(int) taskMark, snap func(int) TaskSnapshot, c *Changes, limit int) (cutOld bool) {
	c.begin(n-len(cur.ids), limit)
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
			return false
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
					c.More, cutOld = true, true
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
	return cutOld
}

// begin empties c for a call that reports at least fresh tasks (up to limit).
func (c *Changes) begin(fresh, limit int) {
	c.Reset, c.More = false, false
	c.Tasks, c.Removed = c.Tasks[:0], c.Removed[:0]
	if limit > 0 {
		fresh = min(fresh, limit)
	}
	if fresh > cap(c.Tasks) {
		// Make room once rather than doubling a large buffer of snapshots
		// as they come; a drop read in pieces reuses the first piece's.
		c.Tasks = make([]TaskSnapshot, 0, fresh+16)
	}
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
