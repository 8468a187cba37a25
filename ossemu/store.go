package ossemu

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
	"github.com/ossdrop/ossdrop/internal/fileio"
)

// On-disk layout, per bucket under Dir/buckets/<name>/:
//
//	bucket.json                 creation time
//	data/<id>                   blobs: object bodies and uploaded parts, written once, fsynced
//	objects/<hh>/<sha256>.json  object metadata (key, size, ETag, CRC, headers, blob list);
//	                            renaming it into place is what commits an object (a new
//	                            key's small file is created in place instead: commitNew).
//	                            A small PutObject body follows the metadata in the same
//	                            file, after a newline (an inline blob), so it costs one
//	                            file, not two
//	uploads/<uploadId>/upload.json, p00001.json …   multipart uploads in progress
//
// Keys appear only inside JSON, never in a path. A blob that no metadata file
// references (a write cut short by a kill) is removed on the next start.

// blobRef names one blob of an object's body, in order.
type blobRef struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
	// Inline: the body is in the object's metadata file, after the metadata
	// and a newline, not in data/. Only a lone blob is inline; its ID is
	// still random, so a reader can tell which version of the file it read.
	Inline bool `json:"inline,omitempty"`
}

// inlineMax is the largest body PutObject stores inline. Every object then
// costs one file created, written, fsynced and renamed instead of two; bigger
// bodies go to data/, where a metadata change does not rewrite them and
// O_DIRECT can write them.
const inlineMax = 64 << 10

// createMax is the largest object file commitNew creates under its final
// name. A start reads a file of up to this size whole and checks an inline
// body against its CRC64, so a file whose write a crash cut short is not taken
// for an object.
const createMax = 16 << 10

// inlineRef returns m's inline blob, or nil when its body is in data/.
func inlineRef(m *objMeta) *blobRef {
	if len(m.Blobs) == 1 && m.Blobs[0].Inline {
		return &m.Blobs[0]
	}
	return nil
}

// objMeta is everything stored about an object.
type objMeta struct {
	Key          string            `json:"key"`
	Size         int64             `json:"size"`
	ETag         string            `json:"etag"` // without quotes
	CRC64        uint64            `json:"crc64"`
	ContentType  string            `json:"contentType"`
	Meta         map[string]string `json:"meta,omitempty"` // lower-case x-oss-meta-* → value
	Std          map[string]string `json:"std,omitempty"`  // Cache-Control, Content-Disposition, … as given
	ACL          string            `json:"acl"`
	StorageClass string            `json:"storageClass"`
	Modified     time.Time         `json:"modified"`
	Type         string            `json:"type"` // Normal, Multipart or Appendable
	UploadID     string            `json:"uploadId,omitempty"`
	Blobs        []blobRef         `json:"blobs"`
	Tags         []tag             `json:"tags,omitempty"` // in the order given
	SSE          sseSpec           `json:"sse,omitzero"`
	// RestoredUntil is when a restored Archive/ColdArchive copy expires;
	// zero means never restored.
	RestoredUntil time.Time `json:"restoredUntil,omitzero"`
}

// tag is one object tag.
type tag struct {
	Key   string `json:"k" xml:"Key"`
	Value string `json:"v" xml:"Value"`
}

// object is an index entry; refs counts readers so that an overwritten or
// deleted object's blobs are removed only after the last reader is done.
type object struct {
	meta    objMeta
	refs    int
	dead    bool
	garbage []string // blobs to remove once dead and unread: those the successor does not share
}

// uploadMeta is what InitiateMultipartUpload fixes for the final object.
type uploadMeta struct {
	Key          string            `json:"key"`
	UploadID     string            `json:"uploadId"`
	Initiated    time.Time         `json:"initiated"`
	ContentType  string            `json:"contentType"`
	Meta         map[string]string `json:"meta,omitempty"`
	Std          map[string]string `json:"std,omitempty"`
	ACL          string            `json:"acl"`
	StorageClass string            `json:"storageClass"`
	Tags         []tag             `json:"tags,omitempty"`
	SSE          sseSpec           `json:"sse,omitzero"`
}

// partMeta is one uploaded part.
type partMeta struct {
	Number   int       `json:"number"`
	Size     int64     `json:"size"`
	MD5      string    `json:"md5"` // upper-case hex, the part's ETag without quotes
	CRC64    uint64    `json:"crc64"`
	Modified time.Time `json:"modified"`
	Blob     string    `json:"blob"`
}

type upload struct {
	meta uploadMeta
	dir  string

	mu    sync.Mutex // guards parts and done; taken before bucket.mu
	parts map[int]*partMeta
	done  bool // completed or aborted: no more parts accepted
}

type bucket struct {
	name    string
	dir     string
	created time.Time
	log     *slog.Logger

	mu      sync.Mutex // guards the maps below; never held during body I/O
	objects map[string]*object
	sorted  []string // sorted keys of objects; nil when stale
	uploads map[string]*upload
	// creating holds the keys whose file commitNew is creating; the value
	// is set once another commit has replaced that file meanwhile.
	creating map[string]bool

	// syncs syncs the directories every object writes into (data/ and
	// objects/xx/); other directories go through syncDir.
	syncs dirSyncers
}

