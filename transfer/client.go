package transfer

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// target is a resolved destination: one bucket on one endpoint with its SDK handle.
type target struct {
	dest, profile, endpoint, region, bucket string
	authV4                                  bool
	bkt                                     *oss.Bucket
}

// swapCreds lets SetCredentials replace credentials under running uploads: the SDK
// asks its provider on every request.
type swapCreds struct {
	p atomic.Pointer[oss.CredentialsProvider]
}

func (s *swapCreds) set(p oss.CredentialsProvider) {
	if p == nil {
		s.p.Store(nil)
		return
	}
	s.p.Store(&p)
}

type noCreds struct{}

func (noCreds) GetAccessKeyID() string     { return "" }
func (noCreds) GetAccessKeySecret() string { return "" }
func (noCreds) GetSecurityToken() string   { return "" }

func (s *swapCreds) GetCredentials() oss.Credentials {
	p := s.p.Load()
	if p == nil || *p == nil {
		return noCreds{}
	}
	return (*p).GetCredentials()
}

// Connection timeouts: a dead peer is noticed within the reply timeout and the
// request tried once more; a server that accepts connections but never answers
// fails the file in about twice DefaultReplyTimeout, well within two minutes.
const (
	dialTimeout = 30 * time.Second
	// DefaultReplyTimeout is how long a request waits for the server to answer (or
	// to take more of the body) before it counts as "no reply".
	DefaultReplyTimeout = 45 * time.Second
	// noReplyAttempts bounds tries of a request that got no reply: a silent server
	// rarely wakes up, and each try costs a whole reply timeout.
	noReplyAttempts = 2
)

// newHTTPClient is NewHTTPClient with an explicit proxy URL, or the environment's
// proxy settings (HTTPS_PROXY, HTTP_PROXY, NO_PROXY) when proxy is empty.
func newHTTPClient(proxy string, replyTimeout time.Duration) (*http.Client, error) {
	pf, err := ProxyFunc(proxy, os.Getenv)
	if err != nil {
		return nil, err
	}
	return newHTTPClientTimeout(pf, replyTimeout), nil
}

// NewHTTPClient builds the HTTP client for OSS requests, shared by uploads and the
// connection test so a passing test means uploads connect the same way: certificates
// verified, TLS 1.2 or newer, no redirects (OSS never redirects a signed request), a
// stalled connection failing after ioTimeout instead of hanging, and enough idle
// connections per host for every part in flight to reuse its connection.
func NewHTTPClient(proxy func(*http.Request) (*url.URL, error)) *http.Client {
	return newHTTPClientTimeout(proxy, DefaultReplyTimeout)
}

func newHTTPClientTimeout(proxy func(*http.Request) (*url.URL, error), ioTimeout time.Duration) *http.Client {
	if ioTimeout <= 0 {
		ioTimeout = DefaultReplyTimeout
	}
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy: proxy,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &idleConn{Conn: c, timeout: ioTimeout}, nil
		},
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   dialTimeout,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: ioTimeout,
		ExpectContinueTimeout: time.Second,
		// A small file's headers and body leave in one write (with
		// smallBodies) instead of the default 4 KiB ones, for 64 KiB per
		// connection; a part's body goes on in bigger steps (see
		// idleConn.ReadFrom).
		WriteBufferSize: 64 << 10,
	}
	return &http.Client{
		Transport:     &smallBodies{tr},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// NewOSSClient builds the SDK client for t over hc, configured as uploads use it:
// t's credentials provider, signature version and region, and t.ClientOptions
// last. The SDK's CRC64 is off: the engine computes the CRC of every byte it
// sends once, with the accelerated crc64ecma, and compares it with the server's
// (the SDK's would hash each byte a second time, with a slower table, and its
// progress tracker races with its own request code when a reply comes early).
func NewOSSClient(t Target, hc *http.Client) (*oss.Client, error) {
	opts := []oss.ClientOption{oss.HTTPClient(hc), oss.SetCredentialsProvider(t.Credentials), oss.EnableCRC(false)}
	if t.AuthV4 {
		opts = append(opts, oss.AuthVersion(oss.AuthV4), oss.Region(t.Region))
	} else if t.Region != "" {
		opts = append(opts, oss.Region(t.Region))
	}
	opts = append(opts, t.ClientOptions...)
	c, err := oss.New(t.Endpoint, "", "", opts...)
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", t.Endpoint, err)
	}
	return c, nil
}

