//go:build linux

package transfer

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"sync"

	"github.com/ossdrop/ossdrop/internal/fileio"
	"golang.org/x/sys/unix"
)

// direntBufs holds getdents buffers: 64 KiB lists some 2,000 entries per
// system call where os.ReadDir's 8 KiB lists a few hundred, and a walk deep
// in a tree holds one per open folder.
var direntBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// walkDirAt reads dir with getdents and stats each entry relative to the
// open folder (fstatat), so the kernel resolves one name per file rather
// than the whole path, and no os.FileInfo is made per file. It reports
// what walkDir's portable path would, in the same words, and returns true
// (it always handles the folder on Linux).
func (w *walker) walkDirAt(dir, keyPrefix string, ancestors []os.FileInfo) bool {
	fd, err := fileio.RetryEINTR(func() (int, error) {
		return unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	})
	if err != nil {
		w.fail(dir, keyPrefix, "read folder", fmt.Sprintf("cannot list folder %s: %v", dir, err))
		return true
	}
	defer unix.Close(fd)
	bp := direntBufs.Get().(*[]byte)
	defer direntBufs.Put(bp)
	buf := *bp
	var names []string
	var types []uint8
	for !w.stopped() {
		n, err := fileio.RetryEINTR(func() (int, error) { return unix.Getdents(fd, buf) })
		if err != nil {
			w.fail(dir, keyPrefix, "read folder", fmt.Sprintf("cannot list folder %s: %v", dir, err))
			return true
		}
		if n == 0 {
			return true
		}
		// The names are taken out of buf before any is handled: a subfolder's
		// walk reads its own entries meanwhile.
		names, types = w.direntNames(buf[:n], names[:0], types[:0])
		for i, name := range names {
			w.entryAt(fd, dir, keyPrefix, ancestors, name, types[i])
		}
	}
	return true
}

// direntNames appends the names in a getdents buffer (linux_dirent64
// records) and their d_type to types, leaving out "." and "..", and hidden
// ones when the walk skips them (before a string is made for them).
func (w *walker) direntNames(b []byte, names []string, types []uint8) ([]string, []uint8) {
	const nameOff = 19 // d_ino 8, d_off 8, d_reclen 2, d_type 1
	for len(b) >= nameOff {
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < nameOff || reclen > len(b) {
			break // a malformed record: the kernel never writes one
		}
		ino, typ, name := binary.NativeEndian.Uint64(b[0:8]), b[18], b[nameOff:reclen]
		b = b[reclen:]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		switch {
		case ino == 0, len(name) == 0: // a removed entry some file systems still list
		case name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.'):
		case w.skipHidden && name[0] == '.': // IsHidden, without making the string
		default:
			names, types = append(names, string(name)), append(types, typ)
		}
	}
	return names, types
}

// entryAt handles one entry of the folder open as fd; typ is its d_type. A
// regular file is queued from its entry alone when the walk leaves sizes for
// later (walker.sizeLater): the stat it saves is most of a walk's time.
func (w *walker) entryAt(fd int, dir, keyPrefix string, ancestors []os.FileInfo, name string, typ uint8) {
	if typ == unix.DT_REG && w.sizeLater {
		w.file(dir, name, keyPrefix, 0, unsized)
		return
	}
	var st unix.Stat_t
	err := fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if err != nil {
		p := joinPath(dir, name)
		w.fail(p, keyPrefix+toSlash(name), "open", fmt.Sprintf("cannot read %s: %v", p, err))
		return
	}
	if st.Mode&unix.S_IFMT == unix.S_IFLNK {
		err = fstatat(fd, name, &st, 0)
		if err != nil {
			p := joinPath(dir, name)
			w.fail(p, keyPrefix+toSlash(name), "open", fmt.Sprintf("symbolic link %s cannot be followed: %v", p, err))
			return
		}
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		// Folders are few: an os.FileInfo lets loops be found as the
		// portable walk finds them.
		p := joinPath(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			w.fail(p, keyPrefix+toSlash(name), "open", fmt.Sprintf("cannot read %s: %v", p, unwrapPath(err)))
			return
		}
		if !fi.IsDir() { // replaced since it was listed
			w.file(dir, name, keyPrefix, fi.Mode(), fi.Size())
			return
		}
		w.subfolder(p, keyPrefix+toSlash(name), ancestors, fi)
		return
	}
	w.file(dir, name, keyPrefix, fileModeOf(st.Mode), st.Size)
}

// fileModeOf is the os.FileMode type bits of a stat mode: what walker.file
// checks and names.
func fileModeOf(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & unix.S_IFMT {
	case unix.S_IFDIR:
		mode |= os.ModeDir
	case unix.S_IFLNK:
		mode |= os.ModeSymlink
	case unix.S_IFIFO:
		mode |= os.ModeNamedPipe
	case unix.S_IFSOCK:
		mode |= os.ModeSocket
	case unix.S_IFCHR:
		mode |= os.ModeDevice | os.ModeCharDevice
	case unix.S_IFBLK:
		mode |= os.ModeDevice
	}
	return mode
}

// fstatat is unix.Fstatat repeated when a signal interrupts it.
func fstatat(fd int, name string, st *unix.Stat_t, flags int) error {
	for {
		if err := unix.Fstatat(fd, name, st, flags); err != unix.EINTR {
			return err
		}
	}
}
