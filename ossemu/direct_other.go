//go:build !linux

package ossemu

import (
	"os"

	"github.com/ossdrop/ossdrop/internal/fileio"
)

func createBlobFile(path string, _ int64) (*os.File, bool, error) {
	f, err := fileio.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	return f, false, err
}

func clearDirect(*os.File) error { return nil }
