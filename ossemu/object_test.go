package ossemu

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
)

func TestCRCCombine(t *testing.T) {
	data := randBytes(300_000, 1)
	if got := crcOf([]byte("123456789")); got != 0x995DC9BBDF1939FA {
		t.Fatalf("check value: %x", got)
	}
	for _, cut := range []int{0, 1, 1000, 150_000, 299_999, 300_000} {
		a, b := data[:cut], data[cut:]
		if got, want := crc64ecma.Combine(crcOf(a), crcOf(b), int64(len(b))), crcOf(data); got != want {
			t.Errorf("cut %d: combine %d, want %d", cut, got, want)
		}
		if got, want := crc64ecma.Combine(crcOf(a), crcOf(b), int64(len(b))), oss.CRC64Combine(crcOf(a), crcOf(b), uint64(len(b))); got != want {
			t.Errorf("cut %d: combine %d, SDK says %d", cut, got, want)
		}
	}
}

func TestObjectRoundTrip(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			data := randBytes(123_457, 2)
			var h http.Header
			err := b.PutObject("dir/a b+c.txt", bytes.NewReader(data),
				oss.Meta("Color", "blue"), oss.ObjectACL(oss.ACLPublicRead), oss.ObjectStorageClass(oss.StorageIA),
				oss.GetResponseHeader(&h))
			if err != nil {
				t.Fatalf("PutObject: %v", err)
			}
			sum := md5.Sum(data)
			wantETag := `"` + strings.ToUpper(hex.EncodeToString(sum[:])) + `"`
			if h.Get("ETag") != wantETag {
				t.Errorf("ETag %s, want %s", h.Get("ETag"), wantETag)
			}
			if crcHeader(t, h) != crcOf(data) {
				t.Errorf("put CRC %d, want %d", crcHeader(t, h), crcOf(data))
			}
			if h.Get("X-Oss-Request-Id") == "" {
				t.Error("no request id")
			}

			meta, err := b.GetObjectDetailedMeta("dir/a b+c.txt")
			if err != nil {
				t.Fatalf("HeadObject: %v", err)
			}
			if meta.Get("Content-Length") != "123457" || meta.Get("ETag") != wantETag || crcHeader(t, meta) != crcOf(data) {
				t.Errorf("head: %v", meta)
			}
			if meta.Get("Content-Type") != "text/plain" || meta.Get("X-Oss-Meta-Color") != "blue" ||
				meta.Get("X-Oss-Object-Acl") != "public-read" || meta.Get("X-Oss-Storage-Class") != "IA" ||
				meta.Get("X-Oss-Object-Type") != "Normal" || meta.Get("Last-Modified") == "" {
				t.Errorf("head attributes: %v", meta)
			}
			short, err := b.GetObjectMeta("dir/a b+c.txt")
			if err != nil || short.Get("ETag") != wantETag || short.Get("Content-Length") != "123457" {
				t.Errorf("GetObjectMeta: %v %v", short, err)
			}

			if got := mustRead(t, b, "dir/a b+c.txt"); !bytes.Equal(got, data) {
				t.Fatal("GET body differs")
			}
			var rh http.Header
			rc, err := b.GetObject("dir/a b+c.txt", oss.Range(1000, 1999), oss.GetResponseHeader(&rh))
			if err != nil {
				t.Fatalf("range GET: %v", err)
			}
			var part bytes.Buffer
			part.ReadFrom(rc)
			rc.Close()
			if !bytes.Equal(part.Bytes(), data[1000:2000]) {
				t.Error("range body differs")
			}
			if rh.Get("Content-Range") != "bytes 1000-1999/123457" {
				t.Errorf("Content-Range %q", rh.Get("Content-Range"))
			}
			path := t.TempDir() + "/out"
			if err := b.GetObjectToFile("dir/a b+c.txt", path); err != nil {
				t.Fatalf("GetObjectToFile (checks CRC): %v", err)
			}

			exists, err := b.IsObjectExist("dir/a b+c.txt")
			if err != nil || !exists {
				t.Fatalf("IsObjectExist: %v %v", exists, err)
			}
			if err := b.DeleteObject("dir/a b+c.txt"); err != nil {
				t.Fatalf("DeleteObject: %v", err)
			}
			exists, err = b.IsObjectExist("dir/a b+c.txt")
			if err != nil || exists {
				t.Fatalf("after delete IsObjectExist: %v %v", exists, err)
			}
			_, err = b.GetObject("dir/a b+c.txt")
			wantCode(t, err, 404, "NoSuchKey")
			_, err = b.GetObjectDetailedMeta("dir/a b+c.txt")
			wantCode(t, err, 404, "NoSuchKey") // from x-oss-err on HEAD
			if err := b.DeleteObject("never-there"); err != nil {
				t.Fatalf("deleting an absent key: %v", err)
			}
		})
	}
}

