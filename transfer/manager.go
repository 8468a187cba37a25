package transfer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/adrg/xdg"
	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/transfer/checkpoint"
	"github.com/ossdrop/ossdrop/transfer/ratelimit"
)

// Config configures a Manager.
type Config struct {
	Target   Target // destination for Add; SetTarget changes it for later Adds
	Options  Options
	StateDir string       // default filepath.Join(xdg.StateHome, "ossdrop"); holds checkpoints/, queue/, ossdrop.log
	Logger   *slog.Logger // nil: discard
	// Resolve finds the destination of uploads recorded by an earlier run (resume,
	// retry, discard). Without it only records of the current Target can be resumed.
	Resolve Resolver
	// Retry tunes backoff for transient failures; zero values pick the defaults.
	Retry RetryPolicy
	// OnFinished, when set, receives a snapshot of every task that ends done, failed,
	// canceled or skipped, in order, on a goroutine of its own: it may be slow, but
	// Close waits for it.
	OnFinished func(TaskSnapshot)
	// ReplyTimeout is how long a request waits for the server before it counts as
	// "no reply from the server"; 0 means DefaultReplyTimeout.
	ReplyTimeout time.Duration
	// OnExistsAsk answers the Ask policy for one existing object; see
	// Manager.SetOnExistsAsk, which can also set it later.
	OnExistsAsk AskFunc
	// ForgetFinished drops a task from memory once it has ended and OnFinished
	// has its snapshot; Totals still count it. A command line that reports from
	// OnFinished and the upload history then costs memory for the files in
	// flight, not for every file it ever uploaded. Tasks whose key another
	// dropped item could also claim are kept, so "one key, one source" holds.
	ForgetFinished bool
	// WalkAhead bounds how many walked files wait in the queue: a folder walk
	// pauses while that many are queued and goes on as uploads start, so a huge
	// folder is never in memory at once. 0 means no bound (the window lists every
	// file of a drop at once). The walk's own record keeps the rest durable.
	WalkAhead int
	// SizeWhileWalking makes a folder walk read each file's size before it
	// queues the file, so the scheduler knows the small files from the first
	// one on: a command line that packs small uploads sets it. Without it a
	// walk queues a regular file from its directory entry alone and the sizes
	// are read once the folder is listed (sizer.go): a window shows every row
	// of a large drop at once, sizes following.
	SizeWhileWalking bool
}

// DefaultStateDir is where ossdrop keeps checkpoints, the durable queue and its log.
func DefaultStateDir() string { return filepath.Join(xdg.StateHome, "ossdrop") }

// ErrClosed is returned by operations on a closed Manager.
var ErrClosed = errors.New("transfer manager is closed")

// ErrNoTask is returned for an unknown TaskID.
var ErrNoTask = errors.New("no such task")

// Manager uploads queued files with a bounded pool of workers. Queued tasks cost a
// few hundred bytes each: goroutines and open files exist only for running tasks.
type Manager struct {
	cfg      Config
	log      *slog.Logger
	stateDir string
	retry    RetryPolicy
	// replyTimeout is Config.ReplyTimeout with the default filled in.
	replyTimeout time.Duration

	limiter *ratelimit.Limiter
	sem     *semaphore
	creds   *swapCreds
	changed chan struct{}
	queue   *durableQueue
	ask     asker // answers the Ask policy
	cps     cpIndex
	work    chan workItem // to idle workers (workers.go)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	opts    Options
	tgtSpec Target
	tgt     *target // nil when tgtSpec is incomplete; Add then fails tasks with tgtErr
	tgtErr  error
	targets map[targetKey]*target
	tasks   []*task // in add order, so by increasing id: taskLocked searches it
	// Tasks start in the order they were queued (scheduleLocked). A task
	// queued as it is added (nearly every one) waits in m.tasks itself,
	// marked bitFresh, so half a million queued files need no second list:
	// m.tasks holds none before id freshFrom (at index freshAt, a hint). A
	// task queued again later waits in pending. Stale entries are skipped.
	pending   taskFIFO
	freshFrom TaskID
	freshAt   int
	nextID    TaskID
	active    int
	small     smallSlots              // one-request uploads among active ones (adaptive.go)
	runSet    map[TaskID]*task        // tasks with a worker
	byQID     qidTable                // latest task per destination+file, to refuse duplicates
	byKey     keyTable                // the task that holds each destination key: one key, one source
	dirs      map[taskDirKey]*taskDir // folders of the tasks, shared
	lastDir   *taskDir                // the folder placeLocked filed a task under last
	busy      int                     // folder walks and background aborts in progress
	queued    int                     // tasks in state Queued
	idle      chan struct{}
	closed    bool
	fin       finisher
	slab      taskSlab // where tasks come from unless Config.ForgetFinished

	// gone tallies tasks dropped by Config.ForgetFinished; goneN of m.tasks are
	// such tasks awaiting removal (compactTasksLocked).
	gone  Totals
	goneN int
	// room wakes walks waiting for Config.WalkAhead; roomWait counts them.
	room     *sync.Cond
	roomWait int
	// roots are the root keys of items handed to Add, for Config.ForgetFinished.
	roots map[keyRef]bool
	// viewCaughtUp is open while a front end reads its changes in pieces and
	// has more to read; closed when it caught up (sizer.go).
	viewCaughtUp chan struct{}
	// changes logs which tasks changed lately, for Changes (view.go).
	changes changeLog
}

