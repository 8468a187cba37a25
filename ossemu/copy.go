package ossemu

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// copySource resolves x-oss-copy-source ("/bucket/url-escaped-key", with an
// optional "?versionId=…") to a pinned source object; the caller releases it.
func (s *Server) copySource(rq *request) (*bucket, *pin, *ossError) {
	raw := rq.r.Header.Get("X-Oss-Copy-Source")
	raw, version, _ := strings.Cut(raw, "?")
	if version != "" && version != "versionId=null" && !strings.HasPrefix(version, "versionId=") {
		return nil, nil, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-copy-source may only carry a versionId parameter.")
	}
	path, err := url.QueryUnescape(strings.TrimPrefix(raw, "/"))
	if err != nil {
		return nil, nil, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-copy-source is not correctly URL-encoded.").
			with("ArgumentName", "x-oss-copy-source").with("ArgumentValue", rq.r.Header.Get("X-Oss-Copy-Source"))
	}
	bname, key, ok := strings.Cut(path, "/")
	if !ok || bname == "" || key == "" {
		return nil, nil, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-copy-source must be /bucket/key.").
			with("ArgumentName", "x-oss-copy-source").with("ArgumentValue", rq.r.Header.Get("X-Oss-Copy-Source"))
	}
	if why := validKey(key); why != "" {
		return nil, nil, errf(http.StatusBadRequest, "InvalidObjectName", "Copy source: "+why)
	}
	sb := s.bucket(bname)
	if sb == nil {
		return nil, nil, errNoSuchBucket(bname)
	}
	if v, ok := strings.CutPrefix(version, "versionId="); ok && v != "null" {
		return nil, nil, errf(http.StatusNotFound, "NoSuchVersion", "The specified version does not exist: this bucket is not versioned.")
	}
	o, err := sb.acquire(key)
	if err != nil {
		return nil, nil, internalError(err)
	}
	if o == nil {
		return nil, nil, errNoSuchKey()
	}
	if needsRestore(&o.meta, time.Now()) {
		sb.release(o)
		return nil, nil, errNotRestored()
	}
	if e := copyPreconditions(rq.r.Header, &o.meta); e != nil {
		sb.release(o)
		return nil, nil, e
	}
	return sb, o, nil
}

// copyPreconditions applies x-oss-copy-source-if-*: a failed if-match or
// if-unmodified-since is 412, a failed if-none-match or if-modified-since 304.
func copyPreconditions(h http.Header, m *objMeta) *ossError {
	etag := `"` + m.ETag + `"`
	matches := func(v string) bool {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || t == etag || t == m.ETag {
				return true
			}
		}
		return false
	}
	failed := errf(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
	notModified := errf(http.StatusNotModified, "NotModified", "The source object was not modified.")
	mod := m.Modified.Truncate(time.Second)
	if v := h.Get("X-Oss-Copy-Source-If-Match"); v != "" && !matches(v) {
		return failed.with("Condition", "x-oss-copy-source-if-match")
	}
	if v := h.Get("X-Oss-Copy-Source-If-Unmodified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && mod.After(t) {
			return failed.with("Condition", "x-oss-copy-source-if-unmodified-since")
		}
	}
	if v := h.Get("X-Oss-Copy-Source-If-None-Match"); v != "" && matches(v) {
		return notModified
	}
	if v := h.Get("X-Oss-Copy-Source-If-Modified-Since"); v != "" {
		if t, err := http.ParseTime(v); err == nil && !mod.After(t) {
			return notModified
		}
	}
	return nil
}

func directive(h http.Header, name string) (replace bool, e *ossError) {
	switch v := h.Get(name); strings.ToUpper(v) {
	case "", "COPY":
		return false, nil
	case "REPLACE":
		return true, nil
	default:
		return false, errf(http.StatusBadRequest, "InvalidArgument", name+" must be COPY or REPLACE.").
			with("ArgumentName", name).with("ArgumentValue", v)
	}
}

