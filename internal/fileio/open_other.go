//go:build !unix

package fileio

import "os"

// OpenFile is os.OpenFile (the poller cost it avoids is a Linux one).
func OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}

// Rename is os.Rename here.
func Rename(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
