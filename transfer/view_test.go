package transfer

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestChangesFollowLikeFullPass drives a Manager by hand (a drop listed in
// batches, uploads starting and finishing, tasks changing anywhere, removals,
// a change log overflowing, the cursor borrowed by Diff) and checks after
// every step that a cursor reading through the change log reports exactly
// what one passing over every task reports, whatever the limit.
func TestChangesFollowLikeFullPass(t *testing.T) {
	d := newViewDrop(t, 4)
	m := d.m
	rng := rand.New(rand.NewPCG(1, 2))
	var fast, full Cursor
	var fc, rc Changes
	fastPaths := 0
	read := func(step int, limit int) {
		t.Helper()
		m.Changes(&fast, &fc, limit)
		if fast.src != 0 {
			fastPaths++
		}
		full.src = 0 // always the pass over every task
		m.Changes(&full, &rc, limit)
		if fc.Reset != rc.Reset || fc.More != rc.More || !slices.Equal(fc.Removed, rc.Removed) || len(fc.Tasks) != len(rc.Tasks) {
			t.Fatalf("step %d limit %d: log reports %v removed %v reset %v more %v; full pass %v removed %v reset %v more %v",
				step, limit, ids(fc.Tasks), fc.Removed, fc.Reset, fc.More, ids(rc.Tasks), rc.Removed, rc.Reset, rc.More)
		}
		for i := range fc.Tasks {
			a, b := fc.Tasks[i], rc.Tasks[i]
			if a.ID != b.ID || a.Version != b.Version || a.State != b.State {
				t.Fatalf("step %d: task %d: log reports %d v%d %v, full pass %d v%d %v", step, i, a.ID, a.Version, a.State, b.ID, b.Version, b.State)
			}
		}
		if !slices.Equal(fast.ids, full.ids) || !slices.Equal(fast.vers, full.vers) {
			t.Fatalf("step %d: cursors differ", step)
		}
	}
	// A task of the list that is not uploading, or nil.
	still := func() *task {
		if len(m.tasks) == 0 {
			return nil
		}
		tk := m.tasks[rng.IntN(len(m.tasks))]
		if tk.moving() {
			return nil
		}
		return tk
	}
	limits := []int{0, 1, 3, 50, 1000}
	for step := range 2000 {
		switch op := rng.IntN(20); {
		case op < 6:
			m.mu.Lock()
			d.addLocked(rng.IntN(40))
			d.stepLocked(rng.IntN(3))
			m.mu.Unlock()
		case op < 11:
			m.mu.Lock()
			for range rng.IntN(5) {
				if tk := still(); tk != nil {
					if rng.IntN(2) == 0 {
						m.touchLocked(tk)
					} else {
						m.setStateLocked(tk, []State{Paused, Queued, Failed}[rng.IntN(3)])
					}
				}
			}
			m.mu.Unlock()
		case op < 12:
			m.mu.Lock()
			tk := still()
			m.mu.Unlock()
			if tk != nil {
				if err := m.Remove(tk.id); err != nil {
					t.Fatal(err)
				}
			}
		case op == 12 && step%10 == 0:
			m.ClearFinished()
		case op == 13 && step%50 == 0:
			// A change, then more than the log keeps.
			m.mu.Lock()
			if a, b := still(), still(); a != nil && b != nil && a != b {
				m.touchLocked(a)
				for range changeLogMax + 1 {
					m.touchLocked(b)
				}
			}
			m.mu.Unlock()
		case op == 14 && step%5 == 0:
			// Another source borrows both cursors: the same tasks at other
			// versions, sometimes out of add order (they reset).
			all := m.Snapshot(nil)
			for i := range all {
				all[i].Version += uint64(rng.IntN(2))
			}
			if len(all) > 2 && rng.IntN(4) == 0 {
				all[0], all[1] = all[1], all[0]
			}
			fast.Diff(all, &fc, 0)
			full.Diff(all, &rc, 0)
		}
		read(step, limits[rng.IntN(len(limits))])
	}
	if fastPaths < 500 {
		t.Fatalf("the change log served %d reads of 2000", fastPaths)
	}
}

// TestChangesPiecesWhileUploading reads a real Manager in small pieces while
// a folder is walked and uploaded, so tasks already reported finish while
// later ones are still being read; once idle, the view must hold every
// task's final state.
func TestChangesPiecesWhileUploading(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	m := newManager(t, s, "", nil)
	dir := t.TempDir()
	const n = 200
	for i := range n {
		writeFile(t, dir, fmt.Sprintf("f%03d", i), randBytes(100, uint64(i)))
	}
	var cur Cursor
	var c Changes
	view := map[TaskID]TaskSnapshot{}
	read := func() {
		m.Changes(&cur, &c, 9)
		for _, id := range c.Removed {
			delete(view, id)
		}
		for _, s := range c.Tasks {
			view[s.ID] = s
		}
	}
	m.Add([]string{dir}, "up")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	idle := make(chan error, 1)
	go func() { idle <- m.Wait(ctx) }()
	// As the window does: pieces back to back while there are more, then
	// wait for the next change.
	for waiting := true; waiting; {
		if read(); c.More {
			continue
		}
		select {
		case err := <-idle:
			if err != nil {
				t.Fatal(err)
			}
			waiting = false
		case <-m.Changed():
		}
	}
	for read(); c.More; read() {
	}
	all := m.Snapshot(nil)
	if len(all) != n || len(view) != n {
		t.Fatalf("%d tasks, view holds %d, want %d", len(all), len(view), n)
	}
	for _, s := range all {
		v := view[s.ID]
		if v.Version != s.Version || v.State != s.State || s.State != Done {
			t.Fatalf("task %d: view has v%d %v, Manager v%d %v", s.ID, v.Version, v.State, s.Version, s.State)
		}
	}
}

// TestChangeLogBounded checks the log forgets its oldest half when full and
// then says it no longer reaches back.
func TestChangeLogBounded(t *testing.T) {
	var l changeLog
	l.add(1)
	if l.seq() != 0 {
		t.Fatalf("logged %d changes before a cursor followed", l.seq())
	}
	l.follow()
	for i := range changeLogMax + 1 {
		l.add(TaskID(i))
	}
	if got, ok := l.since(0); ok {
		t.Fatalf("since 0 after overflow: %d entries", len(got))
	}
	if got, ok := l.since(l.seq() - 2); !ok || !slices.Equal(got, []TaskID{changeLogMax - 1, changeLogMax}) {
		t.Fatalf("last two: %v %v", got, ok)
	}
	if len(l.ids) > changeLogMax {
		t.Fatalf("log holds %d entries", len(l.ids))
	}
}

// TestVersionBumpsLogged fails if a task's version is changed anywhere but
// touchLocked: Changes would not find that change in the log and a window
// would keep showing the task as it was.
func TestVersionBumpsLogged(t *testing.T) {
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Name.Name == "touchLocked" {
				continue
			}
			ast.Inspect(decl, func(n ast.Node) bool {
				var lhs []ast.Expr
				switch s := n.(type) {
				case *ast.IncDecStmt:
					lhs = []ast.Expr{s.X}
				case *ast.AssignStmt:
					lhs = s.Lhs
				}
				for _, e := range lhs {
					if sel, ok := e.(*ast.SelectorExpr); ok && sel.Sel.Name == "version" {
						t.Errorf("%s: a task's version changes outside touchLocked", fset.Position(sel.Pos()))
					}
				}
				return true
			})
		}
	}
}
