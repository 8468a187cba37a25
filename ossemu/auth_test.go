package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

func TestAuthErrors(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			put := func(c *oss.Client, bucket string) error {
				b, _ := c.Bucket(bucket)
				return b.PutObject("k", strings.NewReader("data"))
			}
			unknown, _ := oss.New(s.URL, "LTAIunknown", s.AccessKeySecret, v.opts...)
			se := wantCode(t, put(unknown, s.Bucket()), 403, "InvalidAccessKeyId")
			if !strings.Contains(string(se.RawMessage), "LTAIunknown") {
				t.Errorf("error should name the key id: %s", se.RawMessage)
			}
			wrong, _ := oss.New(s.URL, s.AccessKeyID, "not-the-secret", v.opts...)
			wantCode(t, put(wrong, s.Bucket()), 403, "SignatureDoesNotMatch")
			_, err := wrong.ListBuckets()
			wantCode(t, err, 403, "SignatureDoesNotMatch")
			b, _ := wrong.Bucket(s.Bucket())
			_, err = b.GetObjectDetailedMeta("k") // HEAD: the code travels in x-oss-err
			wantCode(t, err, 403, "SignatureDoesNotMatch")

			good := client(t, s, v.opts...)
			wantCode(t, put(good, "no-such-bucket"), 404, "NoSuchBucket")
			_, err = good.GetBucketInfo("no-such-bucket")
			wantCode(t, err, 404, "NoSuchBucket")

			// the server's clock 16 minutes ahead: the client's Date is too old
			s.SetClockOffset(16 * time.Minute)
			wantCode(t, put(good, s.Bucket()), 403, "RequestTimeTooSkewed")
			s.SetClockOffset(-16 * time.Minute)
			wantCode(t, put(good, s.Bucket()), 403, "RequestTimeTooSkewed")
			s.SetClockOffset(14 * time.Minute)
			if err := put(good, s.Bucket()); err != nil {
				t.Fatalf("14 minutes of skew must be accepted: %v", err)
			}
			s.SetClockOffset(0)

			// credentials can be changed at runtime
			s.SetCredentials("LTAInew", "newsecret")
			wantCode(t, put(good, s.Bucket()), 403, "InvalidAccessKeyId")
			fresh, _ := oss.New(s.URL, "LTAInew", "newsecret", v.opts...)
			if err := put(fresh, s.Bucket()); err != nil {
				t.Fatalf("after SetCredentials: %v", err)
			}
		})
	}
}

func TestSecurityToken(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{SecurityToken: "tok-1"})
			put := func(opts ...oss.ClientOption) error {
				c := client(t, s, append(append([]oss.ClientOption{}, v.opts...), opts...)...)
				b, _ := c.Bucket(s.Bucket())
				return b.PutObject("k", strings.NewReader("data"))
			}
			if err := put(oss.SecurityToken("tok-1")); err != nil {
				t.Fatalf("with token: %v", err)
			}
			wantCode(t, put(), 403, "InvalidAccessKeyId")
			wantCode(t, put(oss.SecurityToken("tok-x")), 403, "InvalidSecurityToken")

			s.SetSecurityToken("tok-1", time.Now().Add(-time.Second))
			wantCode(t, put(oss.SecurityToken("tok-1")), 403, "SecurityTokenExpired")
			// rotation: a new token works, the old one does not
			s.SetSecurityToken("tok-2", time.Now().Add(time.Hour))
			if err := put(oss.SecurityToken("tok-2")); err != nil {
				t.Fatalf("rotated token: %v", err)
			}
			wantCode(t, put(oss.SecurityToken("tok-1")), 403, "InvalidSecurityToken")
		})
	}
}

