//go:build linux

package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossdrop/ossdrop/ossemu"
)

// runUploadChild runs `ossdrop upload` in a child process with stderr set to
// stderr (a terminal or not) and returns its exit code and stdout.
func runUploadChild(t *testing.T, s *ossemu.Server, stderr *os.File, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "OSSDROP_CHILD_ARGS="+strings.Join(append([]string{"upload"}, args...), "\x1f"),
		"OSS_ACCESS_KEY_ID="+s.AccessKeyID, "OSS_ACCESS_KEY_SECRET="+s.AccessKeySecret, "TERM=xterm")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestUploadProgressBars checks what `ossdrop upload` draws on stderr: progress bars
// (file names, percentages, sizes and the total) when stderr is a terminal, and
// nothing but failures when it is not.
func TestUploadProgressBars(t *testing.T) {
	s, err := ossemu.NewServer(ossemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	for i, name := range []string{"alpha.bin", "beta.bin"} {
		os.WriteFile(filepath.Join(dir, name), rnd(600<<10, uint64(i)), 0o644)
	}
	base := []string{"--endpoint", s.URL, "--bucket", s.Bucket(), "--part-size", "100KiB", "--state-dir", t.TempDir()}
	// Slow enough (about a second) for several redraws.
	ttyArgs := append(append([]string{}, base...), "--limit-rate", "1MiB/s", filepath.Join(dir, "alpha.bin"), filepath.Join(dir, "beta.bin"))

	for _, size := range []unix.Winsize{{Row: 40, Col: 120}, {}} {
		sz := fmt.Sprintf("%dx%d terminal: ", size.Col, size.Row)
		master, slave := openPTY(t)
		// A fresh pseudo-terminal reports 0×0, as some CI runners do; a window has a size.
		if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &size); err != nil {
			t.Fatal(err)
		}
		var screen bytes.Buffer
		readDone := make(chan struct{})
		go func() { // drain the terminal so the child never blocks writing to it
			defer close(readDone)
			buf := make([]byte, 4096)
			for {
				n, err := master.Read(buf)
				screen.Write(buf[:n])
				if err != nil {
					return
				}
			}
		}()
		code, stdout := runUploadChild(t, s, slave, ttyArgs...)
		time.Sleep(100 * time.Millisecond)
		master.SetReadDeadline(time.Now()) // the child is gone; stop reading what is left
		<-readDone
		shown := screen.String()
		if code != 0 || !strings.Contains(stdout, "2 uploaded (1.2 MiB), 0 skipped, 0 failed") {
			t.Fatalf(sz+"exit %d, stdout %q\nterminal:\n%q", code, stdout, shown)
		}
		for _, want := range []string{"alpha.bin", "beta.bin", "total 2/2 files", "1.2 MiB/1.2 MiB"} {
			if !strings.Contains(shown, want) {
				t.Errorf(sz+"the terminal never showed %q:\n%q", want, shown)
			}
		}
		if pct := regexp.MustCompile(`\b([1-9]?[0-9]|100) ?%`).FindAllString(shown, -1); len(pct) < 2 {
			t.Errorf(sz+"no per-file percentages drawn: %q", shown)
		}
		partial := false
		for _, m := range regexp.MustCompile(`([0-9.]+ [KM]?i?B)/1\.2 MiB`).FindAllStringSubmatch(shown, -1) {
			partial = partial || m[1] != "1.2 MiB"
		}
		if !partial {
			t.Errorf(sz+"no intermediate total (bytes sent so far) drawn: %q", shown)
		}
		if size.Col > 0 && !strings.Contains(shown, "\x1b[") {
			t.Errorf(sz+"bars were not redrawn in place (no cursor movement): %q", shown)
		}
	}

	// Not a terminal: stderr holds only the failure line, stdout only the summary.
	errFile, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()
	missing := filepath.Join(dir, "missing.bin")
	code, stdout := runUploadChild(t, s, errFile, append(append([]string{}, base...), "--limit-rate", "1MiB/s", filepath.Join(dir, "alpha.bin"), missing)...)
	errOut, _ := os.ReadFile(errFile.Name())
	wantErr := "failed: " + missing + " -> oss://" + s.Bucket() + "/missing.bin: "
	lines := strings.Split(strings.TrimRight(string(errOut), "\n"), "\n")
	if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], wantErr) || !strings.Contains(lines[0], "no such file") {
		t.Fatalf("non-terminal stderr: exit %d\n%q", code, errOut)
	}
	if stdout != "1 uploaded (600 KiB), 0 skipped, 1 failed\n" {
		t.Fatalf("non-terminal stdout: %q", stdout)
	}
}
