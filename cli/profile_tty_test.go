//go:build linux

package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossdrop/ossdrop/ossemu"
)

// openPTY returns a pseudo-terminal pair: what the test types goes into
// master, the command reads slave as its standard input.
func openPTY(t *testing.T) (master, slave *os.File) {
	// Non-blocking from the start and never touched through Fd(), so the
	// master stays in the poller and read deadlines work.
	mfd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if err := unix.IoctlSetPointerInt(mfd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(mfd)
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(mfd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(mfd)
		t.Skipf("ptsname: %v", err)
	}
	m := os.NewFile(uintptr(mfd), "/dev/ptmx")
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open slave: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// TestProfileAddPromptsWithoutEcho types the secret on a terminal: the
// prompt goes to stderr and the terminal does not echo what was typed.
func TestProfileAddPromptsWithoutEcho(t *testing.T) {
	srv, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	master, slave := openPTY(t)
	e := newProfileEnv(t)
	name := "tty-" + randHex(4)
	t.Cleanup(func() { e.run("", "remove", name) })

	var out, errb bytes.Buffer
	env := &Env{Stdin: slave, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return e.vars[k] }}
	done := make(chan int, 1)
	go func() {
		done <- Run(context.Background(), env, []string{"profile", "add", name, "--endpoint", srv.URL, "--bucket", "local",
			"--access-key-id", srv.AccessKeyID})
	}()
	// Type once echo is off, i.e. once ReadPassword is waiting.
	deadline := time.Now().Add(10 * time.Second)
	for {
		tio, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
		if err == nil && tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command never turned echo off")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := master.Write([]byte(srv.AccessKeySecret + "\n")); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("add: %d %s %s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "AccessKey secret for "+srv.AccessKeyID+": ") {
		t.Fatalf("no prompt on stderr: %q", errb.String())
	}
	// Whatever the terminal displayed must not include the secret.
	master.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	shown := make([]byte, 4096)
	n, _ := master.Read(shown)
	if bytes.Contains(shown[:n], []byte(srv.AccessKeySecret)) {
		t.Fatalf("the secret was echoed: %q", shown[:n])
	}
	code, o, _ := e.run("", "test", name)
	if code != 0 {
		t.Fatalf("test after terminal add: %d %s", code, o)
	}
}
