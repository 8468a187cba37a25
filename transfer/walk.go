package transfer

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// walker turns dropped paths into tasks in batches, so a 100,000-file folder takes the
// Manager's lock a hundred times rather than a hundred thousand.
type walker struct {
	m      *Manager
	ctx    context.Context
	tgt    *target
	tgtErr error
	cpDir  string
	batch  []walkItem
	limit  int // batch size: grows so a big walk needs few fsyncs while the first files show at once
	// done holds the identities the queue records as finished; set when a walk
	// interrupted by a crash is walked again, so finished files are not sent twice.
	done map[string]bool
	// skipHidden leaves out files and folders inside dropped folders whose
	// names start with "." (IsHidden).
	skipHidden bool
	// survey, when set, only counts what would be queued (Survey).
	survey *FolderSurvey
	// pins says, per path handed to Add, whether its files stay in memory under
	// Config.ForgetFinished; pin is the value for the path being walked.
	pins []bool
	pin  bool
	// marks gathers the journaled marks of a batch's tasks for the queue (listed).
	marks []*bool
	// sizeLater queues regular files without reading their size, which
	// Manager.sizeQueued reads once the walk has listed them (sizer.go).
	sizeLater bool
	// first is the first task the walk admitted unsized (0: none), where
	// reading sizes starts; set by the admitter.
	first TaskID
	// pipe takes batches to the admitter goroutine (flush), spare brings
	// their buffers back, and piped closes when the admitter is done.
	pipe, spare chan []walkItem
	piped       chan struct{}
}

// newWalker is a walk that queues files into m for tgt (tgtErr when it could
// not be resolved), its checkpoints in cpDir, reading sizes as m's Config says.
func (m *Manager) newWalker(tgt *target, tgtErr error, cpDir string, skipHidden bool) *walker {
	return &walker{m: m, ctx: m.ctx, tgt: tgt, tgtErr: tgtErr, cpDir: cpDir, skipHidden: skipHidden, sizeLater: !m.cfg.SizeWhileWalking}
}

type walkItem struct {
	path, key string
	// dir and name make up path, dirKey and name key (the queue records files
	// of one folder compactly); dir is "" when they do not.
	dir, dirKey, name string
	qid               string
	qk                qidKey // qid decoded once, for the Manager's tables
	size              int64
	te                *TaskError
	finished          bool // already uploaded by the walk this one repeats
	pin               bool // see walker.pins
}

func (w *walker) add(p, prefix string) {
	abs, err := filepath.Abs(p)
	if err != nil {
		abs = p
	}
	st, err := os.Stat(abs)
	if err != nil {
		w.fail(abs, prefix+filepath.Base(abs), "open", fmt.Sprintf("cannot read %s: %v", abs, unwrapPath(err)))
		return
	}
	name := filepath.Base(abs)
	if st.IsDir() {
		w.walkDir(abs, prefix+toSlash(name)+"/", []os.FileInfo{st})
		return
	}
	w.file(filepath.Dir(abs), name, prefix, st.Mode(), st.Size())
}

func toSlash(s string) string { return strings.ReplaceAll(filepath.ToSlash(s), "\\", "/") }

// file queues dir/name, whose (followed) mode and size the caller read; size
// is unsized when it is left for later.
func (w *walker) file(dir, name, keyPrefix string, mode os.FileMode, size int64) {
	path, key := joinPath(dir, name), keyPrefix+toSlash(name)
	if !mode.IsRegular() {
		w.fail(path, key, "open", fmt.Sprintf("%s is not a regular file (%s)", path, mode.Type()))
		return
	}
	if !utf8.ValidString(key) {
		w.fail(path, strings.ToValidUTF8(key, "?"), "name", fmt.Sprintf("%q: the file name is not valid UTF-8, which OSS keys require", path))
		return
	}
	if err := checkKey(key); err != nil {
		w.fail(path, key, "name", err.Error())
		return
	}
	w.push(walkItem{path: path, key: key, dir: dir, dirKey: keyPrefix, name: name, size: size})
}

// joinPath is filepath.Join for a clean dir and a plain entry name, without
// Join's Clean pass: a walk joins once per file.
func joinPath(dir, name string) string {
	if dir == "" || os.IsPathSeparator(dir[len(dir)-1]) {
		return dir + name
	}
	return dir + string(filepath.Separator) + name
}

// portableWalk, when set, makes walks use the portable os.ReadDir path even
// where walkDirAt has a faster one, so tests cover both on one system.
var portableWalk atomic.Bool

