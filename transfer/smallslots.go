package transfer

import (
	"log/slog"
	"time"
)

// smallSlots is the scheduler's account of one-request uploads (files below the
// multipart threshold): how many run, how many bytes they carry, and the
// adaptive window that says how many may (see adaptive.go). Files sent in
// parts are limited by Options.Jobs as before. Guarded by Manager.mu.
type smallSlots struct {
	win    *window
	active int   // running one-request uploads
	bytes  int64 // their file sizes, summed
}

func newSmallSlots() smallSlots { return smallSlots{win: newWindow(time.Now)} }

// multipartThreshold is the size from which a file goes up in parts.
func multipartThreshold(o Options) int64 {
	if o.MultipartThreshold > 0 {
		return o.MultipartThreshold
	}
	return o.PartSize
}

// isSmall says t will most likely go up in one request: below the threshold
// and with no parts sent yet (a resumed multipart upload is not small). A
// file whose size is not read yet is not counted as small: it may be large.
func (s *smallSlots) isSmall(t *task, o Options) bool {
	return t.size != unsized && t.size < multipartThreshold(o) && t.doneBytes() == 0
}

// mayStart says whether t may start now, with active tasks running in all.
func (s *smallSlots) mayStart(t *task, small bool, active int, o Options) bool {
	if !small {
		return active-s.active < o.Jobs
	}
	if s.active >= s.win.Limit() {
		return false
	}
	return s.active == 0 || s.bytes+t.size <= smallBytesInFlight
}

// start counts t (whose running state exists) as a running one-request upload.
func (s *smallSlots) start(t *task) {
	t.rt.small = max(t.size, 1)
	s.active++
	s.bytes += t.rt.small
}

// end uncounts t when its worker finishes.
func (s *smallSlots) end(t *task) {
	if t.rt == nil || t.rt.small == 0 {
		return
	}
	s.active--
	s.bytes -= t.rt.small
	t.rt.small = 0
}

// uploadedLogLevel is the level of the log line for a finished upload: debug
// for a file sent in one request, info for one sent in parts.
func uploadedLogLevel(size int64, o Options) slog.Level {
	if size < multipartThreshold(o) {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}
