package transfer

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

// Two sources that map to one key are never stored as one object: the on-exists
// policy decides what happens to the second.
func TestOneKeyOneSource(t *testing.T) {
	for _, pol := range []OnExists{Overwrite, Rename, Skip} {
		t.Run(pol.String(), func(t *testing.T) {
			s := newServer(t, ossemu.Options{})
			dir := t.TempDir()
			a := writeFile(t, dir, "d1/report.txt", []byte("first report"))
			b := writeFile(t, dir, "d2/report.txt", []byte("second report"))
			// Two dropped folders with the same name.
			pa := writeFile(t, dir, "x/photos/cat.jpg", []byte("cat from x"))
			pb := writeFile(t, dir, "y/photos/cat.jpg", []byte("cat from y"))
			m := newManager(t, s, "", func(o *Options) { o.OnExists = pol })
			m.Add([]string{a, b, filepath.Dir(pa), filepath.Dir(pb)}, "")
			waitIdle(t, m)
			byPath := map[string]TaskSnapshot{}
			for _, ts := range m.Snapshot(nil) {
				byPath[ts.Path] = ts
			}
			mustObject(t, s, "report.txt", []byte("first report"))
			mustObject(t, s, "photos/cat.jpg", []byte("cat from x"))
			for _, pair := range [][2]string{{a, b}, {pa, pb}} {
				first, second := byPath[pair[0]], byPath[pair[1]]
				if first.State != Done {
					t.Fatalf("first %+v", first)
				}
				switch pol {
				case Overwrite:
					if second.State != Failed || second.Err == nil || !strings.Contains(second.Err.Error(), pair[0]) || !strings.Contains(second.Err.Error(), pair[1]) {
						t.Fatalf("second %s %v: want a refusal naming both files", second.State, second.Err)
					}
				case Skip:
					if second.State != Skipped || !strings.Contains(second.Note, pair[0]) || second.NoteKinds != NotesOf(NoteKeyTakenSkipped) {
						t.Fatalf("second %s %q", second.State, second.Note)
					}
				case Rename:
					if second.State != Done || !strings.Contains(second.Key, " (1)") || !strings.Contains(second.Note, pair[0]) || second.NoteKinds != NotesOf(NoteRenamed) {
						t.Fatalf("second %+v", second)
					}
				}
			}
			if pol == Rename {
				mustObject(t, s, "report (1).txt", []byte("second report"))
				mustObject(t, s, "photos/cat (1).jpg", []byte("cat from y"))
			} else if n := len(s.Keys(s.Bucket())); n != 2 {
				t.Fatalf("%d objects: %q", n, s.Keys(s.Bucket()))
			}
		})
	}
}

// A file named `a\b` next to a folder a holding b: both become key a/b.
func TestBackslashNameMeetsFolder(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("a backslash is a separator there")
	}
	s := newServer(t, ossemu.Options{})
	root := filepath.Join(t.TempDir(), "root")
	writeFile(t, root, `a\b`, []byte("backslash"))
	writeFile(t, root, "a/b", []byte("slash"))
	m := newManager(t, s, "", nil)
	m.Add([]string{root}, "")
	waitIdle(t, m)
	var done, failed int
	for _, ts := range m.Snapshot(nil) {
		switch ts.State {
		case Done:
			done++
		case Failed:
			failed++
			if !strings.Contains(ts.Err.Error(), `a\b`) || !strings.Contains(ts.Err.Error(), "root/a/b") {
				t.Fatalf("refusal does not name both: %v", ts.Err)
			}
		}
	}
	if done != 1 || failed != 1 {
		t.Fatalf("done %d failed %d: %+v", done, failed, m.Snapshot(nil))
	}
}

// AddFile under an exact key taken by another file is refused with both names.
func TestAddFileKeyTaken(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", []byte("a"))
	b := writeFile(t, dir, "b.txt", []byte("b"))
	m := newManager(t, s, "", nil)
	if _, err := m.AddFile(a, "same.txt"); err != nil {
		t.Fatal(err)
	}
	_, err := m.AddFile(b, "same.txt")
	if err == nil || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), b) {
		t.Fatalf("err %v", err)
	}
	waitIdle(t, m)
	mustObject(t, s, "same.txt", []byte("a"))
}
