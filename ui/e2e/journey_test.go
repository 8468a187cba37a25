package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer"
)

// The first-run journey on the real binary with no flags: the window opens on
// the built-in Local bucket, closes when idle, asks when closed mid-upload,
// resumes after kill -9 at a new port, and takes the files of a second launch.

// launchPlain starts ossdrop with exactly args (no destination flags) and
// waits for its window.
func (e *env) launchPlain(extraEnv []string, args ...string) *app {
	e.t.Helper()
	for attempt := 1; ; attempt++ {
		a := &app{log: &bytes.Buffer{}, done: make(chan error, 1)}
		a.cmd = exec.Command(e.bin, args...)
		a.cmd.Env = e.environ(extraEnv...)
		a.cmd.Stdout, a.cmd.Stderr = a.log, a.log
		if err := a.cmd.Start(); err != nil {
			e.t.Fatal(err)
		}
		go func() { a.done <- a.cmd.Wait() }()
		e.t.Cleanup(func() {
			if a.cmd.ProcessState == nil {
				a.cmd.Process.Kill()
				<-a.done
			}
			if e.t.Failed() {
				e.t.Logf("ossdrop %v output:\n%s", args, a.log)
			}
		})
		if e.waitWindow(a) {
			return a
		}
		if attempt == 3 {
			e.t.Fatalf("the X server refused ossdrop's window %d times:\n%s", attempt, a.log)
		}
		e.t.Logf("the X server refused ossdrop's window (GLFW PlatformUnavailable); launching again")
		time.Sleep(time.Second)
	}
}

// noEnvCreds keeps the test server's keys out of the environment, so
// profiles use their stored secrets.
var noEnvCreds = []string{"OSS_ACCESS_KEY_ID=", "OSS_ACCESS_KEY_SECRET="}

