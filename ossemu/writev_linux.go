package ossemu

import (
	"syscall"
	"unsafe"
)

// writeParts writes a then b to fd in one writev where the kernel takes
// them whole: an object's metadata and its inline body go to disk without
// being copied together first.
func writeParts(fd int, a, b []byte) error {
	for len(a)+len(b) > 0 {
		var iov [2]syscall.Iovec
		n := 0
		for _, p := range [][]byte{a, b} {
			if len(p) > 0 {
				iov[n].Base = &p[0]
				iov[n].SetLen(len(p))
				n++
			}
		}
		w, _, errno := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(n))
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return errno
		}
		if w == 0 {
			return syscall.EIO
		}
		done := int(w)
		if done >= len(a) {
			done -= len(a)
			a, b = nil, b[done:]
		} else {
			a = a[done:]
		}
	}
	return nil
}