func TestV4Region(t *testing.T) {
	s := newServer(t, Options{Region: "cn-hangzhou"})
	ok := client(t, s, oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou"))
	if _, err := ok.GetBucketInfo(s.Bucket()); err != nil {
		t.Fatalf("matching region: %v", err)
	}
	bad := client(t, s, oss.AuthVersion(oss.AuthV4), oss.Region("cn-beijing"))
	_, err := bad.GetBucketInfo(s.Bucket())
	wantCode(t, err, 400, "InvalidArgument")
}

type errorDoc struct {
	Code, Message, RequestId, HostId string
}

// TestErrorDocuments checks the raw error replies: XML with Code, Message,
// RequestId and HostId, the same id in x-oss-request-id, and base64 XML in
// x-oss-err for HEAD.
func TestErrorDocuments(t *testing.T) {
	s := newServer(t, Options{})
	for _, method := range []string{"GET", "HEAD", "PUT", "DELETE", "POST"} {
		req, _ := http.NewRequest(method, s.URL+"/"+s.Bucket()+"/k", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("x-oss-request-id")
		if resp.StatusCode != 403 || id == "" {
			t.Fatalf("%s unsigned: %d, request id %q", method, resp.StatusCode, id)
		}
		if method == "HEAD" {
			if len(body) != 0 {
				t.Errorf("HEAD with a body")
			}
			body, err = base64.StdEncoding.DecodeString(resp.Header.Get("x-oss-err"))
			if err != nil {
				t.Fatalf("x-oss-err: %v", err)
			}
		}
		var doc errorDoc
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%s: error body %q: %v", method, body, err)
		}
		if doc.Code != "AccessDenied" || doc.Message == "" || doc.RequestId != id || doc.HostId == "" {
			t.Errorf("%s: error document %+v (header id %s)", method, doc, id)
		}
	}
	// success replies carry a request id too
	b := bucketOf(t, s)
	var h http.Header
	if err := b.PutObject("x", strings.NewReader("y"), oss.GetResponseHeader(&h)); err != nil || h.Get("x-oss-request-id") == "" {
		t.Fatalf("put: %v, headers %v", err, h)
	}
}

func TestParseAuthorization(t *testing.T) {
	for _, h := range []string{"", "OSS", "OSS :sig", "OSS id:", "Bearer x", "OSS4-HMAC-SHA256 Credential=a/b/c,Signature=x",
		"OSS4-HMAC-SHA256 Signature=x", "OSS2 AccessKeyId:a,Signature:b"} {
		if _, e := parseAuthorization(h); e == nil {
			t.Errorf("%q accepted", h)
		}
	}
	a, e := parseAuthorization("OSS4-HMAC-SHA256 Credential=AK/20240101/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host;range,Signature=abc")
	if e != nil || a.keyID != "AK" || a.day != "20240101" || a.region != "cn-hangzhou" || a.signature != "abc" || len(a.additional) != 2 {
		t.Fatalf("parsed %+v %v", a, e)
	}
}

func httpGet(t *testing.T, u string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	code := ""
	if resp.StatusCode >= 300 {
		var doc errorDoc
		xml.Unmarshal(body, &doc)
		code = doc.Code
	}
	return resp.StatusCode, code, body
}

// TestPresignedURLs: URLs from the SDK's SignURL work in a plain HTTP client
// until they expire, and tampering is caught.
func TestPresignedURLs(t *testing.T) {
	for _, v := range versions {
		for _, token := range []string{"", "sts-token"} {
			t.Run(v.name+"/token="+token, func(t *testing.T) {
				s := newServer(t, Options{SecurityToken: token})
				opts := append([]oss.ClientOption{}, v.opts...)
				if token != "" {
					opts = append(opts, oss.SecurityToken(token))
				}
				b := bucketOf(t, s, opts...)
				if err := b.PutObject("share/a b+c.txt", strings.NewReader("shared")); err != nil {
					t.Fatal(err)
				}
				u, err := b.SignURL("share/a b+c.txt", oss.HTTPGet, 60)
				if err != nil {
					t.Fatal(err)
				}
				if code, _, body := httpGet(t, u); code != 200 || string(body) != "shared" {
					t.Fatalf("GET %s: %d %q", u, code, body)
				}
				if code, ec, _ := httpGet(t, strings.Replace(u, "a%20b", "a%20c", 1)); code != 403 || ec != "SignatureDoesNotMatch" {
					t.Errorf("tampered URL: %d %s", code, ec)
				}
				// upload through a signed PUT URL
				pu, err := b.SignURL("share/up.txt", oss.HTTPPut, 60)
				if err != nil {
					t.Fatal(err)
				}
				if err := b.PutObjectWithURL(pu, strings.NewReader("via url")); err != nil {
					t.Fatalf("PutObjectWithURL: %v", err)
				}
				if got, _ := s.ReadObject("", "share/up.txt"); string(got) != "via url" {
					t.Fatalf("signed PUT stored %q", got)
				}
				// expiry
				s.SetClockOffset(2 * time.Minute)
				if code, ec, _ := httpGet(t, u); code != 403 || ec != "AccessDenied" {
					t.Errorf("expired URL: %d %s", code, ec)
				}
			})
		}
	}
}

func TestPublicReadACL(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	b.PutObject("pub", strings.NewReader("open"), oss.ObjectACL(oss.ACLPublicRead))
	b.PutObject("priv", strings.NewReader("closed"))
	if code, _, body := httpGet(t, s.URL+"/local/pub"); code != 200 || string(body) != "open" {
		t.Errorf("public-read object: %d %q", code, body)
	}
	if code, ec, _ := httpGet(t, s.URL+"/local/priv"); code != 403 || ec != "AccessDenied" {
		t.Errorf("private object: %d %s", code, ec)
	}
	req, _ := http.NewRequest("PUT", s.URL+"/local/pub", strings.NewReader("overwrite"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("anonymous PUT over a public-read object: %d", resp.StatusCode)
	}
}

// TestV4AdditionalHeaders: V4 may sign extra headers, including Host (which
// net/http keeps outside the header map).
func TestV4AdditionalHeaders(t *testing.T) {
	s := newServer(t, Options{})
	c := client(t, s, oss.AuthVersion(oss.AuthV4), oss.Region("cn-hangzhou"), oss.AdditionalHeaders([]string{"host", "User-Agent"}))
	b, _ := c.Bucket(s.Bucket())
	if err := b.PutObject("ah", strings.NewReader("x")); err != nil {
		t.Fatalf("put: %v", err)
	}
	if _, err := b.GetObjectDetailedMeta("ah"); err != nil {
		t.Fatalf("head: %v", err)
	}
}
