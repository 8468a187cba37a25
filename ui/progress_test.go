package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/transfer"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock           { return &fakeClock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)} }
func up(id int, size, sent int64) transfer.TaskSnapshot {
	return transfer.TaskSnapshot{ID: transfer.TaskID(id), Size: size, Sent: sent, State: transfer.Uploading}
}

// tracker drives a progressTracker with whole task lists, through the row
// model as the window does.
type tracker struct {
	*progressTracker
	m rowModel
	f feed
}

func newTracker(now func() time.Time) *tracker {
	return &tracker{progressTracker: newProgressTracker(now)}
}

func (p *tracker) update(tasks []transfer.TaskSnapshot) batchTotals {
	c := p.f.diff(tasks)
	rows := p.m.apply(c)
	return p.progressTracker.update(&p.m, c.Tasks, rows)
}

func TestSpeedIsAMovingAverageThatFallsToZero(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	task := up(1, 100_000_000, 0)
	// 1 MB per 500 ms tick for 6 s: 2 MB/s.
	for i := 0; i < 12; i++ {
		p.update([]transfer.TaskSnapshot{task})
		c.add(500 * time.Millisecond)
		task.Sent += 1_000_000
	}
	p.update([]transfer.TaskSnapshot{task})
	s := p.stats(task)
	if s.Speed < 1.99e6 || s.Speed > 2.01e6 {
		t.Fatalf("speed %.0f B/s, want 2 MB/s", s.Speed)
	}
	left := task.Size - task.Sent
	if want := time.Duration(float64(left) / 2e6 * float64(time.Second)); s.ETA < want-time.Second || s.ETA > want+time.Second {
		t.Fatalf("ETA %s, want about %s", s.ETA, want)
	}
	if s.Stalled {
		t.Fatal("moving upload reported stalled")
	}

	// Nothing moves: the speed decays within the window and is zero after it,
	// not a residue that gives a 30-day ETA.
	c.add(2500 * time.Millisecond)
	p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); s.Speed >= 2e6 || s.Speed <= 0 {
		t.Fatalf("half a window idle: speed %.0f, want between 0 and 2 MB/s", s.Speed)
	}
	c.add(rateWindow)
	p.update([]transfer.TaskSnapshot{task})
	s = p.stats(task)
	if s.Speed != 0 || s.ETA != 0 {
		t.Fatalf("idle for a full window: speed %.0f ETA %s, want 0 and none", s.Speed, s.ETA)
	}
	if s.Stalled {
		t.Fatalf("stalled after %s, want only after %s", 7500*time.Millisecond, stallAfter)
	}
	c.add(stallAfter)
	p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); !s.Stalled || s.ETA != 0 {
		t.Fatalf("idle for %s: %+v, want stalled without ETA", stallAfter, s)
	}
	// Bytes flow again: no longer stalled.
	c.add(time.Second)
	task.Sent += 500_000
	p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); s.Stalled || s.Speed <= 0 {
		t.Fatalf("moving again: %+v", s)
	}
}

func TestSpeedNeedsASecondOfHistory(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	task := up(1, 10_000_000, 0)
	p.update([]transfer.TaskSnapshot{task})
	c.add(200 * time.Millisecond)
	task.Sent = 3_000_000
	p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); s.Speed != 0 || s.ETA != 0 {
		t.Fatalf("after 200 ms: %+v, want nothing yet", s)
	}
	c.add(800 * time.Millisecond)
	p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); s.Speed != 3e6 {
		t.Fatalf("after 1 s: speed %.0f, want 3 MB/s", s.Speed)
	}
}

