//go:build !unix && !windows

package transfer

import "os"

func lockFile(*os.File) {}

// isLocked cannot tell on this platform, so every other journal is treated as live and
// left alone by compaction.
func isLocked(string) bool { return true }

// tryLock cannot lock on this platform: two processes uploading the same file are
// not kept apart here.
func tryLock(*os.File) (bool, error) { return true, nil }

func unlock(*os.File) {}

func releaseLockFile(f *os.File, path string) {
	f.Close()
	os.Remove(path)
}
