package e2e

import (
	"fmt"
	"image"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/theme"
)

// When an object already exists in the default Local bucket, the window
// asks (its default policy): each answer, clicked with the mouse on the real
// binary, does what it says to the object on the server, and "Apply to all
// in this batch" answers the rest of that batch, and only that batch.

// askDialog is the exists question on the screen: four buttons in two rows
// (Keep both, the primary one, top left; Skip if identical; Skip;
// Overwrite) and the "Apply to all in this batch" box above them.
type askDialog struct{ rename, same, skip, overwrite, box button }

// findAsk finds the exists question in a screenshot.
func findAsk(img image.Image, r image.Rectangle) (askDialog, bool) {
	var d askDialog
	for _, p := range findButtons(img, r, fills(theme.ColorNamePrimary)) {
		if p.x1-p.x0 < 100 {
			continue // a tab, not a button of the question
		}
		var same, skip, over *button
		bs := plainButtons(img, r)
		for i, b := range bs {
			switch {
			case near(b.y0, p.y0, 2) && b.x0 > p.x1 && near(b.x1-b.x0, p.x1-p.x0, 3):
				same = &bs[i]
			case near(b.x0, p.x0, 2) && b.y0 > p.y1 && b.y0-p.y1 < 20:
				skip = &bs[i]
			}
		}
		for i, b := range bs {
			if same != nil && skip != nil && near(b.x0, same.x0, 2) && near(b.y0, skip.y0, 2) {
				over = &bs[i]
			}
		}
		if same == nil || skip == nil || over == nil {
			continue
		}
		above := image.Rect(p.x0-4, p.y0-80, p.x0+60, p.y0)
		boxes := append(tickBoxes(img, r, false), tickBoxes(img, r, true)...)
		for _, b := range boxes {
			if image.Pt(b.x0, b.y0).In(above) {
				d = askDialog{rename: p, same: *same, skip: *skip, overwrite: *over, box: b}
				return d, true
			}
		}
	}
	return d, false
}

// waitAsk waits for the exists question.
func (e *env) waitAsk(a *app, name string) askDialog {
	e.t.Helper()
	var d askDialog
	e.waitScreen(a, name, func(img image.Image, r image.Rectangle) bool {
		var ok bool
		d, ok = findAsk(img, r)
		return ok
	})
	return d
}

// answer clicks one of the question's buttons and waits until the question
// is gone from the screen.
func (e *env) answer(a *app, b button, name string) {
	e.t.Helper()
	e.click(b)
	e.waitScreen(a, name, func(img image.Image, r image.Rectangle) bool {
		_, ok := findAsk(img, r)
		return !ok
	})
}

// handOver is a second launch with files, as "Open with ossdrop" in a file
// manager does: they go to the running window.
func (e *env) handOver(paths ...string) {
	e.t.Helper()
	cmd := exec.Command(e.bin, paths...)
	cmd.Env = e.environ(noEnvCreds...)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "already running") {
		e.t.Fatalf("handing %v to the running window: %v\n%s", paths, err, out)
	}
}

