package transfer

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
	"github.com/ossdrop/ossdrop/internal/fileio"
	"github.com/ossdrop/ossdrop/transfer/checkpoint"
)

// result is how an upload attempt ended.
type result struct {
	state        State
	err          *TaskError
	note         string
	noteKind     NoteKinds
	uploadID     string // set while a multipart upload exists on the server
	cpPath       string // checkpoint file, when one was written
	credsExpired bool
	queueDone    bool    // the durable queue already records the task as finished
	lock         *cpLock // the checkpoint lock, released by Manager.run after any discard
}

// stepErr carries a classified failure out of a step.
type stepErr struct {
	kind errKind
	te   *TaskError
}

func (e *stepErr) Error() string { return e.te.Error() }

func localErr(op, msg string, err error) *stepErr {
	return &stepErr{kind: kindFatal, te: &TaskError{Op: op, Message: msg, Err: err}}
}

// job is one attempt at uploading one task's file.
type job struct {
	m      *Manager
	t      *task
	tgt    *target
	opts   Options
	key    string
	f      *os.File
	opened os.FileInfo // f's at open: its identity, for checkUnchanged
	size   int64
	mtime  int64
	fp     string

	cpPath   string
	jr       *checkpoint.Journal
	imur     oss.InitiateMultipartUploadResult
	partSize int64
	parts    []partRec // index = part number - 1; guarded by m.mu once parts run
	forbid   bool      // send x-oss-forbid-overwrite
	phase    State
	notes    []string
	noteKind NoteKinds
	callback []byte
	cbFailed string
	sniffed  []byte // the file's first bytes when already read, for the content type
	// queueDone is set once the durable queue says "finished" for this task.
	queueDone bool
	lock      *cpLock

	// recheck lists the parts taken from the checkpoint: their bytes are read again
	// and checked against the recorded CRC64 before Complete.
	recheck []int
	// restarted is set once the file changed under an attempt and it began again.
	restarted bool
	// ownObject says this job already created the object, so a restart may replace it.
	ownObject bool
	// earlierDone is set when resume finds the object already complete on the server.
	earlierDone bool
}

type partRec struct {
	done bool
	size int64
	etag string
	crc  uint64
}

func (m *Manager) upload(ctx context.Context, t *task) (res result) {
	m.mu.Lock()
	rec := t.rec()
	unresolved := t.tgt == nil && rec != nil
	m.mu.Unlock()
	if unresolved {
		// Recorded by an earlier run: find where it goes now, with no lock held.
		tgt, err := m.resolveRecorded(ctx, *rec)
		if err != nil {
			te := &TaskError{Op: "resolve", Message: err.Error(), Err: err}
			res.err = te
			res.state = Failed
			if errors.Is(err, ErrWaitingForCredentials) {
				res.state, res.credsExpired = Paused, true
			}
			return res
		}
		m.mu.Lock()
		t.tgt = tgt
		m.mu.Unlock()
	}
	m.mu.Lock()
	j := &job{m: m, t: t, tgt: t.tgt, opts: m.opts, key: t.key(), phase: Uploading}
	m.mu.Unlock()
	defer func() {
		if j.f != nil {
			j.f.Close()
		}
		if j.jr != nil {
			j.jr.Close()
		}
		res.uploadID = j.imur.UploadID
		if j.jr != nil {
			res.cpPath = j.cpPath
		}
		res.note = strings.Join(j.notes, "; ")
		res.noteKind = j.noteKind
		res.queueDone = j.queueDone
		res.lock = j.lock
	}()
	state, err := j.run(ctx)
	if err == nil {
		res.state = state
		return res
	}
	var se *stepErr
	if !errors.As(err, &se) {
		se = localErr("upload", err.Error(), err)
	}
	res.err = se.te
	switch se.kind {
	case kindCreds:
		res.state, res.credsExpired = Paused, true
	default:
		res.state = Failed
	}
	return res
}

// run makes one attempt and, when the file changed under it, exactly one more from
// zero: an object that mixes two versions of a file is never reported done.
func (j *job) run(ctx context.Context) (State, error) {
	st, err := j.attempt(ctx)
	if !isChanged(err) {
		return st, err
	}
	j.m.log.Warn("file changed while uploading", "path", j.t.path(), "err", err)
	j.note(NoteChangedRestarted, "changed while uploading; started again")
	j.restart()
	st, err = j.attempt(ctx)
	if isChanged(err) {
		return 0, localErr("changed", fmt.Sprintf("%s changed again while it was being uploaded, so it was not uploaded; retry once it stays unchanged", j.t.path()), err)
	}
	return st, err
}

// restart drops what an attempt left: the server-side multipart upload, its
// checkpoint, the open file and the progress shown.
func (j *job) restart() {
	j.restarted = true
	if j.jr != nil {
		j.jr.Close()
		j.jr = nil
	}
	j.m.discard(j.tgt, j.key, j.imur.UploadID, j.cpPath)
	j.imur = oss.InitiateMultipartUploadResult{}
	j.parts, j.recheck, j.partSize, j.fp = nil, nil, 0, ""
	if j.f != nil {
		j.f.Close()
		j.f = nil
	}
	j.resetProgress()
}

// ErrFileChanged is wrapped in the TaskError of a file whose size, time or
// bytes changed during an attempt, so front ends can say so in their words.
var ErrFileChanged = errors.New("the file changed while it was being uploaded")

// ErrCRCMismatch is wrapped in the TaskError of an upload whose stored object's
// CRC64 differs from the file's; ErrNoCRC when the server reported none.
var (
	ErrCRCMismatch = errors.New("the stored object's CRC64 does not match the file")
	ErrNoCRC       = errors.New("the server reported no CRC64")
)

var errChanged = ErrFileChanged

func isChanged(err error) bool {
	var se *stepErr
	return errors.As(err, &se) && se.kind == kindChanged
}

