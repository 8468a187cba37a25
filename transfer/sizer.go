package transfer

import "time"

// Rows first, sizes after. Unless Config.SizeWhileWalking is set, a folder
// walk queues a regular file from its directory entry alone: a stat per file
// is most of the time a walk takes, and a window wants every row of a large
// drop at once. The sizes are read once the walk has listed its folders
// (sizeQueued), a batch at a time, and each row shows its size as it comes.
//
// Until then the task's size is unsized: rows show none, Totals count the
// file in Sizing rather than in Bytes, and the scheduler does not count it
// among the small files. Nothing else waits for it: an upload reads the size
// of the file it opens in any case (job.attempt). The durable queue keeps the
// record it wrote, unsized, and a resumed queue reads the sizes again
// (ResumeUnfinished).

// unsized is the size of a task whose file size is not read yet.
const unsized = -1

// sizeBatch is how many files sizeQueued stats between two holds of the
// Manager's lock, and sizeScan how many tasks it looks at under one.
const (
	sizeBatch = 1024
	sizeScan  = 64 << 10
)

// sizeItem is a file whose size is being read.
type sizeItem struct {
	t    *task
	dir  *taskDir
	name string
	size int64 // unsized when it could not be read as a regular file's
}

// sizeQueued reads the sizes of the unsized tasks from ID from on, in the
// order they were added. The lock is held to pick a batch and to store what
// was read, never across a stat. A file that cannot be read keeps no size:
// its upload reports why when it starts.
func (m *Manager) sizeQueued(from TaskID) {
	var items []sizeItem
	var sized, unread int
	defer func() {
		if sized+unread > 0 {
			m.log.Info("sizes read", "files", sized, "unreadable", unread)
		}
	}()
	waitViews := true
	for m.ctx.Err() == nil {
		if waitViews {
			waitViews = m.waitForViews()
		}
		m.mu.Lock()
		i, _ := m.indexLocked(from)
		end := min(len(m.tasks), i+sizeScan)
		for ; i < end && len(items) < sizeBatch; i++ {
			if t := m.tasks[i]; t.size == unsized && t.rt == nil && !t.gone && !t.state.Finished() && t.dir != nil {
				items = append(items, sizeItem{t: t, dir: t.dir, name: t.name, size: unsized})
			}
		}
		last := i >= len(m.tasks)
		if !last {
			from = m.tasks[i].id
		}
		m.mu.Unlock()
		if len(items) > 0 {
			statSizes(items)
			m.mu.Lock()
			for k := range items {
				it := &items[k]
				if it.size == unsized {
					unread++
				} else if it.t.size == unsized { // else it started and has its size from the file it opened
					it.t.size = it.size
					m.touchLocked(it.t)
					sized++
				}
			}
			// Files now known to be small may start beside the ones running.
			m.scheduleLocked()
			m.mu.Unlock()
			m.notify()
			clear(items)
			items = items[:0]
		}
		if last {
			return
		}
	}
}

// sizeLater runs sizeQueued(from) on a goroutine of the Manager's, which
// Close waits for; a closed Manager sizes nothing.
func (m *Manager) sizeLater(from TaskID) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.sizeQueued(from)
	}()
}

// viewWait bounds how long the sizer waits for a front end that reads its
// changes in pieces (see waitForViews): one that stopped reading delays the
// sizes once, by this much.
const viewWait = time.Second

// viewReadLocked notes whether the last Changes call was cut at its limit
// (more) or caught up. Caller holds m.mu.
func (m *Manager) viewReadLocked(more bool) {
	switch {
	case more && m.viewCaughtUp == nil:
		m.viewCaughtUp = make(chan struct{})
	case !more && m.viewCaughtUp != nil:
		close(m.viewCaughtUp)
		m.viewCaughtUp = nil
	}
}

// waitForViews waits, for at most viewWait, while a front end is still
// reading the rows of a large drop in pieces: every size read makes a row
// changed, and a change to an early row is reported before the rows after it,
// so sizes read meanwhile would hold back the last rows. It returns false
// when it waited in vain: the caller stops waiting then.
func (m *Manager) waitForViews() bool {
	m.mu.Lock()
	ch := m.viewCaughtUp
	m.mu.Unlock()
	if ch == nil {
		return true
	}
	t := time.NewTimer(viewWait)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-m.ctx.Done():
		return false
	}
}