func TestRealExistsAsk(t *testing.T) {
	e := setupWindow(t)
	e.startWM()
	src := t.TempDir()
	names := []string{"a.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt", "g.txt", "h.txt"}
	old := map[string][]byte{}
	var paths []string
	for i, n := range names {
		old[n] = append([]byte("first version of "+n+"\n"), randBytes(20_000+i, uint64(40+i))...)
		paths = append(paths, write(t, filepath.Join(src, n), old[n]))
	}
	path := func(n string) string { return filepath.Join(src, n) }
	edit := func(n string) []byte {
		data := append([]byte("second version of "+n+"\n"), randBytes(30_000, uint64(n[0])+100)...)
		data = append(data, n...)
		write(t, path(n), data)
		return data
	}

	// Earlier, the files were uploaded to the Local bucket with defaults.
	up := exec.Command(e.bin, append([]string{"upload"}, paths...)...)
	up.Env = e.environ(noEnvCreds...)
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("ossdrop upload: %v\n%s", err, out)
	}
	seen := len(e.history())
	want := map[string][]byte{}
	for n, d := range old {
		want[n] = d
	}

	a := e.launchPlain(noEnvCreds)
	step := 0
	ask := func(files []string, shot string) askDialog {
		t.Helper()
		step++
		e.handOver(files...)
		return e.waitAsk(a, fmt.Sprintf("exists-%02d-%s.png", step, shot))
	}
	settled := func(states map[string]string) {
		t.Helper()
		hs := e.waitHistory(a, seen, states)
		seen = len(hs)
		e.waitNoUnfinished(a)
	}

	// Overwrite: the new version replaces the object.
	want["a.txt"] = edit("a.txt")
	d := ask([]string{path("a.txt")}, "overwrite")
	e.answer(a, d.overwrite, "exists-overwrite-answered.png")
	settled(map[string]string{"a.txt": "done"})

	// Skip: the object keeps the old version.
	edit("b.txt")
	d = ask([]string{path("b.txt")}, "skip")
	e.answer(a, d.skip, "exists-skip-answered.png")
	settled(map[string]string{"b.txt": "skipped"})

	// Skip if identical: an unchanged file is skipped...
	d = ask([]string{path("c.txt")}, "same-identical")
	e.answer(a, d.same, "exists-same-identical-answered.png")
	settled(map[string]string{"c.txt": "skipped"})
	// ... and a changed one uploads.
	want["d.txt"] = edit("d.txt")
	d = ask([]string{path("d.txt")}, "same-changed")
	e.answer(a, d.same, "exists-same-changed-answered.png")
	settled(map[string]string{"d.txt": "done"})

	// Keep both: the new version goes to "e (1).txt", the object stays.
	want["e (1).txt"] = edit("e.txt")
	d = ask([]string{path("e.txt")}, "rename")
	e.answer(a, d.rename, "exists-rename-answered.png")
	settled(map[string]string{"e (1).txt": "done"})

	// Two files in one batch: one question, ticked "apply to all", answers
	// both.
	want["f.txt"] = edit("f.txt")
	want["g.txt"] = edit("g.txt")
	d = ask([]string{path("f.txt"), path("g.txt")}, "apply-to-all")
	e.click(d.box)
	e.waitScreen(a, "exists-apply-to-all-ticked.png", func(img image.Image, r image.Rectangle) bool {
		for _, b := range tickBoxes(img, r, true) {
			if near(b.x0, d.box.x0, 3) && near(b.y0, d.box.y0, 3) {
				return true
			}
		}
		return false
	})
	e.readmePicture("window-exists-ask.png")
	e.answer(a, d.overwrite, "exists-apply-to-all-answered.png")
	settled(map[string]string{"f.txt": "done", "g.txt": "done"})

	// The next batch asks again.
	edit("h.txt")
	d = ask([]string{path("h.txt")}, "next-batch")
	e.answer(a, d.skip, "exists-next-batch-answered.png")
	settled(map[string]string{"h.txt": "skipped"})
	time.Sleep(300 * time.Millisecond) // the rows show their states
	e.screenshot("exists-99-done.png")
	e.readmePicture("window-exists-answers.png")
	e.quit(a)

	// On the server, byte for byte.
	s := e.localBucket()
	defer s.Close()
	if keys := s.Keys("local"); len(keys) != len(want) {
		t.Fatalf("the Local bucket holds %v, want %d objects", keys, len(want))
	}
	for k, data := range want {
		got, err := s.ReadObject("local", k)
		if err != nil || string(got) != string(data) {
			t.Errorf("object %s: %d bytes (%v), want %d bytes of the %s version", k, len(got), err, len(data),
				map[bool]string{true: "first", false: "second"}[string(data) == string(old[k])])
		}
	}
	e.noCheckpoint()
}
