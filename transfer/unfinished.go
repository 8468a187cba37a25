package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/transfer/checkpoint"
)

// Unfinished work recorded in the state dir (checkpoints + durable queue), for "resume on launch".
type Unfinished struct {
	Path, Key, Bucket, Endpoint, Profile string
	Dest                                 string // the destination's stable id (Target.Dest); "" in old records
	Size, Done                           int64  // bytes already confirmed (from checkpoint), 0 for never-started queue entries
	UploadID                             string // empty when not started
	CheckpointFile                       string // empty when only in the durable queue
	Err                                  error  // non-nil when the record is corrupt (message names the file and problem)
	Region                               string
	AuthV4                               bool
	// InUse is true when a running ossdrop (another process, or another Manager in
	// this one) owns the upload right now: its task holds the checkpoint lock, or the
	// file sits in that Manager's queue. Such entries are listed so a front end can
	// show them, but ResumeUnfinished and DiscardUnfinished leave them alone.
	InUse bool
	// Walk is set for a file or folder handed to Add whose walk had not finished
	// (Key holds the prefix): resuming walks it again, leaving out files already done.
	Walk       bool
	skipHidden bool
	id         string
	cpDir      string
}

// ListUnfinished reports every upload recorded under stateDir that has not finished:
// checkpoints (with bytes done) and queued files that never started. It never fails
// on one bad record; that record carries Err instead.
func ListUnfinished(stateDir string) ([]Unfinished, error) {
	if stateDir == "" {
		stateDir = DefaultStateDir()
	}
	latest, _, qerrs, _ := queueState(filepath.Join(stateDir, "queue"), false)
	dirs := map[string]bool{filepath.Join(stateDir, "checkpoints"): true}
	for _, r := range latest {
		if r.CPDir != "" {
			dirs[r.CPDir] = true
		}
	}
	out := make([]Unfinished, 0, len(latest)+len(qerrs))
	seen := map[string]bool{}
	// Each checkpoint directory is read once: its checkpoints are listed, and
	// only an upload with a lock file there can be held by a running ossdrop
	// (a queue of half a million files has a handful).
	locks := map[string]map[string]struct{}{}
	for dir := range dirs {
		cps, lk := checkpointDir(dir)
		locks[dir] = lk
		for _, id := range cps {
			if seen[id] {
				continue
			}
			seen[id] = true
			name := filepath.Join(dir, id+checkpoint.Ext)
			u := Unfinished{CheckpointFile: name, id: id, cpDir: dir, InUse: (hasLock(lk, id) && lockHeld(lockPathFor(dir, id))) || (latest[id] != nil && latest[id].live)}
			l, err := checkpoint.Load(name)
			if err != nil {
				u.Err = err
				if r, ok := latest[id]; ok {
					u.Path, u.Key, u.Bucket, u.Endpoint, u.Profile, u.Size = r.Path, r.Key, r.Bucket, r.Endpoint, r.Profile, r.Size
					u.Dest = r.Dest
					u.Region, u.AuthV4 = r.Region, r.AuthV4
				}
				out = append(out, u)
				continue
			}
			h := l.Header
			if r, ok := latest[id]; ok && r.Op == "del" && r.UploadID != "" && r.UploadID == h.UploadID {
				continue // that upload completed; a crash came before its checkpoint was removed
			}
			u.Path, u.Key, u.Bucket, u.Endpoint, u.Profile, u.Size, u.UploadID = h.Path, h.Key, h.Bucket, h.Endpoint, h.Profile, h.Size, h.UploadID
			u.Region, u.AuthV4, u.Dest = h.Region, h.AuthV4, h.Dest
			for _, p := range l.Parts {
				u.Done += p.Size
			}
			if r, ok := latest[id]; ok && r.Key != "" {
				u.Key = r.Key // the key asked for; the header may hold a renamed one
			}
			out = append(out, u)
		}
	}
	for id, r := range latest {
		if r.Op == opWalk {
			out = append(out, Unfinished{Path: r.Path, Key: r.Key, Bucket: r.Bucket, Endpoint: r.Endpoint, Profile: r.Profile, Dest: r.Dest,
				Region: r.Region, AuthV4: r.AuthV4, InUse: r.live, Walk: true, skipHidden: r.SkipHidden, id: id, cpDir: r.CPDir})
			continue
		}
		if r.Op != opAdd || seen[id] {
			continue
		}
		inUse := r.live
		if !inUse && r.CPDir != "" && hasLock(locks[r.CPDir], id) {
			inUse = lockHeld(lockPathFor(r.CPDir, id))
		}
		out = append(out, Unfinished{Path: r.Path, Key: r.Key, Bucket: r.Bucket, Endpoint: r.Endpoint, Profile: r.Profile, Dest: r.Dest,
			Size: r.Size, Region: r.Region, AuthV4: r.AuthV4, InUse: inUse, id: id, cpDir: r.CPDir})
	}
	for _, e := range qerrs {
		u := Unfinished{Err: e}
		var le *QueueLineError
		if errors.As(e, &le) {
			u.Path = le.Path
		}
		out = append(out, u)
	}
	// A total order (identity last), so no stable sort moving these large
	// records around is needed.
	slices.SortFunc(out, func(a, b Unfinished) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Key, b.Key),
			strings.Compare(a.id, b.id), strings.Compare(a.CheckpointFile, b.CheckpointFile))
	})
	return out, nil
}

