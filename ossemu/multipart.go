package ossemu

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
)

// Multipart limits OSS enforces.
const (
	maxPartNumber = 10000
	minPartSize   = 100 << 10 // every part but the last
)

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func (s *Server) initiateUpload(rq *request, b *bucket) int {
	at, e := objectAttrs(rq.r)
	if e != nil {
		return s.fail(rq, e)
	}
	if forbidOverwrite(rq.r) {
		if _, exists := b.lookup(rq.key); exists {
			return s.fail(rq, errExistsReply())
		}
	}
	m := uploadMeta{Key: rq.key, UploadID: randomHex(16), Initiated: time.Now().UTC(),
		ContentType: at.ContentType, Meta: at.Meta, Std: at.Std, ACL: at.ACL, StorageClass: at.Class, Tags: at.Tags, SSE: at.SSE}
	if _, err := b.newUpload(m); err != nil {
		return s.fail(rq, internalError(err))
	}
	type result struct {
		XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		UploadID string   `xml:"UploadId"`
	}
	m.SSE.setHeaders(rq.w.Header())
	return writeXML(rq, http.StatusOK, result{Bucket: b.name, Key: rq.key, UploadID: m.UploadID})
}

func (s *Server) uploadFor(rq *request, b *bucket) (*upload, *ossError) {
	id, _ := rq.param("uploadId")
	u := b.getUpload(id)
	if u == nil || u.meta.Key != rq.key {
		return nil, errNoSuchUpload().with("UploadId", id)
	}
	return u, nil
}