// readDirBatch is how many entries a walk reads from a folder at a time: a folder
// of half a million files is never listed in memory at once, and its first files
// are queued (and uploading) while the rest is still being read.
const readDirBatch = 512

// walkDir follows symlinks, remembering the directories on the current path so a link
// back to an ancestor is reported as a loop instead of recursing forever. It reads
// each folder in batches and descends into a subfolder as soon as it meets it, so
// memory grows with the depth of the tree, not its size. Entries come in the order
// the file system lists them.
func (w *walker) walkDir(dir, keyPrefix string, ancestors []os.FileInfo) {
	if w.stopped() {
		return
	}
	if !portableWalk.Load() && w.walkDirAt(dir, keyPrefix, ancestors) {
		return
	}
	f, err := os.Open(dir)
	if err != nil {
		w.fail(dir, keyPrefix, "read folder", fmt.Sprintf("cannot list folder %s: %v", dir, unwrapPath(err)))
		return
	}
	defer f.Close()
	for !w.stopped() {
		entries, err := f.ReadDir(readDirBatch)
		w.entries(dir, keyPrefix, ancestors, entries)
		if err != nil {
			if err != io.EOF {
				w.fail(dir, keyPrefix, "read folder", fmt.Sprintf("cannot list folder %s: %v", dir, unwrapPath(err)))
			}
			return
		}
	}
}

// entries handles one batch of a folder's entries.
func (w *walker) entries(dir, keyPrefix string, ancestors []os.FileInfo, entries []os.DirEntry) {
	var err error
	for _, e := range entries {
		if w.skipHidden && IsHidden(e.Name()) {
			continue
		}
		if w.sizeLater && e.Type().IsRegular() {
			w.file(dir, e.Name(), keyPrefix, 0, unsized)
			continue
		}
		p := joinPath(dir, e.Name())
		key := keyPrefix + toSlash(e.Name())
		var st os.FileInfo
		if e.Type()&os.ModeSymlink != 0 {
			st, err = os.Stat(p)
			if err != nil {
				w.fail(p, key, "open", fmt.Sprintf("symbolic link %s cannot be followed: %v", p, unwrapPath(err)))
				continue
			}
		} else {
			st, err = e.Info()
			if err != nil {
				w.fail(p, key, "open", fmt.Sprintf("cannot read %s: %v", p, unwrapPath(err)))
				continue
			}
		}
		if st.IsDir() {
			w.subfolder(p, key, ancestors, st)
			continue
		}
		w.file(dir, e.Name(), keyPrefix, st.Mode(), st.Size())
	}
}

// subfolder walks the folder p (st, links followed) unless it is one of its
// own ancestors, which a symbolic link can make it.
func (w *walker) subfolder(p, key string, ancestors []os.FileInfo, st os.FileInfo) {
	for _, a := range ancestors {
		if os.SameFile(a, st) {
			w.fail(p, key+"/", "read folder", fmt.Sprintf("symbolic link loop: %s leads back to a folder already being uploaded", p))
			return
		}
	}
	w.walkDir(p, key+"/", append(ancestors[:len(ancestors):len(ancestors)], st))
}

// stopped reports whether the walk should end: its own context (Survey) or
// the Manager's.
func (w *walker) stopped() bool {
	if w.ctx != nil {
		return w.ctx.Err() != nil
	}
	return w.m.ctx.Err() != nil
}

func (w *walker) fail(path, key, op, msg string) {
	w.push(walkItem{path: path, key: key, te: &TaskError{Op: op, Message: msg}})
}

func (w *walker) push(it walkItem) {
	if w.survey != nil {
		w.survey.count(it)
		return
	}
	it.pin = w.pin
	w.batch = append(w.batch, it)
	if w.limit == 0 {
		w.limit = w.batchCap(256)
	}
	if len(w.batch) >= w.limit {
		w.flush()
		w.limit = w.batchCap(w.limit * 2)
	}
}

// record buffers the batch's new files in the durable queue, those of one
// folder together in one compact record.
func (w *walker) record(batch []walkItem) {
	q, d := w.m.queue, w.tgt.destination()
	var run []queueFile
	var dir, dirKey string
	for i := range batch {
		it := &batch[i]
		if it.te != nil || it.finished {
			continue
		}
		if it.dir == "" {
			q.addUnlisted(queueRecFor(d, it.qid, it.path, it.key, it.size, w.cpDir))
			continue
		}
		if len(run) > 0 && (it.dir != dir || it.dirKey != dirKey) {
			q.addFiles(d, w.cpDir, dir, dirKey, run)
			run = run[:0]
		}
		dir, dirKey = it.dir, it.dirKey
		run = append(run, queueFile{name: it.name, id: it.qid, size: it.size})
	}
	q.addFiles(d, w.cpDir, dir, dirKey, run)
}