// checkpointDir lists the checkpoints in dir (their identities, in name
// order) and every name there, lock files among them.
func checkpointDir(dir string) (cps []string, names map[string]struct{}) {
	names = listNames(dir)
	for n := range names {
		if id, ok := strings.CutSuffix(n, checkpoint.Ext); ok && id != "" {
			cps = append(cps, id)
		}
	}
	sort.Strings(cps)
	return cps, names
}

// hasLock reports whether names (a checkpoint directory's) holds a lock file
// for upload id: only then can a running ossdrop hold it.
func hasLock(names map[string]struct{}, id string) bool {
	_, ok := names[id+lockExt]
	return ok
}

// Destination is where the recorded upload goes.
func (u Unfinished) Destination() Destination {
	return Destination{ID: u.Dest, Profile: u.Profile, Endpoint: u.Endpoint, Region: u.Region, Bucket: u.Bucket, AuthV4: u.AuthV4}
}

// ResumeUnfinished queues recorded uploads as tasks (Resumed=true). Each finds its
// destination through Config.Resolve when it starts, on its worker, so this call
// never waits for a keyring or a server. Records whose header could not be read at
// all (no file path) are skipped; the caller saw their Err. Records another ossdrop
// is running (InUse) become Skipped tasks whose Note says so.
//
// Records are admitted resumeChunk at a time, the lock let go between chunks, so
// a front end keeps reading the rows of a queue of half a million files while
// they are admitted; a Manager closed meanwhile admits no more. Records a
// folder walk queued before it read their sizes are sized afterwards, on a
// goroutine of the Manager's, as after a walk.
func (m *Manager) ResumeUnfinished(items []Unfinished) {
	var walks []Unfinished
	var unsizedFrom TaskID
	for len(items) > 0 {
		n := min(len(items), resumeChunk)
		ok := m.admitResumed(items[:n], &walks, &unsizedFrom)
		items = items[n:]
		m.notify()
		if !ok {
			return
		}
	}
	if unsizedFrom != 0 {
		m.sizeLater(unsizedFrom)
	}
	if len(walks) == 0 {
		return
	}
	m.mu.Lock()
	if !m.closed {
		for _, u := range walks {
			m.resumeWalkLocked(u)
		}
	}
	m.mu.Unlock()
	m.notify()
}

// resumeChunk is how many records ResumeUnfinished admits under one hold of
// the lock: a few milliseconds of work.
const resumeChunk = 1024

