package transfer

import (
	"testing"
	"unsafe"
)

// An empty flush between two others must not leave the buffer adds write to
// sharing memory with the spare the next flush writes out (a data race that
// could tear journal lines).
func TestQueueBuffersNeverShareAfterEmptyFlush(t *testing.T) {
	q, err := openQueue(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer q.close()
	q.add(queueRec{Op: opAdd, ID: "a", Path: "/a"})
	if err := q.flush(); err != nil {
		t.Fatal(err)
	}
	if err := q.flush(); err != nil { // nothing buffered
		t.Fatal(err)
	}
	q.add(queueRec{Op: opAdd, ID: "b", Path: "/b"})
	if cap(q.spare) > 0 && unsafe.SliceData(q.enc.buf) == unsafe.SliceData(q.spare) {
		t.Fatal("the buffer being filled is also the spare the next flush writes while adds continue")
	}
}
