package transfer

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/ossemu"
)

// arrivals counts the requests a server is serving at once and records, for
// every PutObject in the order they arrive, how many were in flight then.
type arrivals struct {
	h        http.Handler
	cur      atomic.Int64
	mu       sync.Mutex
	inFlight []int64     // per PutObject arrival
	at       []time.Time // when each arrived
}

type arrivalKey struct{}

func (a *arrivals) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := a.cur.Add(1)
	defer a.cur.Add(-1)
	if r.Method == http.MethodPut && r.URL.RawQuery == "" {
		a.mu.Lock()
		i := len(a.inFlight)
		a.inFlight = append(a.inFlight, n)
		a.at = append(a.at, time.Now())
		a.mu.Unlock()
		r = r.WithContext(context.WithValue(r.Context(), arrivalKey{}, i))
	}
	a.h.ServeHTTP(w, r)
}

// arrivalIn matches the PutObjects that arrived as number from to to-1.
func arrivalIn(from, to int) func(*http.Request) bool {
	return func(r *http.Request) bool {
		i, ok := r.Context().Value(arrivalKey{}).(int)
		return ok && i >= from && i < to
	}
}

// peakIn is the most requests in flight seen by arrivals from from to to.
func (a *arrivals) peakIn(from, to time.Time) (peak int64, n int) {
	for i, t := range a.at {
		if !t.Before(from) && t.Before(to) {
			peak = max(peak, a.inFlight[i])
			n++
		}
	}
	return peak, n
}

// TestSmallFilesBackOffAndRecover drives many small files at a server whose
// replies take a round trip, then throttles a run of requests as OSS does (503
// with x-oss-qos-delay-time). Counted at the server: many requests run at once
// (not Jobs' three), the count drops after the throttling, grows again after
// it, and never exceeds 64.
func TestSmallFilesBackOffAndRecover(t *testing.T) {
	s := newServer(t, ossemu.Options{})
	const throttleFrom, throttleTo = 120, 150
	files := 800
	if raceEnabled {
		files = 200
	}
	s.Inject(ossemu.Fault{Match: ossemu.MatchAll(ossemu.MatchOp(ossemu.OpPutObject), arrivalIn(throttleFrom, throttleTo)),
		Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", QoSDelay: 100 * time.Millisecond})
	s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpPutObject), Delay: 100 * time.Millisecond}) // a round trip well above the machine's jitter
	count := &arrivals{h: s}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: count, ReadHeaderTimeout: time.Minute}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })

	dir := t.TempDir()
	for i := range files {
		writeFile(t, dir, fmt.Sprintf("f%04d.txt", i), []byte(fmt.Sprintf("file %d\n", i)))
	}
	tg := targetOf(s)
	tg.Endpoint = "http://" + ln.Addr().String()
	o := DefaultOptions()
	m, err := NewManager(Config{Target: tg, Options: o, StateDir: t.TempDir(), Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	m.Add([]string{dir}, "up")
	waitIdle(t, m)
	if tt := m.Totals(); tt.Done != files {
		t.Fatalf("%d of %d files done: %+v", tt.Done, files, tt)
	}
	if n := len(s.Keys(s.Bucket())); n != files {
		t.Fatalf("%d objects stored, want %d", n, files)
	}

	// Phases by time: the first refusal goes out a QoS delay after its request
	// arrived; requests sent before it reached the client finish within a round
	// trip or so.
	count.mu.Lock()
	defer count.mu.Unlock()
	peak, _ := count.peakIn(time.Time{}, time.Now())
	cut := count.at[throttleFrom].Add(100 * time.Millisecond)
	before, _ := count.peakIn(count.at[throttleFrom].Add(-300*time.Millisecond), count.at[throttleFrom])
	after, na := count.peakIn(cut.Add(200*time.Millisecond), cut.Add(450*time.Millisecond))
	last := count.at[len(count.at)-1]
	end, _ := count.peakIn(cut.Add(time.Second), last.Add(time.Nanosecond))
	t.Logf("PutObject arrivals %d; most requests in flight at the server: %d overall, %d before the throttling, %d after (%d arrivals), %d from a second later on",
		len(count.at), peak, before, after, na, end)
	if peak > smallMaxInFlight {
		t.Errorf("%d requests in flight at once, more than %d", peak, smallMaxInFlight)
	}
	w := m.small.win
	w.mu.Lock()
	cuts := w.cuts
	w.mu.Unlock()
	if cuts == 0 {
		t.Error("the window never cut for throttling")
	}
	if raceEnabled {
		// The race detector makes every request CPU-bound: replies slow with
		// load, not with the window, and the window follows them.
		return
	}
	if before < 3*DefaultJobs {
		t.Errorf("only %d requests in flight before any throttling: the window did not open", before)
	}
	if float64(after) > 0.75*float64(before) {
		t.Errorf("%d requests in flight after 503s with %s, %d before: no back-off", after, ossemu.HeaderQoSDelay, before)
	}
	if end < after+2 {
		t.Errorf("at most %d requests in flight from a second after the throttling on, %d right after it: no recovery", end, after)
	}
}