func changedErr(path, why string) error {
	return &stepErr{kind: kindChanged, te: &TaskError{Op: "check", Message: fmt.Sprintf("%s %s", path, why), Err: errChanged}}
}

// checkUnchanged compares the file at its path with what this attempt opened: the
// same file, size and modification time. One stat of the path does: when it
// names the file opened, its size and time are the open file's.
func (j *job) checkUnchanged() error {
	st, err := os.Stat(j.t.path())
	if err != nil {
		return changedErr(j.t.path(), fmt.Sprintf("can no longer be read: %v", unwrapPath(err)))
	}
	switch {
	case !os.SameFile(st, j.opened):
		return changedErr(j.t.path(), "was replaced while it was being uploaded")
	case st.Size() != j.size:
		return changedErr(j.t.path(), fmt.Sprintf("changed size while it was being uploaded (%d → %d bytes)", j.size, st.Size()))
	case st.ModTime().UnixNano() != j.mtime:
		return changedErr(j.t.path(), "was modified while it was being uploaded")
	}
	return nil
}

func (j *job) attempt(ctx context.Context) (State, error) {
	t := j.t
	if t.tgt == nil {
		return 0, localErr("start", "no destination bucket is configured", nil)
	}
	f, err := fileio.Open(t.path())
	if err != nil {
		return 0, localErr("open", fmt.Sprintf("cannot read %s: %v", t.path(), unwrapPath(err)), err)
	}
	j.f = f
	st, err := f.Stat()
	if err != nil {
		return 0, localErr("open", fmt.Sprintf("cannot read %s: %v", t.path(), unwrapPath(err)), err)
	}
	if !st.Mode().IsRegular() {
		return 0, localErr("open", fmt.Sprintf("%s is not a regular file", t.path()), nil)
	}
	j.size, j.mtime, j.opened = st.Size(), st.ModTime().UnixNano(), st
	j.m.mu.Lock()
	if t.size != j.size {
		t.size = j.size
		j.m.touchLocked(t)
	}
	j.m.mu.Unlock()

	// A file sent in one request has no checkpoint unless an earlier run sent
	// it in parts; the index says so without a system call (cpindex.go).
	if t.cpDir() != "" && !j.restarted && (j.size >= j.threshold() || j.m.cps.mayHave(t.cpDir(), t.qidStr()+checkpoint.Ext)) {
		j.cpPath = filepath.Join(t.cpDir(), t.qidStr()+checkpoint.Ext)
		if err := j.lockCheckpoint(ctx); err != nil {
			return 0, err
		}
		resumed, err := j.tryResume(ctx)
		if err != nil {
			return 0, err
		}
		if j.earlierDone {
			return j.finishEarlierDone(), nil
		}
		if resumed {
			return j.finishMultipart(ctx)
		}
	}

	if j.ownObject {
		j.forbid = false // the object at the key is this job's own first attempt
	} else if !j.restarted {
		if skip, err := j.applyOnExists(ctx); err != nil || skip {
			return Skipped, err
		}
	}
	if j.size < j.threshold() {
		return j.putObject(ctx)
	}
	if err := j.initiate(ctx); err != nil {
		return 0, err
	}
	return j.finishMultipart(ctx)
}

// lockCheckpoint takes the checkpoint lock before the checkpoint is read: another
// ossdrop process running the same upload would otherwise share the journal. A file
// sent in one request with no checkpoint left from an earlier run has no journal to
// share, and creating a lock file for each of thousands of small files costs more
// CPU than their upload; two processes sending the same small file just send the
// same bytes twice.
func (j *job) lockCheckpoint(ctx context.Context) error {
	t := j.t
	if j.size < j.threshold() {
		if _, err := os.Lstat(j.cpPath); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	lk, err := acquireCPLockWait(ctx, lockPathFor(t.cpDir(), t.qidStr()))
	switch {
	case errors.Is(err, ErrInUse):
		return localErr("lock", fmt.Sprintf("%s → %s/%s is being uploaded by another ossdrop process", t.path(), j.tgt.bucket, t.key()), err)
	case err != nil && ctx.Err() != nil:
		return &stepErr{kind: kindCanceled, te: &TaskError{Op: "lock", Message: "stopped", Err: err}}
	case err != nil:
		return localErr("lock", fmt.Sprintf("cannot lock the checkpoint of %s: %v", t.path(), err), err)
	}
	j.lock = lk
	return nil
}

// threshold is the size from which a file goes up in parts.
func (j *job) threshold() int64 { return multipartThreshold(j.opts) }

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (j *job) note(k NoteKind, s string) {
	j.notes = append(j.notes, s)
	j.noteKind |= NotesOf(k)
}

// setPhase moves the task to a visible state (uploading, completing, verifying).
func (j *job) setPhase(s State) {
	j.phase = s
	j.m.mu.Lock()
	if j.t.state != s {
		j.m.setStateLocked(j.t, s)
	}
	j.t.setErr(nil)
	j.m.mu.Unlock()
	j.m.notify()
}

// do runs fn, retrying transient failures with backoff; the task shows Retrying with
// the reason while it waits.
func (j *job) do(ctx context.Context, op string, fn func(attempt int) error) error {
	p := j.m.retry
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil {
			if attempt > 1 {
				j.m.mu.Lock()
				if j.t.state == Retrying {
					j.m.setStateLocked(j.t, j.phase)
					j.t.setErr(nil)
				}
				j.m.mu.Unlock()
				j.m.notify()
			}
			return nil
		}
		var se *stepErr
		if errors.As(err, &se) {
			return se
		}
		if errors.Is(err, errShrunk) {
			// Retrying cannot bring the bytes back: fail at once, not after a minute of retries.
			return localErr(op, fmt.Sprintf("%s: the file got shorter while it was being read", j.t.path()), err)
		}
		kind, te := classifyTimeout(ctx, op, j.tgt, err, j.m.replyTimeout)
		if kind == kindNoReply {
			kind = kindRetry
			if attempt >= noReplyAttempts {
				return &stepErr{kind: kindFatal, te: te}
			}
		}
		if kind == kindRetry && attempt < p.MaxAttempts {
			j.m.mu.Lock()
			if j.t.state != Retrying {
				j.m.setStateLocked(j.t, Retrying)
			}
			j.t.setErr(te)
			wait := backoff(p, attempt)
			j.t.rt.retryAt = time.Now().Add(wait)
			j.m.touchLocked(j.t)
			j.t.coldPart().retries++
			j.m.mu.Unlock()
			j.m.notify()
			j.m.log.Info("retrying", "path", j.t.path(), "op", op, "attempt", attempt, "err", err)
			slept := sleepCtx(ctx, wait)
			j.m.mu.Lock()
			j.t.rt.retryAt = time.Time{}
			j.m.touchLocked(j.t)
			j.m.mu.Unlock()
			if slept != nil {
				return &stepErr{kind: kindCanceled, te: &TaskError{Op: op, Message: op + ": stopped", Err: ctx.Err()}}
			}
			continue
		}
		if kind == kindRetry {
			te.Message += fmt.Sprintf(" (gave up after %d attempts)", attempt)
			kind = kindFatal
		}
		return &stepErr{kind: kind, te: te}
	}
}