// smallBodies sends a small request body in the same write as the headers.
// net/http flushes the headers in a write of their own unless the body is an
// in-memory reader it knows (bytes.Reader, strings.Reader, bytes.Buffer), and
// the SDK hands it a wrapper of its own: every small file cost two writes on
// this side, two reads and a wake-up more on the server's. A body of at most
// smallBodyMax bytes is read first into a buffer of its own (the request's
// counters and checksums see its bytes as ever) and sent from a bytes.Reader.
// The buffer is leased from a pool and goes back only once net/http is done
// with it (see bodyLease): a fresh buffer per request cost more than the
// copy, in page faults and zeroing.
type smallBodies struct{ *http.Transport }

// smallBodyMax is the largest body read ahead: with its headers it fills
// about one write buffer (WriteBufferSize).
const smallBodyMax = 64 << 10

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallBodyMax); return &b }}

func (t *smallBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength <= 0 || req.ContentLength > smallBodyMax {
		return t.Transport.RoundTrip(req)
	}
	l := &bodyLease{bp: smallBufs.Get().(*[]byte)}
	buf := (*l.bp)[:req.ContentLength]
	_, err := io.ReadFull(req.Body, buf)
	req.Body.Close() // RoundTrip closes the body, on errors too
	if err != nil {
		l.end()
		return nil, err
	}
	// RoundTrip must not change the caller's request: WithContext copies it.
	r := req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{WroteRequest: l.wrote}))
	r.Body = l.reader(buf)
	r.GetBody = func() (io.ReadCloser, error) { return l.reader(buf), nil }
	resp, err := t.Transport.RoundTrip(r)
	l.end()
	return resp, err
}

// bodyLease tracks who may still read a pooled request body. net/http reads a
// body only while it writes a request (Request.write, which reports its end
// to ClientTrace.WroteRequest, whatever the outcome), may write again with a
// body from GetBody when it retries, and may go on writing after RoundTrip
// has returned (a reply that came before the whole body). The buffer goes
// back to the pool when RoundTrip has returned and every body handed out has
// been written; a body handed out but never written (a retry that found no
// connection) keeps the buffer from the pool, and the collector has it. This
// is HTTP/1.1's writer: the transport never negotiates HTTP/2 (it has its own
// dialer and TLS settings and does not force it).
type bodyLease struct {
	mu        sync.Mutex
	bp        *[]byte
	handed    int  // bodies given to net/http
	written   int  // of them, writes ended
	roundTrip bool // RoundTrip has returned
	gone      bool // buffer back in the pool
}

func (l *bodyLease) reader(buf []byte) io.ReadCloser {
	l.mu.Lock()
	l.handed++
	l.mu.Unlock()
	return io.NopCloser(bytes.NewReader(buf))
}

func (l *bodyLease) wrote(httptrace.WroteRequestInfo) {
	l.mu.Lock()
	l.written++
	l.mu.Unlock()
	l.maybeRelease()
}

// end marks RoundTrip's return.
func (l *bodyLease) end() {
	l.mu.Lock()
	l.roundTrip = true
	l.mu.Unlock()
	l.maybeRelease()
}

func (l *bodyLease) maybeRelease() {
	l.mu.Lock()
	free := l.roundTrip && l.written == l.handed && !l.gone
	if free {
		l.gone = true
	}
	l.mu.Unlock()
	if free {
		releaseSmallBuf(l.bp)
	}
}

// releaseSmallBuf returns a leased buffer to the pool; tests watch it.
var releaseSmallBuf = func(bp *[]byte) { smallBufs.Put(bp) }

// idleConn fails a read or write that makes no progress for ioTimeout, so a stalled
// connection turns into a retryable error instead of a hang.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c *idleConn) Read(p []byte) (int, error) {
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(p)
}

// Write fails only when the peer takes none of p for a whole timeout: a write
// that timed out after some bytes went goes on with a fresh deadline, so a
// copyChunk write over a slow link is not mistaken for a dead one (a stall
// that starts mid-write is noticed within two timeouts).
func (c *idleConn) Write(p []byte) (int, error) {
	var done int
	for {
		c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
		n, err := c.Conn.Write(p[done:])
		done += n
		if err != nil && n > 0 && done < len(p) && errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		return done, err
	}
}

