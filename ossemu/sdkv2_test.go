package ossemu_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossdrop/ossdrop/ossemu"
	"github.com/ossdrop/ossdrop/ossemu/ossemutest"
)

// The official Go SDK v2 against the local server: every operation a user's
// tools are likely to send, under both signature versions. Each case checks
// the reply's content, not just the absence of an error.

type v2env struct {
	t      *testing.T
	ctx    context.Context
	c      *oss.Client
	s      *ossemu.Server
	bucket string
	hc     *http.Client
}

func newV2(t *testing.T, s *ossemu.Server, version oss.SignatureVersionType) *v2env {
	t.Helper()
	tr := &http.Transport{}
	hc := &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	cfg := oss.LoadDefaultConfig().
		WithCredentialsProvider(credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.AccessKeySecret)).
		WithEndpoint(s.URL).
		WithRegion("cn-hangzhou").
		WithUsePathStyle(true).
		WithSignatureVersion(version).
		WithRetryMaxAttempts(1).
		WithHttpClient(hc)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return &v2env{t: t, ctx: ctx, c: oss.NewClient(cfg), s: s, bucket: s.Bucket(), hc: hc}
}

func (e *v2env) must(err error, what string) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

// wantV2Error asserts err is an OSS service error with this status and code.
func wantV2Error(t *testing.T, err error, status int, code string) {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("want OSS error %d %s, got %v", status, code, err)
	}
	if se.StatusCode != status || se.Code != code {
		t.Fatalf("want OSS error %d %s, got %d %s (%s)", status, code, se.StatusCode, se.Code, se.Message)
	}
	if se.RequestID == "" {
		t.Fatalf("error %s carries no request id", code)
	}
}

func (e *v2env) put(key string, data []byte, mods ...func(*oss.PutObjectRequest)) *oss.PutObjectResult {
	e.t.Helper()
	req := &oss.PutObjectRequest{Bucket: &e.bucket, Key: &key, Body: bytes.NewReader(data)}
	for _, m := range mods {
		m(req)
	}
	r, err := e.c.PutObject(e.ctx, req)
	e.must(err, "PutObject "+key)
	return r
}

func (e *v2env) get(key string, mods ...func(*oss.GetObjectRequest)) ([]byte, *oss.GetObjectResult) {
	e.t.Helper()
	req := &oss.GetObjectRequest{Bucket: &e.bucket, Key: &key}
	for _, m := range mods {
		m(req)
	}
	r, err := e.c.GetObject(e.ctx, req)
	e.must(err, "GetObject "+key)
	defer r.Body.Close()
	data, err := io.ReadAll(r.Body)
	e.must(err, "read "+key)
	return data, r
}

func crc(b []byte) uint64 { return crc64.Checksum(b, crc64.MakeTable(crc64.ECMA)) }

