package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ossError is an OSS error reply.
type ossError struct {
	status int
	code   string
	msg    string
	extra  [][2]string
}

func (e *ossError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.msg) }

func errf(status int, code, msg string) *ossError {
	return &ossError{status: status, code: code, msg: msg}
}

func (e *ossError) with(k, v string) *ossError {
	e.extra = append(e.extra, [2]string{k, v})
	return e
}

func internalError(err error) *ossError {
	return errf(http.StatusInternalServerError, "InternalError", "We encountered an internal error: "+err.Error())
}

func errNoSuchKey() *ossError {
	return errf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
}

func errNoSuchUpload() *ossError {
	return errf(http.StatusNotFound, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func (e *ossError) xml(reqID, host string) []byte {
	var b strings.Builder
	b.WriteString(xml.Header)
	b.WriteString("<Error>\n")
	fmt.Fprintf(&b, "  <Code>%s</Code>\n  <Message>%s</Message>\n  <RequestId>%s</RequestId>\n  <HostId>%s</HostId>\n",
		xmlEscape(e.code), xmlEscape(e.msg), reqID, xmlEscape(host))
	for _, kv := range e.extra {
		fmt.Fprintf(&b, "  <%s>%s</%s>\n", kv[0], xmlEscape(kv[1]), kv[0])
	}
	b.WriteString("</Error>\n")
	return []byte(b.String())
}

// request is one parsed request.
type request struct {
	r      *http.Request
	w      http.ResponseWriter
	id     string
	op     string
	bucket string
	key    string
	q      []queryPair
	part   int           // UploadPart's part number, 0 otherwise
	body   *countingBody // the request body, counted; nil when there is none
	authed bool          // the signature (or a public ACL) admitted the request
}

func (rq *request) param(k string) (string, bool) {
	for _, p := range rq.q {
		if p.k == k {
			return p.v, true
		}
	}
	return "", false
}

func (rq *request) has(k string) bool { _, ok := rq.param(k); return ok }

// Operation names, as used by Fault matching and request counters.
const (
	OpListBuckets             = "ListBuckets"
	OpGetBucketInfo           = "GetBucketInfo"
	OpGetBucketLocation       = "GetBucketLocation"
	OpGetBucketStat           = "GetBucketStat"
	OpGetBucketAcl            = "GetBucketAcl"
	OpListObjects             = "ListObjects"
	OpListObjectsV2           = "ListObjectsV2"
	OpDeleteMultipleObjects   = "DeleteMultipleObjects"
	OpPutObject               = "PutObject"
	OpCopyObject              = "CopyObject"
	OpAppendObject            = "AppendObject"
	OpGetObject               = "GetObject"
	OpHeadObject              = "HeadObject"
	OpGetObjectMeta           = "GetObjectMeta"
	OpDeleteObject            = "DeleteObject"
	OpGetObjectAcl            = "GetObjectAcl"
	OpPutObjectAcl            = "PutObjectAcl"
	OpGetObjectTagging        = "GetObjectTagging"
	OpPutObjectTagging        = "PutObjectTagging"
	OpDeleteObjectTagging     = "DeleteObjectTagging"
	OpRestoreObject           = "RestoreObject"
	OpInitiateMultipartUpload = "InitiateMultipartUpload"
	OpUploadPart              = "UploadPart"
	OpUploadPartCopy          = "UploadPartCopy"
	OpCompleteMultipartUpload = "CompleteMultipartUpload"
	OpListParts               = "ListParts"
	OpAbortMultipartUpload    = "AbortMultipartUpload"
	OpListMultipartUploads    = "ListMultipartUploads"
	OpUnsupported             = "Unsupported"
)

// route splits a request into bucket, key and operation. Path-style requests
// (IP endpoints) carry the bucket in the path; virtual-hosted ones in the host.
func (s *Server) route(r *http.Request) (bucket, key string) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	path := r.URL.Path
	if net.ParseIP(host) == nil {
		// Virtual-hosted style: the bucket is the first label. A client
		// talking to an IP endpoint may still name an OSS host (ali-oss sends
		// Host: <bucket>.oss-<region>.aliyuncs.com), so such a host names the
		// bucket even when it does not exist here.
		label, rest, ok := strings.Cut(host, ".")
		if ok && (s.bucket(label) != nil || validBucket(label) && (strings.HasPrefix(rest, "oss-") || strings.HasSuffix(rest, ".aliyuncs.com"))) {
			return label, strings.TrimPrefix(path, "/")
		}
	}
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return "", ""
	}
	bucket, key, _ = strings.Cut(path, "/")
	return bucket, key
}

