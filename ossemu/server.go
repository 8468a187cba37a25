// Package ossemu is an OSS-compatible HTTP server for tests and for ossdrop's
// built-in local bucket. It is shaped like net/http/httptest: NewServer starts
// it on a loopback port and Close stops it. It verifies V1 and V4 signatures,
// stores objects and multipart uploads durably on disk, answers with the
// headers, ETags, CRC64 values and error documents real OSS sends, and lets
// tests inject faults and inspect what was received.
package ossemu

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossdrop/ossdrop/internal/fileio"
)

// ErrDirInUse is wrapped by NewServer's error when another running server (in
// this process or another) holds the data directory.
var ErrDirInUse = errors.New("data directory in use")

// Options configure a Server. The zero value is a test server on a random
// loopback port with a temporary directory and generated credentials.
type Options struct {
	Addr             string   // listen address; default "127.0.0.1:0"; must be loopback unless AllowNonLoopback
	AllowNonLoopback bool     // permit listening on a non-loopback address
	Dir              string   // data directory; "" → a temporary directory removed on Close
	Buckets          []string // default []string{"local"}; created if missing
	AccessKeyID      string   // "" → generated (and, with Dir set, persisted 0600 in Dir and reused)
	AccessKeySecret  string
	SecurityToken    string // when set, requests must carry x-oss-security-token equal to it
	Region           string // when set, V4 signatures must name this region; default accepts any
	Logger           *slog.Logger

	// tests shorten the abuse limits so they run in seconds
	headerTimeout time.Duration
	drainTimeout  time.Duration
}

// Server is a running OSS-compatible server.
type Server struct {
	URL             string // endpoint, e.g. "http://127.0.0.1:41234"
	AccessKeyID     string
	AccessKeySecret string

	addr    string
	dir     string
	tempDir bool
	log     *slog.Logger
	region  string
	hs      *http.Server
	ln      net.Listener
	served  chan struct{}

	closeOnce sync.Once
	closeErr  error

	mu       sync.RWMutex // guards buckets, credentials, token, faults
	buckets  map[string]*bucket
	order    []string // configured bucket order; order[0] is Bucket()
	token    string
	tokenExp time.Time
	faults   []*faultRule
	skew     atomic.Int64 // clock offset in ns, for RequestTimeTooSkewed tests

	stats  stats
	active sync.WaitGroup // running handlers
	// open counts connections not yet closed and busy counts running
	// handlers, for WaitIdle (a WaitGroup cannot be waited on while new
	// requests may still start).
	open, busy atomic.Int64

	cbClient     *http.Client
	drainTimeout time.Duration // how long an unauthenticated body may take to drain
	unlock       func()
	closing      chan struct{} // closed when Close or Kill starts
}

// credentialsFile holds a generated key pair so serve-local keeps the same
// credentials across restarts.
const credentialsFile = "credentials.json"

type storedCredentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
}

// CredentialsPath is where a server with the given Dir keeps generated credentials.
func CredentialsPath(dir string) string { return filepath.Join(dir, credentialsFile) }

