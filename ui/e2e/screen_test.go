package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"

	"github.com/ossdrop/ossdrop/transfer"
)

// What the window shows, found in screenshots by the theme's colours, and
// what it did, read from its log and its upload history: the helpers of the
// Add folder and exists-ask tests.

// waitScreen takes screenshots until ok accepts one, and fails after 60 s
// naming what it waited for and the last screenshot.
func (e *env) waitScreen(a *app, name string, ok func(img image.Image, r image.Rectangle) bool) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		img, r := e.lookImage(name)
		if ok(img, r) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not on the screen after 60s (see %s)", strings.TrimSuffix(name, ".png"), filepath.Join(e.artifacts, name))
		}
		select {
		case err := <-a.done:
			e.t.Fatalf("ossdrop exited while waiting for %s: %v\n%s", name, err, a.log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// focusWindow gives the ossdrop window the keyboard, as a click on its
// title bar does.
func (e *env) focusWindow() {
	e.t.Helper()
	id := strings.Fields(e.xdotool("search", "--onlyvisible", "--name", mainWindowTitle))[0]
	e.xdotool("windowactivate", "--sync", id)
}

// folderIcons are the file dialog's folder icons in reading order: solid
// areas of the text colour, icon-sized (text glyphs are smaller).
func folderIcons(img image.Image, r image.Rectangle) []button {
	icons := findAreas(img, r, fills(theme.ColorNameForeground), func(b button, n int) bool {
		w, h := b.x1-b.x0+1, b.y1-b.y0+1
		return w >= 30 && w <= 100 && h >= 24 && h <= 90 && n*10 >= w*h*6
	})
	sort.Slice(icons, func(i, j int) bool {
		if d := icons[i].y0 - icons[j].y0; d > 4 || d < -4 {
			return d < 0
		}
		return icons[i].x0 < icons[j].x0
	})
	return icons
}

// breadcrumbs are the file dialog's path buttons, one per folder from the
// root down to the one shown, in the row above its folder icons.
func breadcrumbs(img image.Image, r image.Rectangle, icons []button) []button {
	if len(icons) == 0 {
		return nil
	}
	top := icons[0].y0
	return findAreas(img, r, fills(theme.ColorNameButton), func(b button, n int) bool {
		w, h := b.x1-b.x0+1, b.y1-b.y0+1
		return w >= 12 && w <= 500 && h >= 24 && h <= 50 && n*10 >= w*h*5 && b.y1 < top && b.y0 > top-100
	})
}

// tickBoxes are check boxes: square areas of a check box's fill, the input
// background when unticked and the primary colour when ticked.
func tickBoxes(img image.Image, r image.Rectangle, ticked bool) []button {
	name := theme.ColorNameInputBackground
	if ticked {
		name = theme.ColorNamePrimary
	}
	return findAreas(img, r, fills(name), func(b button, n int) bool {
		w, h := b.x1-b.x0+1, b.y1-b.y0+1
		return w >= 10 && w <= 28 && h >= 10 && h <= 28 && w-h <= 3 && h-w <= 3 && n*10 >= w*h*5
	})
}

// plainButtons are the buttons painted in the normal button colour.
func plainButtons(img image.Image, r image.Rectangle) []button {
	return findButtons(img, r, fills(theme.ColorNameButton))
}

// near reports whether a and b are within d pixels of each other.
func near(a, b, d int) bool { return a-b <= d && b-a <= d }

// logEntry is one line of ossdrop.log.
type logEntry map[string]any

// logEntries returns the window's log lines whose message is msg.
func (e *env) logEntries(msg string) []logEntry {
	e.t.Helper()
	f, err := os.Open(filepath.Join(e.stateDir(), "ossdrop.log"))
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		e.t.Fatal(err)
	}
	defer f.Close()
	var out []logEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var l logEntry
		if json.Unmarshal(sc.Bytes(), &l) == nil && l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// waitLog waits until the window's log holds n lines whose message is msg
// and returns them.
func (e *env) waitLog(a *app, msg string, n int) []logEntry {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		if l := e.logEntries(msg); len(l) >= n {
			return l
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the log never held %d %q lines: %v", n, msg, e.logEntries(msg))
		}
		select {
		case err := <-a.done:
			e.t.Fatalf("ossdrop exited: %v\n%s", err, a.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// historyEntry is one upload of `ossdrop history --json`.
type historyEntry struct {
	Path  string `json:"path"`
	Key   string `json:"key"`
	State string `json:"state"`
}

// history lists the finished uploads, as the user's `ossdrop history` does.
func (e *env) history() []historyEntry {
	e.t.Helper()
	cmd := exec.Command(e.bin, "history", "--json")
	cmd.Env = e.environ(noEnvCreds...)
	out, err := cmd.Output()
	if err != nil {
		e.t.Fatalf("ossdrop history: %v\n%s", err, out)
	}
	var hs []historyEntry
	for _, l := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		if len(l) == 0 {
			continue
		}
		var h historyEntry
		if err := json.Unmarshal(l, &h); err != nil {
			e.t.Fatalf("ossdrop history line %q: %v", l, err)
		}
		hs = append(hs, h)
	}
	return hs
}

// waitHistory waits until the history holds at least one entry for each
// key with the state wanted (the newest entry for that key counts), and
// skip entries before the first skip ones.
func (e *env) waitHistory(a *app, skip int, want map[string]string) []historyEntry {
	e.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		hs := e.history()
		got := map[string]string{}
		if len(hs) > skip {
			for _, h := range hs[skip:] {
				got[h.Key] = h.State
			}
		}
		missing := ""
		for k, s := range want {
			if got[k] != s {
				missing = fmt.Sprintf("%s %s (history has %q)", k, s, got[k])
				break
			}
		}
		if missing == "" {
			return hs
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the history never showed %s: %+v", missing, hs)
		}
		select {
		case err := <-a.done:
			e.t.Fatalf("ossdrop exited while uploading: %v\n%s", err, a.log)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// nothingQueued checks that no file is queued or uploading: nothing recorded
// as unfinished (a queued file and a folder being walked are), no checkpoint,
// no "queue" line in the log.
func (e *env) nothingQueued(when string) {
	e.t.Helper()
	us, err := transfer.ListUnfinished(e.stateDir())
	cps, _ := filepath.Glob(filepath.Join(e.stateDir(), "checkpoints", "*.ucp"))
	if err != nil || len(us) != 0 || len(cps) != 0 {
		e.t.Fatalf("%s: files were queued: %+v (%v), checkpoints %v", when, us, err, cps)
	}
	for _, msg := range []string{"queue folder", "queue folder without hidden files", "queue dropped paths"} {
		if l := e.logEntries(msg); len(l) != 0 {
			e.t.Fatalf("%s: the window logged %q: %v", when, msg, l)
		}
	}
}

// readmePicture saves the ossdrop window as it is now (with the pointer
// parked off it) as assets/name, one of the README's pictures, when
// OSSDROP_UPDATE_SCREENSHOT=1.
func (e *env) readmePicture(name string) {
	e.t.Helper()
	if os.Getenv("OSSDROP_UPDATE_SCREENSHOT") != "1" {
		return
	}
	e.xdotool("mousemove", "1279", "799")
	id := strings.Fields(e.xdotool("search", "--onlyvisible", "--name", mainWindowTitle))[0]
	cmd := exec.Command("import", "-window", id, filepath.Join(repoRoot(e.t), "assets", name))
	cmd.Env = e.environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("README picture %s: %v\n%s", name, err, out)
	}
}
