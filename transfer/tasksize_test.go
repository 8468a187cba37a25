package transfer

import (
	"testing"
	"unsafe"
)

// TestTaskSize keeps a task within the 96-byte size class: half a million
// queued files each hold one, and the next class up costs 16 bytes per file.
// A block of taskBlockLen tasks fills the 24,576-byte size class exactly.
func TestTaskSize(t *testing.T) {
	if s := unsafe.Sizeof(task{}); s > 96 {
		t.Errorf("a task is %d bytes, over the 96-byte size class", s)
	} else {
		t.Logf("a task is %d bytes", s)
	}
	if s := unsafe.Sizeof([taskBlockLen]task{}); s != 24576 {
		t.Errorf("a block of %d tasks is %d bytes, not the 24,576 of its size class", taskBlockLen, s)
	}
	if s := unsafe.Sizeof([fifoBlock]requeued{}); s != 16384 {
		t.Errorf("a start-queue block is %d bytes, not the 16,384 of its size class", s)
	}
}