// NewServer starts a server; it is accepting connections when NewServer returns.
func NewServer(opts Options) (*Server, error) {
	s := &Server{
		log:     opts.Logger,
		region:  opts.Region,
		buckets: map[string]*bucket{},
		token:   opts.SecurityToken,
		served:  make(chan struct{}),
		closing: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	addr := opts.Addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	if !opts.AllowNonLoopback {
		if err := CheckLoopback(addr); err != nil {
			return nil, err
		}
	}
	names := opts.Buckets
	if len(names) == 0 {
		names = []string{"local"}
	}
	for _, n := range names {
		if !validBucket(n) {
			return nil, fmt.Errorf("ossemu: bucket name %q: want 3-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen", n)
		}
	}

	s.dir = opts.Dir
	if s.dir == "" {
		d, err := os.MkdirTemp("", "ossemu-*")
		if err != nil {
			return nil, fmt.Errorf("ossemu: temp dir: %w", err)
		}
		s.dir, s.tempDir = d, true
	} else if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("ossemu: data dir: %w", err)
	}
	unlock, err := lockDir(s.dir)
	if err != nil {
		if s.tempDir {
			os.RemoveAll(s.dir)
		}
		return nil, fmt.Errorf("ossemu: %w", err)
	}
	s.unlock = unlock
	fail := func(err error) (*Server, error) {
		unlock()
		if s.tempDir {
			os.RemoveAll(s.dir)
		}
		return nil, err
	}

	if err := s.setupCredentials(opts); err != nil {
		return fail(err)
	}

	// buckets: configured ones first, then any others found on disk
	seen := map[string]bool{}
	if ents, err := os.ReadDir(filepath.Join(s.dir, "buckets")); err == nil {
		for _, e := range ents {
			if e.IsDir() && validBucket(e.Name()) {
				seen[e.Name()] = false
			}
		}
	}
	for _, n := range names {
		seen[n] = true
	}
	var extra []string
	for n, configured := range seen {
		if !configured {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range append(append([]string{}, names...), extra...) {
		if _, dup := s.buckets[n]; dup {
			continue
		}
		b, err := openBucket(s.dir, n, s.log)
		if err != nil {
			return fail(fmt.Errorf("ossemu: %w", err))
		}
		s.buckets[n] = b
		s.order = append(s.order, n)
	}

	ln, err := listen(addr)
	if err != nil {
		return fail(fmt.Errorf("ossemu: listen on %s: %w", addr, err))
	}
	s.ln = ln
	s.addr = ln.Addr().String()
	s.URL = "http://" + endpointHost(ln.Addr())
	s.cbClient = &http.Client{Timeout: 5 * time.Second}
	s.drainTimeout = cmp.Or(opts.drainTimeout, drainAnonLimit)
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: cmp.Or(opts.headerTimeout, headerTimeout),
		MaxHeaderBytes:    maxHeaderBytes,
		IdleTimeout:       30 * time.Second, // idle keep-alive connections are cheap, but not free
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState: func(_ net.Conn, st http.ConnState) {
			switch st {
			case http.StateNew:
				s.open.Add(1)
			case http.StateClosed, http.StateHijacked:
				s.open.Add(-1)
			}
		},
	}
	go func() {
		defer close(s.served)
		if err := s.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve", "err", err)
		}
	}()
	s.log.Info("OSS-compatible server listening", "url", s.URL, "dir", s.dir, "buckets", s.order)
	return s, nil
}

// Limits on what a client can make the server hold before it has
// authenticated: its headers must arrive within headerTimeout and fit in
// maxHeaderBytes (OSS allows 8 KB of user metadata; signatures, callbacks and
// standard headers fit easily in the rest). With these, 2,000 connections
// trickling headers cost well under 100 MiB and are dropped after seconds.
const (
	headerTimeout  = 10 * time.Second
	maxHeaderBytes = 24 << 10
)

// listen retries briefly when a fixed address is still held by a server that
// was just closed (tests restart a server on the same address).
func listen(addr string) (net.Listener, error) {
	var lastErr error
	for i := 0; i < 50; i++ {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		lastErr = err
		if _, port, _ := net.SplitHostPort(addr); port == "0" || port == "" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, lastErr
}

// endpointHost is the host:port clients should use: a wildcard listen
// address (Go listens dual-stack on it) is reached through 127.0.0.1.
func endpointHost(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
}

// CheckLoopback returns an error unless addr's host is a loopback address or
// "localhost": the local bucket is for this machine only.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("ossemu: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("ossemu: address %q is not a loopback address; the local server only serves this machine (allow it explicitly to listen elsewhere)", addr)
	}
	return nil
}

