package ossemu

import (
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

func forbidOverwrite(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("X-Oss-Forbid-Overwrite"), "true")
}

func errExistsReply() *ossError {
	return errf(http.StatusConflict, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
}

// contentMD5Mismatch checks an optional Content-MD5 against the body's digest.
func contentMD5Mismatch(r *http.Request, sum [16]byte) *ossError {
	v := r.Header.Get("Content-Md5")
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
	at, e := objectAttrs(r)
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
	res, status, ok := s.receiveBody(rq, b, inlineMax)
	if !ok {
		return status
	}
	blob := blobRef{ID: res.ID, Size: res.Size}
	if res.Inline != nil {
		blob = blobRef{ID: randomHex(16), Size: res.Size, Inline: true}
	}
	m := objMeta{
		Key: rq.key, Size: res.Size, ETag: hexUpper(res.MD5[:]), CRC64: res.CRC64,
		ContentType: at.ContentType, Meta: at.Meta, Std: at.Std, ACL: at.ACL, StorageClass: at.Class,
		Modified: time.Now().UTC(), Type: "Normal", Blobs: []blobRef{blob},
		Tags: at.Tags, SSE: at.SSE,
	}
	err := b.commitObject(m, res.Inline, forbid)
	res.release()
	if err != nil {
		b.removeBlobs(res.ID)
		if errors.Is(err, errExists) {
			return s.fail(rq, errExistsReply())
		}
		return s.fail(rq, internalError(err))
	}
	h := rq.w.Header()
	h.Set("Etag", `"`+m.ETag+`"`)
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(m.CRC64, 10))
	h.Set("Content-Md5", base64Std(res.MD5[:]))
	m.SSE.setHeaders(h)
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
// (also for chunked bodies without Content-Length) and any Content-MD5; a
// body of at most keep bytes is kept in memory instead (see bucket.receive).
// When ok is false the error reply has been sent and status is its code.
func (s *Server) receiveBody(rq *request, b *bucket, keep int) (res blobResult, status int, ok bool) {
	r := rq.r
	res, err := b.receive(io.LimitReader(rq.reader(), maxPutSize+1), r.ContentLength, keep)
	if err != nil {
		return res, s.bodyFailed(rq, err), false
	}
	if res.Size > maxPutSize {
		b.removeBlobs(res.ID)
		return res, s.fail(rq, errf(http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size (5 GB).")), false
	}
	if e := contentMD5Mismatch(r, res.MD5); e != nil {
		res.release()
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
	h.Set("Etag", `"`+m.ETag+`"`)
	h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(m.CRC64, 10))
	h.Set("X-Oss-Object-Type", m.Type)
	h.Set("X-Oss-Storage-Class", m.StorageClass)
	if m.ACL != "" && m.ACL != "default" {
		h.Set("X-Oss-Object-Acl", m.ACL)
	}
	for k, v := range m.Meta {
		h.Set(k, v)
	}
	for k, v := range m.Std {
		h.Set(k, v)
	}
	m.SSE.setHeaders(h)
	if len(m.Tags) > 0 {
		h.Set("X-Oss-Tagging-Count", strconv.Itoa(len(m.Tags)))
	}
	if m.Type == "Appendable" {
		h.Set("X-Oss-Next-Append-Position", strconv.FormatInt(m.Size, 10))
	}
	if !m.RestoredUntil.IsZero() {
		h.Set("X-Oss-Restore", `ongoing-request="false", expiry-date="`+m.RestoredUntil.UTC().Format(http.TimeFormat)+`"`)
	}
}

func (s *Server) getObject(rq *request, b *bucket) int {
	var o *pin
	var m *objMeta
	if rq.r.Method == http.MethodHead {
		// metadata only: no need to pin the body (and read an inline one)
		meta, ok := b.lookup(rq.key)
		if !ok {
			return s.fail(rq, errNoSuchKey())
		}
		m = &meta
	} else {
		var err error
		if o, err = b.acquire(rq.key); err != nil {
			return s.fail(rq, internalError(err))
		}
		if o == nil {
			return s.fail(rq, errNoSuchKey())
		}
		defer b.release(o)
		m = &o.meta
	}
	h := rq.w.Header()
	if rq.op == OpGetObjectMeta {
		// GetObjectMeta returns only the basic attributes.
		h.Set("Etag", `"`+m.ETag+`"`)
		h.Set("Last-Modified", m.Modified.UTC().Format(http.TimeFormat))
		h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(m.CRC64, 10))
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
	if needsRestore(m, time.Now()) {
		return s.fail(rq, errNotRestored())
	}
	if v := rq.r.Header.Get("Range"); v != "" {
		standard := strings.EqualFold(rq.r.Header.Get("X-Oss-Range-Behavior"), "standard")
		rng, unsat := ossRange(v, m.Size, standard)
		if unsat {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(m.Size, 10))
			e := s.fail(rq, errf(http.StatusRequestedRangeNotSatisfiable, "InvalidRange", "The requested range cannot be satisfied.").
				with("RangeRequested", v).with("ActualObjectSize", strconv.FormatInt(m.Size, 10)))
			return e
		}
		if rng == "" {
			rq.r.Header.Del("Range")
		} else {
			rq.r.Header.Set("Range", rng)
		}
	}
	body := b.openBody(o)
	defer body.Close()
	// http.ServeContent handles the (now normalised) Range and the If-* conditions.
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

// ossRange applies OSS's Range rules to header v for an object of size
// bytes. Only the first range counts. By default a range not wholly inside
// the object is ignored (the whole object, 200); with
// x-oss-range-behavior: standard an end past the object is clamped and a start
// past it is unsatisfiable (416). rng is the single range to serve, "" for
// the whole object.
func ossRange(v string, size int64, standard bool) (rng string, unsat bool) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes=")
	if !ok {
		return "", false
	}
	spec, _, _ = strings.Cut(spec, ",")
	a, z, ok := strings.Cut(strings.TrimSpace(spec), "-")
	if !ok {
		return "", false
	}
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil && n >= 0
	}
	whole := func() (string, bool) { return "", false }
	out := func(first, last int64) (string, bool) {
		return "bytes=" + strconv.FormatInt(first, 10) + "-" + strconv.FormatInt(last, 10), false
	}
	switch {
	case a == "": // suffix: the last n bytes
		n, ok := num(z)
		if !ok {
			return whole()
		}
		if n == 0 || size == 0 {
			if standard {
				return "", true
			}
			return whole()
		}
		if n > size {
			if standard {
				return out(0, size-1)
			}
			return whole()
		}
		return out(size-n, size-1)
	default:
		first, ok := num(a)
		if !ok {
			return whole()
		}
		last := size - 1
		if z != "" {
			if last, ok = num(z); !ok || last < first {
				return whole()
			}
		}
		if first >= size {
			if standard {
				return "", true
			}
			return whole()
		}
		if last >= size {
			if !standard {
				return whole()
			}
			last = size - 1
		}
		return out(first, last)
	}
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