// copyObject is CopyObject: the destination gets a copy of the source's body
// (or, copying an object onto itself, keeps it) and the source's metadata or,
// with x-oss-metadata-directive: REPLACE, the request's.
func (s *Server) copyObject(rq *request, b *bucket) int {
	h := rq.r.Header
	replaceMeta, e := directive(h, "x-oss-metadata-directive")
	if e != nil {
		return s.fail(rq, e)
	}
	replaceTags, e := directive(h, "x-oss-tagging-directive")
	if e != nil {
		return s.fail(rq, e)
	}
	at, e := objectAttrs(rq.r)
	if e != nil {
		return s.fail(rq, e)
	}
	forbid := forbidOverwrite(rq.r)
	if forbid {
		if _, exists := b.lookup(rq.key); exists {
			return s.fail(rq, errExistsReply())
		}
	}
	sb, src, e := s.copySource(rq)
	if e != nil {
		return s.fail(rq, e)
	}
	defer sb.release(src)
	sm := src.meta
	if sm.Size > maxPutSize {
		return s.fail(rq, errf(http.StatusBadRequest, "EntityTooLarge", "CopyObject copies objects of up to 5 GB; use UploadPartCopy for larger ones."))
	}

	m := objMeta{
		Key: rq.key, Size: sm.Size, ETag: sm.ETag, CRC64: sm.CRC64,
		ContentType: sm.ContentType, Meta: sm.Meta, Std: sm.Std,
		ACL: at.ACL, StorageClass: at.Class, Modified: time.Now().UTC(), Type: "Normal",
		Tags: sm.Tags, SSE: at.SSE,
	}
	if sm.Type == "Multipart" {
		m.Type = "Multipart"
	}
	if replaceMeta {
		m.ContentType, m.Meta, m.Std = at.ContentType, at.Meta, at.Std
	}
	if replaceTags {
		m.Tags = at.Tags
	}
	same := sb == b && sm.Key == rq.key
	var cond func(*objMeta) error
	var newBlob string
	if same {
		// an object copied onto itself keeps its body, type (it stays
		// appendable) and, unless the request sets one, its encryption: only
		// the metadata changes
		m.Blobs = sm.Blobs
		m.UploadID = sm.UploadID
		m.Type = sm.Type
		if at.SSE == (sseSpec{}) {
			m.SSE = sm.SSE
		}
		cond = unchanged(&sm)
	} else {
		body := sb.openBody(src)
		res, err := b.writeBlob(body, sm.Size)
		body.Close()
		if err != nil {
			return s.fail(rq, internalError(err))
		}
		if res.CRC64 != sm.CRC64 {
			b.removeBlobs(res.ID)
			return s.fail(rq, internalError(errors.New("copy: source data does not match its recorded CRC64")))
		}
		newBlob = res.ID
		m.Blobs = []blobRef{{ID: res.ID, Size: res.Size}}
		if forbid {
			cond = func(cur *objMeta) error {
				if cur != nil {
					return errExists
				}
				return nil
			}
		}
	}
	if err := b.commitObjectIf(m, cond); err != nil {
		b.removeBlobs(newBlob)
		switch {
		case errors.Is(err, errExists):
			return s.fail(rq, errExistsReply())
		case errors.Is(err, errChanged):
			return s.fail(rq, errf(http.StatusConflict, "ConcurrentUpdate", "The object changed while it was being copied onto itself; try again."))
		}
		return s.fail(rq, internalError(err))
	}
	rh := rq.w.Header()
	rh.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(m.CRC64, 10))
	rh.Set("Etag", `"`+m.ETag+`"`)
	m.SSE.setHeaders(rh)
	type result struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		ETag         string   `xml:"ETag"`
		LastModified string   `xml:"LastModified"`
	}
	return writeXML(rq, http.StatusOK, result{ETag: `"` + m.ETag + `"`, LastModified: xmlTime(m.Modified)})
}

// parseCopyRange reads x-oss-copy-source-range ("bytes=first-last") against
// an object of the given size; absent means the whole object.
func parseCopyRange(v string, size int64) (off, n int64, e *ossError) {
	if v == "" {
		return 0, size, nil
	}
	bad := errf(http.StatusBadRequest, "InvalidArgument", "x-oss-copy-source-range "+v+" is not a valid range within the source object.").
		with("ArgumentName", "x-oss-copy-source-range").with("ArgumentValue", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, bad
	}
	a, z, ok := strings.Cut(spec, "-")
	first, err1 := strconv.ParseInt(a, 10, 64)
	if !ok || err1 != nil || first < 0 || first >= size {
		return 0, 0, bad
	}
	last := size - 1
	if z != "" {
		l, err := strconv.ParseInt(z, 10, 64)
		if err != nil || l < first {
			return 0, 0, bad
		}
		last = min(l, size-1)
	}
	return first, last - first + 1, nil
}

// uploadPartCopy is UploadPartCopy: a part made of a range of another object.
func (s *Server) uploadPartCopy(rq *request, b *bucket) int {
	n, u, e := s.partFor(rq, b)
	if e != nil {
		return s.fail(rq, e)
	}
	sb, src, e := s.copySource(rq)
	if e != nil {
		return s.fail(rq, e)
	}
	defer sb.release(src)
	off, size, e := parseCopyRange(rq.r.Header.Get("X-Oss-Copy-Source-Range"), src.meta.Size)
	if e != nil {
		return s.fail(rq, e)
	}
	if size > maxPutSize {
		return s.fail(rq, errf(http.StatusBadRequest, "EntityTooLarge", "A part may not exceed 5 GB."))
	}
	body := sb.openBody(src)
	defer body.Close()
	if _, err := body.Seek(off, io.SeekStart); err != nil {
		return s.fail(rq, internalError(err))
	}
	res, err := b.writeBlob(io.LimitReader(body, size), size)
	if err != nil {
		return s.fail(rq, internalError(err))
	}
	p := partMeta{Number: n, Size: res.Size, MD5: hexUpper(res.MD5[:]), CRC64: res.CRC64,
		Modified: time.Now().UTC(), Blob: res.ID}
	if err := b.commitPart(u, p); err != nil {
		if errors.Is(err, errNoUpload) {
			return s.fail(rq, errNoSuchUpload())
		}
		b.removeBlobs(res.ID)
		return s.fail(rq, internalError(err))
	}
	h := rq.w.Header()
	h.Set("Etag", `"`+p.MD5+`"`) // ali-oss reads the part's ETag from the header
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(p.CRC64, 10))
	u.meta.SSE.setHeaders(h)
	type result struct {
		XMLName      xml.Name `xml:"CopyPartResult"`
		LastModified string   `xml:"LastModified"`
		ETag         string   `xml:"ETag"`
	}
	return writeXML(rq, http.StatusOK, result{LastModified: xmlTime(p.Modified), ETag: `"` + p.MD5 + `"`})
}
