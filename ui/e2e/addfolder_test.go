package e2e

import (
	"bytes"
	"image"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/theme"
)

// Add folder… on the real binary with no flags and no saved settings: the
// folder is chosen in the file dialog with the mouse, a confirmation says
// how many files and bytes will upload, nothing is queued before Upload is
// pressed, and hidden files stay home unless their box is ticked.

// photos is the folder the user adds: three files to upload, and three
// hidden ones (a dotfile, a file in a hidden folder, a dotfile further down).
type photos struct {
	dir           string
	visible       map[string][]byte // key → bytes
	hidden        map[string][]byte
	bytes, hbytes int64
	files, hfiles int
	home          string // $HOME, holding only the folder
	homeEnv       []string
}

func makePhotos(e *env) *photos {
	e.t.Helper()
	p := &photos{home: filepath.Join(e.home, "home"), visible: map[string][]byte{}, hidden: map[string][]byte{}}
	p.dir = filepath.Join(p.home, "photos")
	for rel, data := range map[string][]byte{
		"beach.jpg":             randBytes(300_000, 31),
		"notes.txt":             []byte("trip notes\n"),
		"album/2024/sunset.png": randBytes(150_000, 32),
	} {
		write(e.t, filepath.Join(p.dir, rel), data)
		p.visible["photos/"+rel] = data
		p.files++
		p.bytes += int64(len(data))
	}
	for rel, data := range map[string][]byte{
		".env":            []byte("KEY=1\n"),
		".git/config":     []byte("[core]\n"),
		"album/.DS_Store": randBytes(4096, 33),
	} {
		write(e.t, filepath.Join(p.dir, rel), data)
		p.hidden["photos/"+rel] = data
		p.hfiles++
		p.hbytes += int64(len(data))
	}
	// The file dialog opens at home; the user's home holds just the folder.
	p.homeEnv = append([]string{"HOME=" + p.home}, noEnvCreds...)
	return p
}

// openFolderDialog presses Ctrl+Shift+O and waits for the file dialog and
// its Open button; it tells the folder icons and how deep the folder shown
// is (its path buttons).
func (e *env) openFolderDialog(a *app, name string) (open button, icons []button, depth int) {
	e.t.Helper()
	e.focusWindow()
	e.xdotool("key", "ctrl+shift+o")
	e.waitScreen(a, name, func(img image.Image, r image.Rectangle) bool {
		ps := findButtons(img, r, fills(theme.ColorNamePrimary))
		icons = folderIcons(img, r)
		if len(ps) == 0 || len(icons) == 0 {
			return false
		}
		// Open is the lowest primary button (the tab behind the dialog is
		// dimmed anyway).
		sort.Slice(ps, func(i, j int) bool { return ps[i].y0 > ps[j].y0 })
		open = ps[0]
		depth = len(breadcrumbs(img, r, icons))
		return true
	})
	return open, icons, depth
}

// depth is how many path buttons the file dialog shows for dir: "/" and one
// per folder.
func depth(dir string) int {
	return len(strings.Split(strings.Trim(filepath.ToSlash(dir), "/"), "/")) + 1
}

// chooseFolder goes from the dialog at home into the folder shown first
// (after "(Parent)") with a click, and presses Open.
func (e *env) chooseFolder(a *app, p *photos) {
	e.t.Helper()
	open, icons, n := e.openFolderDialog(a, "add-folder-01-dialog.png")
	if n != depth(p.home) || len(icons) != 2 {
		e.t.Fatalf("the folder dialog should open at home (%d path buttons), showing (Parent) and photos: %d path buttons, folder icons %v",
			depth(p.home), n, icons)
	}
	e.click(icons[1])
	// In the folder: one path button more.
	e.waitScreen(a, "add-folder-02-in-photos.png", func(img image.Image, r image.Rectangle) bool {
		return len(breadcrumbs(img, r, folderIcons(img, r))) == depth(p.dir)
	})
	e.click(open)
}

// folderConfirm is the Add folder confirmation on the screen.
type folderConfirm struct{ cancel, upload, box button }

// waitFolderConfirm waits for the confirmation: Cancel and Upload side by
// side, and above them the unticked box for hidden files.
func (e *env) waitFolderConfirm(a *app, name string) folderConfirm {
	e.t.Helper()
	var c folderConfirm
	e.waitScreen(a, name, func(img image.Image, r image.Rectangle) bool {
		ps := findButtons(img, r, fills(theme.ColorNamePrimary))
		bs := plainButtons(img, r)
		boxes := tickBoxes(img, r, false)
		if len(ps) != 1 || len(boxes) != 1 {
			return false
		}
		// The confirmation's two buttons sit side by side, centred in the
		// window; the folder dialog's Cancel and Open sit at its right edge
		// (and its folder icons can pass for a tick box while it closes).
		mid := (r.Min.X + r.Max.X) / 2
		for _, b := range bs {
			if near(b.y0, ps[0].y0, 2) && b.x1 < ps[0].x0 && boxes[0].y1 < b.y0 && near((b.x0+ps[0].x1)/2, mid, 40) {
				c = folderConfirm{cancel: b, upload: ps[0], box: boxes[0]}
				return true
			}
		}
		return false
	})
	return c
}