// signedRequest builds a raw V1-signed request, to look at statuses the SDK hides.
func signedRequest(t *testing.T, s *Server, method, path string, hdr map[string]string) *http.Request {
	return signedRequestBody(t, s, method, path, hdr, nil)
}

func signedRequestBody(t *testing.T, s *Server, method, path string, hdr map[string]string, body []byte) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	bucket, key := s.route(req)
	sts := stringToSignV1(req, req.Header.Get("Date"), bucket, key, parseQuery(req.URL.RawQuery))
	req.Header.Set("Authorization", "OSS "+s.AccessKeyID+":"+signV1(s.AccessKeySecret, sts))
	return req
}

func TestRangeStatus(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	data := randBytes(5000, 3)
	if err := b.PutObject("r", bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rng      string
		standard bool
		status   int
		body     []byte
		code     string
	}{
		{"bytes=10-19", false, 206, data[10:20], ""},
		{"bytes=4990-", false, 206, data[4990:], ""},
		{"bytes=-5", false, 206, data[4995:], ""},
		{"", false, 200, data, ""},
		{"bytes=10-19,30-39", false, 206, data[10:20], ""}, // only the first range counts
		// OSS ignores a range not wholly inside the object...
		{"bytes=6000-7000", false, 200, data, ""},
		{"bytes=4990-5000", false, 200, data, ""},
		{"bytes=-6000", false, 200, data, ""},
		{"byte=0-1", false, 200, data, ""},
		{"bytes=9-3", false, 200, data, ""},
		// ...unless asked for standard behaviour
		{"bytes=6000-7000", true, 416, nil, "InvalidRange"},
		{"bytes=5000-", true, 416, nil, "InvalidRange"},
		{"bytes=4990-5000", true, 206, data[4990:], ""},
		{"bytes=-6000", true, 206, data, ""},
		{"bytes=10-19", true, 206, data[10:20], ""},
	} {
		hdr := map[string]string{"Range": tc.rng}
		if tc.standard {
			hdr["x-oss-range-behavior"] = "standard"
		}
		req := signedRequest(t, s, "GET", "/local/r", hdr)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%q standard=%v: status %d, want %d (%.200q)", tc.rng, tc.standard, resp.StatusCode, tc.status, body)
			continue
		}
		if tc.code != "" {
			var doc errorDoc
			if err := xml.Unmarshal(body, &doc); err != nil || doc.Code != tc.code {
				t.Errorf("%q: error body %q", tc.rng, body)
			}
			continue
		}
		if !bytes.Equal(body, tc.body) || crcHeader(t, resp.Header) != crcOf(data) {
			t.Errorf("%q: %d bytes, headers %v", tc.rng, len(body), resp.Header)
		}
	}
}

func TestEmptyObject(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	if err := b.PutObject("empty", bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "empty"); len(got) != 0 {
		t.Fatalf("got %d bytes", len(got))
	}
	info, ok := s.Object("", "empty")
	if !ok || info.ETag != `"D41D8CD98F00B204E9800998ECF8427E"` || info.CRC64 != 0 {
		t.Fatalf("empty object info %+v", info)
	}
}

func TestStandardHeaders(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			opts := []oss.Option{oss.ContentDisposition(`attachment; filename="r.pdf"`), oss.CacheControl("no-cache"), oss.ContentEncoding("identity"), oss.ContentLanguage("de")}
			if err := b.PutObject("h", strings.NewReader("x"), opts...); err != nil {
				t.Fatal(err)
			}
			imur, _ := b.InitiateMultipartUpload("hm", opts...)
			p, _ := b.UploadPart(imur, strings.NewReader("y"), 1, 1)
			if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p}); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"h", "hm"} {
				h, err := b.GetObjectDetailedMeta(k)
				if err != nil || h.Get("Content-Disposition") != `attachment; filename="r.pdf"` || h.Get("Cache-Control") != "no-cache" ||
					h.Get("Content-Language") != "de" || h.Get("Content-Encoding") != "identity" {
					t.Errorf("%s: %v %v", k, h, err)
				}
			}
			var rh http.Header
			rc, err := b.GetObject("h", oss.ResponseContentDisposition("inline"), oss.ResponseContentType("text/x-over"), oss.GetResponseHeader(&rh))
			if err != nil {
				t.Fatal(err)
			}
			rc.Close()
			if rh.Get("Content-Disposition") != "inline" || rh.Get("Content-Type") != "text/x-over" {
				t.Errorf("response overrides: %v", rh)
			}
			if info, _ := s.Object("", "h"); info.Headers["Cache-Control"] != "no-cache" {
				t.Errorf("info %+v", info)
			}
		})
	}
}
