package ossemu

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestKeysCannotEscape(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "data")
	s := newServer(t, Options{Dir: dir})
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			b := bucketOf(t, s, v.opts...)
			long := strings.Repeat("ä", 511) + "x" // 1023 bytes
			accepted := []string{"../../x", "../../../../../../tmp/escape", "a/../../b", "..", ".", "con", "nul.txt", "x/./y",
				long, "日本語/ファイル.txt", "emoji 😀", "back\\slash", "trailing/", "dots...", "a//b"}
			for _, k := range accepted {
				data := []byte("value of " + k)
				if err := b.PutObject(k, bytes.NewReader(data)); err != nil {
					t.Fatalf("put %q: %v", k, err)
				}
				if got := mustRead(t, b, k); !bytes.Equal(got, data) {
					t.Fatalf("read %q: %q", k, got)
				}
			}
			rejected := []string{"/etc/passwd", "\\windows", long + "y", "nul\x00byte", "bad\xffutf8"}
			for _, k := range rejected {
				err := b.PutObject(k, strings.NewReader("x"))
				wantCode(t, err, 400, "InvalidObjectName")
				_, err = b.InitiateMultipartUpload(k)
				wantCode(t, err, 400, "InvalidObjectName")
			}
			// listing returns the keys exactly
			r, err := b.ListObjects(oss.Prefix(".."), oss.MaxKeys(1000))
			if err != nil || len(r.Objects) != 3 {
				t.Fatalf("list ..: %+v %v", r.Objects, err)
			}
		})
	}
	// a raw request with an unescaped ../ path (no SDK cleaning) stays inside too
	req, _ := http.NewRequest("PUT", s.URL+"/local/x", strings.NewReader("raw"))
	req.URL.Opaque = "/local/../../raw-escape"
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	// nothing was created outside the data directory
	filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !strings.HasPrefix(p, dir) && p != parent {
			t.Errorf("file outside the data directory: %s", p)
		}
		return nil
	})
	if _, err := os.Stat("/tmp/escape"); err == nil {
		t.Error("/tmp/escape exists")
	}
	if len(s.Keys("")) < 10 {
		t.Errorf("keys: %q", s.Keys(""))
	}
}

func TestForbidOverwrite(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			if err := b.PutObject("k", strings.NewReader("one"), oss.ForbidOverWrite(true)); err != nil {
				t.Fatal(err)
			}
			wantCode(t, b.PutObject("k", strings.NewReader("two"), oss.ForbidOverWrite(true)), 409, "FileAlreadyExists")
			if got := mustRead(t, b, "k"); string(got) != "one" {
				t.Fatalf("overwritten: %q", got)
			}
			_, err := b.InitiateMultipartUpload("k", oss.ForbidOverWrite(true))
			wantCode(t, err, 409, "FileAlreadyExists")
			// an upload started before the object existed fails at Complete
			imur, err := b.InitiateMultipartUpload("m")
			if err != nil {
				t.Fatal(err)
			}
			p, _ := b.UploadPart(imur, strings.NewReader("part"), 4, 1)
			if err := b.PutObject("m", strings.NewReader("first")); err != nil {
				t.Fatal(err)
			}
			_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{p}, oss.ForbidOverWrite(true))
			wantCode(t, err, 409, "FileAlreadyExists")
			if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p}); err != nil {
				t.Fatalf("the upload must survive a refused Complete: %v", err)
			}
			// explicit false overwrites
			if err := b.PutObject("k", strings.NewReader("three"), oss.ForbidOverWrite(false)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestForbidOverwriteRace: of many concurrent forbid-overwrite writers of one
// key, exactly one wins.
func TestForbidOverwriteRace(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				err = b.PutObject("race", bytes.NewReader(randBytes(50_000, uint64(i))), oss.ForbidOverWrite(true))
			} else {
				imur, ierr := b.InitiateMultipartUpload("race")
				if ierr != nil {
					t.Error(ierr)
					return
				}
				p, perr := b.UploadPart(imur, bytes.NewReader(randBytes(50_000, uint64(i))), 50_000, 1)
				if perr != nil {
					t.Error(perr)
					return
				}
				_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{p}, oss.ForbidOverWrite(true))
			}
			var se oss.ServiceError
			switch {
			case err == nil:
				wins.Add(1)
			case errors.As(err, &se) && se.Code == "FileAlreadyExists":
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 || conflicts.Load() != 7 {
		t.Fatalf("wins %d conflicts %d", wins.Load(), conflicts.Load())
	}
}