// dirSyncers make the directory syncs on the path of every object cheap. Each
// directory stays open, so a sync is one fsync instead of an open, an fsync
// and a close, and requests that need the same directory synced at the same
// time share one fsync (group commit): a sync that starts after a request's
// file was created or renamed covers it, so no request returns before a
// directory fsync that began after its change has ended. Only directories
// that live as long as the bucket go through here (not an upload's).
//
// The same directories are also kept open as openDirs, for creating and
// renaming object files in them by name.
type dirSyncers struct {
	mu      sync.Mutex
	dirs    map[string]*dirSyncer
	handles map[string]*openDir
	retired []*openDir // handles of directories that were removed, closed with the rest
	// syncers of directories that were removed, closed with the rest
	retiredSyncers []*dirSyncer
	closed         bool
}

// handle returns dir open as an openDir, opening it on first use. After
// close it returns one that uses full paths.
func (d *dirSyncers) handle(dir string) (*openDir, error) {
	d.mu.Lock()
	h, closed := d.handles[dir], d.closed
	d.mu.Unlock()
	if h != nil {
		return h, nil
	}
	if closed {
		return pathDir(dir), nil
	}
	h, err := openDirHandle(dir)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if cur := d.handles[dir]; cur != nil || d.closed {
		h.close() // another request opened it meanwhile, or the bucket closed
		if cur == nil {
			cur = pathDir(dir)
		}
		return cur, nil
	}
	if d.handles == nil {
		d.handles = map[string]*openDir{}
	}
	d.handles[dir] = h
	return h, nil
}

// forget stops using dir's open handle and the directory its syncs fsync
// (the directory was removed, and an fsync of the removed one would make
// nothing in the new one durable); other requests may still be using them,
// so they are closed only with the rest.
func (d *dirSyncers) forget(dir string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if h := d.handles[dir]; h != nil {
		delete(d.handles, dir)
		d.retired = append(d.retired, h)
	}
	if s := d.dirs[dir]; s != nil {
		delete(d.dirs, dir)
		d.retiredSyncers = append(d.retiredSyncers, s)
	}
}

type dirSyncer struct {
	dir     string
	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File // the open directory; nil until first used or after an error
	reqs    uint64   // syncs asked for
	done    uint64   // syncs asked for up to this one are covered
	running bool     // an fsync is under way (mu is not held during it)
}

// sync makes every change made in dir before the call durable.
func (d *dirSyncers) sync(dir string) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		syncDir(dir)
		return
	}
	s := d.dirs[dir]
	if s == nil {
		s = &dirSyncer{dir: dir}
		s.cond = sync.NewCond(&s.mu)
		if d.dirs == nil {
			d.dirs = map[string]*dirSyncer{}
		}
		d.dirs[dir] = s
	}
	d.mu.Unlock()
	s.sync()
}

func (s *dirSyncer) sync() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs++
	mine := s.reqs
	for s.done < mine {
		if s.running {
			s.cond.Wait() // its fsync may have started before this change
			continue
		}
		s.running = true
		upto := s.reqs // every change asked for so far is made: this fsync covers them
		f := s.f
		s.mu.Unlock()
		if f == nil {
			f, _ = fileio.Open(s.dir)
		}
		if f != nil && f.Sync() != nil {
			// errors are ignored as in syncDir; the next sync opens it again
			f.Close()
			f = nil
		}
		if dirSynced != nil {
			dirSynced(s.dir)
		}
		s.mu.Lock()
		s.f, s.running, s.done = f, false, upto
		s.cond.Broadcast()
	}
}

// close closes the open directories; later syncs open and close their own.
// It runs once no request is being handled: a handle still in use would be
// closed under it.
func (d *dirSyncers) close() {
	d.mu.Lock()
	d.closed = true
	dirs := d.retiredSyncers
	for _, s := range d.dirs {
		dirs = append(dirs, s)
	}
	d.dirs, d.retiredSyncers = nil, nil
	for _, h := range d.handles {
		h.close()
	}
	for _, h := range d.retired {
		h.close()
	}
	d.handles, d.retired = nil, nil
	d.mu.Unlock()
	for _, s := range dirs {
		s.mu.Lock()
		for s.running {
			s.cond.Wait()
		}
		if s.f != nil {
			s.f.Close()
			s.f = nil
		}
		s.mu.Unlock()
	}
}

var (
	errExists   = errors.New("object exists")
	errNoUpload = errors.New("no such upload")
)

// bufPool holds the buffers bodies are streamed through, so memory stays flat
// whatever the object size.
// Buffers are aligned to 4 KiB so they can be written with O_DIRECT.
var bufPool = sync.Pool{New: func() any {
	raw := make([]byte, bufSize+alignment)
	off := alignment - int(uintptr(unsafe.Pointer(&raw[0]))&(alignment-1))
	if off == alignment {
		off = 0
	}
	b := raw[off : off+bufSize : off+bufSize]
	return &b
}}

const (
	bufSize   = 1 << 20
	alignment = 4096
)

func hexUpper(b []byte) string {
	out := make([]byte, 2*len(b))
	const digits = "0123456789ABCDEF"
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// randomHex is n random bytes in upper-case hex (request, blob and upload ids).
func randomHex(n int) string {
	var buf [32]byte
	b := buf[:0]
	if n > len(buf) {
		b = make([]byte, 0, n)
	}
	b = b[:n]
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hexUpper(b)
}

// syncDir makes a rename in dir durable; errors are ignored because some
// platforms cannot fsync a directory and the rename itself already happened.
func syncDir(dir string) {
	if d, err := fileio.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	if dirSynced != nil {
		dirSynced(dir)
	}
}

// dirSynced, when set (by tests only), is told of every directory fsync.
var dirSynced func(dir string)

// writeTempJSON writes v next to path in a fsynced temporary file and returns
// its name; the caller renames it into place to commit.
func writeTempJSON(path string, v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	dir := filepath.Dir(path)
	tmp, err := pathDir(dir).writeTemp(filepath.Base(path), data, nil)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, tmp), nil
}

