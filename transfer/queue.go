package transfer

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"sync"
	"time"
)

// The durable queue remembers files that were dropped but not yet finished, so a crash
// before an upload even starts loses nothing. Each Manager appends to its own journal
// file in $StateDir/queue (JSON lines); a record names a task by its identity (the
// checkpoint name), and the newest record for an identity across all journals wins:
// "add" means unfinished, "del" means finished or discarded, "walk" is a file or
// folder handed to Add whose walk has not finished (a crash mid-walk re-walks it).
// Records are group-committed: whoever needs them durable calls commit, and one
// fsync covers every record buffered before it. A torn last line is ignored.
//
// Most records are compact JSON arrays, so a queued file costs a few dozen bytes:
// its name and size in a batch of its folder, and its identity when it finishes.
//
//	["t", n, {destination fields, "cp_dir"}]   defines destination n of this journal
//	["d", n, t, "folder", "key prefix"]       defines folder n (at destination t)
//	["a", ts, d, "name", size, "name", size…]  adds files of folder d: path folder/name,
//	                                           key prefix+name, identity derived from them
//	["x", ts, "id", "id"…]                     finishes (deletes) identities
//
// Other records (walks, files under keys of their own, finishes naming an upload)
// are JSON objects, the one format of earlier journals, which are read as ever.
type queueRec struct {
	TS       int64  `json:"ts"`
	Op       string `json:"op"`
	ID       string `json:"id"`
	Path     string `json:"path,omitempty"`
	Key      string `json:"key,omitempty"`
	Bucket   string `json:"bucket,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Dest     string `json:"dest,omitempty"`
	Region   string `json:"region,omitempty"`
	AuthV4   bool   `json:"auth_v4,omitempty"`
	Size     int64  `json:"size,omitempty"`
	CPDir    string `json:"cp_dir,omitempty"`
	// UploadID on a "del" names the multipart upload that completed, so a checkpoint
	// of that upload left by a crash right after is known to be stale.
	UploadID string `json:"upload_id,omitempty"`
	// SkipHidden on a "walk" leaves out hidden files, as the user chose when adding it.
	SkipHidden bool `json:"skip_hidden,omitempty"`

	live bool // read from the journal of a running Manager (not stored)
}

// Queue record operations.
const (
	opAdd  = "add"
	opDel  = "del"
	opWalk = "walk"
)

type durableQueue struct {
	dir  string
	path string
	mu   sync.Mutex
	f    *os.File
	enc  queueEncoder // buffers records; enc.buf is what the next flush writes
	last int64
	seq  uint64 // records buffered so far
	// What this journal leaves unfinished, so closing can drop a journal whose
	// records all cancel out without reading it back: identities added and not
	// yet finished, walks not yet ended, and whether it finished identities that
	// other journals added (then those need compacting too).
	//
	// A task's own records are tracked by the task, not by a set here (half a
	// million queued files would cost ~20 bytes each): its mark (task.journaled)
	// says its add record is here and open, and nOpen counts open records of
	// tasks, marked or not yet (files a walk recorded count from then on and
	// their tasks are marked once listed). nOpen may count records that a
	// mark-less path closed and a mark-less close counts as foreign: either
	// only makes closing compact instead of drop, never drop what is open.
	// Guarded by mu, marks included.
	nOpen   int
	open    map[[12]byte]struct{} // identities added by other paths (walks, tests)
	openStr map[string]struct{}   // identities that are not a hex qid (walks, old records)
	foreign bool
	// closedHere counts records this journal opened and then closed: what
	// compacting it alone would drop.
	closedHere int
	// spare is the buffer being written by the last flush, reused by the next.
	spare []byte

	syncMu sync.Mutex // one writer at a time; later committers wait and share its fsync
	synced uint64     // records known durable; guarded by syncMu
}

// openQueue creates this Manager's journal at once, so an unwritable queue
// directory is an error when the Manager starts, not a warning after files were
// accepted.
func openQueue(dir string) (*durableQueue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("queue directory %s: %w", dir, err)
	}
	name := fmt.Sprintf("%d-%d.jsonl", time.Now().UnixNano(), os.Getpid())
	q := &durableQueue{dir: dir, path: filepath.Join(dir, name)}
	f, err := os.OpenFile(q.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("queue directory %s is not writable: %w", dir, err)
	}
	lockFile(f)
	q.f = f
	syncDir(dir)
	return q, nil
}

// qidBytes is the binary form of a hex qid; ok is false for other identities.
func qidBytes(id string) (b [12]byte, ok bool) {
	if len(id) != 24 {
		return b, false
	}
	_, err := hex.Decode(b[:], []byte(id))
	return b, err == nil
}

// opened notes that id has an unfinished record in this journal. Caller holds q.mu.
func (q *durableQueue) opened(id string) {
	if b, ok := qidBytes(id); ok {
		if q.open == nil {
			q.open = map[[12]byte]struct{}{}
		}
		q.open[b] = struct{}{}
		return
	}
	if q.openStr == nil {
		q.openStr = map[string]struct{}{}
	}
	q.openStr[id] = struct{}{}
}

// closed notes that id is finished. Caller holds q.mu.
func (q *durableQueue) closed(id string) {
	if b, ok := qidBytes(id); ok {
		if _, ok := q.open[b]; ok {
			delete(q.open, b)
			q.closedHere++
			return
		}
	} else if _, ok := q.openStr[id]; ok {
		delete(q.openStr, id)
		q.closedHere++
		return
	}
	q.foreign = true
}

// markLocked marks a task's add record open here. Caller holds q.mu.
func (q *durableQueue) markLocked(mark *bool) {
	if !*mark {
		*mark = true
		q.nOpen++
	}
}

// closedMarked is closed for a task whose mark says whether its add record is
// open here. Caller holds q.mu.
func (q *durableQueue) closedMarked(id string, mark *bool) {
	if mark != nil && *mark {
		*mark = false
		q.nOpen--
		q.closedHere++
		return
	}
	q.closed(id)
}

func queueEntryFor(t *task) queueRec {
	return queueRecFor(t.destination(), t.qidStr(), t.path(), t.key(), t.size, t.cpDir())
}

func queueRecFor(d Destination, qid, path, key string, size int64, cpDir string) queueRec {
	r := queueRec{Op: opAdd, ID: qid, Path: path, Key: key, Size: size, CPDir: cpDir}
	r.Bucket, r.Endpoint, r.Profile, r.Dest, r.Region, r.AuthV4 = d.Bucket, d.Endpoint, d.Profile, d.ID, d.Region, d.AuthV4
	return r
}

// walkRecFor records a path handed to Add (a file or a folder) until its walk ends.
func walkRecFor(d Destination, path, prefix, cpDir string) queueRec {
	r := queueRecFor(d, "walk-"+qidOf(d, prefix, "walk:"+path), path, prefix, 0, cpDir)
	r.Op = opWalk
	return r
}

// stamp returns strictly increasing timestamps so records written in one process order correctly.
func (q *durableQueue) stamp() int64 {
	ts := time.Now().UnixNano()
	if ts <= q.last {
		ts = q.last + 1
	}
	q.last = ts
	return ts
}

// add buffers a record; it is durable once commit (or the ticker's flush) returns.
func (q *durableQueue) add(r queueRec) {
	if r.ID == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.objectLocked(r)
	q.opened(r.ID)
}

// objectLocked buffers r's record with a fresh timestamp: the part the add
// variants share (they differ in how they count the record as open).
func (q *durableQueue) objectLocked(r queueRec) {
	q.enc.endDels(q.stamp)
	r.TS = q.stamp()
	q.enc.object(r)
	q.seq++
}

// addTask is add for a task's record; mark is the task's journaled mark.
func (q *durableQueue) addTask(r queueRec, mark *bool) {
	if r.ID == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.objectLocked(r)
	q.markLocked(mark)
}

// addUnlisted is add for a file whose task is listed (and marked) later, as
// with addFiles.
func (q *durableQueue) addUnlisted(r queueRec) {
	if r.ID == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.objectLocked(r)
	q.nOpen++
}

// listed marks the tasks of files addFiles or addUnlisted recorded (counted
// open then), once they are listed.
func (q *durableQueue) listed(marks []*bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range marks {
		*m = true
	}
}

// queueFile is a file of one folder for addFiles; id must be
// qidOf(d, keyPrefix+toSlash(name), filepath.Join(dir, name)).
type queueFile struct {
	name, id string
	size     int64
}

// addFiles buffers files of folder dir (keys under keyPrefix) as one compact
// batch record.
func (q *durableQueue) addFiles(d Destination, cpDir, dir, keyPrefix string, files []queueFile) {
	if len(files) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enc.endDels(q.stamp)
	q.enc.files(q.stamp(), d, cpDir, dir, keyPrefix, files)
	q.nOpen += len(files) // their tasks' marks follow (listed)
	q.seq++
}

// addRecords buffers added files' records made together (a resumed queue) with
// one timestamp, so the files of one folder share a compact "a" record as a
// walk's do. Like addFiles, their tasks' marks follow (listed).
func (q *durableQueue) addRecords(rs []queueRec) {
	if len(rs) == 0 {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enc.endDels(q.stamp)
	ts := q.stamp()
	for _, r := range rs {
		r.TS = ts
		q.enc.record(r)
	}
	q.enc.endFiles()
	q.nOpen += len(rs)
	q.seq++
}

// del buffers that id is finished; dels made together share one record.
func (q *durableQueue) del(id string) {
	if id == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enc.del(id)
	q.closed(id)
	q.seq++
}

// delTask is del for a task; mark is its journaled mark.
func (q *durableQueue) delTask(id string, mark *bool) {
	if id == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.enc.del(id)
	q.closedMarked(id, mark)
	q.seq++
}

// commit returns once every record buffered before the call is on disk. Callers
// that arrive while another commit writes wait for it and usually find their
// records already covered: one fsync per batch, not per file.
func (q *durableQueue) commit() error {
	q.mu.Lock()
	want := q.seq
	q.mu.Unlock()
	q.syncMu.Lock()
	defer q.syncMu.Unlock()
	if q.synced >= want {
		return nil
	}
	return q.flushLocked()
}

// finish records that id is finished and makes that durable before returning. A
// finished multipart upload calls it before deleting its checkpoint: were the
// checkpoint gone while the "del" still sat in the buffer, a crash would leave an
// "add" with no checkpoint and the next launch would upload the file again from zero.
// mark is the task's journaled mark.
func (q *durableQueue) finish(id, uploadID string, mark *bool) error {
	if id == "" {
		return nil
	}
	q.mu.Lock()
	if uploadID == "" {
		q.enc.del(id)
	} else {
		q.enc.endDels(q.stamp)
		q.enc.object(queueRec{TS: q.stamp(), Op: opDel, ID: id, UploadID: uploadID})
	}
	q.closedMarked(id, mark)
	q.seq++
	q.mu.Unlock()
	return q.commit()
}

// flush appends buffered records durably.
func (q *durableQueue) flush() error {
	q.syncMu.Lock()
	defer q.syncMu.Unlock()
	return q.flushLocked()
}

// flushLocked writes and fsyncs the buffer. Caller holds syncMu; q.mu is held only
// to swap the buffer, so adds never wait for the disk.
func (q *durableQueue) flushLocked() error {
	q.mu.Lock()
	q.enc.endDels(q.stamp)
	buf, upto := q.enc.buf, q.seq
	if len(buf) == 0 {
		// Nothing to write: keep the buffers as they are. Swapping here would
		// make the next add write into the spare, the buffer the next flush
		// hands to the disk while adds continue.
		q.mu.Unlock()
		q.synced = upto
		return nil
	}
	q.enc.buf = nil
	if cap(buf) <= 1<<20 {
		q.enc.buf = q.spare[:0] // reuse the other buffer; a burst's megabytes are let go
	}
	f := q.f
	q.mu.Unlock()
	if f == nil {
		return fmt.Errorf("queue journal %s: closed", q.path)
	}
	_, err := f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	q.mu.Lock()
	if cap(buf) <= 1<<20 {
		q.spare = buf[:0]
	}
	q.mu.Unlock()
	if err != nil {
		return fmt.Errorf("queue journal %s: %w", q.path, err)
	}
	q.synced = upto
	return nil
}

// close flushes, then compacts, so the directory does not grow run after run. It
// reads and rewrites no more than it must: a journal whose records all cancel out
// (every file finished) is removed unread; one that finished only its own files
// is rewritten alone, once at least an eighth of what it holds is finished
// (else it stays as it is); journals of earlier runs whose unfinished files
// this run took over entirely (a resumed queue) are removed unread again;
// only a journal that finished other journals' files (or
// too many left-over journals) makes every journal no live process holds be
// compacted into one file of still-unfinished entries.
func (q *durableQueue) close() error {
	err := q.flush()
	q.syncMu.Lock()
	q.mu.Lock()
	if q.f != nil {
		q.f.Close()
		q.f = nil
	}
	open := q.nOpen + len(q.open) + len(q.openStr)
	foreign, closedHere := q.foreign, q.closedHere
	q.mu.Unlock()
	q.syncMu.Unlock()
	var cerr error
	var others staleJournals
	if err == nil && !foreign { // else everything is compacted anyway
		others = q.others()
	}
	switch {
	case err != nil || foreign || others.compactAll:
		cerr = compactQueue(q.dir)
	default:
		var errs []error
		for _, name := range others.redundant {
			if err := os.Remove(name); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
		switch {
		case open == 0:
			errs = append(errs, os.Remove(q.path))
		case closedHere*8 < open:
			// Few of its records are finished: rewriting half a million open
			// ones to drop them would cost seconds at every quit. The next
			// compaction takes them out.
		default:
			errs = append(errs, compactJournals(q.dir, []string{q.path}))
		}
		if len(others.redundant) > 0 || open == 0 {
			syncDir(q.dir)
		}
		cerr = errors.Join(errs...)
	}
	if err == nil {
		err = cerr
	}
	return err
}

// maxStaleJournals is how many journals left by earlier runs a closing journal
// lets be before it compacts them all into one.
const maxStaleJournals = 8

// staleJournals is what closing a journal finds of the journals earlier runs
// left (no live process holds them).
type staleJournals struct {
	// compactAll: they and this journal must be compacted into one, since
	// this run finished files they still list, they walk, or they are many.
	compactAll bool
	// redundant are journals everything of which this run took over: every
	// file they list as unfinished has a record here (a resumed queue), and
	// they hold nothing else worth keeping. Removing them loses nothing.
	redundant []string
}

// others looks at the journals earlier runs left, for close. It reads them
// and this (closed) journal but writes nothing.
func (q *durableQueue) others() staleJournals {
	names, _ := filepath.Glob(filepath.Join(q.dir, "*.jsonl"))
	var stale []string
	for _, name := range names {
		if name != q.path && !isLocked(name) {
			stale = append(stale, name)
		}
	}
	if len(stale) == 0 {
		return staleJournals{}
	}
	if len(stale) > maxStaleJournals {
		return staleJournals{compactAll: true}
	}
	latest, _, errs, _ := queueStateOf(stale, nil)
	var unfinished []string
	for id, r := range latest {
		switch r.Op {
		case opWalk:
			return staleJournals{compactAll: true} // its walk again needs their finished files
		case opAdd:
			unfinished = append(unfinished, id)
		}
	}
	if len(unfinished) == 0 {
		return staleJournals{}
	}
	mine, _, _, _ := queueStateOf([]string{q.path}, nil)
	taken := 0
	for _, id := range unfinished {
		if _, ok := mine[id]; ok {
			taken++
		}
	}
	switch {
	case taken == 0:
		return staleJournals{}
	case taken < len(unfinished) || len(errs) > 0:
		// Compaction keeps what they list and this run did not take, and
		// moves unreadable lines aside.
		return staleJournals{compactAll: true}
	}
	for _, r := range mine {
		if r.Op == opWalk {
			// Walking this run's folders again will need to know which
			// files the earlier runs finished.
			return staleJournals{compactAll: true}
		}
	}
	return staleJournals{redundant: stale}
}

// queueState reads every journal in dir: the newest record per identity, the
// journals read, complaints about unreadable lines (naming the file to upload when
// the line still shows it) and those lines themselves.
func queueState(dir string, skipLocked bool) (map[string]*queueRec, []string, []error, []byte) {
	names, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	sort.Strings(names)
	live := map[string]bool{}
	var read []string
	for _, name := range names {
		l := isLocked(name)
		if skipLocked && l {
			continue
		}
		live[name] = l
		read = append(read, name)
	}
	return queueStateOf(read, live)
}

// queueStateOf is queueState over the journals names (live says which a running
// Manager holds).
func queueStateOf(names []string, live map[string]bool) (map[string]*queueRec, []string, []error, []byte) {
	// Records are held by pointer: half a million of them would make the
	// map's slots (and its copies while it grows) ten times larger.
	latest := map[string]*queueRec{}
	var used []string
	var errs []error
	var bad []byte
	for _, name := range names {
		live := live[name]
		data, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue journal %s: %w", name, err))
			continue
		}
		used = append(used, name)
		line := 0
		var dec queueDecoder
		keep := func(r queueRec) {
			r.live = live
			if old, ok := latest[r.ID]; !ok {
				latest[r.ID] = &r
			} else if r.TS > old.TS {
				*old = r
			}
		}
		for len(data) > 0 {
			line++
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break // torn last line from a crash mid-write
			}
			var r queueRec
			var err error
			if len(data) > 0 && data[0] == '[' {
				err = dec.line(data[:i], keep)
				r.ID, r.Op = "-", opAdd // handled by keep
			} else {
				err = json.Unmarshal(data[:i], &r)
			}
			if err != nil || r.ID == "" || (r.Op != opAdd && r.Op != opDel && r.Op != opWalk) {
				what := ""
				if p := pathInLine(data[:i]); p != "" {
					what = " (file " + p + ")"
				}
				errs = append(errs, &QueueLineError{Journal: name, Line: line, Path: pathInLine(data[:i]),
					msg: fmt.Sprintf("queue journal %s: line %d is unreadable%s", name, line, what)})
				bad = append(append(bad, data[:i]...), '\n')
			} else if r.ID != "-" {
				keep(r)
			}
			data = data[i+1:]
		}
	}
	return latest, used, errs, bad
}

// QueueLineError is a line of the durable queue that could not be read. Closing a
// Manager moves such lines to a file named unreadable-*.txt beside the journals
// (kept, never deleted), so they are reported once and not lost.
type QueueLineError struct {
	Journal string
	Line    int
	Path    string // the file the line was about, when it can still be made out
	msg     string
}

func (e *QueueLineError) Error() string { return e.msg }

var pathField = regexp.MustCompile(`"path":"((?:[^"\\]|\\.)*)"`)

