package ossemu

import (
	"fmt"
	"io"
	"maps"
	"sort"
	"time"
)

// ObjectInfo is what the server stores about an object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // as sent in the ETag header, with quotes
	CRC64        uint64
	ContentType  string
	Meta         map[string]string // lower-case "x-oss-meta-…" → value
	Headers      map[string]string // stored standard headers: Cache-Control, Content-Disposition, …
	ACL          string
	StorageClass string
	LastModified time.Time
	Type         string // "Normal", "Multipart" or "Appendable"
	UploadID     string // the multipart upload it came from
	Parts        int    // number of parts for a multipart object
}

// PartInfo is one uploaded part of an upload in progress.
type PartInfo struct {
	Number int
	Size   int64
	ETag   string
	CRC64  uint64
}

// UploadInfo is a multipart upload in progress.
type UploadInfo struct {
	Key       string
	UploadID  string
	Initiated time.Time
	Parts     []PartInfo // by part number
}

func infoOf(m *objMeta) ObjectInfo {
	oi := ObjectInfo{Key: m.Key, Size: m.Size, ETag: `"` + m.ETag + `"`, CRC64: m.CRC64, ContentType: m.ContentType,
		Meta: maps.Clone(m.Meta), Headers: maps.Clone(m.Std), ACL: m.ACL, StorageClass: m.StorageClass, LastModified: m.Modified, Type: m.Type, UploadID: m.UploadID}
	if m.Type == "Multipart" {
		oi.Parts = len(m.Blobs)
	}
	return oi
}

func (s *Server) mustBucket(name string) (*bucket, error) {
	if name == "" {
		name = s.Bucket()
	}
	b := s.bucket(name)
	if b == nil {
		return nil, fmt.Errorf("ossemu: no bucket %q", name)
	}
	return b, nil
}

// Object returns an object's stored attributes; ok is false when it does not
// exist. An empty bucket means Bucket().
func (s *Server) Object(bucket, key string) (info ObjectInfo, ok bool) {
	b, err := s.mustBucket(bucket)
	if err != nil {
		return ObjectInfo{}, false
	}
	m, ok := b.lookup(key)
	if !ok {
		return ObjectInfo{}, false
	}
	return infoOf(&m), true
}

// ReadObject returns an object's bytes (tests: keep objects small).
func (s *Server) ReadObject(bucket, key string) ([]byte, error) {
	rc, _, err := s.OpenObject(bucket, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// OpenObject opens an object's body for reading; it stays readable until
// closed even if the object is overwritten or deleted meanwhile.
func (s *Server) OpenObject(bucket, key string) (io.ReadSeekCloser, ObjectInfo, error) {
	b, err := s.mustBucket(bucket)
	if err != nil {
		return nil, ObjectInfo{}, err
	}
	o, err := b.acquire(key)
	if err != nil {
		return nil, ObjectInfo{}, fmt.Errorf("ossemu: bucket %s: %w", b.name, err)
	}
	if o == nil {
		return nil, ObjectInfo{}, fmt.Errorf("ossemu: bucket %s: no object %q", b.name, key)
	}
	return &pinnedReader{blobsReader: b.openBody(o), release: func() { b.release(o) }}, infoOf(&o.meta), nil
}

type pinnedReader struct {
	*blobsReader
	release func()
	closed  bool
}

func (p *pinnedReader) Close() error {
	if p.closed {
		return nil
	}
	p.closed = true
	err := p.blobsReader.Close()
	p.release()
	return err
}

// Keys lists a bucket's object keys in order.
func (s *Server) Keys(bucket string) []string {
	b, err := s.mustBucket(bucket)
	if err != nil {
		return nil
	}
	return append([]string(nil), b.sortedKeys()...)
}

// Uploads lists a bucket's multipart uploads in progress, by key and id.
func (s *Server) Uploads(bucket string) []UploadInfo {
	b, err := s.mustBucket(bucket)
	if err != nil {
		return nil
	}
	b.mu.Lock()
	ups := make([]*upload, 0, len(b.uploads))
	for _, u := range b.uploads {
		ups = append(ups, u)
	}
	b.mu.Unlock()
	out := make([]UploadInfo, 0, len(ups))
	for _, u := range ups {
		u.mu.Lock()
		ui := UploadInfo{Key: u.meta.Key, UploadID: u.meta.UploadID, Initiated: u.meta.Initiated}
		for _, p := range u.parts {
			ui.Parts = append(ui.Parts, PartInfo{Number: p.Number, Size: p.Size, ETag: `"` + p.MD5 + `"`, CRC64: p.CRC64})
		}
		u.mu.Unlock()
		sort.Slice(ui.Parts, func(i, j int) bool { return ui.Parts[i].Number < ui.Parts[j].Number })
		out = append(out, ui)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Key != out[j].Key {
			return out[i].Key < out[j].Key
		}
		return out[i].UploadID < out[j].UploadID
	})
	return out
}