// ReadFrom is where net/http's copy of a request body lands on a plain
// connection (bufio.Writer.ReadFrom → persistConnWriter.ReadFrom → io.Copy).
// Without it io.Copy would allocate a 32 KiB buffer per request and move a
// part in 32 KiB reads and writes; with it a part goes in copyChunk steps
// through one pooled buffer: an eighth of the system calls and deadline
// updates, and no allocation.
func (c *idleConn) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(writerOnly{c}, r, *bp)
}

// copyChunk is the step of a request body's copy: few system calls per
// mebibyte, small enough to stay in the CPU cache between the file read, the
// CRC64 and the socket write (partBody).
const copyChunk = 256 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyChunk); return &b }}

// writerOnly hides idleConn's ReadFrom from io.CopyBuffer, which would
// otherwise call it again.
type writerOnly struct{ io.Writer }

type targetKey struct {
	dest, profile, endpoint, region, bucket, proxy string
	authV4                                         bool
	creds                                          oss.CredentialsProvider
}

// ValidateEndpoint checks that an endpoint is a bare http(s) URL (or host[:port])
// the SDK can address, so a typo fails before any request.
func ValidateEndpoint(endpoint string) error {
	e := strings.TrimSpace(endpoint)
	if e == "" {
		return fmt.Errorf("endpoint is empty")
	}
	raw := e
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("endpoint %q is not a valid URL: %v", endpoint, unwrapURLErr(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("endpoint %q: the scheme must be http or https", endpoint)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("endpoint %q has no host name", endpoint)
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("endpoint %q must be just scheme://host[:port], e.g. https://oss-cn-hangzhou.aliyuncs.com", endpoint)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("endpoint %q: port %q is not a number from 1 to 65535", endpoint, p)
		}
	}
	return nil
}

func unwrapURLErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// ValidateBucket applies OSS's bucket naming rules.
func ValidateBucket(bucket string) error {
	if r := BucketNameProblem(bucket); r != "" {
		return fmt.Errorf("bucket name %q is not valid: it %s", bucket, r)
	}
	return nil
}

// BucketNameProblem says what is wrong with a bucket name under OSS's naming
// rules (3 to 63 lowercase letters, digits and hyphens, starting and ending with
// a letter or digit), or "" when nothing is.
func BucketNameProblem(b string) string {
	if b == "" {
		return "is empty"
	}
	if n := len(b); n < 3 || n > 63 {
		return fmt.Sprintf("must be 3 to 63 characters long (it has %d)", n)
	}
	for i, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return fmt.Sprintf("may contain only lowercase letters, digits and hyphens (%q at position %d is not allowed)", r, i+1)
		}
	}
	if b[0] == '-' || b[len(b)-1] == '-' {
		return "must start and end with a lowercase letter or a digit"
	}
	return ""
}

// resolve returns the cached target for t, creating its SDK client on first use.
// Caller holds m.mu.
func (m *Manager) resolveLocked(t Target, creds oss.CredentialsProvider) (*target, error) {
	if strings.TrimSpace(t.Endpoint) == "" {
		return nil, fmt.Errorf("no endpoint set: choose a profile or give an endpoint URL")
	}
	if strings.TrimSpace(t.Bucket) == "" {
		return nil, fmt.Errorf("no bucket set for endpoint %s", t.Endpoint)
	}
	if err := ValidateEndpoint(t.Endpoint); err != nil {
		return nil, err
	}
	if err := ValidateBucket(t.Bucket); err != nil {
		return nil, err
	}
	k := targetKey{t.Dest, t.Profile, t.Endpoint, t.Region, t.Bucket, t.Proxy, t.AuthV4, creds}
	if tg, ok := m.targets[k]; ok {
		return tg, nil
	}
	if t.AuthV4 && t.Region == "" {
		return nil, fmt.Errorf("signature V4 needs a region (e.g. cn-hangzhou) for endpoint %s", t.Endpoint)
	}
	hc, err := newHTTPClient(t.Proxy, m.replyTimeout)
	if err != nil {
		return nil, err
	}
	t.Credentials = creds
	c, err := NewOSSClient(t, hc)
	if err != nil {
		return nil, err
	}
	b, err := c.Bucket(t.Bucket)
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", t.Bucket, err)
	}
	tg := &target{dest: t.Dest, profile: t.Profile, endpoint: t.Endpoint, region: t.Region, bucket: t.Bucket, authV4: t.AuthV4, bkt: b}
	m.targets[k] = tg
	return tg, nil
}
