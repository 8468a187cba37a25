package ossemu

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Fault makes matching requests misbehave. Rules are tried in the order they
// were injected; the first one that matches and has uses left applies. Its
// effects combine in this order: Delay and QoSDelay, then a cut
// (CutNow/CutAfter) or an error reply (Status), else the request is served
// normally with its body throttled to Bandwidth. Header and QoSDelay's header
// go on whichever reply is sent.
//
// Throttling as OSS does it: Status 503 with Code "ServiceUnavailable" or 429
// with "TooManyRequests" refuses requests over a rate; QoSDelay holds a request
// for bandwidth control and reports it in x-oss-qos-delay-time, alone (the
// request then succeeds) or with a Status.
type Fault struct {
	Match func(r *http.Request) bool // nil matches every request; see MatchOp, MatchPart, MatchKey, MatchAll
	Times int                        // how many requests it applies to; 0 = unlimited

	Status int    // reply with this HTTP status, after reading the body
	Code   string // error Code for Status; default "InjectedFault"

	CutAfter  int64         // read this many body bytes, then drop the connection (RST); 0 or -1 = off
	CutNow    bool          // drop the connection before reading any body
	Delay     time.Duration // wait this long before handling (ends early if the server closes)
	Bandwidth int64         // cap the request body at this many bytes per second; 0 = off

	Header   http.Header   // extra reply headers
	QoSDelay time.Duration // hold the request this long and report it in HeaderQoSDelay (milliseconds)
}

// HeaderQoSDelay is the reply header in which OSS reports how long bandwidth
// control held a request, in milliseconds.
const HeaderQoSDelay = "x-oss-qos-delay-time"

type faultRule struct {
	f    Fault
	left int // remaining uses; -1 = unlimited
}

// Inject adds a fault rule and returns a function that removes it.
func (s *Server) Inject(f Fault) (remove func()) {
	fr := &faultRule{f: f, left: -1}
	if f.Times > 0 {
		fr.left = f.Times
	}
	s.mu.Lock()
	s.faults = append(s.faults, fr)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, x := range s.faults {
			if x == fr {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

type opKey struct{}

// Op returns the OSS operation name of a request seen by a Fault's Match
// function (for example "UploadPart"), or "" outside the server.
func Op(r *http.Request) string {
	op, _ := r.Context().Value(opKey{}).(string)
	return op
}

// MatchOp matches requests for any of the named operations (OpUploadPart, …).
func MatchOp(ops ...string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		op := Op(r)
		for _, o := range ops {
			if o == op {
				return true
			}
		}
		return false
	}
}

// MatchPart matches UploadPart requests for part number n.
func MatchPart(n int) func(*http.Request) bool {
	return func(r *http.Request) bool {
		return Op(r) == OpUploadPart && r.URL.Query().Get("partNumber") == strconv.Itoa(n)
	}
}

// MatchKey matches requests whose object key is key.
func MatchKey(key string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		k, _ := r.Context().Value(keyKey{}).(string)
		return k == key
	}
}

type keyKey struct{}

// MatchAll matches requests that every given matcher matches.
func MatchAll(ms ...func(*http.Request) bool) func(*http.Request) bool {
	return func(r *http.Request) bool {
		for _, m := range ms {
			if m != nil && !m(r) {
				return false
			}
		}
		return true
	}
}

// pickFault returns the first matching rule with uses left, consuming one use.
func (s *Server) pickFault(r *http.Request) (Fault, bool) {
	s.mu.RLock()
	rules := append([]*faultRule(nil), s.faults...)
	s.mu.RUnlock()
	for _, fr := range rules {
		if fr.f.Match != nil && !fr.f.Match(r) {
			continue
		}
		s.mu.Lock()
		ok := fr.left != 0
		if fr.left > 0 {
			fr.left--
		}
		s.mu.Unlock()
		if ok {
			return fr.f, true
		}
	}
	return Fault{}, false
}

// applyFaults runs the first matching fault. handled reports that the reply
// (or the dropped connection) is final; otherwise the request proceeds,
// possibly with a slowed body.
func (s *Server) applyFaults(rq *request) (status int, handled bool) {
	s.mu.RLock()
	none := len(s.faults) == 0
	s.mu.RUnlock()
	if none {
		return 0, false
	}
	ctx := context.WithValue(rq.r.Context(), opKey{}, rq.op)
	ctx = context.WithValue(ctx, keyKey{}, rq.key)
	f, ok := s.pickFault(rq.r.WithContext(ctx))
	if !ok {
		return 0, false
	}
	s.stats.fault()
	h := rq.w.Header()
	for k, vs := range f.Header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if f.QoSDelay > 0 {
		h.Set(HeaderQoSDelay, strconv.FormatInt(f.QoSDelay.Milliseconds(), 10))
	}
	if d := f.Delay + f.QoSDelay; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-rq.r.Context().Done():
			t.Stop()
			panic(http.ErrAbortHandler) // client gone: no implicit 200

		case <-s.closing:
			// the server is stopping: a delayed request ends like a dropped connection
			t.Stop()
			s.cut(rq)
			return 0, true
		}
	}
	if f.CutNow || f.CutAfter > 0 {
		if f.CutAfter > 0 && rq.body != nil {
			io.CopyN(io.Discard, rq.body, f.CutAfter)
		}
		s.cut(rq)
		return 0, true
	}
	if f.Status != 0 {
		code := f.Code
		if code == "" {
			code = "InjectedFault"
		}
		// The body is read first: replying while the SDK is still sending
		// trips a data race inside the SDK (it reads its progress counter
		// while the transport is still writing), which would fail -race tests.
		// Faults come from the test itself, so the drain has no deadline.
		rq.authed = true
		return s.fail(rq, errf(f.Status, code, "Injected fault.")), true
	}
	if f.Bandwidth > 0 && rq.body != nil {
		rq.body.rc = &limitedBody{rc: rq.body.rc, ctx: rq.r.Context(), lim: rate.NewLimiter(rate.Limit(f.Bandwidth), int(min(f.Bandwidth, 64<<10)))}
	}
	return 0, false
}

