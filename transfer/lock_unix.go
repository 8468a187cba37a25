//go:build unix

package transfer

import (
	"errors"
	"os"
	"syscall"
)

// lockFile marks a queue journal as owned by a live process; the lock dies with it.
func lockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) }

// isLocked reports whether another live process owns the journal at path.
func isLocked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// tryLock takes an exclusive flock on f without waiting. flock belongs to the open
// file description, so it excludes other processes and other opens in this one
// alike, and the kernel drops it when the process dies (kill -9 included).
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func unlock(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }

// releaseLockFile deletes the lock file while still holding the lock, then closes
// it; acquireCPLock checks that the file it locked is still the one at the path, so
// a process that opened the old file just before the delete tries again.
func releaseLockFile(f *os.File, path string) {
	os.Remove(path)
	f.Close()
}