func writeJSONAtomic(path string, v any) error {
	tmp, err := writeTempJSON(path, v)
	if err != nil {
		return err
	}
	if err := fileio.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// encodeObjectHead appends to dst the start of an object's metadata file: m
// as JSON, and, when its body is inline, the newline after which the body
// follows.
func encodeObjectHead(dst []byte, m *objMeta) ([]byte, error) {
	out, ok := appendObjectJSON(dst, m)
	if !ok {
		data, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		out = append(dst, data...)
	}
	if inlineRef(m) != nil {
		out = append(out, '\n')
	}
	return out, nil
}

// encodeObject is the whole content of an object's metadata file.
func encodeObject(m *objMeta, body []byte) ([]byte, error) {
	head, err := encodeObjectHead(nil, m)
	if err != nil || inlineRef(m) == nil {
		return head, err
	}
	return append(head, body...), nil
}

// decodeObject parses an object's metadata file; body is the inline body
// (nil when the body is in data/). A file whose length does not match its
// inline blob is refused: it cannot be a committed object.
func decodeObject(data []byte) (m objMeta, body []byte, err error) {
	head, rest, found := bytes.Cut(data, []byte{'\n'})
	if m, err = decodeObjectHead(head); err != nil {
		return m, nil, err
	}
	ref := inlineRef(&m)
	switch {
	case ref == nil && found:
		return m, nil, errors.New("data after the metadata of an object stored in data/")
	case ref != nil && (!found || int64(len(rest)) != ref.Size):
		return m, nil, fmt.Errorf("inline body of %d bytes, metadata says %d", len(rest), ref.Size)
	case ref != nil:
		body = rest
	}
	return m, body, nil
}

// decodeObjectHead parses the metadata at the start of an object's file.
func decodeObjectHead(head []byte) (m objMeta, err error) {
	if err := json.Unmarshal(head, &m); err != nil {
		return m, err
	}
	for _, bl := range m.Blobs {
		if bl.Inline && len(m.Blobs) != 1 {
			return m, errors.New("an inline blob must be the only one")
		}
	}
	return m, nil
}

// errReplaced reports that an object's file no longer holds the version a
// reader pinned: it was overwritten or deleted meanwhile.
var errReplaced = errors.New("object replaced meanwhile")

// readInline reads the inline body with blob id from key's metadata file.
func (b *bucket) readInline(key, id string) ([]byte, error) {
	data, err := os.ReadFile(b.metaPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errReplaced
	}
	if err != nil {
		return nil, err
	}
	m, body, err := decodeObject(data)
	if err != nil {
		return nil, fmt.Errorf("object %q: %w", key, err)
	}
	if ref := inlineRef(&m); m.Key != key || ref == nil || ref.ID != id {
		return nil, errReplaced
	}
	return body, nil
}

func (b *bucket) blobPath(id string) string { return filepath.Join(b.dir, "data", id) }

func (b *bucket) metaPath(key string) string {
	h := keyFileName(key)
	return filepath.Join(b.dir, "objects", h[:2], h+".json")
}

// blobResult describes a blob just written, or a body kept for inline storage.
type blobResult struct {
	ID    string
	Size  int64
	MD5   [16]byte
	CRC64 uint64
	// Inline is the whole body when receive kept it instead of writing a
	// blob (ID is then empty); it lives in buf until release.
	Inline []byte
	buf    *[]byte
}

// release returns the buffer an inline body was kept in.
func (r *blobResult) release() {
	if r.buf != nil {
		inlinePool.Put(r.buf)
		r.buf, r.Inline = nil, nil
	}
}

// inlinePool holds the buffers inline bodies are kept in until stored, and
// headPool those object metadata is encoded into.
var (
	inlinePool = sync.Pool{New: func() any { b := make([]byte, 0, inlineMax); return &b }}
	headPool   = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}
)

// writeBlob streams r into a new fsynced blob, hashing MD5 and CRC64 on the
// way. want is the expected length (-1 if unknown); a short body is an error
// so a cut connection never becomes a stored object or part.
func (b *bucket) writeBlob(r io.Reader, want int64) (blobResult, error) {
	return b.receive(r, want, -1)
}