// cut drops the client connection without a reply (an RST where possible).
func (s *Server) cut(rq *request) {
	hj, ok := rq.w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// failNoDrain replies with an error without reading the body first, as a
// server that gives up early does.
func (s *Server) failNoDrain(rq *request, e *ossError) int {
	body := rq.body
	rq.body = nil
	defer func() { rq.body = body }()
	if body != nil && !body.eof {
		rq.w.Header().Set("Connection", "close")
	}
	return s.fail(rq, e)
}

// limitedBody throttles a request body.
type limitedBody struct {
	rc  io.ReadCloser
	ctx context.Context
	lim *rate.Limiter
}

func (l *limitedBody) Read(p []byte) (int, error) {
	if len(p) > l.lim.Burst() {
		p = p[:l.lim.Burst()]
	}
	n, err := l.rc.Read(p)
	if n > 0 {
		if werr := l.lim.WaitN(l.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

func (l *limitedBody) Close() error { return l.rc.Close() }

// ---- counters ----

type stats struct {
	mu       sync.Mutex
	requests map[string]*atomic.Int64
	bytes    map[string]*atomic.Int64
	faults   atomic.Int64
}

func (st *stats) counter(m *map[string]*atomic.Int64, op string) *atomic.Int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	if *m == nil {
		*m = map[string]*atomic.Int64{}
	}
	c := (*m)[op]
	if c == nil {
		c = new(atomic.Int64)
		(*m)[op] = c
	}
	return c
}

func (st *stats) request(op string)                    { st.counter(&st.requests, op).Add(1) }
func (st *stats) bytesCounter(op string) *atomic.Int64 { return st.counter(&st.bytes, op) }
func (st *stats) fault()                               { st.faults.Add(1) }

// Requests returns how many requests for op (e.g. OpUploadPart) arrived,
// including failed and faulted ones.
func (s *Server) Requests(op string) int64 { return s.stats.counter(&s.stats.requests, op).Load() }

// BytesReceived returns how many request body bytes were read for op,
// including bodies of requests that were later cut or refused.
func (s *Server) BytesReceived(op string) int64 { return s.stats.counter(&s.stats.bytes, op).Load() }

// FaultsApplied returns how many requests an injected fault has hit.
func (s *Server) FaultsApplied() int64 { return s.stats.faults.Load() }

// ResetCounters zeroes Requests, BytesReceived and FaultsApplied.
func (s *Server) ResetCounters() {
	s.stats.mu.Lock()
	for _, c := range s.stats.requests {
		c.Store(0)
	}
	for _, c := range s.stats.bytes {
		c.Store(0)
	}
	s.stats.mu.Unlock()
	s.stats.faults.Store(0)
}