// task is one file. Keep it small: half a million of them may sit in the queue
// (see task.go for how its path, key and identity are kept). It fills the
// 96-byte size class: a field more needs a field less (TestTaskSize).
type task struct {
	id       TaskID
	dir      *taskDir  // the file's folder, shared with its siblings
	name     string    // the file's name in dir
	qid      qidKey    // identity in the durable queue and checkpoint name (see qidStr)
	version  uint32    // bumped on every change a view shows; views compare 32 bits
	tgt      *target   // nil until a task recorded by an earlier run starts (see rec)
	cold     *taskCold // rarely set: notes, callbacks, own keys, the last error
	rt       *running
	size     int64
	span     *taskSpan // bytes done, when it started and ended, the verified CRC64; nil while it never ran nor finished
	state    State
	bits     taskBits // rarely read yes/no facts
	ownKeyed bool     // the key is cold.ownKey, not derived from dir and name
	resumed  bool
	credWait bool // paused for expired credentials
	pinned   bool // kept in memory under Config.ForgetFinished (its key may be contested)
	gone     bool // dropped under Config.ForgetFinished; removed from m.tasks soon
	// journaled marks the task's add record open in this Manager's journal;
	// guarded by the durable queue's lock, not m.mu (see durableQueue.nOpen).
	journaled bool
}

// taskBits packs a task's rarely read yes/no facts into one byte.
type taskBits uint8

const (
	bitQID      taskBits = 1 << iota // qid holds an identity
	bitInQueue                       // present in m.pending
	bitFresh                         // queued when added and not started since (see Manager.freshFrom)
	bitConflict                      // skipped or refused: another source holds the key
)

func (t *task) has(b taskBits) bool { return t.bits&b != 0 }

func (t *task) set(b taskBits, on bool) {
	if on {
		t.bits |= b
	} else {
		t.bits &^= b
	}
}

// running is the part of a task that exists only while it uploads.
type running struct {
	cancel   context.CancelCauseFunc
	sent     atomic.Int64 // bytes sent, including parts in flight
	speed    float64      // smoothed bytes/s, guarded by Manager.mu
	lastSent int64
	lastAt   time.Time
	small    int64     // > 0: counted by Manager.small with these bytes (see smallSlots)
	retryAt  time.Time // next attempt while waiting out a backoff
}

// Causes given to a task's context so the worker knows why it was stopped.
var (
	errPause  = errors.New("paused")
	errCancel = errors.New("canceled")
	errClose  = errors.New("manager closing")
)

// NewManager validates cfg, prepares the state directory and starts the pool.
func NewManager(cfg Config) (*Manager, error) {
	opts, err := cfg.Options.normalize()
	if err != nil {
		return nil, err
	}
	if cfg.StateDir == "" {
		cfg.StateDir = DefaultStateDir()
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory %s: %w", cfg.StateDir, err)
	}
	if opts.EnableCheckpoint {
		if err := checkpoint.EnsureDir(cpDirFor(cfg.StateDir, opts)); err != nil {
			return nil, err
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	q, err := openQueue(filepath.Join(cfg.StateDir, "queue"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	m := &Manager{
		cfg: cfg, log: log, stateDir: cfg.StateDir, retry: cfg.Retry.withDefaults(), replyTimeout: cmp.Or(cfg.ReplyTimeout, DefaultReplyTimeout),
		limiter: ratelimit.New(opts.LimitRate),
		small:   newSmallSlots(),
		work:    make(chan workItem),
		sem:     newSemaphore(partsLimit(opts)),
		creds:   &swapCreds{},
		changed: make(chan struct{}, 1),
		queue:   q,
		ctx:     ctx, cancel: cancel,
		opts:    opts,
		targets: map[targetKey]*target{},
	}
	m.room = sync.NewCond(&m.mu)
	m.ask.f = cfg.OnExistsAsk
	m.creds.set(cfg.Target.Credentials)
	m.setTargetLocked(cfg.Target)
	m.wg.Add(1)
	go m.ticker()
	return m, nil
}

func cpDirFor(stateDir string, o Options) string {
	if o.CheckpointDir != "" {
		return o.CheckpointDir
	}
	return filepath.Join(stateDir, "checkpoints")
}

func partsLimit(o Options) int {
	if o.MaxPartsInFlight > 0 {
		return o.MaxPartsInFlight
	}
	return o.Jobs * o.TaskNum
}

func (m *Manager) setTargetLocked(t Target) {
	m.tgtSpec = t
	m.tgt, m.tgtErr = m.resolveLocked(t, m.creds)
}

// queueFlushInterval is how often speeds refresh and the durable queue is flushed;
// a variable so tests can hold records in the buffer as a crash would find them.
var queueFlushInterval = 500 * time.Millisecond

// ticker refreshes speeds and flushes the durable queue; the only goroutine a Manager
// keeps besides running tasks.
func (m *Manager) ticker() {
	defer m.wg.Done()
	tk := time.NewTicker(queueFlushInterval)
	defer tk.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-tk.C:
			m.mu.Lock()
			changed := false
			for _, t := range m.runningTasks() {
				rt := t.rt
				sent := rt.sent.Load()
				if !rt.lastAt.IsZero() {
					dt := now.Sub(rt.lastAt).Seconds()
					if dt > 0 {
						inst := float64(sent-rt.lastSent) / dt
						if inst < 0 {
							inst = 0
						}
						if rt.speed == 0 {
							rt.speed = inst
						} else {
							rt.speed = 0.7*rt.speed + 0.3*inst
						}
						m.touchLocked(t)
						changed = true
					}
				}
				rt.lastAt, rt.lastSent = now, sent
			}
			m.mu.Unlock()
			if changed {
				m.notify()
			}
			if err := m.queue.flush(); err != nil {
				m.log.Warn("durable queue write failed", "err", err)
			}
		}
	}
}

// runningTasks is the set of tasks with a worker. Caller holds m.mu. It scans only
// while something runs, and the scan is bounded by the running tasks tracked below.
func (m *Manager) runningTasks() []*task {
	out := make([]*task, 0, m.active)
	for _, t := range m.runSet {
		out = append(out, t)
	}
	return out
}

func (m *Manager) notify() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// Changed is signalled (without blocking any worker) whenever a task changes.
func (m *Manager) Changed() <-chan struct{} { return m.changed }

// Add queues files and folders for upload under prefix; it returns once the paths
// are recorded durably (a crash from then on makes resume walk them again). Folders
// are walked on a goroutine; folder "dir" becomes keys prefix+"dir/"+relative path.
// A non-empty prefix without a trailing "/" gets one.
func (m *Manager) Add(paths []string, prefix string) { m.add(paths, prefix, false) }

func (m *Manager) add(paths []string, prefix string, skipHidden bool) {
	prefix = normPrefix(prefix)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	tgt, tgtErr := m.tgt, m.tgtErr
	cpDir := ""
	if m.opts.EnableCheckpoint {
		cpDir = cpDirFor(m.stateDir, m.opts)
	}
	m.busy++
	m.markBusyLocked()
	m.mu.Unlock()
	var walks []string
	w := m.newWalker(tgt, tgtErr, cpDir, skipHidden)
	if tgt != nil && m.cfg.ForgetFinished {
		roots := make([]string, len(paths))
		for i, p := range paths {
			roots[i] = prefix + toSlash(filepath.Base(p))
		}
		m.mu.Lock()
		w.pins = m.pinRootsLocked(tgt.destination(), roots)
		m.mu.Unlock()
	}
	if tgt != nil {
		for _, p := range paths {
			abs, err := filepath.Abs(p)
			if err != nil {
				abs = p
			}
			r := walkRecFor(tgt.destination(), abs, prefix, cpDir)
			r.SkipHidden = skipHidden
			m.queue.add(r)
			walks = append(walks, r.ID)
		}
		if err := m.queue.commit(); err != nil {
			m.log.Error("durable queue write failed", "err", err)
		}
	}
	m.walk(w, paths, prefix, walks)
}

// walk runs w over paths on a goroutine. Once every path is walked (not when the
// Manager closes mid-walk) the walk records are dropped: their files speak for
// themselves from then on.
func (m *Manager) walk(w *walker, paths []string, prefix string, walks []string) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.walkNow(w, paths, prefix, walks)
	}()
}

