package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// interruptedAt is interrupted with a destination id: the upload's records name
// "p1", not the server's port.
func interruptedAt(t *testing.T, s *ossemu.Server, afterParts int64) (file string, data []byte, state string) {
	t.Helper()
	state = t.TempDir()
	data = randBytes(testParts*MinPartSize+77, uint64(afterParts)+100)
	file = writeFile(t, t.TempDir(), "f.bin", data)
	o := DefaultOptions()
	o.PartSize, o.TaskNum, o.LimitRate = MinPartSize, 2, 2<<20
	tg := targetOf(s)
	tg.Dest, tg.Profile = "p1", "work"
	m, err := NewManager(Config{Target: tg, Options: o, StateDir: state, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	id, err := m.AddFile(file, "f.bin")
	if err != nil {
		t.Fatal(err)
	}
	waitState(t, m, id, func(ts TaskSnapshot) bool { return ts.Done >= afterParts*MinPartSize })
	m.Close()
	return file, data, state
}

// resolverManager is a Manager whose current target is other and whose
// recorded uploads resolve through r.
func resolverManager(t *testing.T, other Target, state string, r Resolver) *Manager {
	t.Helper()
	o := DefaultOptions()
	o.PartSize, o.TaskNum = MinPartSize, 2
	m, err := NewManager(Config{Target: other, Options: o, StateDir: state, Retry: fastRetry, Resolve: r})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// An upload recorded for a destination whose endpoint changed (the Local bucket's
// port is new each launch) resumes at the new endpoint, from where it stopped.
func TestResumeAtMovedEndpoint(t *testing.T) {
	dir := t.TempDir()
	s1 := newServer(t, ossemu.Options{Dir: dir})
	file, data, state := interruptedAt(t, s1, 6)
	us, err := ListUnfinished(state)
	if err != nil || len(us) != 1 || us[0].Dest != "p1" || us[0].Done == 0 {
		t.Fatalf("unfinished %+v %v", us, err)
	}
	s1.Close()
	s2 := newServer(t, ossemu.Options{Dir: dir, AccessKeyID: s1.AccessKeyID, AccessKeySecret: s1.AccessKeySecret})
	if s2.URL == s1.URL {
		t.Skip("the server came back on the same port")
	}
	var asked []Destination
	m := resolverManager(t, Target{}, state, func(_ context.Context, d Destination) (Target, error) {
		asked = append(asked, d)
		tg := targetOf(s2)
		tg.Dest, tg.Profile = "p1", "work"
		return tg, nil
	})
	before := s2.BytesReceived(ossemu.OpUploadPart)
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	ts := m.Snapshot(nil)
	if len(ts) != 1 || ts[0].State != Done {
		t.Fatalf("%+v", ts)
	}
	mustObject(t, s2, "f.bin", data)
	if resent := s2.BytesReceived(ossemu.OpUploadPart) - before; resent > int64(len(data))-us[0].Done {
		t.Fatalf("resent %d bytes, only %d were missing: it started again", resent, int64(len(data))-us[0].Done)
	}
	if len(asked) != 1 || asked[0].ID != "p1" || asked[0].Bucket != s1.Bucket() {
		t.Fatalf("resolver asked %+v", asked)
	}
	_ = file
}

// A resolver that blocks (a keyring prompt nobody answers) must not block the
// Manager: ResumeUnfinished returns at once and Snapshot keeps answering.
func TestBlockingResolverDoesNotHoldTheLock(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, data, state := interruptedAt(t, s, 3)
	us, _ := ListUnfinished(state)
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	m := resolverManager(t, Target{}, state, func(ctx context.Context, d Destination) (Target, error) {
		entered <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
			return Target{}, ctx.Err()
		}
		tg := targetOf(s)
		tg.Dest = "p1"
		return tg, nil
	})
	resumed := make(chan struct{})
	go func() { m.ResumeUnfinished(us); close(resumed) }()
	select {
	case <-resumed:
	case <-time.After(10 * time.Second):
		t.Fatal("ResumeUnfinished waits for the resolver")
	}
	<-entered
	snap := make(chan []TaskSnapshot)
	go func() { snap <- m.Snapshot(nil) }()
	select {
	case ts := <-snap:
		if len(ts) != 1 || ts[0].Bucket != s.Bucket() || ts[0].Done != us[0].Done {
			t.Fatalf("while resolving: %+v", ts)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Snapshot blocked while the resolver blocks")
	}
	_ = m.Totals()
	close(release)
	waitIdle(t, m)
	mustObject(t, s, "f.bin", data)
}

type waitingErr struct{ profile string }

func (e waitingErr) Error() string {
	return fmt.Sprintf("waiting for the secret of profile %q", e.profile)
}
func (e waitingErr) Unwrap() error { return ErrWaitingForCredentials }

// Missing credentials make a resumed upload wait with its bucket and progress
// intact; ResumeWaiting sends it on once they are there.
func TestWaitingForCredentials(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, data, state := interruptedAt(t, s, 4)
	us, _ := ListUnfinished(state)
	var have bool
	m := resolverManager(t, Target{}, state, func(_ context.Context, d Destination) (Target, error) {
		if !have {
			return Target{}, waitingErr{"work"}
		}
		tg := targetOf(s)
		tg.Dest = d.ID
		return tg, nil
	})
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	ts := m.Snapshot(nil)[0]
	if ts.State != Paused || ts.Err == nil || !errors.Is(ts.Err, ErrWaitingForCredentials) ||
		ts.Err.Message != `waiting for the secret of profile "work"` || ts.Bucket != s.Bucket() || ts.Done != us[0].Done || ts.Key != "f.bin" {
		t.Fatalf("waiting task: %+v (err %v)", ts, ts.Err)
	}
	have = true
	m.ResumeWaiting("other")
	if got := m.Snapshot(nil)[0].State; got != Paused {
		t.Fatalf("resumed for another destination: %v", got)
	}
	m.ResumeWaiting("p1")
	waitIdle(t, m)
	if ts := m.Snapshot(nil)[0]; ts.State != Done {
		t.Fatalf("after the secret: %+v", ts)
	}
	mustObject(t, s, "f.bin", data)
}

// An upload recorded for a removed destination fails naming it and is never sent
// with the current target's credentials, even when they would work; forgetting it
// removes its records.
func TestRemovedDestinationIsNeverSentElsewhere(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, _, state := interruptedAt(t, s, 3)
	us, _ := ListUnfinished(state)
	current := targetOf(s) // same server, working credentials: the tempting mistake
	current.Dest, current.Profile = "p2", "home"
	m := resolverManager(t, current, state, func(_ context.Context, d Destination) (Target, error) {
		return Target{}, fmt.Errorf("profile %q was removed: %w", d.Profile, ErrDestinationRemoved)
	})
	before := s.BytesReceived(ossemu.OpUploadPart)
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	ts := m.Snapshot(nil)[0]
	if ts.State != Failed || !errors.Is(ts.Err, ErrDestinationRemoved) || ts.Err.Message != `profile "work" was removed: destination removed` {
		t.Fatalf("%+v %v", ts, ts.Err)
	}
	if got := s.BytesReceived(ossemu.OpUploadPart) - before; got != 0 {
		t.Fatalf("%d bytes sent for a removed profile", got)
	}
	if err := m.Remove(ts.ID); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	m.Close()
	if us, _ := ListUnfinished(state); len(us) != 0 {
		t.Fatalf("forgotten upload still recorded: %+v", us)
	}
	if n := len(cpFiles(t, state)); n != 0 {
		t.Fatalf("%d checkpoints left", n)
	}
	_ = os.Remove
}

// Without a resolver, a record of another destination is not resumed with the
// current target's credentials either.
func TestNoResolverOnlyResumesTheCurrentTarget(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	_, _, state := interruptedAt(t, s, 3)
	us, _ := ListUnfinished(state)
	current := targetOf(s)
	current.Dest = "p2"
	m := resolverManager(t, current, state, nil)
	m.ResumeUnfinished(us)
	waitIdle(t, m)
	if ts := m.Snapshot(nil)[0]; ts.State != Failed || !errors.Is(ts.Err, ErrNoResolver) {
		t.Fatalf("%+v", ts)
	}
}
