package ui

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// viewBackend serves fixed snapshots so view tests can show states a real
// upload passes through too quickly to photograph (retrying, verifying…).
// Behaviour is tested against the real Manager; this only feeds pictures.
type viewBackend struct {
	mu      sync.Mutex
	tasks   []transfer.TaskSnapshot
	calls   []string
	added   [][]string
	changed chan struct{}
	target  transfer.Target
	feed    feed
}

// feed turns whole task lists, as tests write them, into changes. Tests
// change snapshots in place without bumping Version, so it numbers each
// task's content itself and reports what differs.
type feed struct {
	seen map[transfer.TaskID]transfer.TaskSnapshot
	rev  map[transfer.TaskID]uint64
	cur  transfer.Cursor
	chg  transfer.Changes
}

// versioned is tasks with each Version replaced by the content's number.
func (f *feed) versioned(tasks []transfer.TaskSnapshot) []transfer.TaskSnapshot {
	if f.seen == nil {
		f.seen, f.rev = map[transfer.TaskID]transfer.TaskSnapshot{}, map[transfer.TaskID]uint64{}
	}
	all := make([]transfer.TaskSnapshot, len(tasks))
	for i, t := range tasks {
		if prev, ok := f.seen[t.ID]; !ok || prev != t {
			f.rev[t.ID]++
			f.seen[t.ID] = t
		}
		all[i] = t
		all[i].Version = f.rev[t.ID]
	}
	return all
}

// diff is what changed in tasks since the last call.
func (f *feed) diff(tasks []transfer.TaskSnapshot) *transfer.Changes {
	f.cur.Diff(f.versioned(tasks), &f.chg, 0)
	return &f.chg
}

func newViewBackend(tasks ...transfer.TaskSnapshot) *viewBackend {
	return &viewBackend{tasks: tasks, changed: make(chan struct{}, 1)}
}

func (b *viewBackend) record(s string) {
	b.mu.Lock()
	b.calls = append(b.calls, s)
	b.mu.Unlock()
}

func (b *viewBackend) Add(paths []string, prefix string) {
	b.mu.Lock()
	b.added = append(b.added, append([]string{prefix}, paths...))
	b.mu.Unlock()
}

func (b *viewBackend) AddSkippingHidden(paths []string, prefix string) {
	b.mu.Lock()
	b.added = append(b.added, append([]string{"skip-hidden " + prefix}, paths...))
	b.mu.Unlock()
}

func (b *viewBackend) Snapshot(dst []transfer.TaskSnapshot) []transfer.TaskSnapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append(dst[:0], b.tasks...)
}

func (b *viewBackend) Changes(cur *transfer.Cursor, c *transfer.Changes, limit int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur.Diff(b.feed.versioned(b.tasks), c, limit)
}

func (b *viewBackend) Task(id transfer.TaskID) (transfer.TaskSnapshot, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, t := range b.tasks {
		if t.ID == id {
			if r, ok := b.feed.rev[id]; ok {
				t.Version = r
			}
			return t, true
		}
	}
	return transfer.TaskSnapshot{}, false
}

// tasks are the snapshots of the rows the list shows, in order.
func (l *taskList) tasks() []transfer.TaskSnapshot {
	out := make([]transfer.TaskSnapshot, 0, l.count())
	for i, n := 0, l.count(); i < n; i++ {
		t, _ := l.snapshot(l.idAt(i))
		out = append(out, t)
	}
	return out
}

func (b *viewBackend) Totals() transfer.Totals {
	b.mu.Lock()
	defer b.mu.Unlock()
	var t transfer.Totals
	for _, s := range b.tasks {
		t.Files++
		t.Bytes += s.Size
		t.BytesDone += s.Done
		switch {
		case s.State == transfer.Done:
			t.Done++
		case s.State == transfer.Failed:
			t.Failed++
		case s.State == transfer.Skipped:
			t.Skipped++
		case s.State == transfer.Canceled:
			t.Canceled++
		case s.State == transfer.Paused:
			t.Paused++
		case s.State == transfer.Queued:
			t.Queued++
		case s.State.Active():
			t.Active++
			t.Speed += s.Speed
		}
	}
	return t
}

func (b *viewBackend) Changed() <-chan struct{} { return b.changed }

