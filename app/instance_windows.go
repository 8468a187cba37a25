//go:build windows

package app

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
)

// On Windows the endpoint is a loopback port; the file naming it also holds a
// random token, so only processes that can read the user's 0600 file talk to it.
func instanceFile(dir string) string { return filepath.Join(dir, "window.addr") }

func dialInstance(dir string) (net.Conn, string, error) {
	data, err := os.ReadFile(instanceFile(dir))
	if err != nil {
		return nil, "", err
	}
	addr, token, ok := strings.Cut(strings.TrimSpace(string(data)), " ")
	if !ok {
		return nil, "", fmt.Errorf("%s is malformed", instanceFile(dir))
	}
	c, err := net.Dial("tcp", addr)
	return c, token, err
}

func listenInstance(dir string) (net.Listener, string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, err
	}
	b := make([]byte, 16)
	rand.Read(b)
	token := hex.EncodeToString(b)
	tmp := instanceFile(dir) + ".tmp"
	if err := os.WriteFile(tmp, []byte(ln.Addr().String()+" "+token+"\n"), 0o600); err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	if err := os.Rename(tmp, instanceFile(dir)); err != nil {
		ln.Close()
		return nil, "", nil, err
	}
	return ln, token, func() { os.Remove(instanceFile(dir)) }, nil
}