// startWM runs openbox, so closing the window goes through a real window
// manager (_NET_CLOSE_WINDOW from wmctrl), as a user's click on × does.
func (e *env) startWM() {
	e.t.Helper()
	for _, tool := range []string{"openbox", "wmctrl"} {
		if _, err := exec.LookPath(tool); err != nil {
			e.t.Fatalf("OSSDROP_E2E=1 but %s is missing (Debian openbox, wmctrl): %v", tool, err)
		}
	}
	// --replace takes over from a window manager an earlier test left behind
	// on the shared display (its X client may outlive the kill for a moment);
	// one that exits at once is started again until the deadline.
	out, err := os.CreateTemp(e.t.TempDir(), "openbox-*.log")
	if err != nil {
		e.t.Fatal(err)
	}
	defer out.Close()
	var wm *exec.Cmd
	exited := make(chan struct{})
	start := func() {
		wm = exec.Command("openbox", "--sm-disable", "--replace")
		wm.Env = e.environ()
		wm.Stdout, wm.Stderr = out, out
		if err := wm.Start(); err != nil {
			e.t.Fatal(err)
		}
		exited = make(chan struct{})
		go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(wm, exited)
	}
	start()
	e.t.Cleanup(func() { wm.Process.Kill(); <-exited })
	deadline := time.Now().Add(60 * time.Second)
	for {
		c := exec.Command("wmctrl", "-m")
		c.Env = e.environ()
		if c.Run() == nil {
			return
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(out.Name())
			e.t.Fatalf("openbox did not come up:\n%s", log)
		}
		select {
		case <-exited:
			start()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// closeWindow asks the window manager to close the ossdrop window.
func (e *env) closeWindow() {
	e.t.Helper()
	c := exec.Command("wmctrl", "-c", "ossdrop")
	c.Env = e.environ()
	if out, err := c.CombinedOutput(); err != nil {
		e.t.Fatalf("wmctrl -c: %v\n%s", err, out)
	}
}

// waitExit waits for a to exit by itself and wants exit code 0.
func (e *env) waitExit(a *app, within time.Duration, why string) {
	e.t.Helper()
	select {
	case err := <-a.done:
		if err != nil {
			e.t.Fatalf("%s: ossdrop exited with %v\n%s", why, err, a.log)
		}
	case <-time.After(within):
		// What the window shows and where every goroutine waits (SIGQUIT
		// makes the Go runtime print them into the captured output).
		e.screenshot("still-running.png")
		a.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-a.done: // its output is complete now
			e.t.Fatalf("%s: ossdrop still running after %s; its goroutines:\n%s", why, within, a.log)
		case <-time.After(5 * time.Second):
			e.t.Fatalf("%s: ossdrop still running after %s, and after SIGQUIT", why, within)
		}
	}
}

func (e *env) stateDir() string { return filepath.Join(e.home, "state", "ossdrop") }

// waitProgress waits until the unfinished upload of path has at least n bytes
// confirmed in its checkpoint.
func (e *env) waitProgress(a *app, path string, n int64) {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		us, _ := transfer.ListUnfinished(e.stateDir())
		for _, u := range us {
			if u.Path == path && u.Done >= n {
				return
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("upload of %s never reached %d bytes: %+v", path, n, us)
		}
		select {
		case err := <-a.done:
			e.t.Fatalf("ossdrop exited while uploading: %v\n%s", err, a.log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitNoUnfinished waits until no upload is recorded as unfinished.
func (e *env) waitNoUnfinished(a *app) {
	e.t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for {
		us, _ := transfer.ListUnfinished(e.stateDir())
		cps, _ := filepath.Glob(filepath.Join(e.stateDir(), "checkpoints", "*.ucp"))
		if len(us) == 0 && len(cps) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("still unfinished: %+v, checkpoints %v", us, cps)
		}
		select {
		case err := <-a.done:
			e.t.Fatalf("ossdrop exited while uploading: %v\n%s", err, a.log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// localObject reads an object from the Local bucket's data directory (only
// while no ossdrop runs: the directory is locked by its server).
func (e *env) localObject(key string) []byte {
	e.t.Helper()
	s, err := ossemu.NewServer(ossemu.Options{Dir: filepath.Join(e.home, "data", "ossdrop", "local-bucket"), Buckets: []string{"local"}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer s.Close()
	data, err := s.ReadObject("local", key)
	if err != nil {
		e.t.Fatalf("Local bucket object %s: %v (keys %v)", key, err, s.Keys("local"))
	}
	return data
}

// slowLocalBucket gives the built-in Local bucket a bandwidth limit, so a
// kill lands mid-upload; there is still no saved profile.
func (e *env) slowLocalBucket() {
	e.t.Helper()
	cfg := `{"version":2,"default_profile":"Local bucket","profiles":[{"id":"local","name":"Local bucket","local":true,"bucket":"local",` +
		`"transfer":{"part_size":1048576,"task_num":2,"jobs":3,"checkpoint":true,"on_exists":"overwrite","limit_rate":4194304}}],` +
		`"app":{"resume_on_launch":"ask","notifications":false}}`
	write(e.t, filepath.Join(e.home, "config", "ossdrop", "settings.json"), []byte(cfg))
}

func TestRealFirstRunJourneyOnLocalBucket(t *testing.T) {
	e := setupWindow(t)
	e.startWM()
	src := t.TempDir()

	// 1. First launch, nothing configured: the window opens on the Local
	// bucket; closing it while idle exits.
	a := e.launchPlain(nil)
	e.screenshot("journey-01-first-run.png")
	e.closeWindow()
	e.waitExit(a, 20*time.Second, "close while idle")
	if _, err := os.Stat(filepath.Join(e.home, "config", "ossdrop", "settings.json")); err == nil {
		t.Log("the first launch wrote settings")
	}

	// 2. A large file queued on the Local bucket, killed mid-upload.
	e.slowLocalBucket()
	big := randBytes(24<<20, 11)
	bigPath := write(t, filepath.Join(src, "big.iso"), big)
	a = e.launchPlain(nil, bigPath)
	e.waitProgress(a, bigPath, 3<<20)

	// 3. Closing while it uploads asks instead of quitting.
	e.closeWindow()
	time.Sleep(1500 * time.Millisecond)
	select {
	case err := <-a.done:
		t.Fatalf("closing mid-upload quit without asking: %v\n%s", err, a.log)
	default:
	}
	e.screenshot("journey-02-close-asks.png")
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
	us, _ := transfer.ListUnfinished(e.stateDir())
	if len(us) != 1 || us[0].Dest != "local" || us[0].Done == 0 || us[0].Done >= int64(len(big)) {
		t.Fatalf("after kill -9: %+v", us)
	}
	done := us[0].Done

	// 4. Relaunch (the Local bucket on a new port) with --resume always: it
	// finishes from the checkpoint and leaves nothing behind.
	a = e.launchPlain(nil, "--resume", "always")
	e.waitNoUnfinished(a)
	e.screenshot("journey-03-resumed.png")

	// 5. A second launch hands its file to the running window and exits.
	small := []byte("handed over\n")
	smallPath := write(t, filepath.Join(src, "note.txt"), small)
	second := exec.Command(e.bin, smallPath)
	second.Env = e.environ()
	out, err := second.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "already running") {
		t.Fatalf("second launch: %v\n%s", err, out)
	}
	e.waitHistory(a, 0, map[string]string{"note.txt": "done"}) // the first window uploads it
	e.closeWindow()
	e.waitExit(a, 30*time.Second, "close after the uploads finished")

	if got := e.localObject("big.iso"); !bytes.Equal(got, big) {
		t.Fatalf("big.iso: %d bytes, not the %d-byte file", len(got), len(big))
	}
	if got := e.localObject("note.txt"); !bytes.Equal(got, small) {
		t.Fatalf("note.txt handed over: %q", got)
	}
	t.Logf("resumed from %d of %d bytes", done, len(big))
}

// The same journey on a saved profile: with its secret in the real keyring the
// relaunch resumes by itself; without a keyring the row waits for the secret,
// which is typed once into the window, and then the upload completes.
func TestRealProfileJourneyWaitsForTheSecret(t *testing.T) {
	e := setupWindow(t)
	e.startWM() // gives the window the keyboard focus, as a desktop does
	slow := e.srv.Inject(ossemu.Fault{Match: ossemu.MatchOp("UploadPart"), Bandwidth: 4 << 20})
	defer slow()
	name := "journey-" + strings.ReplaceAll(filepath.Base(e.home), " ", "")
	add := exec.Command(e.bin, "profile", "add", name, "--endpoint", e.srv.URL, "--bucket", e.srv.Bucket(),
		"--access-key-id", e.srv.AccessKeyID, "--default", "--part-size", "1MiB")
	add.Env = e.environ(noEnvCreds...)
	add.Stdin = strings.NewReader(e.srv.AccessKeySecret + "\n")
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("profile add: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		rm := exec.Command(e.bin, "profile", "remove", name)
		rm.Env = e.environ(noEnvCreds...)
		rm.Run()
	})
	src := t.TempDir()
	big := randBytes(16<<20, 12)
	bigPath := write(t, filepath.Join(src, "big.bin"), big)

	// With the keyring: kill -9 mid-upload, relaunch, it resumes by itself.
	a := e.launchPlain(noEnvCreds, bigPath)
	e.waitProgress(a, bigPath, 2<<20)
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	a = e.launchPlain(noEnvCreds, "--resume", "always")
	e.waitNoUnfinished(a)
	if got, err := e.srv.ReadObject(e.srv.Bucket(), "big.bin"); err != nil || !bytes.Equal(got, big) {
		t.Fatalf("with the keyring: object %d bytes, %v", len(got), err)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	<-a.done

	// Without a keyring (no session bus): the secret is not there next time.
	noKeyring := append([]string{"DBUS_SESSION_BUS_ADDRESS=unix:path=" + filepath.Join(e.home, "no-bus")}, noEnvCreds...)
	big2 := randBytes(16<<20, 13)
	big2Path := write(t, filepath.Join(src, "big2.bin"), big2)
	a = e.launchPlain(noEnvCreds, big2Path)
	e.waitProgress(a, big2Path, 2<<20)
	a.cmd.Process.Signal(syscall.SIGKILL)
	<-a.done
	before, _ := transfer.ListUnfinished(e.stateDir())
	a = e.launchPlain(noKeyring, "--resume", "always")
	time.Sleep(2 * time.Second)
	after, _ := transfer.ListUnfinished(e.stateDir())
	if len(before) != 1 || len(after) != 1 || after[0].Done != before[0].Done {
		t.Fatalf("the upload did not wait with its progress: before %+v after %+v", before, after)
	}
	e.screenshot("journey-04-waiting-for-secret.png")
	// The window asks once, with the focus in the secret field: type it, Enter.
	id := strings.Fields(e.xdotool("search", "--onlyvisible", "--name", mainWindowTitle))[0]
	e.xdotool("windowactivate", "--sync", id)
	e.xdotool("type", "--delay", "5", e.srv.AccessKeySecret)
	e.xdotool("key", "Return")
	e.waitNoUnfinished(a)
	if got, err := e.srv.ReadObject(e.srv.Bucket(), "big2.bin"); err != nil || !bytes.Equal(got, big2) {
		t.Fatalf("after entering the secret: object %d bytes, %v", len(got), err)
	}
	a.cmd.Process.Signal(syscall.SIGTERM)
	<-a.done
}
