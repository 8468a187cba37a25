package transfer

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	// skipHidden leaves out files and folders inside dropped folders whose
	// names start with "." (IsHidden).
	skipHidden bool
	// survey, when set, only counts what would be queued (Survey).
	survey *FolderSurvey
}

type walkItem struct {
	path, key string
	size      int64
	te        *TaskError
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
	w.file(abs, prefix+toSlash(name), st)
}

func toSlash(s string) string { return strings.ReplaceAll(filepath.ToSlash(s), "\\", "/") }

func (w *walker) file(path, key string, st os.FileInfo) {
	if !st.Mode().IsRegular() {
		w.fail(path, key, "open", fmt.Sprintf("%s is not a regular file (%s)", path, st.Mode().Type()))
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
	w.push(walkItem{path: path, key: key, size: st.Size()})
}

// walkDir follows symlinks, remembering the directories on the current path so a link
// back to an ancestor is reported as a loop instead of recursing forever.
func (w *walker) walkDir(dir, keyPrefix string, ancestors []os.FileInfo) {
	if w.ctx.Err() != nil {
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.fail(dir, keyPrefix, "read folder", fmt.Sprintf("cannot list folder %s: %v", dir, unwrapPath(err)))
		if len(entries) == 0 {
			return
		}
	}
	for _, e := range entries {
		if w.skipHidden && IsHidden(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
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
			loop := false
			for _, a := range ancestors {
				if os.SameFile(a, st) {
					loop = true
					break
				}
			}
			if loop {
				w.fail(p, key+"/", "read folder", fmt.Sprintf("symbolic link loop: %s leads back to a folder already being uploaded", p))
				continue
			}
			w.walkDir(p, key+"/", append(ancestors[:len(ancestors):len(ancestors)], st))
			continue
		}
		w.file(p, key, st)
	}
}

func (w *walker) fail(path, key, op, msg string) {
	w.push(walkItem{path: path, key: key, te: &TaskError{Op: op, Message: msg}})
}

func (w *walker) push(it walkItem) {
	if w.survey != nil {
		w.survey.count(it)
		return
	}
	w.batch = append(w.batch, it)
	if len(w.batch) >= 1000 {
		w.flush()
	}
}

func (w *walker) flush() {
	if len(w.batch) == 0 {
		return
	}
	m := w.m
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		w.batch = w.batch[:0]
		return
	}
	for _, it := range w.batch {
		switch {
		case it.te != nil:
			m.failedTaskLocked(it.path, it.key, w.tgt, it.te)
		case w.tgt == nil:
			m.failedTaskLocked(it.path, it.key, nil, &TaskError{Op: "start", Message: fmt.Sprint(w.tgtErr), Err: w.tgtErr})
		case m.duplicateLocked(w.tgt, it.key, it.path) != nil:
			m.log.Info("already queued; not added twice", "path", it.path, "key", it.key)
		default:
			t := m.newTaskLocked(it.path, it.key, w.tgt, it.size, w.cpDir)
			m.queue.add(queueEntryFor(t))
			m.enqueueLocked(t)
		}
	}
	m.mu.Unlock()
	m.notify()
	clear(w.batch)
	w.batch = w.batch[:0]
}
