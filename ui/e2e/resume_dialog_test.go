package e2e

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"image"
	"image/color"
	_ "image/png" // screenshots
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer"
	"github.com/ossdrop/ossdrop/ui"
)

// The resume-on-launch dialog, answered with the mouse, on the real binary
// with no flags and no saved profiles: after kill -9 mid-upload to the Local
// bucket, a plain relaunch asks; "Resume all" finishes the object byte-exact,
// "Discard" aborts the multipart upload on the server, and either leaves no
// checkpoint, so the launch after that asks nothing.

// bigFileSize is large enough that, on defaults (no rate limit, 8 MiB parts,
// 4 in parallel over loopback), the upload is still running when the test
// sees its first confirmed part and kills the app.
const bigFileSize = 768 << 20

// writeBig writes size pseudo-random bytes to p without holding them in
// memory and returns their SHA-256.
func writeBig(t testing.TB, p string, size int64, seed byte) [sha256.Size]byte {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	var s [32]byte
	s[0] = seed
	if _, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rand.NewChaCha8(s), size)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var sum [sha256.Size]byte
	copy(sum[:], h.Sum(nil))
	return sum
}

// localBucket opens the Local bucket's data directory with ossemu; only while
// no ossdrop runs, as its server locks the directory.
func (e *env) localBucket() *ossemu.Server {
	e.t.Helper()
	s, err := ossemu.NewServer(ossemu.Options{Dir: filepath.Join(e.home, "data", "ossdrop", "local-bucket"), Buckets: []string{"local"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// killMidUpload waits until the upload of path has a part confirmed in its
// checkpoint, kills ossdrop with SIGKILL and checks the upload really was
// cut short: its object is absent and its multipart upload holds parts.
func (e *env) killMidUpload(a *app, path, key string) transfer.Unfinished {
	e.t.Helper()
	e.waitProgress(a, path, 1)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		e.t.Fatal(err)
	}
	<-a.done
	all, err := transfer.ListUnfinished(e.stateDir())
	// The file's record, and perhaps its walk's (the path as handed over),
	// whose end the kill may have beaten.
	var us []transfer.Unfinished
	for _, u := range all {
		if !u.Walk {
			us = append(us, u)
		} else if u.Path != path {
			e.t.Fatalf("after kill -9: a walk of %s recorded: %+v", u.Path, all)
		}
	}
	if err != nil || len(us) != 1 || us[0].Path != path || us[0].Dest != "local" || us[0].Done <= 0 || us[0].Done >= us[0].Size {
		e.t.Fatalf("after kill -9 mid-upload: %+v, %v", all, err)
	}
	if len(all) > 1 {
		e.t.Logf("the walk of %s is still recorded too", path)
	}
	s := e.localBucket()
	defer s.Close()
	if _, ok := s.Object("local", key); ok {
		e.t.Fatalf("%s was complete before the kill: the test proves nothing", key)
	}
	ups := s.Uploads("local")
	if len(ups) != 1 || ups[0].Key != key || len(ups[0].Parts) == 0 {
		e.t.Fatalf("after kill -9 the Local bucket should hold one multipart upload of %s with parts: %+v", key, ups)
	}
	e.t.Logf("killed at %d of %d bytes; the server holds %d parts", us[0].Done, us[0].Size, len(ups[0].Parts))
	return us[0]
}

// quit ends ossdrop gracefully (nothing is uploading) and wants exit code 0.
func (e *env) quit(a *app) {
	e.t.Helper()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		e.t.Fatal(err)
	}
	e.waitExit(a, 30*time.Second, "SIGTERM")
}

// A button as found on the screen: the bounding box of one solid area of its
// fill colour.
type button struct{ x0, y0, x1, y1 int }

func (b button) center() (int, int) { return (b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2 }
func (b button) String() string {
	return fmt.Sprintf("%dx%d at %d,%d", b.x1-b.x0+1, b.y1-b.y0+1, b.x0, b.y0)
}

// fills are the colours a button of importance name is painted with in the
// window's theme, light and dark (the system picks the variant).
func fills(name fyne.ThemeColorName) []color.NRGBA {
	th := fyneTheme()
	var out []color.NRGBA
	for _, v := range []fyne.ThemeVariant{theme.VariantLight, theme.VariantDark} {
		out = append(out, color.NRGBAModel.Convert(th.Color(name, v)).(color.NRGBA))
	}
	return out
}

// fyneTheme is the window's theme; Fyne's stock theme reads the user's
// primary colour from the current app, so there must be one.
var fyneTheme = sync.OnceValue(func() fyne.Theme {
	test.NewApp()
	return ui.NewTheme(nil)
})

// findButtons returns the button-sized solid areas of one of the colours cs
// inside the rectangle r of img.
func findButtons(img image.Image, r image.Rectangle, cs []color.NRGBA) []button {
	// A button: wider than tall, of a text line's height, mostly fill (its
	// label and icon are the holes).
	return findAreas(img, r, cs, func(b button, n int) bool {
		w, h := b.x1-b.x0+1, b.y1-b.y0+1
		return w >= 40 && w <= 400 && h >= 20 && h <= 80 && n*10 >= w*h*4
	})
}

// findAreas returns the 4-connected solid areas of one of the colours cs
// inside the rectangle r of img that keep accepts, given each area's
// bounding box and its number of pixels.
func findAreas(img image.Image, r image.Rectangle, cs []color.NRGBA, keep func(b button, n int) bool) []button {
	r = r.Intersect(img.Bounds())
	match := func(x, y int) bool {
		c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
		for _, w := range cs {
			if c == w {
				return true
			}
		}
		return false
	}
	seen := make([]bool, r.Dx()*r.Dy())
	idx := func(x, y int) int { return (y-r.Min.Y)*r.Dx() + x - r.Min.X }
	var out []button
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if seen[idx(x, y)] || !match(x, y) {
				continue
			}
			// Flood-fill one 4-connected area.
			b, n := button{x, y, x, y}, 0
			stack := [][2]int{{x, y}}
			seen[idx(x, y)] = true
			for len(stack) > 0 {
				p := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				n++
				b.x0, b.y0, b.x1, b.y1 = min(b.x0, p[0]), min(b.y0, p[1]), max(b.x1, p[0]), max(b.y1, p[1])
				for _, d := range [4][2]int{{1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
					q := image.Pt(p[0]+d[0], p[1]+d[1])
					if q.In(r) && !seen[idx(q.X, q.Y)] && match(q.X, q.Y) {
						seen[idx(q.X, q.Y)] = true
						stack = append(stack, [2]int{q.X, q.Y})
					}
				}
			}
			if keep(b, n) {
				out = append(out, b)
			}
		}
	}
	return out
}

// dialogButtons is what a screenshot of the window shows: the primary
// (HighImportance) and danger buttons.
type dialogButtons struct{ primary, danger []button }

// look takes a screenshot with the pointer parked off the window (a hovered
// button changes colour) and finds the window's buttons.
func (e *env) look(name string) dialogButtons {
	e.t.Helper()
	img, r := e.lookImage(name)
	return dialogButtons{
		primary: findButtons(img, r, fills(theme.ColorNamePrimary)),
		danger:  findButtons(img, r, fills(theme.ColorNameError)),
	}
}

// lookImage takes a screenshot with the pointer parked off the window and
// returns it with the window's place in it.
func (e *env) lookImage(name string) (image.Image, image.Rectangle) {
	e.t.Helper()
	e.xdotool("mousemove", "1279", "799")
	wx, wy, ww, wh := e.geometry()
	p := e.screenshot(name)
	f, err := os.Open(p)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		e.t.Fatalf("screenshot %s: %v", p, err)
	}
	return img, image.Rect(wx, wy, wx+ww, wy+wh)
}

// resumeDialog reports the resume dialog's Discard and Resume all buttons: a
// danger and a primary button side by side in one row, the danger one left.
func (d dialogButtons) resumeDialog() (discard, resumeAll button, ok bool) {
	if len(d.primary) != 1 || len(d.danger) != 1 {
		return button{}, button{}, false
	}
	p, q := d.primary[0], d.danger[0]
	_, py := p.center()
	_, qy := q.center()
	if py-qy > 2 || qy-py > 2 || q.x1 >= p.x0 {
		return button{}, button{}, false
	}
	return q, p, true
}

// shows reports whether a button of either colour covers part of b.
func (d dialogButtons) shows(b button) bool {
	for _, o := range append(append([]button(nil), d.primary...), d.danger...) {
		if o.x0 <= b.x1 && b.x0 <= o.x1 && o.y0 <= b.y1 && b.y0 <= o.y1 {
			return true
		}
	}
	return false
}

// waitFor takes screenshots until ok accepts what they show.
func (e *env) waitFor(a *app, what string, ok func(dialogButtons) bool) {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for n := 0; ; n++ {
		name := fmt.Sprintf("resume-dialog-%s.png", what)
		d := e.look(name)
		if ok(d) {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not on the screen after 60s (primary buttons %v, danger %v; see %s)",
				what, d.primary, d.danger, filepath.Join(e.artifacts, name))
		}
		select {
		case err := <-a.done:
			e.t.Fatalf("ossdrop exited while waiting for %s: %v\n%s", what, err, a.log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// click moves the pointer onto b and clicks it, as a hand on a mouse would.
func (e *env) click(b button) {
	e.t.Helper()
	x, y := b.center()
	e.xdotool("mousemove", "--sync", strconv.Itoa(x-6), strconv.Itoa(y-3))
	e.xdotool("mousemove", "--sync", strconv.Itoa(x), strconv.Itoa(y))
	e.xdotool("click", "1")
}

// askAfterKill queues a large file on the Local bucket with no flags and no
// saved profiles, kills ossdrop mid-upload, relaunches it with no flags and
// waits for the resume dialog.
func (e *env) askAfterKill(name string, seed byte) (a *app, path string, sum [sha256.Size]byte, discard, resumeAll button) {
	e.t.Helper()
	path = filepath.Join(e.t.TempDir(), name)
	sum = writeBig(e.t, path, bigFileSize, seed)
	a = e.launchPlain(noEnvCreds, path)
	e.killMidUpload(a, path, name)
	a = e.launchPlain(noEnvCreds)
	shown := time.Now()
	e.waitFor(a, "asks", func(d dialogButtons) bool {
		var ok bool
		discard, resumeAll, ok = d.resumeDialog()
		return ok
	})
	e.t.Logf("the resume dialog was on the screen %v after the window", time.Since(shown).Round(time.Millisecond))
	return a, path, sum, discard, resumeAll
}

// noCheckpoint checks that nothing is recorded as unfinished.
func (e *env) noCheckpoint() {
	e.t.Helper()
	us, err := transfer.ListUnfinished(e.stateDir())
	cps, _ := filepath.Glob(filepath.Join(e.stateDir(), "checkpoints", "*"))
	if err != nil || len(us) != 0 || len(cps) != 0 {
		e.t.Fatalf("left behind: unfinished %+v (%v), checkpoint files %v", us, err, cps)
	}
}

func TestRealResumeDialogResumeAll(t *testing.T) {
	e := setupWindow(t)
	a, path, sum, discard, resumeAll := e.askAfterKill("big.iso", 21)
	t.Logf("Resume all is %v", resumeAll)
	e.click(resumeAll)
	e.waitFor(a, "gone", func(d dialogButtons) bool { return !d.shows(discard) && !d.shows(resumeAll) })
	e.waitNoUnfinished(a)
	e.screenshot("resume-dialog-resumed.png")
	e.quit(a)
	e.noCheckpoint()

	s := e.localBucket()
	defer s.Close()
	if ups := s.Uploads("local"); len(ups) != 0 {
		t.Fatalf("multipart uploads left in the Local bucket: %+v", ups)
	}
	rc, info, err := s.OpenObject("local", filepath.Base(path))
	if err != nil {
		t.Fatalf("Local bucket object %s: %v (keys %v)", filepath.Base(path), err, s.Keys("local"))
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		t.Fatal(err)
	}
	if n != bigFileSize || !bytes.Equal(h.Sum(nil), sum[:]) {
		t.Fatalf("the Local bucket holds %d bytes (%+v) that differ from the %d-byte file", n, info, int64(bigFileSize))
	}
}

func TestRealResumeDialogDiscard(t *testing.T) {
	e := setupWindow(t)
	a, _, _, discard, resumeAll := e.askAfterKill("discard.iso", 22)
	t.Logf("Discard is %v", discard)
	e.click(discard)
	// Discard asks to confirm, with a primary Discard and no danger button.
	var confirm button
	// Until the click is handled the resume dialog stays, its Discard
	// repainted pressed: wait for it to go and the confirmation to show.
	e.waitFor(a, "confirm", func(d dialogButtons) bool {
		if len(d.primary) == 1 && len(d.danger) == 0 && !d.shows(discard) && !d.shows(resumeAll) {
			confirm = d.primary[0]
			return true
		}
		return false
	})
	t.Logf("the confirming Discard is %v", confirm)
	e.click(confirm)
	e.waitFor(a, "discarded", func(d dialogButtons) bool { return !d.shows(confirm) })
	e.waitNoUnfinished(a)
	e.quit(a)
	e.noCheckpoint()

	s := e.localBucket()
	if ups := s.Uploads("local"); len(ups) != 0 {
		t.Fatalf("Discard left the multipart upload on the server: %+v", ups)
	}
	if keys := s.Keys("local"); len(keys) != 0 {
		t.Fatalf("Discard left objects in the Local bucket: %v", keys)
	}
	s.Close()

	// The next launch has nothing to ask about. Absence has no event to poll
	// for: watch for the dialog for a while, several times longer than it
	// took to show after the kill.
	a = e.launchPlain(noEnvCreds)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, _, ok := e.look("resume-dialog-again.png").resumeDialog(); ok {
			t.Fatal("the launch after Discard asked to resume again")
		}
		time.Sleep(300 * time.Millisecond)
	}
	e.quit(a)
}
