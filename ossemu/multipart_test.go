package ossemu

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aliyun/aliyun-oss-go-sdk/oss"
)

// multipartETag computes the ETag OSS gives a multipart object.
func multipartETag(parts ...[]byte) string {
	var cat []byte
	for _, p := range parts {
		s := md5.Sum(p)
		cat = append(cat, s[:]...)
	}
	s := md5.Sum(cat)
	return fmt.Sprintf(`"%s-%d"`, strings.ToUpper(hex.EncodeToString(s[:])), len(parts))
}

func TestMultipart(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			key := "big/ö ü+#?.bin"
			imur, err := b.InitiateMultipartUpload(key, oss.ContentType("application/x-test"), oss.Meta("Origin", "test"))
			if err != nil {
				t.Fatalf("Initiate: %v", err)
			}
			if imur.Key != key || imur.Bucket != s.Bucket() || len(imur.UploadID) != 32 {
				t.Fatalf("initiate result %+v", imur)
			}
			p1 := randBytes(200_000, 11)
			p2 := randBytes(150_000, 12)
			p3 := randBytes(1_234, 13)
			var parts []oss.UploadPart
			for i, p := range [][]byte{p1, p2, p3} {
				var h http.Header
				up, err := b.UploadPart(imur, bytes.NewReader(p), int64(len(p)), i+1, oss.GetResponseHeader(&h))
				if err != nil {
					t.Fatalf("UploadPart %d: %v", i+1, err)
				}
				sum := md5.Sum(p)
				if up.ETag != `"`+strings.ToUpper(hex.EncodeToString(sum[:]))+`"` {
					t.Errorf("part ETag %s", up.ETag)
				}
				if crcHeader(t, h) != crcOf(p) {
					t.Errorf("part %d CRC", i+1)
				}
				parts = append(parts, up)
			}
			// re-upload of part 2 replaces it
			p2 = randBytes(150_000, 14)
			up, err := b.UploadPart(imur, bytes.NewReader(p2), int64(len(p2)), 2)
			if err != nil {
				t.Fatal(err)
			}
			parts[1] = up

			// ListParts, paged one at a time
			var seen []int
			marker := 0
			for {
				lp, err := b.ListUploadedParts(imur, oss.MaxParts(1), oss.PartNumberMarker(marker))
				if err != nil {
					t.Fatalf("ListParts: %v", err)
				}
				if lp.Key != key {
					t.Errorf("ListParts key %q", lp.Key)
				}
				for _, p := range lp.UploadedParts {
					seen = append(seen, p.PartNumber)
					if p.PartNumber == 2 && (p.Size != 150_000 || p.ETag != parts[1].ETag) {
						t.Errorf("part 2 listed as %+v", p)
					}
				}
				if !lp.IsTruncated {
					break
				}
				fmt.Sscan(lp.NextPartNumberMarker, &marker)
			}
			if fmt.Sprint(seen) != "[1 2 3]" {
				t.Fatalf("listed parts %v", seen)
			}

			lu, err := b.ListMultipartUploads()
			if err != nil || len(lu.Uploads) != 1 || lu.Uploads[0].Key != key || lu.Uploads[0].UploadID != imur.UploadID {
				t.Fatalf("ListMultipartUploads: %+v %v", lu, err)
			}

			var h http.Header
			res, err := b.CompleteMultipartUpload(imur, parts, oss.GetResponseHeader(&h))
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			all := append(append(append([]byte{}, p1...), p2...), p3...)
			if res.ETag != multipartETag(p1, p2, p3) || res.Key != key {
				t.Errorf("complete result %+v, want ETag %s", res, multipartETag(p1, p2, p3))
			}
			if crcHeader(t, h) != crcOf(all) {
				t.Errorf("complete CRC %d, want %d", crcHeader(t, h), crcOf(all))
			}
			if got := mustRead(t, b, key); !bytes.Equal(got, all) {
				t.Fatal("object body differs")
			}
			meta, err := b.GetObjectDetailedMeta(key)
			if err != nil || meta.Get("Content-Type") != "application/x-test" || meta.Get("X-Oss-Meta-Origin") != "test" ||
				meta.Get("X-Oss-Object-Type") != "Multipart" || crcHeader(t, meta) != crcOf(all) || meta.Get("ETag") != res.ETag {
				t.Errorf("head after complete: %v %v", meta, err)
			}
			// a range spanning the part boundary
			if got := mustRead(t, b, key, oss.Range(199_990, 200_009)); !bytes.Equal(got, all[199_990:200_010]) {
				t.Error("range across parts differs")
			}

			// the upload is gone
			_, err = b.UploadPart(imur, bytes.NewReader(p3), int64(len(p3)), 4)
			wantCode(t, err, 404, "NoSuchUpload")
			_, err = b.CompleteMultipartUpload(imur, parts)
			wantCode(t, err, 404, "NoSuchUpload")
			_, err = b.ListUploadedParts(imur)
			wantCode(t, err, 404, "NoSuchUpload")
			wantCode(t, b.AbortMultipartUpload(imur), 404, "NoSuchUpload")
			if lu, _ := b.ListMultipartUploads(); len(lu.Uploads) != 0 {
				t.Errorf("upload still listed: %+v", lu.Uploads)
			}
		})
	}
}