// partFor reads the partNumber and uploadId of an UploadPart or UploadPartCopy.
func (s *Server) partFor(rq *request, b *bucket) (int, *upload, *ossError) {
	v, _ := rq.param("partNumber")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPartNumber {
		return 0, nil, errf(http.StatusBadRequest, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.").
			with("ArgumentName", "partNumber").with("ArgumentValue", v)
	}
	u, e := s.uploadFor(rq, b)
	return n, u, e
}

func (s *Server) uploadPart(rq *request, b *bucket) int {
	n, u, e := s.partFor(rq, b)
	if e != nil {
		return s.fail(rq, e)
	}
	r := rq.r
	if r.ContentLength < 0 && len(r.TransferEncoding) == 0 {
		return s.fail(rq, errf(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header."))
	}
	if r.ContentLength > maxPutSize {
		return s.fail(rq, errf(http.StatusBadRequest, "EntityTooLarge", "A part may not exceed 5 GB."))
	}
	res, status, ok := s.receiveBody(rq, b, -1)
	if !ok {
		return status
	}
	p := partMeta{Number: n, Size: res.Size, MD5: strings.ToUpper(hex.EncodeToString(res.MD5[:])), CRC64: res.CRC64,
		Modified: time.Now().UTC(), Blob: res.ID}
	if err := b.commitPart(u, p); err != nil {
		if errors.Is(err, errNoUpload) {
			return s.fail(rq, errNoSuchUpload())
		}
		b.removeBlobs(res.ID)
		return s.fail(rq, internalError(err))
	}
	h := rq.w.Header()
	h.Set("Etag", `"`+p.MD5+`"`)
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(p.CRC64, 10))
	h.Set("Content-Md5", base64Std(res.MD5[:]))
	u.meta.SSE.setHeaders(h)
	h.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

// completeBody is the CompleteMultipartUpload request document.
type completeBody struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
}

type completePart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// parseCompleteBody parses and checks the part list of a Complete request.
func parseCompleteBody(data []byte) (completeBody, *ossError) {
	var cb completeBody
	if e := decodeXML(data, &cb); e != nil {
		return cb, e
	}
	if len(cb.Parts) == 0 {
		return cb, errf(http.StatusBadRequest, "MalformedXML", "The XML you provided lists no parts.")
	}
	if len(cb.Parts) > maxPartNumber {
		return cb, errf(http.StatusBadRequest, "InvalidPart", "The XML you provided lists more than 10000 parts.")
	}
	prev := 0
	for _, p := range cb.Parts {
		if p.PartNumber < 1 || p.PartNumber > maxPartNumber {
			return cb, errf(http.StatusBadRequest, "InvalidPart", fmt.Sprintf("Part number %d is not between 1 and 10000.", p.PartNumber))
		}
		if p.PartNumber <= prev {
			return cb, errf(http.StatusBadRequest, "InvalidPartOrder", "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
		}
		prev = p.PartNumber
	}
	return cb, nil
}

func normETag(s string) string {
	return strings.ToUpper(strings.Trim(strings.TrimSpace(s), `"`))
}

func (s *Server) completeUpload(rq *request, b *bucket) int {
	u, e := s.uploadFor(rq, b)
	if e != nil {
		return s.fail(rq, e)
	}
	var cbody completeBody
	if v := rq.r.Header.Get("X-Oss-Complete-All"); v != "" {
		// every uploaded part, in part-number order; the body must be empty
		if v != "yes" {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-complete-all must be yes.").
				with("ArgumentName", "x-oss-complete-all").with("ArgumentValue", v))
		}
		data, err := io.ReadAll(io.LimitReader(rq.reader(), 1))
		if err != nil {
			return s.bodyFailed(rq, err)
		}
		if len(data) > 0 {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidArgument", "With x-oss-complete-all: yes the request body must be empty."))
		}
		u.mu.Lock()
		for _, p := range u.parts {
			cbody.Parts = append(cbody.Parts, completePart{PartNumber: p.Number, ETag: p.MD5})
		}
		u.mu.Unlock()
		slices.SortFunc(cbody.Parts, func(a, b completePart) int { return a.PartNumber - b.PartNumber })
		if len(cbody.Parts) == 0 {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidPart", "The upload has no parts to complete."))
		}
	} else {
		data, err := io.ReadAll(io.LimitReader(rq.reader(), maxCompleteXML+1))
		if err != nil {
			return s.bodyFailed(rq, err)
		}
		if len(data) > maxCompleteXML {
			return s.fail(rq, errf(http.StatusBadRequest, "MalformedXML", "The Complete document is too large."))
		}
		var e *ossError
		if cbody, e = parseCompleteBody(data); e != nil {
			return s.fail(rq, e)
		}
	}
	cb, e := parseCallback(rq.r)
	if e != nil {
		return s.fail(rq, e)
	}
	acl := u.meta.ACL
	if v := rq.r.Header.Get("X-Oss-Object-Acl"); v != "" {
		// Complete may set the object's ACL too
		if acl, e = parseACL(v); e != nil {
			return s.fail(rq, e)
		}
	}

	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		return s.fail(rq, errNoSuchUpload())
	}
	var (
		blobs  []blobRef
		size   int64
		crc    uint64
		md5cat []byte
		keep   = map[string]bool{}
	)
	for i, cp := range cbody.Parts {
		p := u.parts[cp.PartNumber]
		if p == nil || normETag(cp.ETag) != p.MD5 {
			u.mu.Unlock()
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.").
				with("PartNumber", strconv.Itoa(cp.PartNumber)).with("ETag", cp.ETag))
		}
		if i < len(cbody.Parts)-1 && p.Size < minPartSize {
			u.mu.Unlock()
			return s.fail(rq, errf(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size (100 KB for every part but the last).").
				with("PartNumber", strconv.Itoa(cp.PartNumber)).with("MinSizeAllowed", strconv.Itoa(minPartSize)).with("ProposedSize", strconv.FormatInt(p.Size, 10)))
		}
		raw, _ := hex.DecodeString(p.MD5)
		md5cat = append(md5cat, raw...)
		crc = crc64ecma.Combine(crc, p.CRC64, p.Size)
		size += p.Size
		blobs = append(blobs, blobRef{ID: p.Blob, Size: p.Size})
		keep[p.Blob] = true
	}
	sum := md5.Sum(md5cat)
	m := objMeta{
		Key: u.meta.Key, Size: size, ETag: fmt.Sprintf("%s-%d", strings.ToUpper(hex.EncodeToString(sum[:])), len(cbody.Parts)),
		CRC64: crc, ContentType: u.meta.ContentType, Meta: u.meta.Meta, Std: u.meta.Std, ACL: acl, StorageClass: u.meta.StorageClass,
		Modified: time.Now().UTC(), Type: "Multipart", UploadID: u.meta.UploadID, Blobs: blobs,
		Tags: u.meta.Tags, SSE: u.meta.SSE,
	}
	if err := b.commitObject(m, nil, forbidOverwrite(rq.r)); err != nil {
		u.mu.Unlock()
		if errors.Is(err, errExists) {
			return s.fail(rq, errExistsReply())
		}
		return s.fail(rq, internalError(err))
	}
	u.done = true
	b.finishUpload(u, keep)
	u.mu.Unlock()

	h := rq.w.Header()
	h.Set("Etag", `"`+m.ETag+`"`)
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(m.CRC64, 10))
	m.SSE.setHeaders(h)
	if cb != nil {
		return s.runCallback(rq, cb, &m)
	}
	type result struct {
		XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
		Location string   `xml:"Location"`
		Bucket   string   `xml:"Bucket"`
		Key      string   `xml:"Key"`
		ETag     string   `xml:"ETag"`
	}
	key := m.Key
	if v, _ := rq.param("encoding-type"); v == "url" {
		key = urlEncode(key)
	}
	return writeXML(rq, http.StatusOK, result{
		Location: s.URL + "/" + b.name + "/" + urlEncode(m.Key), Bucket: b.name, Key: key, ETag: `"` + m.ETag + `"`,
	})
}

func (s *Server) abortUpload(rq *request, b *bucket) int {
	u, e := s.uploadFor(rq, b)
	if e != nil {
		return s.fail(rq, e)
	}
	if err := b.abortUpload(u); err != nil {
		return s.fail(rq, errNoSuchUpload())
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}