// tryResume continues the upload recorded in this file's checkpoint, reconciling it
// with the server. It returns false (after cleaning up) when starting over is right.
func (j *job) tryResume(ctx context.Context) (bool, error) {
	l, err := checkpoint.Load(j.cpPath)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		var ce *checkpoint.CorruptError
		if errors.As(err, &ce) {
			j.note(NoteRestarted, fmt.Sprintf("%v; started again from zero", err))
			j.m.log.Warn("corrupt checkpoint", "file", j.cpPath, "err", err)
			j.abortAbandoned(ctx)
			os.Remove(j.cpPath)
			return false, nil
		}
		return false, localErr("resume", fmt.Sprintf("cannot read checkpoint %s: %v", j.cpPath, err), err)
	}
	h := l.Header
	stale := func(why string) (bool, error) {
		j.note(NoteRestarted, why)
		j.m.discard(j.tgt, h.Key, h.UploadID, j.cpPath)
		return false, nil
	}
	recorded := Destination{ID: h.Dest, Profile: h.Profile, Endpoint: h.Endpoint}
	if h.Bucket != j.tgt.bucket || !sameDestination(recorded, Target{Dest: j.tgt.dest, Profile: j.tgt.profile, Endpoint: j.tgt.endpoint}) || h.Path != j.t.path() {
		return stale("the checkpoint belonged to another destination; started again from zero")
	}
	// Only a new size makes the recorded parts useless. Any other edit, even one
	// that kept the modification time, is caught part by part: every part taken from
	// the checkpoint is read again and its CRC64 compared before Complete.
	if h.Size != j.size {
		return stale("file changed since the last run; the earlier partial upload was discarded and it restarted from zero")
	}
	if h.PartSize < MinPartSize || h.PartSize > MaxPartSize || partCount(h.Size, h.PartSize) > MaxParts {
		return stale(fmt.Sprintf("checkpoint %s has an invalid part size %d; started again from zero", j.cpPath, h.PartSize))
	}
	j.fp = h.Fingerprint
	imur := oss.InitiateMultipartUploadResult{Bucket: h.Bucket, Key: h.Key, UploadID: h.UploadID}
	server, err := j.listParts(ctx, imur)
	if err != nil {
		var se *stepErr
		if errors.As(err, &se) && se.kind == kindNoUpload {
			done, err := j.completedEarlier(ctx, h.Key)
			if err != nil || done {
				return false, err
			}
			j.note(NoteRestarted, "the earlier upload no longer exists on the server (expired or aborted); restarted from zero")
			os.Remove(j.cpPath)
			return false, nil
		}
		return false, err
	}
	j.imur, j.partSize, j.key = imur, h.PartSize, h.Key
	j.forbid = h.Options.ForbidOverwrite
	j.parts = make([]partRec, partCount(j.size, j.partSize))
	var done int64
	for _, p := range l.Parts {
		if p.Number > len(j.parts) {
			continue
		}
		want := j.partLen(p.Number)
		sp, ok := server[p.Number]
		if !ok || p.Size != want || int64(sp.Size) != want || !sameETag(sp.ETag, p.ETag) {
			continue // missing or different on the server: send it again
		}
		j.parts[p.Number-1] = partRec{done: true, size: want, etag: p.ETag, crc: p.CRC64}
		j.recheck = append(j.recheck, p.Number)
		done += want
	}
	jr, err := checkpoint.OpenAppend(j.cpPath, l.ValidLen)
	if err != nil {
		return false, localErr("resume", err.Error(), err)
	}
	j.jr = jr
	j.m.mu.Lock()
	j.t.setKey(h.Key)
	j.t.resumed = true
	j.t.setDone(done)
	j.t.rt.sent.Store(done)
	j.m.touchLocked(j.t)
	j.m.mu.Unlock()
	j.m.notify()
	j.m.log.Info("resuming", "path", j.t.path(), "key", h.Key, "upload_id", h.UploadID, "done", done, "size", j.size)
	return true, nil
}

// completedEarlier recognises an upload whose Complete succeeded on the server but
// was never recorded here (a crash, or a lost reply): the object at key has this
// file's size and CRC64. Then nothing needs sending.
func (j *job) completedEarlier(ctx context.Context, key string) (bool, error) {
	h, err := j.head(ctx, key)
	if err != nil || h == nil {
		return false, err
	}
	if n, _ := strconv.ParseInt(h.Get("Content-Length"), 10, 64); n != j.size {
		return false, nil
	}
	remote, err := strconv.ParseUint(h.Get(oss.HTTPHeaderOssCRC64), 10, 64)
	if err != nil {
		return false, nil
	}
	local, err := j.fileCRC(ctx)
	if err != nil || local != remote {
		return false, err
	}
	if err := j.checkUnchanged(); err != nil {
		return false, nil // it changed as it was read: upload it as it is now
	}
	j.key = key
	j.earlierDone = true
	j.note(NoteAlreadyUploaded, "already uploaded by an earlier run whose end was not recorded (the object has this file's size and CRC64); nothing sent")
	return true, nil
}

