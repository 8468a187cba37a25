package ossemu

import (
	"strconv"
	"time"
)

// appendObjectJSON appends m exactly as json.Marshal writes it, for the
// metadata most objects have: no user metadata, stored headers, tags,
// encryption, restore or upload id, and plain printable ASCII strings. ok is
// false for anything else, which json.Marshal then encodes. Storing a small
// object spent a twentieth of its time in json.Marshal's reflection.
func appendObjectJSON(b []byte, m *objMeta) (out []byte, ok bool) {
	if len(m.Meta) > 0 || len(m.Std) > 0 || len(m.Tags) > 0 || m.SSE != (sseSpec{}) ||
		!m.RestoredUntil.IsZero() || m.UploadID != "" || m.Modified.Year() < 0 || m.Modified.Year() > 9999 {
		return b, false
	}
	for _, s := range []string{m.Key, m.ETag, m.ContentType, m.ACL, m.StorageClass, m.Type} {
		if !plainJSON(s) {
			return b, false
		}
	}
	for _, bl := range m.Blobs {
		if !plainJSON(bl.ID) {
			return b, false
		}
	}
	b = append(b, `{"key":"`...)
	b = append(b, m.Key...)
	b = append(b, `","size":`...)
	b = strconv.AppendInt(b, m.Size, 10)
	b = append(b, `,"etag":"`...)
	b = append(b, m.ETag...)
	b = append(b, `","crc64":`...)
	b = strconv.AppendUint(b, m.CRC64, 10)
	b = append(b, `,"contentType":"`...)
	b = append(b, m.ContentType...)
	b = append(b, `","acl":"`...)
	b = append(b, m.ACL...)
	b = append(b, `","storageClass":"`...)
	b = append(b, m.StorageClass...)
	b = append(b, `","modified":"`...)
	b = m.Modified.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","type":"`...)
	b = append(b, m.Type...)
	b = append(b, `","blobs":`...)
	if m.Blobs == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, bl := range m.Blobs {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"id":"`...)
			b = append(b, bl.ID...)
			b = append(b, `","size":`...)
			b = strconv.AppendInt(b, bl.Size, 10)
			if bl.Inline {
				b = append(b, `,"inline":true`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}'), true
}

// plainJSON reports whether json.Marshal writes s as it is between quotes:
// printable ASCII other than the characters it escapes.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
