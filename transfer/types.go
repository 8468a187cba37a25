// Package transfer turns local files and folders into OSS objects with resumable,
// crash-safe multipart uploads. It never imports Fyne: front ends read Snapshots.
package transfer

import (
	"fmt"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// State is where a task is in its life.
type State int8

// Task states, in the order a task usually passes through them.
const (
	Queued State = iota
	Uploading
	Retrying
	Completing
	Verifying
	Done
	Failed
	Paused
	Canceled
	Skipped
)

var stateNames = [...]string{"queued", "uploading", "retrying", "completing", "verifying", "done", "failed", "paused", "canceled", "skipped"}

func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// Finished reports whether the task will not move again without a user action.
func (s State) Finished() bool {
	return s == Done || s == Failed || s == Canceled || s == Skipped
}

// Active reports whether the task is currently using the network.
func (s State) Active() bool {
	return s == Uploading || s == Retrying || s == Completing || s == Verifying
}

// OnExists says what to do when the destination object already exists.
type OnExists int

// Policies for an existing object.
const (
	Overwrite     OnExists = iota // replace it
	Skip                          // leave it and mark the task skipped
	SkipIdentical                 // skip only when size and CRC64 match, else overwrite
	Rename                        // upload as "name (1).ext", "name (2).ext", …
	Ask                           // ask the front end (Manager.SetOnExistsAsk) for each existing object
)

var onExistsNames = [...]string{"overwrite", "skip", "skip-identical", "rename", "ask"}

func (o OnExists) String() string {
	if o < 0 || int(o) >= len(onExistsNames) {
		return fmt.Sprintf("OnExists(%d)", int(o))
	}
	return onExistsNames[o]
}

// ParseOnExists accepts the names printed by OnExists.String.
func ParseOnExists(s string) (OnExists, error) {
	for i, n := range onExistsNames {
		if n == s {
			return OnExists(i), nil
		}
	}
	return 0, fmt.Errorf("on-exists %q: want one of overwrite, skip, skip-identical, rename, ask", s)
}

// Part limits imposed by OSS.
const (
	MinPartSize = 100 * 1024
	MaxPartSize = 5 * 1024 * 1024 * 1024
	MaxParts    = 10000
)

// Target is where uploads go and how to reach it.
type Target struct {
	// Dest is the destination's stable identity (a profile id), recorded in
	// checkpoints and the durable queue so a later run finds the destination again
	// through Config.Resolve even when its name or endpoint changed. Empty: the
	// endpoint identifies it.
	Dest     string
	Profile  string // profile name, recorded in checkpoints for messages; may be empty
	Endpoint string // e.g. https://oss-cn-hangzhou.aliyuncs.com or http://127.0.0.1:41234
	Region   string // required for signature V4
	Bucket   string
	AuthV4   bool
	// Credentials is asked on every request, so STS tokens can be rotated mid-upload.
	Credentials oss.CredentialsProvider
	Proxy       string // explicit proxy URL; empty means HTTPS_PROXY/HTTP_PROXY/NO_PROXY
	// ClientOptions are extra SDK options (timeouts, user agent) appended last.
	ClientOptions []oss.ClientOption
}

// ObjectMeta is metadata applied to every uploaded object.
type ObjectMeta struct {
	ContentType  string            // empty: by extension, else sniffed
	ACL          string            // "", private, public-read, public-read-write, default
	StorageClass string            // "", Standard, IA, Archive, ColdArchive
	UserMeta     map[string]string // sent as x-oss-meta-<name>
}

// Callback is an OSS upload callback, run by the server after the object is stored.
type Callback struct {
	URL      string            // up to 5 URLs separated by ';'
	Host     string            // optional Host header for the callback request
	Body     string            // template with ${bucket} ${object} ${etag} ${size} ${mimeType} ${x:name}
	BodyType string            // application/x-www-form-urlencoded (default) or application/json
	Vars     map[string]string // custom variables; keys must start with "x:"
}

// Options are the per-upload parameters users know from OSS's resumable-upload docs.
type Options struct {
	PartSize           int64 // 100 KB..5 GB; grown so no file needs more than 10,000 parts
	TaskNum            int   // parts in parallel for one file
	Jobs               int   // files sent in parts in parallel (smaller files: the adaptive window, adaptive.go)
	MaxPartsInFlight   int   // global cap on parts in flight across files sent in parts (0: Jobs*TaskNum)
	MultipartThreshold int64 // files smaller than this use one PutObject (0: PartSize)
	EnableCheckpoint   bool
	CheckpointDir      string // default $XDG_STATE_HOME/ossdrop/checkpoints
	OnExists           OnExists
	LimitRate          int64 // bytes per second for all workers together; 0 = unlimited
	Meta               ObjectMeta
	Callback           *Callback
}

// TaskID identifies a task inside one Manager; stable for the task's life.
type TaskID uint64

// TaskError is why a task failed or is retrying, with what OSS said.
type TaskError struct {
	Op        string // what was being done: "initiate", "upload part 3", "complete", "verify", "open"…
	Message   string // a sentence a person understands
	Code      string // OSS error code, e.g. SignatureDoesNotMatch; empty for local errors
	RequestID string // OSS request id, when the server answered
	Status    int    // HTTP status, when the server answered
	Err       error  // the underlying error
}

func (e *TaskError) Error() string {
	s := e.Message
	if e.Code != "" {
		s += fmt.Sprintf(" (%s", e.Code)
		if e.RequestID != "" {
			s += ", RequestId " + e.RequestID
		}
		s += ")"
	}
	return s
}

func (e *TaskError) Unwrap() error { return e.Err }

// NoteKind is what a task's note reports.
type NoteKind int

// Note kinds.
const (
	NoteOther            NoteKind = iota
	NoteRestarted                 // the earlier partial upload could not be used; started again from zero
	NoteChangedRestarted          // the file changed while it was being uploaded; started again
	NoteAlreadyUploaded           // an earlier run had stored it (same size and CRC64); nothing sent
	NoteExistsSkipped             // an object with this key exists or appeared; skipped
	NoteIdenticalSkipped          // an identical object (same size and CRC64) exists; skipped
	NoteRenamed                   // uploaded under another key (the snapshot's Key) to keep an object or another file's key
	NoteKeyTakenSkipped           // another file in the queue has this key; skipped
	NoteCallbackFailed            // the object is stored, but the upload callback failed
	NotePartsResent               // parts of the file changed since the earlier run; sent again
	NoteInUseNotResumed           // not resumed: another ossdrop process is uploading it
)

// NoteKinds is the set of kinds a task's note reports; a set, so that
// snapshots stay comparable.
type NoteKinds uint32

// NotesOf is the set of kinds ks.
func NotesOf(ks ...NoteKind) NoteKinds {
	var s NoteKinds
	for _, k := range ks {
		s |= 1 << k
	}
	return s
}

// Has reports whether k is in the set.
func (s NoteKinds) Has(k NoteKind) bool { return s&(1<<k) != 0 }

// Kinds lists the set's kinds in ascending order.
func (s NoteKinds) Kinds() []NoteKind {
	var out []NoteKind
	for k := NoteOther; s>>k != 0; k++ {
		if s.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

// TaskSnapshot is a copy of one task's state, safe to read on any goroutine.
type TaskSnapshot struct {
	ID     TaskID
	Path   string // local file
	Key    string // destination object key
	Bucket string
	Size   int64 // the file's size; -1 while it is not read yet (see Totals.Sizing)
	Done   int64 // bytes confirmed uploaded
	// Sent counts bytes sent so far, including parts still in flight (>= Done); it
	// moves smoothly, so progress bars should draw it.
	Sent  int64
	State State
	Speed float64       // bytes per second, smoothed
	ETA   time.Duration // 0 when unknown
	Err   *TaskError    // set in Failed and Retrying
	// RetryAt is when the next attempt starts while a Retrying task waits out its
	// backoff; zero while a request is in flight, so front ends can count down.
	RetryAt  time.Time
	Note     string // e.g. "file changed since last run, restarted from zero"
	Callback string // the callback server's reply, when a callback was set
	Resumed  bool   // continued from a checkpoint
	// KeyConflict is set when another file queued earlier holds this file's key
	// and the on-exists policy skipped or refused this one (see Note or Err).
	KeyConflict bool
	Version     uint64 // bumps on every change, so rows can skip redundant updates
	StartedAt   time.Time
	EndedAt     time.Time
	CRC64       uint64 // the stored object's CRC64, verified against the file; set when Done
	Retries     int    // transient failures retried so far
	Profile     string // the settings profile the destination came from; may be empty
	// NoteKinds says what Note's sentences report, so a front end can say it
	// in its own words; Note keeps the names and numbers.
	NoteKinds NoteKinds
}

// Totals sums all tasks of a Manager.
type Totals struct {
	Files, Done, Failed, Skipped, Canceled, Active, Queued, Paused int
	Bytes, BytesDone                                               int64
	BytesSent                                                      int64 // like TaskSnapshot.Sent, summed
	Speed                                                          float64
	ETA                                                            time.Duration
	// Sizing counts the unfinished files whose size is not read yet (a
	// folder walk lists files before it reads their sizes): Bytes leaves
	// them out.
	Sizing int
}
