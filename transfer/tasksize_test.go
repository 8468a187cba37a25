package transfer

import (
	"testing"
	"unsafe"
)

// TestTaskSize keeps a task within the 96-byte size class: half a million
// queued files each hold one, and the next class up costs 16 bytes per file
// (and a block of taskBlockLen tasks would no longer fill its size class).
func TestTaskSize(t *testing.T) {
	if s := unsafe.Sizeof(task{}); s > 96 {
		t.Errorf("a task is %d bytes, over the 96-byte size class", s)
	} else {
		t.Logf("a task is %d bytes", s)
	}
}
