package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"hash/maphash"
	"os"
	"strings"
	"time"
)

// A task is kept small, as half a million may be listed at once: its folder's
// path is stored once for all the files of the folder (taskDir), its key is
// derived from the folder's key prefix and its name unless it has a key of its
// own, its identity is 12 bytes, and what few tasks need (notes, callbacks, own
// keys) sits behind one pointer.

// qidKey is a task's identity (qid) in binary form, for maps.
type qidKey [12]byte

// qkey turns a qid into its map key; ok is false for an identity that is not a
// qid (hand-made records), which is then hashed.
func qkey(qid string) (k qidKey, ok bool) {
	if len(qid) == 2*len(k) {
		if _, err := hex.Decode(k[:], []byte(qid)); err == nil {
			return k, true
		}
	}
	h := sha256.Sum256([]byte(qid))
	copy(k[:], h[:])
	return k, false
}

// keyRef names a key at a destination (its identity and bucket): the rule "one
// key, one source" is kept per destination, resolved or not. It is a 64-bit
// hash, so holding it costs no copy of the key and a table entry stays small;
// two of a million keys share one with odds of about 1 in 4·10^7.
//
// A keyRef lives only in this process's memory: it is never written to the
// queue or a checkpoint, nor compared with another process's. So it is a
// hash/maphash with a seed drawn at start, a fraction of a SHA-256's cost per
// queued file with the same odds for any given set of keys, and no fixed
// names that always collide.
type keyRef uint64

// refSeed seeds every keyRef of this process.
var refSeed = maphash.MakeSeed()

// refOf is the keyRef of key at destination d.
func refOf(d Destination, key string) keyRef {
	var h maphash.Hash
	h.SetSeed(refSeed)
	if d.ID != "" {
		h.WriteString("dest:")
		h.WriteString(d.ID)
	} else {
		h.WriteString(d.Endpoint)
	}
	h.WriteByte(0)
	h.WriteString(d.Bucket)
	h.WriteByte(0)
	h.WriteString(key)
	return keyRef(h.Sum64())
}

// keyRef is the key t holds.
func (t *task) keyRef() keyRef { return refOf(t.destination(), t.key()) }

// taskDir is a folder of tasks' files. keyPrefix is what keys of its files
// start with (keys that do not follow have their own), cpDir where their
// checkpoints go, rec the destination an earlier run recorded for them (nil
// for files added in this run, which have their target from the start).
type taskDir struct {
	path, keyPrefix, cpDir string
	rec                    *Destination
	refs                   int    // tasks in it; the Manager forgets it at 0
	names                  []byte // the block its files' names are packed into (intern)
}

// taskDirKey tells folders apart; tasks recorded for the same destination
// share one, and so one copy of the destination.
type taskDirKey struct {
	path, keyPrefix, cpDir string
	rec                    Destination
	recorded               bool
}

func (d *taskDir) key() taskDirKey {
	k := taskDirKey{path: d.path, keyPrefix: d.keyPrefix, cpDir: d.cpDir}
	if d.rec != nil {
		k.rec, k.recorded = *d.rec, true
	}
	return k
}

// rec is the destination an earlier run recorded for t, resolved when t
// starts (t.tgt is nil until then); nil for a task added in this run.
func (t *task) rec() *Destination {
	if t.dir == nil {
		return nil
	}
	return t.dir.rec
}

// taskCold holds what only a few tasks have.
type taskCold struct {
	note     string
	noteKind NoteKinds
	callback string
	ownKey   string // set when ownKeyed: a key not derived from the folder
	qid      string // an identity that is not a qid (qidKey then holds its hash)
	err      *TaskError
	retries  int32 // transient failures retried, over the task's life
}

// retried is how many transient failures the task has retried.
func (t *task) retried() int {
	if t.cold == nil {
		return 0
	}
	return int(t.cold.retries)
}

// failure is the task's last error, nil for none.
func (t *task) failure() *TaskError {
	if t.cold == nil {
		return nil
	}
	return t.cold.err
}

// setErr records the task's last error; nil clears it.
func (t *task) setErr(te *TaskError) {
	if te != nil || t.cold != nil {
		t.coldPart().err = te
	}
}

// path is the file's absolute path.
func (t *task) path() string {
	d := t.dir.path
	if strings.HasSuffix(d, string(os.PathSeparator)) || d == "" {
		return d + t.name
	}
	return d + string(os.PathSeparator) + t.name
}

// key is the object key.
func (t *task) key() string {
	if t.ownKeyed {
		return t.cold.ownKey
	}
	return t.dir.keyPrefix + toSlash(t.name)
}

// setKey changes the key (a rename, or the key a checkpoint recorded).
func (t *task) setKey(key string) {
	if key == t.key() {
		return
	}
	if k, ok := strings.CutSuffix(key, toSlash(t.name)); ok && k == t.dir.keyPrefix {
		t.ownKeyed = false
		if t.cold != nil {
			t.cold.ownKey = ""
		}
		return
	}
	t.coldPart().ownKey = key
	t.ownKeyed = true
}

// cpDir is where the task's checkpoint goes; "" means none.
func (t *task) cpDir() string { return t.dir.cpDir }

// qidStr is the task's identity in the durable queue and its checkpoint's name.
func (t *task) qidStr() string {
	if !t.has(bitQID) {
		return ""
	}
	if t.cold != nil && t.cold.qid != "" {
		return t.cold.qid
	}
	return hex.EncodeToString(t.qid[:])
}

