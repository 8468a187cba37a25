package ui

import (
	"cmp"
	"slices"
	"strings"

	"fyne.io/fyne/v2/lang"
	"github.com/ossdrop/ossdrop/transfer"
)

// rowFilter is a state tab above the list.
type rowFilter int

const (
	filterAll rowFilter = iota
	filterActive
	filterFailed
	filterDone
	nFilters
)

// label is the tab's name; the count is added by the caller.
func (f rowFilter) label() string {
	switch f {
	case filterActive:
		return lang.L("Active")
	case filterFailed:
		return lang.L("Failed")
	case filterDone:
		return lang.L("Done")
	default:
		return lang.L("All")
	}
}

// tab is the state tab a task belongs to besides All: every task is in
// exactly one, so the counts add up.
func tab(s transfer.State) rowFilter {
	switch s {
	case transfer.Failed, transfer.Canceled:
		return filterFailed
	case transfer.Done, transfer.Skipped:
		return filterDone
	default:
		return filterActive
	}
}

// sortBy is the list's order.
type sortBy int

const (
	sortAdded sortBy = iota
	sortName
	sortSize
	sortState
	sortProgress
)

func sortLabels() []string {
	return []string{lang.L("Order added"), lang.L("Name"), lang.L("Size"), lang.L("State"), lang.L("Progress")}
}

// viewSpec is what the user asked to see.
type viewSpec struct {
	filter rowFilter
	query  string // as typed; matched case-insensitively against name and key
	sort   sortBy
}

func (s viewSpec) identity() bool {
	return s.filter == filterAll && strings.TrimSpace(s.query) == "" && s.sort == sortAdded
}

// tabCounts are the number of tasks (matching the search) in each tab.
type tabCounts [nFilters]int

// folded is a task's name and key in lower case, cached by position so
// typing in the search box does not lower-case (or hash) 100,000 strings per
// keystroke; an entry is valid while the same task with the same path and
// key sits at that position.
type folded struct {
	id        transfer.TaskID
	path, key string // what it was computed from
	text      string // lower-case "name\x00bucket/key"
}

// rowView turns the full task list into the rows shown: filtered by tab and
// search, then sorted. It runs on the UI goroutine on every refresh and on
// every keystroke in the search box.
type rowView struct {
	spec  viewSpec
	fold  []folded
	bufs  [2][]transfer.TaskSnapshot // alternated, so the list's old model is never overwritten
	which int
	keys  []string // sort keys for sortName, by position in the view
}

func newRowView() *rowView { return &rowView{} }

// build returns the rows to show and the count in each tab.
func (v *rowView) build(all []transfer.TaskSnapshot) ([]transfer.TaskSnapshot, tabCounts) {
	var counts tabCounts
	q := strings.ToLower(strings.TrimSpace(v.spec.query))
	if q == "" {
		for i := range all {
			counts[tab(all[i].State)]++
		}
		counts[filterAll] = len(all)
		if v.spec.identity() {
			return all, counts
		}
	}
	v.which ^= 1
	out := v.bufs[v.which][:0]
	if q != "" && len(v.fold) != len(all) {
		v.fold = append(v.fold[:min(len(v.fold), len(all))], make([]folded, max(len(all)-len(v.fold), 0))...)
	}
	for i := range all {
		t := &all[i]
		if q != "" {
			if !strings.Contains(v.folded(i, t), q) {
				continue
			}
			counts[filterAll]++
			counts[tab(t.State)]++
		}
		if v.spec.filter != filterAll && tab(t.State) != v.spec.filter {
			continue
		}
		out = append(out, *t)
	}
	v.sort(out)
	v.bufs[v.which] = out
	return out, counts
}

func (v *rowView) folded(i int, t *transfer.TaskSnapshot) string {
	f := &v.fold[i]
	if f.id == t.ID && f.path == t.Path && f.key == t.Key && f.text != "" {
		return f.text
	}
	*f = folded{id: t.ID, path: t.Path, key: t.Key,
		text: strings.ToLower(displayName(*t) + "\x00" + destination(t.Bucket, t.Key))}
	return f.text
}

// stateRank orders states by how much they need the user: problems first,
// then work in progress, then what is finished.
var stateRank = map[transfer.State]int{
	transfer.Failed: 0, transfer.Retrying: 1, transfer.Paused: 2, transfer.Uploading: 3,
	transfer.Completing: 4, transfer.Verifying: 5, transfer.Queued: 6, transfer.Canceled: 7,
	transfer.Skipped: 8, transfer.Done: 9,
}

func (v *rowView) sort(out []transfer.TaskSnapshot) {
	switch v.spec.sort {
	case sortName:
		// Lower-case names once, not once per comparison.
		idx := make([]int, len(out))
		v.keys = v.keys[:0]
		for i := range out {
			idx[i] = i
			v.keys = append(v.keys, strings.ToLower(displayName(out[i])))
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v.keys[a], v.keys[b]) })
		sorted := make([]transfer.TaskSnapshot, len(out))
		for i, j := range idx {
			sorted[i] = out[j]
		}
		copy(out, sorted)
	case sortSize:
		slices.SortStableFunc(out, func(a, b transfer.TaskSnapshot) int { return cmp.Compare(b.Size, a.Size) })
	case sortState:
		slices.SortStableFunc(out, func(a, b transfer.TaskSnapshot) int {
			return cmp.Compare(stateRank[a.State], stateRank[b.State])
		})
	case sortProgress:
		slices.SortStableFunc(out, func(a, b transfer.TaskSnapshot) int { return cmp.Compare(fraction(b), fraction(a)) })
	}
}