func (s *Server) setupCredentials(opts Options) error {
	switch {
	case opts.AccessKeyID != "" && opts.AccessKeySecret != "":
		s.AccessKeyID, s.AccessKeySecret = opts.AccessKeyID, opts.AccessKeySecret
		return nil
	case opts.AccessKeyID != "" || opts.AccessKeySecret != "":
		return errors.New("ossemu: give both AccessKeyID and AccessKeySecret, or neither")
	}
	path := CredentialsPath(s.dir)
	if !s.tempDir {
		var c storedCredentials
		if err := readJSON(path, &c); err == nil && c.AccessKeyID != "" && c.AccessKeySecret != "" {
			s.AccessKeyID, s.AccessKeySecret = c.AccessKeyID, c.AccessKeySecret
			return nil
		} else if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("ossemu: read credentials %s: %w", path, err)
		}
	}
	s.AccessKeyID = "LTAI" + randomAlnum(20)
	s.AccessKeySecret = randomAlnum(30)
	if s.tempDir {
		return nil
	}
	data, _ := json.Marshal(storedCredentials{s.AccessKeyID, s.AccessKeySecret})
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("ossemu: store credentials: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return fmt.Errorf("ossemu: store credentials: %w", err)
	}
	if err := fileio.Rename(tmp, path); err != nil {
		return fmt.Errorf("ossemu: store credentials: %w", err)
	}
	syncDir(s.dir)
	return nil
}

func randomAlnum(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// Close stops the server: requests in progress get up to two seconds to
// finish, then their connections are cut. It returns once every handler has
// returned. Data stays on disk when Dir was given; a temporary directory is
// removed. Calling it again returns the first result.
func (s *Server) Close() error { return s.stop(2 * time.Second) }

// WaitIdle returns once no connection is open and no request is being
// handled, so that counters read afterwards (BytesReceived, Requests) hold
// every byte clients sent before they went away: a client that cancels a
// request leaves its last bytes in the socket for the server to read later.
// Clients keeping idle connections must close them first, and a connection
// the server has not accepted yet is not seen; ctx bounds the wait.
func (s *Server) WaitIdle(ctx context.Context) error {
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for s.open.Load() > 0 || s.busy.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("ossemu: waiting for %d connections and %d requests to end: %w",
				s.open.Load(), s.busy.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Kill stops the server at once, cutting every connection mid-request, as a
// crash or a network outage would; what was committed stays on disk. A new
// server on the same Dir (and Addr) then plays the restarted one.
func (s *Server) Kill() error { return s.stop(0) }

func (s *Server) stop(grace time.Duration) error {
	s.closeOnce.Do(func() {
		close(s.closing)
		var err error
		if grace > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), grace)
			err = s.hs.Shutdown(ctx)
			cancel()
		}
		if grace == 0 || err != nil {
			// cut off whatever is still running
			err = s.hs.Close()
		}
		<-s.served
		s.active.Wait()
		s.mu.RLock()
		bs := make([]*bucket, 0, len(s.buckets))
		for _, b := range s.buckets {
			bs = append(bs, b)
		}
		s.mu.RUnlock()
		for _, b := range bs { // their open directories
			b.syncs.close()
		}
		s.cbClient.CloseIdleConnections()
		s.unlock()
		if s.tempDir {
			if rerr := os.RemoveAll(s.dir); rerr != nil && err == nil {
				err = rerr
			}
		}
		s.closeErr = err
	})
	return s.closeErr
}

// Addr is the address the server listens on (host:port).
func (s *Server) Addr() string { return s.addr }

// Bucket is the first configured bucket.
func (s *Server) Bucket() string { return s.order[0] }

// Buckets lists the served buckets, configured ones first.
func (s *Server) Buckets() []string { return append([]string(nil), s.order...) }

// Dir is the data directory.
func (s *Server) Dir() string { return s.dir }

// SetSecurityToken changes the STS token requests must carry (empty: none
// required) and when it expires (zero: never). After expiry requests fail with
// 403 SecurityTokenExpired, as OSS does, until a new token is set.
func (s *Server) SetSecurityToken(token string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token, s.tokenExp = token, expires
}

// SetCredentials replaces the accepted key pair, to test credential changes.
func (s *Server) SetCredentials(id, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.AccessKeyID, s.AccessKeySecret = id, secret
}

// SetClockOffset shifts the server's clock, to provoke RequestTimeTooSkewed.
func (s *Server) SetClockOffset(d time.Duration) { s.skew.Store(int64(d)) }

func (s *Server) now() time.Time { return time.Now().Add(time.Duration(s.skew.Load())) }

func (s *Server) credentials() (id, secret, token string, exp time.Time) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.AccessKeyID, s.AccessKeySecret, s.token, s.tokenExp
}

func (s *Server) bucket(name string) *bucket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.buckets[name]
}