func (t *task) setQID(qid string) {
	t.set(bitQID, qid != "")
	if qid == "" {
		return
	}
	k, ok := qkey(qid)
	t.qid = k
	if !ok {
		t.coldPart().qid = qid
	}
}

func (t *task) coldPart() *taskCold {
	if t.cold == nil {
		t.cold = &taskCold{}
	}
	return t.cold
}

func (t *task) note() string {
	if t.cold == nil {
		return ""
	}
	return t.cold.note
}

func (t *task) noteKinds() NoteKinds {
	if t.cold == nil {
		return 0
	}
	return t.cold.noteKind
}

// setNote sets the note's sentences and the kinds they report (NoteKinds).
func (t *task) setNote(s string, k NoteKinds) {
	if s != "" || k != 0 || t.cold != nil {
		c := t.coldPart()
		c.note, c.noteKind = s, k
	}
}

func (t *task) callback() string {
	if t.cold == nil {
		return ""
	}
	return t.cold.callback
}

func (t *task) setCallback(s string) {
	if s != "" || t.cold != nil {
		t.coldPart().callback = s
	}
}

// stamp is a time kept in a task: Unix nanoseconds, 0 for none.
type stamp int64

// taskSpan is the part of a task that only a task that ran, finished or
// resumes an earlier run's upload needs: a queued file never holds one, which
// keeps a task in the 96-byte size class.
type taskSpan struct {
	done    int64 // bytes confirmed uploaded
	started stamp
	ended   stamp
	crc     uint64 // the stored object's verified CRC64, once done
}

// doneBytes is how many of t's bytes are confirmed uploaded.
func (t *task) doneBytes() int64 {
	if t.span == nil {
		return 0
	}
	return t.span.done
}

// setDone records how many of t's bytes are confirmed uploaded; 0 makes no
// span for a task that has none. Caller holds m.mu.
func (t *task) setDone(n int64) {
	if n == 0 && t.span == nil {
		return
	}
	t.spanned().done = n
}

// spanned returns t's span, making it on first use. Caller holds m.mu.
func (t *task) spanned() *taskSpan {
	if t.span == nil {
		t.span = new(taskSpan)
	}
	return t.span
}

// setEnded records when t finished; 0 clears it (a task queued again) without
// making a span for a task that has none.
func (t *task) setEnded(s stamp) {
	if s == 0 && t.span == nil {
		return
	}
	t.spanned().ended = s
}

func (t *task) startedAt() stamp {
	if t.span == nil {
		return 0
	}
	return t.span.started
}

func (t *task) endedAt() stamp {
	if t.span == nil {
		return 0
	}
	return t.span.ended
}

func (t *task) crc() uint64 {
	if t.span == nil {
		return 0
	}
	return t.span.crc
}

func stampOf(t time.Time) stamp { return stamp(t.UnixNano()) }

func (s stamp) time() time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(s))
}

// placeLocked files t under its folder (shared with its siblings) and name,
// deriving its key from the folder where it follows; rec is its recorded
// destination, if any. Caller holds m.mu.
func (m *Manager) placeLocked(t *task, path, key, cpDir string, rec *Destination) {
	i := strings.LastIndexByte(path, os.PathSeparator)
	dir, name := "", path
	if i >= 0 {
		dir, name = path[:i], path[i+1:]
		if i == 0 || (os.PathSeparator == '\\' && strings.HasSuffix(dir, ":")) {
			dir = path[:i+1] // a root keeps its separator
		}
	}
	kp, derived := strings.CutSuffix(key, toSlash(name))
	if !derived {
		kp = ""
	}
	// Files come folder by folder, so the last file's folder is most often
	// this one's: comparing is cheaper than hashing the folder's key.
	d := m.lastDir
	if d == nil || d.refs == 0 || d.path != dir || d.keyPrefix != kp || d.cpDir != cpDir || !sameRec(d.rec, rec) {
		k := taskDirKey{path: dir, keyPrefix: kp, cpDir: cpDir}
		if rec != nil {
			k.rec, k.recorded = *rec, true
		}
		d = m.dirs[k]
		if d == nil {
			d = &taskDir{path: strings.Clone(dir), keyPrefix: strings.Clone(kp), cpDir: cpDir}
			if rec != nil {
				r := *rec
				d.rec = &r
			}
			if m.dirs == nil {
				m.dirs = map[taskDirKey]*taskDir{}
			}
			m.dirs[d.key()] = d
		}
		m.lastDir = d
	}
	d.refs++
	t.dir = d
	if m.cfg.ForgetFinished {
		t.name = strings.Clone(name)
	} else {
		t.name = d.intern(name)
	}
	if !derived {
		t.coldPart().ownKey = key
		t.ownKeyed = true
	}
}

// sameRec reports whether two recorded destinations (nil for none) are equal.
func sameRec(a, b *Destination) bool {
	return a == b || (a != nil && b != nil && *a == *b)
}

// unplaceLocked lets go of t's folder once t leaves the Manager.
func (m *Manager) unplaceLocked(t *task) {
	d := t.dir
	if d == nil {
		return
	}
	if d.refs--; d.refs == 0 {
		delete(m.dirs, d.key())
		if m.lastDir == d {
			m.lastDir = nil
		}
	}
}
