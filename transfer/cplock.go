package transfer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ossdrop/ossdrop/transfer/checkpoint"
)

// ErrInUse is wrapped in the TaskError of a task whose upload (same file, same
// destination) another ossdrop process is running: the window and the command line
// share the state directory, and two owners would corrupt one checkpoint journal.
var ErrInUse = errors.New("being uploaded by another ossdrop process")

// lockExt names the sibling of a checkpoint that a task holds locked (flock on unix,
// LockFileEx on Windows) for as long as it owns the upload. The checkpoint itself is
// replaced by rename when an upload starts over, so it cannot carry the lock.
const lockExt = ".lock"

func lockPathFor(cpDir, qid string) string { return filepath.Join(cpDir, qid+lockExt) }

// lockPathOfCheckpoint is the lock guarding checkpoint file cp.
func lockPathOfCheckpoint(cp string) string {
	return strings.TrimSuffix(cp, checkpoint.Ext) + lockExt
}

// cpLock is a held checkpoint lock.
type cpLock struct {
	f    *os.File
	path string
}

// acquireCPLock takes the lock at path without waiting; ErrInUse when someone else
// holds it.
func acquireCPLock(path string) (*cpLock, error) {
	for range 16 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, fmt.Errorf("checkpoint lock %s: %w", path, err)
		}
		ok, err := tryLock(f)
		if err != nil || !ok {
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("checkpoint lock %s: %w", path, err)
			}
			return nil, ErrInUse
		}
		// The previous owner deletes the file as it lets go; a lock on a file that is
		// no longer at path guards nothing, so open the current one again.
		fi, ferr := f.Stat()
		pi, perr := os.Stat(path)
		if ferr == nil && perr == nil && os.SameFile(fi, pi) {
			return &cpLock{f: f, path: path}, nil
		}
		unlock(f)
		f.Close()
		if ferr != nil {
			return nil, fmt.Errorf("checkpoint lock %s: %w", path, ferr)
		}
	}
	return nil, fmt.Errorf("checkpoint lock %s: the file keeps being replaced", path)
}

// acquireCPLockWait retries briefly: ListUnfinished probes a lock by taking it for an
// instant, which must not make a starting task believe another process owns it.
func acquireCPLockWait(ctx context.Context, path string) (*cpLock, error) {
	deadline := time.Now().Add(300 * time.Millisecond)
	for {
		l, err := acquireCPLock(path)
		if !errors.Is(err, ErrInUse) || time.Now().After(deadline) {
			return l, err
		}
		if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// release unlocks and removes the lock file; nil-safe.
func (l *cpLock) release() {
	if l == nil || l.f == nil {
		return
	}
	releaseLockFile(l.f, l.path)
	l.f = nil
}

// lockHeld reports whether a live owner holds the lock at path.
func lockHeld(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := tryLock(f)
	if err != nil || !ok {
		return err == nil
	}
	unlock(f)
	return false
}
