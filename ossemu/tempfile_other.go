//go:build !unix

package ossemu

import (
	"os"
	"path/filepath"

	"github.com/ossdrop/ossdrop/internal/fileio"
)

// writeTemp writes data next to path in a fsynced temporary file and returns
// its name; the caller renames it into place to commit.
func writeTemp(path string, data []byte) (string, error) {
	f, err := fileio.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}