// unsupportedSub reports whether the request names a sub-resource this server
// does not implement (lifecycle, cors, symlink, …), so it gets 501 rather than
// being mistaken for a plain object or listing request.
func unsupportedSub(rq *request, known ...string) bool {
	for _, p := range rq.q {
		if !signedParams[p.k] || notSubresource[p.k] || strings.HasPrefix(p.k, "response-") {
			continue
		}
		if !slices.Contains(known, p.k) {
			return true
		}
	}
	return false
}

// notSubresource are signed parameters that modify a request rather than
// name a sub-resource.
var notSubresource = map[string]bool{
	"security-token": true, "continuation-token": true, "x-oss-traffic-limit": true, "x-oss-request-payer": true,
}

func classify(rq *request) string {
	m := rq.r.Method
	if rq.bucket == "" {
		if m == http.MethodGet && !unsupportedSub(rq) {
			return OpListBuckets
		}
		return OpUnsupported
	}
	if rq.key == "" {
		switch {
		case m == http.MethodGet && rq.has("bucketInfo"):
			return OpGetBucketInfo
		case m == http.MethodGet && rq.has("location"):
			return OpGetBucketLocation
		case m == http.MethodGet && rq.has("stat"):
			return OpGetBucketStat
		case m == http.MethodGet && rq.has("acl"):
			return OpGetBucketAcl
		case m == http.MethodGet && rq.has("uploads"):
			return OpListMultipartUploads
		case m == http.MethodPost && rq.has("delete"):
			return OpDeleteMultipleObjects
		case m != http.MethodGet || unsupportedSub(rq):
			return OpUnsupported
		}
		if v, _ := rq.param("list-type"); v == "2" {
			return OpListObjectsV2
		}
		return OpListObjects
	}
	copySrc := rq.r.Header.Get("X-Oss-Copy-Source") != ""
	switch m {
	case http.MethodPut:
		switch {
		case rq.has("acl"):
			return OpPutObjectAcl
		case rq.has("tagging"):
			return OpPutObjectTagging
		case unsupportedSub(rq, "uploadId", "partNumber"):
			return OpUnsupported
		case (rq.has("uploadId") || rq.has("partNumber")) && copySrc:
			return OpUploadPartCopy
		case rq.has("uploadId") || rq.has("partNumber"):
			return OpUploadPart
		case copySrc:
			return OpCopyObject
		}
		return OpPutObject
	case http.MethodGet:
		switch {
		case rq.has("acl"):
			return OpGetObjectAcl
		case rq.has("tagging"):
			return OpGetObjectTagging
		case rq.has("uploadId"):
			return OpListParts
		case unsupportedSub(rq):
			return OpUnsupported
		}
		return OpGetObject
	case http.MethodHead:
		if rq.has("objectMeta") {
			return OpGetObjectMeta
		}
		if unsupportedSub(rq) {
			return OpUnsupported
		}
		return OpHeadObject
	case http.MethodPost:
		switch {
		case rq.has("uploads"):
			return OpInitiateMultipartUpload
		case rq.has("uploadId"):
			return OpCompleteMultipartUpload
		case rq.has("append"):
			return OpAppendObject
		case rq.has("restore"):
			return OpRestoreObject
		}
		return OpUnsupported
	case http.MethodDelete:
		switch {
		case rq.has("tagging"):
			return OpDeleteObjectTagging
		case rq.has("uploadId"):
			return OpAbortMultipartUpload
		case unsupportedSub(rq):
			return OpUnsupported
		}
		return OpDeleteObject
	}
	return OpUnsupported
}

