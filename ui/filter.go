package ui

import (
	"bytes"
	"cmp"
	"math/bits"
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

// rowsView is what the list shows: rows of the model by index, or all of
// them in add order (all set, idx nil), which costs nothing at any size.
type rowsView struct {
	all bool
	idx []int32
}

// rowView turns the model into the rows shown: filtered by tab and search,
// then sorted. It runs on the UI goroutine on every tick that changed the
// rows and on every keystroke in the search box, so it allocates nothing
// per row: it keeps the rows matching the search (narrowed, not recomputed,
// when the query grows) and the orders by name and size between calls.
type rowView struct {
	spec viewSpec

	// The rows matching q: valid for textGen, covering rows [0, qN).
	q       []byte
	qGen    uint64
	qN      int
	match   []int32
	matchOK bool
	hit     []uint64 // bit set of match, for sorted views
	// What q says of each folder (see prepare), valid for the model's
	// dirGen, covering folders [0, dirN).
	dirBits []uint64
	dirQ    []byte
	dirGen  uint64
	dirN    int
	dirOK   bool
	joined  []byte // a folder and a base, for queries too long for dirBits

	bufs  [2][]int32 // alternated, so the list's old view is never overwritten
	which int
	spare []int32 // where sorts write, then swapped with bufs[which]

	// Orders of every row by name and by size, each covering rows [0, n) and
	// valid for textGen (and sizeGen, by size).
	byName, bySize orderCache

	// The last result, reused while nothing it depends on changed.
	last     rowsView
	lastCnt  tabCounts
	lastSpec viewSpec
	lastKey  [4]uint64 // textGen, shapeGen, progGen, sizeGen
	lastN    int
	valid    bool
}

type orderCache struct {
	gen [2]uint64 // textGen, and sizeGen for the order by size
	n   int
	idx []int32
	ok  bool
}

func newRowView() *rowView { return &rowView{} }

// build returns the rows to show and the count in each tab.
func (v *rowView) build(m *rowModel) (rowsView, tabCounts) {
	key := [4]uint64{m.textGen, m.shapeGen, m.progGen, m.sizeGen}
	if v.spec.sort != sortProgress {
		key[2] = 0
	}
	if v.spec.sort != sortSize {
		key[3] = 0
	}
	if v.valid && v.lastSpec == v.spec && v.lastKey == key && v.lastN == m.len() {
		return v.last, v.lastCnt
	}
	out, counts := v.compute(m)
	v.last, v.lastCnt, v.lastSpec, v.lastKey, v.lastN, v.valid = out, counts, v.spec, key, m.len(), true
	return out, counts
}

func (v *rowView) compute(m *rowModel) (rowsView, tabCounts) {
	q := strings.ToLower(strings.TrimSpace(v.spec.query))
	var counts tabCounts
	if q == "" {
		v.matchOK = false
		counts = m.counts()
		if v.spec.identity() {
			return rowsView{all: true}, counts
		}
	} else {
		v.matches(m, q)
		for _, i := range v.match {
			counts[tab(m.at(int(i)).st())]++
		}
		counts[filterAll] = len(v.match)
	}
	v.which ^= 1
	out := v.bufs[v.which][:0]
	f := v.spec.filter
	keep := func(i int32) bool { return f == filterAll || tab(m.at(int(i)).st()) == f }
	switch v.spec.sort {
	case sortName, sortSize:
		order := v.order(m)
		if q != "" {
			v.markHits(m.len())
		}
		for _, i := range order {
			if (q == "" || v.hit[i>>6]&(1<<(i&63)) != 0) && keep(i) {
				out = append(out, i)
			}
		}
	default:
		if q != "" {
			for _, i := range v.match {
				if keep(i) {
					out = append(out, i)
				}
			}
		} else {
			for i := range m.len() {
				if keep(int32(i)) {
					out = append(out, int32(i))
				}
			}
		}
		switch v.spec.sort {
		case sortState:
			out = v.sortState(m, out)
		case sortProgress:
			out = v.sortProgress(m, out)
		}
	}
	v.bufs[v.which] = out
	return rowsView{idx: out}, counts
}

// matches brings v.match up to date for q: rows added since are checked,
// and a query that extends the previous one only narrows its matches.
func (v *rowView) matches(m *rowModel, q string) {
	qb := []byte(q)
	v.prepare(m, qb)
	switch {
	case v.matchOK && v.qGen == m.textGen && bytes.Equal(v.q, qb):
	case v.matchOK && v.qGen == m.textGen && len(v.q) > 0 && bytes.Contains(qb, v.q):
		kept := v.match[:0]
		for _, i := range v.match {
			if v.hits(m, m.at(int(i)), qb) {
				kept = append(kept, i)
			}
		}
		v.match = kept
	default:
		v.match, v.qN = v.match[:0], 0
	}
	for i := v.qN; i < m.len(); i++ {
		if v.hits(m, m.at(i), qb) {
			v.match = append(v.match, int32(i))
		}
	}
	v.q, v.qGen, v.qN, v.matchOK = append(v.q[:0], qb...), m.textGen, m.len(), true
}

// maxSplit is the longest query dirBits describes; longer ones join each
// row's folder and base to search them.
const maxSplit = 63

// prepare works out, once per folder, what q says of the rows in it: bit 0
// of dirBits[d] says the folder alone contains q (every row in it matches),
// bit j (0 < j < len(q)) says it ends with q[:j] (a row matches when its
// base starts with q[j:]). Rows then never join folder and base to search.
func (v *rowView) prepare(m *rowModel, q []byte) {
	if len(q) > maxSplit {
		return
	}
	if !v.dirOK || v.dirGen != m.dirGen || !bytes.Equal(v.dirQ, q) || v.dirN > len(m.dirs) {
		v.dirBits, v.dirN = v.dirBits[:0], 0
	}
	qs := string(q)
	for _, f := range m.dirs[v.dirN:] {
		var b uint64
		if strings.Contains(f, qs) {
			b = 1
		}
		for j := 1; j < len(qs); j++ {
			if strings.HasSuffix(f, qs[:j]) {
				b |= 1 << j
			}
		}
		v.dirBits = append(v.dirBits, b)
	}
	v.dirQ, v.dirGen, v.dirN, v.dirOK = append(v.dirQ[:0], q...), m.dirGen, len(m.dirs), true
}

// hits says whether row r matches q: its name, or its destination (folder
// and base). prepare(m, q) ran first.
func (v *rowView) hits(m *rowModel, r *row, q []byte) bool {
	if r.flags&rowNameApart != 0 && bytes.Contains(m.textOf(r)[:r.nlen], q) {
		return true
	}
	base := m.baseOf(r)
	if len(q) > maxSplit {
		v.joined = append(append(v.joined[:0], m.dirs[r.dir]...), base...)
		return bytes.Contains(v.joined, q)
	}
	b := v.dirBits[r.dir]
	if b&1 != 0 || bytes.Contains(base, q) {
		return true
	}
	for b &^= 1; b != 0; b &= b - 1 {
		if bytes.HasPrefix(base, q[bits.TrailingZeros64(b):]) {
			return true
		}
	}
	return false
}

func (v *rowView) markHits(n int) {
	words := (n + 63) / 64
	if cap(v.hit) < words {
		v.hit = make([]uint64, words)
	}
	v.hit = v.hit[:words]
	clear(v.hit)
	for _, i := range v.match {
		v.hit[i>>6] |= 1 << (i & 63)
	}
}

// order is every row sorted by name or size (stable: add order breaks
// ties). Names do not change while textGen holds, nor sizes while sizeGen
// does, so rows added since are sorted alone and merged in.
func (v *rowView) order(m *rowModel) []int32 {
	c, gen, less := &v.byName, [2]uint64{m.textGen}, func(a, b int32) int {
		return bytes.Compare(m.nameOf(m.at(int(a))), m.nameOf(m.at(int(b))))
	}
	if v.spec.sort == sortSize {
		c, gen = &v.bySize, [2]uint64{m.textGen, m.sizeGen}
		less = func(a, b int32) int { return cmp.Compare(m.at(int(b)).size, m.at(int(a)).size) }
	}
	cmpStable := func(a, b int32) int {
		if d := less(a, b); d != 0 {
			return d
		}
		return cmp.Compare(a, b)
	}
	if !c.ok || c.gen != gen || c.n > m.len() {
		c.idx, c.n = c.idx[:0], 0
	}
	if c.n == m.len() && c.ok {
		return c.idx
	}
	old := len(c.idx)
	for i := c.n; i < m.len(); i++ {
		c.idx = append(c.idx, int32(i))
	}
	slices.SortFunc(c.idx[old:], cmpStable)
	if old > 0 {
		merged := make([]int32, 0, len(c.idx))
		a, b := c.idx[:old], c.idx[old:]
		for len(a) > 0 && len(b) > 0 {
			if cmpStable(a[0], b[0]) <= 0 {
				merged, a = append(merged, a[0]), a[1:]
			} else {
				merged, b = append(merged, b[0]), b[1:]
			}
		}
		merged = append(append(merged, a...), b...)
		c.idx = merged
	}
	c.gen, c.n, c.ok = gen, m.len(), true
	return c.idx
}

// stateRank orders states by how much they need the user: problems first,
// then work in progress, then what is finished.
var stateRank = [...]int{
	transfer.Failed: 0, transfer.Retrying: 1, transfer.Paused: 2, transfer.Uploading: 3,
	transfer.Completing: 4, transfer.Verifying: 5, transfer.Queued: 6, transfer.Canceled: 7,
	transfer.Skipped: 8, transfer.Done: 9,
}

// sortState orders rows by state rank, keeping add order within a state:
// a counting sort, linear in the rows.
func (v *rowView) sortState(m *rowModel, in []int32) []int32 {
	var start [len(stateRank) + 1]int
	for _, i := range in {
		start[stateRank[m.at(int(i)).state]+1]++
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	out := v.spare
	if cap(out) < len(in) {
		out = make([]int32, len(in))
	}
	out = out[:len(in)]
	for _, i := range in {
		k := stateRank[m.at(int(i)).state]
		out[start[k]] = i
		start[k]++
	}
	v.spare = in
	return out
}

// sortProgress orders rows by progress, most first, keeping add order among
// equals. Most rows are finished (1) or untouched (0), so only the few in
// between are compared.
func (v *rowView) sortProgress(m *rowModel, in []int32) []int32 {
	out := v.spare[:0]
	var mid int
	for _, i := range in {
		if m.fraction(m.at(int(i))) >= 1 {
			out = append(out, i)
		}
	}
	mid = len(out)
	for _, i := range in {
		if f := m.fraction(m.at(int(i))); f > 0 && f < 1 {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out[mid:], func(a, b int32) int {
		return cmp.Compare(m.fraction(m.at(int(b))), m.fraction(m.at(int(a))))
	})
	for _, i := range in {
		if m.fraction(m.at(int(i))) <= 0 {
			out = append(out, i)
		}
	}
	v.spare = in
	return out
}