// finishEarlierDone records a file found complete on the server as finished.
func (j *job) finishEarlierDone() State {
	if err := j.m.queue.finish(j.t.qidStr(), "", &j.t.journaled); err != nil {
		j.m.log.Warn("durable queue write failed", "err", err)
	}
	j.queueDone = true
	if err := os.Remove(j.cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		j.m.log.Warn("remove checkpoint", "err", err)
	}
	j.m.mu.Lock()
	j.t.setKey(j.key)
	j.t.resumed = true
	j.m.touchLocked(j.t)
	j.m.mu.Unlock()
	return j.finishDone()
}

// abortAbandoned aborts the server-side upload a corrupt checkpoint named, so
// starting again does not leave its parts billed forever. When even the header is
// unreadable, the uploads for this key that no other checkpoint knows are the
// abandoned ones.
func (j *job) abortAbandoned(ctx context.Context) {
	if h, err := checkpoint.ReadHeader(j.cpPath); err == nil {
		j.m.discard(j.tgt, h.Key, h.UploadID, "")
		return
	}
	known := map[string]bool{}
	names, _ := filepath.Glob(filepath.Join(j.t.cpDir(), "*"+checkpoint.Ext))
	for _, n := range names {
		if h, err := checkpoint.ReadHeader(n); err == nil {
			known[h.UploadID] = true
		}
	}
	res, err := j.tgt.bkt.ListMultipartUploads(oss.Prefix(j.key), oss.MaxUploads(1000), oss.WithContext(ctx))
	if err != nil {
		j.m.log.Warn("list uploads to abort after a corrupt checkpoint", "key", j.key, "err", err)
		return
	}
	for _, u := range res.Uploads {
		if u.Key == j.key && !known[u.UploadID] && !j.m.uploadIDLive(u.UploadID) {
			j.m.discard(j.tgt, u.Key, u.UploadID, "")
		}
	}
}

func sameETag(a, b string) bool {
	return strings.EqualFold(strings.Trim(a, `"`), strings.Trim(b, `"`))
}

