package ossemu

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// sseSpec is an object's server-side encryption setting. The local server
// stores bodies as given; it keeps and returns the setting as OSS does so
// clients that ask for encryption see it honoured in the replies.
type sseSpec struct {
	Algorithm     string `json:"alg,omitempty"`     // AES256, KMS or SM4
	DataAlgorithm string `json:"dataAlg,omitempty"` // SM4 with KMS
	KeyID         string `json:"keyId,omitempty"`   // KMS key id
}

// setHeaders writes the encryption headers OSS returns for an encrypted object.
func (e sseSpec) setHeaders(h http.Header) {
	if e.Algorithm == "" {
		return
	}
	h.Set("X-Oss-Server-Side-Encryption", e.Algorithm)
	if e.DataAlgorithm != "" {
		h.Set("X-Oss-Server-Side-Data-Encryption", e.DataAlgorithm)
	}
	if e.Algorithm == "KMS" {
		id := e.KeyID
		if id == "" {
			id = "local-default-kms-key"
		}
		h.Set("X-Oss-Server-Side-Encryption-Key-Id", id)
	}
}

// parseSSE validates the encryption headers of an upload request.
func parseSSE(h http.Header) (sseSpec, *ossError) {
	e := sseSpec{
		Algorithm:     h.Get("X-Oss-Server-Side-Encryption"),
		DataAlgorithm: h.Get("X-Oss-Server-Side-Data-Encryption"),
		KeyID:         h.Get("X-Oss-Server-Side-Encryption-Key-Id"),
	}
	switch e.Algorithm {
	case "", "AES256", "KMS", "SM4":
	default:
		return sseSpec{}, errf(http.StatusBadRequest, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. Supported value: AES256, KMS, SM4.").
			with("ArgumentName", "x-oss-server-side-encryption").with("ArgumentValue", e.Algorithm)
	}
	if e.DataAlgorithm != "" && (e.Algorithm != "KMS" || e.DataAlgorithm != "SM4") {
		return sseSpec{}, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-server-side-data-encryption may only be SM4, and only with x-oss-server-side-encryption: KMS.").
			with("ArgumentName", "x-oss-server-side-data-encryption").with("ArgumentValue", e.DataAlgorithm)
	}
	if e.KeyID != "" && e.Algorithm != "KMS" {
		return sseSpec{}, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-server-side-encryption-key-id is only allowed with x-oss-server-side-encryption: KMS.").
			with("ArgumentName", "x-oss-server-side-encryption-key-id").with("ArgumentValue", e.KeyID)
	}
	return e, nil
}

// Tag limits OSS enforces.
const (
	maxTags        = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

func errInvalidTag(why string) *ossError {
	return errf(http.StatusBadRequest, "InvalidTag", why)
}

// checkTags applies OSS's tag rules: at most 10, unique non-empty keys of up
// to 128 characters, values up to 256.
func checkTags(tags []tag) *ossError {
	if len(tags) > maxTags {
		return errInvalidTag("An object may have at most 10 tags.")
	}
	seen := map[string]bool{}
	for _, t := range tags {
		switch {
		case t.Key == "" || len(t.Key) > maxTagKeyLen:
			return errInvalidTag("A tag key must be 1 to 128 characters long.")
		case len(t.Value) > maxTagValueLen:
			return errInvalidTag("A tag value may be at most 256 characters long.")
		case seen[t.Key]:
			return errInvalidTag("Tag key " + strconv.Quote(t.Key) + " is given more than once.")
		}
		seen[t.Key] = true
	}
	return nil
}

// parseTaggingHeader reads x-oss-tagging: "k1=v1&k2=v2", URL-encoded.
func parseTaggingHeader(v string) ([]tag, *ossError) {
	if v == "" {
		return nil, nil
	}
	var tags []tag
	for _, part := range strings.Split(v, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, errInvalidTag("x-oss-tagging is not a valid URL-encoded query string.")
		}
		tags = append(tags, tag{Key: dk, Value: dv})
	}
	if e := checkTags(tags); e != nil {
		return nil, e
	}
	return tags, nil
}

// objAttrs are what an upload request fixes about the object it creates.
type objAttrs struct {
	ContentType string
	Meta        map[string]string
	Std         map[string]string
	ACL         string
	Class       string
	Tags        []tag
	SSE         sseSpec
}

// objectAttrs reads and validates the headers that become stored object
// attributes on PutObject, AppendObject, InitiateMultipartUpload and a
// CopyObject that replaces metadata.
func objectAttrs(r *http.Request) (objAttrs, *ossError) {
	var a objAttrs
	a.ContentType = r.Header.Get("Content-Type")
	if a.ContentType == "" {
		a.ContentType = "application/octet-stream"
	}
	for k, vs := range r.Header {
		if hasPrefixFold(k, "x-oss-meta-") && len(vs) > 0 {
			if a.Meta == nil {
				a.Meta = map[string]string{}
			}
			a.Meta[strings.ToLower(k)] = vs[0]
		}
	}
	size := 0
	for k, v := range a.Meta {
		size += len(k) + len(v)
	}
	if size > 8<<10 {
		return a, errf(http.StatusBadRequest, "MetadataTooLarge", "User metadata may not exceed 8 KB.")
	}
	a.Std = standardHeaders(r)
	acl, e := parseACL(r.Header.Get("X-Oss-Object-Acl"))
	if e != nil {
		return a, e
	}
	a.ACL = acl
	a.Class = "Standard"
	if v := r.Header.Get("X-Oss-Storage-Class"); v != "" {
		c, ok := validStorageClasses[strings.ToLower(v)]
		if !ok {
			return a, errf(http.StatusBadRequest, "InvalidArgument", "x-oss-storage-class "+v+" is not valid.").
				with("ArgumentName", "x-oss-storage-class").with("ArgumentValue", v)
		}
		a.Class = c
	}
	if a.Tags, e = parseTaggingHeader(r.Header.Get("X-Oss-Tagging")); e != nil {
		return a, e
	}
	if a.SSE, e = parseSSE(r.Header); e != nil {
		return a, e
	}
	return a, nil
}

// parseACL validates an x-oss-object-acl value; empty means "default".
func parseACL(acl string) (string, *ossError) {
	if acl == "" {
		return "default", nil
	}
	if !validACLs[acl] {
		return "", errf(http.StatusBadRequest, "InvalidArgument", "x-oss-object-acl "+acl+" is not one of default, private, public-read, public-read-write.").
			with("ArgumentName", "x-oss-object-acl").with("ArgumentValue", acl)
	}
	return acl, nil
}

// needsRestore reports whether m is in a cold storage class and has no
// restored copy available now.
func needsRestore(m *objMeta, now time.Time) bool {
	switch m.StorageClass {
	case "Archive", "ColdArchive", "DeepColdArchive":
		return m.RestoredUntil.IsZero() || !now.Before(m.RestoredUntil)
	}
	return false
}

func errNotRestored() *ossError {
	return errf(http.StatusForbidden, "InvalidObjectState", "The operation is not valid for the object's state: an Archive or ColdArchive object must be restored (RestoreObject) before it can be read.")
}