// walkNow is walk on the calling goroutine; it ends the busy count Add took.
func (m *Manager) walkNow(w *walker, paths []string, prefix string, walks []string) {
	for i, p := range paths {
		if m.ctx.Err() != nil {
			break
		}
		w.pin = i < len(w.pins) && w.pins[i]
		w.add(p, prefix)
	}
	w.drain()
	if m.ctx.Err() == nil {
		for _, id := range walks {
			m.queue.del(id)
		}
	}
	if w.first != 0 {
		m.sizeQueued(w.first)
	}
	m.mu.Lock()
	m.busy--
	m.checkIdleLocked()
	m.mu.Unlock()
	m.notify()
}

func normPrefix(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	p = strings.TrimLeft(p, "/")
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}

// AddFile queues one file under an exact key and returns once it is recorded
// durably in the queue.
func (m *Manager) AddFile(path, key string) (TaskID, error) {
	ids, err := m.AddFiles([]FileKey{{Path: path, Key: key}})
	return ids[0], err
}

// FileKey is a file to upload under an exact key.
type FileKey struct{ Path, Key string }

// AddFiles queues files under exact keys and returns once all are recorded durably
// in the queue, with one fsync for the lot. ids[i] is 0 for a file that was not
// queued; the error names each such file and why.
func (m *Manager) AddFiles(files []FileKey) ([]TaskID, error) {
	ids := make([]TaskID, len(files))
	type item struct {
		i    int
		abs  string
		size int64
	}
	var ok []item
	var errs []error
	for i, f := range files {
		st, err := os.Stat(f.Path)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("add %s: %w", f.Path, err))
			continue
		case !st.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("add %s: not a regular file", f.Path))
			continue
		}
		if err := checkKey(f.Key); err != nil {
			errs = append(errs, fmt.Errorf("add %s: %w", f.Path, err))
			continue
		}
		abs, _ := filepath.Abs(f.Path)
		ok = append(ok, item{i, abs, st.Size()})
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ids, ErrClosed
	}
	if m.tgtErr != nil {
		m.mu.Unlock()
		return ids, m.tgtErr
	}
	cpDir := ""
	if m.opts.EnableCheckpoint {
		cpDir = cpDirFor(m.stateDir, m.opts)
	}
	for _, it := range ok {
		f := files[it.i]
		qid := qidFor(m.tgt, f.Key, it.abs)
		if d := m.duplicateQIDLocked(qid); d != nil {
			errs = append(errs, fmt.Errorf("add %s: already queued as task %d (%s)", f.Path, d.id, d.state))
			continue
		}
		t := m.admitLocked(it.abs, f.Key, qid, m.tgt, nil, it.size, cpDir, false)
		t.pinned = true // exact keys: any later file may contest them
		ids[it.i] = t.id
		if t.state == Failed {
			errs = append(errs, fmt.Errorf("add %s: %s", f.Path, t.failure().Message))
		}
	}
	m.mu.Unlock()
	m.notify()
	// Durable before returning; callers adding at once share one fsync.
	if err := m.queue.commit(); err != nil {
		errs = append(errs, fmt.Errorf("add: %w", err))
	}
	return ids, errors.Join(errs...)
}

// keyHolderLocked returns the task that holds key at d, if one still does: a
// failed, canceled or removed task lets go of its key.
func (m *Manager) keyHolderLocked(d Destination, key string) *task {
	return m.keyRefHolderLocked(refOf(d, key))
}