// admitResumed admits items (walks are gathered for the end) and notes in
// unsizedFrom the first task it admitted unsized, unless one is noted; false
// once the Manager is closed.
func (m *Manager) admitResumed(items []Unfinished, walks *[]Unfinished, unsizedFrom *TaskID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return false
	}
	type admit struct {
		u          *Unfinished
		d          Destination
		qid, cpDir string
	}
	var todo []admit
	var recs []queueRec
	for i := range items {
		u := &items[i]
		if u.Walk && u.Path != "" && !u.InUse {
			*walks = append(*walks, *u)
			continue
		}
		if u.Path == "" || u.Key == "" || u.Walk {
			continue
		}
		if u.InUse {
			t := m.newTaskLocked(u.Path, u.Key, nil, u.Size, "")
			m.queued--
			t.state = Skipped
			t.setNote("not resumed: "+inUseMessage(*u), NotesOf(NoteInUseNotResumed))
			t.setEnded(stampOf(time.Now()))
			continue
		}
		a := admit{u: u, d: u.Destination(), qid: u.id, cpDir: u.cpDir}
		if a.qid == "" {
			a.qid = qidOf(a.d, u.Key, u.Path)
		}
		if m.duplicateQIDLocked(a.qid) != nil {
			continue
		}
		if a.cpDir == "" && u.CheckpointFile != "" {
			a.cpDir = filepath.Dir(u.CheckpointFile)
		}
		if a.cpDir == "" && m.opts.EnableCheckpoint {
			a.cpDir = cpDirFor(m.stateDir, m.opts)
		}
		todo = append(todo, a)
		recs = append(recs, queueRecFor(a.d, a.qid, u.Path, u.Key, u.Size, a.cpDir))
	}
	// This journal records the files before their tasks exist, as a walk's
	// batch does, so a running ossdrop owns them (InUse elsewhere) before any
	// of them can start and finish.
	m.queue.addRecords(recs)
	marks := make([]*bool, 0, len(todo))
	for _, a := range todo {
		if m.duplicateQIDLocked(a.qid) != nil {
			continue // listed twice in items
		}
		done := a.u.Done
		t := m.admitWithLocked(a.u.Path, a.u.Key, a.qid, nil, &a.d, a.u.Size, a.cpDir, true, func(t *task) {
			t.resumed = true
			t.setDone(done)
		})
		if t.qidStr() == a.qid && !t.journaled && !t.state.Finished() {
			marks = append(marks, &t.journaled)
		}
		if *unsizedFrom == 0 && t.size == unsized {
			*unsizedFrom = t.id
		}
	}
	m.queue.listed(marks)
	return true
}

// resumeWalkLocked walks again a file or folder whose walk a crash interrupted,
// leaving out the files the queue records as finished.
//
// Its destination is resolved on the walk's goroutine, with no lock held, since
// that may wait for a keyring or start a server.
func (m *Manager) resumeWalkLocked(u Unfinished) {
	d := u.Destination()
	cpDir := u.cpDir
	if cpDir == "" && m.opts.EnableCheckpoint {
		cpDir = cpDirFor(m.stateDir, m.opts)
	}
	r := walkRecFor(d, u.Path, u.Key, cpDir)
	r.SkipHidden = u.skipHidden
	m.queue.add(r) // this Manager owns the walk now
	m.busy++
	m.markBusyLocked()
	dir := filepath.Join(m.stateDir, "queue")
	ids := []string{r.ID}
	if u.id != "" && u.id != r.ID {
		ids = append(ids, u.id)
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tgt, err := m.resolveRecorded(m.ctx, d)
		w := m.newWalker(tgt, err, cpDir, u.skipHidden)
		if err != nil {
			// The walk record stays, so a later launch (with the secret entered, or
			// the profile back) walks it again.
			m.mu.Lock()
			m.failedTaskLocked(u.Path, u.Key, nil, &TaskError{Op: "resume", Message: err.Error(), Err: err})
			m.busy--
			m.checkIdleLocked()
			m.mu.Unlock()
			m.notify()
			return
		}
		latest, _, _, _ := queueState(dir, false)
		w.done = map[string]bool{}
		for id, r := range latest {
			if r.Op == opDel {
				w.done[id] = true
			}
		}
		m.walkNow(w, []string{u.Path}, u.Key, ids)
	}()
}

