//go:build linux

package transfer

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// entryAfterListing lists dir (holding only p) the way walkDirAt does,
// removes p, then hands its name to entryAt.
func entryAfterListing(t *testing.T, w *walker, dir, p string) bool {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	buf := make([]byte, 4096)
	n, err := unix.Getdents(fd, buf)
	if err != nil {
		t.Fatal(err)
	}
	names, types := w.direntNames(buf[:n], nil, nil)
	if len(names) != 1 {
		t.Fatalf("listed %q", names)
	}
	os.Remove(p)
	w.entryAt(fd, dir, "k/", nil, names[0], types[0])
	return true
}
