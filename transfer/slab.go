package transfer

import "unsafe"

// A Manager that keeps every task (the window's) holds half a million of them
// at once. Allocated one by one, each task and each file name is an object of
// its own, interleaved in the heap with the walk's garbage, whose freed slots
// keep whole spans in use. So such a Manager hands out tasks from blocks of
// taskBlockLen, and each folder keeps its files' names packed in blocks it
// fills in turn (taskDir.intern). A block lives while any task or name in it
// does; a Manager that forgets finished tasks (the command line's) allocates
// each alone, so the few it keeps do not hold their dead neighbours.

// taskBlockLen tasks make a block: 256 of 96 bytes fill the 24,576-byte size
// class exactly, whose spans hold one object each, so no other object (the
// walk's garbage) keeps part of a block's span in use once freed.
const taskBlockLen = 256

// taskSlab hands out tasks from blocks. Guarded by Manager.mu.
type taskSlab struct {
	free []task // what is left of the current block
}

// new returns a zero task from the current block, starting one when it is used up.
func (s *taskSlab) new() *task {
	if len(s.free) == 0 {
		s.free = make([]task, taskBlockLen)
	}
	t := &s.free[0]
	s.free = s.free[1:]
	return t
}

// Name blocks grow from the first name's size up to maxNameBlock, so a folder
// of one file costs one name's worth and a big folder a block per ~300 names.
const maxNameBlock = 4096

// intern returns name as a string held in d's current name block, starting a
// block when it is full. Bytes once written to a block never change (a block
// is only appended to within its capacity and never reallocated), so the
// string may point into it. Caller holds Manager.mu.
func (d *taskDir) intern(name string) string {
	if name == "" {
		return ""
	}
	if cap(d.names)-len(d.names) < len(name) {
		size := min(max(2*cap(d.names), len(name)), maxNameBlock)
		d.names = make([]byte, 0, max(size, len(name)))
	}
	off := len(d.names)
	d.names = append(d.names, name...)
	return unsafe.String(&d.names[off], len(name))
}

// fifoBlock entries make a block of the start queue: 16 KiB, a size class
// whose spans hold one object each.
const fifoBlock = 1024

// requeued is a task queued again (resumed, retried) and when: after is the
// last task id given out then, so every task added up to it starts first.
type requeued struct {
	t     *task
	after TaskID
}

// taskFIFO is the queue of tasks queued again, in blocks: it grows a block at
// a time, with no spare capacity beyond the last block and no copy of what it
// holds, and lets go of each block once every task in it has started.
// Guarded by Manager.mu.
type taskFIFO struct {
	blocks [][]requeued // blocks[0][head:] come first
	head   int
}

func (q *taskFIFO) push(e requeued) {
	if n := len(q.blocks); n == 0 || len(q.blocks[n-1]) == fifoBlock {
		q.blocks = append(q.blocks, make([]requeued, 0, fifoBlock))
	}
	last := &q.blocks[len(q.blocks)-1]
	*last = append(*last, e)
}

// peek is the first entry; ok is false when the queue is empty.
func (q *taskFIFO) peek() (e requeued, ok bool) {
	if len(q.blocks) == 0 || q.head == len(q.blocks[0]) {
		return requeued{}, false
	}
	return q.blocks[0][q.head], true
}

// pop drops the first entry; the queue must not be empty.
func (q *taskFIFO) pop() {
	q.blocks[0][q.head] = requeued{}
	q.head++
	if q.head == fifoBlock {
		q.blocks[0] = nil
		q.blocks = q.blocks[1:]
		q.head = 0
	}
}