// ServeHTTP answers one OSS request.
//
// Header names throughout the package are written in Go's canonical form
// (X-Oss-Hash-Crc64ecma, Etag, Content-Md5): Get and Set then use them as
// they are, where any other spelling is converted, and allocated, on every
// call. The names on the wire are the same either way.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Done()
	s.busy.Add(1)
	defer s.busy.Add(-1)
	rq := &request{r: r, w: w, id: randomHex(12), q: parseQuery(r.URL.RawQuery)}
	h := w.Header()
	h.Set("X-Oss-Request-Id", rq.id)
	h.Set("Server", "AliyunOSS")
	rq.bucket, rq.key = s.route(r)
	rq.op = classify(rq)
	if rq.op == OpUploadPart {
		v, _ := rq.param("partNumber")
		rq.part, _ = strconv.Atoi(v)
	}
	s.stats.request(rq.op)
	// r.Body itself stays untouched: net/http recognises its own
	// "Expect: 100-continue" reader there, and an error reply sent before the
	// body is read then closes the connection instead of waiting for the body.
	if r.Body != nil && r.Body != http.NoBody {
		rq.body = &countingBody{rc: r.Body, n: s.stats.bytesCounter(rq.op)}
	}

	start := time.Now()
	status, handled := s.applyFaults(rq)
	if !handled {
		status = s.serve(rq)
	}
	if s.log.Enabled(r.Context(), slog.LevelDebug) { // the arguments alone cost allocations
		s.log.Debug("request", "op", rq.op, "method", r.Method, "bucket", rq.bucket, "key", rq.key,
			"status", status, "id", rq.id, "took", time.Since(start))
	}
}

func errNotImplemented() *ossError {
	return errf(http.StatusNotImplemented, "NotImplemented", "This operation is not supported by the local OSS server.")
}

func (s *Server) serve(rq *request) int {
	if e := s.authenticate(rq.r, rq.bucket, rq.key, rq.q); e != nil && !s.anonymousRead(rq, e) {
		return s.fail(rq, e)
	}
	rq.authed = true
	if rq.op == OpListBuckets {
		return s.listBuckets(rq)
	}
	// OSS answers NoSuchBucket before anything else: clients probe bucket
	// existence with requests (GetBucketAcl, …) whose answer depends on it.
	if rq.key == "" && rq.r.Method == http.MethodPut && len(rq.q) == 0 {
		// PutBucket: answering NoSuchBucket to a request creating one would mislead
		return s.fail(rq, errf(http.StatusNotImplemented, "NotImplemented", "Creating buckets is not supported by the local OSS server; start it with --bucket NAME instead."))
	}
	var b *bucket
	if rq.bucket != "" {
		if b = s.bucket(rq.bucket); b == nil {
			return s.fail(rq, errNoSuchBucket(rq.bucket))
		}
	}
	if rq.op == OpUnsupported || b == nil {
		return s.fail(rq, errNotImplemented())
	}
	if rq.key != "" {
		if why := validKey(rq.key); why != "" {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidObjectName", why))
		}
	}
	switch rq.op {
	case OpGetBucketInfo:
		return s.getBucketInfo(rq, b)
	case OpGetBucketLocation:
		return s.getBucketLocation(rq, b)
	case OpGetBucketStat:
		return s.getBucketStat(rq, b)
	case OpGetBucketAcl:
		return s.getBucketAcl(rq, b)
	case OpListObjects, OpListObjectsV2:
		return s.listObjects(rq, b)
	case OpListMultipartUploads:
		return s.listUploads(rq, b)
	case OpDeleteMultipleObjects:
		return s.deleteMultiple(rq, b)
	case OpPutObject:
		return s.putObject(rq, b)
	case OpCopyObject:
		return s.copyObject(rq, b)
	case OpAppendObject:
		return s.appendObject(rq, b)
	case OpGetObject, OpHeadObject, OpGetObjectMeta:
		return s.getObject(rq, b)
	case OpDeleteObject:
		return s.deleteObject(rq, b)
	case OpGetObjectAcl:
		return s.getObjectAcl(rq, b)
	case OpPutObjectAcl:
		return s.putObjectAcl(rq, b)
	case OpGetObjectTagging:
		return s.getObjectTagging(rq, b)
	case OpPutObjectTagging:
		return s.putObjectTagging(rq, b)
	case OpDeleteObjectTagging:
		return s.deleteObjectTagging(rq, b)
	case OpRestoreObject:
		return s.restoreObject(rq, b)
	case OpInitiateMultipartUpload:
		return s.initiateUpload(rq, b)
	case OpUploadPart:
		return s.uploadPart(rq, b)
	case OpUploadPartCopy:
		return s.uploadPartCopy(rq, b)
	case OpCompleteMultipartUpload:
		return s.completeUpload(rq, b)
	case OpListParts:
		return s.listParts(rq, b)
	case OpAbortMultipartUpload:
		return s.abortUpload(rq, b)
	}
	return s.fail(rq, errNotImplemented())
}

