package ossemu

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzCompleteBody: any Complete document is either refused with an OSS
// error or yields parts in strictly ascending order within 1..10000.
func FuzzCompleteBody(f *testing.F) {
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>"ABC"</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<CompleteMultipartUpload><Part><PartNumber>99999999999999999999</PartNumber></Part></CompleteMultipartUpload>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CompleteMultipartUpload>&a;</CompleteMultipartUpload>`))
	f.Add([]byte(`<Other/>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		cb, e := parseCompleteBody(data)
		if e != nil {
			if e.status != http.StatusBadRequest || e.code == "" {
				t.Fatalf("bad error %v", e)
			}
			return
		}
		prev := 0
		for _, p := range cb.Parts {
			if p.PartNumber <= prev || p.PartNumber > maxPartNumber {
				t.Fatalf("accepted parts out of order or range: %+v", cb.Parts)
			}
			prev = p.PartNumber
		}
		if len(cb.Parts) == 0 {
			t.Fatal("accepted an empty part list")
		}
	})
}

// FuzzAuthorization: parsing any Authorization header, and rebuilding the
// string to sign for any request shape, never panics, and a forged
// signature never verifies.
func FuzzAuthorization(f *testing.F) {
	f.Add("OSS AK:c2lnbmF0dXJl", "PUT", "/local/a%2Fb", "uploadId=1&partNumber=2", "x-oss-meta-a", " v ")
	f.Add("OSS4-HMAC-SHA256 Credential=AK/20240101/cn-hangzhou/oss/aliyun_v4_request,AdditionalHeaders=host,Signature=00", "GET", "/", "uploads", "Content-Type", "a/b")
	f.Add("OSS4-HMAC-SHA256 Credential=AK/x/y/z/aliyun_v4_request,Signature=", "HEAD", "/b/%00", "a=%zz&&=&b", "X-Oss-Date", "20240101T000000Z")
	f.Add("OSS2 AccessKeyId:x", "POST", "//", "", "", "")
	f.Add("", "GET", "/local/k", "OSSAccessKeyId=AK&Expires=99999999999&Signature=x&security-token=t", "", "")
	f.Add("", "GET", "/local/k", "x-oss-signature-version=OSS4-HMAC-SHA256&x-oss-credential=AK%2F20240101%2Fr%2Foss%2Faliyun_v4_request&x-oss-date=20240101T000000Z&x-oss-expires=999999999999&x-oss-signature=00", "", "")
	s := &Server{AccessKeyID: "AK", AccessKeySecret: "secret"}
	f.Fuzz(func(t *testing.T, auth, method, path, query, hname, hval string) {
		a, e := parseAuthorization(auth)
		if e == nil && (a.keyID == "" || a.signature == "") {
			t.Fatalf("accepted %q without id or signature", auth)
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = method
		r.URL.Path = path
		r.URL.RawQuery = query
		r.Header.Set("Authorization", auth)
		r.Header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
		if hname != "" && !strings.ContainsAny(hname, "\r\n:") {
			r.Header[hname] = []string{hval}
		}
		q := parseQuery(query)
		bucket, key := s.route(r)
		_ = stringToSignV1(r, r.Header.Get("Date"), bucket, key, q)
		_ = canonicalRequestV4(r, bucket, key, q, a.additional)
		if err := s.authenticate(r, bucket, key, q); err == nil {
			t.Fatalf("forged request authenticated: %q", auth)
		}
	})
}

// FuzzKey: valid keys map to a fixed-shape file name inside the bucket, and
// the listing encoding round-trips through the SDK's decoding.
func FuzzKey(f *testing.F) {
	for _, k := range []string{"a", "../../x", "/abs", "nul\x00", "ü/ö", strings.Repeat("x", 1024), "a+b c%2F", "\\\\server\\share", "C:\\x", "."} {
		f.Add(k)
	}
	root := filepath.Join(string(filepath.Separator)+"data", "buckets", "local")
	b := &bucket{dir: root}
	f.Fuzz(func(t *testing.T, key string) {
		if why := validKey(key); why != "" {
			return
		}
		p := b.metaPath(key)
		rel, err := filepath.Rel(root, p)
		if err != nil || strings.HasPrefix(rel, "..") || len(filepath.Base(p)) != 64+len(".json") {
			t.Fatalf("key %q maps to %q", key, p)
		}
		dec, err := url.QueryUnescape(urlEncode(key))
		if err != nil || dec != key {
			t.Fatalf("key %q encodes to %q, decodes to %q (%v)", key, urlEncode(key), dec, err)
		}
	})
}