// inUseMessage says who owns an upload that is InUse.
func inUseMessage(u Unfinished) string {
	return fmt.Sprintf("%s → %s/%s is being uploaded by another ossdrop process", u.Path, u.Bucket, u.Key)
}

// DiscardUnfinished aborts recorded uploads on the server and forgets them. Uploads
// another ossdrop is running (InUse, or found locked now) are left alone and named
// in the returned error, wrapping ErrInUse.
func (m *Manager) DiscardUnfinished(ctx context.Context, items []Unfinished) error {
	var errs []error
	for _, u := range items {
		if u.InUse {
			errs = append(errs, fmt.Errorf("not discarded: %s: %w", inUseMessage(u), ErrInUse))
			continue
		}
		lk, err := m.lockUnfinished(u)
		if err != nil {
			if errors.Is(err, ErrInUse) {
				err = fmt.Errorf("not discarded: %s: %w", inUseMessage(u), ErrInUse)
			}
			errs = append(errs, err)
			continue
		}
		if err := m.discardUnfinished(ctx, u); err != nil {
			errs = append(errs, err)
		}
		lk.release()
	}
	if err := m.queue.flush(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// lockUnfinished takes the checkpoint lock of a recorded upload, when it has a
// checkpoint directory; nil lock otherwise.
func (m *Manager) lockUnfinished(u Unfinished) (*cpLock, error) {
	dir := u.cpDir
	if dir == "" && u.CheckpointFile != "" {
		dir = filepath.Dir(u.CheckpointFile)
	}
	if dir == "" || u.id == "" {
		return nil, nil
	}
	return acquireCPLock(lockPathFor(dir, u.id))
}

func (m *Manager) discardUnfinished(ctx context.Context, u Unfinished) error {
	if u.UploadID != "" && u.Bucket != "" {
		tgt, err := m.resolveRecorded(ctx, u.Destination())
		if err == nil {
			key := u.Key
			if h, herr := checkpoint.ReadHeader(u.CheckpointFile); herr == nil {
				key = h.Key
			}
			err = tgt.bkt.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: u.Bucket, Key: key, UploadID: u.UploadID}, oss.WithContext(ctx))
			var se oss.ServiceError
			if errors.As(err, &se) && se.Code == "NoSuchUpload" {
				err = nil
			}
		}
		if err != nil {
			return fmt.Errorf("abort upload of %s to %s/%s: %w", u.Path, u.Bucket, u.Key, err)
		}
	}
	if u.CheckpointFile != "" {
		if err := os.Remove(u.CheckpointFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove checkpoint: %w", err)
		}
	}
	m.queue.del(u.id)
	return nil
}

// Orphan is a multipart upload in the bucket that no checkpoint knows of.
type Orphan struct {
	Key, UploadID string
	Initiated     time.Time
}

func (m *Manager) currentTarget() (*target, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.tgt == nil {
		return nil, m.tgtErr
	}
	return m.tgt, nil
}

