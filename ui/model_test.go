package ui

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/ossdrop/ossdrop/transfer"
)

// oldMatch is the search rule as the window states it: the query, lower
// case, inside the lower-case name or "bucket/key".
func oldMatch(t transfer.TaskSnapshot, q string) bool {
	return strings.Contains(strings.ToLower(displayName(t)+"\x00"+destination(t.Bucket, t.Key)), q)
}

// viewIDs is what a view shows, as task IDs.
func viewIDs(m *rowModel, v rowsView) []transfer.TaskID {
	var out []transfer.TaskID
	if v.all {
		for i := range m.len() {
			out = append(out, m.at(i).id)
		}
		return out
	}
	for _, i := range v.idx {
		out = append(out, m.at(int(i)).id)
	}
	return out
}

// TestRowModelFollowsTheTasks checks the compact model against the full
// task list it stands for, through adds, state changes, renames, removals
// and a task added before known ones: tab counts, search (narrowing as the
// query grows, widening as it shrinks) and every order.
func TestRowModelFollowsTheTasks(t *testing.T) {
	names := []string{"IMG_0001.JPG", "Straße.txt", "notes.md", "ÇA va.png", "a/b", "report (1).pdf"}
	var tasks []transfer.TaskSnapshot
	add := func(n int) {
		for range n {
			id := len(tasks) + 1
			if len(tasks) > 0 {
				id = int(tasks[len(tasks)-1].ID) + 1
			}
			name := names[id%len(names)]
			key := fmt.Sprintf("Trip/%d/%s", id%7, name)
			if id%5 == 0 {
				key = fmt.Sprintf("renamed/%d.bin", id) // the name is not in the key
			}
			tasks = append(tasks, transfer.TaskSnapshot{ID: transfer.TaskID(id), Path: "/Home/ana/" + name, Key: key,
				Bucket: "Media", Size: int64(id * 37 % 1000), Sent: int64(id * 13 % 500), State: transfer.State(id % 10)})
		}
	}
	var m rowModel
	var f feed
	v := newRowView()
	check := func(step string) {
		t.Helper()
		if m.len() != len(tasks) {
			t.Fatalf("%s: %d rows for %d tasks", step, m.len(), len(tasks))
		}
		for _, q := range []string{"", "t", "tr", "trip/", "trip/3", "trip/3/", "img", "straße", "ça", "media/trip", "renamed", "1).pdf",
			"3/img", "a/b", "/a/", "ia/t", "/" + strings.Repeat("x", 70), "9/" + strings.Repeat("x", 70)} {
			v.spec.query = q
			for f := filterAll; f < nFilters; f++ {
				v.spec.filter = f
				for s := sortAdded; s <= sortProgress; s++ {
					v.spec.sort = s
					got, counts := v.build(&m)
					var want []transfer.TaskSnapshot
					var wantCounts tabCounts
					for _, x := range tasks {
						if q != "" && !oldMatch(x, q) {
							continue
						}
						wantCounts[filterAll]++
						wantCounts[tab(x.State)]++
						if f == filterAll || tab(x.State) == f {
							want = append(want, x)
						}
					}
					switch s {
					case sortName:
						slices.SortStableFunc(want, func(a, b transfer.TaskSnapshot) int {
							return strings.Compare(strings.ToLower(displayName(a)), strings.ToLower(displayName(b)))
						})
					case sortSize:
						slices.SortStableFunc(want, func(a, b transfer.TaskSnapshot) int { return int(b.Size - a.Size) })
					case sortState:
						slices.SortStableFunc(want, func(a, b transfer.TaskSnapshot) int { return stateRank[a.State] - stateRank[b.State] })
					case sortProgress:
						slices.SortStableFunc(want, func(a, b transfer.TaskSnapshot) int {
							fa, fb := fraction(a), fraction(b)
							switch {
							case fa > fb:
								return -1
							case fa < fb:
								return 1
							}
							return 0
						})
					}
					var wantIDs []transfer.TaskID
					for _, x := range want {
						wantIDs = append(wantIDs, x.ID)
					}
					if g := viewIDs(&m, got); !slices.Equal(g, wantIDs) || counts != wantCounts {
						t.Fatalf("%s: query %q tab %d sort %d:\n got %v %v\nwant %v %v", step, q, f, s, g, counts, wantIDs, wantCounts)
					}
				}
			}
		}
	}
	apply := func() { m.apply(f.diff(tasks)) }
	add(40)
	apply()
	check("first")
	// States move, a key is renamed, more tasks arrive.
	for i := range tasks {
		if i%3 == 0 {
			tasks[i].State = transfer.Done
			tasks[i].Sent = tasks[i].Size
		}
	}
	tasks[4].Key = "Other/Place/" + names[1]
	add(25)
	apply()
	check("changed")
	// Removals in the middle and at the ends.
	tasks = slices.DeleteFunc(tasks, func(x transfer.TaskSnapshot) bool { return x.ID%4 == 1 || x.ID == 65 })
	apply()
	check("removed")
	// A task added before known ones (IDs need not arrive in order).
	tasks = slices.Insert(tasks, 3, transfer.TaskSnapshot{ID: 5, Path: "/x/Late.TXT", Key: "late.txt", Bucket: "media", Size: 3})
	apply()
	check("inserted")
	// Everything but two goes, and the texts of the rest are compacted.
	for i := range 3000 {
		tasks[0].Key = fmt.Sprintf("spin/%d/%s", i, strings.Repeat("x", 200))
		apply()
	}
	// 660 kB of texts were written for one row; old ones are dropped.
	if m.used > 3*textBlock || len(m.text) > 3 {
		t.Fatalf("texts not compacted: %d bytes in %d blocks, %d unused", m.used, len(m.text), m.dead)
	}
	// Each rename went to a new folder; the table keeps those rows use.
	if len(m.dirs) > 1100 {
		t.Fatalf("folders not compacted: %d kept, %d unused", len(m.dirs), m.deadDirs)
	}
	check("compacted")
	tasks = tasks[:2]
	apply()
	check("cleared")
}

