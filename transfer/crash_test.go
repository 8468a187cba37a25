package transfer

import (
	"os"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestFinishedUploadSurvivesCrashBeforeFlush looks at the state directory the way a
// launch after kill -9 would, right after a multipart upload finished and before the
// ticker flushed the durable queue: the finished file must not be offered again.
func TestFinishedUploadSurvivesCrashBeforeFlush(t *testing.T) {
	old := queueFlushInterval
	queueFlushInterval = time.Hour // nothing reaches the journal unless written synchronously
	t.Cleanup(func() { queueFlushInterval = old })

	s := newServer(t, ossemu.Options{})
	// Hold Complete so the checkpoint can be copied while it still names the upload.
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpCompleteMultipartUpload), Times: 1, Delay: 300 * time.Millisecond})
	state := t.TempDir()
	m := newManager(t, s, state, nil)
	data := randBytes(5*MinPartSize+7, 31)
	id, err := m.AddFile(writeFile(t, t.TempDir(), "big.bin", data), "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.queue.flush(); err != nil { // the "add" is on disk, as after any tick
		t.Fatal(err)
	}
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Completing })
	cps := cpFiles(t, state)
	if len(cps) != 1 {
		t.Fatalf("%d checkpoints while completing", len(cps))
	}
	journal, err := os.ReadFile(cps[0])
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s, "big.bin", data)

	// Killed here: the queue must already say the upload is finished.
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("a finished upload is offered again after a crash: %+v", us)
	}
	// Killed between the queue write and the checkpoint removal: the leftover
	// checkpoint names an upload that completed, so it is not offered either.
	if err := os.WriteFile(cps[0], journal, 0o600); err != nil {
		t.Fatal(err)
	}
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("a stale checkpoint of a completed upload is offered again: %+v", us)
	}
}