// keyRefHolderLocked is keyHolderLocked for a key already hashed: the hash is
// most of a lookup's cost, and admitting a file needs it twice.
func (m *Manager) keyRefHolderLocked(ref keyRef) *task {
	o := m.byKey.get(ref)
	if o == nil || !m.listedLocked(o) || o.state == Failed || o.state == Canceled {
		return nil
	}
	return o
}

// admitLocked queues a file for key unless another source already holds that key
// in the queue; then the on-exists policy decides, so two files are never silently
// stored as one object: rename picks "name (1).ext", skip leaves the second file
// out with a note, overwrite refuses it with an error naming both.
//
// tgt may be nil for an upload recorded by an earlier run: rec then names its
// destination, resolved when the task starts.
func (m *Manager) admitLocked(path, key, qid string, tgt *target, rec *Destination, size int64, cpDir string, recorded bool) *task {
	return m.admitWithLocked(path, key, qid, tgt, rec, size, cpDir, recorded, nil)
}

// admitWithLocked is admitLocked with setup run on a queued task before it can
// start (a resumed upload's progress).
func (m *Manager) admitWithLocked(path, key, qid string, tgt *target, rec *Destination, size int64, cpDir string, recorded bool, setup func(*task)) *task {
	d := Destination{}
	if tgt != nil {
		d = tgt.destination()
	} else if rec != nil {
		d = *rec
	}
	newTask := func(key, qid, cpDir string) *task {
		if qid == "" {
			qid = qidOf(d, key, path)
		}
		var r *Destination
		if tgt == nil {
			r = rec
		}
		return m.newTaskQIDLocked(path, key, qid, tgt, r, size, cpDir)
	}
	ref := refOf(d, key)
	other := m.keyRefHolderLocked(ref)
	if other == nil || other.path() == path {
		t := newTask(key, qid, cpDir)
		m.byKey.put(ref, t)
		if !recorded {
			m.queue.addTask(queueEntryFor(t), &t.journaled)
		}
		if setup != nil {
			setup(t)
		}
		m.enqueueNewLocked(t)
		return t
	}
	// The durable record (if any) of this file under the contested key goes.
	m.queue.del(qid)
	switch m.opts.OnExists {
	case Rename:
		cand := key
		for i := 1; m.keyHolderLocked(d, cand) != nil; i++ {
			cand = renamed(key, i)
		}
		t := newTask(cand, "", cpDir)
		t.setNote(fmt.Sprintf("%s is also the key of %s; uploaded as %s", key, other.path(), cand), NotesOf(NoteRenamed))
		m.byKey.put(refOf(d, cand), t)
		m.queue.addTask(queueEntryFor(t), &t.journaled) // a new upload: a recorded one's progress was for key
		m.enqueueNewLocked(t)
		return t
	case Skip, SkipIdentical:
		t := newTask(key, qid, "")
		m.queued--
		t.state = Skipped
		t.setNote(fmt.Sprintf("skipped: %s is already the key of %s in this queue", key, other.path()), NotesOf(NoteKeyTakenSkipped))
		t.set(bitConflict, true)
		t.pinned = true
		t.setEnded(stampOf(time.Now()))
		m.finishedLocked(t)
		return t
	}
	te := &TaskError{Op: "key", Message: fmt.Sprintf("%s and %s would both be uploaded as %s; %s was not queued so that neither silently replaces the other (rename one, or use on-exists rename)",
		other.path(), path, key, path)}
	t := newTask(key, qid, "")
	m.queued--
	t.state = Failed
	t.setErr(te)
	t.set(bitConflict, true)
	t.pinned = true
	t.setEnded(stampOf(time.Now()))
	m.finishedLocked(t)
	return t
}

// checkKey applies OSS's object name rules so a bad name fails before any request.
func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("object key is empty")
	case len(key) > 1023:
		return fmt.Errorf("object key is %d bytes long; OSS allows at most 1023", len(key))
	case !utf8.ValidString(key):
		return fmt.Errorf("object key %q is not valid UTF-8", key)
	case key[0] == '/' || key[0] == '\\':
		return fmt.Errorf("object key %q must not start with / or \\", key)
	}
	return nil
}

func qidFor(tgt *target, key, path string) string {
	return qidOf(Destination{ID: tgt.dest, Endpoint: tgt.endpoint, Bucket: tgt.bucket}, key, path)
}

// qidOf names an upload by its destination's identity (the endpoint for targets
// without one), bucket, key and file.
func qidOf(d Destination, key, path string) string {
	if d.ID != "" {
		return checkpoint.ID("dest:", d.ID, d.Bucket, key, path)
	}
	return checkpoint.ID("", d.Endpoint, d.Bucket, key, path)
}

// duplicateQIDLocked returns an unfinished task that already uploads the file
// of identity qid (qidFor its target, key and path): two would share one
// checkpoint and race on the same object.
func (m *Manager) duplicateQIDLocked(qid string) *task {
	k, _ := qkey(qid)
	return m.duplicateKeyLocked(k)
}

// duplicateKeyLocked is duplicateQIDLocked for an identity already decoded.
func (m *Manager) duplicateKeyLocked(k qidKey) *task {
	if d := m.byQID.get(k); d != nil && m.listedLocked(d) && !d.state.Finished() {
		return d
	}
	return nil
}

func (m *Manager) newTaskLocked(path, key string, tgt *target, size int64, cpDir string) *task {
	qid := ""
	if tgt != nil {
		qid = qidFor(tgt, key, path)
	}
	return m.newTaskQIDLocked(path, key, qid, tgt, nil, size, cpDir)
}