func payload(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

var v2Cases = []struct {
	name string
	run  func(e *v2env)
}{
	{"ListBuckets", func(e *v2env) {
		p := e.c.NewListBucketsPaginator(&oss.ListBucketsRequest{})
		var names []string
		for p.HasNext() {
			page, err := p.NextPage(e.ctx)
			e.must(err, "ListBuckets")
			for _, b := range page.Buckets {
				names = append(names, oss.ToString(b.Name))
			}
		}
		if strings.Join(names, ",") != "local,other" {
			e.t.Fatalf("buckets %v", names)
		}
	}},
	{"GetBucketInfo", func(e *v2env) {
		r, err := e.c.GetBucketInfo(e.ctx, &oss.GetBucketInfoRequest{Bucket: &e.bucket})
		e.must(err, "GetBucketInfo")
		if oss.ToString(r.BucketInfo.Name) != e.bucket {
			e.t.Fatalf("name %q", oss.ToString(r.BucketInfo.Name))
		}
	}},
	{"GetBucketLocation", func(e *v2env) {
		r, err := e.c.GetBucketLocation(e.ctx, &oss.GetBucketLocationRequest{Bucket: &e.bucket})
		e.must(err, "GetBucketLocation")
		if oss.ToString(r.LocationConstraint) == "" {
			e.t.Fatal("empty location")
		}
	}},
	{"GetBucketStat", func(e *v2env) {
		e.put("stat/a", payload(100, 1))
		e.put("stat/b", payload(50, 2), func(r *oss.PutObjectRequest) { r.StorageClass = oss.StorageClassIA })
		r, err := e.c.GetBucketStat(e.ctx, &oss.GetBucketStatRequest{Bucket: &e.bucket})
		e.must(err, "GetBucketStat")
		if r.ObjectCount != 2 || r.Storage != 150 || r.StandardStorage != 100 || r.InfrequentAccessStorage != 50 {
			e.t.Fatalf("stat %+v", r)
		}
	}},
	{"GetBucketAcl", func(e *v2env) {
		r, err := e.c.GetBucketAcl(e.ctx, &oss.GetBucketAclRequest{Bucket: &e.bucket})
		e.must(err, "GetBucketAcl")
		if oss.ToString(r.ACL) != "private" {
			e.t.Fatalf("acl %q", oss.ToString(r.ACL))
		}
	}},
	{"IsBucketExist", func(e *v2env) {
		ok, err := e.c.IsBucketExist(e.ctx, e.bucket)
		if err != nil || !ok {
			e.t.Fatalf("existing bucket: %v %v", ok, err)
		}
		ok, err = e.c.IsBucketExist(e.ctx, "no-such-bucket")
		if err != nil || ok {
			e.t.Fatalf("missing bucket: %v %v", ok, err)
		}
	}},
	{"NoSuchBucketBefore501", func(e *v2env) {
		_, err := e.c.GetBucketAcl(e.ctx, &oss.GetBucketAclRequest{Bucket: oss.Ptr("no-such-bucket")})
		wantV2Error(e.t, err, 404, "NoSuchBucket")
		_, err = e.c.GetBucketCors(e.ctx, &oss.GetBucketCorsRequest{Bucket: oss.Ptr("no-such-bucket")})
		wantV2Error(e.t, err, 404, "NoSuchBucket")
		_, err = e.c.GetBucketCors(e.ctx, &oss.GetBucketCorsRequest{Bucket: &e.bucket})
		wantV2Error(e.t, err, 501, "NotImplemented")
	}},
	{"PutGetObject", func(e *v2env) {
		data := payload(300<<10, 3)
		r := e.put("dir/obj one+two.bin", data, func(r *oss.PutObjectRequest) {
			r.Metadata = map[string]string{"owner": "me"}
			r.ContentType = oss.Ptr("text/plain")
			r.CacheControl = oss.Ptr("no-cache")
		})
		if oss.ToString(r.HashCRC64) != strconv.FormatUint(crc(data), 10) {
			e.t.Fatalf("put crc %q", oss.ToString(r.HashCRC64))
		}
		got, gr := e.get("dir/obj one+two.bin")
		if !bytes.Equal(got, data) || gr.Metadata["owner"] != "me" || oss.ToString(gr.ContentType) != "text/plain" || gr.Headers.Get("Cache-Control") != "no-cache" {
			e.t.Fatalf("get: %d bytes, meta %v, type %q", len(got), gr.Metadata, oss.ToString(gr.ContentType))
		}
	}},
	{"GetObjectRange", func(e *v2env) {
		data := payload(1000, 4)
		e.put("r", data)
		got, r := e.get("r", func(r *oss.GetObjectRequest) { r.Range = oss.Ptr("bytes=10-19") })
		if !bytes.Equal(got, data[10:20]) || r.StatusCode != 206 {
			e.t.Fatalf("range: %d %q", r.StatusCode, got)
		}
	}},
	{"GetObjectRangeOutside", func(e *v2env) {
		data := payload(1000, 5)
		e.put("r", data)
		got, r := e.get("r", func(r *oss.GetObjectRequest) { r.Range = oss.Ptr("bytes=1000-2000") })
		if !bytes.Equal(got, data) || r.StatusCode != 200 {
			e.t.Fatalf("out-of-range: status %d, %d bytes", r.StatusCode, len(got))
		}
		got, r = e.get("r", func(r *oss.GetObjectRequest) {
			r.Range = oss.Ptr("bytes=500-2000")
			r.RangeBehavior = oss.Ptr("standard")
		})
		if !bytes.Equal(got, data[500:]) || r.StatusCode != 206 {
			e.t.Fatalf("standard clamp: status %d, %d bytes", r.StatusCode, len(got))
		}
		_, err := e.c.GetObject(e.ctx, &oss.GetObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("r"), Range: oss.Ptr("bytes=1000-2000"), RangeBehavior: oss.Ptr("standard")})
		wantV2Error(e.t, err, 416, "InvalidRange")
	}},
	{"HeadObject", func(e *v2env) {
		data := payload(777, 6)
		e.put("h", data)
		r, err := e.c.HeadObject(e.ctx, &oss.HeadObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("h")})
		e.must(err, "HeadObject")
		if r.ContentLength != 777 || oss.ToString(r.HashCRC64) != strconv.FormatUint(crc(data), 10) || oss.ToString(r.ObjectType) != "Normal" {
			e.t.Fatalf("head %+v", r)
		}
		_, err = e.c.HeadObject(e.ctx, &oss.HeadObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("absent")})
		wantV2Error(e.t, err, 404, "NoSuchKey")
	}},
	{"GetObjectMeta", func(e *v2env) {
		e.put("m", payload(12, 7))
		r, err := e.c.GetObjectMeta(e.ctx, &oss.GetObjectMetaRequest{Bucket: &e.bucket, Key: oss.Ptr("m")})
		e.must(err, "GetObjectMeta")
		if r.ContentLength != 12 || oss.ToString(r.ETag) == "" {
			e.t.Fatalf("meta %+v", r)
		}
	}},
	{"IsObjectExist", func(e *v2env) {
		e.put("x", []byte("x"))
		if ok, err := e.c.IsObjectExist(e.ctx, e.bucket, "x"); err != nil || !ok {
			e.t.Fatalf("existing: %v %v", ok, err)
		}
		if ok, err := e.c.IsObjectExist(e.ctx, e.bucket, "nope"); err != nil || ok {
			e.t.Fatalf("absent: %v %v", ok, err)
		}
	}},
	{"ListObjects", func(e *v2env) {
		for _, k := range []string{"a/1", "a/2", "b", "c d+e"} {
			e.put(k, []byte(k))
		}
		p := e.c.NewListObjectsPaginator(&oss.ListObjectsRequest{Bucket: &e.bucket, MaxKeys: 2})
		var keys []string
		for p.HasNext() {
			page, err := p.NextPage(e.ctx)
			e.must(err, "ListObjects")
			for _, o := range page.Contents {
				keys = append(keys, oss.ToString(o.Key))
			}
		}
		if strings.Join(keys, ",") != "a/1,a/2,b,c d+e" {
			e.t.Fatalf("keys %q", keys)
		}
	}},
	{"ListObjectsV2", func(e *v2env) {
		for _, k := range []string{"a/1", "a/2", "b"} {
			e.put(k, []byte(k))
		}
		r, err := e.c.ListObjectsV2(e.ctx, &oss.ListObjectsV2Request{Bucket: &e.bucket, Delimiter: oss.Ptr("/")})
		e.must(err, "ListObjectsV2")
		if len(r.Contents) != 1 || len(r.CommonPrefixes) != 1 || oss.ToString(r.CommonPrefixes[0].Prefix) != "a/" {
			e.t.Fatalf("list v2 %+v", r)
		}
	}},
	{"ObjectAcl", func(e *v2env) {
		e.put("acl", []byte("x"))
		r, err := e.c.GetObjectAcl(e.ctx, &oss.GetObjectAclRequest{Bucket: &e.bucket, Key: oss.Ptr("acl")})
		e.must(err, "GetObjectAcl")
		if oss.ToString(r.ACL) != "default" {
			e.t.Fatalf("initial acl %q", oss.ToString(r.ACL))
		}
		_, err = e.c.PutObjectAcl(e.ctx, &oss.PutObjectAclRequest{Bucket: &e.bucket, Key: oss.Ptr("acl"), Acl: oss.ObjectACLPublicRead})
		e.must(err, "PutObjectAcl")
		r, err = e.c.GetObjectAcl(e.ctx, &oss.GetObjectAclRequest{Bucket: &e.bucket, Key: oss.Ptr("acl")})
		e.must(err, "GetObjectAcl")
		if oss.ToString(r.ACL) != "public-read" {
			e.t.Fatalf("acl after put %q", oss.ToString(r.ACL))
		}
		_, err = e.c.GetObjectAcl(e.ctx, &oss.GetObjectAclRequest{Bucket: &e.bucket, Key: oss.Ptr("absent")})
		wantV2Error(e.t, err, 404, "NoSuchKey")
		_, err = e.c.PutObjectAcl(e.ctx, &oss.PutObjectAclRequest{Bucket: &e.bucket, Key: oss.Ptr("acl"), Acl: "world-writable"})
		wantV2Error(e.t, err, 400, "InvalidArgument")
	}},
	{"CopyObjectCopyMeta", func(e *v2env) {
		data := payload(5000, 8)
		e.put("src", data, func(r *oss.PutObjectRequest) { r.Metadata = map[string]string{"k": "v"} })
		r, err := e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("dst"), SourceKey: oss.Ptr("src")})
		e.must(err, "CopyObject")
		if oss.ToString(r.HashCRC64) != strconv.FormatUint(crc(data), 10) {
			e.t.Fatalf("copy crc %q", oss.ToString(r.HashCRC64))
		}
		got, gr := e.get("dst")
		if !bytes.Equal(got, data) || gr.Metadata["k"] != "v" {
			e.t.Fatalf("copy: %d bytes, meta %v", len(got), gr.Metadata)
		}
		// the copy is independent of its source
		_, err = e.c.DeleteObject(e.ctx, &oss.DeleteObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("src")})
		e.must(err, "DeleteObject")
		if got, _ := e.get("dst"); !bytes.Equal(got, data) {
			e.t.Fatal("copy lost its data with the source")
		}
	}},
	{"CopyObjectReplaceMeta", func(e *v2env) {
		data := payload(100, 9)
		e.put("self", data, func(r *oss.PutObjectRequest) { r.Metadata = map[string]string{"old": "1"} })
		_, err := e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("self"), SourceKey: oss.Ptr("self"),
			MetadataDirective: oss.Ptr("REPLACE"), Metadata: map[string]string{"new": "2"}, ContentType: oss.Ptr("image/png")})
		e.must(err, "CopyObject REPLACE")
		got, gr := e.get("self")
		if !bytes.Equal(got, data) || gr.Metadata["new"] != "2" || gr.Metadata["old"] != "" || oss.ToString(gr.ContentType) != "image/png" {
			e.t.Fatalf("replace: meta %v type %q", gr.Metadata, oss.ToString(gr.ContentType))
		}
	}},
	{"CopyObjectForbidOverwrite", func(e *v2env) {
		e.put("a", []byte("a"))
		e.put("b", []byte("b"))
		_, err := e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("b"), SourceKey: oss.Ptr("a"), ForbidOverwrite: oss.Ptr("true")})
		wantV2Error(e.t, err, 409, "FileAlreadyExists")
		if got, _ := e.get("b"); string(got) != "b" {
			e.t.Fatalf("overwritten: %q", got)
		}
	}},
	{"CopyObjectConditions", func(e *v2env) {
		r := e.put("c", []byte("c"))
		_, err := e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("d"), SourceKey: oss.Ptr("c"), IfMatch: oss.Ptr(`"0000"`)})
		wantV2Error(e.t, err, 412, "PreconditionFailed")
		_, err = e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("d"), SourceKey: oss.Ptr("c"), IfMatch: r.ETag})
		e.must(err, "CopyObject if-match")
		_, err = e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("d"), SourceKey: oss.Ptr("absent")})
		wantV2Error(e.t, err, 404, "NoSuchKey")
		_, err = e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("d"), SourceKey: oss.Ptr("c"), SourceBucket: oss.Ptr("no-such-bucket")})
		wantV2Error(e.t, err, 404, "NoSuchBucket")
	}},
	{"CopyObjectOtherBucket", func(e *v2env) {
		data := payload(2000, 10)
		e.put("x", data)
		_, err := e.c.CopyObject(e.ctx, &oss.CopyObjectRequest{Bucket: oss.Ptr("other"), Key: oss.Ptr("y"), SourceBucket: &e.bucket, SourceKey: oss.Ptr("x")})
		e.must(err, "CopyObject across buckets")
		got, err := e.s.ReadObject("other", "y")
		if err != nil || !bytes.Equal(got, data) {
			e.t.Fatalf("other bucket: %v", err)
		}
	}},
	{"AppendObject", func(e *v2env) {
		a, b := payload(1000, 11), payload(500, 12)
		r, err := e.c.AppendObject(e.ctx, &oss.AppendObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("log"), Position: oss.Ptr(int64(0)), Body: bytes.NewReader(a), InitHashCRC64: oss.Ptr("0")})
		e.must(err, "AppendObject 0")
		if r.NextPosition != 1000 {
			e.t.Fatalf("next %d", r.NextPosition)
		}
		r, err = e.c.AppendObject(e.ctx, &oss.AppendObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("log"), Position: oss.Ptr(r.NextPosition), Body: bytes.NewReader(b), InitHashCRC64: r.HashCRC64})
		e.must(err, "AppendObject 1000")
		all := append(append([]byte{}, a...), b...)
		if r.NextPosition != 1500 || oss.ToString(r.HashCRC64) != strconv.FormatUint(crc(all), 10) {
			e.t.Fatalf("second append: next %d crc %q", r.NextPosition, oss.ToString(r.HashCRC64))
		}
		got, gr := e.get("log")
		if !bytes.Equal(got, all) || oss.ToString(gr.ObjectType) != "Appendable" {
			e.t.Fatalf("appended object: %d bytes, type %q", len(got), oss.ToString(gr.ObjectType))
		}
	}},
	{"AppendObjectWrongPosition", func(e *v2env) {
		_, err := e.c.AppendObject(e.ctx, &oss.AppendObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("log"), Position: oss.Ptr(int64(0)), Body: strings.NewReader("abc")})
		e.must(err, "AppendObject")
		_, err = e.c.AppendObject(e.ctx, &oss.AppendObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("log"), Position: oss.Ptr(int64(1)), Body: strings.NewReader("def")})
		wantV2Error(e.t, err, 409, "PositionNotEqualToLength")
		var se *oss.ServiceError
		errors.As(err, &se)
		if se.Headers.Get("x-oss-next-append-position") != "3" {
			e.t.Fatalf("next position header %q", se.Headers.Get("x-oss-next-append-position"))
		}
		e.put("normal", []byte("n"))
		_, err = e.c.AppendObject(e.ctx, &oss.AppendObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("normal"), Position: oss.Ptr(int64(1)), Body: strings.NewReader("x")})
		wantV2Error(e.t, err, 409, "ObjectNotAppendable")
	}},
	{"ObjectTagging", func(e *v2env) {
		e.put("t", []byte("t"))
		_, err := e.c.PutObjectTagging(e.ctx, &oss.PutObjectTaggingRequest{Bucket: &e.bucket, Key: oss.Ptr("t"), Tagging: &oss.Tagging{TagSet: &oss.TagSet{Tags: []oss.Tag{
			{Key: oss.Ptr("k1"), Value: oss.Ptr("v1")}, {Key: oss.Ptr("k 2"), Value: oss.Ptr("v&2")}}}}})
		e.must(err, "PutObjectTagging")
		r, err := e.c.GetObjectTagging(e.ctx, &oss.GetObjectTaggingRequest{Bucket: &e.bucket, Key: oss.Ptr("t")})
		e.must(err, "GetObjectTagging")
		if len(r.Tags) != 2 || oss.ToString(r.Tags[1].Key) != "k 2" || oss.ToString(r.Tags[1].Value) != "v&2" {
			e.t.Fatalf("tags %+v", r.Tags)
		}
		h, err := e.c.HeadObject(e.ctx, &oss.HeadObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("t")})
		e.must(err, "HeadObject")
		if h.TaggingCount != 2 {
			e.t.Fatalf("tagging count %d", h.TaggingCount)
		}
		_, err = e.c.DeleteObjectTagging(e.ctx, &oss.DeleteObjectTaggingRequest{Bucket: &e.bucket, Key: oss.Ptr("t")})
		e.must(err, "DeleteObjectTagging")
		r, err = e.c.GetObjectTagging(e.ctx, &oss.GetObjectTaggingRequest{Bucket: &e.bucket, Key: oss.Ptr("t")})
		e.must(err, "GetObjectTagging")
		if len(r.Tags) != 0 {
			e.t.Fatalf("tags after delete %+v", r.Tags)
		}
	}},
	{"TaggingHeaderOnUpload", func(e *v2env) {
		e.put("th", []byte("x"), func(r *oss.PutObjectRequest) { r.Tagging = oss.Ptr("a=1&b=two%20words") })
		r, err := e.c.GetObjectTagging(e.ctx, &oss.GetObjectTaggingRequest{Bucket: &e.bucket, Key: oss.Ptr("th")})
		e.must(err, "GetObjectTagging")
		if len(r.Tags) != 2 || oss.ToString(r.Tags[1].Value) != "two words" {
			e.t.Fatalf("tags %+v", r.Tags)
		}
		_, err = e.c.PutObject(e.ctx, &oss.PutObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("th2"), Body: strings.NewReader("x"),
			Tagging: oss.Ptr("a=1&a=2")})
		wantV2Error(e.t, err, 400, "InvalidTag")
	}},
	{"ServerSideEncryption", func(e *v2env) {
		r := e.put("enc", []byte("secret"), func(r *oss.PutObjectRequest) {
			r.ServerSideEncryption = oss.Ptr("KMS")
			r.ServerSideDataEncryption = oss.Ptr("SM4")
			r.ServerSideEncryptionKeyId = oss.Ptr("key-1")
		})
		if r.Headers.Get("x-oss-server-side-encryption") != "KMS" {
			e.t.Fatalf("put reply sse %q", r.Headers.Get("x-oss-server-side-encryption"))
		}
		h, err := e.c.HeadObject(e.ctx, &oss.HeadObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("enc")})
		e.must(err, "HeadObject")
		if oss.ToString(h.ServerSideEncryption) != "KMS" || oss.ToString(h.ServerSideDataEncryption) != "SM4" || h.Headers.Get("x-oss-server-side-encryption-key-id") != "key-1" {
			e.t.Fatalf("head sse %q %q %q", oss.ToString(h.ServerSideEncryption), oss.ToString(h.ServerSideDataEncryption), h.Headers.Get("x-oss-server-side-encryption-key-id"))
		}
		_, err = e.c.PutObject(e.ctx, &oss.PutObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("enc2"), Body: strings.NewReader("x"), ServerSideEncryption: oss.Ptr("ROT13")})
		wantV2Error(e.t, err, 400, "InvalidEncryptionAlgorithmError")
		_, err = e.c.PutObject(e.ctx, &oss.PutObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("enc2"), Body: strings.NewReader("x"), ServerSideEncryption: oss.Ptr("AES256"), ServerSideEncryptionKeyId: oss.Ptr("k")})
		wantV2Error(e.t, err, 400, "InvalidArgument")
	}},
	{"MultipartUpload", func(e *v2env) {
		key := "mp"
		init, err := e.c.InitiateMultipartUpload(e.ctx, &oss.InitiateMultipartUploadRequest{Bucket: &e.bucket, Key: &key})
		e.must(err, "InitiateMultipartUpload")
		p1, p2 := payload(200<<10, 13), payload(10, 14)
		var parts []oss.UploadPart
		for i, p := range [][]byte{p1, p2} {
			r, err := e.c.UploadPart(e.ctx, &oss.UploadPartRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId, PartNumber: int32(i + 1), Body: bytes.NewReader(p)})
			e.must(err, "UploadPart")
			parts = append(parts, oss.UploadPart{PartNumber: int32(i + 1), ETag: r.ETag})
		}
		lp, err := e.c.ListParts(e.ctx, &oss.ListPartsRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId})
		e.must(err, "ListParts")
		if len(lp.Parts) != 2 || lp.Parts[0].Size != int64(len(p1)) {
			e.t.Fatalf("parts %+v", lp.Parts)
		}
		lu, err := e.c.ListMultipartUploads(e.ctx, &oss.ListMultipartUploadsRequest{Bucket: &e.bucket})
		e.must(err, "ListMultipartUploads")
		if len(lu.Uploads) != 1 || oss.ToString(lu.Uploads[0].UploadId) != oss.ToString(init.UploadId) {
			e.t.Fatalf("uploads %+v", lu.Uploads)
		}
		cr, err := e.c.CompleteMultipartUpload(e.ctx, &oss.CompleteMultipartUploadRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId,
			CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}})
		e.must(err, "CompleteMultipartUpload")
		all := append(append([]byte{}, p1...), p2...)
		if oss.ToString(cr.HashCRC64) != strconv.FormatUint(crc(all), 10) {
			e.t.Fatalf("complete crc %q", oss.ToString(cr.HashCRC64))
		}
		if got, _ := e.get(key); !bytes.Equal(got, all) {
			e.t.Fatal("multipart data differs")
		}
	}},
	{"CompleteAll", func(e *v2env) {
		key := "all"
		init, err := e.c.InitiateMultipartUpload(e.ctx, &oss.InitiateMultipartUploadRequest{Bucket: &e.bucket, Key: &key})
		e.must(err, "InitiateMultipartUpload")
		p1, p2 := payload(150<<10, 15), payload(99, 16)
		// parts uploaded out of order: complete-all orders them by number
		for _, n := range []int{2, 1} {
			p := [][]byte{p1, p2}[n-1]
			_, err := e.c.UploadPart(e.ctx, &oss.UploadPartRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId, PartNumber: int32(n), Body: bytes.NewReader(p)})
			e.must(err, "UploadPart")
		}
		_, err = e.c.CompleteMultipartUpload(e.ctx, &oss.CompleteMultipartUploadRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId, CompleteAll: oss.Ptr("yes")})
		e.must(err, "CompleteMultipartUpload complete-all")
		if got, _ := e.get(key); !bytes.Equal(got, append(append([]byte{}, p1...), p2...)) {
			e.t.Fatal("complete-all data differs")
		}
	}},
	{"UploadPartCopy", func(e *v2env) {
		src := payload(300<<10, 17)
		e.put("pcsrc", src)
		key := "pc"
		init, err := e.c.InitiateMultipartUpload(e.ctx, &oss.InitiateMultipartUploadRequest{Bucket: &e.bucket, Key: &key})
		e.must(err, "InitiateMultipartUpload")
		var parts []oss.UploadPart
		for i, rng := range []string{"bytes=0-204799", "bytes=204800-307199"} {
			r, err := e.c.UploadPartCopy(e.ctx, &oss.UploadPartCopyRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId, PartNumber: int32(i + 1),
				SourceKey: oss.Ptr("pcsrc"), Range: oss.Ptr(rng)})
			e.must(err, "UploadPartCopy")
			parts = append(parts, oss.UploadPart{PartNumber: int32(i + 1), ETag: r.ETag})
		}
		_, err = e.c.CompleteMultipartUpload(e.ctx, &oss.CompleteMultipartUploadRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId,
			CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: parts}})
		e.must(err, "CompleteMultipartUpload")
		if got, _ := e.get(key); !bytes.Equal(got, src) {
			e.t.Fatal("part-copied data differs")
		}
	}},
	{"AbortMultipartUpload", func(e *v2env) {
		key := "ab"
		init, err := e.c.InitiateMultipartUpload(e.ctx, &oss.InitiateMultipartUploadRequest{Bucket: &e.bucket, Key: &key})
		e.must(err, "InitiateMultipartUpload")
		_, err = e.c.AbortMultipartUpload(e.ctx, &oss.AbortMultipartUploadRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId})
		e.must(err, "AbortMultipartUpload")
		_, err = e.c.ListParts(e.ctx, &oss.ListPartsRequest{Bucket: &e.bucket, Key: &key, UploadId: init.UploadId})
		wantV2Error(e.t, err, 404, "NoSuchUpload")
	}},
	{"DeleteObject", func(e *v2env) {
		e.put("del", []byte("x"))
		_, err := e.c.DeleteObject(e.ctx, &oss.DeleteObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("del")})
		e.must(err, "DeleteObject")
		if _, ok := e.s.Object(e.bucket, "del"); ok {
			e.t.Fatal("still there")
		}
	}},
	{"DeleteMultipleObjectsVerbose", func(e *v2env) {
		keys := []string{"d/1", "d/2 two", "d/3+x", "d/absent"}
		var objs []oss.DeleteObject
		for i, k := range keys {
			if i < 3 {
				e.put(k, []byte(k))
			}
			objs = append(objs, oss.DeleteObject{Key: oss.Ptr(k)})
		}
		r, err := e.c.DeleteMultipleObjects(e.ctx, &oss.DeleteMultipleObjectsRequest{Bucket: &e.bucket, Objects: objs})
		e.must(err, "DeleteMultipleObjects")
		var got []string
		for _, d := range r.DeletedObjects {
			got = append(got, oss.ToString(d.Key))
		}
		if strings.Join(got, ",") != strings.Join(keys, ",") {
			e.t.Fatalf("deleted %q", got)
		}
		if left := e.s.Keys(e.bucket); len(left) != 0 {
			e.t.Fatalf("left %v", left)
		}
	}},
	{"DeleteMultipleObjectsQuiet1000", func(e *v2env) {
		var objs []oss.DeleteObject
		for i := range 1000 {
			k := fmt.Sprintf("q/%04d", i)
			if i%100 == 0 {
				e.put(k, []byte("x"))
			}
			objs = append(objs, oss.DeleteObject{Key: oss.Ptr(k)})
		}
		r, err := e.c.DeleteMultipleObjects(e.ctx, &oss.DeleteMultipleObjectsRequest{Bucket: &e.bucket, Objects: objs, Quiet: true})
		e.must(err, "DeleteMultipleObjects quiet")
		if len(r.DeletedObjects) != 0 || len(e.s.Keys(e.bucket)) != 0 {
			e.t.Fatalf("quiet reply lists %d, left %d", len(r.DeletedObjects), len(e.s.Keys(e.bucket)))
		}
		objs = append(objs, oss.DeleteObject{Key: oss.Ptr("one-too-many")})
		_, err = e.c.DeleteMultipleObjects(e.ctx, &oss.DeleteMultipleObjectsRequest{Bucket: &e.bucket, Objects: objs, Quiet: true})
		wantV2Error(e.t, err, 400, "MalformedXML")
	}},
	{"RestoreArchive", func(e *v2env) {
		e.put("cold", []byte("frozen"), func(r *oss.PutObjectRequest) { r.StorageClass = oss.StorageClassArchive })
		_, err := e.c.GetObject(e.ctx, &oss.GetObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("cold")})
		wantV2Error(e.t, err, 403, "InvalidObjectState")
		r, err := e.c.RestoreObject(e.ctx, &oss.RestoreObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("cold"), RestoreRequest: &oss.RestoreRequest{Days: 2}})
		e.must(err, "RestoreObject")
		if r.StatusCode != 202 {
			e.t.Fatalf("restore status %d", r.StatusCode)
		}
		if got, _ := e.get("cold"); string(got) != "frozen" {
			e.t.Fatalf("restored %q", got)
		}
		h, err := e.c.HeadObject(e.ctx, &oss.HeadObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("cold")})
		e.must(err, "HeadObject")
		if !strings.Contains(oss.ToString(h.Restore), `ongoing-request="false"`) {
			e.t.Fatalf("x-oss-restore %q", oss.ToString(h.Restore))
		}
		e.put("warm", []byte("x"))
		_, err = e.c.RestoreObject(e.ctx, &oss.RestoreObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("warm")})
		wantV2Error(e.t, err, 400, "OperationNotSupported")
	}},
	{"Presign", func(e *v2env) {
		e.put("ps", []byte("presigned"))
		p, err := e.c.Presign(e.ctx, &oss.GetObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("ps")}, oss.PresignExpires(10*time.Minute))
		e.must(err, "Presign")
		resp, err := e.hc.Get(p.URL)
		e.must(err, "GET presigned")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "presigned" {
			e.t.Fatalf("presigned GET: %d %q", resp.StatusCode, body)
		}
	}},
	{"UploaderDownloader", func(e *v2env) {
		dir := e.t.TempDir()
		src := filepath.Join(dir, "src.bin")
		data := payload(700<<10, 18)
		e.must(os.WriteFile(src, data, 0o600), "write")
		u := e.c.NewUploader(func(o *oss.UploaderOptions) { o.PartSize = 200 << 10; o.ParallelNum = 2 })
		_, err := u.UploadFile(e.ctx, &oss.PutObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("up")}, src)
		e.must(err, "UploadFile")
		info, _ := e.s.Object(e.bucket, "up")
		if info.Type != "Multipart" || info.CRC64 != crc(data) {
			e.t.Fatalf("uploaded %+v", info)
		}
		d := e.c.NewDownloader(func(o *oss.DownloaderOptions) { o.PartSize = 150 << 10; o.ParallelNum = 2 })
		dst := filepath.Join(dir, "dst.bin")
		_, err = d.DownloadFile(e.ctx, &oss.GetObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("up")}, dst)
		e.must(err, "DownloadFile")
		if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
			e.t.Fatal("downloaded data differs")
		}
	}},
	{"Copier", func(e *v2env) {
		data := payload(500<<10, 19)
		e.put("cs", data, func(r *oss.PutObjectRequest) { r.Tagging = oss.Ptr("t=1") })
		cp := e.c.NewCopier(func(o *oss.CopierOptions) {
			o.PartSize = 200 << 10
			o.MultipartCopyThreshold = 100 << 10
			o.DisableShallowCopy = true
		})
		_, err := cp.Copy(e.ctx, &oss.CopyObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("cd"), SourceKey: oss.Ptr("cs")})
		e.must(err, "Copier.Copy")
		got, _ := e.get("cd")
		if !bytes.Equal(got, data) {
			e.t.Fatal("copier data differs")
		}
	}},
	{"GetObjectToFile", func(e *v2env) {
		data := payload(64<<10, 20)
		e.put("gf", data)
		dst := filepath.Join(e.t.TempDir(), "gf")
		_, err := e.c.GetObjectToFile(e.ctx, &oss.GetObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("gf")}, dst)
		e.must(err, "GetObjectToFile")
		if got, _ := os.ReadFile(dst); !bytes.Equal(got, data) {
			e.t.Fatal("file differs")
		}
	}},
	{"PutObjectFromFile", func(e *v2env) {
		src := filepath.Join(e.t.TempDir(), "pf")
		data := payload(3000, 21)
		e.must(os.WriteFile(src, data, 0o600), "write")
		_, err := e.c.PutObjectFromFile(e.ctx, &oss.PutObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("pf")}, src)
		e.must(err, "PutObjectFromFile")
		if got, _ := e.get("pf"); !bytes.Equal(got, data) {
			e.t.Fatal("data differs")
		}
	}},
	{"PutObjectForbidOverwrite", func(e *v2env) {
		e.put("fo", []byte("1"))
		_, err := e.c.PutObject(e.ctx, &oss.PutObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("fo"), Body: strings.NewReader("2"), ForbidOverwrite: oss.Ptr("true")})
		wantV2Error(e.t, err, 409, "FileAlreadyExists")
	}},
	{"GetObjectMissing", func(e *v2env) {
		_, err := e.c.GetObject(e.ctx, &oss.GetObjectRequest{Bucket: &e.bucket, Key: oss.Ptr("missing")})
		wantV2Error(e.t, err, 404, "NoSuchKey")
	}},
	{"WrongSecret", func(e *v2env) {
		cfg := oss.LoadDefaultConfig().
			WithCredentialsProvider(credentials.NewStaticCredentialsProvider(e.s.AccessKeyID, "wrong")).
			WithEndpoint(e.s.URL).WithRegion("cn-hangzhou").WithUsePathStyle(true).WithRetryMaxAttempts(1).WithHttpClient(e.hc)
		_, err := oss.NewClient(cfg).GetBucketInfo(e.ctx, &oss.GetBucketInfoRequest{Bucket: &e.bucket})
		wantV2Error(e.t, err, 403, "SignatureDoesNotMatch")
	}},
}

func TestSDKv2(t *testing.T) {
	if n := len(v2Cases); n < 40 {
		t.Fatalf("the matrix has %d cases, want at least 40", n)
	}
	for _, v := range []struct {
		name string
		sv   oss.SignatureVersionType
	}{{"V4", oss.SignatureVersionV4}, {"V1", oss.SignatureVersionV1}} {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range v2Cases {
				t.Run(tc.name, func(t *testing.T) {
					s := ossemutest.NewServer(t, ossemutest.WithBuckets("local", "other"))
					tc.run(newV2(t, s, v.sv))
				})
			}
		})
	}
}