// receive is writeBlob, except that a body of at most keep bytes is hashed
// and kept in memory (res.Inline) instead of being written: the caller
// stores it inline and calls res.release.
//
// A body that fits in one buffer (most objects are small) is hashed and
// written by the caller's goroutine: handing a few hundred bytes to two
// goroutines cost more than hashing them. A bigger one is streamed: MD5 runs
// in its own goroutine, CRC64 and the write in another, and the caller's
// goroutine reads the next chunk meanwhile, so one upload uses more than one
// core and disk latency overlaps with hashing.
func (b *bucket) receive(body io.Reader, want int64, keep int) (blobResult, error) {
	r := &eofReader{r: body}
	first := bufPool.Get().(*[]byte)
	n, rerr := io.ReadFull(r, *first)
	whole := rerr == io.EOF || rerr == io.ErrUnexpectedEOF // the body fit in first
	if whole && !r.eof {
		rerr, whole = io.ErrUnexpectedEOF, false // a chunked body cut short
	}
	if rerr != nil && !whole {
		bufPool.Put(first)
		return blobResult{}, fmt.Errorf("body: %w", rerr)
	}
	if whole && want >= 0 && int64(n) != want {
		bufPool.Put(first)
		return blobResult{}, fmt.Errorf("body: %w: got %d of %d bytes", io.ErrUnexpectedEOF, n, want)
	}
	if whole && n <= keep {
		// kept in a buffer its size, so that requests waiting for their
		// fsyncs (milliseconds on a disk) do not each hold a whole one
		ip := inlinePool.Get().(*[]byte)
		data := append((*ip)[:0], (*first)[:n]...)
		bufPool.Put(first)
		return blobResult{Size: int64(n), MD5: md5.Sum(data), CRC64: crc64ecma.Update(0, data), Inline: data, buf: ip}, nil
	}
	id := randomHex(16)
	path := b.blobPath(id)
	f, direct, err := createBlobFile(path, want)
	if err != nil {
		bufPool.Put(first)
		return blobResult{}, fmt.Errorf("create blob: %w", err)
	}
	fail := func(err error) (blobResult, error) {
		f.Close()
		os.Remove(path)
		return blobResult{}, err
	}
	res := blobResult{ID: id}
	if whole {
		data := (*first)[:n]
		res.MD5, res.CRC64, res.Size = md5.Sum(data), crc64ecma.Update(0, data), int64(n)
		if n > 0 {
			err = writeChunk(f, data, &direct)
		}
		bufPool.Put(first)
		if err != nil {
			return fail(fmt.Errorf("write blob: %w", err))
		}
	} else {
		res.MD5, res.CRC64, res.Size, err = stream(r, f, &direct, first, n)
		if err == nil && !r.eof {
			err = fmt.Errorf("body: %w: cut short after %d bytes", io.ErrUnexpectedEOF, res.Size)
		}
		if err != nil {
			return fail(err)
		}
	}
	if want >= 0 && res.Size != want {
		return fail(fmt.Errorf("body: %w: got %d of %d bytes", io.ErrUnexpectedEOF, res.Size, want))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("sync blob: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return blobResult{}, fmt.Errorf("close blob: %w", err)
	}
	// the new directory entry must be durable before metadata points at it
	b.syncs.sync(filepath.Dir(path))
	return res, nil
}

// eofReader tells a body that ended (io.EOF) from one cut short: net/http
// reports a chunked body whose connection broke as io.ErrUnexpectedEOF, which
// io.ReadFull, like a short last read, reports for any body that ends
// inside its buffer.
type eofReader struct {
	r   io.Reader
	eof bool
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		e.eof = true
	}
	return n, err
}

