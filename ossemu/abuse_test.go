package ossemu

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// Hostile and malformed clients: every case runs with bounded counts and
// times, on loopback only.

// rawConn opens a TCP connection to s that the test closes.
func rawConn(t testing.TB, s *Server) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedWithin reports whether the server closes c (EOF or reset) within d,
// reading and discarding whatever it sends meanwhile.
func closedWithin(c net.Conn, d time.Duration) bool {
	c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

func TestV1WithXOSSDateOnly(t *testing.T) {
	s := newServer(t, Options{})
	if err := bucketOf(t, s).PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(http.TimeFormat)
	sign := func(date string) *http.Request {
		req, _ := http.NewRequest("GET", s.URL+"/local/k", nil)
		req.Header.Set("x-oss-date", now)
		sts := stringToSignV1(req, date, "local", "k", nil)
		req.Header.Set("Authorization", "OSS "+s.AccessKeyID+":"+signV1(s.AccessKeySecret, sts))
		return req
	}
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
	}{
		// what ali-oss and browsers send: x-oss-date, signed in the Date line
		{"x-oss-date signed", sign(now), 200},
		{"Date line empty", sign(""), 403},
		{"wrong date signed", sign("Mon, 01 Jan 2024 00:00:00 GMT"), 403},
	} {
		resp, err := http.DefaultClient.Do(tc.req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, resp.StatusCode, tc.status, body)
		}
	}
	// neither header: refused with a reason
	req, _ := http.NewRequest("GET", s.URL+"/local/k", nil)
	req.Header.Set("Authorization", "OSS "+s.AccessKeyID+":xxxx")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || !bytes.Contains(body, []byte("x-oss-date")) {
		t.Fatalf("no date: %d %s", resp.StatusCode, body)
	}
	// a stale x-oss-date is refused even if Date is fresh
	req = sign(now)
	old := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	req.Header.Set("x-oss-date", old)
	req.Header.Set("Date", now)
	sts := stringToSignV1(req, now, "local", "k", nil)
	req.Header.Set("Authorization", "OSS "+s.AccessKeyID+":"+signV1(s.AccessKeySecret, sts))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("stale x-oss-date: status %d", resp.StatusCode)
	}
}

func TestPresignV4LimitedToSevenDays(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s, versions[1].opts...)
	if err := b.PutObject("k", strings.NewReader("v")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		secs   int64
		status int
	}{{604800, 200}, {604801, 400}} {
		u, err := b.SignURL("k", "GET", tc.secs)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Fatalf("expires %d: status %d, want %d: %s", tc.secs, resp.StatusCode, tc.status, body)
		}
	}
}

// An error reply to a request that waits for "100 Continue" must come at
// once, without the client sending its body or waiting for its timeout
// (10 s here: the 5 s bound leaves room for a loaded machine).
func TestExpectContinueEarlyReply(t *testing.T) {
	s := newServer(t, Options{})
	for _, tc := range []struct {
		name string
		auth func(req *http.Request)
		code string
	}{
		{"unsigned", func(*http.Request) {}, "AccessDenied"},
		{"bad signature", func(req *http.Request) {
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			req.Header.Set("Authorization", "OSS "+s.AccessKeyID+":bad")
		}, "SignatureDoesNotMatch"},
		{"no such bucket", func(req *http.Request) {
			req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
			sts := stringToSignV1(req, req.Header.Get("Date"), "nobucket", "k", nil)
			req.Header.Set("Authorization", "OSS "+s.AccessKeyID+":"+signV1(s.AccessKeySecret, sts))
		}, "NoSuchBucket"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/local/k"
			if tc.code == "NoSuchBucket" {
				path = "/nobucket/k"
			}
			req, _ := http.NewRequest("PUT", s.URL+path, nil)
			tc.auth(req)
			c := rawConn(t, s)
			var hdr bytes.Buffer
			fmt.Fprintf(&hdr, "PUT %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 10485760\r\nExpect: 100-continue\r\n", path, s.Addr())
			for k, vs := range req.Header {
				fmt.Fprintf(&hdr, "%s: %s\r\n", k, vs[0])
			}
			hdr.WriteString("\r\n")
			start := time.Now()
			if _, err := c.Write(hdr.Bytes()); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatalf("no reply: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if took := time.Since(start); took > 5*time.Second {
				t.Fatalf("reply took %v", took)
			}
			if resp.StatusCode == http.StatusContinue || !bytes.Contains(body, []byte("<Code>"+tc.code+"</Code>")) {
				t.Fatalf("reply %d %s", resp.StatusCode, body)
			}
		})
	}

	// and through Go's client, which waits up to ExpectContinueTimeout
	tr := &http.Transport{ExpectContinueTimeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequest("PUT", s.URL+"/local/k", bytes.NewReader(make([]byte, 1<<20)))
	req.Header.Set("Expect", "100-continue")
	start := time.Now()
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if took := time.Since(start); took > 5*time.Second || resp.StatusCode != 403 {
		t.Fatalf("Go client: %d after %v", resp.StatusCode, took)
	}
}