func TestRetriedPartStepsBackWithoutNegativeSpeed(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	task := up(1, 10_000_000, 0)
	for i := 0; i < 4; i++ {
		p.update([]transfer.TaskSnapshot{task})
		c.add(time.Second)
		task.Sent += 1_000_000
	}
	// A part of 2 MB failed and its bytes were taken back.
	task.Sent -= 2_000_000
	task.State = transfer.Retrying
	task.RetryAt = c.t.Add(12 * time.Second)
	b := p.update([]transfer.TaskSnapshot{task})
	s := p.stats(task)
	if s.Speed < 0 || b.Sent != 2_000_000 {
		t.Fatalf("after the step back: speed %.0f, batch sent %d", s.Speed, b.Sent)
	}
	if s.RetryIn != 12*time.Second {
		t.Fatalf("retry in %s, want 12s", s.RetryIn)
	}
	c.add(5 * time.Second)
	p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); s.RetryIn != 7*time.Second || s.Speed != 0 || s.Stalled {
		t.Fatalf("waiting to retry: %+v (a retry wait is not a stall, and nothing moves)", s)
	}
}

func TestBatchIsEverythingSinceIdle(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	mk := func(id int, st transfer.State, size, sent int64) transfer.TaskSnapshot {
		return transfer.TaskSnapshot{ID: transfer.TaskID(id), State: st, Size: size, Sent: sent}
	}
	// First batch: two files, one fails.
	b := p.update([]transfer.TaskSnapshot{mk(1, transfer.Uploading, 100, 50), mk(2, transfer.Queued, 100, 0)})
	if b.Files != 2 || b.Bytes != 200 || b.Sent != 50 || !b.Running {
		t.Fatalf("first batch %+v", b)
	}
	b = p.update([]transfer.TaskSnapshot{mk(1, transfer.Done, 100, 100), mk(2, transfer.Failed, 100, 60)})
	if b.Files != 2 || b.Finished != 1 || b.Failed != 1 || b.Running {
		t.Fatalf("first batch ended %+v", b)
	}
	if f := b.Fraction(); f != 0.5 {
		t.Fatalf("a failed file counted as done: fraction %v, want 0.5", f)
	}
	// The queue was idle; a new drop is a new batch of its own.
	tasks := []transfer.TaskSnapshot{mk(1, transfer.Done, 100, 100), mk(2, transfer.Failed, 100, 60),
		mk(3, transfer.Queued, 1000, 0), mk(4, transfer.Queued, 1000, 0)}
	b = p.update(tasks)
	if b.Files != 2 || b.Bytes != 2000 || b.Finished != 0 || b.Failed != 0 {
		t.Fatalf("second batch mixes the first: %+v", b)
	}
	// Files added and retried while it runs join it.
	tasks[1].State = transfer.Queued
	tasks = append(tasks, mk(5, transfer.Queued, 10, 0))
	b = p.update(tasks)
	if b.Files != 4 {
		t.Fatalf("joined batch %+v, want 4 files", b)
	}
	// A canceled file leaves the batch; the rest finishing completes it.
	for i := range tasks[1:] {
		tasks[i+1].State = transfer.Done
	}
	tasks[4].State = transfer.Canceled
	b = p.update(tasks)
	if b.Files != 3 || b.Finished != 3 || b.Fraction() != 1 || b.Running {
		t.Fatalf("finished batch %+v fraction %v", b, b.Fraction())
	}
}

// Small files can be queued and finish between two updates: they still
// count in their batch, and so does a whole batch that did.
func TestBatchCountsFilesNeverSeenRunning(t *testing.T) {
	p := newTracker(newFakeClock().now)
	mk := func(id int, st transfer.State, size int64) transfer.TaskSnapshot {
		return transfer.TaskSnapshot{ID: transfer.TaskID(id), State: st, Size: size}
	}
	p.update(nil) // the window opened with nothing queued
	b := p.update([]transfer.TaskSnapshot{mk(1, transfer.Uploading, 100)})
	if b.Files != 1 {
		t.Fatalf("first update %+v", b)
	}
	b = p.update([]transfer.TaskSnapshot{mk(1, transfer.Done, 100), mk(2, transfer.Done, 50), mk(3, transfer.Skipped, 20)})
	if b.Files != 3 || b.Finished != 3 || b.Bytes != 170 || b.Fraction() != 1 || b.Running {
		t.Fatalf("files that finished between updates left out: %+v", b)
	}
	// Idle; then a batch that was queued and done between two updates.
	tasks := []transfer.TaskSnapshot{mk(1, transfer.Done, 100), mk(2, transfer.Done, 50), mk(3, transfer.Skipped, 20),
		mk(4, transfer.Done, 7), mk(5, transfer.Failed, 9)}
	b = p.update(tasks)
	if b.Files != 2 || b.Finished != 1 || b.Failed != 1 || b.Bytes != 16 || b.Running {
		t.Fatalf("a batch done between updates: %+v", b)
	}
	// Nothing new: the last batch stays as it was.
	if b2 := p.update(tasks); b2.Files != 2 || b2.Finished != 1 {
		t.Fatalf("the same snapshot again: %+v", b2)
	}
}

