package transfer

import (
	"context"
	"fmt"
	"sync"
)

// AskFunc decides what to do with one object that already exists, under
// the Ask policy: Overwrite, Skip, SkipIdentical or Rename. It is called on
// the task's worker goroutine with no Manager lock held, may block until a
// person answers, and must return when ctx ends (the task was paused,
// canceled or the Manager closed). t is the task as it stands.
type AskFunc func(ctx context.Context, t TaskSnapshot) (OnExists, error)

// asker holds the Manager's AskFunc; its own lock, so setting it never waits
// for the Manager's.
type asker struct {
	mu sync.Mutex
	f  AskFunc
}

func (a *asker) get() AskFunc {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.f
}

// SetOnExistsAsk installs (or, with nil, removes) the function that answers
// the Ask policy; a window installs itself once it exists.
func (m *Manager) SetOnExistsAsk(f AskFunc) {
	a := &m.ask
	a.mu.Lock()
	a.f = f
	a.mu.Unlock()
}

// askOnExists implements Ask: no object, upload (refusing to overwrite one
// that appears meanwhile); an object, ask, then apply the answer as if it
// had been the policy all along (it is recorded in the checkpoint too).
func (j *job) askOnExists(ctx context.Context) (bool, error) {
	h, err := j.head(ctx, j.key)
	if err != nil {
		return false, err
	}
	if h == nil {
		j.forbid = true
		return false, nil
	}
	f := j.m.ask.get()
	if f == nil {
		return false, localErr("exists", fmt.Sprintf("%s/%s already exists and there is no one to ask; choose overwrite, skip, skip-identical or rename", j.tgt.bucket, j.key), nil)
	}
	j.m.mu.Lock()
	snap := j.m.snapshotLocked(j.t)
	j.m.mu.Unlock()
	choice, err := f(ctx, snap)
	if err != nil {
		if ctx.Err() != nil {
			return false, &stepErr{kind: kindCanceled, te: &TaskError{Op: "exists", Message: "stopped", Err: ctx.Err()}}
		}
		return false, localErr("exists", fmt.Sprintf("%s/%s already exists: %v", j.tgt.bucket, j.key, err), err)
	}
	if choice == Ask || choice < 0 || int(choice) >= len(onExistsNames) {
		return false, localErr("exists", fmt.Sprintf("%s/%s already exists and the answer %v is not a choice", j.tgt.bucket, j.key, choice), nil)
	}
	j.opts.OnExists = choice
	if choice == Overwrite {
		return false, nil
	}
	return j.applyOnExists(ctx)
}