func callbackHeaders(t *testing.T, u, body, bodyType string, vars map[string]string) []oss.Option {
	cb, _ := json.Marshal(map[string]string{"callbackUrl": u, "callbackBody": body, "callbackBodyType": bodyType})
	opts := []oss.Option{oss.Callback(base64.StdEncoding.EncodeToString(cb))}
	if vars != nil {
		v, _ := json.Marshal(vars)
		opts = append(opts, oss.CallbackVar(base64.StdEncoding.EncodeToString(v)))
	}
	return opts
}

func TestCallback(t *testing.T) {
	var mu sync.Mutex
	var gotBodies []string
	var gotTypes []string
	cbs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		gotBodies = append(gotBodies, string(body))
		gotTypes = append(gotTypes, r.Header.Get("Content-Type"))
		mu.Unlock()
		if r.URL.Path == "/fail" {
			http.Error(w, "nope", 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"Status":"OK"}`))
	}))
	defer cbs.Close()

	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			gotBodies, gotTypes = nil, nil
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			data := randBytes(3000, 41)
			var reply []byte
			opts := callbackHeaders(t, cbs.URL+"/ok", "bucket=${bucket}&object=${object}&size=${size}&etag=${etag}&mime=${mimeType}&who=${x:who}",
				"application/x-www-form-urlencoded", map[string]string{"x:who": "a&b c"})
			if err := b.PutObject("cb/a b.txt", bytes.NewReader(data), append(opts, oss.CallbackResult(&reply))...); err != nil {
				t.Fatalf("put with callback: %v", err)
			}
			if string(reply) != `{"Status":"OK"}` {
				t.Errorf("callback reply %q", reply)
			}
			info, _ := s.Object("", "cb/a b.txt")
			form, err := url.ParseQuery(gotBodies[0])
			if err != nil || form.Get("bucket") != "local" || form.Get("object") != "cb/a b.txt" || form.Get("size") != "3000" ||
				`"`+form.Get("etag")+`"` != info.ETag || form.Get("mime") != "text/plain" || form.Get("who") != "a&b c" {
				t.Errorf("callback body %q", gotBodies[0])
			}
			if gotTypes[0] != "application/x-www-form-urlencoded" {
				t.Errorf("callback content type %q", gotTypes[0])
			}

			// JSON body on CompleteMultipartUpload
			imur, _ := b.InitiateMultipartUpload("cb/multi")
			p, _ := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 1)
			reply = nil
			opts = callbackHeaders(t, cbs.URL+"/ok", `{"object":"${object}","size":${size}}`, "application/json", nil)
			if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p}, append(opts, oss.CallbackResult(&reply))...); err != nil {
				t.Fatalf("complete with callback: %v", err)
			}
			if string(reply) != `{"Status":"OK"}` || gotBodies[1] != `{"object":"cb/multi","size":3000}` {
				t.Errorf("complete callback: reply %q body %q", reply, gotBodies[1])
			}

			// failure: 203 CallbackFailed, object kept
			opts = callbackHeaders(t, cbs.URL+"/fail", "x=${object}", "", nil)
			err = b.PutObject("cb/failed", bytes.NewReader(data), opts...)
			wantCode(t, err, 203, "CallbackFailed")
			if got := mustRead(t, b, "cb/failed"); !bytes.Equal(got, data) {
				t.Error("object not kept after a failed callback")
			}
			// an unreachable first URL falls through to the second
			opts = callbackHeaders(t, "http://127.0.0.1:1/x;"+cbs.URL+"/ok", "x=${object}", "", nil)
			if err := b.PutObject("cb/second", bytes.NewReader(data), opts...); err != nil {
				t.Errorf("second callback URL: %v", err)
			}
			// malformed callback header
			err = b.PutObject("cb/bad", bytes.NewReader(data), oss.Callback("%%%"))
			wantCode(t, err, 400, "InvalidArgument")
		})
	}
}

func TestFaults(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	imur, err := b.InitiateMultipartUpload("f")
	if err != nil {
		t.Fatal(err)
	}
	data := randBytes(300_000, 51)

	// an error reply, twice, then the rule is used up
	s.Inject(Fault{Match: MatchPart(1), Times: 2, Status: 503, Code: "ServiceUnavailable"})
	for range 2 {
		_, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 1)
		wantCode(t, err, 503, "ServiceUnavailable")
	}
	if _, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 1); err != nil {
		t.Fatalf("after the fault was used up: %v", err)
	}
	// other parts were never affected
	if _, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 2); err != nil {
		t.Fatal(err)
	}

	// a connection cut after 100 000 body bytes
	s.ResetCounters()
	remove := s.Inject(Fault{Match: MatchOp(OpUploadPart), CutAfter: 100_000})
	_, err = b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 3)
	var se oss.ServiceError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("want a network error, got %v", err)
	}
	if got := s.BytesReceived(OpUploadPart); got < 100_000 || got > 200_000 {
		t.Errorf("bytes received %d, want about 100000", got)
	}
	if s.Requests(OpUploadPart) != 1 || s.FaultsApplied() != 1 {
		t.Errorf("requests %d faults %d", s.Requests(OpUploadPart), s.FaultsApplied())
	}
	remove()
	for _, u := range s.Uploads("") {
		for _, p := range u.Parts {
			if p.Number == 3 {
				t.Fatal("a cut part was stored")
			}
		}
	}

	// delay
	s.Inject(Fault{Match: MatchOp(OpHeadObject), Times: 1, Delay: 200 * time.Millisecond})
	b.PutObject("d", strings.NewReader("x"))
	start := time.Now()
	if _, err := b.GetObjectDetailedMeta("d"); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < 200*time.Millisecond {
		t.Error("delay not applied")
	}

	// bandwidth: 300 000 bytes at 1 MB/s take about 0.3 s
	s.Inject(Fault{Match: MatchAll(MatchOp(OpUploadPart), MatchKey("f")), Times: 1, Bandwidth: 1_000_000})
	start = time.Now()
	if _, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 4); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Errorf("bandwidth cap not applied (%v)", el)
	}

	// a cut before any body byte, for a HEAD
	// (unlimited: Go's transport retries an idempotent request once on a reused connection)
	s.Inject(Fault{Match: MatchOp(OpGetObjectMeta), CutNow: true})
	if _, err := b.GetObjectMeta("d"); err == nil {
		t.Error("want a network error")
	}
	s.ClearFaults()
	if _, err := b.GetObjectMeta("d"); err != nil {
		t.Fatal(err)
	}
}

func TestDirLock(t *testing.T) {
	dir := t.TempDir()
	s := newServer(t, Options{Dir: dir})
	if _, err := NewServer(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("a second server on the same directory: %v", err)
	}
	s.Close()
	s2, err := NewServer(Options{Dir: dir})
	if err != nil {
		t.Fatalf("after Close the directory is free: %v", err)
	}
	s2.Close()
}

// TestVirtualHostStyle: with a host name endpoint the SDK puts the bucket in
// the Host header (bucket.host:port) instead of the path.
func TestVirtualHostStyle(t *testing.T) {
	s := newServer(t, Options{})
	_, port, _ := strings.Cut(s.Addr(), ":")
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, s.Addr())
	}}}
	defer hc.CloseIdleConnections()
	for _, v := range versions {
		c, err := oss.New("http://oss.test:"+port, s.AccessKeyID, s.AccessKeySecret, append([]oss.ClientOption{oss.HTTPClient(hc)}, v.opts...)...)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := c.Bucket("local")
		if err := b.PutObject("vh/"+v.name, strings.NewReader("hosted")); err != nil {
			t.Fatalf("%s: virtual-hosted put: %v", v.name, err)
		}
		if got := mustRead(t, b, "vh/"+v.name); string(got) != "hosted" {
			t.Fatalf("%s: %q", v.name, got)
		}
		r, err := b.ListObjects(oss.Prefix("vh/"))
		if err != nil || len(r.Objects) == 0 {
			t.Fatalf("%s: list: %+v %v", v.name, r, err)
		}
	}
}

func TestContentMD5(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s, oss.EnableMD5(true))
	data := randBytes(200_000, 71)
	if err := b.PutObject("md5", bytes.NewReader(data)); err != nil {
		t.Fatalf("put with Content-MD5: %v", err)
	}
	imur, _ := b.InitiateMultipartUpload("md5m")
	if _, err := b.UploadPart(imur, bytes.NewReader(data), int64(len(data)), 1); err != nil {
		t.Fatalf("part with Content-MD5: %v", err)
	}
	plain := bucketOf(t, s)
	err := plain.PutObject("md5", bytes.NewReader(data), oss.ContentMD5("1B2M2Y8AsgTpgAmY7PhCfg=="))
	wantCode(t, err, 400, "InvalidDigest")
	if got, _ := s.ReadObject("", "md5"); !bytes.Equal(got, data) {
		t.Fatal("a put with a bad digest replaced the object")
	}
}

// TestCloseEndsDelays: a server closed while requests sit in a long Delay
// fault returns promptly.
func TestCloseEndsDelays(t *testing.T) {
	s, err := NewServer(Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Inject(Fault{Delay: time.Hour})
	b := bucketOf(t, s)
	errc := make(chan error, 1)
	go func() { errc <- b.PutObject("slow", bytes.NewReader(randBytes(300_000, 81))) }()
	for s.FaultsApplied() == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("Close took %v", el)
	}
	if err := <-errc; err == nil {
		t.Fatal("the delayed put succeeded")
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", "example.com:0", ":0"} {
		if _, err := NewServer(Options{Addr: addr}); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("%s: %v", addr, err)
		}
	}
	s := newServer(t, Options{Addr: "0.0.0.0:0", AllowNonLoopback: true})
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
	if _, err := client(t, s).GetBucketInfo(s.Bucket()); err != nil {
		t.Fatal(err)
	}
	s6 := newServer(t, Options{Addr: "[::1]:0"})
	if !strings.HasPrefix(s6.URL, "http://[::1]:") {
		t.Fatalf("URL %s", s6.URL)
	}
}

// TestThrottleFaults: throttling as OSS does it — a refusal with a status and
// x-oss-qos-delay-time, or a request held back and served with the header.
func TestThrottleFaults(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)

	s.Inject(Fault{Match: MatchOp(OpPutObject), Times: 1, Status: 503, Code: "ServiceUnavailable", QoSDelay: 30 * time.Millisecond})
	var h http.Header
	start := time.Now()
	err := b.PutObject("q", strings.NewReader("x"), oss.GetResponseHeader(&h))
	wantCode(t, err, 503, "ServiceUnavailable")
	if got := h.Get(HeaderQoSDelay); got != "30" {
		t.Errorf("%s on the refusal = %q, want 30", HeaderQoSDelay, got)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Error("the refusal was not held for its QoS delay")
	}

	s.Inject(Fault{Match: MatchOp(OpPutObject), Times: 1, QoSDelay: 20 * time.Millisecond,
		Header: http.Header{"X-Test": {"a"}}})
	if err := b.PutObject("q", strings.NewReader("y"), oss.GetResponseHeader(&h)); err != nil {
		t.Fatalf("a held request must still succeed: %v", err)
	}
	if h.Get(HeaderQoSDelay) != "20" || h.Get("X-Test") != "a" || h.Get("ETag") == "" {
		t.Errorf("reply headers of a held request: %v", h)
	}
	if got, _ := s.ReadObject(s.Bucket(), "q"); string(got) != "y" {
		t.Errorf("object = %q, want y", got)
	}

	s.Inject(Fault{Match: MatchOp(OpPutObject), Times: 1, Status: 429, Code: "TooManyRequests"})
	err = b.PutObject("q", strings.NewReader("z"), oss.GetResponseHeader(&h))
	wantCode(t, err, 429, "TooManyRequests")
	if h.Get(HeaderQoSDelay) != "" {
		t.Errorf("no QoS delay was asked for, header says %q", h.Get(HeaderQoSDelay))
	}
}
