//go:build !linux

package transfer

import "os"

// walkDirAt is the system-specific folder walk; here there is none and
// walkDir reads folders with os.ReadDir.
func (w *walker) walkDirAt(dir, keyPrefix string, ancestors []os.FileInfo) bool { return false }