// batchCap bounds a batch: 8192 files, and a quarter of Config.WalkAhead when
// that is set, so a walk held by it overshoots by little.
func (w *walker) batchCap(n int) int {
	n = min(n, 8192)
	if a := w.m.cfg.WalkAhead; a > 0 {
		n = min(n, max(a/4, 16))
	}
	return n
}

// flush hands the batch to the walk's admitter (admit) and starts a new one.
// The admitter records a batch durably and admits it while the walk lists the
// next: the walk runs at most one batch ahead, and on a machine with a core
// to spare, listing and admitting no longer take turns. The identities are
// worked out here, on the walk's side.
func (w *walker) flush() {
	if len(w.batch) == 0 {
		return
	}
	if w.tgt != nil {
		for i := range w.batch {
			it := &w.batch[i]
			if it.te != nil {
				continue
			}
			it.qid = qidFor(w.tgt, it.key, it.path)
			it.qk, _ = qkey(it.qid)
			if w.done[it.qid] {
				it.finished = true
			}
		}
	}
	if w.pipe == nil {
		w.pipe, w.spare, w.piped = make(chan []walkItem), make(chan []walkItem, 1), make(chan struct{})
		go func() {
			defer close(w.piped)
			for b := range w.pipe {
				w.admit(b)
				clear(b)
				w.spare <- b[:0] // the walk took the last spare before it sent b
			}
		}()
	}
	w.pipe <- w.batch
	select {
	case w.batch = <-w.spare:
	default:
		w.batch = nil
	}
}

// drain admits what the walk still holds and waits until the admitter has
// admitted every batch; the walk's fields are the walk's own again after.
func (w *walker) drain() {
	w.flush()
	if w.pipe != nil {
		close(w.pipe)
		<-w.piped
		w.pipe = nil
	}
}

// admit records batch durably in the queue (one fsync for the whole batch),
// and only then shows its files as queued: a crash after the walk moved past a
// file can no longer forget it. It runs on the walk's admitter (flush).
func (w *walker) admit(batch []walkItem) {
	m := w.m
	if m.cfg.WalkAhead > 0 {
		m.mu.Lock()
		m.waitRoomLocked()
		m.mu.Unlock()
	}
	if w.tgt != nil {
		if w.done != nil {
			// Walking again after a crash: a file resumed from its own record (and
			// perhaps finished already) must not be recorded as new again.
			m.mu.Lock()
			for i := range batch {
				if it := &batch[i]; it.te == nil && m.byQID.get(it.qk) != nil {
					it.finished = true
				}
			}
			m.mu.Unlock()
		}
		w.record(batch)
		if err := m.queue.commit(); err != nil {
			m.log.Error("durable queue write failed", "err", err)
			for i := range batch {
				if it := &batch[i]; it.te == nil {
					it.te = &TaskError{Op: "queue", Message: fmt.Sprintf("%s was not queued: the queue cannot be written: %v", it.path, err), Err: err}
				}
			}
		}
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	marks := w.marks[:0]
	for _, it := range batch {
		switch {
		case it.finished:
		case it.te != nil:
			m.failedTaskLocked(it.path, it.key, w.tgt, it.te)
		case w.tgt == nil:
			m.failedTaskLocked(it.path, it.key, nil, &TaskError{Op: "start", Message: fmt.Sprint(w.tgtErr), Err: w.tgtErr})
		case m.duplicateKeyLocked(it.qk) != nil: // it.qk is qidFor(w.tgt, it.key, it.path), set above
			m.log.Info("already queued; not added twice", "path", it.path, "key", it.key)
		default:
			t := m.admitLocked(it.path, it.key, it.qid, w.tgt, nil, it.size, w.cpDir, true)
			t.pinned = t.pinned || it.pin
			if it.size == unsized && w.first == 0 {
				w.first = t.id
			}
			if t.qid == it.qk { // not renamed to another key and identity
				marks = append(marks, &t.journaled) // record() wrote its add
			}
		}
	}
	m.queue.listed(marks)
	m.mu.Unlock()
	clear(marks)
	w.marks = marks[:0]
	m.notify()
}
