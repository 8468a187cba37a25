//go:build unix

package ossemu

import (
	"math/rand/v2"
	"os"
	"strconv"
	"syscall"
)

// writeTemp writes data next to path in a fsynced temporary file and returns
// its name; the caller renames it into place to commit. It works on the bare
// descriptor: an *os.File would add an fcntl, a finalizer and poller
// bookkeeping to every object stored, for a file that is written once and
// closed at once.
func writeTemp(path string, data []byte) (string, error) {
	for try := 0; ; try++ {
		name := path + ".tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		fd, err := retryEINTR(func() (int, error) {
			return syscall.Open(name, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, 0o600)
		})
		if err == syscall.EEXIST && try < 10000 {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "open", Path: name, Err: err}
		}
		op := "write"
		for rest := data; len(rest) > 0 && err == nil; {
			var n int
			n, err = retryEINTR(func() (int, error) { return syscall.Write(fd, rest) })
			rest = rest[n:]
			if err == nil && n == 0 {
				err = syscall.EIO
			}
		}
		if err == nil {
			op = "fsync"
			_, err = retryEINTR(func() (int, error) { return 0, syscall.Fsync(fd) })
		}
		if cerr := syscall.Close(fd); err == nil && cerr != nil {
			op, err = "close", cerr
		}
		if err != nil {
			os.Remove(name)
			return "", &os.PathError{Op: op, Path: name, Err: err}
		}
		return name, nil
	}
}

func retryEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}
