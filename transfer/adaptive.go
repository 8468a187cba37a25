package transfer

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Files below the multipart threshold go up in one request each. When files are
// small the time goes on round trips, not bytes, so a fixed handful in flight
// leaves a long link idle: 3 requests of 64 KiB over a 40 ms round trip move
// 5 MB/s on a link that carries 25. The adaptive window decides how many such
// requests run at once. It starts small, doubles every round trip while replies
// come back as fast as before (slow start), then grows by one per round trip
// (additive increase), and cuts back on the signals OSS and the path give:
//   - 429 or 503 replies, and any reply carrying x-oss-qos-delay-time (OSS held
//     the request back for bandwidth control): halve, and do not grow again
//     until the delay OSS named has passed;
//   - replies slowing down (latency well above the lowest seen recently, i.e. a
//     queue is building somewhere): shrink by a tenth.
//
// At most one cut per round trip, so a burst of refusals from one overload
// halves the window once rather than sixty times. Independently of the window,
// the bytes of the files in flight stay within a budget, so a run of files
// just below the threshold does not put hundreds of megabytes on the wire at once.
// Files sent in parts keep their own limits (Options.Jobs, TaskNum).

const (
	// smallMaxInFlight caps one-request uploads in flight: beyond this a
	// single client gains little on any real link and looks like abuse to a server.
	smallMaxInFlight = 64
	// smallStartInFlight is the window before anything is known about the link.
	smallStartInFlight = 8
	// smallLatencyFloor is as low as slowing replies alone push the window;
	// only throttling replies go lower.
	smallLatencyFloor = 4
	// smallBytesInFlight is the budget of file bytes in flight across
	// one-request uploads (one file is always allowed, whatever its size).
	smallBytesInFlight = 32 << 20
	// latencyTolerance is how far above its recent low the smoothed latency
	// may climb before the window shrinks.
	latencyTolerance = 2.0
	// lowMemory is how long the lowest latency seen is remembered: a path
	// whose round trip grew for good is learnt again over about this time.
	lowMemory = 10 * time.Second
	// latencySampleMax is the largest file whose reply time is read as a
	// latency sample: for bigger ones the bytes, not the round trip, dominate.
	latencySampleMax = 256 << 10
	// qosHeader is the header OSS sets when bandwidth control delayed a
	// request: the delay in milliseconds.
	qosHeader = "x-oss-qos-delay-time"
)

// congestion is what one reply said about the load.
type congestion int

const (
	congNone     congestion = iota // served normally
	congThrottle                   // 429/503 or x-oss-qos-delay-time
	congOther                      // failed for another reason: no latency sample
)

// window is the adaptive limit of one-request uploads in flight. It is
// safe for concurrent use; it never blocks and never calls out.
type window struct {
	now func() time.Time

	mu                sync.Mutex
	limit             float64 // current window, smallLatencyFloor or 1..smallMaxInFlight
	slowStart         bool
	low               time.Duration // lowest latency lately (drifts up slowly)
	smooth            time.Duration // smoothed latency of recent replies
	lastSample        time.Time
	noCutTill         time.Time // at most one cut per round trip
	noThrottleCutTill time.Time // … and one throttle cut, even right after a latency cut
	noGrowTil         time.Time // OSS asked to slow down until then
	cuts              int       // throttle cuts so far, for tests and logs
}

func newWindow(now func() time.Time) *window {
	if now == nil {
		now = time.Now
	}
	return &window{now: now, limit: smallStartInFlight, slowStart: true}
}

// Limit is how many one-request uploads may be in flight now.
func (w *window) Limit() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int(w.limit)
}

// observe feeds one finished request of size bytes: how long it took from the
// first byte sent to the reply, and what the reply said. qosDelay is the delay
// OSS reported (0 when none).
func (w *window) observe(size int64, took time.Duration, c congestion, qosDelay time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.now()
	if c == congThrottle {
		if !now.Before(w.noThrottleCutTill) {
			w.limit = max(1, w.limit/2)
			w.slowStart = false
			w.cuts++
			w.noThrottleCutTill = now.Add(max(w.smooth, took))
			w.noCutTill = w.noThrottleCutTill
		}
		if t := now.Add(qosDelay); t.After(w.noGrowTil) {
			w.noGrowTil = t
		}
		return
	}
	if c != congNone {
		return
	}
	if size <= latencySampleMax && took > 0 && w.slower(now, took) {
		return
	}
	if now.Before(w.noGrowTil) {
		return
	}
	// One more per reply doubles the window each round trip; one more per
	// window's worth of replies adds one per round trip.
	if w.slowStart {
		w.limit++
	} else {
		w.limit += 1 / w.limit
	}
	w.limit = min(w.limit, smallMaxInFlight)
}

// slower takes a latency sample and reports whether replies have slowed
// enough to shrink the window (which it then did, at most once a round trip).
func (w *window) slower(now time.Time, took time.Duration) bool {
	// The low mark follows a faster reply at once and a lasting change of path
	// slowly, over lowMemory of time: replies counted instead would let a wide
	// window forget its low mark within a round trip or two.
	if w.low == 0 || took < w.low {
		w.low = took
	} else if dt := now.Sub(w.lastSample); dt > 0 {
		w.low += time.Duration(float64(took-w.low) * min(1, float64(dt)/float64(lowMemory)))
	}
	w.lastSample = now
	if w.smooth == 0 {
		w.smooth = took
	} else {
		w.smooth += (took - w.smooth) / 8
	}
	if float64(w.smooth) <= latencyTolerance*float64(w.low) {
		return false
	}
	if w.limit > smallLatencyFloor && !now.Before(w.noCutTill) {
		w.limit = max(smallLatencyFloor, w.limit*0.9)
		w.slowStart = false
		w.noCutTill = now.Add(w.smooth)
	}
	return true
}

// congestionOf reads one reply (its headers, possibly nil, and its error) as a
// load signal and the delay OSS asked for.
func congestionOf(hdr http.Header, err error) (congestion, time.Duration) {
	var delay time.Duration
	if v := hdr.Get(qosHeader); v != "" {
		if ms, perr := strconv.ParseInt(v, 10, 64); perr == nil && ms > 0 {
			delay = time.Duration(min(ms, 60_000)) * time.Millisecond
		}
	}
	var se oss.ServiceError
	switch {
	case errors.As(err, &se) && (se.StatusCode == http.StatusTooManyRequests || se.StatusCode == http.StatusServiceUnavailable):
		return congThrottle, delay
	case delay > 0:
		return congThrottle, delay
	case err != nil:
		return congOther, 0
	}
	return congNone, 0
}
