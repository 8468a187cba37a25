package ossemu

import (
	"crypto/md5"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"
)

// ---- bucket sub-resources ----

func (s *Server) getBucketLocation(rq *request, b *bucket) int {
	type result struct {
		XMLName  xml.Name `xml:"LocationConstraint"`
		Location string   `xml:",chardata"`
	}
	return writeXML(rq, http.StatusOK, result{Location: s.location()})
}

func (s *Server) getBucketAcl(rq *request, b *bucket) int {
	type result struct {
		XMLName xml.Name `xml:"AccessControlPolicy"`
		Owner   owner    `xml:"Owner"`
		Grant   string   `xml:"AccessControlList>Grant"`
	}
	return writeXML(rq, http.StatusOK, result{Owner: s.owner(), Grant: "private"})
}

func (s *Server) getBucketStat(rq *request, b *bucket) int {
	type result struct {
		XMLName                     xml.Name `xml:"BucketStat"`
		Storage                     int64    `xml:"Storage"`
		ObjectCount                 int64    `xml:"ObjectCount"`
		MultipartUploadCount        int64    `xml:"MultipartUploadCount"`
		LiveChannelCount            int64    `xml:"LiveChannelCount"`
		LastModifiedTime            int64    `xml:"LastModifiedTime"`
		StandardStorage             int64    `xml:"StandardStorage"`
		StandardObjectCount         int64    `xml:"StandardObjectCount"`
		InfrequentAccessStorage     int64    `xml:"InfrequentAccessStorage"`
		InfrequentAccessRealStorage int64    `xml:"InfrequentAccessRealStorage"`
		InfrequentAccessObjectCount int64    `xml:"InfrequentAccessObjectCount"`
		ArchiveStorage              int64    `xml:"ArchiveStorage"`
		ArchiveRealStorage          int64    `xml:"ArchiveRealStorage"`
		ArchiveObjectCount          int64    `xml:"ArchiveObjectCount"`
		ColdArchiveStorage          int64    `xml:"ColdArchiveStorage"`
		ColdArchiveRealStorage      int64    `xml:"ColdArchiveRealStorage"`
		ColdArchiveObjectCount      int64    `xml:"ColdArchiveObjectCount"`
		DeepColdArchiveStorage      int64    `xml:"DeepColdArchiveStorage"`
		DeepColdArchiveRealStorage  int64    `xml:"DeepColdArchiveRealStorage"`
		DeepColdArchiveObjectCount  int64    `xml:"DeepColdArchiveObjectCount"`
	}
	var r result
	var last time.Time
	b.mu.Lock()
	for _, o := range b.objects {
		m := &o.meta
		r.Storage += m.Size
		r.ObjectCount++
		if m.Modified.After(last) {
			last = m.Modified
		}
		switch m.StorageClass {
		case "IA":
			r.InfrequentAccessStorage += m.Size
			r.InfrequentAccessRealStorage += m.Size
			r.InfrequentAccessObjectCount++
		case "Archive":
			r.ArchiveStorage += m.Size
			r.ArchiveRealStorage += m.Size
			r.ArchiveObjectCount++
		case "ColdArchive":
			r.ColdArchiveStorage += m.Size
			r.ColdArchiveRealStorage += m.Size
			r.ColdArchiveObjectCount++
		case "DeepColdArchive":
			r.DeepColdArchiveStorage += m.Size
			r.DeepColdArchiveRealStorage += m.Size
			r.DeepColdArchiveObjectCount++
		default:
			r.StandardStorage += m.Size
			r.StandardObjectCount++
		}
	}
	r.MultipartUploadCount = int64(len(b.uploads))
	b.mu.Unlock()
	if !last.IsZero() {
		r.LastModifiedTime = last.Unix()
	}
	return writeXML(rq, http.StatusOK, r)
}