// newTaskQIDLocked is newTaskLocked with the identity already worked out and,
// for a task recorded by an earlier run (tgt nil), its recorded destination rec.
// A task with an identity becomes the latest of it (byQID).
func (m *Manager) newTaskQIDLocked(path, key, qid string, tgt *target, rec *Destination, size int64, cpDir string) *task {
	m.nextID++
	var t *task
	if m.cfg.ForgetFinished {
		t = new(task)
	} else {
		t = m.slab.new()
	}
	t.id, t.tgt, t.size, t.state = m.nextID, tgt, size, Queued
	m.placeLocked(t, path, key, cpDir, rec)
	t.setQID(qid)
	if qid != "" {
		m.byQID.put(t)
	}
	m.tasks = append(m.tasks, t) // ids increase, so m.tasks stays sorted by id
	m.queued++
	return t
}

// failedTaskLocked records a file that could not even be queued (walk errors), so the
// user sees it in the list rather than having it vanish.
func (m *Manager) failedTaskLocked(path, key string, tgt *target, te *TaskError) {
	t := m.newTaskLocked(path, key, tgt, 0, "")
	m.queued--
	t.state = Failed
	t.setErr(te)
	t.setEnded(stampOf(time.Now()))
	m.finishedLocked(t)
}

// enqueueLocked queues t to start after every task queued before it.
func (m *Manager) enqueueLocked(t *task) {
	if !t.has(bitInQueue) && !t.has(bitFresh) {
		t.set(bitInQueue, true)
		m.pending.push(requeued{t, m.nextID})
	}
	m.markBusyLocked()
	m.scheduleLocked()
}

// enqueueNewLocked is enqueueLocked for t as it is added: the last task given
// an id, so it waits in m.tasks where it is.
func (m *Manager) enqueueNewLocked(t *task) {
	t.set(bitFresh, true)
	m.markBusyLocked()
	m.scheduleLocked()
}

// nextQueuedLocked is the task to start next, whichever was queued first: the
// first task queued when added that has not started (fresh), or the first
// task queued again.
func (m *Manager) nextQueuedLocked() (t *task, fresh bool) {
	f := m.firstFreshLocked()
	if e, ok := m.pending.peek(); ok && (f == nil || e.after < f.id) {
		return e.t, false
	}
	return f, f != nil
}

// unqueueLocked takes t, which nextQueuedLocked returned, off the queue.
func (m *Manager) unqueueLocked(t *task, fresh bool) {
	if fresh {
		t.set(bitFresh, false)
	} else {
		m.pending.pop()
		t.set(bitInQueue, false)
	}
}

// firstFreshLocked is the first task in m.tasks still marked bitFresh,
// moving freshFrom up to it.
func (m *Manager) firstFreshLocked() *task {
	i := m.freshAt
	if i > len(m.tasks) || (i < len(m.tasks) && m.tasks[i].id < m.freshFrom) || (i > 0 && m.tasks[i-1].id >= m.freshFrom) {
		// Tasks before the hint were removed (or it is stale): search.
		i, _ = slices.BinarySearchFunc(m.tasks, m.freshFrom, func(t *task, id TaskID) int { return cmp.Compare(t.id, id) })
	}
	for ; i < len(m.tasks); i++ {
		if t := m.tasks[i]; t.has(bitFresh) {
			m.freshFrom, m.freshAt = t.id, i
			return t
		}
	}
	m.freshFrom, m.freshAt = m.nextID+1, len(m.tasks)
	return nil
}

// markBusyLocked opens a new idle channel for Wait when the Manager goes from idle to busy.
func (m *Manager) markBusyLocked() {
	if m.idle == nil {
		m.idle = make(chan struct{})
	}
}

func (m *Manager) checkIdleLocked() {
	if m.idle != nil && m.queued == 0 && m.active == 0 && m.busy == 0 {
		close(m.idle)
		m.idle = nil
	}
}

// scheduleLocked starts queued tasks in order: files sent in parts while fewer
// than Jobs of them run, files sent in one request while the adaptive window
// and byte budget allow (smallSlots). The first task that may not start yet
// holds the rest back, so files start in the order they were added.
func (m *Manager) scheduleLocked() {
	for !m.closed {
		t, fresh := m.nextQueuedLocked()
		if t == nil {
			break
		}
		small := t.state == Queued && m.small.isSmall(t, m.opts)
		if t.state == Queued && !m.small.mayStart(t, small, m.active, m.opts) {
			break
		}
		m.unqueueLocked(t, fresh)
		if t.state != Queued {
			continue
		}
		m.startLocked(t, small)
	}
}

// startLocked runs t on a worker of its own; small says it counts among the
// one-request uploads.
func (m *Manager) startLocked(t *task, small bool) {
	ctx, cancel := context.WithCancelCause(m.ctx)
	t.rt = &running{cancel: cancel}
	if small {
		m.small.start(t)
	}
	t.rt.sent.Store(t.doneBytes())
	m.setStateLocked(t, Uploading)
	t.setErr(nil)
	if t.span == nil || t.span.started == 0 {
		t.spanned().started = stampOf(time.Now())
	}
	m.active++
	if m.runSet == nil {
		m.runSet = map[TaskID]*task{}
	}
	m.runSet[t.id] = t
	m.wg.Add(1)
	m.dispatch(ctx, t)
}

func (m *Manager) setStateLocked(t *task, s State) {
	if t.state == Queued {
		m.queued--
		m.roomLocked()
	}
	if s == Queued {
		m.queued++
	}
	t.state = s
	m.touchLocked(t)
}

