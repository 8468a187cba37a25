//go:build unix

package transfer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

// walkBoth runs f with the system's folder walk and with the portable one.
// Tests using it are not parallel: they set portableWalk.
func walkBoth(t *testing.T, f func(t *testing.T)) {
	for _, portable := range []bool{false, true} {
		t.Run(fmt.Sprintf("portable=%v", portable), func(t *testing.T) {
			portableWalk.Store(portable)
			defer portableWalk.Store(false)
			f(t)
		})
	}
}

// collector is a walker that keeps what it would queue instead of queueing it.
func collector() *walker { return &walker{ctx: context.Background(), limit: 1 << 30} }

// TestWalkPathsAgree walks one tree of everything a folder can hold with both
// folder walks into a Manager: they must queue and fail the same entries with
// the same messages.
func TestWalkPathsAgree(t *testing.T) {
	root := filepath.Join(t.TempDir(), "tree")
	writeFile(t, root, "a.txt", []byte("a"))
	writeFile(t, root, "sub/b.txt", []byte("bb"))
	writeFile(t, root, ".hidden", []byte("h"))
	writeFile(t, root, ".git/config", []byte("c"))
	writeFile(t, root, "ünï/файл.bin", []byte("u"))
	for _, err := range []error{
		os.Symlink(filepath.Join(root, "a.txt"), filepath.Join(root, "link-to-a")),
		os.Symlink(filepath.Join(root, "sub"), filepath.Join(root, "link-to-sub")),
		os.Symlink(filepath.Join(root, "nowhere"), filepath.Join(root, "dangling")),
		os.Symlink(root, filepath.Join(root, "sub", "loop")),
		syscall.Mkfifo(filepath.Join(root, "pipe"), 0o644),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	results := map[bool][]string{}
	srv := newServer(t, ossemu.Options{})
	for _, skip := range []bool{false, true} {
		walkBoth(t, func(t *testing.T) {
			m := newManager(t, srv, "", nil)
			m.add([]string{root}, fmt.Sprintf("skip-%v", skip), skip)
			waitIdle(t, m)
			var got []string
			for _, ts := range m.Snapshot(nil) {
				s := ts.Key + " " + ts.State.String()
				if ts.Err != nil {
					s += ": " + ts.Err.Error()
				}
				got = append(got, s)
			}
			slices.Sort(got)
			if prev, ok := results[skip]; ok && !slices.Equal(prev, got) {
				t.Fatalf("the walks differ:\n%s\nand\n%s", strings.Join(prev, "\n"), strings.Join(got, "\n"))
			}
			results[skip] = got
			all := strings.Join(got, "\n")
			for _, want := range []string{
				"/tree/a.txt done", "/tree/sub/b.txt done", "/tree/ünï/файл.bin done",
				"/tree/link-to-a done", "/tree/link-to-sub/b.txt done",
				"dangling: cannot be followed", "pipe is not a regular file", "symbolic link loop",
			} {
				before, after, _ := strings.Cut(want, ": ")
				if !strings.Contains(all, before) || !strings.Contains(all, after) {
					t.Errorf("missing %q in:\n%s", want, all)
				}
			}
			if hidden := strings.Contains(all, ".hidden") || strings.Contains(all, ".git/config"); hidden == skip {
				t.Errorf("skipHidden=%v, hidden files listed %v:\n%s", skip, hidden, all)
			}
		})
	}
}

// An entry removed between the listing and its stat is reported by name.
func TestWalkEntryDeletedAfterListing(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "gone.txt", []byte("x"))
	walkBoth(t, func(t *testing.T) {
		w := collector()
		if portableWalk.Load() {
			ents, err := os.ReadDir(dir)
			if err != nil || len(ents) != 1 {
				t.Fatal(ents, err)
			}
			os.Remove(p)
			w.entries(dir, "k/", nil, ents)
		} else {
			// Only the system walk has an entry-level hook; on other systems
			// the portable case above is the one.
			if !entryAfterListing(t, w, dir, p) {
				t.Skip("no system-specific walk here")
			}
		}
		if len(w.batch) != 1 || w.batch[0].te == nil || w.batch[0].key != "k/gone.txt" ||
			!strings.Contains(w.batch[0].te.Message, "cannot read "+p+": no such file") {
			t.Fatalf("got %+v", w.batch)
		}
		writeFile(t, dir, "gone.txt", []byte("x"))
	})
}

// A folder that cannot be listed is reported as one failure naming it.
func TestWalkUnreadableFolder(t *testing.T) {
	walkBoth(t, func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root, "ok.txt", []byte("x"))
		locked := filepath.Join(root, "locked")
		writeFile(t, locked, "secret.txt", []byte("x"))
		if os.Geteuid() == 0 {
			// Permissions do not stop root: a folder gone before it is
			// opened takes the same branch.
			os.RemoveAll(locked)
			w := collector()
			w.walkDir(locked, "k/locked/", nil)
			if len(w.batch) != 1 || w.batch[0].te == nil || !strings.Contains(w.batch[0].te.Message, "cannot list folder "+locked+": no such file") {
				t.Fatalf("got %+v", w.batch)
			}
			return
		}
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(locked, 0o755)
		w := collector()
		w.add(root, "")
		var msgs []string
		for _, it := range w.batch {
			if it.te != nil {
				msgs = append(msgs, it.key+": "+it.te.Message)
			}
		}
		if len(w.batch) != 2 || len(msgs) != 1 || !strings.Contains(msgs[0], "cannot list folder "+locked+": permission denied") {
			t.Fatalf("got %d items, failures %q", len(w.batch), msgs)
		}
	})
}

// The system walk lists a big folder over several getdents calls and skips
// nothing.
func TestWalkBigFolder(t *testing.T) {
	dir := t.TempDir()
	const n = 5000 // well over one 64 KiB getdents batch of these names
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-with-a-longish-name-%05d.txt", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	walkBoth(t, func(t *testing.T) {
		s, err := Survey(context.Background(), []string{dir})
		if err != nil || s.Files != n || s.Problems != 0 {
			t.Fatalf("survey %+v, %v", s, err)
		}
	})
}

// A walk that leaves sizes for later queues regular files unsized and still
// reads what it must follow (a link), on both walks.
func TestWalkListsRegularFilesUnsized(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "a.txt", []byte("aaa"))
	writeFile(t, root, "sub/b.txt", []byte("bbbbb"))
	if err := os.Symlink(filepath.Join(root, "a.txt"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	walkBoth(t, func(t *testing.T) {
		for _, later := range []bool{false, true} {
			w := collector()
			w.sizeLater = later
			w.walkDir(root, "k/", nil)
			got := map[string]int64{}
			for _, it := range w.batch {
				if it.te != nil {
					t.Fatalf("%s: %v", it.key, it.te)
				}
				got[it.key] = it.size
			}
			want := map[string]int64{"k/a.txt": 3, "k/sub/b.txt": 5, "k/link": 3}
			if later {
				want["k/a.txt"], want["k/sub/b.txt"] = unsized, unsized
			}
			if len(got) != len(want) {
				t.Fatalf("sizeLater=%v: got %v, want %v", later, got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("sizeLater=%v: %s has size %d, want %d", later, k, got[k], v)
				}
			}
		}
	})
}
