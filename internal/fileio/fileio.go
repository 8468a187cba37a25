package fileio

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Open opens name for reading, as os.Open does.
func Open(name string) (*os.File, error) { return OpenFile(name, os.O_RDONLY, 0) }

// CreateTemp is os.CreateTemp through OpenFile: a new file (mode 0600) in
// dir whose name is pattern with its last "*" (or its end) replaced by a
// random string.
func CreateTemp(dir, pattern string) (*os.File, error) {
	if strings.ContainsRune(pattern, os.PathSeparator) {
		return nil, &os.PathError{Op: "createtemp", Path: pattern, Err: errors.New("pattern contains path separator")}
	}
	prefix, suffix := pattern, ""
	if i := strings.LastIndexByte(pattern, '*'); i >= 0 {
		prefix, suffix = pattern[:i], pattern[i+1:]
	}
	for try := 0; ; try++ {
		name := filepath.Join(dir, prefix+strconv.FormatUint(uint64(rand.Uint32()), 10)+suffix)
		f, err := OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) && try < 10000 {
			continue
		}
		return f, err
	}
}
