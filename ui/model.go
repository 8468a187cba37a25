package ui

import (
	"bytes"
	"path"
	"path/filepath"
	"sort"
	"unicode"
	"unicode/utf8"

	"github.com/ossdrop/ossdrop/transfer"
)

// The window keeps every task as a compact row: what the tabs, search, sort
// and overall bar need, and nothing else. A full snapshot exists only for
// the rows on screen (the row widgets hold them) and for dialogs, which ask
// the Backend for the one task they show. At 500,000 queued files the rows
// cost 40 bytes each plus their folded file name: the folder part of the
// destination ("bucket/photos/2026/") is kept once per folder.

// row is one task in the window's model: 32 bytes. The bytes it has on the
// wire (max(Sent, Done)) are kept apart, for the few rows part way (see
// model.sentOf): a queued file has sent nothing, a finished one all.
type row struct {
	id    transfer.TaskID
	size  int64
	off   uint32 // folded text: model.text[off : off+tlen]
	dir   uint32 // folded folder of the destination: model.dirs[dir]
	tlen  uint16
	nlen  uint16 // the name's length inside the text (see nameOf)
	state uint8  // transfer.State
	flags uint8
}

const (
	rowMember    uint8 = 1 << iota // counted in the current batch
	rowNameApart                   // text is "name\x00base"; else the name is the text's suffix
	rowCred                        // paused waiting for credentials
	rowPart                        // sent some bytes, not finished: model.part holds how many
)

func (r *row) st() transfer.State { return transfer.State(r.state) }

// maxText bounds one row's folded text (a key is at most 1,023 bytes, a
// name 255 in most file systems; anything longer is cut, not lost).
const maxText = 1<<16 - 1

// rowModel is every task the window knows, in add order (increasing ID),
// with counts kept as rows change so a tick costs what changed, not the
// number of rows. It lives on the UI goroutine.
//
// Rows and texts are stored in fixed-size blocks, so growing to 500,000 rows
// never copies (or briefly doubles) everything held so far.
type rowModel struct {
	blocks [][]row // rowBlock rows each, the last one partly used
	n      int
	text   [][]byte // textBlock bytes each; a row's text never spans two
	used   int      // bytes of text stored, including dead ones
	dead   int      // bytes of text no row uses any more

	// textGen bumps when row indices or texts change (rows removed, a key
	// renamed): caches keyed by row index are void then.
	textGen uint64
	// sizeGen bumps when a row's size changes (mostly a size read after a
	// folder was listed): only orders by size are void then, not searches,
	// orders by name or where rows are.
	sizeGen uint64
	// shapeGen bumps when the set of rows or any row's state changes: the
	// tabs and any filtered view must be rebuilt. progGen bumps when bytes
	// moved: views sorted by progress must be rebuilt.
	shapeGen, progGen uint64

	states [transfer.Skipped + 1]int // rows per state
	batch  batchTotals               // sums over member rows; Stats unset
	cred   int                       // rows with rowCred
	// credProfile is the profile whose secret each waiting task needs, for
	// the few tasks that wait for one.
	credProfile map[transfer.TaskID]string
	// part is the bytes sent by each row with rowPart: the running ones and
	// those paused, failed or canceled part way.
	part map[transfer.TaskID]int64

	// dirs are the folded folders of the destinations ("bucket/dir/", up
	// to the key's last slash), each kept once however many rows it holds;
	// a row's destination is dirs[row.dir] followed by its base (the key
	// after that slash). dirOf finds a folder's number, dirRefs counts the
	// rows in each, deadDirs the folders no row uses any more. dirGen bumps
	// when folders are renumbered.
	dirs     []string
	dirOf    map[string]uint32
	dirRefs  []uint32
	deadDirs int
	dirGen   uint64

	raw, scratch []byte
	touched      []int32 // row of each entry of the last apply's changes
}

const (
	rowShift    = 12
	rowBlock    = 1 << rowShift
	textShift   = 16
	textBlock   = 1 << textShift
	textInBlock = textBlock - 1
)