// deleteMultiple is DeleteMultipleObjects: up to 1,000 keys per request,
// each reported as deleted (absent keys too, as OSS does) unless Quiet.
func (s *Server) deleteMultiple(rq *request, b *bucket) int {
	type reqDoc struct {
		XMLName xml.Name `xml:"Delete"`
		Quiet   string   `xml:"Quiet"`
		Objects []struct {
			Key       *string `xml:"Key"`
			VersionID string  `xml:"VersionId"`
		} `xml:"Object"`
	}
	data, err := readBody(rq, maxDeleteXML)
	if err != nil {
		return s.bodyFailed(rq, err)
	}
	if data == nil {
		return s.fail(rq, errf(http.StatusBadRequest, "MalformedXML", "The Delete document exceeds the size limit."))
	}
	if v := rq.r.Header.Get("Content-Md5"); v != "" {
		if sum := md5.Sum(data); v != base64Std(sum[:]) {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified is not valid."))
		}
	}
	var doc reqDoc
	if e := decodeXML(data, &doc); e != nil {
		return s.fail(rq, e)
	}
	switch {
	case len(doc.Objects) == 0:
		return s.fail(rq, errMalformedXML("the Delete document lists no objects."))
	case len(doc.Objects) > 1000:
		return s.fail(rq, errMalformedXML("the Delete document lists more than 1000 objects."))
	}
	quiet := false
	switch doc.Quiet {
	case "", "false":
	case "true":
		quiet = true
	default:
		return s.fail(rq, errMalformedXML("Quiet must be true or false."))
	}
	keys := make([]string, len(doc.Objects))
	for i, o := range doc.Objects {
		if o.Key == nil {
			return s.fail(rq, errMalformedXML("an Object has no Key."))
		}
		if why := validKey(*o.Key); why != "" {
			return s.fail(rq, errf(http.StatusBadRequest, "InvalidObjectName", why).with("Key", *o.Key))
		}
		keys[i] = *o.Key
	}
	enc, _ := rq.param("encoding-type")
	esc := escaperFor(enc)
	type deleted struct {
		Key string `xml:"Key"`
	}
	type failed struct {
		Key     string `xml:"Key"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type result struct {
		XMLName      xml.Name  `xml:"DeleteResult"`
		EncodingType string    `xml:"EncodingType,omitempty"`
		Deleted      []deleted `xml:"Deleted"`
		Errors       []failed  `xml:"Error"`
	}
	res := result{}
	if enc == "url" {
		res.EncodingType = "url"
	}
	for _, k := range keys {
		if err := b.deleteObject(k); err != nil {
			s.log.Warn("delete object", "bucket", b.name, "key", k, "err", err)
			res.Errors = append(res.Errors, failed{Key: esc(k), Code: "InternalError", Message: err.Error()})
			continue
		}
		if !quiet {
			res.Deleted = append(res.Deleted, deleted{Key: esc(k)})
		}
	}
	return writeXML(rq, http.StatusOK, res)
}

// readBody reads the whole request body if it is at most limit bytes; a
// larger body yields (nil, nil).
func readBody(rq *request, limit int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rq.reader(), int64(limit)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > limit {
		return nil, nil
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}

// ---- object sub-resources ----

// updateObject rewrites key's metadata with change, retrying when a
// concurrent writer got there first; the body is untouched.
func (s *Server) updateObject(b *bucket, key string, change func(m *objMeta) *ossError) (objMeta, *ossError) {
	for range 10 {
		old, ok := b.lookup(key)
		if !ok {
			return objMeta{}, errNoSuchKey()
		}
		m := old
		if e := change(&m); e != nil {
			return objMeta{}, e
		}
		err := b.commitObjectIf(m, unchanged(&old))
		if errors.Is(err, errChanged) {
			continue
		}
		if err != nil {
			return objMeta{}, internalError(err)
		}
		return m, nil
	}
	return objMeta{}, errf(http.StatusConflict, "ConcurrentUpdate", "The object kept changing while its metadata was updated; try again.")
}

func (s *Server) getObjectAcl(rq *request, b *bucket) int {
	m, ok := b.lookup(rq.key)
	if !ok {
		return s.fail(rq, errNoSuchKey())
	}
	type result struct {
		XMLName xml.Name `xml:"AccessControlPolicy"`
		Owner   owner    `xml:"Owner"`
		Grant   string   `xml:"AccessControlList>Grant"`
	}
	acl := m.ACL
	if acl == "" {
		acl = "default"
	}
	return writeXML(rq, http.StatusOK, result{Owner: s.owner(), Grant: acl})
}

func (s *Server) putObjectAcl(rq *request, b *bucket) int {
	v := rq.r.Header.Get("X-Oss-Object-Acl")
	if v == "" {
		return s.fail(rq, errf(http.StatusBadRequest, "InvalidArgument", "PutObjectAcl needs the x-oss-object-acl header.").with("ArgumentName", "x-oss-object-acl"))
	}
	acl, e := parseACL(v)
	if e != nil {
		return s.fail(rq, e)
	}
	if _, e := s.updateObject(b, rq.key, func(m *objMeta) *ossError { m.ACL = acl; return nil }); e != nil {
		return s.fail(rq, e)
	}
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	Tags    []tag    `xml:"TagSet>Tag"`
}

func (s *Server) getObjectTagging(rq *request, b *bucket) int {
	m, ok := b.lookup(rq.key)
	if !ok {
		return s.fail(rq, errNoSuchKey())
	}
	doc := taggingDoc{Tags: m.Tags}
	if doc.Tags == nil {
		doc.Tags = []tag{}
	}
	return writeXMLKeepEmpty(rq, doc)
}

func (s *Server) putObjectTagging(rq *request, b *bucket) int {
	var doc taggingDoc
	e, err := readXML(rq, maxSmallXML, &doc)
	if err != nil {
		return s.bodyFailed(rq, err)
	}
	if e != nil {
		return s.fail(rq, e)
	}
	if e := checkTags(doc.Tags); e != nil {
		return s.fail(rq, e)
	}
	if _, e := s.updateObject(b, rq.key, func(m *objMeta) *ossError { m.Tags = doc.Tags; return nil }); e != nil {
		return s.fail(rq, e)
	}
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(http.StatusOK)
	return http.StatusOK
}

func (s *Server) deleteObjectTagging(rq *request, b *bucket) int {
	if _, e := s.updateObject(b, rq.key, func(m *objMeta) *ossError { m.Tags = nil; return nil }); e != nil {
		return s.fail(rq, e)
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return http.StatusNoContent
}

// writeXMLKeepEmpty sends v, whose TagSet must appear even when empty.
func writeXMLKeepEmpty(rq *request, v taggingDoc) int {
	if len(v.Tags) == 0 {
		body := xml.Header + "<Tagging><TagSet></TagSet></Tagging>"
		h := rq.w.Header()
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		rq.w.WriteHeader(http.StatusOK)
		rq.w.Write([]byte(body))
		return http.StatusOK
	}
	return writeXML(rq, http.StatusOK, v)
}

// restoreObject makes a cold object readable for Days days. The local server
// has no tape: the restored copy is available at once. The first request
// answers 202 Accepted, later ones 200 and extend the expiry, as OSS does
// once a restore has finished.
func (s *Server) restoreObject(rq *request, b *bucket) int {
	type reqDoc struct {
		XMLName xml.Name `xml:"RestoreRequest"`
		Days    int      `xml:"Days"`
		Tier    string   `xml:"JobParameters>Tier"`
	}
	var doc reqDoc
	data, err := readBody(rq, maxSmallXML)
	if err != nil {
		return s.bodyFailed(rq, err)
	}
	if data == nil {
		return s.fail(rq, errMalformedXML("the RestoreRequest document is too large."))
	}
	if len(data) > 0 {
		if e := decodeXML(data, &doc); e != nil {
			return s.fail(rq, e)
		}
	}
	days := doc.Days
	if days == 0 {
		days = 1
	}
	first := false
	_, e := s.updateObject(b, rq.key, func(m *objMeta) *ossError {
		maxDays := 365
		switch m.StorageClass {
		case "Archive":
			maxDays = 7
		case "ColdArchive", "DeepColdArchive":
		default:
			return errf(http.StatusBadRequest, "OperationNotSupported", "RestoreObject applies only to Archive, ColdArchive and DeepColdArchive objects; this one is "+m.StorageClass+".")
		}
		if days < 1 || days > maxDays {
			return errf(http.StatusBadRequest, "InvalidArgument", "Days must be between 1 and "+strconv.Itoa(maxDays)+" for "+m.StorageClass+" objects.").
				with("ArgumentName", "Days").with("ArgumentValue", strconv.Itoa(days))
		}
		first = m.RestoredUntil.IsZero() || !time.Now().Before(m.RestoredUntil)
		m.RestoredUntil = time.Now().UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
		return nil
	})
	if e != nil {
		return s.fail(rq, e)
	}
	status := http.StatusOK
	if first {
		status = http.StatusAccepted
	}
	rq.w.Header().Set("Content-Length", "0")
	rq.w.WriteHeader(status)
	return status
}