func TestMetersAreDroppedWithTheirTasks(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	p.update([]transfer.TaskSnapshot{up(1, 10, 0), up(2, 10, 0)})
	done := up(1, 10, 10)
	done.State = transfer.Done
	p.update([]transfer.TaskSnapshot{done, up(2, 10, 5)})
	if len(p.meters) != 1 || p.meters[2] == nil {
		t.Fatalf("meters kept for %d tasks, want only the running one", len(p.meters))
	}
}

func TestETAIsNeverAFantasy(t *testing.T) {
	if d := etaFor(1<<40, liveStats{Speed: 294}); d != 0 {
		t.Fatalf("1 TiB at 294 B/s: ETA %s, want none", d)
	}
	if d := etaFor(1000, liveStats{Speed: 100, Stalled: true}); d != 0 {
		t.Fatalf("stalled: ETA %s", d)
	}
	if d := etaFor(1000, liveStats{Speed: 100}); d != 10*time.Second {
		t.Fatalf("ETA %s, want 10s", d)
	}
}

// BenchmarkTrackerTick20000 is the window's own work per refresh for 20,000
// rows, 3 of them uploading: merging the changes (the three moving tasks),
// the batch sums, the meters and the view.
func BenchmarkTrackerTick20000(b *testing.B) {
	tasks := make([]transfer.TaskSnapshot, 20000)
	for i := range tasks {
		tasks[i] = transfer.TaskSnapshot{ID: transfer.TaskID(i + 1), Size: 1000, State: transfer.Queued, Version: 1}
	}
	for i := 0; i < 3; i++ {
		tasks[i].State = transfer.Uploading
	}
	c := newFakeClock()
	p := newTracker(c.now)
	p.update(tasks)
	v := newRowView()
	var cur transfer.Cursor
	var chg transfer.Changes
	cur.Diff(tasks, &chg, 0)
	b.ResetTimer()
	defer cpuPerOp(b)()
	for i := 0; i < b.N; i++ {
		c.add(150 * time.Millisecond)
		tasks[0].Sent += 100
		cur.Diff(tasks, &chg, 0)
		rows := p.m.apply(&chg)
		p.progressTracker.update(&p.m, chg.Tasks, rows)
		v.build(&p.m)
	}
}