// Orphans lists unfinished multipart uploads in the current bucket that neither a
// checkpoint nor a running task knows of: storage that is billed but useless.
func (m *Manager) Orphans(ctx context.Context) ([]Orphan, error) {
	tgt, err := m.currentTarget()
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	m.mu.Lock()
	dirs := map[string]bool{filepath.Join(m.stateDir, "checkpoints"): true, cpDirFor(m.stateDir, m.opts): true}
	for _, t := range m.tasks {
		if t.cpDir() != "" {
			dirs[t.cpDir()] = true
		}
	}
	m.mu.Unlock()
	for d := range dirs {
		names, _ := filepath.Glob(filepath.Join(d, "*"+checkpoint.Ext))
		for _, n := range names {
			if h, err := checkpoint.ReadHeader(n); err == nil {
				known[h.UploadID] = true
			}
		}
	}
	var out []Orphan
	keyMarker, idMarker := "", ""
	for {
		res, err := tgt.bkt.ListMultipartUploads(oss.WithContext(ctx), oss.KeyMarker(keyMarker), oss.UploadIDMarker(idMarker), oss.MaxUploads(1000))
		if err != nil {
			_, te := classify(ctx, "list unfinished uploads", tgt, err)
			return nil, te
		}
		for _, u := range res.Uploads {
			if !known[u.UploadID] {
				out = append(out, Orphan{Key: u.Key, UploadID: u.UploadID, Initiated: u.Initiated})
			}
		}
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	// A task may have initiated while we listed; never offer its upload for abort.
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := out[:0]
	for _, o := range out {
		if !m.uploadIDLiveLocked(o.UploadID) {
			kept = append(kept, o)
		}
	}
	return kept, nil
}

func (m *Manager) uploadIDLive(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.uploadIDLiveLocked(id)
}

func (m *Manager) uploadIDLiveLocked(id string) bool {
	for _, t := range m.runSet {
		if t.cpDir() == "" {
			continue
		}
		if h, err := checkpoint.ReadHeader(filepath.Join(t.cpDir(), t.qidStr()+checkpoint.Ext)); err == nil && h.UploadID == id {
			return true
		}
	}
	return false
}

// AbortOrphans aborts the given uploads in the current bucket.
func (m *Manager) AbortOrphans(ctx context.Context, o []Orphan) error {
	tgt, err := m.currentTarget()
	if err != nil {
		return err
	}
	var errs []error
	for _, x := range o {
		err := tgt.bkt.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: tgt.bucket, Key: x.Key, UploadID: x.UploadID}, oss.WithContext(ctx))
		var se oss.ServiceError
		if err != nil && !(errors.As(err, &se) && se.Code == "NoSuchUpload") {
			_, te := classify(ctx, "abort "+x.Key, tgt, err)
			errs = append(errs, te)
		}
	}
	return errors.Join(errs...)
}

// ObjectURL returns the URL of a finished object: plain when expires is 0, else
// presigned for that long.
func (m *Manager) ObjectURL(id TaskID, expires time.Duration) (string, error) {
	m.mu.Lock()
	t, err := m.get(id)
	if err != nil {
		m.mu.Unlock()
		return "", err
	}
	if t.state != Done {
		m.mu.Unlock()
		return "", fmt.Errorf("task %d is %s: only uploaded objects have a URL", id, t.state)
	}
	tgt, key := t.tgt, t.key()
	m.mu.Unlock()
	if expires > 0 {
		u, err := tgt.bkt.SignURL(key, oss.HTTPGet, int64(expires.Seconds()))
		if err != nil {
			return "", fmt.Errorf("presign %s: %w", key, err)
		}
		return u, nil
	}
	return plainURL(tgt.endpoint, tgt.bucket, key)
}

// plainURL builds the object's address as the SDK would: virtual-host style for
// named endpoints, path style for IP endpoints (the local server).
func plainURL(endpoint, bucket, key string) (string, error) {
	ep := endpoint
	if !strings.Contains(ep, "://") {
		ep = "https://" + ep
	}
	u, err := url.Parse(ep)
	if err != nil {
		return "", fmt.Errorf("endpoint %q: %w", endpoint, err)
	}
	esc := strings.ReplaceAll(url.PathEscape(key), "%2F", "/")
	host := u.Hostname()
	if isIP(host) || host == "localhost" {
		return fmt.Sprintf("%s://%s/%s/%s", u.Scheme, u.Host, bucket, esc), nil
	}
	return fmt.Sprintf("%s://%s.%s/%s", u.Scheme, bucket, u.Host, esc), nil
}

func isIP(h string) bool {
	return strings.Count(h, ".") == 3 && strings.Trim(h, "0123456789.") == "" || strings.Contains(h, ":")
}
