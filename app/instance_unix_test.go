//go:build !windows

package app

import (
	"net"
	"os"
	"testing"
)

// A socket left by a crashed instance is replaced, not answered by nobody.
func TestStaleInstanceEndpointIsReplaced(t *testing.T) {
	dir := shortDir(t)
	os.MkdirAll(dir, 0o700)
	ln, err := net.Listen("unix", socketPath(dir))
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, as after kill -9
	inst, handed, err := SingleInstance(dir, []string{"/f"})
	if err != nil || handed || inst == nil {
		t.Fatalf("after a crash: %v %v %v", inst, handed, err)
	}
	inst.Close()
	if _, err := os.Stat(socketPath(dir)); !os.IsNotExist(err) {
		t.Fatalf("socket left after Close: %v", err)
	}
}
