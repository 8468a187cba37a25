package ossemu

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
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
	part   int // UploadPart's part number, 0 otherwise
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
	OpListObjects             = "ListObjects"
	OpListObjectsV2           = "ListObjectsV2"
	OpPutObject               = "PutObject"
	OpGetObject               = "GetObject"
	OpHeadObject              = "HeadObject"
	OpGetObjectMeta           = "GetObjectMeta"
	OpDeleteObject            = "DeleteObject"
	OpInitiateMultipartUpload = "InitiateMultipartUpload"
	OpUploadPart              = "UploadPart"
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
		if label, _, ok := strings.Cut(host, "."); ok && s.bucket(label) != nil {
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

func classify(rq *request) string {
	m := rq.r.Method
	if rq.bucket == "" {
		if m == http.MethodGet {
			return OpListBuckets
		}
		return OpUnsupported
	}
	if rq.key == "" {
		if m != http.MethodGet {
			return OpUnsupported
		}
		switch {
		case rq.has("bucketInfo"):
			return OpGetBucketInfo
		case rq.has("uploads"):
			return OpListMultipartUploads
		}
		if v, _ := rq.param("list-type"); v == "2" {
			return OpListObjectsV2
		}
		for _, p := range rq.q {
			if signedParams[p.k] && p.k != "security-token" {
				return OpUnsupported // acl, lifecycle, … bucket sub-resources
			}
		}
		return OpListObjects
	}
	switch m {
	case http.MethodPut:
		if rq.r.Header.Get("x-oss-copy-source") != "" {
			return OpUnsupported
		}
		if rq.has("uploadId") || rq.has("partNumber") {
			return OpUploadPart
		}
		if rq.has("acl") || rq.has("tagging") || rq.has("symlink") {
			return OpUnsupported
		}
		return OpPutObject
	case http.MethodGet:
		if rq.has("uploadId") {
			return OpListParts
		}
		if rq.has("acl") || rq.has("tagging") || rq.has("symlink") || rq.has("x-oss-process") {
			return OpUnsupported
		}
		return OpGetObject
	case http.MethodHead:
		if rq.has("objectMeta") {
			return OpGetObjectMeta
		}
		return OpHeadObject
	case http.MethodPost:
		if rq.has("uploads") {
			return OpInitiateMultipartUpload
		}
		if rq.has("uploadId") {
			return OpCompleteMultipartUpload
		}
		return OpUnsupported
	case http.MethodDelete:
		if rq.has("uploadId") {
			return OpAbortMultipartUpload
		}
		return OpDeleteObject
	}
	return OpUnsupported
}

// ServeHTTP answers one OSS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Done()
	rq := &request{r: r, w: w, id: randomHex(12), q: parseQuery(r.URL.RawQuery)}
	h := w.Header()
	h.Set("x-oss-request-id", rq.id)
	h.Set("Server", "AliyunOSS")
	rq.bucket, rq.key = s.route(r)
	rq.op = classify(rq)
	if rq.op == OpUploadPart {
		v, _ := rq.param("partNumber")
		rq.part, _ = strconv.Atoi(v)
	}
	s.stats.request(rq.op)
	if r.Body != nil {
		r.Body = &countingBody{rc: r.Body, n: s.stats.bytesCounter(rq.op)}
	}

	start := time.Now()
	status, handled := s.applyFaults(rq)
	if !handled {
		status = s.serve(rq)
	}
	s.log.Debug("request", "op", rq.op, "method", r.Method, "bucket", rq.bucket, "key", rq.key,
		"status", status, "id", rq.id, "took", time.Since(start))
}

func (s *Server) serve(rq *request) int {
	if e := s.authenticate(rq.r, rq.bucket, rq.key, rq.q); e != nil && !s.anonymousRead(rq, e) {
		return s.fail(rq, e)
	}
	if rq.op == OpListBuckets {
		return s.listBuckets(rq)
	}
	if rq.op == OpUnsupported {
		return s.fail(rq, errf(http.StatusNotImplemented, "NotImplemented", "This operation is not supported by the local OSS server."))
	}
	b := s.bucket(rq.bucket)
	if b == nil {
		return s.fail(rq, errf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.").with("BucketName", rq.bucket))
	}
	if rq.key != "" {
		if why := validKey(rq.key); why != "" {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidObjectName", why))
		}
	}
	switch rq.op {
	case OpGetBucketInfo:
		return s.getBucketInfo(rq, b)
	case OpListObjects, OpListObjectsV2:
		return s.listObjects(rq, b)
	case OpListMultipartUploads:
		return s.listUploads(rq, b)
	case OpPutObject:
		return s.putObject(rq, b)
	case OpGetObject, OpHeadObject, OpGetObjectMeta:
		return s.getObject(rq, b)
	case OpDeleteObject:
		return s.deleteObject(rq, b)
	case OpInitiateMultipartUpload:
		return s.initiateUpload(rq, b)
	case OpUploadPart:
		return s.uploadPart(rq, b)
	case OpCompleteMultipartUpload:
		return s.completeUpload(rq, b)
	case OpListParts:
		return s.listParts(rq, b)
	case OpAbortMultipartUpload:
		return s.abortUpload(rq, b)
	}
	return s.fail(rq, errf(http.StatusNotImplemented, "NotImplemented", "This operation is not supported by the local OSS server."))
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

// maxDrain bounds how much of an unread request body is read before an error
// reply, so the client sees the reply instead of a reset connection.
const maxDrain = 1 << 30

// fail sends an OSS error document (base64 in x-oss-err for HEAD, which has no body).
func (s *Server) fail(rq *request, e *ossError) int {
	if rq.r.Body != nil {
		cb, _ := rq.r.Body.(*countingBody)
		// a client waiting for "100 Continue" has sent nothing: no need to drain
		if cb == nil || cb.started || !strings.EqualFold(rq.r.Header.Get("Expect"), "100-continue") {
			io.Copy(io.Discard, io.LimitReader(rq.r.Body, maxDrain))
		}
	}
	body := e.xml(rq.id, rq.r.Host)
	h := rq.w.Header()
	for _, k := range []string{"ETag", "Last-Modified", "x-oss-hash-crc64ecma", "Content-Range", "Accept-Ranges"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/xml")
	if rq.r.Method == http.MethodHead {
		h.Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
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
}

func (c *countingBody) Read(p []byte) (int, error) {
	c.started = true
	n, err := c.rc.Read(p)
	if n > 0 {
		c.n.Add(int64(n))
	}
	return n, err
}

func (c *countingBody) Close() error { return c.rc.Close() }