// TestWaitingForTheUserIsNotAStall: while the exists question is on screen
// the row and the overall bar say so instead of "stalled", the stall clock
// starts again only when the answer is given, and the time the question
// waited is not part of the row's "in 8s".
func TestWaitingForTheUserIsNotAStall(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	task := up(1, 1000, 0)
	task.StartedAt = c.now()
	p.update([]transfer.TaskSnapshot{task})
	c.add(2 * time.Second)
	p.waits.begin(task.ID, c.now())
	c.add(30 * time.Second)
	b := p.update([]transfer.TaskSnapshot{task})
	s := p.stats(task)
	if s.Stalled || !s.Asking || b.Stats.Stalled || !b.Stats.Asking {
		t.Fatalf("30 s into the question: row %+v, batch %+v", s, b.Stats)
	}
	if got := statusText(task, s); !strings.Contains(got, "waiting for your answer") || strings.Contains(got, "stalled") {
		t.Fatalf("row says %q while the question waits", got)
	}
	if got := batchText(b); !strings.Contains(got, "waiting for your answer") || strings.Contains(got, "stalled") {
		t.Fatalf("overall bar says %q while the question waits", got)
	}
	if stateColor(task, s) != colorWarn {
		t.Fatal("a row waiting for the user does not stand out")
	}

	// Answered: the stall clock starts now, not when the question went up.
	p.waits.end(task.ID, c.now())
	c.add(stallAfter - time.Second)
	b = p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); s.Stalled || s.Asking || b.Stats.Stalled || b.Stats.Asking {
		t.Fatalf("%s after the answer: row %+v, batch %+v", stallAfter-time.Second, s, b.Stats)
	}
	c.add(2 * time.Second)
	b = p.update([]transfer.TaskSnapshot{task})
	if s := p.stats(task); !s.Stalled || !b.Stats.Stalled || !strings.Contains(batchText(b), "stalled") {
		t.Fatalf("%s after the answer with nothing sent: row %+v, batch %+v", stallAfter+time.Second, s, b.Stats)
	}

	// Done 8 s of work after it started, besides the 30 s question.
	task.State, task.Sent, task.Done = transfer.Done, 1000, 1000
	task.EndedAt = task.StartedAt.Add(38 * time.Second)
	p.update([]transfer.TaskSnapshot{task})
	s = p.stats(task)
	if s.AskWait != 30*time.Second {
		t.Fatalf("question's wait %s, want 30s", s.AskWait)
	}
	if got := statusText(task, s); got != "Done · 1.0 kB · in 8s" {
		t.Fatalf("done row says %q", got)
	}
	// A retried task starts again: its earlier question is not its time.
	task.StartedAt = task.EndedAt
	task.EndedAt = task.StartedAt.Add(5 * time.Second)
	if s := p.stats(task); s.AskWait != 0 || statusText(task, s) != "Done · 1.0 kB · in 5s" {
		t.Fatalf("retried run: %+v %q", s, statusText(task, s))
	}
}

// TestFilesNotSizedYet: a large drop lists its files before their sizes are
// read. Until then the bar counts them apart from the bytes, says so instead
// of a time left, goes by files, and their rows show no size; as the sizes
// come, the sums take them in.
func TestFilesNotSizedYet(t *testing.T) {
	c := newFakeClock()
	p := newTracker(c.now)
	running := up(1, 1000, 500)
	a := transfer.TaskSnapshot{ID: 2, Size: -1, State: transfer.Queued}
	b := transfer.TaskSnapshot{ID: 3, Size: -1, State: transfer.Queued}
	bt := p.update([]transfer.TaskSnapshot{running, a, b})
	if bt.Files != 3 || bt.Bytes != 1000 || bt.Sizing != 2 {
		t.Fatalf("batch %+v", bt)
	}
	if got := batchText(bt); !strings.Contains(got, "reading the size of 2 files") || strings.Contains(got, "left") {
		t.Fatalf("overall bar says %q", got)
	}
	// The two unsized files count at the mean size of the one sized: 500 of
	// about 3,000 bytes sent.
	if f := bt.Fraction(); f < 0.166 || f > 0.167 {
		t.Fatalf("fraction %v, want 500/3000 while two sizes are unknown", f)
	}
	if got := statusText(a, liveStats{}); got != "Queued" {
		t.Fatalf("row of an unsized file says %q", got)
	}
	a.Size, a.Version = 3000, a.Version+1
	b.Size, b.Version = 2000, b.Version+1
	bt = p.update([]transfer.TaskSnapshot{running, a, b})
	if bt.Files != 3 || bt.Bytes != 6000 || bt.Sizing != 0 || strings.Contains(batchText(bt), "reading the size") {
		t.Fatalf("batch %+v: %q", bt, batchText(bt))
	}
	if got := statusText(a, liveStats{}); got != "Queued · 2.9 kB" && got != "Queued · 3.0 kB" {
		t.Fatalf("row of a sized file says %q", got)
	}
}