func TestMultipartErrors(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			imur, err := b.InitiateMultipartUpload("m")
			if err != nil {
				t.Fatal(err)
			}
			small := randBytes(1000, 21)
			big := randBytes(100*1024, 22)
			_, err = b.UploadPart(imur, bytes.NewReader(small), int64(len(small)), 0)
			wantCode(t, err, 400, "InvalidArgument")
			_, err = b.UploadPart(imur, bytes.NewReader(small), int64(len(small)), 10001)
			wantCode(t, err, 400, "InvalidArgument")
			pSmall, err := b.UploadPart(imur, bytes.NewReader(small), int64(len(small)), 1)
			if err != nil {
				t.Fatal(err)
			}
			pBig, err := b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 2)
			if err != nil {
				t.Fatal(err)
			}
			pLast, err := b.UploadPart(imur, bytes.NewReader(small), int64(len(small)), 10000)
			if err != nil {
				t.Fatal(err)
			}
			// a non-last part under 100 KB
			_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{pSmall, pBig})
			wantCode(t, err, 400, "EntityTooSmall")
			// a wrong ETag
			bad := pBig
			bad.ETag = `"00000000000000000000000000000000"`
			_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{bad, pLast})
			wantCode(t, err, 400, "InvalidPart")
			// a part never uploaded
			_, err = b.CompleteMultipartUpload(imur, []oss.UploadPart{pBig, {PartNumber: 7, ETag: pBig.ETag}})
			wantCode(t, err, 400, "InvalidPart")
			// the upload survives failed completes; exactly 100 KB is enough for a non-last part
			res, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{pBig, pLast})
			if err != nil {
				t.Fatalf("Complete: %v", err)
			}
			if res.ETag != multipartETag(big, small) {
				t.Errorf("ETag %s", res.ETag)
			}
			// parts left out of the Complete list are discarded
			if got := mustRead(t, b, "m"); !bytes.Equal(got, append(append([]byte{}, big...), small...)) {
				t.Error("body differs")
			}

			// Abort
			imur2, _ := b.InitiateMultipartUpload("m2")
			if err := b.AbortMultipartUpload(imur2); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			_, err = b.UploadPart(imur2, bytes.NewReader(small), int64(len(small)), 1)
			wantCode(t, err, 404, "NoSuchUpload")
			wantCode(t, b.AbortMultipartUpload(imur2), 404, "NoSuchUpload")
			// upload id for a different key
			imur3, _ := b.InitiateMultipartUpload("m3")
			wrong := imur3
			wrong.Key = "other"
			_, err = b.UploadPart(wrong, bytes.NewReader(small), int64(len(small)), 1)
			wantCode(t, err, 404, "NoSuchUpload")
		})
	}
}

