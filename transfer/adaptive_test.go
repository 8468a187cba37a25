package transfer

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newFakeWindow() (*window, *fakeClock) {
	c := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	return newWindow(c.now), c
}

// roundTrip feeds a window's worth of replies that each took rtt, as one round
// trip of a saturated window delivers them.
func roundTrip(w *window, c *fakeClock, rtt time.Duration, size int64) {
	n := w.Limit()
	c.add(rtt)
	for range n {
		w.observe(size, rtt, congNone, 0)
	}
}

func TestWindowSlowStartThenCap(t *testing.T) {
	w, c := newFakeWindow()
	if w.Limit() != smallStartInFlight {
		t.Fatalf("start %d, want %d", w.Limit(), smallStartInFlight)
	}
	roundTrip(w, c, 40*time.Millisecond, 64<<10)
	if got := w.Limit(); got != 2*smallStartInFlight {
		t.Fatalf("after one round trip of steady replies: %d, want %d (doubling)", got, 2*smallStartInFlight)
	}
	for range 10 {
		roundTrip(w, c, 40*time.Millisecond, 64<<10)
	}
	if got := w.Limit(); got != smallMaxInFlight {
		t.Fatalf("after many steady round trips: %d, want the cap %d", got, smallMaxInFlight)
	}
}

func TestWindowThrottleHalvesOncePerRoundTrip(t *testing.T) {
	w, c := newFakeWindow()
	for range 4 {
		roundTrip(w, c, 40*time.Millisecond, 4<<10)
	}
	before := w.Limit()
	// A whole window of refusals arrives within one round trip: one cut.
	for range before {
		w.observe(4<<10, 40*time.Millisecond, congThrottle, 0)
	}
	if got := w.Limit(); got != before/2 {
		t.Fatalf("after a burst of 503s: %d, want %d (halved once)", got, before/2)
	}
	// A refusal a round trip later cuts again.
	c.add(50 * time.Millisecond)
	w.observe(4<<10, 40*time.Millisecond, congThrottle, 0)
	if got := w.Limit(); got != before/4 {
		t.Fatalf("after a second overload: %d, want %d", got, before/4)
	}
	// Out of slow start: growth is about one per round trip.
	low := w.Limit()
	for range 4 {
		roundTrip(w, c, 40*time.Millisecond, 4<<10)
	}
	if got := w.Limit(); got < low+3 || got > low+4 {
		t.Fatalf("four round trips after the cuts: %d, want %d or %d", got, low+3, low+4)
	}
	// Never below one.
	for range 20 {
		c.add(time.Second)
		w.observe(4<<10, 40*time.Millisecond, congThrottle, 0)
	}
	if got := w.Limit(); got != 1 {
		t.Fatalf("after endless throttling: %d, want 1", got)
	}
	roundTrip(w, c, 40*time.Millisecond, 4<<10)
	if got := w.Limit(); got < 1 || got > 2 {
		t.Fatalf("recovering from 1: %d", got)
	}
}

func TestWindowQoSDelayHoldsGrowth(t *testing.T) {
	w, c := newFakeWindow()
	roundTrip(w, c, 40*time.Millisecond, 4<<10)
	start := w.Limit()
	// A reply that succeeded but was held 500 ms by bandwidth control.
	w.observe(4<<10, 540*time.Millisecond, congThrottle, 500*time.Millisecond)
	held := w.Limit()
	if held != start/2 {
		t.Fatalf("after x-oss-qos-delay-time: %d, want %d", held, start/2)
	}
	for range 5 {
		roundTrip(w, c, 40*time.Millisecond, 4<<10)
	}
	if got := w.Limit(); got != held {
		t.Fatalf("within the delay OSS asked for: %d, want it held at %d", got, held)
	}
	c.add(500 * time.Millisecond)
	roundTrip(w, c, 40*time.Millisecond, 4<<10)
	roundTrip(w, c, 40*time.Millisecond, 4<<10)
	if got := w.Limit(); got <= held {
		t.Fatalf("after the delay: %d, want growth above %d", got, held)
	}
}

func TestWindowRisingLatencyShrinks(t *testing.T) {
	w, c := newFakeWindow()
	for range 3 {
		roundTrip(w, c, 40*time.Millisecond, 64<<10)
	}
	top := w.Limit()
	// A queue builds: replies take four times as long. The window shrinks by a
	// tenth per round trip, not per reply, and not below the floor.
	var prev = top
	for i := range 15 {
		roundTrip(w, c, 160*time.Millisecond, 64<<10)
		got := w.Limit()
		if got > prev {
			t.Fatalf("round trip %d of slow replies: grew from %d to %d", i, prev, got)
		}
		if float64(got) < float64(prev)*0.85-1 {
			t.Fatalf("round trip %d: cut from %d to %d in one round trip", i, prev, got)
		}
		prev = got
	}
	if prev > top/2 || prev < smallLatencyFloor {
		t.Fatalf("after slow replies: %d (from %d), want at most half and at least %d", prev, top, smallLatencyFloor)
	}
	// A path that stays slow is learnt as the new normal within lowMemory:
	// the window grows again.
	for range int(2 * lowMemory / (160 * time.Millisecond)) {
		roundTrip(w, c, 160*time.Millisecond, 64<<10)
	}
	if got := w.Limit(); got <= prev {
		t.Fatalf("after %v of steady slow replies: %d, want growth above %d", 2*lowMemory, got, prev)
	}
	// Replies of big files say little about the round trip: no cut for them.
	w2, c2 := newFakeWindow()
	roundTrip(w2, c2, 40*time.Millisecond, 4<<10)
	before := w2.Limit()
	roundTrip(w2, c2, 2*time.Second, 4<<20)
	if got := w2.Limit(); got < before {
		t.Fatalf("slow replies for 4 MiB files shrank the window from %d to %d", before, got)
	}
}

func TestCongestionOf(t *testing.T) {
	hdr := http.Header{}
	hdr.Set(qosHeader, "250")
	for _, c := range []struct {
		name  string
		hdr   http.Header
		err   error
		want  congestion
		delay time.Duration
	}{
		{"ok", nil, nil, congNone, 0},
		{"ok, held", hdr, nil, congThrottle, 250 * time.Millisecond},
		{"503", nil, oss.ServiceError{StatusCode: 503, Code: "ServiceUnavailable"}, congThrottle, 0},
		{"429 held", hdr, oss.ServiceError{StatusCode: 429}, congThrottle, 250 * time.Millisecond},
		{"500", nil, oss.ServiceError{StatusCode: 500}, congOther, 0},
		{"network", nil, errors.New("connection reset"), congOther, 0},
		{"bad header", http.Header{"X-Oss-Qos-Delay-Time": {"soon"}}, nil, congNone, 0},
	} {
		got, d := congestionOf(c.hdr, c.err)
		if got != c.want || d != c.delay {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, d, c.want, c.delay)
		}
	}
}
