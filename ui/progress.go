package ui

import (
	"sync"
	"time"

	"github.com/ossdrop/ossdrop/transfer"
)

// Figures the window derives from the engine's byte counters. They live in
// one place so rows, the overall bar and the title tell the same story.
const (
	// rateWindow is how far back speed looks: long enough to smooth the
	// bursts of parallel parts, short enough to fall to zero soon after the
	// bytes stop.
	rateWindow = 5 * time.Second
	// minRateSpan is how much history a speed needs before it is shown;
	// shorter spans give wild numbers.
	minRateSpan = time.Second
	// stallAfter is how long an upload may send nothing before the row says
	// "stalled" instead of an ETA.
	stallAfter = 10 * time.Second
	// maxETA is the longest remaining time worth showing; beyond it the
	// figure is noise, not a forecast.
	maxETA = 99 * time.Hour
)

type sample struct {
	at time.Time
	n  int64
}

// meter turns a byte counter sampled at irregular moments into a moving
// average speed and the time the counter last moved. It has no clock of its
// own: callers pass the time, so tests drive it with a fake one.
type meter struct {
	samples []sample // oldest first; the first may be older than the window (the base)
	last    int64
	moved   time.Time // when the counter last went up (or tracking began)
	seen    uint64    // the tracker's generation that last observed it
}

// observe records the counter's value n at now. A counter that steps back
// (a retried part's bytes taken back) shifts the history down by the same
// amount: the bytes were on the wire, so the speed stays, but it is not
// movement either.
func (m *meter) observe(now time.Time, n int64) {
	if len(m.samples) == 0 {
		m.moved = now
	} else if n < m.last {
		d := m.last - n
		for i := range m.samples {
			m.samples[i].n -= d
		}
	} else if n > m.last {
		m.moved = now
	}
	m.last = n
	m.samples = append(m.samples, sample{now, n})
	m.prune(now)
}

// prune drops samples older than the window, keeping the newest of them as
// the base the speed is measured from.
func (m *meter) prune(now time.Time) {
	cut := now.Add(-rateWindow)
	i := 0
	for i+1 < len(m.samples) && !m.samples[i+1].at.After(cut) {
		i++
	}
	if i > 0 {
		m.samples = append(m.samples[:0], m.samples[i:]...)
	}
}

// rate is bytes per second over the last rateWindow, 0 when unknown or when
// nothing moved in that time.
func (m *meter) rate(now time.Time) float64 {
	if len(m.samples) < 2 {
		return 0
	}
	cut := now.Add(-rateWindow)
	base := m.samples[0]
	for _, s := range m.samples[1:] {
		if s.at.After(cut) {
			break
		}
		base = s
	}
	span := now.Sub(base.at)
	if span < minRateSpan {
		return 0
	}
	if span > rateWindow {
		span = rateWindow
	}
	moved := m.last - base.n
	if moved <= 0 {
		return 0
	}
	return float64(moved) / span.Seconds()
}

// stalledFor is how long the counter has not moved.
func (m *meter) stalledFor(now time.Time) time.Duration { return now.Sub(m.moved) }

// liveStats is what a row shows about a task beyond its snapshot.
type liveStats struct {
	Speed   float64       // bytes per second, moving average; 0 when nothing moves
	ETA     time.Duration // 0 when unknown or stalled
	Stalled bool          // uploading, but nothing was sent for stallAfter
	RetryIn time.Duration // waiting to retry: time until the next attempt
	// Asking: the task waits for the user to answer a question (the object
	// already exists); nothing is sent, yet nothing is stuck either.
	Asking bool
	// AskWait is how long the task's questions stayed on screen since it
	// started: time spent with the user, not uploading.
	AskWait time.Duration
}

// userWaits measures how long tasks wait for the user's answer. The engine
// does not tell a question's time apart from the upload's, so the window
// measures it where it shows the question. Questions are asked from worker
// goroutines and read on the UI goroutine, hence the lock; it is never held
// across anything but the maps.
type userWaits struct {
	mu     sync.Mutex
	asking map[transfer.TaskID]time.Time     // question on screen since
	spent  map[transfer.TaskID][]askInterval // answered questions; one entry per click, so it stays small
}

type askInterval struct {
	from time.Time
	d    time.Duration
}

// begin notes that a question about id went on screen at now.
func (u *userWaits) begin(id transfer.TaskID, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.asking == nil {
		u.asking = map[transfer.TaskID]time.Time{}
	}
	u.asking[id] = now
}

// end notes that the question about id was answered (or withdrawn) at now.
func (u *userWaits) end(id transfer.TaskID, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	from, ok := u.asking[id]
	if !ok {
		return
	}
	delete(u.asking, id)
	if u.spent == nil {
		u.spent = map[transfer.TaskID][]askInterval{}
	}
	u.spent[id] = append(u.spent[id], askInterval{from, max(now.Sub(from), 0)})
}

// any reports whether some question is on screen.
func (u *userWaits) any() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.asking) > 0
}

// waiting reports whether a question about id is on screen.
func (u *userWaits) waiting(id transfer.TaskID) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.asking[id]
	return ok
}

// since is how long id's questions were on screen from start on (a retried
// task starts again; its earlier questions belong to the earlier run).
func (u *userWaits) since(id transfer.TaskID, start, now time.Time) time.Duration {
	u.mu.Lock()
	defer u.mu.Unlock()
	var d time.Duration
	for _, iv := range u.spent[id] {
		if !iv.from.Before(start) {
			d += iv.d
		}
	}
	if from, ok := u.asking[id]; ok && !from.Before(start) {
		d += max(now.Sub(from), 0)
	}
	return d
}