// run drives one task to an end state and releases its slot.
func (m *Manager) run(ctx context.Context, t *task) {
	defer m.wg.Done()
	m.notify()
	res := m.upload(ctx, t)
	cause := context.Cause(ctx)
	if ctx.Err() == nil {
		cause = nil
	}
	t.rt.cancel(nil)

	// A cancel must also drop the server-side upload and checkpoint; do it before the
	// slot is released so a Close right after does not leave the abort half done.
	if cause == errCancel && res.lock == nil && t.cpDir() != "" {
		// Canceled before the task took its lock: take it now so the discard below
		// does not pull a checkpoint from under another process.
		if lk, err := acquireCPLock(lockPathFor(t.cpDir(), t.qidStr())); err == nil {
			res.lock = lk
		}
	}
	if cause == errCancel || (cause == errPause && t.cpDir() == "" && res.uploadID != "") {
		m.discard(t.tgt, t.key(), res.uploadID, res.cpPath)
		if cause == errCancel && res.lock != nil {
			// Canceled before the checkpoint was opened (e.g. while reconciling): it
			// may still name an upload on the server.
			m.discardFile(t.tgt, t.key(), filepath.Join(t.cpDir(), t.qidStr()+checkpoint.Ext))
		}
	}
	// Only now, with the checkpoint settled (kept, removed or discarded), may another
	// process take the upload over.
	res.lock.release()

	m.mu.Lock()
	delete(m.runSet, t.id)
	m.active--
	m.small.end(t)
	t.rt = nil
	switch {
	case cause == errCancel:
		m.setStateLocked(t, Canceled)
		t.setDone(0)
		m.queue.delTask(t.qidStr(), &t.journaled)
	case cause == errPause:
		m.setStateLocked(t, Paused)
		// A user pause is not a failure: drop whatever the stopped requests reported.
		// Only pauses for expired credentials (below) keep their explanation.
		t.setErr(nil)
		t.credWait = false
		if t.cpDir() == "" {
			t.setDone(0)
		}
	case cause == errClose || m.closed:
		m.setStateLocked(t, Queued)
	default:
		m.setStateLocked(t, res.state)
		t.setErr(res.err)
		if res.note != "" {
			t.setNote(res.note, res.noteKind)
		}
		if res.state == Paused && res.credsExpired {
			t.credWait = true
		}
		// A file that cannot be read will not get better by offering it again next launch.
		if !res.queueDone && (res.state == Done || res.state == Skipped || (res.state == Failed && res.err != nil && res.err.Op == "open")) {
			m.queue.delTask(t.qidStr(), &t.journaled)
		}
	}
	if t.state.Finished() {
		t.setEnded(stampOf(time.Now()))
		m.finishedLocked(t)
	}
	if te := t.failure(); t.state == Failed && te != nil {
		m.log.Warn("upload failed", "path", t.path(), "key", t.key(), "op", te.Op, "code", te.Code, "request_id", te.RequestID, "err", te.Error())
	} else if t.state == Done {
		// The history records every upload; the log only big ones, unless
		// debugging: a line per small file would cost more than its upload.
		if lvl := uploadedLogLevel(t.size, m.opts); m.log.Enabled(m.ctx, lvl) {
			m.log.Log(m.ctx, lvl, "uploaded", "path", t.path(), "bucket", t.tgt.bucket, "key", t.key(), "size", t.size, "resumed", t.resumed)
		}
	}
	m.scheduleLocked()
	m.checkIdleLocked()
	m.mu.Unlock()
	m.notify()
}

// discard aborts an upload on the server with a fresh context (the task's own is
// already done) and deletes its checkpoint.
func (m *Manager) discard(tgt *target, key, uploadID, cpPath string) {
	if uploadID != "" && tgt != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := tgt.bkt.AbortMultipartUpload(oss.InitiateMultipartUploadResult{Bucket: tgt.bucket, Key: key, UploadID: uploadID}, oss.WithContext(ctx))
		cancel()
		if err != nil {
			var se oss.ServiceError
			if !errors.As(err, &se) || se.Code != "NoSuchUpload" {
				m.log.Warn("abort multipart upload failed", "bucket", tgt.bucket, "key", key, "upload_id", uploadID, "err", err)
			}
		}
	}
	if cpPath != "" {
		if err := os.Remove(cpPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			m.log.Warn("remove checkpoint failed", "file", cpPath, "err", err)
		}
	}
}

// discardFile aborts the upload a checkpoint file names and deletes the file.
func (m *Manager) discardFile(tgt *target, key, cp string) {
	if _, err := os.Stat(cp); err != nil {
		return
	}
	id := ""
	if h, err := checkpoint.ReadHeader(cp); err == nil {
		id, key = h.UploadID, h.Key
	}
	m.discard(tgt, key, id, cp)
}

// Len is the number of tasks.
func (m *Manager) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tasks) - m.goneN
}

func (m *Manager) snapshotLocked(t *task) TaskSnapshot {
	s := TaskSnapshot{ID: t.id, Path: t.path(), Key: t.key(), Size: t.size, Done: t.doneBytes(), Sent: t.doneBytes(), State: t.state,
		Err: t.failure(), Note: t.note(), NoteKinds: t.noteKinds(), Callback: t.callback(), Resumed: t.resumed, Version: uint64(t.version), KeyConflict: t.has(bitConflict),
		StartedAt: t.startedAt().time(), EndedAt: t.endedAt().time()}
	if t.tgt != nil {
		s.Bucket, s.Profile = t.tgt.bucket, t.tgt.profile
	} else if t.rec() != nil {
		s.Bucket, s.Profile = t.rec().Bucket, t.rec().Profile
	}
	s.CRC64, s.Retries = t.crc(), t.retried()
	if t.state == Done {
		s.Sent = t.size
	}
	if rt := t.rt; rt != nil {
		s.Sent = max(rt.sent.Load(), t.doneBytes())
		s.Speed = rt.speed
		s.RetryAt = rt.retryAt
		if rt.speed > 1 && t.size > s.Sent {
			s.ETA = time.Duration(float64(t.size-s.Sent) / rt.speed * float64(time.Second))
		}
	}
	return s
}

// Snapshot appends every task, in add order, to dst[:0].
func (m *Manager) Snapshot(dst []TaskSnapshot) []TaskSnapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	dst = dst[:0]
	for _, t := range m.tasks {
		if !t.gone {
			dst = append(dst, m.snapshotLocked(t))
		}
	}
	return dst
}

