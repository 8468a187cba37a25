//go:build !windows

package app

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"syscall"
)

func socketPath(dir string) string { return filepath.Join(dir, "window.sock") }

func dialInstance(dir string) (net.Conn, string, error) {
	c, err := net.Dial("unix", socketPath(dir))
	return c, "", err
}

// listenInstance listens on the socket; a socket file nobody answers on is
// left from a crash and is replaced. The 0700 directory keeps other users out.
func listenInstance(dir string) (net.Listener, string, func(), error) {
	path := socketPath(dir)
	ln, err := net.Listen("unix", path)
	if errors.Is(err, syscall.EADDRINUSE) {
		if c, derr := net.Dial("unix", path); derr == nil {
			c.Close()
			return nil, "", nil, errInstanceRace
		}
		os.Remove(path)
		ln, err = net.Listen("unix", path)
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, "", nil, errInstanceRace
		}
	}
	if err != nil {
		return nil, "", nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return ln, "", func() {}, nil
}
