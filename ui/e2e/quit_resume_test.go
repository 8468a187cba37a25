package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/transfer"
)

// A folder of many files on the Local bucket, quit (SIGTERM, as a logout
// does) with most of it still queued; the relaunch offers it, Resume all,
// and a kill -9 part way through the resumed run; the launch after that
// offers the rest, which completes. Every file ends in the Local bucket
// byte-exact, none twice: the quit keeps the queue as journaled, the
// resumed run records the files as its own, and neither loses one.
func TestRealQuitResumeKillResumeFolder(t *testing.T) {
	e := setupWindow(t)
	e.slowLocalBucket() // 4 MiB/s: the folder takes seconds
	dir := filepath.Join(t.TempDir(), "photos")
	const n = 1000 // so few finish before the quit that the queue is kept as journaled
	want := map[string][]byte{}
	for i := range n {
		data := randBytes(48<<10, uint64(1000+i))
		write(t, filepath.Join(dir, fmt.Sprintf("IMG_%04d.jpg", i)), data)
		want[fmt.Sprintf("photos/IMG_%04d.jpg", i)] = data
	}
	// unfinishedAtMost waits until at most k files are left unfinished.
	unfinishedAtMost := func(a *app, k int) int {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			us, _ := transfer.ListUnfinished(e.stateDir())
			if len(us) <= k {
				return len(us)
			}
			if time.Now().After(deadline) {
				t.Fatalf("still %d unfinished, waited for %d", len(us), k)
			}
			select {
			case err := <-a.done:
				t.Fatalf("ossdrop exited while uploading: %v\n%s", err, a.log)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	resumeAll := func(a *app, what string) {
		t.Helper()
		var discard, all button
		e.waitFor(a, what, func(d dialogButtons) bool {
			var ok bool
			discard, all, ok = d.resumeDialog()
			return ok
		})
		e.click(all)
		e.waitFor(a, what+"-gone", func(d dialogButtons) bool { return !d.shows(discard) && !d.shows(all) })
	}

	a := e.launchPlain(nil, dir)
	unfinishedAtMost(a, n-1) // uploading: quit with most of it queued
	e.quit(a)
	us, err := transfer.ListUnfinished(e.stateDir())
	if err != nil || len(us) == 0 {
		t.Fatalf("after quitting mid-folder: %d unfinished listed (%v); the test proves nothing", len(us), err)
	}
	t.Logf("quit with %d of %d files unfinished", len(us), n)

	sizings := len(e.logEntries("sizes read"))
	a = e.launchPlain(nil)
	resumeAll(a, "quit-resume")
	// The files the walk queued before reading their sizes have them read
	// again once resumed: the window stops saying it reads them, and the
	// small ones go up side by side.
	e.waitLog(a, "sizes read", sizings+1)
	unfinishedAtMost(a, len(us)-20)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-a.done
	us, _ = transfer.ListUnfinished(e.stateDir())
	if len(us) == 0 {
		t.Fatal("everything finished before the kill: the test proves nothing")
	}
	t.Logf("killed the resumed run with %d files unfinished", len(us))
	// What is left, as `ossdrop list` shows it: every file named, and a size
	// not read yet shown as such, never as a wrapped-around 16 EiB.
	cmd := exec.Command(e.bin, "list")
	cmd.Env = e.environ(noEnvCreds...)
	if out, err := cmd.Output(); err != nil || bytes.Count(out, []byte("photos/IMG_")) < len(us) || bytes.Contains(out, []byte("EiB")) {
		t.Fatalf("ossdrop list after the kill (%d unfinished): %v\n%s", len(us), err, out)
	}

	a = e.launchPlain(nil)
	resumeAll(a, "kill-resume")
	e.waitNoUnfinished(a)
	e.quit(a)
	e.noCheckpoint()
	e.checkLocalBucket(want)
}
