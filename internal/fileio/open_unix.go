//go:build unix

package fileio

import (
	"os"
	"syscall"
)

// OpenFile is os.OpenFile for regular files and directories, without the
// poller registration (see the package comment).
func OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(name, flag|syscall.O_CLOEXEC, uint32(perm.Perm()))
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// Rename is os.Rename for a file replacing a file: one rename(2), without
// the lstat os.Rename makes first to refuse replacing a directory (a tenth
// of a small object's cost in serve-local).
func Rename(oldpath, newpath string) error {
	for {
		err := syscall.Rename(oldpath, newpath)
		if err != syscall.EINTR {
			if err != nil {
				return &os.LinkError{Op: "rename", Old: oldpath, New: newpath, Err: err}
			}
			return nil
		}
	}
}