// listParts asks the server which parts it holds (the source of truth), page by page.
func (j *job) listParts(ctx context.Context, imur oss.InitiateMultipartUploadResult) (map[int]oss.UploadedPart, error) {
	out := map[int]oss.UploadedPart{}
	marker := 0
	for {
		var res oss.ListUploadedPartsResult
		err := j.do(ctx, "list parts", func(int) error {
			var err error
			res, err = j.tgt.bkt.ListUploadedParts(imur, oss.WithContext(ctx), oss.MaxParts(1000), oss.PartNumberMarker(marker))
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range res.UploadedParts {
			out[p.PartNumber] = p
		}
		next, _ := strconv.Atoi(res.NextPartNumberMarker)
		if !res.IsTruncated || next <= marker {
			return out, nil
		}
		marker = next
	}
}

func (j *job) partLen(n int) int64 {
	off := int64(n-1) * j.partSize
	return min(j.partSize, j.size-off)
}

// head returns the object's headers, or nil when it does not exist.
func (j *job) head(ctx context.Context, key string) (http.Header, error) {
	var h http.Header
	err := j.do(ctx, "check existing object", func(int) error {
		var err error
		h, err = j.tgt.bkt.GetObjectDetailedMeta(key, oss.WithContext(ctx))
		var se oss.ServiceError
		if errors.As(err, &se) && se.StatusCode == 404 && (se.Code == "" || se.Code == "NoSuchKey") {
			h = nil
			return nil
		}
		return err
	})
	return h, err
}

// applyOnExists implements the OnExists policy; it returns true when the task is skipped.
func (j *job) applyOnExists(ctx context.Context) (bool, error) {
	if j.opts.OnExists == Ask {
		return j.askOnExists(ctx)
	}
	switch j.opts.OnExists {
	case Skip:
		h, err := j.head(ctx, j.key)
		if err != nil {
			return false, err
		}
		if h != nil {
			j.note(NoteExistsSkipped, "an object with this key already exists; skipped")
			return true, nil
		}
		j.forbid = true // closes the gap between this check and the write
	case SkipIdentical:
		h, err := j.head(ctx, j.key)
		if err != nil || h == nil {
			return false, err
		}
		if n, _ := strconv.ParseInt(h.Get("Content-Length"), 10, 64); n != j.size {
			return false, nil
		}
		remote, err := strconv.ParseUint(h.Get(oss.HTTPHeaderOssCRC64), 10, 64)
		if err != nil {
			return false, nil
		}
		local, err := j.fileCRC(ctx)
		if err != nil {
			return false, err
		}
		if local == remote {
			j.note(NoteIdenticalSkipped, "an identical object (same size and CRC64) already exists; skipped")
			return true, nil
		}
	case Rename:
		base := j.key
		for i := 0; i < 10000; i++ {
			cand := base
			if i > 0 {
				cand = renamed(base, i)
			}
			h, err := j.head(ctx, cand)
			if err != nil {
				return false, err
			}
			if h == nil {
				if cand != base {
					j.key = cand
					j.note(NoteRenamed, fmt.Sprintf("%s already existed; uploaded as %s", base, cand))
					j.m.mu.Lock()
					j.t.setKey(cand)
					j.m.touchLocked(j.t)
					j.m.mu.Unlock()
				}
				j.forbid = true
				return false, nil
			}
		}
		return false, localErr("rename", fmt.Sprintf("could not find a free name for %s", base), nil)
	}
	return false, nil
}

// renamed turns "dir/name.ext" into "dir/name (i).ext".
func renamed(key string, i int) string {
	dir, file := path.Split(key)
	ext := path.Ext(file)
	if ext == file {
		ext = ""
	}
	return fmt.Sprintf("%s%s (%d)%s", dir, strings.TrimSuffix(file, ext), i, ext)
}

func (j *job) fileCRC(ctx context.Context) (uint64, error) {
	h := crc64ecma.New()
	r := &ctxReader{ctx: ctx, r: io.NewSectionReader(j.f, 0, j.size)}
	if _, err := io.Copy(h, r); err != nil {
		if ctx.Err() != nil {
			return 0, &stepErr{kind: kindCanceled, te: &TaskError{Op: "checksum", Message: "stopped", Err: err}}
		}
		return 0, localErr("checksum", fmt.Sprintf("cannot read %s: %v", j.t.path(), err), err)
	}
	return h.Sum64(), nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// sniffLen is how much of a file is read to guess its content type.
const sniffLen = 512

// objectOptions are the headers that shape the object: type, ACL, class, metadata.
func (j *job) objectOptions() []oss.Option {
	var opts []oss.Option
	ct := j.opts.Meta.ContentType
	if ct == "" {
		ct = typeByExt(j.key)
		if ct == "" {
			head := j.sniffed
			if head == nil {
				head = make([]byte, sniffLen)
				n, _ := j.f.ReadAt(head, 0)
				head = head[:n]
			}
			ct = contentTypeFor(j.key, head)
		}
	}
	opts = append(opts, oss.ContentType(ct))
	if j.opts.Meta.ACL != "" {
		opts = append(opts, oss.ObjectACL(oss.ACLType(j.opts.Meta.ACL)))
	}
	if j.opts.Meta.StorageClass != "" {
		opts = append(opts, oss.ObjectStorageClass(oss.StorageClassType(j.opts.Meta.StorageClass)))
	}
	keys := make([]string, 0, len(j.opts.Meta.UserMeta))
	for k := range j.opts.Meta.UserMeta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, oss.Meta(k, j.opts.Meta.UserMeta[k]))
	}
	return opts
}

// finalOptions go on the request that creates the object (PutObject or Complete).
func (j *job) finalOptions() []oss.Option {
	var opts []oss.Option
	if j.forbid {
		opts = append(opts, oss.ForbidOverWrite(true))
	}
	if c := j.opts.Callback; c != nil {
		cb := map[string]string{"callbackUrl": c.URL, "callbackBody": c.Body}
		if c.Host != "" {
			cb["callbackHost"] = c.Host
		}
		if c.BodyType != "" {
			cb["callbackBodyType"] = c.BodyType
		}
		b, _ := json.Marshal(cb)
		opts = append(opts, oss.Callback(base64.StdEncoding.EncodeToString(b)))
		if len(c.Vars) > 0 {
			v, _ := json.Marshal(c.Vars)
			opts = append(opts, oss.CallbackVar(base64.StdEncoding.EncodeToString(v)))
		}
		opts = append(opts, oss.CallbackResult(&j.callback))
	}
	return opts
}

// sending is the body of a single-request upload (PutObject; a part's body is
// a partBody) as the connection reads it: it counts the
// bytes handed over (the row's progress moves with them) and computes their
// CRC64, once per byte. The SDK's own CRC is off (see NewOSSClient), so this is
// the CRC compared with the server's. The transport reads on a goroutine of its
// own, so the counters are atomic.
type sending struct {
	r     io.Reader
	rt    *running
	n     atomic.Int64
	crc   atomic.Uint64
	known bool // crc was computed before sending (the bytes are in memory)
}

func (s *sending) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		if !s.known {
			s.crc.Store(crc64ecma.Update(s.crc.Load(), p[:n]))
		}
		s.n.Add(int64(n))
		s.rt.sent.Add(int64(n))
	}
	return n, err
}

// rollback takes back the bytes of a failed attempt so progress never overstates.
func (s *sending) rollback() { s.rt.sent.Add(-s.n.Swap(0)) }

// checkCRC compares the CRC64 of the bytes sent with the one the server reports
// for what it stored: a mismatch is corruption in transit, and the request is sent
// again.
func (s *sending) checkCRC(op string, hdr http.Header) error {
	return checkCRC(op, hdr, s.crc.Load())
}

// checkCRC compares crc, that of the bytes sent, with the CRC64 in the reply.
func checkCRC(op string, hdr http.Header, crc uint64) error {
	v := hdr.Get(oss.HTTPHeaderOssCRC64)
	if v == "" {
		return nil // no CRC from the server; the whole-object check decides
	}
	server, err := strconv.ParseUint(v, 10, 64)
	if err != nil || server != crc {
		return &crcMismatchError{op: op, client: crc, server: v, requestID: hdr.Get(oss.HTTPHeaderOssRequestID)}
	}
	return nil
}

// crcMismatchError is a reply whose CRC64 differs from that of the bytes sent.
type crcMismatchError struct {
	op, server, requestID string
	client                uint64
}

func (e *crcMismatchError) Error() string {
	return fmt.Sprintf("%s: the server stored CRC64 %s but %d was sent (RequestId %s)", e.op, e.server, e.client, e.requestID)
}

// errShrunk is what reading a file returns when it ends before the size it had
// when the attempt began.
var errShrunk = errors.New("the file got shorter while it was being read")

// exactReader reads exactly n bytes of f from off, failing with errShrunk when the
// file ends early (so the request fails at once instead of as a network error).
type exactReader struct {
	r    io.Reader
	left int64
}

func (j *job) section(off, n int64) *exactReader {
	return &exactReader{r: io.NewSectionReader(j.f, off, n), left: n}
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if errors.Is(err, io.EOF) && e.left > 0 {
		err = errShrunk
	} else if err == nil && e.left == 0 {
		err = io.EOF
	}
	return n, err
}