// len is the number of rows.
func (m *rowModel) len() int { return m.n }

// at is row i (0 <= i < len).
func (m *rowModel) at(i int) *row { return &m.blocks[i>>rowShift][i&(rowBlock-1)] }

// push appends a row and returns its index.
func (m *rowModel) push(r row) int {
	if m.n == len(m.blocks)*rowBlock {
		m.blocks = append(m.blocks, make([]row, rowBlock))
	}
	*m.at(m.n) = r
	m.n++
	return m.n - 1
}

// truncate keeps the first n rows, giving back whole blocks beyond them.
func (m *rowModel) truncate(n int) {
	for i := n; i < m.n && i&(rowBlock-1) != 0; i++ {
		*m.at(i) = row{}
	}
	m.n = n
	keep := (n + rowBlock - 1) >> rowShift
	clear(m.blocks[keep:])
	m.blocks = m.blocks[:keep]
}

// counts are the rows in each tab, without a search.
func (m *rowModel) counts() tabCounts {
	var c tabCounts
	for s, n := range m.states {
		c[tab(transfer.State(s))] += n
	}
	c[filterAll] = m.n
	return c
}

// running is the number of rows queued or uploading.
func (m *rowModel) running() int {
	n := m.states[transfer.Queued]
	for s := range m.states {
		if transfer.State(s).Active() {
			n += m.states[s]
		}
	}
	return n
}

// find is the index of the row for id, or -1.
func (m *rowModel) find(id transfer.TaskID) int {
	i := m.search(id)
	if i < m.n && m.at(i).id == id {
		return i
	}
	return -1
}

// search is the first row whose id is not below id.
func (m *rowModel) search(id transfer.TaskID) int {
	return sort.Search(m.n, func(i int) bool { return m.at(i).id >= id })
}

// textOf is a row's own folded text: the base of its destination, after
// the file's name when the base does not end with it.
func (m *rowModel) textOf(r *row) []byte {
	o := r.off & textInBlock
	return m.text[r.off>>textShift][o : o+uint32(r.tlen)]
}

// baseOf is the folded base of a row's destination (the key after its last
// slash): dirs[r.dir] + baseOf is the whole destination.
func (m *rowModel) baseOf(r *row) []byte {
	t := m.textOf(r)
	if r.flags&rowNameApart != 0 {
		return t[min(int(r.nlen)+1, len(t)):]
	}
	return t
}

// nameOf is a row's folded name, for sorting by name.
func (m *rowModel) nameOf(r *row) []byte {
	t := m.textOf(r)
	if r.flags&rowNameApart != 0 {
		return t[:r.nlen]
	}
	return t[len(t)-int(r.nlen):]
}

// apply merges changes from the Backend. It returns, for each of c.Tasks,
// the index of its row (valid until the next apply).
func (m *rowModel) apply(c *transfer.Changes) []int32 {
	m.begin(c)
	m.putAll(c.Tasks)
	return m.end()
}

// begin starts merging c: it forgets what a reset or removals take away.
// The tasks follow in pieces through putAll, then end; between the pieces
// the model is whole (every row consistent, counts kept), only behind.
func (m *rowModel) begin(c *transfer.Changes) {
	if c.Reset {
		m.clear()
	}
	if len(c.Removed) > 0 {
		m.remove(c.Removed)
	}
	m.touched = m.touched[:0]
}

// putAll merges tasks, the next piece of the Changes begun.
func (m *rowModel) putAll(tasks []transfer.TaskSnapshot) {
	for i := range tasks {
		m.touched = append(m.touched, int32(m.put(&tasks[i])))
	}
}

// end finishes the Changes begun and returns, for each task merged since
// begin, the index of its row (valid until the next begin).
func (m *rowModel) end() []int32 {
	m.compactText()
	return m.touched
}

func (m *rowModel) clear() {
	m.truncate(0)
	m.text, m.used, m.dead = nil, 0, 0
	m.dirs, m.dirOf, m.dirRefs, m.deadDirs = nil, nil, nil, 0
	m.dirGen++
	m.states, m.batch, m.cred = [transfer.Skipped + 1]int{}, batchTotals{}, 0
	clear(m.credProfile)
	m.part = nil
	m.textGen++
	m.shapeGen++
}