func TestHeaderLimits(t *testing.T) {
	s := newServer(t, Options{headerTimeout: 500 * time.Millisecond})

	t.Run("too large", func(t *testing.T) {
		c := rawConn(t, s)
		fmt.Fprintf(c, "GET /local/k HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 64<<10))
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("trickled", func(t *testing.T) {
		c := rawConn(t, s)
		fmt.Fprintf(c, "GET /local/k HTTP/1.1\r\nHost: x\r\n")
		done := make(chan struct{})
		go func() {
			defer close(done)
			for i := 0; i < 40; i++ {
				if _, err := fmt.Fprintf(c, "X-%d: y\r\n", i); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		if !closedWithin(c, 3*time.Second) {
			t.Fatal("connection trickling headers still open after 3 s")
		}
		c.Close()
		<-done
	})
	t.Run("silent", func(t *testing.T) {
		c := rawConn(t, s)
		if !closedWithin(c, 3*time.Second) {
			t.Fatal("silent connection still open after 3 s")
		}
	})
}

// A rejected request's body is drained only briefly: a client trickling it
// is cut off after the drain timeout.
func TestRejectedBodyTrickle(t *testing.T) {
	s := newServer(t, Options{drainTimeout: 500 * time.Millisecond})
	c := rawConn(t, s)
	fmt.Fprintf(c, "PUT /local/k HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := c.Write([]byte("x")); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	start := time.Now()
	if !closedWithin(c, 5*time.Second) {
		t.Fatal("connection trickling a rejected body still open after 5 s")
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("closed only after %v", took)
	}
}

// A rejected upload with a large body still gets its error reply cleanly
// over loopback: the body is drained (in time), so the v1 SDK, which races
// with itself when a reply comes while it is still sending, sees the 403.
func TestRejectedLargeUpload(t *testing.T) {
	s := newServer(t, Options{})
	c, err := oss.New(s.URL, s.AccessKeyID, "wrong")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.Bucket("local")
	err = b.PutObject("k", bytes.NewReader(make([]byte, 4<<20)))
	wantCode(t, err, 403, "SignatureDoesNotMatch")
}

func TestXMLLimits(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	imur, err := b.InitiateMultipartUpload("k")
	if err != nil {
		t.Fatal(err)
	}
	post := func(path string, body []byte) (int, []byte) {
		req := signedRequestBody(t, s, "POST", path, nil, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}
	deep := []byte(strings.Repeat("<a>", 100000) + strings.Repeat("</a>", 100000))
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for _, tc := range []struct {
		name, path string
		body       []byte
	}{
		{"deep complete", "/local/k?uploadId=" + imur.UploadID, append([]byte("<CompleteMultipartUpload>"), deep...)},
		{"deep delete", "/local/?delete", append([]byte("<Delete>"), deep...)},
		{"huge delete", "/local/?delete", []byte("<Delete>" + strings.Repeat("<Object><Key>k</Key></Object>", 100000) + "</Delete>")},
		{"entity", "/local/?delete", []byte(`<!DOCTYPE d [<!ENTITY a "aaaa">]><Delete><Object><Key>&a;</Key></Object></Delete>`)},
		{"not xml", "/local/?delete", []byte("{}")},
	} {
		status, out := post(tc.path, tc.body)
		if status != 400 || !bytes.Contains(out, []byte("MalformedXML")) {
			t.Errorf("%s: %d %s", tc.name, status, out)
		}
	}
	// restore and tagging documents too
	if err := b.PutObject("obj", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/local/obj?tagging", "/local/obj?restore"} {
		method := "PUT"
		if strings.HasSuffix(path, "restore") {
			method = "POST"
		}
		req := signedRequestBody(t, s, method, path, nil, []byte("<Tagging>"+string(deep)))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !bytes.Contains(out, []byte("MalformedXML")) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, out)
		}
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 64<<20 {
		t.Errorf("heap grew by %d MiB parsing hostile documents", grew>>20)
	}
}

// A chunked body whose connection is cut before its last chunk is not an
// object, whatever it held so far: small (one buffer) or not.
func TestChunkedBodyCutShort(t *testing.T) {
	s := newServer(t, Options{})
	for _, n := range []int{5, bufSize + 100} {
		key := "cut" + strconv.Itoa(n)
		date := time.Now().UTC().Format(http.TimeFormat)
		req, _ := http.NewRequest("PUT", s.URL+"/local/"+key, nil)
		req.Header.Set("Date", date)
		sig := signV1(s.AccessKeySecret, stringToSignV1(req, date, "local", key, nil))
		c := rawConn(t, s)
		fmt.Fprintf(c, "PUT /local/%s HTTP/1.1\r\nHost: %s\r\nDate: %s\r\nAuthorization: OSS %s:%s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
			key, s.Addr(), date, s.AccessKeyID, sig, n)
		if _, err := c.Write(bytes.Repeat([]byte{'x'}, n)); err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("\r\n")) // the chunk ends; the last (empty) chunk never comes
		for deadline := time.Now().Add(5 * time.Second); s.BytesReceived(OpPutObject) < int64(n) && time.Now().Before(deadline); {
			time.Sleep(time.Millisecond)
		}
		c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := s.WaitIdle(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if info, ok := s.Object("", key); ok {
			t.Errorf("%d bytes then a cut connection stored as an object of %d bytes", n, info.Size)
		}
	}
}