// putObject uploads a small file in one request, checked against the server's CRC64.
func (j *job) putObject(ctx context.Context) (State, error) {
	var hdr http.Header
	var local uint64
	var whole []byte // the file's bytes, when it is read once (smallput.go)
	var crc uint64
	if j.size <= bufferedMax {
		bp := getBuf(j.size)
		defer putBuf(bp)
		whole = (*bp)[:j.size]
		if err := j.readWhole(whole); err != nil {
			return 0, err
		}
		crc = wholeCRC(whole)
		j.sniffed = whole[:min(len(whole), sniffLen)]
	}
	opts := append(j.objectOptions(), j.finalOptions()...)
	j.sniffed = nil // the buffer goes back to the pool
	// A file the scheduler counted as a one-request upload is limited by the
	// adaptive window and reports to it; any other (one that shrank below the
	// threshold after it was queued) shares the parts' limit.
	win := j.m.small.win
	if j.t.rt.small == 0 {
		win = nil
	}
	err := j.do(ctx, "upload", func(attempt int) error {
		if win == nil {
			if err := j.m.sem.acquire(ctx); err != nil {
				return err
			}
			defer j.m.sem.release()
		}
		var src io.Reader
		body := &sending{rt: j.t.rt}
		if whole != nil {
			held := &heldBytes{b: whole}
			defer held.release()
			src = held
			body.known = true
			body.crc.Store(crc)
		} else {
			src = j.section(0, j.size)
		}
		body.r = j.m.limiter.Reader(ctx, src)
		o := append(opts[:len(opts):len(opts)], oss.WithContext(ctx), oss.GetResponseHeader(&hdr))
		// A LimitedReader lets the SDK send Content-Length (OSS wants it) rather than chunks.
		sent := time.Now()
		hdr = nil
		err := j.tgt.bkt.PutObject(j.key, &io.LimitedReader{R: body, N: j.size}, o...)
		if win != nil && ctx.Err() == nil {
			c, delay := congestionOf(hdr, err)
			win.observe(j.size, time.Since(sent), c, delay)
		}
		if err != nil {
			body.rollback()
			var se oss.ServiceError
			if errors.As(err, &se) && se.Code == "CallbackFailed" {
				j.cbFailed = se.Message
				local = body.crc.Load()
				return nil
			}
			return err
		}
		if err := body.checkCRC("upload", hdr); err != nil {
			body.rollback()
			return err
		}
		local = body.crc.Load()
		return nil
	})
	if err != nil {
		return j.existsOutcome(err)
	}
	j.ownObject = true
	// The bytes sent must still be the file: same file, size and time, and the same
	// CRC64 when read again (this catches an edit that put the time back). Small
	// files only take this path, so the second read is cheap.
	if err := j.checkUnchanged(); err != nil {
		return 0, err
	}
	again, err := uint64(0), error(nil)
	if whole != nil {
		// The body is released (each attempt's deferred release has run): the
		// buffer takes the second read.
		if err = j.readWhole(whole); err == nil {
			again = wholeCRC(whole)
		}
	} else {
		again, err = j.fileCRC(ctx)
	}
	if err != nil {
		return 0, err
	} else if again != local {
		return 0, changedErr(j.t.path(), "was modified while it was being uploaded")
	}
	if err := j.verify(ctx, hdr, local, "upload"); err != nil {
		return 0, err
	}
	return j.finishDone(), nil
}

// existsOutcome turns FileAlreadyExists (from x-oss-forbid-overwrite) into the policy's answer.
func (j *job) existsOutcome(err error) (State, error) {
	var se *stepErr
	if errors.As(err, &se) && se.kind == kindExists {
		if j.opts.OnExists == Skip {
			j.note(NoteExistsSkipped, "an object with this key appeared during the upload; skipped")
			return Skipped, nil
		}
		se.te.Message = fmt.Sprintf("%s appeared in the bucket during the upload; retry to pick another name", j.key)
		se.kind = kindFatal
	}
	return 0, err
}

func (j *job) finishDone() State {
	j.m.mu.Lock()
	j.t.setDone(j.size)
	if len(j.callback) > 0 {
		j.t.setCallback(string(j.callback))
	}
	j.m.mu.Unlock()
	if j.cbFailed != "" {
		j.note(NoteCallbackFailed, "the object is stored, but the upload callback failed: "+j.cbFailed)
	}
	return Done
}

// initiateGrace is how long an initiate request may still wait for its reply
// after its task was stopped.
const initiateGrace = 5 * time.Second

// graceful is a context that ends grace after ctx does (or when stop is called).
func graceful(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopAfter := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return gctx, func() { stopAfter(); cancel() }
}

// initiate starts a multipart upload and records it in the checkpoint at once, so a
// crash right after still knows the upload id.
func (j *job) initiate(ctx context.Context) error {
	ps, err := PartSizeFor(j.size, j.opts.PartSize)
	if err != nil {
		return localErr("initiate", fmt.Sprintf("%s: %v", j.t.path(), err), err)
	}
	j.partSize = ps
	j.parts = make([]partRec, partCount(j.size, ps))
	if j.cpPath != "" && j.fp == "" {
		fp, err := checkpoint.Fingerprint(j.f, j.size)
		if err != nil {
			return localErr("open", fmt.Sprintf("cannot read %s: %v", j.t.path(), err), err)
		}
		j.fp = fp
	}
	opts := j.objectOptions()
	err = j.do(ctx, "initiate", func(int) error {
		// A cancel while the request is on its way must not lose the upload id the
		// server may already have handed out: the reply still gets a moment, so the
		// cancel can abort what it named instead of leaving it billed on the server.
		ictx, stop := graceful(ctx, initiateGrace)
		defer stop()
		imur, err := j.tgt.bkt.InitiateMultipartUpload(j.key, append(opts[:len(opts):len(opts)], oss.WithContext(ictx))...)
		if err == nil {
			j.imur = imur
		}
		return err
	})
	if err != nil {
		return err
	}
	if j.cpPath == "" {
		return nil
	}
	h := checkpoint.Header{
		Dest: j.tgt.dest, Profile: j.tgt.profile, Endpoint: j.tgt.endpoint, Region: j.tgt.region, AuthV4: j.tgt.authV4,
		Bucket: j.tgt.bucket, Key: j.key, Path: j.t.path(),
		Size: j.size, ModTime: j.mtime, Fingerprint: j.fp, PartSize: ps, UploadID: j.imur.UploadID,
		Created: time.Now().UTC(), Options: j.cpOptions(),
	}
	j.m.cps.created(j.t.cpDir(), filepath.Base(j.cpPath))
	jr, err := checkpoint.Create(j.cpPath, h)
	if err != nil {
		return localErr("checkpoint", fmt.Sprintf("cannot write the checkpoint: %v", err), err)
	}
	j.jr = jr
	return nil
}

