package transfer

import (
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// TestUserPauseClearsErr pauses a task while its part requests are in flight: the
// canceled requests are the pause itself, not a failure, so Err must be empty.
func TestUserPauseClearsErr(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	// Parts take a while on the server, so the pause always lands mid-request.
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpUploadPart), Delay: 400 * time.Millisecond})
	m := newManager(t, s, "", func(o *Options) { o.TaskNum = 2 })
	data := randBytes(8*MinPartSize, 21)
	id, err := m.AddFile(writeFile(t, t.TempDir(), "f", data), "f")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Uploading })
	for s.Requests(ossemu.OpUploadPart) < 2 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the requests are now waiting on the server
	if err := m.Pause(id); err != nil {
		t.Fatal(err)
	}
	ts := waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.State == Paused })
	if ts.Err != nil {
		t.Fatalf("a user pause left an error on the task: %v", ts.Err)
	}
	s.ClearFaults()
	if err := m.Resume(id); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	mustDone(t, m, id)
	mustObject(t, s, "f", data)

	// Paused while retrying a server error: the retry's reason goes with the pause.
	remove := s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpUploadPart), Status: 500, Code: "InternalError"})
	m2 := newManager(t, s, "", func(o *Options) { o.TaskNum = 1 })
	id, _ = m2.AddFile(writeFile(t, t.TempDir(), "g", data), "g")
	waitState(t, m2, id, func(ts TaskSnapshot) bool { return ts.State == Retrying && ts.Err != nil })
	m2.Pause(id)
	if ts := waitState(t, m2, id, func(ts TaskSnapshot) bool { return ts.State == Paused }); ts.Err != nil {
		t.Fatalf("paused while retrying, the retry error stayed: %v", ts.Err)
	}
	remove()
	m2.Resume(id)
	waitIdle(t, m2)
	mustDone(t, m2, id)
	mustObject(t, s, "g", data)
}
