package ossemu

import (
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var validACLs = map[string]bool{"default": true, "private": true, "public-read": true, "public-read-write": true}

var validStorageClasses = map[string]string{
	"standard": "Standard", "ia": "IA", "archive": "Archive", "coldarchive": "ColdArchive", "deepcoldarchive": "DeepColdArchive",
}

// storedHeaders are the standard HTTP headers OSS keeps with an object and
// returns on GET and HEAD.
var storedHeaders = []string{"Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

func standardHeaders(r *http.Request) map[string]string {
	var m map[string]string
	for _, k := range storedHeaders {
		if v := r.Header.Get(k); v != "" {
			if m == nil {
				m = map[string]string{}
			}
			m[k] = v
		}
	}
	return m
}

// responseOverrides are the GET parameters that replace reply headers (used
// by presigned download links).
var responseOverrides = map[string]string{
	"response-content-type": "Content-Type", "response-content-language": "Content-Language",
	"response-expires": "Expires", "response-cache-control": "Cache-Control",
	"response-content-disposition": "Content-Disposition", "response-content-encoding": "Content-Encoding",
}

// objectHeaders reads the headers that become stored object attributes.
func objectHeaders(r *http.Request) (ctype string, meta map[string]string, acl, class string, e *ossError) {
	ctype = r.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-oss-meta-") && len(vs) > 0 {
			if meta == nil {
				meta = map[string]string{}
			}
			meta[lk] = vs[0]
		}
	}
	size := 0
	for k, v := range meta {
		size += len(k) + len(v)
	}
	if size > 8<<10 {
		return "", nil, "", "", errf(http.StatusBadRequest, "MetadataTooLarge", "User metadata may not exceed 8 KB.")
	}
	acl = r.Header.Get("x-oss-object-acl")
	if acl == "" {
		acl = "default"
	}
	if !validACLs[acl] {
		return "", nil, "", "", errf(http.StatusBadRequest, "InvalidArgument", "x-oss-object-acl "+acl+" is not one of default, private, public-read, public-read-write.").
			with("ArgumentName", "x-oss-object-acl").with("ArgumentValue", acl)
	}
	class = "Standard"
	if v := r.Header.Get("x-oss-storage-class"); v != "" {
		c, ok := validStorageClasses[strings.ToLower(v)]
		if !ok {
			return "", nil, "", "", errf(http.StatusBadRequest, "InvalidArgument", "x-oss-storage-class "+v+" is not valid.").
				with("ArgumentName", "x-oss-storage-class").with("ArgumentValue", v)
		}
		class = c
	}
	return ctype, meta, acl, class, nil
}

func forbidOverwrite(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("x-oss-forbid-overwrite"), "true")
}

