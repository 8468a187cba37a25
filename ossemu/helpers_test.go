package ossemu

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

func newServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := NewServer(opts)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// signing versions every protocol test runs under.
var versions = []struct {
	name string
	opts []oss.ClientOption
}{
	{"V1", nil},
	{"V4", []oss.ClientOption{oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou")}},
}

func client(t testing.TB, s *Server, opts ...oss.ClientOption) *oss.Client {
	t.Helper()
	c, err := oss.New(s.URL, s.AccessKeyID, s.AccessKeySecret, opts...)
	if err != nil {
		t.Fatalf("oss.New: %v", err)
	}
	return c
}

func bucketOf(t testing.TB, s *Server, opts ...oss.ClientOption) *oss.Bucket {
	t.Helper()
	b, err := client(t, s, opts...).Bucket(s.Bucket())
	if err != nil {
		t.Fatalf("Bucket: %v", err)
	}
	return b
}

// randBytes is the shared test kit's seeded data, argument order kept for
// this package's many callers.
func randBytes(n int, seed uint64) []byte { return testkit.RandBytes(seed, n) }

func crcOf(b []byte) uint64 { return crc64ecma.Checksum(b) }

func crcHeader(t testing.TB, h map[string][]string) uint64 {
	t.Helper()
	vs := h["X-Oss-Hash-Crc64ecma"]
	if len(vs) == 0 {
		t.Fatalf("no x-oss-hash-crc64ecma header in %v", h)
	}
	v, err := strconv.ParseUint(vs[0], 10, 64)
	if err != nil {
		t.Fatalf("bad CRC header %q", vs[0])
	}
	return v
}

// wantCode asserts err is an OSS service error with the given status and code.
func wantCode(t testing.TB, err error, status int, code string) oss.ServiceError {
	t.Helper()
	var se oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("want OSS error %d %s, got %v", status, code, err)
	}
	if se.StatusCode != status || se.Code != code {
		t.Fatalf("want OSS error %d %s, got %d %s (%s)", status, code, se.StatusCode, se.Code, se.Message)
	}
	if se.RequestID == "" {
		t.Fatalf("error %s has no request id", code)
	}
	return se
}

func mustRead(t testing.TB, b *oss.Bucket, key string, opts ...oss.Option) []byte {
	t.Helper()
	rc, err := b.GetObject(key, opts...)
	if err != nil {
		t.Fatalf("GetObject %q: %v", key, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(rc); err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return buf.Bytes()
}