// askedFor checks the window's record of the confirmation it showed: the
// folder, its files and bytes, hidden ones counted apart.
func (e *env) askedFor(p *photos, times int) {
	e.t.Helper()
	asks := e.logEntries("ask before queuing folder")
	if len(asks) != times {
		e.t.Fatalf("the window asked %d times about a folder, want %d: %v", len(asks), times, asks)
	}
	l := asks[len(asks)-1]
	want := logEntry{"folder": p.dir, "files": float64(p.files + p.hfiles), "bytes": float64(p.bytes + p.hbytes),
		"hidden_files": float64(p.hfiles), "hidden_bytes": float64(p.hbytes), "problems": float64(0)}
	for k, v := range want {
		if l[k] != v {
			e.t.Fatalf("the confirmation counted %s = %v, want %v (%v)", k, l[k], v, l)
		}
	}
}

// waitRows waits until the list shows rows instead of its empty state, whose
// "Add files…" and "Add folder…" buttons sit side by side mid-window.
func (e *env) waitRows(a *app, name string) {
	e.t.Helper()
	e.waitScreen(a, name, func(img image.Image, r image.Rectangle) bool {
		mid := image.Rect(r.Min.X, r.Min.Y+r.Dy()/3, r.Max.X, r.Max.Y-r.Dy()/3)
		n := 0
		for _, b := range plainButtons(img, r) {
			if image.Pt(b.center()).In(mid) {
				n++
			}
		}
		return n == 0
	})
}

// quietFor watches, for a while, that nothing gets queued: absence has no
// event to wait for.
func (e *env) quietFor(d time.Duration, when string) {
	e.t.Helper()
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		e.nothingQueued(when)
		time.Sleep(200 * time.Millisecond)
	}
	e.nothingQueued(when)
}

// checkLocalBucket checks, with ossdrop closed, that the Local bucket holds
// exactly want, byte for byte.
func (e *env) checkLocalBucket(want map[string][]byte) {
	e.t.Helper()
	s := e.localBucket()
	defer s.Close()
	keys := s.Keys("local")
	if len(keys) != len(want) {
		e.t.Fatalf("the Local bucket holds %v, want exactly %d objects", keys, len(want))
	}
	for k, data := range want {
		got, err := s.ReadObject("local", k)
		if err != nil || !bytes.Equal(got, data) {
			e.t.Fatalf("object %s: %d bytes (%v), want the %d-byte file", k, len(got), err, len(data))
		}
	}
}

func TestRealAddFolderAsksFirst(t *testing.T) {
	e := setupWindow(t)
	e.startWM()
	p := makePhotos(e)
	a := e.launchPlain(p.homeEnv)

	// The folder is chosen; the confirmation shows and nothing is queued.
	e.chooseFolder(a, p)
	c := e.waitFolderConfirm(a, "add-folder-03-confirm.png")
	e.askedFor(p, 1)
	e.readmePicture("window-add-folder.png")
	e.quietFor(time.Second, "with the confirmation on the screen")

	// Cancel: the confirmation goes, and still nothing is queued.
	e.click(c.cancel)
	e.waitScreen(a, "add-folder-04-canceled.png", func(img image.Image, r image.Rectangle) bool {
		return !(dialogButtons{primary: findButtons(img, r, fills(theme.ColorNamePrimary))}).shows(c.upload)
	})
	e.quietFor(time.Second, "after Cancel")

	// Again: the dialog opens in the folder chosen last, Open, and Upload
	// with the box left alone uploads the files but not the hidden ones.
	open, _, n := e.openFolderDialog(a, "add-folder-05-dialog-again.png")
	if n != depth(p.dir) {
		t.Fatalf("the folder dialog opened with %d path buttons, not in the folder chosen last (%d)", n, depth(p.dir))
	}
	e.click(open)
	c = e.waitFolderConfirm(a, "add-folder-06-confirm-again.png")
	e.askedFor(p, 2)
	e.nothingQueued("before Upload")
	e.click(c.upload)
	want := map[string]string{}
	for k := range p.visible {
		want[k] = "done"
	}
	hs := e.waitHistory(a, 0, want)
	if len(hs) != p.files {
		t.Fatalf("the history lists %d uploads, want the %d visible files: %+v", len(hs), p.files, hs)
	}
	if l := e.logEntries("queue folder without hidden files"); len(l) != 1 || l[0]["files"] != float64(p.files) {
		t.Fatalf("queued: %v", l)
	}
	e.waitRows(a, "add-folder-07-uploaded.png")
	e.waitNoUnfinished(a)
	e.quit(a)
	e.checkLocalBucket(p.visible)
}

func TestRealAddFolderWithHiddenFiles(t *testing.T) {
	e := setupWindow(t)
	e.startWM()
	p := makePhotos(e)
	a := e.launchPlain(p.homeEnv)

	e.chooseFolder(a, p)
	c := e.waitFolderConfirm(a, "add-folder-hidden-01-confirm.png")
	e.askedFor(p, 1)
	e.click(c.box)
	e.waitScreen(a, "add-folder-hidden-02-ticked.png", func(img image.Image, r image.Rectangle) bool {
		for _, b := range tickBoxes(img, r, true) {
			if near(b.x0, c.box.x0, 3) && near(b.y0, c.box.y0, 3) {
				return true
			}
		}
		return false
	})
	e.nothingQueued("after ticking the box")
	e.click(c.upload)
	want := map[string]string{}
	all := map[string][]byte{}
	for _, m := range []map[string][]byte{p.visible, p.hidden} {
		for k, data := range m {
			want[k] = "done"
			all[k] = data
		}
	}
	e.waitHistory(a, 0, want)
	if l := e.logEntries("queue folder"); len(l) != 1 || l[0]["files"] != float64(p.files+p.hfiles) {
		t.Fatalf("queued: %v", l)
	}
	e.waitRows(a, "add-folder-hidden-03-uploaded.png")
	e.waitNoUnfinished(a)
	e.quit(a)
	e.checkLocalBucket(all)
}
