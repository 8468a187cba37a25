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

// taskBlockLen tasks make a block: 128 of 96 bytes fill the 12,288-byte size
// class exactly.
const taskBlockLen = 128

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