// put adds or updates the row for t and returns its index.
func (m *rowModel) put(t *transfer.TaskSnapshot) int {
	i := -1
	if m.n == 0 || m.at(m.n-1).id < t.ID {
		i = m.push(row{id: t.ID})
		m.fold(m.at(i), t)
		m.shapeGen++
	} else if i = m.find(t.ID); i < 0 {
		// Added before rows already known: rare, and indices move.
		i = m.search(t.ID)
		m.push(row{})
		for k := m.n - 1; k > i; k-- {
			*m.at(k) = *m.at(k - 1)
		}
		*m.at(i) = row{id: t.ID}
		m.fold(m.at(i), t)
		m.textGen++
		m.shapeGen++
	} else {
		r := m.at(i)
		m.leave(r)
		if m.refold(r, t) {
			m.textGen++
		}
		if r.size != t.Size {
			m.sizeGen++
		}
	}
	r := m.at(i)
	if r.st() != t.State {
		m.shapeGen++
	}
	was := m.sentOf(r)
	r.size, r.state = t.Size, uint8(t.State)
	m.setSent(r, max(t.Sent, t.Done))
	if m.sentOf(r) != was {
		m.progGen++
	}
	r.flags &^= rowCred
	if credWaiting(t) {
		r.flags |= rowCred
		if p := secretWaiting(t); p != "" {
			if m.credProfile == nil {
				m.credProfile = map[transfer.TaskID]string{}
			}
			m.credProfile[t.ID] = p
		}
	}
	m.enter(r)
	return i
}

// sentOf is the bytes row r has on the wire: all of them once finished (none
// for a file skipped before its size was read).
func (m *rowModel) sentOf(r *row) int64 {
	switch {
	case r.st() == transfer.Done || r.st() == transfer.Skipped:
		return max(r.size, 0)
	case r.flags&rowPart != 0:
		return m.part[r.id]
	}
	return 0
}

// setSent records sent for r, whose state is set; finished rows and rows
// that sent nothing keep nothing.
func (m *rowModel) setSent(r *row, sent int64) {
	if sent == 0 || r.st() == transfer.Done || r.st() == transfer.Skipped {
		if r.flags&rowPart != 0 {
			delete(m.part, r.id)
			r.flags &^= rowPart
		}
		return
	}
	if m.part == nil {
		m.part = map[transfer.TaskID]int64{}
	}
	m.part[r.id] = sent
	r.flags |= rowPart
}

// fraction is how far a row is, as fraction() says for a snapshot.
func (m *rowModel) fraction(r *row) float64 {
	s := r.st()
	if s == transfer.Done || s == transfer.Skipped {
		return 1
	}
	if r.size <= 0 {
		return 0
	}
	return min(max(float64(m.sentOf(r))/float64(r.size), 0), 1)
}

func cmpID(a, b transfer.TaskID) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// enter and leave add a row's share to the counts and take it out again.
func (m *rowModel) enter(r *row) {
	m.states[r.state]++
	if r.flags&rowCred != 0 {
		m.cred++
	}
	if r.flags&rowMember != 0 {
		m.batch.add(r, m.sentOf(r), 1)
	}
}

func (m *rowModel) leave(r *row) {
	m.states[r.state]--
	if r.flags&rowCred != 0 {
		m.cred--
		delete(m.credProfile, r.id)
	}
	if r.flags&rowMember != 0 {
		m.batch.add(r, m.sentOf(r), -1)
	}
}