func (j *job) cpOptions() checkpoint.Options {
	o := checkpoint.Options{TaskNum: j.opts.TaskNum, OnExists: j.opts.OnExists.String(),
		ContentType: j.opts.Meta.ContentType, ACL: j.opts.Meta.ACL, StorageClass: j.opts.Meta.StorageClass,
		UserMeta: j.opts.Meta.UserMeta, ForbidOverwrite: j.forbid}
	if c := j.opts.Callback; c != nil {
		o.CallbackURL, o.CallbackHost, o.CallbackBody, o.CallbackType, o.CallbackVars = c.URL, c.Host, c.Body, c.BodyType, c.Vars
	}
	return o
}

// finishMultipart uploads the missing parts, completes and verifies the object.
// Parts taken from a checkpoint are re-read and checked while the missing ones are
// sent; a part whose bytes no longer match is sent again before Complete.
func (j *job) finishMultipart(ctx context.Context) (State, error) {
	var bad []int
	var recheckErr error
	rctx, stopRecheck := context.WithCancel(ctx)
	defer stopRecheck()
	recheckDone := make(chan struct{})
	if len(j.recheck) > 0 {
		want := make([]uint64, len(j.recheck))
		for i, n := range j.recheck {
			want[i] = j.parts[n-1].crc // read before any worker runs
		}
		list := j.recheck
		j.recheck = nil
		go func() {
			defer close(recheckDone)
			bad, recheckErr = j.recheckParts(rctx, list, want)
		}()
	} else {
		close(recheckDone)
	}
	err := j.uploadParts(ctx)
	if err != nil {
		stopRecheck()
	}
	<-recheckDone
	if err == nil && recheckErr != nil {
		err = recheckErr
	}
	if err == nil && len(bad) > 0 {
		var lost int64
		for _, n := range bad {
			lost += j.parts[n-1].size
			j.parts[n-1] = partRec{}
		}
		j.m.mu.Lock()
		j.t.setDone(j.t.doneBytes() - lost)
		j.t.rt.sent.Add(-lost)
		j.m.touchLocked(j.t)
		j.m.mu.Unlock()
		j.note(NotePartsResent, fmt.Sprintf("%s of the file changed since the earlier run (its CRC64 no longer matched what was uploaded); sent again", partList(bad)))
		err = j.uploadParts(ctx)
	}
	if err != nil {
		if se := (*stepErr)(nil); errors.As(err, &se) && se.kind == kindNoUpload {
			// Aborted behind our back mid-run: start over once, cleanly.
			j.note(NoteRestarted, "the upload was aborted on the server while running; restarted from zero")
			if j.jr != nil {
				j.jr.Remove()
				j.jr = nil
			}
			j.resetProgress()
			if err := j.initiate(ctx); err != nil {
				return 0, err
			}
			if err := j.uploadParts(ctx); err != nil {
				return 0, err
			}
		} else {
			return 0, err
		}
	}
	return j.complete(ctx)
}

// recheckParts reads parts list again from the file and returns those whose CRC64
// differs from want (the CRC recorded when each was uploaded).
func (j *job) recheckParts(ctx context.Context, list []int, want []uint64) ([]int, error) {
	var bad []int
	buf := make([]byte, 256<<10)
	for i, n := range list {
		if ctx.Err() != nil {
			return nil, &stepErr{kind: kindCanceled, te: &TaskError{Op: "check", Message: "stopped", Err: ctx.Err()}}
		}
		var crc uint64
		r := j.section(int64(n-1)*j.partSize, j.partLen(n))
		for {
			k, err := r.Read(buf)
			crc = crc64ecma.Update(crc, buf[:k])
			if errors.Is(err, io.EOF) {
				break
			}
			if errors.Is(err, errShrunk) {
				return nil, localErr("check", fmt.Sprintf("%s: the file got shorter while it was being read", j.t.path()), err)
			}
			if err != nil {
				return nil, localErr("check", fmt.Sprintf("cannot read %s: %v", j.t.path(), err), err)
			}
		}
		if crc != want[i] {
			bad = append(bad, n)
		}
	}
	return bad, nil
}

// partList names parts for a note: "part 3", "parts 3, 7 and 9", "12 parts".
func partList(ns []int) string {
	switch {
	case len(ns) == 1:
		return fmt.Sprintf("part %d", ns[0])
	case len(ns) <= 5:
		s := make([]string, len(ns))
		for i, n := range ns {
			s[i] = strconv.Itoa(n)
		}
		return "parts " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
	}
	return fmt.Sprintf("%d parts", len(ns))
}

func (j *job) resetProgress() {
	j.m.mu.Lock()
	j.t.setDone(0)
	j.t.rt.sent.Store(0)
	j.m.touchLocked(j.t)
	j.m.mu.Unlock()
}

