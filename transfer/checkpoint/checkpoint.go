// Package checkpoint stores the progress of one multipart upload in a crash-safe
// append-only journal (a ".ucp" file): a header line written right after the upload is
// initiated, then one line per finished part, each fsync'd. Appending a part costs the
// same whether it is the 2nd or the 10,000th, and a crash can at worst leave a torn last
// line, which the reader drops (that part is simply uploaded again).
package checkpoint

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
)

// Format and Version identify the journal; a reader refuses other versions.
const (
	Format  = "ossdrop-ucp"
	Version = 1
	Ext     = ".ucp"
)

// Options are the upload options that shaped the object, recorded for reference and
// for resuming with the same choices. Never secrets.
type Options struct {
	TaskNum         int               `json:"task_num,omitempty"`
	OnExists        string            `json:"on_exists,omitempty"`
	ContentType     string            `json:"content_type,omitempty"`
	ACL             string            `json:"acl,omitempty"`
	StorageClass    string            `json:"storage_class,omitempty"`
	UserMeta        map[string]string `json:"user_meta,omitempty"`
	CallbackURL     string            `json:"callback_url,omitempty"`
	CallbackHost    string            `json:"callback_host,omitempty"`
	CallbackBody    string            `json:"callback_body,omitempty"`
	CallbackType    string            `json:"callback_body_type,omitempty"`
	CallbackVars    map[string]string `json:"callback_vars,omitempty"`
	ForbidOverwrite bool              `json:"forbid_overwrite,omitempty"`
}

// Header is the first line of a journal.
type Header struct {
	Format      string    `json:"format"`
	Version     int       `json:"version"`
	Profile     string    `json:"profile,omitempty"`
	Dest        string    `json:"dest,omitempty"` // the destination's stable id; the endpoint is a hint
	Endpoint    string    `json:"endpoint"`
	Region      string    `json:"region,omitempty"`
	AuthV4      bool      `json:"auth_v4,omitempty"`
	Bucket      string    `json:"bucket"`
	Key         string    `json:"key"`
	Path        string    `json:"path"`
	Size        int64     `json:"size"`
	ModTime     int64     `json:"mtime_ns"`
	Fingerprint string    `json:"fingerprint"`
	PartSize    int64     `json:"part_size"`
	UploadID    string    `json:"upload_id"`
	Created     time.Time `json:"created"`
	Options     Options   `json:"options"`
}

// Part is one finished part as the server acknowledged it.
type Part struct {
	Number int    `json:"n"`
	Size   int64  `json:"size"`
	ETag   string `json:"etag"`
	CRC64  uint64 `json:"crc64"`
}

// CorruptError says a journal cannot be trusted and why.
type CorruptError struct {
	Path   string
	Line   int
	Reason string
}

func (e *CorruptError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("checkpoint %s is corrupt at line %d: %s", e.Path, e.Line, e.Reason)
	}
	return fmt.Sprintf("checkpoint %s is corrupt: %s", e.Path, e.Reason)
}

// Name returns the journal file name for one upload destination and source, so a rerun
// of the same command finds its checkpoint without scanning the directory.
func Name(endpoint, bucket, key, path string) string {
	return ID("", endpoint, bucket, key, path) + Ext
}

// ID is Name without Ext: the identity of an upload that callers keep (a queue
// names its entries so) and later turn into the journal's name. tag is hashed
// as the start of the endpoint field (ID(tag, e, ...) is Name(tag+e, ...)
// without Ext), so a caller that tags its endpoints need not build that string.
// It costs one SHA-256 and no allocation but the result: a walk names every
// file it queues.
func ID(tag, endpoint, bucket, key, path string) string {
	var out [2 * idBytes]byte
	sum := idSum(tag, endpoint, bucket, key, path)
	hex.Encode(out[:], sum[:idBytes])
	return string(out[:])
}

// idBytes is how much of the SHA-256 names a journal: 96 bits.
const idBytes = 12

// idSum is the SHA-256 of the fields, each followed by a 0 byte (tag and
// endpoint make one field), hashed from a stack buffer when they fit in it.
func idSum(tag, endpoint, bucket, key, path string) [sha256.Size]byte {
	var stack [512]byte
	b := append(stack[:0], tag...)
	b = append(append(b, endpoint...), 0)
	b = append(append(b, bucket...), 0)
	b = append(append(b, key...), 0)
	b = append(append(b, path...), 0)
	return sha256.Sum256(b)
}

// EnsureDir creates dir with mode 0700 and checks that files can be created in it, so
// an unwritable directory is reported before any upload starts.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("checkpoint directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("checkpoint directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	os.Remove(name)
	return nil
}

// Journal is an open checkpoint to which parts are appended.
type Journal struct {
	mu   sync.Mutex
	path string
	f    *os.File
	buf  []byte
}