// add counts (sign 1) or uncounts (-1) a member row, which sent sent
// bytes, in the batch: a canceled file leaves the batch, a failed one never
// counts as sent.
func (b *batchTotals) add(r *row, sent int64, sign int) {
	s := r.st()
	if s == transfer.Canceled {
		return
	}
	b.Files += sign
	if r.size < 0 { // not read yet
		if !s.Finished() {
			b.Sizing += sign
		}
	} else {
		b.Bytes += int64(sign) * r.size
	}
	switch s {
	case transfer.Done, transfer.Skipped:
		b.Finished += sign
		b.Sent += int64(sign) * max(r.size, 0)
	case transfer.Failed:
		b.Failed += sign
	case transfer.Paused:
		b.Paused += sign
		b.Sent += int64(sign) * sent
	default:
		b.Sent += int64(sign) * sent
	}
}

// join makes row i part of the current batch.
func (m *rowModel) join(i int) {
	r := m.at(i)
	if r.flags&rowMember == 0 {
		r.flags |= rowMember
		m.batch.add(r, m.sentOf(r), 1)
	}
}

// newBatch starts a batch of the rows running now.
func (m *rowModel) newBatch() {
	m.batch = batchTotals{}
	for i := range m.n {
		r := m.at(i)
		r.flags &^= rowMember
		if running(r.st()) {
			r.flags |= rowMember
			m.batch.add(r, m.sentOf(r), 1)
		}
	}
}

// remove drops the rows of ids (in add order, as Changes reports them).
func (m *rowModel) remove(ids []transfer.TaskID) {
	gone := 0
	for _, id := range ids {
		if i := m.find(id); i >= 0 {
			r := m.at(i)
			m.leave(r)
			m.dead += int(r.tlen)
			m.unref(r.dir)
			if r.flags&rowPart != 0 {
				delete(m.part, r.id)
			}
			r.id = 0 // marked; IDs start at 1
			gone++
		}
	}
	if gone == 0 {
		return
	}
	k := 0
	for i := range m.n {
		if r := m.at(i); r.id != 0 {
			*m.at(k) = *r
			k++
		}
	}
	m.truncate(k)
	m.textGen++
	m.shapeGen++
}

// fold stores t's text and folder for r.
func (m *rowModel) fold(r *row, t *transfer.TaskSnapshot) {
	apart, nlen, dir := m.shape(t)
	m.ref(dir)
	m.place(r, m.store(m.scratch), apart, nlen, dir)
}

// refold folds t again and keeps the row's old text when it is the same
// (the usual case: only the state moved). It reports a change.
func (m *rowModel) refold(r *row, t *transfer.TaskSnapshot) bool {
	apart, nlen, dir := m.shape(t)
	if dir == r.dir && bytes.Equal(m.scratch, m.textOf(r)) && apart == (r.flags&rowNameApart != 0) && nlen == int(r.nlen) {
		return false
	}
	m.ref(dir)
	m.unref(r.dir)
	m.dead += int(r.tlen)
	m.place(r, m.store(m.scratch), apart, nlen, dir)
	return true
}

// shape folds t as a row keeps it: its folder ("bucket/dir/") by number,
// and in m.scratch the base of the destination alone when it ends with the
// file's name (most files, so most rows store their name once), else
// "name\x00base"; cut at maxText.
func (m *rowModel) shape(t *transfer.TaskSnapshot) (apart bool, nlen int, dir uint32) {
	m.raw = appendFolded(m.raw[:0], t)
	sep := bytes.IndexByte(m.raw, 0)
	name, dest := m.raw[:sep], m.raw[sep+1:]
	cut := bytes.LastIndexByte(dest, '/') + 1
	dir = m.intern(dest[:cut])
	base := dest[cut:]
	nlen = len(name)
	b := m.scratch[:0]
	if bytes.HasSuffix(base, name) {
		b = append(b, base...)
	} else {
		apart = true
		b = append(append(append(b, name...), 0), base...)
	}
	if len(b) > maxText {
		b = b[:maxText]
	}
	m.scratch = b
	return apart, min(nlen, len(b)), dir
}