func (b *viewBackend) Pause(id transfer.TaskID) error { b.record(fmt.Sprint("pause ", id)); return nil }
func (b *viewBackend) Resume(id transfer.TaskID) error {
	b.record(fmt.Sprint("resume ", id))
	return nil
}
func (b *viewBackend) Cancel(id transfer.TaskID) error {
	b.record(fmt.Sprint("cancel ", id))
	return nil
}
func (b *viewBackend) Retry(id transfer.TaskID) error { b.record(fmt.Sprint("retry ", id)); return nil }
func (b *viewBackend) Remove(id transfer.TaskID) error {
	b.record(fmt.Sprint("remove ", id))
	return nil
}
func (b *viewBackend) PauseAll()      { b.record("pause all") }
func (b *viewBackend) ResumeAll()     { b.record("resume all") }
func (b *viewBackend) RetryFailed()   { b.record("retry failed") }
func (b *viewBackend) ClearFinished() { b.record("clear finished") }
func (b *viewBackend) ObjectURL(id transfer.TaskID, expires time.Duration) (string, error) {
	return fmt.Sprintf("http://example.invalid/%d?expires=%s", id, expires), nil
}
func (b *viewBackend) SetTarget(t transfer.Target)       { b.target = t }
func (b *viewBackend) SetOptions(transfer.Options) error { return nil }

// sampleTasks has one task in every state, with the details each state shows.
func sampleTasks() []transfer.TaskSnapshot {
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	mk := func(id int, name string, st transfer.State, size, done int64) transfer.TaskSnapshot {
		return transfer.TaskSnapshot{ID: transfer.TaskID(id), Path: "/home/ana/photos/" + name,
			Key: "trip/" + name, Bucket: "media", Size: size, Done: done, Sent: done, State: st, Version: 1}
	}
	// Parts in flight: more is on the wire (Sent) than acknowledged (Done).
	up := mk(2, "beach.mp4", transfer.Uploading, 734_003_200, 268_435_456)
	up.Sent = 301_989_888
	up.Speed = 12_500_000 // the engine's own figure; the window measures its own
	retry := mk(3, "notes.txt", transfer.Retrying, 48_000, 0)
	retry.Err = &transfer.TaskError{Op: "upload part 1", Message: "connection reset by server", Err: fmt.Errorf("read: connection reset")}
	done := mk(5, "sunset.jpg", transfer.Done, 4_200_000, 4_200_000)
	done.StartedAt, done.EndedAt = start, start.Add(3*time.Second)
	failed := mk(6, "secret.pdf", transfer.Failed, 90_000, 0)
	failed.Err = &transfer.TaskError{Op: "initiate", Message: "the AccessKey secret does not match", Code: "SignatureDoesNotMatch",
		RequestID: "5F1A2B3C4D5E6F7A8B9C0D1E", Status: 403}
	paused := mk(7, "album.zip", transfer.Paused, 2_000_000_000, 500_000_000)
	skipped := mk(9, "readme.md", transfer.Skipped, 1_000, 0)
	skipped.Note = "an identical object (same size and CRC64) already exists"
	skipped.NoteKinds = transfer.NotesOf(transfer.NoteIdenticalSkipped)
	return []transfer.TaskSnapshot{
		mk(1, "queued.png", transfer.Queued, 2_048, 0),
		up, retry,
		mk(4, "song.flac", transfer.Verifying, 30_000_000, 30_000_000),
		done, failed, paused,
		mk(8, "draft.docx", transfer.Canceled, 10_000, 2_000),
		skipped,
	}
}

func (b *viewBackend) SetCredentials(oss.CredentialsProvider) { b.record("set credentials") }
func (b *viewBackend) ResumeUnfinished(items []transfer.Unfinished) {
	b.record(fmt.Sprint("resume unfinished ", len(items)))
}
func (b *viewBackend) DiscardUnfinished(_ context.Context, items []transfer.Unfinished) error {
	b.record(fmt.Sprint("discard unfinished ", len(items)))
	return nil
}
func (b *viewBackend) Orphans(context.Context) ([]transfer.Orphan, error) { return nil, nil }
func (b *viewBackend) AbortOrphans(context.Context, []transfer.Orphan) error {
	b.record("abort orphans")
	return nil
}

// uiLoop stands in for the main loop in tests: work the window posts from
// its goroutines is queued and run by settle on the test's goroutine.
type uiLoop struct {
	mu sync.Mutex
	q  []func()
}

func useLoop(w *Window) {
	l := &uiLoop{}
	w.doFn = func(f func()) {
		l.mu.Lock()
		l.q = append(l.q, f)
		l.mu.Unlock()
	}
	loops.Store(w, l)
}

var loops sync.Map // *Window → *uiLoop

// loopOf is the loop useLoop gave w.
func loopOf(w *Window) *uiLoop {
	v, _ := loops.Load(w)
	return v.(*uiLoop)
}

// pop takes the oldest callback posted, nil when none is.
func (l *uiLoop) pop() func() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.q) == 0 {
		return nil
	}
	f := l.q[0]
	l.q = l.q[1:]
	return f
}

// settle waits for the window's background work and runs what it posted.
func settle(w *Window) {
	v, ok := loops.Load(w)
	for {
		w.bg.Wait()
		if !ok {
			return
		}
		l := v.(*uiLoop)
		l.mu.Lock()
		q := l.q
		l.q = nil
		l.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, f := range q {
			f()
		}
	}
}
