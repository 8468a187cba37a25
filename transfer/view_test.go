package transfer

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ossdrop/ossdrop/ossemu"
)

func ids(s []TaskSnapshot) []TaskID {
	out := make([]TaskID, len(s))
	for i := range s {
		out[i] = s[i].ID
	}
	return out
}

func TestCursorDiff(t *testing.T) {
	mk := func(id int, st State, ver uint64) TaskSnapshot {
		return TaskSnapshot{ID: TaskID(id), Key: fmt.Sprint("k", id), State: st, Version: ver}
	}
	all := []TaskSnapshot{mk(1, Queued, 1), mk(2, Queued, 1), mk(3, Uploading, 1), mk(4, Done, 1)}
	var cur Cursor
	var c Changes
	cur.Diff(all, &c, 0)
	if got := ids(c.Tasks); !slices.Equal(got, []TaskID{1, 2, 3, 4}) || len(c.Removed) != 0 || c.Reset || c.More {
		t.Fatalf("first look: %v removed %v reset %v more %v", got, c.Removed, c.Reset, c.More)
	}
	// Nothing changed: only the moving task is reported.
	cur.Diff(all, &c, 0)
	if got := ids(c.Tasks); !slices.Equal(got, []TaskID{3}) || len(c.Removed) != 0 {
		t.Fatalf("unchanged: %v removed %v", got, c.Removed)
	}
	// A version bump, a removal in the middle and at the end, two new tasks.
	all = []TaskSnapshot{mk(1, Queued, 1), mk(3, Done, 2), mk(5, Queued, 1), mk(6, Queued, 1)}
	cur.Diff(all, &c, 0)
	if got := ids(c.Tasks); !slices.Equal(got, []TaskID{3, 5, 6}) || !slices.Equal(c.Removed, []TaskID{2, 4}) {
		t.Fatalf("changed: %v removed %v", got, c.Removed)
	}
	// A limit cuts the report; the rest comes next time.
	for i := 7; i <= 12; i++ {
		all = append(all, mk(i, Queued, 1))
	}
	all[0].Version = 5
	cur.Diff(all, &c, 4)
	if got := ids(c.Tasks); !slices.Equal(got, []TaskID{1, 7, 8, 9}) || !c.More {
		t.Fatalf("limited: %v more %v", got, c.More)
	}
	all = slices.Delete(all, 1, 2) // 3 goes while the rest is pending
	cur.Diff(all, &c, 4)
	if got := ids(c.Tasks); !slices.Equal(got, []TaskID{10, 11, 12}) || c.More || !slices.Equal(c.Removed, []TaskID{3}) {
		t.Fatalf("rest: %v more %v removed %v", got, c.More, c.Removed)
	}
	cur.Diff(all, &c, 4)
	if len(c.Tasks) != 0 || len(c.Removed) != 0 {
		t.Fatalf("settled: %v removed %v", ids(c.Tasks), c.Removed)
	}
	// A task that appears before ones already seen is still reported once.
	all = slices.Insert(all, 1, mk(2, Queued, 1))
	cur.Diff(all, &c, 0)
	if got := ids(c.Tasks); !slices.Equal(got, []TaskID{2}) || len(c.Removed) != 0 {
		t.Fatalf("inserted: %v removed %v", got, c.Removed)
	}
	cur.Diff(all, &c, 0)
	if len(c.Tasks) != 0 || len(c.Removed) != 0 {
		t.Fatalf("after insert: %v removed %v", ids(c.Tasks), c.Removed)
	}
	// Out of add order: start over.
	all[0], all[1] = all[1], all[0]
	cur.Diff(all, &c, 0)
	if !c.Reset || len(c.Tasks) != len(all) {
		t.Fatalf("out of order: reset %v, %d tasks", c.Reset, len(c.Tasks))
	}
	// Everything cleared.
	cur.Diff(nil, &c, 0)
	if len(c.Tasks) != 0 || len(c.Removed) != len(all) {
		t.Fatalf("cleared: %v removed %v", ids(c.Tasks), c.Removed)
	}
}

// TestManagerChanges follows a real Manager: adds, a finished upload, a
// removal and ClearFinished arrive as changes, and a quiet queue reports
// nothing.
func TestManagerChanges(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", nil)
	dir := t.TempDir()
	var files []FileKey
	for i := range 5 {
		files = append(files, FileKey{Path: writeFile(t, dir, fmt.Sprint("f", i), randBytes(10, uint64(i))), Key: fmt.Sprint("k", i)})
	}
	var cur Cursor
	var c Changes
	m.Changes(&cur, &c, 0)
	if len(c.Tasks) != 0 {
		t.Fatalf("empty manager reported %v", ids(c.Tasks))
	}
	got, err := m.AddFiles(files)
	if err != nil {
		t.Fatal(err)
	}
	waitIdle(t, m)
	m.Changes(&cur, &c, 2)
	if !c.More || len(c.Tasks) != 2 {
		t.Fatalf("limit 2: %v more %v", ids(c.Tasks), c.More)
	}
	seen := ids(c.Tasks)
	m.Changes(&cur, &c, 0)
	seen = append(seen, ids(c.Tasks)...)
	if !slices.Equal(seen, got) {
		t.Fatalf("reported %v, added %v", seen, got)
	}
	for _, s := range c.Tasks {
		if s.State != Done || s.Key == "" || s.Path == "" {
			t.Fatalf("snapshot %+v", s)
		}
	}
	m.Changes(&cur, &c, 0)
	if len(c.Tasks) != 0 || len(c.Removed) != 0 {
		t.Fatalf("quiet queue reported %v removed %v", ids(c.Tasks), c.Removed)
	}
	if err := m.Remove(got[1]); err != nil {
		t.Fatal(err)
	}
	m.Changes(&cur, &c, 0)
	if !slices.Equal(c.Removed, []TaskID{got[1]}) || len(c.Tasks) != 0 {
		t.Fatalf("after Remove: %v removed %v", ids(c.Tasks), c.Removed)
	}
	m.ClearFinished()
	m.Changes(&cur, &c, 0)
	if want := []TaskID{got[0], got[2], got[3], got[4]}; !slices.Equal(c.Removed, want) {
		t.Fatalf("after ClearFinished removed %v, want %v", c.Removed, want)
	}
}