// TestCompleteOrder sends a hand-written Complete body, since the SDK sorts parts.
func TestCompleteOrder(t *testing.T) {
	for _, tc := range []struct {
		body, code string
	}{
		{"<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder"},
		{"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part><Part><PartNumber>1</PartNumber><ETag>x</ETag></Part></CompleteMultipartUpload>", "InvalidPartOrder"},
		{"<CompleteMultipartUpload>", "MalformedXML"},
		{"<CompleteMultipartUpload></CompleteMultipartUpload>", "MalformedXML"},
		{"not xml", "MalformedXML"},
	} {
		_, e := parseCompleteBody([]byte(tc.body))
		if e == nil || e.code != tc.code || e.status != 400 {
			t.Errorf("%q: got %v, want %s", tc.body, e, tc.code)
		}
	}
}

// TestSDKHighLevel runs the SDK's own resumable UploadFile and DownloadFile
// (ranged GETs, CRC checked by combining part CRCs) against the server.
func TestSDKHighLevel(t *testing.T) {
	for _, v := range versions {
		t.Run(v.name, func(t *testing.T) {
			s := newServer(t, Options{})
			b := bucketOf(t, s, v.opts...)
			dir := t.TempDir()
			data := randBytes(1_000_000, 91)
			src := dir + "/src.bin"
			if err := os.WriteFile(src, data, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := b.UploadFile("hl/obj.bin", src, 200*1024, oss.Routines(3), oss.Checkpoint(true, dir+"/up.cp")); err != nil {
				t.Fatalf("UploadFile: %v", err)
			}
			info, _ := s.Object("", "hl/obj.bin")
			if info.CRC64 != crcOf(data) || info.Parts != 5 {
				t.Fatalf("stored %+v", info)
			}
			dst := dir + "/dst.bin"
			if err := b.DownloadFile("hl/obj.bin", dst, 300*1024, oss.Routines(3), oss.Checkpoint(true, dir+"/down.cp")); err != nil {
				t.Fatalf("DownloadFile: %v", err)
			}
			got, _ := os.ReadFile(dst)
			if !bytes.Equal(got, data) {
				t.Fatal("downloaded bytes differ")
			}
		})
	}
}

// TestCompleteOnTheWire sends Complete documents the SDK would never produce
// (it sorts parts) and checks the error replies.
func TestCompleteOnTheWire(t *testing.T) {
	s := newServer(t, Options{})
	b := bucketOf(t, s)
	imur, _ := b.InitiateMultipartUpload("w")
	big := randBytes(100*1024, 1)
	p1, _ := b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 1)
	p2, _ := b.UploadPart(imur, bytes.NewReader(big), int64(len(big)), 2)
	for _, tc := range []struct{ body, code string }{
		{fmt.Sprintf("<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>%s</ETag></Part><Part><PartNumber>1</PartNumber><ETag>%s</ETag></Part></CompleteMultipartUpload>", p2.ETag, p1.ETag), "InvalidPartOrder"},
		{"<CompleteMultipartUpload><Part>", "MalformedXML"},
		{"", "MalformedXML"},
	} {
		req := signedRequestBody(t, s, "POST", "/local/w?uploadId="+imur.UploadID, map[string]string{"Content-Type": "application/xml"}, []byte(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var doc errorDoc
		xml.Unmarshal(data, &doc)
		if resp.StatusCode != 400 || doc.Code != tc.code {
			t.Errorf("%q: %d %s", tc.body, resp.StatusCode, data)
		}
	}
	// still completable
	if _, err := b.CompleteMultipartUpload(imur, []oss.UploadPart{p1, p2}); err != nil {
		t.Fatal(err)
	}
}
