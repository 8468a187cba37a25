package ossemu

import (
	"errors"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/ossdrop/ossdrop/internal/fileio"
)

// openDir is a directory in which object files are created and renamed. Kept
// open (fd >= 0), files are named relative to it (openat, renameat), so the
// kernel does not walk the whole path from the root twice per object;
// otherwise (fd < 0) full paths are used.
type openDir struct {
	path string
	fd   int
}

// openDirHandle opens dir for openDir's use.
func openDirHandle(dir string) (*openDir, error) {
	fd, err := fileio.RetryEINTR(func() (int, error) {
		return syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: dir, Err: err}
	}
	return &openDir{path: dir, fd: fd}, nil
}

func (d *openDir) close() {
	if d.fd >= 0 {
		syscall.Close(d.fd)
		d.fd = -1
	}
}

// writeTemp writes data and then more to a new fsynced temporary file named
// after base in d and returns its name; the caller renames it into place to
// commit.
func (d *openDir) writeTemp(base string, data, more []byte) (string, error) {
	for try := 0; ; try++ {
		name := base + ".tmp-" + strconv.FormatUint(uint64(rand.Uint32()), 10)
		made, err := d.create(name, data, more)
		if errors.Is(err, fs.ErrExist) && try < 10000 {
			continue
		}
		if err != nil {
			if made {
				d.remove(name)
			}
			return "", err
		}
		return name, nil
	}
}

// create writes data and then more to a new fsynced file named name in d; it
// fails with an fs.ErrExist error when name exists. made reports whether
// the file was created: when writing it failed, it is left for the caller to
// remove. It works on the bare descriptor: an *os.File would add an fcntl, a
// finalizer and poller bookkeeping to every object stored, for a file that is
// written once and closed at once.
func (d *openDir) create(name string, data, more []byte) (made bool, err error) {
	fd, err := fileio.RetryEINTR(func() (int, error) {
		const flags = syscall.O_WRONLY | syscall.O_CREAT | syscall.O_EXCL | syscall.O_CLOEXEC
		if d.fd < 0 {
			return syscall.Open(filepath.Join(d.path, name), flags, 0o600)
		}
		return syscall.Openat(d.fd, name, flags, 0o600)
	})
	if err != nil {
		return false, &os.PathError{Op: "open", Path: filepath.Join(d.path, name), Err: err}
	}
	op := "write"
	err = writeParts(fd, data, more)
	if err == nil {
		op = "fsync"
		_, err = fileio.RetryEINTR(func() (int, error) { return 0, syscall.Fsync(fd) })
	}
	if cerr := syscall.Close(fd); err == nil && cerr != nil {
		op, err = "close", cerr
	}
	if err != nil {
		return true, &os.PathError{Op: op, Path: filepath.Join(d.path, name), Err: err}
	}
	return true, nil
}

// rename replaces the file named to in d with the one named from.
func (d *openDir) rename(from, to string) error {
	_, err := fileio.RetryEINTR(func() (int, error) {
		if d.fd < 0 {
			return 0, syscall.Rename(filepath.Join(d.path, from), filepath.Join(d.path, to))
		}
		return 0, syscall.Renameat(d.fd, from, d.fd, to)
	})
	if err != nil {
		return &os.LinkError{Op: "rename", Old: filepath.Join(d.path, from), New: filepath.Join(d.path, to), Err: err}
	}
	return nil
}

// remove removes the file named name in d, if it is there.
func (d *openDir) remove(name string) {
	os.Remove(filepath.Join(d.path, name))
}

// pathDir is dir used by full paths, not kept open.
func pathDir(dir string) *openDir { return &openDir{path: dir, fd: -1} }