// stream is receive for a body longer than one buffer; first holds its first
// n bytes.
func stream(r io.Reader, f *os.File, direct *bool, first *[]byte, firstN int) (sum [16]byte, crc uint64, size int64, err error) {
	const nbuf = 3
	type chunk struct {
		bp   *[]byte
		n    int
		refs *atomic.Int32
	}
	free := make(chan *[]byte, nbuf)
	for range nbuf - 1 {
		free <- bufPool.Get().(*[]byte)
	}
	release := func(c chunk) {
		if c.refs.Add(-1) == 0 {
			free <- c.bp
		}
	}
	md5Ch := make(chan chunk, nbuf)
	wrCh := make(chan chunk, nbuf)
	var wg sync.WaitGroup
	h := md5.New()
	wg.Go(func() {
		for c := range md5Ch {
			h.Write((*c.bp)[:c.n])
			release(c)
		}
	})
	var werr error
	var failed atomic.Bool
	wg.Go(func() {
		for c := range wrCh {
			if werr == nil {
				data := (*c.bp)[:c.n]
				crc = crc64ecma.Update(crc, data)
				if e := writeChunk(f, data, direct); e != nil {
					werr = fmt.Errorf("write blob: %w", e)
					failed.Store(true)
				}
			}
			release(c)
		}
	})
	for !failed.Load() {
		var bp *[]byte
		var n int
		var rerr error
		if first != nil {
			bp, n, first = first, firstN, nil
		} else {
			bp = <-free
			n, rerr = io.ReadFull(r, *bp)
		}
		if n > 0 {
			refs := new(atomic.Int32)
			refs.Store(2)
			c := chunk{bp: bp, n: n, refs: refs}
			md5Ch <- c
			wrCh <- c
			size += int64(n)
		} else {
			free <- bp
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	close(md5Ch)
	close(wrCh)
	wg.Wait()
	for range nbuf {
		bufPool.Put(<-free)
	}
	if err == nil {
		err = werr
	}
	copy(sum[:], h.Sum(nil))
	return sum, crc, size, err
}

// writeChunk writes chunk; with O_DIRECT on, an unaligned length (only the
// last chunk of a body) is split: the aligned head goes direct, then O_DIRECT
// is cleared for the tail.
func writeChunk(f *os.File, chunk []byte, direct *bool) error {
	if *direct && len(chunk)%alignment != 0 {
		head := len(chunk) &^ (alignment - 1)
		if head > 0 {
			if _, err := f.Write(chunk[:head]); err != nil {
				return err
			}
			chunk = chunk[head:]
		}
		if err := clearDirect(f); err != nil {
			return err
		}
		*direct = false
	}
	_, err := f.Write(chunk)
	return err
}

func (b *bucket) removeBlobs(ids ...string) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		if err := os.Remove(b.blobPath(id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			b.log.Warn("remove blob", "bucket", b.name, "blob", id, "err", err)
		}
	}
}

// blobIDs lists the blobs in data/ among refs (not an inline one).
func blobIDs(refs []blobRef) []string {
	ids := make([]string, 0, len(refs))
	for _, r := range refs {
		if !r.Inline {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// commitObject makes m the current version of its key. With forbid set it
// fails with errExists when the key exists at the moment of the commit, so
// two racing writers cannot both win.
// body is m's inline body, nil for one in data/.
func (b *bucket) commitObject(m objMeta, body []byte, forbid bool) error {
	var cond func(*objMeta) error
	if forbid {
		cond = func(old *objMeta) error {
			if old != nil {
				return errExists
			}
			return nil
		}
	}
	return b.commit(m, body, cond)
}

// errChanged reports that the object changed between reading it and committing
// a new version derived from it.
var errChanged = errors.New("object changed meanwhile")

// unchanged is a commit condition: the key still holds the version read as
// prev (nil: still absent).
func unchanged(prev *objMeta) func(*objMeta) error {
	return func(cur *objMeta) error {
		switch {
		case prev == nil && cur == nil:
			return nil
		case prev == nil || cur == nil:
			return errChanged
		case prev.ETag != cur.ETag || prev.Size != cur.Size || !prev.Modified.Equal(cur.Modified) || !slices.Equal(prev.Blobs, cur.Blobs):
			return errChanged
		}
		return nil
	}
}

// commitObjectIf commits m when cond, called under the bucket lock with the
// current version (nil if none), returns nil; otherwise it returns cond's
// error. Blobs m shares with the version it replaces (an append, a metadata
// change) are kept; an inline body shared so is copied into the new file.
func (b *bucket) commitObjectIf(m objMeta, cond func(cur *objMeta) error) error {
	return b.commit(m, nil, cond)
}

// commit is commitObjectIf for m whose inline body, if any, is body (nil:
// the one of the version m was derived from, read back from its file).
func (b *bucket) commit(meta objMeta, body []byte, cond func(cur *objMeta) error) error {
	// the index entry, made first: encoding &meta would move meta to the
	// heap, a second copy of it per object stored
	o := &object{meta: meta}
	m := &o.meta
	if ref := inlineRef(m); ref != nil && body == nil {
		var err error
		if body, err = b.readInline(m.Key, ref.ID); err != nil {
			if errors.Is(err, errReplaced) {
				return errChanged // cond would fail too: that version is gone
			}
			return fmt.Errorf("read inline body: %w", err)
		}
	}
	hp := headPool.Get().(*[]byte)
	head, err := encodeObjectHead((*hp)[:0], m)
	if err != nil {
		headPool.Put(hp)
		return fmt.Errorf("encode object metadata: %w", err)
	}
	defer func() {
		if cap(head) <= 64<<10 { // a rare huge one is not kept
			*hp = head
			headPool.Put(hp)
		}
	}()
	if inlineRef(m) == nil {
		body = nil
	}
	path := b.metaPath(m.Key)
	dir, base := filepath.Dir(path), filepath.Base(path)
	if len(head)+len(body) <= createMax && b.claim(m.Key) {
		if done, err := b.commitNew(o, dir, base, head, body, cond); done {
			return err
		}
	}
	d, tmp, err := b.writeObjectTemp(dir, base, head, body)
	if err != nil {
		return fmt.Errorf("write object metadata: %w", err)
	}
	b.mu.Lock()
	old := b.objects[m.Key]
	if cond != nil {
		var cur *objMeta
		if old != nil {
			cur = &old.meta
		}
		if err := cond(cur); err != nil {
			b.mu.Unlock()
			d.remove(tmp)
			return err
		}
	}
	if err := d.rename(tmp, base); err != nil {
		b.mu.Unlock()
		d.remove(tmp)
		return fmt.Errorf("commit object metadata: %w", err)
	}
	if _, ok := b.creating[m.Key]; ok {
		b.creating[m.Key] = true // the file commitNew is writing was just replaced
	}
	b.objects[m.Key] = o
	if old == nil {
		b.sorted = nil
	}
	var garbage []string
	if old != nil {
		old.dead = true
		shared := map[string]bool{}
		for _, bl := range m.Blobs {
			shared[bl.ID] = true
		}
		for _, bl := range old.meta.Blobs {
			if !shared[bl.ID] && !bl.Inline {
				old.garbage = append(old.garbage, bl.ID)
			}
		}
		if old.refs == 0 {
			garbage = old.garbage
		}
	}
	b.mu.Unlock()
	b.syncs.sync(dir)
	b.removeBlobs(garbage...)
	return nil
}

// writeObjectTemp writes data to a new fsynced temporary file in dir and
// returns dir's handle and the file's name.
func (b *bucket) writeObjectTemp(dir, base string, head, body []byte) (d *openDir, tmp string, err error) {
	d, err = b.inDir(dir, func(d *openDir) (err error) {
		tmp, err = d.writeTemp(base, head, body)
		return err
	})
	return d, tmp, err
}

// inDir calls write with dir's handle and returns the handle. It makes dir
// (durably) and calls write again when write fails because dir does not
// exist: dir's first object, or dir removed since it was opened.
func (b *bucket) inDir(dir string, write func(d *openDir) error) (*openDir, error) {
	for try := 0; ; try++ {
		d, err := b.syncs.handle(dir)
		if err == nil {
			if err = write(d); err == nil {
				return d, nil
			}
		}
		if !errors.Is(err, fs.ErrNotExist) || try > 0 {
			return d, err
		}
		b.syncs.forget(dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		syncDir(filepath.Dir(dir))
	}
}

// claim reserves key for commitNew: it has no object and no other commitNew
// is under way for it.
func (b *bucket) claim(key string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.objects[key] != nil {
		return false
	}
	if _, busy := b.creating[key]; busy {
		return false
	}
	if b.creating == nil {
		b.creating = map[string]bool{}
	}
	b.creating[key] = false
	return true
}

// fileCreated, when set (by tests only), is told of every file commitNew
// has written, before it commits it.
var fileCreated func(key string)

// unclaim gives up claim's reservation of key.
func (b *bucket) unclaim(key string) {
	b.mu.Lock()
	delete(b.creating, key)
	b.mu.Unlock()
}

// commitNew commits o, whose key claim reserved, by creating its file under
// its final name: a new object costs a create, a write, an fsync and a close,
// without a temporary file's rename. Until the commit, nothing reads that
// file: the key has no object, and a crash leaves a file the next start
// refuses (see createMax) or a whole object nobody was told about, as a crash
// after a rename does.
//
// done is false when o is to be committed the usual way instead: a file is
// already there (one a crash cut short), or another commit replaced this file
// meanwhile; o then replaces that commit's object, as if it came second.
func (b *bucket) commitNew(o *object, dir, base string, head, body []byte, cond func(cur *objMeta) error) (done bool, err error) {
	m := &o.meta
	var made bool
	d, err := b.inDir(dir, func(d *openDir) (err error) {
		made, err = d.create(base, head, body)
		return err
	})
	if err != nil && !made && errors.Is(err, fs.ErrExist) {
		b.unclaim(m.Key)
		return false, nil
	}
	if err != nil {
		err = fmt.Errorf("write object metadata: %w", err)
	} else if fileCreated != nil {
		fileCreated(m.Key)
	}
	b.mu.Lock()
	replaced := b.creating[m.Key]
	delete(b.creating, m.Key)
	if err == nil && !replaced && cond != nil {
		err = cond(nil) // the key still has no object: any commit would have replaced the file
	}
	if err != nil || replaced {
		if made && !replaced {
			d.remove(base) // under the lock: the name is still this request's
		}
		b.mu.Unlock()
		return err != nil, err
	}
	b.objects[m.Key] = o
	b.sorted = nil
	b.mu.Unlock()
	b.syncs.sync(dir)
	return true, nil
}

// deleteObject removes key; deleting an absent key succeeds, as in OSS.
func (b *bucket) deleteObject(key string) error {
	b.mu.Lock()
	old := b.objects[key]
	if old == nil {
		b.mu.Unlock()
		return nil
	}
	if err := os.Remove(b.metaPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.mu.Unlock()
		return fmt.Errorf("remove object metadata: %w", err)
	}
	delete(b.objects, key)
	b.sorted = nil
	old.dead = true
	old.garbage = blobIDs(old.meta.Blobs)
	var garbage []string
	if old.refs == 0 {
		garbage = old.garbage
	}
	b.mu.Unlock()
	b.removeBlobs(garbage...)
	return nil
}

// pin is one reader's hold on a version of an object: its blobs in data/
// stay until release, and an inline body is read when pinned, since the
// file holding it is replaced by the next version of the object.
type pin struct {
	*object
	inline []byte
}

// acquire returns the current version of key, pinned until release; nil when
// there is none.
func (b *bucket) acquire(key string) (*pin, error) {
	for try := 0; ; try++ {
		b.mu.Lock()
		o := b.objects[key]
		if o != nil {
			o.refs++
		}
		b.mu.Unlock()
		if o == nil {
			return nil, nil
		}
		p := &pin{object: o}
		ref := inlineRef(&o.meta)
		if ref == nil {
			return p, nil
		}
		body, err := b.readInline(key, ref.ID)
		if err == nil {
			p.inline = body
			return p, nil
		}
		b.release(p)
		// replaced between the lookup and the read: pin the newer version
		if !errors.Is(err, errReplaced) || try == 100 {
			return nil, err
		}
	}
}

func (b *bucket) release(p *pin) {
	o := p.object
	b.mu.Lock()
	o.refs--
	var garbage []string
	if o.refs == 0 && o.dead {
		garbage = o.garbage
	}
	b.mu.Unlock()
	b.removeBlobs(garbage...)
}

// lookup returns a copy of key's metadata.
func (b *bucket) lookup(key string) (objMeta, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	o := b.objects[key]
	if o == nil {
		return objMeta{}, false
	}
	return o.meta, true
}

func (b *bucket) sortedKeys() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sorted == nil {
		keys := make([]string, 0, len(b.objects))
		for k := range b.objects {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.sorted = keys
	}
	return b.sorted
}

// openBody returns a reader over a pinned object's blobs as one stream.
func (b *bucket) openBody(p *pin) *blobsReader {
	m := &p.meta
	starts := make([]int64, len(m.Blobs))
	var off int64
	for i, bl := range m.Blobs {
		starts[i] = off
		off += bl.Size
	}
	return &blobsReader{b: b, blobs: m.Blobs, starts: starts, size: m.Size, curIx: -1, inline: p.inline}
}

// blobsReader is an io.ReadSeeker over the concatenation of an object's blobs,
// so a completed multipart object is served from its part blobs without ever
// being copied. It keeps one blob open at a time.
type blobsReader struct {
	b      *bucket
	blobs  []blobRef
	starts []int64 // offset of each blob in the object
	size   int64
	pos    int64
	cur    *os.File
	curIx  int
	inline []byte // the inline blob's bytes
}

func (r *blobsReader) Read(p []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	ix := r.curIx
	if ix < 0 || r.pos < r.starts[ix] || r.pos >= r.starts[ix]+r.blobs[ix].Size {
		// the last blob starting at or before pos (zero-length blobs are skipped by the bounds check)
		ix = sort.Search(len(r.starts), func(i int) bool { return r.starts[i] > r.pos }) - 1
		for ix < len(r.blobs) && r.pos >= r.starts[ix]+r.blobs[ix].Size {
			ix++
		}
		if ix < 0 || ix >= len(r.blobs) {
			return 0, io.EOF
		}
	}
	if r.blobs[ix].Inline {
		n := copy(p, r.inline[r.pos-r.starts[ix]:])
		r.pos += int64(n)
		return n, nil
	}
	if r.cur == nil || r.curIx != ix {
		if r.cur != nil {
			r.cur.Close()
			r.cur = nil
		}
		f, err := fileio.Open(r.b.blobPath(r.blobs[ix].ID))
		if err != nil {
			return 0, fmt.Errorf("open blob: %w", err)
		}
		r.cur, r.curIx = f, ix
	}
	start := r.starts[ix]
	left := r.blobs[ix].Size - (r.pos - start)
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := r.cur.ReadAt(p, r.pos-start)
	r.pos += int64(n)
	if err == io.EOF && n == len(p) {
		err = nil
	}
	if err == io.EOF {
		err = fmt.Errorf("blob %s shorter than recorded: %w", r.blobs[ix].ID, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (r *blobsReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.pos
	case io.SeekEnd:
		off += r.size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if off < 0 {
		return 0, errors.New("seek: negative position")
	}
	r.pos = off
	return off, nil
}

func (r *blobsReader) Close() error {
	if r.cur != nil {
		err := r.cur.Close()
		r.cur = nil
		return err
	}
	return nil
}

// ---- multipart ----

func (b *bucket) newUpload(m uploadMeta) (*upload, error) {
	dir := filepath.Join(b.dir, "uploads", m.UploadID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	syncDir(filepath.Dir(dir))
	if err := writeJSONAtomic(filepath.Join(dir, "upload.json"), m); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("write upload: %w", err)
	}
	u := &upload{meta: m, dir: dir, parts: map[int]*partMeta{}}
	b.mu.Lock()
	b.uploads[m.UploadID] = u
	b.mu.Unlock()
	return u, nil
}

func (b *bucket) getUpload(id string) *upload {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.uploads[id]
}

func partFile(n int) string { return fmt.Sprintf("p%05d.json", n) }

// commitPart records p, replacing an earlier upload of the same number.
func (b *bucket) commitPart(u *upload, p partMeta) error {
	path := filepath.Join(u.dir, partFile(p.Number))
	tmp, err := writeTempJSON(path, p)
	if err != nil {
		if u.isDone() {
			b.removeBlobs(p.Blob)
			return errNoUpload
		}
		return fmt.Errorf("write part metadata: %w", err)
	}
	u.mu.Lock()
	if u.done {
		u.mu.Unlock()
		os.Remove(tmp)
		b.removeBlobs(p.Blob)
		return errNoUpload
	}
	if err := fileio.Rename(tmp, path); err != nil {
		u.mu.Unlock()
		os.Remove(tmp)
		return fmt.Errorf("commit part metadata: %w", err)
	}
	old := u.parts[p.Number]
	u.parts[p.Number] = &p
	u.mu.Unlock()
	syncDir(u.dir)
	if old != nil {
		b.removeBlobs(old.Blob)
	}
	return nil
}

func (u *upload) isDone() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.done
}

// finishUpload forgets an upload whose lock the caller holds and whose done
// flag it has set; keep lists blobs now owned by an object.
func (b *bucket) finishUpload(u *upload, keep map[string]bool) {
	var garbage []string
	for _, p := range u.parts {
		if !keep[p.Blob] {
			garbage = append(garbage, p.Blob)
		}
	}
	b.mu.Lock()
	delete(b.uploads, u.meta.UploadID)
	b.mu.Unlock()
	if err := os.RemoveAll(u.dir); err != nil {
		b.log.Warn("remove upload directory", "dir", u.dir, "err", err)
	}
	b.removeBlobs(garbage...)
}

func (b *bucket) abortUpload(u *upload) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.done {
		return errNoUpload
	}
	u.done = true
	b.finishUpload(u, nil)
	return nil
}

// ---- loading ----

// errEmptyObjectFile is an object file with nothing in it: one whose create
// a crash cut short before its write. No committed object's file is empty.
var errEmptyObjectFile = errors.New("empty object file")

// readObjectMeta reads an object's metadata file, checking an inline body's
// length without reading the body (a start reads every object's metadata).
// buf is scratch space; metadata longer than it is read whole.
func readObjectMeta(path string, buf []byte) (objMeta, error) {
	f, err := fileio.Open(path)
	if err != nil {
		return objMeta{}, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err == io.EOF {
		return objMeta{}, errEmptyObjectFile
	}
	if err != nil && err != io.ErrUnexpectedEOF {
		return objMeta{}, err
	}
	head, _, found := bytes.Cut(buf[:n], []byte{'\n'})
	if !found {
		// the whole file is metadata (a body in data/), or metadata longer
		// than buf (much user metadata or many tags)
		rest, err := io.ReadAll(f)
		if err != nil {
			return objMeta{}, err
		}
		m, _, err := decodeObject(append(buf[:n], rest...))
		return m, err
	}
	m, err := decodeObjectHead(head)
	if err != nil {
		return m, err
	}
	// a metadata file in the new layout with an inline body: check its length
	st, err := f.Stat()
	if err != nil {
		return m, err
	}
	if ref := inlineRef(&m); ref == nil || st.Size() != int64(len(head))+1+ref.Size {
		return m, fmt.Errorf("%s: %d bytes do not hold the metadata and the inline body it names", path, st.Size())
	}
	// a body read whole is checked: commitNew writes a file of up to
	// createMax bytes under its final name, and a crash may leave one with
	// the right length but not the right bytes
	if body := buf[len(head)+1 : n]; int64(n) == st.Size() && crc64ecma.Update(0, body) != m.CRC64 {
		return m, fmt.Errorf("%s: the inline body does not match its CRC64", path)
	}
	return m, nil
}

// validBlobID guards paths built from metadata read back from disk.
func validBlobID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func validBlobs(refs []blobRef) bool {
	for _, r := range refs {
		if !validBlobID(r.ID) || r.Size < 0 {
			return false
		}
	}
	return true
}

// openBucket loads (or creates) a bucket directory, rebuilding the index from
// the metadata files and removing whatever a killed server left half-written.
func openBucket(root, name string, log *slog.Logger) (*bucket, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir := filepath.Join(root, "buckets", name)
	b := &bucket{name: name, dir: dir, log: log, objects: map[string]*object{}, uploads: map[string]*upload{}}
	for _, sub := range []string{"data", "objects", "uploads"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	// a freshly created bucket directory must survive a crash too
	syncDir(dir)
	syncDir(filepath.Dir(dir))
	var bm struct {
		Created time.Time `json:"created"`
	}
	bmPath := filepath.Join(dir, "bucket.json")
	if err := readJSON(bmPath, &bm); err != nil || bm.Created.IsZero() {
		bm.Created = time.Now().UTC().Truncate(time.Second)
		if err := writeJSONAtomic(bmPath, bm); err != nil {
			return nil, fmt.Errorf("bucket %s: %w", name, err)
		}
	}
	b.created = bm.Created
	live := map[string]bool{}
	uploadIDs := map[string]bool{}

	// objects
	scratch := make([]byte, createMax)
	err := filepath.WalkDir(filepath.Join(dir, "objects"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.Contains(d.Name(), ".tmp-") {
			os.Remove(p)
			return nil
		}
		if !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		m, err := readObjectMeta(p, scratch)
		if errors.Is(err, errEmptyObjectFile) {
			log.Info("removing an object file a crash left empty", "file", p)
			os.Remove(p)
			return nil
		}
		if err != nil || m.Key == "" || b.metaPath(m.Key) != p || !validBlobs(m.Blobs) {
			log.Warn("skipping unreadable object metadata", "file", p, "err", err)
			return nil
		}
		b.objects[m.Key] = &object{meta: m}
		for _, id := range blobIDs(m.Blobs) {
			live[id] = true
		}
		if m.UploadID != "" {
			uploadIDs[m.UploadID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("bucket %s: load objects: %w", name, err)
	}

	// uploads
	ents, err := os.ReadDir(filepath.Join(dir, "uploads"))
	if err != nil {
		return nil, fmt.Errorf("bucket %s: load uploads: %w", name, err)
	}
	for _, e := range ents {
		udir := filepath.Join(dir, "uploads", e.Name())
		var um uploadMeta
		if !e.IsDir() || readJSON(filepath.Join(udir, "upload.json"), &um) != nil || um.UploadID != e.Name() || uploadIDs[um.UploadID] {
			// half-created, or completed just before a kill
			os.RemoveAll(udir)
			continue
		}
		u := &upload{meta: um, dir: udir, parts: map[int]*partMeta{}}
		pents, _ := os.ReadDir(udir)
		for _, pe := range pents {
			pp := filepath.Join(udir, pe.Name())
			if strings.Contains(pe.Name(), ".tmp-") {
				os.Remove(pp)
				continue
			}
			if pe.Name() == "upload.json" {
				continue
			}
			var p partMeta
			if err := readJSON(pp, &p); err != nil || p.Number < 1 || p.Number > maxPartNumber || pe.Name() != partFile(p.Number) || !validBlobID(p.Blob) {
				os.Remove(pp)
				continue
			}
			if st, err := os.Stat(b.blobPath(p.Blob)); err != nil || st.Size() != p.Size {
				log.Warn("dropping part whose data is missing", "upload", um.UploadID, "part", p.Number)
				os.Remove(pp)
				continue
			}
			u.parts[p.Number] = &p
			live[p.Blob] = true
		}
		b.uploads[um.UploadID] = u
	}

	// blobs nobody references: writes cut short by a kill, or overwritten objects
	dents, err := os.ReadDir(filepath.Join(dir, "data"))
	if err != nil {
		return nil, fmt.Errorf("bucket %s: load data: %w", name, err)
	}
	for _, e := range dents {
		if !live[e.Name()] {
			os.Remove(filepath.Join(dir, "data", e.Name()))
		}
	}
	return b, nil
}
