package settings

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossdrop/ossdrop/internal/testkit"
	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/transfer"
)

// noEnv is a getenv with no proxy variables, so the machine's environment
// cannot change what the tests reach.
func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func newEmu(t *testing.T, opts ossemu.Options) *ossemu.Server {
	t.Helper()
	s, err := ossemu.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func emuTarget(s *ossemu.Server, id, secret string) transfer.Target {
	return transfer.Target{Profile: "emu", Endpoint: s.URL, Bucket: s.Bucket(),
		Credentials: NewProvider(Credentials{AccessKeyID: id, AccessKeySecret: secret}, SourceStored)}
}

func check(t *testing.T, tg transfer.Target, timeout time.Duration, getenv func(string) string, want ConnKind, says ...string) ConnResult {
	t.Helper()
	r := CheckConnection(context.Background(), tg, timeout, getenv)
	t.Logf("%v: %s", r.Kind, r.Message)
	if r.Kind != want {
		t.Fatalf("kind = %v, want %v; message %q; err %v", r.Kind, want, r.Message, r.Err)
	}
	if r.OK() != (want == ConnOK) || (want != ConnOK && r.Err == nil) {
		t.Fatalf("OK()=%v Err=%v for %v", r.OK(), r.Err, want)
	}
	for _, s := range says {
		if !strings.Contains(r.Message, s) {
			t.Errorf("message %q does not say %q", r.Message, s)
		}
	}
	if sec := tg.Credentials; sec != nil {
		if s := sec.GetCredentials().GetAccessKeySecret(); s != "" && strings.Contains(r.Message, s) {
			t.Fatalf("message contains the secret: %q", r.Message)
		}
	}
	return r
}

func TestCheckConnectionOSSAnswers(t *testing.T) {
	s := newEmu(t, ossemu.Options{})
	good := emuTarget(s, s.AccessKeyID, s.AccessKeySecret)

	t.Run("ok", func(t *testing.T) {
		r := check(t, good, 5*time.Second, noEnv, ConnOK, `bucket "local"`)
		if r.Bucket == nil || r.Bucket.Name != "local" || r.Bucket.StorageClass != "Standard" {
			t.Fatalf("bucket summary %+v", r.Bucket)
		}
		if s.Requests(ossemu.OpGetBucketInfo) == 0 {
			t.Fatal("the server saw no GetBucketInfo")
		}
	})
	t.Run("v4 ok", func(t *testing.T) {
		tg := good
		tg.AuthV4, tg.Region = true, "cn-hangzhou"
		check(t, tg, 5*time.Second, noEnv, ConnOK)
	})
	t.Run("InvalidAccessKeyId", func(t *testing.T) {
		r := check(t, emuTarget(s, "LTAIunknown", s.AccessKeySecret), 5*time.Second, noEnv, ConnInvalidAccessKeyID,
			`"LTAIunknown"`, "InvalidAccessKeyId", "RequestId")
		if r.Code != "InvalidAccessKeyId" || r.Status != 403 || r.RequestID == "" {
			t.Fatalf("%+v", r)
		}
	})
	t.Run("SignatureDoesNotMatch", func(t *testing.T) {
		check(t, emuTarget(s, s.AccessKeyID, "wrong-secret-value"), 5*time.Second, noEnv, ConnSignatureMismatch,
			"secret does not match", "SignatureDoesNotMatch")
	})
	t.Run("NoSuchBucket", func(t *testing.T) {
		tg := good
		tg.Bucket = "no-such-bucket"
		check(t, tg, 5*time.Second, noEnv, ConnNoSuchBucket, `no bucket "no-such-bucket"`, "NoSuchBucket")
	})
	t.Run("AccessDenied", func(t *testing.T) {
		remove := s.Inject(ossemu.Fault{Match: ossemu.MatchOp(ossemu.OpGetBucketInfo), Status: 403, Code: "AccessDenied"})
		defer remove()
		check(t, good, 5*time.Second, noEnv, ConnAccessDenied, "RAM policy", "AccessDenied")
	})
	t.Run("token expired", func(t *testing.T) {
		s.SetSecurityToken("tok", time.Now().Add(-time.Minute))
		defer s.SetSecurityToken("", time.Time{})
		tg := good
		tg.Credentials = NewProvider(Credentials{AccessKeyID: s.AccessKeyID, AccessKeySecret: s.AccessKeySecret, SecurityToken: "tok"}, SourceStored)
		check(t, tg, 5*time.Second, noEnv, ConnTokenExpired, "enter new ones")
	})
	t.Run("invalid settings", func(t *testing.T) {
		tg := good
		tg.AuthV4 = true
		check(t, tg, 5*time.Second, noEnv, ConnInvalidSettings, "region")
		tg = good
		tg.Credentials = nil
		check(t, tg, 5*time.Second, noEnv, ConnInvalidSettings, "credentials")
		tg = good
		tg.Bucket = "Bad"
		check(t, tg, 5*time.Second, noEnv, ConnInvalidSettings, "bucket")
	})
}

func TestCheckConnectionWrongRegion(t *testing.T) {
	t.Run("v4 region", func(t *testing.T) {
		// A server in cn-hangzhou refuses V4 signatures scoped to another region.
		s := newEmu(t, ossemu.Options{Region: "cn-hangzhou"})
		tg := emuTarget(s, s.AccessKeyID, s.AccessKeySecret)
		tg.AuthV4, tg.Region = true, "cn-beijing"
		check(t, tg, 5*time.Second, noEnv, ConnWrongRegion, `"cn-beijing"`, "region")
	})
	t.Run("endpoint mismatch", func(t *testing.T) {
		// OSS's documented reply when a bucket is addressed through another
		// region's endpoint: 403 AccessDenied naming the right endpoint.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.Header().Set("x-oss-request-id", "5C3D9175B6FC201293AD****")
			w.WriteHeader(403)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>AccessDenied</Code>
  <Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message>
  <RequestId>5C3D9175B6FC201293AD****</RequestId>
  <HostId>local.oss-cn-beijing.aliyuncs.com</HostId>
  <Bucket>local</Bucket>
  <Endpoint>oss-cn-hangzhou.aliyuncs.com</Endpoint>
</Error>`)
		}))
		defer srv.Close()
		tg := transfer.Target{Endpoint: srv.URL, Bucket: "local", Credentials: NewProvider(Credentials{AccessKeyID: "a", AccessKeySecret: "b"}, SourceStored)}
		r := check(t, tg, 5*time.Second, noEnv, ConnWrongRegion, "another region", "https://oss-cn-hangzhou.aliyuncs.com")
		if r.SuggestedEndpoint != "https://oss-cn-hangzhou.aliyuncs.com" {
			t.Fatalf("suggested %q", r.SuggestedEndpoint)
		}
	})
}

func TestCheckConnectionNetworkFailures(t *testing.T) {
	creds := NewProvider(Credentials{AccessKeyID: "id", AccessKeySecret: "secret"}, SourceStored)
	t.Run("dns", func(t *testing.T) {
		tg := transfer.Target{Endpoint: "https://oss.ossdrop-test.invalid", Bucket: "local", Credentials: creds}
		check(t, tg, 10*time.Second, noEnv, ConnDNS, "oss.ossdrop-test.invalid")
	})
	t.Run("tls untrusted", func(t *testing.T) {
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t.Error("a request got through an untrusted certificate")
		}))
		srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
		srv.StartTLS()
		defer srv.Close()
		tg := transfer.Target{Endpoint: srv.URL, Bucket: "local", Credentials: creds}
		check(t, tg, 5*time.Second, noEnv, ConnTLS, "not signed by an authority")
	})
	t.Run("tls to plain http", func(t *testing.T) {
		s := newEmu(t, ossemu.Options{})
		tg := emuTarget(s, s.AccessKeyID, s.AccessKeySecret)
		tg.Endpoint = strings.Replace(s.URL, "http://", "https://", 1)
		check(t, tg, 5*time.Second, noEnv, ConnTLS, "did not answer with TLS")
	})
	t.Run("timeout", func(t *testing.T) {
		ln := silentListener(t)
		tg := transfer.Target{Endpoint: "http://" + ln, Bucket: "local", Credentials: creds}
		start := time.Now()
		check(t, tg, 300*time.Millisecond, noEnv, ConnTimeout, "did not answer within 300ms")
		if el := time.Since(start); el > 5*time.Second {
			t.Fatalf("timeout took %s", el)
		}
	})
	t.Run("refused", func(t *testing.T) {
		addr := closedPort(t)
		tg := transfer.Target{Endpoint: "http://" + addr, Bucket: "local", Credentials: creds}
		check(t, tg, 5*time.Second, noEnv, ConnRefused, "connection refused", addr)
	})
	t.Run("proxy down", func(t *testing.T) {
		tg := transfer.Target{Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Bucket: "local", Credentials: creds,
			Proxy: "http://" + closedPort(t)}
		check(t, tg, 5*time.Second, noEnv, ConnProxy, "proxy")
	})
	t.Run("env proxy down", func(t *testing.T) {
		tg := transfer.Target{Endpoint: "https://oss-cn-hangzhou.aliyuncs.com", Bucket: "local", Credentials: creds}
		check(t, tg, 5*time.Second, envOf(map[string]string{"HTTPS_PROXY": closedPort(t)}), ConnProxy, "proxy")
	})
}

// TestCheckConnectionThroughProxy sends the test through a forwarding HTTP
// proxy to the server, picked from HTTP_PROXY, and checks NO_PROXY bypasses it.
func TestCheckConnectionThroughProxy(t *testing.T) {
	s := newEmu(t, ossemu.Options{})
	emuAddr := strings.TrimPrefix(s.URL, "http://")
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		proxied.Add(1)
		testkit.Forward(w, r, emuAddr, nil) // the bucket host name stays in the Host header
	}))
	defer proxy.Close()
	tg := emuTarget(s, s.AccessKeyID, s.AccessKeySecret)
	tg.Endpoint = "http://oss-test.example" // not resolvable: only the proxy can reach it

	check(t, tg, 5*time.Second, envOf(map[string]string{"HTTP_PROXY": proxy.URL}), ConnOK)
	if proxied.Load() != 1 {
		t.Fatalf("proxy saw %d requests", proxied.Load())
	}
	check(t, tg, 5*time.Second, envOf(map[string]string{"http_proxy": proxy.URL, "NO_PROXY": "foo.org, .example"}), ConnDNS)
	tg.Proxy = proxy.URL // explicit wins over the environment
	check(t, tg, 5*time.Second, envOf(map[string]string{"HTTP_PROXY": "http://" + closedPort(t)}), ConnOK)
	if proxied.Load() != 2 {
		t.Fatalf("proxy saw %d requests", proxied.Load())
	}
}

// silentListener accepts connections and never answers; closed at test end.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
