//go:build !linux

package ossemu

import (
	"os"
	"path/filepath"

	"github.com/ossdrop/ossdrop/internal/fileio"
)

// openDir is a directory in which object files are created and renamed, by
// full path on this platform.
type openDir struct {
	path string
}

func openDirHandle(dir string) (*openDir, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, err
	}
	return &openDir{path: dir}, nil
}

func (d *openDir) close() {}

// writeTemp writes data and then more to a new fsynced temporary file named
// after base in d and returns its name; the caller renames it into place to
// commit.
func (d *openDir) writeTemp(base string, data, more []byte) (string, error) {
	f, err := fileio.CreateTemp(d.path, base+".tmp-*")
	if err != nil {
		return "", err
	}
	if err := writeSync(f, data, more); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return filepath.Base(f.Name()), nil
}

// writeSync writes data and then more to f, fsyncs it and closes it.
func writeSync(f *os.File, data, more []byte) error {
	_, err := f.Write(append(data[:len(data):len(data)], more...))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// create writes data and then more to a new fsynced file named name in d; it
// fails with an fs.ErrExist error when name exists. made reports whether
// the file was created: when writing it failed, it is left for the caller to
// remove.
func (d *openDir) create(name string, data, more []byte) (made bool, err error) {
	f, err := fileio.OpenFile(filepath.Join(d.path, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return false, err
	}
	return true, writeSync(f, data, more)
}

// rename replaces the file named to in d with the one named from.
func (d *openDir) rename(from, to string) error {
	return fileio.Rename(filepath.Join(d.path, from), filepath.Join(d.path, to))
}

// remove removes the file named name in d, if it is there.
func (d *openDir) remove(name string) {
	os.Remove(filepath.Join(d.path, name))
}

// pathDir is dir used by full paths.
func pathDir(dir string) *openDir { return &openDir{path: dir} }
