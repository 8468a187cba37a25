//go:build linux

package transfer

import (
	"github.com/ossdrop/ossdrop/internal/fileio"
	"golang.org/x/sys/unix"
)

// statSizes fills in the sizes of items, following links as the upload
// will: each run of files from one folder is read relative to the open
// folder (fstatat), as the walk listed them.
func statSizes(items []sizeItem) {
	for i := 0; i < len(items); {
		d := items[i].dir
		j := i + 1
		for j < len(items) && items[j].dir == d {
			j++
		}
		fd, err := fileio.RetryEINTR(func() (int, error) {
			return unix.Open(d.path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		})
		if err == nil {
			var st unix.Stat_t
			for k := i; k < j; k++ {
				if fstatat(fd, items[k].name, &st, 0) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
					items[k].size = st.Size
				}
			}
			unix.Close(fd)
		}
		i = j
	}
}