// Task returns one task's snapshot.
func (m *Manager) Task(id TaskID) (TaskSnapshot, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.taskLocked(id)
	if t == nil {
		return TaskSnapshot{}, false
	}
	return m.snapshotLocked(t), true
}

// Totals sums all tasks.
func (m *Manager) Totals() Totals {
	m.mu.Lock()
	defer m.mu.Unlock()
	tt := m.gone
	tt.Files += len(m.tasks) - m.goneN
	var remaining int64
	for _, t := range m.tasks {
		if t.gone {
			continue
		}
		sent := tt.count(t)
		if t.rt != nil {
			tt.Speed += t.rt.speed
		}
		if (t.state == Queued || t.state.Active()) && t.size != unsized {
			remaining += t.size - sent
		}
	}
	if tt.Speed > 1 && remaining > 0 {
		tt.ETA = time.Duration(float64(remaining) / tt.Speed * float64(time.Second))
	}
	return tt
}

// count adds one task to tt: the rule Totals and forgotten tasks share. It
// returns the bytes sent of the task. Caller holds the Manager's lock.
func (tt *Totals) count(t *task) (sent int64) {
	if t.size == unsized {
		if !t.state.Finished() {
			tt.Sizing++
		}
	} else {
		tt.Bytes += t.size
	}
	switch t.state {
	case Done:
		tt.Done++
		tt.BytesDone += t.size
		tt.BytesSent += t.size
		return t.size
	case Failed:
		tt.Failed++
	case Skipped:
		tt.Skipped++
	case Canceled:
		tt.Canceled++
	case Queued:
		tt.Queued++
	case Paused:
		tt.Paused++
	default:
		if t.state.Active() {
			tt.Active++
		}
	}
	tt.BytesDone += t.doneBytes()
	sent = t.doneBytes()
	if t.rt != nil {
		sent = max(sent, t.rt.sent.Load())
	}
	tt.BytesSent += sent
	return sent
}

// indexLocked finds the task of id in m.tasks, which is in add order and so
// sorted by id: a search there costs no map entry per task. Forgotten tasks
// awaiting compaction are found too. Caller holds m.mu.
func (m *Manager) indexLocked(id TaskID) (int, bool) {
	return slices.BinarySearchFunc(m.tasks, id, func(t *task, id TaskID) int { return cmp.Compare(t.id, id) })
}

// taskLocked is the listed task of id, nil if there is none (never added,
// removed, or forgotten). Caller holds m.mu.
func (m *Manager) taskLocked(id TaskID) *task {
	if i, ok := m.indexLocked(id); ok && !m.tasks[i].gone {
		return m.tasks[i]
	}
	return nil
}

// listedLocked reports whether t is still in the list: not removed, cleared
// or forgotten. Caller holds m.mu.
func (m *Manager) listedLocked(t *task) bool { return !t.gone && m.taskLocked(t.id) == t }

func (m *Manager) get(id TaskID) (*task, error) {
	if m.closed {
		return nil, ErrClosed
	}
	t := m.taskLocked(id)
	if t == nil {
		return nil, fmt.Errorf("task %d: %w", id, ErrNoTask)
	}
	return t, nil
}

// Pause stops a queued or running task, keeping its checkpoint for Resume.
func (m *Manager) Pause(id TaskID) error {
	return m.withTask(id, func(t *task) error { m.pauseLocked(t); return nil })
}

func (m *Manager) pauseLocked(t *task) {
	switch {
	case t.rt != nil:
		t.rt.cancel(errPause)
	case t.state == Queued:
		m.setStateLocked(t, Paused)
		m.checkIdleLocked()
		m.notify()
	}
}

// Resume requeues a paused task.
func (m *Manager) Resume(id TaskID) error {
	return m.withTask(id, func(t *task) error { m.resumeLocked(t); return nil })
}

func (m *Manager) resumeLocked(t *task) {
	if t.state != Paused || t.rt != nil {
		return
	}
	if t.credWait && t.rec() != nil {
		t.tgt = nil // recorded: find its destination and credentials again when it starts
	}
	t.credWait = false
	m.setStateLocked(t, Queued)
	m.enqueueLocked(t)
	m.notify()
}

// Cancel stops a task, aborts its multipart upload (with a fresh context) and removes its checkpoint.
func (m *Manager) Cancel(id TaskID) error {
	return m.withTask(id, func(t *task) error { m.cancelLocked(t); return nil })
}

func (m *Manager) cancelLocked(t *task) {
	if t.rt != nil {
		t.rt.cancel(errCancel)
		return
	}
	if t.state == Done || t.state == Canceled || t.state == Skipped {
		return
	}
	m.setStateLocked(t, Canceled)
	t.setEnded(stampOf(time.Now()))
	m.finishedLocked(t)
	m.queue.delTask(t.qidStr(), &t.journaled)
	m.discardRecordLocked(t)
	m.checkIdleLocked()
	m.notify()
}

// discardRecordLocked aborts the upload recorded in t's checkpoint, if any, in the background.
func (m *Manager) discardRecordLocked(t *task) {
	if t.cpDir() == "" || (t.tgt == nil && t.rec() == nil) {
		return
	}
	cp := filepath.Join(t.cpDir(), t.qidStr()+checkpoint.Ext)
	if _, err := os.Stat(cp); err != nil {
		return
	}
	m.busy++
	m.markBusyLocked()
	m.wg.Add(1)
	go func(tgt *target, rec *Destination, key string) {
		defer m.wg.Done()
		if tgt == nil {
			// Recorded by an earlier run and never started: find its destination now
			// (no lock held). When it is gone, only the local records are forgotten.
			ctx, cancel := context.WithTimeout(m.ctx, 30*time.Second)
			var err error
			if tgt, err = m.resolveRecorded(ctx, *rec); err != nil {
				m.log.Warn("forgetting an upload without aborting it on the server", "dest", rec.String(), "key", key, "err", err)
			}
			cancel()
		}
		if lk, err := acquireCPLock(lockPathOfCheckpoint(cp)); err == nil {
			m.discardFile(tgt, key, cp)
			lk.release()
		} else {
			m.log.Warn("canceled task's checkpoint kept", "file", cp, "err", err)
		}
		m.mu.Lock()
		m.busy--
		m.checkIdleLocked()
		m.mu.Unlock()
	}(t.tgt, t.rec(), t.key())
}

