package ossemu

import (
	"crypto/md5"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
)

func errPosition(next int64) *ossError {
	return errf(http.StatusConflict, "PositionNotEqualToLength", "Position is not equal to file length.").
		with("NextAppendPosition", strconv.FormatInt(next, 10))
}

// appendObject is AppendObject: the body is added at position, which must
// equal the object's current length (0 creates it). The body becomes one more
// blob of the object, and its CRC64 is chained onto the object's.
func (s *Server) appendObject(rq *request, b *bucket) int {
	r := rq.r
	pv, ok := rq.param("position")
	pos, err := strconv.ParseInt(pv, 10, 64)
	if !ok || err != nil || pos < 0 {
		return s.fail(rq, errf(http.StatusBadRequest, "InvalidArgument", "AppendObject needs a position parameter: a non-negative integer.").
			with("ArgumentName", "position").with("ArgumentValue", pv))
	}
	if r.ContentLength < 0 && len(r.TransferEncoding) == 0 {
		return s.fail(rq, errf(http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header."))
	}
	old, exists := b.lookup(rq.key)
	var cur int64
	if exists {
		if old.Type != "Appendable" {
			return s.fail(rq, errf(http.StatusConflict, "ObjectNotAppendable", "The object is not appendable: it was not created by AppendObject."))
		}
		cur = old.Size
	}
	if pos != cur {
		rq.w.Header().Set("X-Oss-Next-Append-Position", strconv.FormatInt(cur, 10))
		return s.fail(rq, errPosition(cur))
	}
	var at objAttrs
	if !exists {
		var e *ossError
		if at, e = objectAttrs(r); e != nil {
			return s.fail(rq, e)
		}
	}
	if r.ContentLength > maxPutSize-cur {
		return s.fail(rq, errf(http.StatusBadRequest, "ObjectTooLarge", "An appendable object may not exceed 5 GB."))
	}
	res, status, ok := s.receiveBody(rq, b, -1)
	if !ok {
		return status
	}
	now := time.Now().UTC()
	var m objMeta
	var cond func(*objMeta) error
	if exists {
		m = old
		m.Blobs = append(append([]blobRef(nil), old.Blobs...), blobRef{ID: res.ID, Size: res.Size})
		m.CRC64 = crc64ecma.Combine(old.CRC64, res.CRC64, res.Size)
		cond = unchanged(&old)
	} else {
		m = objMeta{Key: rq.key, ContentType: at.ContentType, Meta: at.Meta, Std: at.Std, ACL: at.ACL,
			StorageClass: at.Class, Type: "Appendable", Tags: at.Tags, SSE: at.SSE,
			Blobs: []blobRef{{ID: res.ID, Size: res.Size}}, CRC64: res.CRC64}
		cond = unchanged(nil)
	}
	m.Size = cur + res.Size
	m.Modified = now
	// OSS's ETag of an appendable object is not the MD5 of its body; this one
	// chains each appended piece's MD5 so it changes with every append.
	sum := md5.Sum(append([]byte(old.ETag), res.MD5[:]...))
	m.ETag = hexUpper(sum[:])
	if err := b.commitObjectIf(m, cond); err != nil {
		b.removeBlobs(res.ID)
		if errors.Is(err, errChanged) {
			now, _ := b.lookup(rq.key)
			rq.w.Header().Set("X-Oss-Next-Append-Position", strconv.FormatInt(now.Size, 10))
			return s.fail(rq, errPosition(now.Size))
		}
		return s.fail(rq, internalError(err))
	}
	h := rq.w.Header()
	h.Set("Etag", `"`+m.ETag+`"`)
	h.Set("X-Oss-Next-Append-Position", strconv.FormatInt(m.Size, 10))
	h.Set("X-Oss-Hash-Crc64ecma", strconv.FormatUint(m.CRC64, 10))
	m.SSE.setHeaders(h)
	h.Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return http.StatusOK
}