// batchTotals sums the current batch: everything queued since the queue
// was last idle.
type batchTotals struct {
	Files    int // in the batch, canceled ones left out
	Finished int // done or skipped
	Failed   int
	Paused   int
	Running  bool  // something queued or uploading
	Bytes    int64 // sizes of the files whose size is read
	Sent     int64 // acknowledged-on-the-wire bytes of files not failed
	Sizing   int   // unfinished files whose size is not read yet
	Stats    liveStats
}

// Fraction is how far the batch is, 0..1. A failed file's bytes never count
// as sent, so a batch with failures never reaches 1.
func (b batchTotals) Fraction() float64 {
	if b.Files == 0 {
		return 0
	}
	sized := b.Files - b.Sizing
	if b.Bytes <= 0 || sized <= 0 {
		return float64(b.Finished) / float64(b.Files)
	}
	total := float64(b.Bytes)
	if b.Sizing > 0 {
		// A file whose size is not read yet counts at the mean size of those
		// read: the bar follows the bytes sent from the start, rather than
		// the files finished until the last size is in and then jumping.
		total += float64(b.Bytes) / float64(sized) * float64(b.Sizing)
	}
	return min(max(float64(b.Sent)/total, 0), 1)
}

// progressTracker follows every running task and the batch. It runs on the
// UI goroutine (or a test's) and only keeps meters for tasks with a worker;
// the batch's sums live in the row model, kept as rows change, so 500,000
// queued rows cost nothing per tick.
type progressTracker struct {
	now    func() time.Time
	meters map[transfer.TaskID]*meter
	total  meter
	gen    uint64
	// waits are the questions put to the user; their time is neither
	// movement nor a stall.
	waits userWaits

	busy   bool
	totals batchTotals
	// newest is the highest task id of the last update: ids only grow, so a
	// task above it was added since, even one that finished between two
	// updates without ever being seen running. The first update has no
	// "since": only what runs then makes its batch.
	newest transfer.TaskID
	primed bool
}

func newProgressTracker(now func() time.Time) *progressTracker {
	if now == nil {
		now = time.Now
	}
	return &progressTracker{now: now, meters: map[transfer.TaskID]*meter{}}
}

// running reports whether a task state takes part in a batch's run.
func running(s transfer.State) bool { return s == transfer.Queued || s.Active() }

// update takes the tasks that changed since the last update (every active
// task among them, as Backend.Changes reports), already merged into m at
// rows[i] = m.rows[rows[i]], and recomputes the batch.
func (p *progressTracker) update(m *rowModel, changed []transfer.TaskSnapshot, rows []int32) batchTotals {
	now := p.now()
	p.gen++
	if !p.primed {
		for k := range changed {
			p.newest = max(p.newest, changed[k].ID)
		}
		p.primed = true
	}
	busy, fresh := m.running() > 0, false
	for k := range changed {
		fresh = fresh || changed[k].ID > p.newest
	}
	if (busy || fresh) && !p.busy {
		// A new batch: what runs now, plus whatever joins until idle.
		m.newBatch()
		p.total = meter{}
	}
	p.busy = busy
	for k := range changed {
		t := &changed[k]
		if t.ID > p.newest || busy && running(t.State) {
			m.join(int(rows[k]))
		}
		if t.State.Active() {
			mt := p.meters[t.ID]
			if mt == nil {
				mt = &meter{}
				p.meters[t.ID] = mt
			}
			mt.observe(now, max(t.Sent, t.Done))
			if p.waits.waiting(t.ID) {
				mt.moved = now // the stall clock starts when the answer is given
			}
			mt.seen = p.gen
		}
	}
	for k := range changed {
		p.newest = max(p.newest, changed[k].ID)
	}
	for id, mt := range p.meters {
		if mt.seen != p.gen {
			delete(p.meters, id)
		}
	}
	b := m.batch
	b.Running = busy
	b.Stats = liveStats{}
	if busy {
		p.total.observe(now, b.Sent)
		if b.Stats.Asking = p.waits.any(); b.Stats.Asking {
			p.total.moved = now
		}
		b.Stats.Speed = p.total.rate(now)
		b.Stats.Stalled = !b.Stats.Asking && p.total.stalledFor(now) >= stallAfter
		b.Stats.ETA = etaFor(b.Bytes-b.Sent, b.Stats)
	}
	p.totals = b
	return b
}

// stats are the live figures for one task as of the last update.
func (p *progressTracker) stats(t transfer.TaskSnapshot) liveStats {
	var s liveStats
	now := p.now()
	if t.State == transfer.Retrying && !t.RetryAt.IsZero() {
		s.RetryIn = max(t.RetryAt.Sub(now), 0)
	}
	if t.State == transfer.Done && !t.StartedAt.IsZero() {
		s.AskWait = p.waits.since(t.ID, t.StartedAt, now)
	}
	m := p.meters[t.ID]
	if m == nil || !t.State.Active() {
		return s
	}
	s.Asking = p.waits.waiting(t.ID)
	s.Speed = m.rate(now)
	s.Stalled = !s.Asking && t.State == transfer.Uploading && m.stalledFor(now) >= stallAfter
	s.ETA = etaFor(t.Size-max(t.Sent, t.Done), s)
	return s
}

// etaFor is the time to send left bytes at the measured speed; 0 (shown as
// nothing) when stalled, unknown or too far away to mean anything.
func etaFor(left int64, s liveStats) time.Duration {
	if s.Stalled || s.Asking || s.Speed < 1 || left <= 0 {
		return 0
	}
	d := time.Duration(float64(left) / s.Speed * float64(time.Second))
	if d > maxETA || d < 0 {
		return 0
	}
	return d
}