func errNoSuchBucket(name string) *ossError {
	return errf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.").with("BucketName", name)
}

// anonymousRead reports whether an unsigned request may read anyway: the
// object's ACL is public-read or public-read-write, as on OSS.
func (s *Server) anonymousRead(rq *request, e *ossError) bool {
	if e.code != "AccessDenied" || rq.r.Header.Get("Authorization") != "" || hasParam(rq.q, "Signature") || hasParam(rq.q, "x-oss-signature") {
		return false
	}
	if rq.op != OpGetObject && rq.op != OpHeadObject && rq.op != OpGetObjectMeta {
		return false
	}
	b := s.bucket(rq.bucket)
	if b == nil {
		return false
	}
	m, ok := b.lookup(rq.key)
	return ok && (m.ACL == "public-read" || m.ACL == "public-read-write")
}

// An error reply first reads what is left of the request body (up to
// maxDrain), so the client sees the reply instead of a reset connection — and
// the v1 SDK, which races with itself when a reply arrives while it is still
// sending, stays clean. For a request that has not authenticated the drain
// is bounded in time, so trickling bodies cannot hold connections open.
const (
	maxDrain       = 1 << 30
	drainAnonLimit = 5 * time.Second
)

// fail sends an OSS error document (base64 in x-oss-err for HEAD, which has no body).
func (s *Server) fail(rq *request, e *ossError) int {
	if cb := rq.body; cb != nil && !cb.eof {
		// a client waiting for "100 Continue" has sent nothing: net/http
		// replies at once and closes the connection.
		if cb.started || !strings.EqualFold(rq.r.Header.Get("Expect"), "100-continue") {
			if !rq.authed {
				_ = http.NewResponseController(rq.w).SetReadDeadline(time.Now().Add(s.drainTimeout))
			}
			io.Copy(io.Discard, io.LimitReader(cb, maxDrain))
			if !cb.eof {
				rq.w.Header().Set("Connection", "close")
			}
		} else {
			rq.w.Header().Set("Connection", "close")
		}
	}
	body := e.xml(rq.id, rq.r.Host)
	h := rq.w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "x-oss-hash-crc64ecma", "Content-Range", "Accept-Ranges"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/xml")
	if rq.r.Method == http.MethodHead {
		h.Set("X-Oss-Err", base64.StdEncoding.EncodeToString(body))
		h.Set("Content-Length", "0")
		rq.w.WriteHeader(e.status)
		return e.status
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(e.status)
	rq.w.Write(body)
	if e.status >= 500 {
		s.log.Warn("request failed", "op", rq.op, "code", e.code, "msg", e.msg, "id", rq.id)
	}
	return e.status
}

// writeXML sends a 200 reply with an XML document.
func writeXML(rq *request, status int, v any) int {
	out, err := xml.Marshal(v)
	if err != nil {
		out = []byte("<Error><Code>InternalError</Code></Error>")
		status = http.StatusInternalServerError
	}
	body := append([]byte(xml.Header), out...)
	h := rq.w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	rq.w.WriteHeader(status)
	rq.w.Write(body)
	return status
}

// countingBody counts request body bytes as they are read.
type countingBody struct {
	rc      io.ReadCloser
	n       interface{ Add(int64) int64 }
	started bool
	eof     bool
}

func (c *countingBody) Read(p []byte) (int, error) {
	c.started = true
	n, err := c.rc.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
	}
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }

// reader is the request body to read from: empty when there is none.
func (rq *request) reader() io.Reader {
	if rq.body == nil {
		return http.NoBody
	}
	return rq.body
}
