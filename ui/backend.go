package ui

import (
	"context"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
	"github.com/ossdrop/ossdrop/transfer"
)

// Backend is the part of *transfer.Manager the window uses. The window only
// reads changes and snapshots and asks for actions, so any engine with these
// methods can drive it.
type Backend interface {
	// Add queues files and folders; it returns at once and walks folders on
	// its own goroutine.
	Add(paths []string, prefix string)
	// Changes reports the tasks added, changed or removed since cur last
	// looked (see transfer.Manager.Changes); Task reads one task, for the
	// rows on screen and dialogs.
	Changes(cur *transfer.Cursor, c *transfer.Changes, limit int)
	Task(id transfer.TaskID) (transfer.TaskSnapshot, bool)
	Totals() transfer.Totals
	Changed() <-chan struct{}

	Pause(id transfer.TaskID) error
	Resume(id transfer.TaskID) error
	Cancel(id transfer.TaskID) error
	Retry(id transfer.TaskID) error
	Remove(id transfer.TaskID) error
	PauseAll()
	ResumeAll()
	RetryFailed()
	ClearFinished()

	ObjectURL(id transfer.TaskID, expires time.Duration) (string, error)
	SetTarget(t transfer.Target)
	SetOptions(o transfer.Options) error
	SetCredentials(p oss.CredentialsProvider)

	ResumeUnfinished(items []transfer.Unfinished)
	DiscardUnfinished(ctx context.Context, items []transfer.Unfinished) error
	Orphans(ctx context.Context) ([]transfer.Orphan, error)
	AbortOrphans(ctx context.Context, o []transfer.Orphan) error
}

var _ Backend = (*transfer.Manager)(nil)
