package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/app"
)

// guiModules are the import path prefixes of the GUI stack: Fyne and the
// OpenGL/GLFW bindings under it (cgo, X11, Wayland).
var guiModules = []string{"fyne.io/", "github.com/go-gl/", "github.com/fyne-io/"}

func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

func guiDeps(list []string) []string {
	var gui []string
	for _, p := range list {
		for _, prefix := range guiModules {
			if strings.HasPrefix(p, prefix) {
				gui = append(gui, p)
			}
		}
	}
	return gui
}

// The command line must not link the GUI stack: its shared libraries and
// package initialisation would roughly triple what every `ossdrop upload`
// uses before it reads a file. The window lives in cmd/ossdrop-window.
func TestCommandLineDoesNotLinkGUI(t *testing.T) {
	t.Parallel()
	if gui := guiDeps(deps(t, ".")); len(gui) > 0 {
		t.Errorf("ossdrop links the GUI stack through %d packages, e.g. %s; the window belongs in cmd/ossdrop-window",
			len(gui), strings.Join(gui[:min(5, len(gui))], ", "))
	}
	// The check above must be able to fail: the window program does link them.
	if gui := guiDeps(deps(t, "./cmd/ossdrop-window")); len(gui) == 0 {
		t.Error("go list -deps ./cmd/ossdrop-window shows no GUI package: the check above proves nothing")
	}
}

// buildOssdrop builds this command into dir.
func buildOssdrop(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "ossdrop")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build ossdrop: %v\n%s", err, out)
	}
	return bin
}

// With no subcommand ossdrop checks the window's arguments and becomes the
// window program beside it: same process, arguments, exit code.
func TestWindowProgramRunsInPlace(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("on Windows the window program is started, not executed in place")
	}
	t.Parallel()
	dir := t.TempDir()
	bin := buildOssdrop(t, dir)
	file := filepath.Join(dir, "a file.txt")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	// A private runtime directory, so a window the developer runs is not asked.
	noWindow := append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())

	// Missing window program: a clear error naming it.
	cmd := exec.Command(bin, file)
	cmd.Env = noWindow
	out, err := cmd.CombinedOutput()
	if code := exitCode(t, err); code != 2 || !strings.Contains(string(out), "ossdrop-window") {
		t.Fatalf("without the window program: exit %d, output %q; want 2 and a message naming ossdrop-window", code, out)
	}

	// A stand-in window program reports its pid and arguments.
	marker := filepath.Join(dir, "started")
	script := "#!/bin/sh\necho \"$$\" >" + strconv.Quote(marker) + "\nprintf '%s\\n' \"$@\"\nexit 7\n"
	if err := os.WriteFile(filepath.Join(dir, "ossdrop-window"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	// Reached through a link elsewhere, as from a bin directory on the PATH.
	link := filepath.Join(t.TempDir(), "ossdrop")
	if err := os.Symlink(bin, link); err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command(link, "--resume", "never", file)
	cmd.Env = noWindow
	out, err = cmd.Output()
	if code := exitCode(t, err); code != 7 {
		t.Fatalf("exit %d, want the window program's 7 (output %q)", code, out)
	}
	if want := "--resume\nnever\n" + file + "\n"; string(out) != want {
		t.Errorf("window program got arguments %q, want %q", out, want)
	}
	// `ossdrop window ARGS` is the same as `ossdrop ARGS`.
	cmd = exec.Command(bin, "window", "--resume", "never", file)
	cmd.Env = noWindow
	if out, err = cmd.Output(); exitCode(t, err) != 7 || string(out) != "--resume\nnever\n"+file+"\n" {
		t.Errorf("ossdrop window: %v, arguments %q", err, out)
	}
	pid, err := os.ReadFile(marker)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(pid)); got != strconv.Itoa(cmd.Process.Pid) {
		t.Errorf("window program ran as pid %s, ossdrop as %d: not in place", got, cmd.Process.Pid)
	}

	// Bad window arguments are reported by ossdrop; the window program never starts.
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, "--resume", "sometimes").CombinedOutput()
	if code := exitCode(t, err); code != 2 || !strings.Contains(string(out), "--resume") {
		t.Errorf("bad --resume: exit %d, output %q", code, out)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the window program started for bad arguments (%v)", err)
	}
	// A window already running takes the files; no second window program starts.
	runtimeDir := t.TempDir()
	inst, handed, err := app.SingleInstance(filepath.Join(runtimeDir, "ossdrop"), nil)
	if err != nil || handed {
		t.Fatalf("single instance: handed %v, %v", handed, err)
	}
	defer inst.Close()
	cmd = exec.Command(bin, file)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtimeDir)
	out, err = cmd.CombinedOutput()
	if code := exitCode(t, err); code != 0 || !strings.Contains(string(out), "already running") {
		t.Errorf("launch beside a running window: exit %d, output %q", code, out)
	}
	select {
	case got := <-inst.Incoming():
		if len(got) != 1 || got[0] != file {
			t.Errorf("the running window got %q, want [%s]", got, file)
		}
	case <-time.After(10 * time.Second):
		t.Error("the running window got nothing")
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the window program started although a window runs (%v)", err)
	}

	// Subcommands never start it.
	out, err = exec.Command(bin, "version").CombinedOutput()
	if code := exitCode(t, err); code != 0 || !strings.HasPrefix(string(out), "ossdrop ") {
		t.Errorf("version: exit %d, output %q", code, out)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the window program started for 'ossdrop version' (%v)", err)
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}
