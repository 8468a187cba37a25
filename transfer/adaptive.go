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
// More in flight than the path holds only queues: where the server answers in
// a fraction of a millisecond (the same machine, a fast LAN) a wide window buys
// nothing but wake-ups, context switches and contention for the CPU it shares
// with the server. So the window also stays within bdpGain times what the
// path holds as measured: the highest rate of replies lately times the lowest
// latency (requests/s × s = requests), as BBR bounds its congestion window.
// While the window is what limits the rate, the rate and with it that bound
// grow with the window, so growth on a long link is not slowed; once more
// requests no longer bring more replies per second, the bound stops rising.
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
	// smallStartInFlight is the window before anything is known about the
	// link. Small, so the first replies show the latency of a path without a
	// queue (the lowest latency, which bounds the window with the reply rate);
	// slow start doubles it every round trip from there.
	smallStartInFlight = 2
	// smallLatencyFloor is as low as slowing replies, or a path that holds
	// little, push the window; only throttling replies go lower.
	smallLatencyFloor = 4
	// bdpGain is how many times what the path holds (best reply rate × lowest
	// latency) may be in flight: room for jitter in both estimates.
	bdpGain = 2
	// rateEpochs is how many measuring periods (each about a round trip) the
	// best reply rate is remembered: a path that got slower is learnt again
	// after this many.
	rateEpochs = 10
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

	// The reply rate, measured over periods of at least a round trip and
	// a window's worth of replies, the last rateEpochs of them kept.
	epochStart   time.Time
	epochReplies int
	epochLimit   int                 // the window when the period began
	rates        [rateEpochs]float64 // replies per second, a ring
	nrates       int                 // periods measured so far
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
	if size <= latencySampleMax && took > 0 {
		w.countReply(now)
		if w.slower(now, took) {
			return
		}
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
	if !w.slowStart {
		w.limit = w.bounded(w.limit)
	}
}

// bounded is limit held to what the path holds (pathBound), but not pushed
// below smallLatencyFloor by it.
func (w *window) bounded(limit float64) float64 {
	if b := w.pathBound(); limit > b {
		return max(b, min(limit, smallLatencyFloor))
	}
	return limit
}

// countReply counts one served reply of a small file (where the round trip,
// not the bytes, sets the time) towards the reply rate; a period ends
// after at least a round trip (the smoothed latency) and as many replies as
// the window held when it began, so one period sees the window turn over.
func (w *window) countReply(now time.Time) {
	if w.epochStart.IsZero() {
		w.epochStart, w.epochLimit = now, int(w.limit)
		return
	}
	w.epochReplies++
	dt := now.Sub(w.epochStart)
	if dt <= 0 || dt < w.smooth || w.epochReplies < w.epochLimit {
		return
	}
	rate := float64(w.epochReplies) / dt.Seconds()
	w.rates[w.nrates%rateEpochs] = rate
	w.nrates++
	// In slow start the window doubles within a period, so the rate lags
	// the window; judge the window the period began with. Had it more than
	// bdpGain times what it delivered in flight, the path is full: leave
	// slow start, back to what it holds.
	if w.slowStart && float64(w.epochLimit) > bdpGain*rate*w.low.Seconds() {
		w.slowStart = false
		w.limit = w.bounded(w.limit)
	}
	w.epochStart, w.epochReplies, w.epochLimit = now, 0, int(w.limit)
}

// pathBound is the most requests worth having in flight: bdpGain times the
// best recent reply rate times the lowest latency. Before anything is
// measured there is no bound (smallMaxInFlight).
func (w *window) pathBound() float64 {
	if w.nrates == 0 || w.low == 0 {
		return smallMaxInFlight
	}
	best := 0.0
	for _, r := range w.rates[:min(w.nrates, rateEpochs)] {
		best = max(best, r)
	}
	return bdpGain * best * w.low.Seconds()
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
		// The reply just in took as long as a round trip is now; the
		// smoothed latency still lags behind it.
		w.noCutTill = now.Add(max(w.smooth, took))
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
