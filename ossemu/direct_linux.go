package ossemu

import (
	"errors"
	"os"
	"sync/atomic"
	"syscall"

	"github.com/ossdrop/ossdrop/internal/fileio"
)

// createBlobFile opens a new blob for writing with O_DIRECT when the file
// system allows it: buffered writes through the page cache cost several
// times more CPU than hashing on small VMs, and blobs are written once and
// fsynced anyway. direct reports whether O_DIRECT is on. A body known to be
// shorter than one aligned block (want, -1 when unknown) is all unaligned
// tail, written without O_DIRECT anyway: it is opened without it.
func createBlobFile(path string, want int64) (f *os.File, direct bool, err error) {
	if !directRefused.Load() && (want < 0 || want >= alignment) {
		f, err = fileio.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|syscall.O_DIRECT, 0o600)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, false, err
		}
		// tmpfs and some others refuse O_DIRECT; the data directory is one
		// file system, so later blobs do not ask again (an open, an unlink
		// and a second open per object).
		directRefused.Store(true)
		os.Remove(path)
	}
	f, err = fileio.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	return f, false, err
}

// directRefused is set once the file system refused O_DIRECT.
var directRefused atomic.Bool

// clearDirect turns O_DIRECT off so an unaligned tail can be written.
func clearDirect(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		flags, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
		if e != 0 {
			serr = e
			return
		}
		if _, _, e := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags&^syscall.O_DIRECT); e != 0 {
			serr = e
		}
	})
	if err != nil {
		return err
	}
	return serr
}
