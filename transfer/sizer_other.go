//go:build !linux

package transfer

import "os"

// statSizes fills in the sizes of items, following links as the upload will.
func statSizes(items []sizeItem) {
	for k := range items {
		it := &items[k]
		if st, err := os.Stat(joinPath(it.dir.path, it.name)); err == nil && st.Mode().IsRegular() {
			it.size = st.Size()
		}
	}
}