// intern is the number of folder f, added when new. Rows arrive folder by
// folder, so the last folder is tried first.
func (m *rowModel) intern(f []byte) uint32 {
	if k := len(m.dirs) - 1; k >= 0 && m.dirs[k] == string(f) {
		return uint32(k)
	}
	if d, ok := m.dirOf[string(f)]; ok {
		return d
	}
	if m.dirOf == nil {
		m.dirOf = map[string]uint32{}
	}
	d := uint32(len(m.dirs))
	fs := string(f)
	m.dirs, m.dirRefs = append(m.dirs, fs), append(m.dirRefs, 0)
	m.dirOf[fs] = d
	m.deadDirs++ // no row yet
	return d
}

// ref and unref count a row in folder d, or take it out.
func (m *rowModel) ref(d uint32) {
	if m.dirRefs[d] == 0 {
		m.deadDirs--
	}
	m.dirRefs[d]++
}

func (m *rowModel) unref(d uint32) {
	if m.dirRefs[d]--; m.dirRefs[d] == 0 {
		m.deadDirs++
	}
}

// store copies a text into the text blocks and returns where it starts.
func (m *rowModel) store(b []byte) uint32 {
	if len(m.text) == 0 || len(m.text[len(m.text)-1])+len(b) > textBlock {
		if len(m.text) > 0 {
			// The tail of the full block is never used.
			last := m.text[len(m.text)-1]
			m.dead += textBlock - len(last)
			m.used += textBlock - len(last)
		}
		m.text = append(m.text, make([]byte, 0, textBlock))
	}
	k := len(m.text) - 1
	off := uint32(k)<<textShift | uint32(len(m.text[k]))
	m.text[k] = append(m.text[k], b...)
	m.used += len(b)
	return off
}

func (m *rowModel) place(r *row, off uint32, apart bool, nlen int, dir uint32) {
	r.flags &^= rowNameApart
	if apart {
		r.flags |= rowNameApart
	}
	r.off, r.dir = off, dir
	r.tlen = uint16(len(m.scratch))
	r.nlen = uint16(nlen)
}

// compactText rewrites the texts once most of the space is unused, and
// the folder table once most of its folders are.
func (m *rowModel) compactText() {
	m.compactDirs()
	if m.dead < textBlock || m.dead < m.used/2 {
		return
	}
	old := m.text
	m.text, m.used, m.dead = nil, 0, 0
	for i := range m.n {
		r := m.at(i)
		o := r.off & textInBlock
		r.off = m.store(old[r.off>>textShift][o : o+uint32(r.tlen)])
	}
}

// compactDirs renumbers the folders rows use, dropping the others, once
// they are most of the table.
func (m *rowModel) compactDirs() {
	if m.deadDirs < 1024 || m.deadDirs < len(m.dirs)/2 {
		return
	}
	renum := make([]uint32, len(m.dirs))
	var dirs []string
	var refs []uint32
	for d, n := range m.dirRefs {
		if n > 0 {
			renum[d] = uint32(len(dirs))
			dirs, refs = append(dirs, m.dirs[d]), append(refs, n)
		}
	}
	for i := range m.n {
		r := m.at(i)
		r.dir = renum[r.dir]
	}
	m.dirs, m.dirRefs, m.deadDirs = dirs, refs, 0
	m.dirOf = make(map[string]uint32, len(dirs))
	for d, f := range dirs {
		m.dirOf[f] = uint32(d)
	}
	m.dirGen++
}

// appendFolded appends "name\x00bucket/key" in lower case, as the search
// box matches it, without allocating for ASCII.
func appendFolded(dst []byte, t *transfer.TaskSnapshot) []byte {
	name := ""
	if t.Path != "" {
		name = filepath.Base(t.Path)
	} else {
		name = path.Base(t.Key)
	}
	dst = appendLower(dst, name)
	dst = append(dst, 0)
	if t.Bucket != "" {
		dst = appendLower(dst, t.Bucket)
		dst = append(dst, '/')
	}
	return appendLower(dst, t.Key)
}

// appendLower appends s in lower case, rune by rune as strings.ToLower does.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

// credMissing is the profile whose secret the first waiting task needs.
func (m *rowModel) credMissing() string {
	var first transfer.TaskID
	p := ""
	for id, prof := range m.credProfile {
		if first == 0 || id < first {
			first, p = id, prof
		}
	}
	return p
}
