// Package ossemutest starts ossemu servers inside tests, in the manner of
// net/http/httptest: NewServer returns a running server whose Close is
// registered with the test, and Credentials hands the v1 SDK the server's
// keys without going through environment variables or settings.
package ossemutest

import (
	"log/slog"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/ossemu"
)

// Option adjusts the ossemu.Options a test server is started with.
type Option func(*ossemu.Options)

// WithOptions replaces the whole option set; later options still apply on top.
func WithOptions(o ossemu.Options) Option { return func(p *ossemu.Options) { *p = o } }

// WithDir keeps the server's data in dir (it survives Close, so a second
// server on the same dir plays the restarted one).
func WithDir(dir string) Option { return func(p *ossemu.Options) { p.Dir = dir } }

// WithAddr listens on addr (loopback only) instead of a random port.
func WithAddr(addr string) Option { return func(p *ossemu.Options) { p.Addr = addr } }

// WithBuckets serves these buckets; the first is Server.Bucket().
func WithBuckets(names ...string) Option {
	return func(p *ossemu.Options) { p.Buckets = append([]string(nil), names...) }
}

// WithCredentials fixes the key pair instead of generating one.
func WithCredentials(id, secret string) Option {
	return func(p *ossemu.Options) { p.AccessKeyID, p.AccessKeySecret = id, secret }
}

// WithSecurityToken requires requests to carry this STS token.
func WithSecurityToken(token string) Option {
	return func(p *ossemu.Options) { p.SecurityToken = token }
}

// WithRegion makes V4 signatures that name another region fail.
func WithRegion(region string) Option { return func(p *ossemu.Options) { p.Region = region } }

// WithLogger sends the server's log to l instead of discarding it.
func WithLogger(l *slog.Logger) Option { return func(p *ossemu.Options) { p.Logger = l } }

// NewServer starts an ossemu server on a random loopback port with a
// temporary data directory, unless options say otherwise, and closes it when
// the test and its subtests finish. A server that cannot start fails t.
func NewServer(t testing.TB, opts ...Option) *ossemu.Server {
	t.Helper()
	var o ossemu.Options
	for _, opt := range opts {
		opt(&o)
	}
	s, err := ossemu.NewServer(o)
	if err != nil {
		t.Fatalf("ossemutest: start server: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("ossemutest: close server: %v", err)
		}
	})
	return s
}

// StaticCredentials is a fixed key pair (and optional STS token) that
// satisfies both oss.CredentialsProvider and oss.Credentials.
type StaticCredentials struct {
	AccessKeyID     string
	AccessKeySecret string
	SecurityToken   string
}

// GetCredentials returns c itself: the values never change.
func (c StaticCredentials) GetCredentials() oss.Credentials { return c }

// GetAccessKeyID returns the access key id.
func (c StaticCredentials) GetAccessKeyID() string { return c.AccessKeyID }

// GetAccessKeySecret returns the access key secret.
func (c StaticCredentials) GetAccessKeySecret() string { return c.AccessKeySecret }

// GetSecurityToken returns the STS token, "" when none.
func (c StaticCredentials) GetSecurityToken() string { return c.SecurityToken }

var (
	_ oss.CredentialsProvider = StaticCredentials{}
	_ oss.Credentials         = StaticCredentials{}
)

// Credentials is a provider for s's key pair as it is now; a later
// Server.SetCredentials is not reflected, which lets a test hold the old keys.
func Credentials(s *ossemu.Server) StaticCredentials {
	return StaticCredentials{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret}
}

// Client is a v1 SDK client for s using Credentials(s); opts may add, for
// example, oss.AuthVersion(oss.AuthV4) and oss.Region.
func Client(t testing.TB, s *ossemu.Server, opts ...oss.ClientOption) *oss.Client {
	t.Helper()
	all := append([]oss.ClientOption{oss.SetCredentialsProvider(Credentials(s))}, opts...)
	c, err := oss.New(s.URL, "", "", all...)
	if err != nil {
		t.Fatalf("ossemutest: oss.New: %v", err)
	}
	return c
}

// Bucket is a v1 SDK handle on s's first bucket.
func Bucket(t testing.TB, s *ossemu.Server, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	b, err := Client(t, s, opts...).Bucket(s.Bucket())
	if err != nil {
		t.Fatalf("ossemutest: Bucket(%q): %v", s.Bucket(), err)
	}
	return b
}
