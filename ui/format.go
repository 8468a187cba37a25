package ui

import (
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/ossdrop/ossdrop/transfer"
)

// size renders a byte count the way file managers do ("4.2 MB").
func size(n int64) string {
	if n < 0 {
		n = 0
	}
	return humanize.Bytes(uint64(n))
}

// rate renders bytes per second; zero or unknown speeds render empty so a row
// never shows a misleading "0 B/s" between samples.
func rate(bps float64) string {
	if bps < 1 {
		return ""
	}
	return humanize.Bytes(uint64(bps)) + "/s"
}

// eta renders a remaining duration compactly: "8s", "2m 05s", "1h 02m".
func eta(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	d = d.Round(time.Second)
	if d < time.Second {
		d = time.Second
	}
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	switch {
	case h > 99:
		return fmt.Sprintf("%dd %02dh", h/24, h%24)
	case h > 0:
		return fmt.Sprintf("%dh %02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, s)
	default:
		return fmt.Sprintf("%ds", s)
	}
}

// elapsed renders how long a finished upload took; empty when unknown.
func elapsed(t transfer.TaskSnapshot) string {
	if t.StartedAt.IsZero() || t.EndedAt.IsZero() || !t.EndedAt.After(t.StartedAt) {
		return ""
	}
	d := t.EndedAt.Sub(t.StartedAt)
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return eta(d)
}

// join puts the non-empty parts together with a middle dot.
func join(parts ...string) string {
	out := parts[:0:0]
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " · ")
}

// progressText is "1.2 MB of 4.0 MB", or just the size when nothing is done.
func progressText(t transfer.TaskSnapshot) string {
	if t.Done <= 0 {
		return size(t.Size)
	}
	return size(t.Done) + " of " + size(t.Size)
}

// reason is the short human explanation carried by a task's error.
func reason(e *transfer.TaskError) string {
	if e == nil {
		return ""
	}
	msg := e.Message
	if msg == "" && e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return msg
}

// statusText is the second line of a row: what the task is doing, or why it
// stopped, with the figures that matter in that state.
func statusText(t transfer.TaskSnapshot) string {
	var s string
	switch t.State {
	case transfer.Queued:
		s = join("Queued", size(t.Size), resumedText(t))
	case transfer.Uploading:
		left := ""
		if e := eta(t.ETA); e != "" {
			left = e + " left"
		}
		s = join(progressText(t), rate(t.Speed), left)
	case transfer.Retrying:
		s = join("Retrying: "+orUnknown(reason(t.Err)), progressText(t))
	case transfer.Completing:
		s = join("Completing upload", size(t.Size))
	case transfer.Verifying:
		s = join("Verifying CRC-64", size(t.Size))
	case transfer.Done:
		took := elapsed(t)
		if took != "" {
			took = "in " + took
		}
		s = join("Done", size(t.Size), took, resumedText(t))
	case transfer.Failed:
		s = "Failed: " + orUnknown(reason(t.Err))
	case transfer.Paused:
		s = join("Paused", progressText(t), pauseReason(t))
	case transfer.Canceled:
		s = "Canceled"
	case transfer.Skipped:
		s = "Skipped"
		if t.Note == "" {
			s += ": the object already exists"
		}
	default:
		s = t.State.String()
	}
	if t.Note != "" {
		s = join(s, t.Note)
	}
	return s
}

// pauseReason explains a pause the user did not ask for (expired
// credentials: OSS answered with a code). A user's own pause cancels requests
// in flight, and the resulting local error is no reason to show.
func pauseReason(t transfer.TaskSnapshot) string {
	if t.Err == nil || t.Err.Code == "" {
		return ""
	}
	return reason(t.Err)
}

func resumedText(t transfer.TaskSnapshot) string {
	if t.Resumed {
		return "resumed"
	}
	return ""
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown error"
	}
	return s
}

// fraction is how far a task has come, 0..1; finished-and-done tasks are full
// even when the file was empty.
func fraction(t transfer.TaskSnapshot) float64 {
	if t.State == transfer.Done || t.State == transfer.Skipped {
		return 1
	}
	if t.Size <= 0 {
		return 0
	}
	f := float64(t.Done) / float64(t.Size)
	return min(max(f, 0), 1)
}

// displayName is the file's base name, falling back to the key's last part.
func displayName(t transfer.TaskSnapshot) string {
	if t.Path != "" {
		return filepath.Base(t.Path)
	}
	return path.Base(t.Key)
}

// destination is "bucket/key", what users see as the object's address.
func destination(bucket, key string) string {
	if bucket == "" {
		return key
	}
	return bucket + "/" + key
}

// totalsText summarises the whole queue for the overall bar.
func totalsText(t transfer.Totals) string {
	if t.Files == 0 {
		return "No uploads yet"
	}
	finished := t.Done + t.Skipped
	files := fmt.Sprintf("%d of %d files", finished, t.Files)
	if t.Files == 1 {
		files = fmt.Sprintf("%d of 1 file", finished)
	}
	bytes := size(t.BytesDone) + " of " + size(t.Bytes)
	var left string
	if t.Active > 0 {
		if e := eta(t.ETA); e != "" {
			left = e + " left"
		}
	}
	var failed string
	if t.Failed > 0 {
		failed = fmt.Sprintf("%d failed", t.Failed)
	}
	var paused string
	if t.Paused > 0 {
		paused = fmt.Sprintf("%d paused", t.Paused)
	}
	var speed string
	if t.Active > 0 {
		speed = rate(t.Speed)
	}
	return join(files, bytes, speed, left, failed, paused)
}