// Retry requeues a failed or canceled task.
func (m *Manager) Retry(id TaskID) error {
	return m.withTask(id, m.retryLocked)
}

// withTask runs f on task id under the Manager's lock.
func (m *Manager) withTask(id TaskID, f func(*task) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.get(id)
	if err != nil {
		return err
	}
	return f(t)
}

func (m *Manager) retryLocked(t *task) error {
	if t.state != Failed && t.state != Canceled {
		return fmt.Errorf("task %d is %s; only failed or canceled tasks can be retried", t.id, t.state)
	}
	if t.tgt == nil && t.rec() == nil {
		return fmt.Errorf("task %d has no destination: %v", t.id, t.failure())
	}
	t.setErr(nil)
	t.setEnded(0)
	m.setStateLocked(t, Queued)
	m.queue.addTask(queueEntryFor(t), &t.journaled)
	m.enqueueLocked(t)
	m.notify()
	return nil
}

// Remove drops a task from the list. A running or unfinished task is canceled first
// (its server upload aborted), so nothing is left behind.
func (m *Manager) Remove(id TaskID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, err := m.get(id)
	if err != nil {
		return err
	}
	m.cancelLocked(t)
	m.byQID.del(t)
	m.byKey.delIf(t.keyRef(), t)
	if i, ok := m.indexLocked(id); ok {
		m.tasks = slices.Delete(m.tasks, i, i+1)
		m.unplaceLocked(t)
	}
	m.notify()
	return nil
}

// PauseAll pauses every queued or running task.
func (m *Manager) PauseAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		m.pauseLocked(t)
	}
}

// ResumeAll requeues every paused task.
func (m *Manager) ResumeAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		m.resumeLocked(t)
	}
}

// RetryFailed requeues every failed task.
func (m *Manager) RetryFailed() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		if t.state == Failed && !t.gone && (t.tgt != nil || t.rec() != nil) {
			m.retryLocked(t)
		}
	}
}

// ClearFinished removes done, skipped and canceled tasks; failed ones stay for Retry.
func (m *Manager) ClearFinished() {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept := m.tasks[:0]
	for _, t := range m.tasks {
		if t.gone {
			continue
		}
		if t.state == Done || t.state == Skipped || t.state == Canceled {
			m.byQID.del(t)
			m.byKey.delIf(t.keyRef(), t)
			m.unplaceLocked(t)
			continue
		}
		kept = append(kept, t)
	}
	clear(m.tasks[len(kept):])
	m.tasks = kept
	m.goneN = 0
	m.notify()
}

// SetLimitRate changes the shared bandwidth cap at once; 0 removes it.
func (m *Manager) SetLimitRate(bytesPerSec int64) {
	if bytesPerSec < 0 {
		bytesPerSec = 0
	}
	m.limiter.Set(bytesPerSec)
	m.mu.Lock()
	m.opts.LimitRate = bytesPerSec
	m.mu.Unlock()
}

// SetTarget changes the destination for later Adds.
func (m *Manager) SetTarget(t Target) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.Credentials != nil {
		m.creds.set(t.Credentials)
	}
	m.setTargetLocked(t)
}

// SetOptions changes options for tasks started later; Jobs, MaxPartsInFlight and
// LimitRate apply at once.
func (m *Manager) SetOptions(o Options) error {
	o, err := o.normalize()
	if err != nil {
		return err
	}
	if o.EnableCheckpoint {
		if err := checkpoint.EnsureDir(cpDirFor(m.stateDir, o)); err != nil {
			return err
		}
	}
	m.limiter.Set(o.LimitRate)
	m.sem.setLimit(partsLimit(o))
	m.mu.Lock()
	m.opts = o
	m.scheduleLocked()
	m.mu.Unlock()
	return nil
}

// SetCredentials replaces the credentials of the current target (running uploads pick
// them up on their next request) and resumes tasks paused because credentials expired.
func (m *Manager) SetCredentials(p oss.CredentialsProvider) {
	m.creds.set(p)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tgtSpec.Credentials = p
	for _, t := range m.tasks {
		if t.credWait && t.state == Paused {
			m.resumeLocked(t)
		}
	}
}

// Wait returns when nothing is queued, running or being walked, or when ctx ends.
func (m *Manager) Wait(ctx context.Context) error {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return ErrClosed
		}
		ch := m.idle
		m.mu.Unlock()
		if ch == nil {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops every worker promptly, keeping checkpoints and the durable queue so the
// next launch can resume; no goroutine is left running when it returns.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.room.Broadcast() // walks held by WalkAhead end
	for _, t := range m.runSet {
		t.rt.cancel(errClose)
	}
	m.mu.Unlock()
	m.cancel()
	m.wg.Wait()
	m.fin.wait()
	m.mu.Lock()
	if m.idle != nil {
		close(m.idle)
		m.idle = nil
	}
	for _, tg := range m.targets {
		if tr, ok := tg.bkt.Client.HTTPClient.Transport.(interface{ CloseIdleConnections() }); ok {
			tr.CloseIdleConnections()
		}
	}
	m.mu.Unlock()
	return m.queue.close()
}