func (j *job) uploadParts(ctx context.Context) error {
	var todo []int
	for i, p := range j.parts {
		if !p.done {
			todo = append(todo, i+1)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	j.setPhase(Uploading)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan int, len(todo))
	for _, n := range todo {
		ch <- n
	}
	close(ch)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	for range min(j.opts.TaskNum, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range ch {
				if pctx.Err() != nil {
					return
				}
				if err := j.uploadPart(pctx, n); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return &stepErr{kind: kindCanceled, te: &TaskError{Op: "upload", Message: "stopped", Err: ctx.Err()}}
	}
	return firstErr
}

func (j *job) uploadPart(ctx context.Context, n int) error {
	off := int64(n-1) * j.partSize
	size := j.partLen(n)
	var hdr http.Header
	var etag string
	var crc uint64 // of the bytes read from the file and sent, equal to the server's
	op := fmt.Sprintf("upload part %d", n)
	err := j.do(ctx, op, func(int) error {
		if err := j.m.sem.acquire(ctx); err != nil {
			return err
		}
		defer j.m.sem.release()
		body := j.partBody(ctx, off, size)
		up, err := j.tgt.bkt.UploadPart(j.imur, body, size, n, oss.WithContext(ctx), oss.GetResponseHeader(&hdr))
		sum := body.release()
		if err == nil {
			err = checkCRC(op, hdr, sum)
		}
		if err != nil {
			body.rollback()
			return err
		}
		etag, crc = up.ETag, sum
		return nil
	})
	if err != nil {
		return err
	}
	if j.jr != nil {
		if err := j.jr.Append(checkpoint.Part{Number: n, Size: size, ETag: etag, CRC64: crc}); err != nil {
			return localErr("checkpoint", fmt.Sprintf("cannot write the checkpoint: %v", err), err)
		}
	}
	j.m.mu.Lock()
	j.parts[n-1] = partRec{done: true, size: size, etag: etag, crc: crc}
	j.t.setDone(j.t.doneBytes() + size)
	j.m.touchLocked(j.t)
	j.m.mu.Unlock()
	j.m.notify()
	return nil
}

// complete assembles the object and checks its CRC64 against the parts'.
func (j *job) complete(ctx context.Context) (State, error) {
	j.setPhase(Completing)
	parts := make([]oss.UploadPart, len(j.parts))
	var want uint64
	for i, p := range j.parts {
		parts[i] = oss.UploadPart{PartNumber: i + 1, ETag: p.etag}
		want = crc64ecma.Combine(want, p.crc, p.size)
	}
	// A file that changed during the upload would give an object mixing old and new
	// bytes: check after the last byte is read, and again after Complete.
	if err := j.checkUnchanged(); err != nil {
		return 0, err
	}
	var hdr http.Header
	opts := append(j.finalOptions(), oss.WithContext(ctx), oss.GetResponseHeader(&hdr))
	err := j.do(ctx, "complete", func(attempt int) error {
		_, err := j.tgt.bkt.CompleteMultipartUpload(j.imur, parts, opts...)
		var se oss.ServiceError
		if errors.As(err, &se) {
			switch {
			case se.Code == "CallbackFailed":
				j.cbFailed = se.Message
				return nil
			case se.Code == "NoSuchUpload":
				// An earlier attempt, or the Complete of a run killed a moment ago
				// that the server was still finishing, may have completed it: the
				// object's size and CRC64 against the bytes read in this run decide.
				h, herr := j.head(ctx, j.key)
				if herr == nil && h != nil && h.Get(oss.HTTPHeaderOssCRC64) == strconv.FormatUint(want, 10) &&
					h.Get("Content-Length") == strconv.FormatInt(j.size, 10) {
					hdr = h
					return nil
				}
			}
		}
		return err
	})
	if err != nil {
		var se *stepErr
		if errors.As(err, &se) && se.kind == kindExists {
			j.m.discard(j.tgt, j.key, j.imur.UploadID, "")
		}
		return j.existsOutcome(err)
	}
	uploadID := j.imur.UploadID
	j.imur.UploadID = "" // gone from the server now
	j.ownObject = true
	j.setPhase(Verifying)
	if err := j.checkUnchanged(); err != nil {
		return 0, err
	}
	if err := j.verify(ctx, hdr, want, "verify"); err != nil {
		return 0, err
	}
	if j.jr != nil {
		// Queue first, checkpoint second: a crash between the two then leaves a
		// finished record (and at worst a stale checkpoint), never an "add" without a
		// checkpoint that the next launch would upload again from zero.
		if err := j.m.queue.finish(j.t.qidStr(), uploadID, &j.t.journaled); err != nil {
			j.m.log.Warn("durable queue write failed", "err", err)
		}
		j.queueDone = true
		if err := j.jr.Remove(); err != nil {
			j.m.log.Warn("remove checkpoint", "err", err)
		}
		j.jr = nil
	}
	j.m.log.Debug("completed", "key", j.key, "upload_id", uploadID)
	return j.finishDone(), nil
}

// verify compares the CRC64 the server reports for the object with the CRC64 of the
// bytes sent; a missing header is looked up with HEAD, and a mismatch is a failure.
func (j *job) verify(ctx context.Context, hdr http.Header, want uint64, op string) error {
	got := ""
	if hdr != nil {
		got = hdr.Get(oss.HTTPHeaderOssCRC64)
	}
	if got == "" {
		h, err := j.head(ctx, j.key)
		if err != nil {
			return err
		}
		if h != nil {
			got = h.Get(oss.HTTPHeaderOssCRC64)
		}
	}
	if got == "" {
		return localErr(op, fmt.Sprintf("the server did not report a CRC64 for %s, so the upload cannot be verified", j.key), ErrNoCRC)
	}
	v, err := strconv.ParseUint(got, 10, 64)
	if err != nil || v != want {
		return &stepErr{kind: kindFatal, te: &TaskError{Op: op, Message: fmt.Sprintf(
			"the stored object %s does not match the file: server CRC64 %s, uploaded data %d; it was not marked done", j.key, got, want),
			RequestID: hdr.Get(oss.HTTPHeaderOssRequestID), Err: ErrCRCMismatch}}
	}
	j.setCRC(want)
	return nil
}
