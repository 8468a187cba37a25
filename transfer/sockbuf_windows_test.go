package transfer

import "syscall"

// setRcvBuf sets a socket's receive buffer (SO_RCVBUF) before it listens,
// so connections it accepts start with that window.
func setRcvBuf(fd uintptr, n int) {
	syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}