func errExistsReply() *ossError {
	return errf(http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
}

// contentMD5Mismatch checks an optional Content-MD5 against the body's digest.
func contentMD5Mismatch(r *http.Request, sum [16]byte) *ossError {
	v := r.Header.Get("Content-MD5")
	if v == "" {
		return nil
	}
	if v != base64Std(sum[:]) {
		return errf(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified is not valid.")
	}
	return nil
}

func (s *Server) putObject(rq *request, b *bucket) int {
	r := rq.r
	if r.ContentLength < 0 && len(r.TransferEncoding) == 0 {
		return s.fail(rq, errf(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header."))
	}
	if r.ContentLength > maxPutSize {
		return s.fail(rq, errf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size (5 GB)."))
	}
	ctype, meta, acl, class, e := objectHeaders(r)
	if e != nil {
		return s.fail(rq, e)
	}
	cb, e := parseCallback(r)
	if e != nil {
		return s.fail(rq, e)
	}
	forbid := forbidOverwrite(r)
	if forbid {
		if _, exists := b.lookup(rq.key); exists {
			return s.fail(rq, errExistsReply())
		}
	}
	res, status, ok := s.receiveBody(rq, b)
	if !ok {
		return status
	}
	m := objMeta{
		Key: rq.key, Size: res.Size, ETag: strings.ToUpper(hex.EncodeToString(res.MD5[:])), CRC64: res.CRC64,
		ContentType: ctype, Meta: meta, Std: standardHeaders(r), ACL: acl, StorageClass: class,
		Modified: time.Now().UTC(), Type: "Normal", Blobs: []blobRef{{ID: res.ID, Size: res.Size}},
	}
	if err := b.commitObject(m, forbid); err != nil {
		b.removeBlobs(res.ID)
		if errors.Is(err, errExists) {
			return s.fail(rq, errExistsReply())
		}
		return s.fail(rq, internalError(err))
	}
	h := rq.w.Header()
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	h.Set("Content-MD5", base64Std(res.MD5[:]))
	if cb != nil {
		return s.runCallback(rq, cb, &m)
	}
	h.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

// bodyFailed answers a request whose body could not be read to the end: the
// client is usually gone, but if not it learns why.
// receiveBody stores the request body as a blob of b, enforcing the 5 GB limit
// (also for chunked bodies without Content-Length) and any Content-MD5. When ok
// is false the error reply has been sent and status is its code.
func (s *Server) receiveBody(rq *request, b *bucket) (res blobResult, status int, ok bool) {
	r := rq.r
	res, err := b.writeBlob(io.LimitReader(r.Body, maxPutSize+1), r.ContentLength)
	if err != nil {
		return res, s.bodyFailed(rq, err), false
	}
	if res.Size > maxPutSize {
		b.removeBlobs(res.ID)
		return res, s.fail(rq, errf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size (5 GB).")), false
	}
	if e := contentMD5Mismatch(r, res.MD5); e != nil {
		b.removeBlobs(res.ID)
		return res, s.fail(rq, e), false
	}
	return res, 0, true
}

func (s *Server) bodyFailed(rq *request, err error) int {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return s.failNoDrain(rq, errf(http.StatusBadRequest, "IncompleteBody", "The request body is shorter than its Content-Length."))
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return s.failNoDrain(rq, errf(http.StatusBadRequest, "EntityTooLarge", "The request body is too large."))
	}
	if rq.r.Context().Err() != nil {
		// the client went away; abort rather than let net/http send an implicit 200
		panic(http.ErrAbortHandler)
	}
	s.log.Warn("reading request body", "op", rq.op, "key", rq.key, "err", err)
	return s.failNoDrain(rq, internalError(err))
}

// maxPutSize is the largest object a PutObject or part may carry (5 GB).
const maxPutSize = 5 << 30

func setObjectHeaders(h http.Header, m *objMeta) {
	h.Set("ETag", `"`+m.ETag+`"`)
	h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
	h.Set("x-oss-object-type", m.Type)
	h.Set("x-oss-storage-class", m.StorageClass)
	if m.ACL != "" && m.ACL != "default" {
		h.Set("x-oss-object-acl", m.ACL)
	}
	for k, v := range m.Meta {
		h.Set(k, v)
	}
	for k, v := range m.Std {
		h.Set(k, v)
	}
}

func (s *Server) getObject(rq *request, b *bucket) int {
	o := b.acquire(rq.key)
	if o == nil {
		return s.fail(rq, errNoSuchKey())
	}
	defer b.release(o)
	m := &o.meta
	h := rq.w.Header()
	if rq.op == OpGetObjectMeta {
		// GetObjectMeta returns only the basic attributes.
		h.Set("ETag", `"`+m.ETag+`"`)
		h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
		h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(m.CRC64, 10))
		h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
		rq.w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	setObjectHeaders(h, m)
	h.Set("Content-Type", m.ContentType)
	h.Set("Accept-Ranges", "bytes")
	if rq.r.Method == http.MethodGet {
		for _, p := range rq.q {
			if hk, ok := responseOverrides[p.k]; ok {
				h.Set(hk, p.v)
			}
		}
	}
	if rq.r.Method == http.MethodHead {
		if e := checkPreconditions(rq.r, m); e != nil {
			return s.fail(rq, e)
		}
		h.Set("Content-Length", strconv.FormatInt(m.Size, 10))
		rq.w.WriteHeader(http.StatusOK)
		return http.StatusOK
	}
	body := b.openBody(m)
	defer body.Close()
	// http.ServeContent handles Range (206, 416) and the If-* conditions.
	sw := &statusWriter{ResponseWriter: rq.w, status: http.StatusOK}
	sw.onError = func(code int) {
		switch code {
		case http.StatusRequestedRangeNotSatisfiable:
			s.fail(rq, errf(code, "InvalidRange", "The requested range cannot be satisfied."))
		case http.StatusPreconditionFailed:
			s.fail(rq, errf(code, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold."))
		default:
			s.fail(rq, errf(code, http.StatusText(code), "The request could not be served."))
		}
	}
	http.ServeContent(sw, rq.r, "", m.Modified, body)
	return sw.status
}

// checkPreconditions applies If-Match / If-None-Match / If-(Un)Modified-Since
// for HEAD (GET gets them from http.ServeContent).
func checkPreconditions(r *http.Request, m *objMeta) *ossError {
	etag := `"` + m.ETag + `"`
	if v := r.Header.Get("If-Match"); v != "" && v != etag && v != "*" {
		return errf(http.StatusPreconditionFailed, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
	}
	if v := r.Header.Get("If-None-Match"); v != "" && (v == etag || v == "*") {
		return errf(http.StatusNotModified, "NotModified", "Not modified.")
	}
	return nil
}

// statusWriter records the status http.ServeContent sends and turns its
// plain-text error replies into OSS error documents.
type statusWriter struct {
	http.ResponseWriter
	status    int
	onError   func(code int)
	swallowed bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	if code >= 400 && w.onError != nil {
		w.swallowed = true
		w.onError(code)
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.swallowed {
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (s *Server) deleteObject(rq *request, b *bucket) int {
	if err := b.deleteObject(rq.key); err != nil {
		return s.fail(rq, internalError(err))
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}
