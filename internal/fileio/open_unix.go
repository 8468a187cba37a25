//go:build unix

package fileio

import (
	"os"
	"syscall"
)

// OpenFile is os.OpenFile for regular files and directories, without the
// poller registration (see the package comment).
func OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	fd, err := RetryEINTR(func() (int, error) {
		return syscall.Open(name, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Rename is os.Rename for a file replacing a file: one rename(2), without
// the lstat os.Rename makes first to refuse replacing a directory (a tenth
// of a small object's cost in serve-local).
func Rename(oldpath, newpath string) error {
	if _, err := RetryEINTR(func() (int, error) { return 0, syscall.Rename(oldpath, newpath) }); err != nil {
		return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
	}
	return nil
}

// RetryEINTR repeats a system call interrupted by a signal, as package os
// does for its own.
func RetryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}
