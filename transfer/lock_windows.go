//go:build windows

package transfer

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// Windows locks are mandatory byte-range locks, so lock one byte far beyond any
// data: readers of a queue journal are not blocked, and the lock still says
// "owned by a live process" and vanishes with that process.
const lockOffset = 1 << 62

func lockRange(f *os.File, flags uint32) error {
	ol := &windows.Overlapped{Offset: uint32(lockOffset & 0xffffffff), OffsetHigh: uint32(lockOffset >> 32)}
	return windows.LockFileEx(windows.Handle(f.Fd()), flags, 0, 1, 0, ol)
}

// lockFile marks a queue journal as owned by a live process; the lock dies with it.
func lockFile(f *os.File) {
	lockRange(f, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY)
}

// isLocked reports whether another live process owns the journal at path.
func isLocked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := tryLock(f)
	if err != nil || !ok {
		return true
	}
	unlock(f)
	return false
}

// tryLock takes an exclusive lock on f without waiting; false when another handle
// (another process, or another Manager in this one) holds it.
func tryLock(f *os.File) (bool, error) {
	err := lockRange(f, windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return false, nil
	}
	return err == nil, err
}

func unlock(f *os.File) {
	ol := &windows.Overlapped{Offset: uint32(lockOffset & 0xffffffff), OffsetHigh: uint32(lockOffset >> 32)}
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, ol)
}

// releaseLockFile closes, then deletes the lock file. Files are opened without
// FILE_SHARE_DELETE, so the delete fails (and the file stays, harmlessly) when
// another process has just opened it to take the lock.
func releaseLockFile(f *os.File, path string) {
	unlock(f)
	f.Close()
	os.Remove(path)
}