// Create writes a fresh journal holding only h, durably (temp file, fsync, rename,
// directory fsync), replacing any older journal at path, and opens it for appending.
func Create(path string, h Header) (*Journal, error) {
	h.Format, h.Version = Format, Version
	line, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: encode header: %w", path, err)
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	tmpName := tmp.Name()
	fail := func(err error) (*Journal, error) {
		tmp.Close()
		os.Remove(tmpName)
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(append(line, '\n')); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(tmpName, path); err != nil {
		os.Remove(tmpName)
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	syncDir(dir)
	return OpenAppend(path, -1)
}

// OpenAppend opens an existing journal for appending. When validLen >= 0 the file is
// first cut to that length, dropping a torn last line reported by Load.
func OpenAppend(path string, validLen int64) (*Journal, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if validLen >= 0 {
		if err := f.Truncate(validLen); err != nil {
			f.Close()
			return nil, fmt.Errorf("checkpoint %s: drop torn tail: %w", path, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		f.Close()
		return nil, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	return &Journal{path: path, f: f}, nil
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Append records a finished part durably before returning.
func (j *Journal) Append(p Part) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return fmt.Errorf("checkpoint %s: closed", j.path)
	}
	j.buf = j.buf[:0]
	j.buf = fmt.Appendf(j.buf, `{"n":%d,"size":%d,"etag":`, p.Number, p.Size)
	etag, _ := json.Marshal(p.ETag)
	j.buf = append(j.buf, etag...)
	j.buf = fmt.Appendf(j.buf, `,"crc64":%d}`+"\n", p.CRC64)
	if _, err := j.f.Write(j.buf); err != nil {
		return fmt.Errorf("checkpoint %s: record part %d: %w", j.path, p.Number, err)
	}
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("checkpoint %s: record part %d: %w", j.path, p.Number, err)
	}
	return nil
}

// Close closes the journal file, keeping it on disk.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}

// Remove closes and deletes the journal: the object is complete or abandoned.
func (j *Journal) Remove() error {
	j.Close()
	if err := os.Remove(j.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove checkpoint %s: %w", j.path, err)
	}
	return nil
}

// Loaded is what Load found in a journal.
type Loaded struct {
	Header Header
	Parts  []Part // last record per part number wins, in file order
	// ValidLen is the length of the intact prefix; Torn is true when a partial last
	// line (a crash mid-append) follows it.
	ValidLen int64
	Torn     bool
}

// Load reads a journal. A torn last line is dropped and reported in Torn; anything
// else malformed yields a *CorruptError naming the file and the problem.
func Load(path string) (*Loaded, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read checkpoint: %w", err)
	}
	return parse(path, data)
}

func parse(path string, data []byte) (*Loaded, error) {
	out := &Loaded{}
	if len(data) == 0 {
		return nil, &CorruptError{Path: path, Reason: "file is empty"}
	}
	lineNo := 0
	var off int64
	seen := map[int]int{}
	for len(data) > 0 {
		lineNo++
		i := bytes.IndexByte(data, '\n')
		complete := i >= 0
		var line []byte
		if complete {
			line = data[:i]
		} else {
			line = data
		}
		if lineNo == 1 {
			if !complete {
				return nil, &CorruptError{Path: path, Line: 1, Reason: "header is truncated"}
			}
			if err := json.Unmarshal(line, &out.Header); err != nil {
				return nil, &CorruptError{Path: path, Line: 1, Reason: "header is not valid JSON: " + err.Error()}
			}
			h := &out.Header
			if h.Format != Format {
				return nil, &CorruptError{Path: path, Line: 1, Reason: fmt.Sprintf("not an ossdrop checkpoint (format %q)", h.Format)}
			}
			if h.Version != Version {
				return nil, &CorruptError{Path: path, Line: 1, Reason: fmt.Sprintf("unsupported version %d (this build reads %d)", h.Version, Version)}
			}
			if h.UploadID == "" || h.Key == "" || h.Bucket == "" || h.PartSize <= 0 || h.Size < 0 {
				return nil, &CorruptError{Path: path, Line: 1, Reason: "header lacks upload id, key, bucket, size or part size"}
			}
		} else {
			var p Part
			err := json.Unmarshal(line, &p)
			if err == nil && (p.Number < 1 || p.Number > 10000 || p.Size < 0 || p.ETag == "") {
				err = fmt.Errorf("part record out of range: %s", line)
			}
			if err != nil {
				if !complete {
					// A crash while appending: the part will be sent again.
					out.Torn = true
					break
				}
				return nil, &CorruptError{Path: path, Line: lineNo, Reason: err.Error()}
			}
			if !complete {
				out.Torn = true // parsed, but a crash may have cut the newline; keep it out
				break
			}
			if j, ok := seen[p.Number]; ok {
				out.Parts[j] = p
			} else {
				seen[p.Number] = len(out.Parts)
				out.Parts = append(out.Parts, p)
			}
		}
		if !complete {
			break
		}
		off += int64(i + 1)
		data = data[i+1:]
	}
	out.ValidLen = off
	return out, nil
}

// ReadHeader reads only the header line, for listing many journals cheaply.
func ReadHeader(path string) (Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return Header{}, fmt.Errorf("read checkpoint: %w", err)
	}
	defer f.Close()
	line, err := bufio.NewReaderSize(f, 4096).ReadBytes('\n')
	if err != nil {
		return Header{}, &CorruptError{Path: path, Line: 1, Reason: "header is truncated"}
	}
	l, err := parse(path, line)
	if err != nil {
		return Header{}, err
	}
	return l.Header, nil
}

// FingerprintSpan is how much of the start, middle and end of a file is hashed.
const FingerprintSpan = 64 << 10

// Fingerprint is a cheap content check: CRC64 of the first, middle and last 64 KiB.
// It catches most edits that keep size and mtime (restored backups, touch -r) without
// reading the whole file.
func Fingerprint(r io.ReaderAt, size int64) (string, error) {
	var crc uint64
	buf := make([]byte, FingerprintSpan)
	offsets := []int64{0}
	if size > FingerprintSpan {
		offsets = append(offsets, size/2-FingerprintSpan/2, size-FingerprintSpan)
	}
	for _, off := range offsets {
		n := min(int64(FingerprintSpan), size-off)
		if n <= 0 {
			continue
		}
		if _, err := r.ReadAt(buf[:n], off); err != nil && !(errors.Is(err, io.EOF)) {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		crc = crc64ecma.Update(crc, buf[:n])
	}
	return fmt.Sprintf("crc64-3x64k:%016x", crc), nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