// pathInLine digs the file name out of a damaged record, when it is still there.
func pathInLine(line []byte) string {
	m := pathField.FindSubmatch(line)
	if m == nil {
		return ""
	}
	var p string
	if json.Unmarshal(append(append([]byte{'"'}, m[1]...), '"'), &p) != nil {
		return string(m[1])
	}
	return p
}

// CompactQueue rewrites the durable queue under stateDir as closing a Manager does:
// journals no running ossdrop holds become one file of unfinished records, and
// unreadable lines move to a kept unreadable-*.txt file.
func CompactQueue(stateDir string) error {
	return compactQueue(filepath.Join(stateDir, "queue"))
}

func compactQueue(dir string) error {
	latest, used, _, bad := queueState(dir, true)
	return compactLatest(dir, latest, used, bad)
}

// compactJournals compacts only the journals names (none held by a live process).
func compactJournals(dir string, names []string) error {
	latest, used, _, bad := queueStateOf(names, nil)
	return compactLatest(dir, latest, used, bad)
}

// compactLatest replaces the journals used with one file of the records in
// latest still needed.
func compactLatest(dir string, latest map[string]*queueRec, used []string, bad []byte) error {
	if len(used) == 0 {
		return nil
	}
	// While a walk is unfinished its folder will be walked again; the "del" records
	// tell that walk which of its files are done, so keep them until then.
	walking := false
	for _, r := range latest {
		if r.Op == opWalk {
			walking = true
			break
		}
	}
	var live []*queueRec
	for _, r := range latest {
		if r.Op != opDel || walking {
			live = append(live, r)
		}
	}
	if len(bad) > 0 {
		name := filepath.Join(dir, fmt.Sprintf("unreadable-%d.txt", time.Now().UnixNano()))
		if err := writeDurable(dir, name, bad); err != nil {
			return fmt.Errorf("keep unreadable queue lines: %w", err)
		}
	}
	if len(live) > 0 {
		sort.Slice(live, func(a, b int) bool { return live[a].TS < live[b].TS })
		var enc queueEncoder
		for _, r := range live {
			enc.record(*r)
		}
		enc.endFiles()
		name := filepath.Join(dir, fmt.Sprintf("%d-compact.jsonl", time.Now().UnixNano()))
		if err := writeDurable(dir, name, enc.buf); err != nil {
			return fmt.Errorf("compact queue: %w", err)
		}
	}
	var errs []error
	for _, u := range used {
		if err := os.Remove(u); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	syncDir(dir)
	return errors.Join(errs...)
}

// writeDurable writes data to name through a synced temporary file and a rename.
func writeDurable(dir, name string, data []byte) error {
	tmp, err := os.CreateTemp(dir, ".compact-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	if werr == nil {
		werr = tmp.Chmod(0o600)
	}
	if werr == nil {
		werr = tmp.Sync()
	}
	tmp.Close()
	if werr == nil {
		werr = os.Rename(tmp.Name(), name)
	}
	if werr != nil {
		os.Remove(tmp.Name())
	}
	return werr
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