// TestRowModelBatchAndCounts checks the sums kept as rows change against
// sums over the rows.
func TestRowModelBatchAndCounts(t *testing.T) {
	var m rowModel
	var f feed
	tasks := make([]transfer.TaskSnapshot, 50)
	for i := range tasks {
		tasks[i] = transfer.TaskSnapshot{ID: transfer.TaskID(i + 1), Key: fmt.Sprint(i), Size: 100, State: transfer.Queued}
	}
	p := newProgressTracker(nil)
	step := func() batchTotals {
		c := f.diff(tasks)
		rows := m.apply(c)
		return p.update(&m, c.Tasks, rows)
	}
	b := step()
	if b.Files != 50 || b.Bytes != 5000 || !b.Running {
		t.Fatalf("batch %+v", b)
	}
	for i := range tasks {
		switch i % 4 {
		case 0:
			tasks[i].State = transfer.Done
		case 1:
			tasks[i].State, tasks[i].Sent = transfer.Uploading, 40
		case 2:
			tasks[i].State = transfer.Canceled
		}
	}
	b = step()
	var want batchTotals
	for i := range m.len() {
		want.add(m.at(i), m.sentOf(m.at(i)), 1)
	}
	if b.Files != want.Files || b.Sent != want.Sent || b.Finished != want.Finished || b.Bytes != want.Bytes {
		t.Fatalf("kept %+v, summed %+v", b, want)
	}
	if c := m.counts(); c[filterAll] != 50 || c[filterDone] != 13 || c[filterFailed] != 12 || c[filterActive] != 25 {
		t.Fatalf("counts %v", c)
	}
}

// TestRowSize keeps a row at 32 bytes: at 500,000 files each byte more is
// half a megabyte.
func TestRowSize(t *testing.T) {
	if s := unsafe.Sizeof(row{}); s != 32 {
		t.Fatalf("a row is %d bytes, want 32", s)
	}
}
