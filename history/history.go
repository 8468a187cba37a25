// Package history keeps a bounded, crash-safe record of finished uploads (done,
// failed, canceled, skipped) in the state directory, so what was uploaded, where it
// went and the links issued for it outlive the session.
//
// The file is JSON lines, one Entry per line, appended in batches by a background
// writer: recording never waits for the disk. A later line with the same ID replaces
// an earlier one (that is how links are added). A torn last line — a crash in the
// middle of a write — is ignored on reading and cut off before the next append, so
// a kill -9 loses at most the batch being written and never an entry that was
// complete on disk. When the file grows past its bounds it is rewritten (temporary
// file, fsync, rename) with only the newest entries.
//
// No secret is written: entries hold no credentials, link URLs lose their query
// (signatures, STS tokens), and Options.Secrets values are masked in every field.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossdrop/ossdrop/transfer"
	"github.com/ossdrop/ossdrop/transfer/errkind"
)

// FileName is the history file inside the state directory.
const FileName = "history.jsonl"

const lockName = "history.lock"

// Default bounds: at least the newest 10,000 entries (the file holds up to twice
// as many before it is compacted to them), and never more than 16 MiB on disk.
const (
	DefaultMaxEntries = 10000
	DefaultMaxBytes   = 16 << 20
)

// Entry states, as transfer.State names them.
const (
	StateDone     = "done"
	StateFailed   = "failed"
	StateCanceled = "canceled"
	StateSkipped  = "skipped"
)

// States lists every state an entry can have, for filters.
var States = []string{StateDone, StateFailed, StateCanceled, StateSkipped}

// Link is a URL handed out for an uploaded object.
type Link struct {
	// URL is the object's address without its query: a presigned link's signature
	// (and any STS token in it) is a credential and is never stored.
	URL       string    `json:"url"`
	Presigned bool      `json:"presigned,omitempty"`
	Issued    time.Time `json:"issued"`
	Expires   time.Time `json:"expires,omitzero"` // zero for a plain URL
}

// Entry is one finished upload.
type Entry struct {
	ID      string `json:"id"`
	Path    string `json:"path"`              // the local file
	Profile string `json:"profile,omitempty"` // the settings profile of the destination
	Bucket  string `json:"bucket"`
	Key     string `json:"key"`
	Size    int64  `json:"size"` // -1: the file ended before its size was read
	// CRC64 (ECMA, as OSS reports it) of the stored object, verified against the
	// file; 0 when not done. Written as a string so JSON readers keep all 64 bits.
	CRC64     uint64        `json:"crc64,string,omitempty"`
	State     string        `json:"state"`
	When      time.Time     `json:"when"`     // when it finished
	Duration  time.Duration `json:"duration"` // nanoseconds from start to end
	Retries   int           `json:"retries,omitempty"`
	Error     string        `json:"error,omitempty"`      // the engine's exact message, in English
	ErrorCode string        `json:"error_code,omitempty"` // OSS error code
	// ErrorKind names the failure in words that stay the same across
	// releases (package errkind), so it can be explained in the reader's
	// language; entries written before kinds were stored have none.
	ErrorKind   string `json:"error_kind,omitempty"`
	ErrorStatus int    `json:"error_status,omitempty"` // the HTTP status of an OSS reply
	RequestID   string `json:"request_id,omitempty"`   // what OSS support asks for
	Links       []Link `json:"links,omitempty"`
}

// Name is the file's base name.
func (e *Entry) Name() string { return filepath.Base(e.Path) }

// FromSnapshot turns a finished task into an entry (without ID; Record assigns one).
func FromSnapshot(s transfer.TaskSnapshot) Entry {
	e := Entry{Path: s.Path, Profile: s.Profile, Bucket: s.Bucket, Key: s.Key, Size: s.Size,
		State: s.State.String(), When: s.EndedAt, Retries: s.Retries}
	if s.State == transfer.Done {
		e.CRC64 = s.CRC64
	}
	if e.When.IsZero() {
		e.When = time.Now()
	}
	if !s.StartedAt.IsZero() && s.EndedAt.After(s.StartedAt) {
		e.Duration = s.EndedAt.Sub(s.StartedAt)
	}
	if s.Err != nil {
		e.Error, e.ErrorCode, e.RequestID = s.Err.Error(), s.Err.Code, s.Err.RequestID
		e.ErrorKind, e.ErrorStatus = string(errkind.OfTask(s)), s.Err.Status
	}
	return e
}

// Options bound and protect a Recorder.
type Options struct {
	MaxEntries int   // entries kept when compacting, which happens at twice as many; 0: DefaultMaxEntries
	MaxBytes   int64 // 0: DefaultMaxBytes
	// Secrets returns values that must never reach the file (access key secrets,
	// STS tokens); they are masked wherever they appear. Called for every batch,
	// so rotated credentials are covered.
	Secrets func() []string
	// OnError hears write failures; the writer keeps going. nil ignores them.
	OnError func(error)
}

func (o Options) withDefaults() Options {
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	return o
}

// Recorder appends entries to the history file of one state directory. Several
// processes may record into the same directory: appends and rewrites take a lock.
type Recorder struct {
	dir  string
	opts Options

	mu      sync.Mutex
	pending []Entry
	closed  bool
	err     error // the last write error, for Flush
	wake    chan struct{}
	flushed *sync.Cond // signalled after every batch
	batches uint64     // batches written, under mu
	queued  uint64     // batches requested, under mu

	lines atomic.Int64 // lines in the file as far as this process knows
	done  chan struct{}
	// urge cuts a batch's gathering short: a Flush waits for it.
	urge chan struct{}

	// known is what this process knows to be in the file without reading it
	// again; guarded by the history lock (lockDir), which also excludes the
	// other goroutines of this process.
	known knownLines
}

// knownLines describes the head of the history file as this process last
// wrote it: the file (by identity), how many bytes of it, and the entry of
// each line. Compaction reuses it instead of parsing those lines again; a
// file replaced or cut by another process is simply read in full.
type knownLines struct {
	file  os.FileInfo
	size  int64
	lines []lineRef
	ids   []string // ids[i] is the entry of lines[i]
}

var idSeq atomic.Uint64

// pidStr is this process's id, looked up once (newID runs for every file).
var pidStr = strconv.Itoa(os.Getpid())

// newID is unique across processes in practice: time, process and a counter.
func newID() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + "-" + pidStr + "-" + strconv.FormatUint(idSeq.Add(1), 36)
}

// Batches are group-committed: once an entry is pending, the writer waits up
// to batchWait for more (or until batchMax are pending, or a Flush or Close
// waits) and writes them with one append and one fsync. A command uploading
// thousands of small files finishes one every few hundred microseconds; a
// batch per entry cost a lock, an open and an fsync each. An entry is still on
// disk within batchWait of its upload's end.
const (
	batchWait = 50 * time.Millisecond
	batchMax  = 4096
)

// Open prepares dir (created 0700) and starts the background writer.
func Open(dir string, o Options) (*Recorder, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	r := &Recorder{dir: dir, opts: o.withDefaults(), wake: make(chan struct{}, 1), done: make(chan struct{}), urge: make(chan struct{}, 1)}
	r.flushed = sync.NewCond(&r.mu)
	n, err := countLines(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	r.lines.Store(n)
	go r.loop()
	return r, nil
}

func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("history: %w", err)
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 64<<10)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("history: %w", err)
		}
	}
}

// Record queues e for writing and returns its ID (assigned when empty). It never
// blocks on the disk. An entry with the ID of an earlier one replaces it.
func (r *Recorder) Record(e Entry) string {
	if e.ID == "" {
		e.ID = newID()
	}
	if r == nil { // history off: nothing to write to
		return e.ID
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return e.ID
	}
	r.pending = append(r.pending, e)
	r.queued++
	// Only the first pending entry wakes the writer (it gathers the rest), so
	// recording costs no goroutine wake-up per entry.
	if len(r.pending) == 1 || len(r.pending) >= batchMax {
		select { // under mu, so Close cannot close wake in between
		case r.wake <- struct{}{}:
		default:
		}
	}
	r.mu.Unlock()
	return e.ID
}

// RecordTask records a finished task; it fits transfer.Config.OnFinished. A nil
// Recorder (history unavailable) records nothing.
func (r *Recorder) RecordTask(s transfer.TaskSnapshot) { r.Record(FromSnapshot(s)) }

// AddLink records that l was issued for e and returns e with it.
func (r *Recorder) AddLink(e Entry, l Link) Entry {
	l = cleanLink(l)
	if e.ID == "" {
		e.ID = newID()
	}
	e.Links = append(append([]Link(nil), e.Links...), l)
	if r != nil {
		r.Record(e)
	}
	return e
}

// Flush waits until everything recorded so far is on disk and returns the last
// write error, if any.
func (r *Recorder) Flush() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	want := r.queued
	if r.batches < want {
		select { // the writer stops gathering: someone waits
		case r.urge <- struct{}{}:
		default:
		}
	}
	for r.batches < want && !r.isDoneLocked() {
		r.flushed.Wait()
	}
	return r.err
}

func (r *Recorder) isDoneLocked() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// Close writes what is pending and stops the writer.
func (r *Recorder) Close() error {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return r.err
	}
	r.closed = true
	close(r.wake)
	r.mu.Unlock()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *Recorder) loop() {
	defer func() {
		r.mu.Lock()
		close(r.done)
		r.flushed.Broadcast()
		r.mu.Unlock()
	}()
	for {
		_, ok := <-r.wake
		if ok {
			ok = r.gather()
		}
		r.mu.Lock()
		batch := r.pending
		r.pending = nil
		upto := r.queued
		r.mu.Unlock()
		var err error
		if len(batch) > 0 {
			err = r.write(batch)
			if err != nil && r.opts.OnError != nil {
				r.opts.OnError(err)
			}
		}
		r.mu.Lock()
		if len(batch) > 0 {
			r.err = err
		}
		r.batches = upto
		r.flushed.Broadcast()
		r.mu.Unlock()
		if !ok {
			return
		}
	}
}

// gather waits until the pending batch is worth a write: batchWait passed,
// batchMax entries wait, or a Flush waits. It returns false once Close was
// called (the pending batch is then written at once, as the last).
func (r *Recorder) gather() bool {
	t := time.NewTimer(batchWait)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			return true
		case <-r.urge:
			return true
		case _, ok := <-r.wake:
			if !ok {
				return false
			}
			r.mu.Lock()
			full := len(r.pending) >= batchMax
			r.mu.Unlock()
			if full {
				return true
			}
		}
	}
}

// write appends one batch with a single write and one fsync, under the lock, then
// compacts the file when it has outgrown its bounds.
func (r *Recorder) write(batch []Entry) error {
	var secrets []string
	if r.opts.Secrets != nil {
		secrets = r.opts.Secrets()
	}
	var buf bytes.Buffer
	lens := make([]int, len(batch))
	for i, e := range batch {
		b, err := json.Marshal(scrub(e, secrets))
		if err != nil {
			return fmt.Errorf("history: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
		lens[i] = len(b)
	}
	unlock, err := lockDir(r.dir)
	if err != nil {
		return err
	}
	defer unlock()
	path := filepath.Join(r.dir, FileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	st, size, err := cutTornTail(f)
	if err == nil {
		_, err = f.Write(buf.Bytes())
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		r.known = knownLines{}
		return fmt.Errorf("history %s: %w", path, err)
	}
	r.noteAppended(st, size, batch, lens)
	n := r.lines.Add(int64(len(batch)))
	size += int64(buf.Len())
	// Compaction rewrites every entry it keeps, so it waits until the file
	// holds twice MaxEntries: a command that records 100,000 uploads rewrites
	// the history nine times instead of ninety (a tenth of its CPU went there).
	if n > int64(2*r.opts.MaxEntries) || size > r.opts.MaxBytes {
		return r.compactLocked()
	}
	return nil
}

// noteAppended extends what this process knows of the file by the batch it
// just appended at size, when the file is the one it knows and nothing else
// was appended since; a file replaced or cut by another process is forgotten.
func (r *Recorder) noteAppended(st os.FileInfo, size int64, batch []Entry, lens []int) {
	k := &r.known
	switch {
	case k.file == nil || st == nil || !os.SameFile(st, k.file) || size < k.size:
		*k = knownLines{}
	case size == k.size:
		off := size
		for i, e := range batch {
			k.lines = append(k.lines, lineRef{off: off, n: lens[i]})
			k.ids = append(k.ids, e.ID)
			off += int64(lens[i]) + 1
		}
		k.size = off
	}
	// size > k.size: another process appended after the known head; the head
	// stays known and compaction reads the rest.
}

// cutTornTail truncates a last line left without its newline by a crash, so the
// next append starts on a line of its own; it returns the file's identity and
// size.
func cutTornTail(f *os.File) (os.FileInfo, int64, error) {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return st, 0, err
	}
	size := st.Size()
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, size-1); err != nil {
		return st, size, err
	}
	if last[0] == '\n' {
		return st, size, nil
	}
	// Rare: scan back for the last newline in chunks.
	const chunk = 64 << 10
	end := size
	for end > 0 {
		start := max(end-chunk, 0)
		b := make([]byte, end-start)
		if _, err := f.ReadAt(b, start); err != nil && err != io.EOF {
			return st, size, err
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			keep := start + int64(i) + 1
			return st, keep, f.Truncate(keep)
		}
		end = start
	}
	return st, 0, f.Truncate(0)
}

// Compact rewrites the file with only the newest entries within bounds.
func (r *Recorder) Compact() error {
	unlock, err := lockDir(r.dir)
	if err != nil {
		return err
	}
	defer unlock()
	return r.compactLocked()
}

// compactLocked keeps the newest MaxEntries entries within 3/4 of MaxBytes. It
// streams the file twice instead of loading it: the first pass notes where
// each entry's newest line is (the same rules as Load: a later line with an ID
// seen before replaces it in place, lines that do not parse are dropped), the
// second copies those lines. A process that records thousands of uploads
// compacts every few hundred, and holding every entry each time was most of
// its memory. The head of the file this process wrote itself (known) is not
// parsed again: a command recording 100,000 uploads compacts ninety times,
// and parsing ten thousand lines each time was most of its CPU.
func (r *Recorder) compactLocked() error {
	path := filepath.Join(r.dir, FileName)
	f, err := os.Open(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("history: %w", err)
	}
	var lines []lineRef
	var ids []string
	if f != nil {
		defer f.Close()
		var from int64
		if st, err := f.Stat(); err == nil && r.known.file != nil && os.SameFile(st, r.known.file) && st.Size() >= r.known.size {
			lines, ids, from = slices.Clone(r.known.lines), slices.Clone(r.known.ids), r.known.size
		}
		if lines, ids, err = newestLines(f, from, lines, ids); err != nil {
			r.known = knownLines{}
			return fmt.Errorf("history: compact %s: %w", path, err)
		}
	}
	if len(lines) > r.opts.MaxEntries {
		cut := len(lines) - r.opts.MaxEntries
		lines, ids = lines[cut:], ids[cut:]
	}
	var total int64
	for _, l := range lines {
		total += int64(l.n) + 1
	}
	// Leave room below the size cap so the next appends do not rewrite at once.
	limit := r.opts.MaxBytes * 3 / 4
	for len(lines) > 0 && total > limit {
		total -= int64(lines[0].n) + 1
		lines, ids = lines[1:], ids[1:]
	}
	r.known = knownLines{}
	tmp, err := os.CreateTemp(r.dir, FileName+".*.tmp")
	if err != nil {
		return fmt.Errorf("history: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 256<<10)
	src := chunkReader{f: f}
	newLines := make([]lineRef, len(lines))
	var buf []byte
	var off int64
	for i, l := range lines {
		buf = slices.Grow(buf[:0], l.n)[:l.n]
		if err = src.readAt(buf, l.off); err != nil {
			break
		}
		w.Write(buf)
		w.WriteByte('\n')
		newLines[i] = lineRef{off: off, n: l.n}
		off += int64(l.n) + 1
	}
	if f != nil {
		f.Close() // before the rename: Windows does not replace a file that is open
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		err = tmp.Sync()
	}
	var st os.FileInfo
	if err == nil {
		st, err = tmp.Stat()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("history: compact %s: %w", path, err)
	}
	syncDir(r.dir)
	r.lines.Store(int64(len(lines)))
	r.known = knownLines{file: st, size: off, lines: newLines, ids: slices.Clip(ids)}
	return nil
}

// chunkReader serves reads of a file's lines, mostly in order, from one
// buffered read of 256 KiB at a time rather than a system call per line.
type chunkReader struct {
	f   *os.File
	buf []byte
	off int64 // file offset of buf[0]
}

func (c *chunkReader) readAt(p []byte, off int64) error {
	if off >= c.off && off+int64(len(p)) <= c.off+int64(len(c.buf)) {
		copy(p, c.buf[off-c.off:])
		return nil
	}
	const size = 256 << 10
	if len(p) > size {
		_, err := c.f.ReadAt(p, off)
		return err
	}
	if cap(c.buf) < size {
		c.buf = make([]byte, size)
	}
	n, err := c.f.ReadAt(c.buf[:size], off)
	c.buf, c.off = c.buf[:n], off
	if n < len(p) {
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	copy(p, c.buf)
	return nil
}

// lineRef is where one entry's newest line is in the file (without its newline).
type lineRef struct {
	off int64
	n   int
}

// newestLines reads the history file f line by line from offset from, after
// the lines (with their entries' ids) already known before it, and returns,
// for each entry in the order it first appears, its newest line that parses.
func newestLines(f *os.File, from int64, lines []lineRef, ids []string) ([]lineRef, []string, error) {
	index := make(map[string]int, len(lines))
	for i, id := range ids {
		index[id] = i
	}
	rd := bufio.NewReaderSize(io.NewSectionReader(f, from, 1<<62), 64<<10)
	off := from
	for {
		line, err := rd.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A line longer than the buffer: gather it whole.
			long := bytes.Clone(line)
			for err == bufio.ErrBufferFull {
				line, err = rd.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) == 0 && err != nil {
			if err == io.EOF {
				return lines, ids, nil
			}
			return nil, nil, err
		}
		start := off
		off += int64(len(line))
		line = bytes.TrimSuffix(line, []byte{'\n'})
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if json.Unmarshal(line, &e) != nil || e.ID == "" {
			continue
		}
		ref := lineRef{off: start, n: len(line)}
		if i, ok := index[e.ID]; ok {
			lines[i] = ref
			continue
		}
		index[e.ID] = len(lines)
		lines = append(lines, ref)
		ids = append(ids, e.ID)
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Load reads the history of a state directory, oldest first. A missing file is an
// empty history; lines that do not parse (a torn last line) are skipped.
func Load(dir string) ([]Entry, error) {
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	return parse(data), nil
}

// parse decodes JSON lines; a later entry with an ID seen before replaces it in place.
func parse(data []byte) []Entry {
	entries := make([]Entry, 0, bytes.Count(data, []byte{'\n'})+1)
	index := make(map[string]int, cap(entries))
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(line, &e); err != nil || e.ID == "" {
			continue
		}
		if i, ok := index[e.ID]; ok {
			entries[i] = e
			continue
		}
		index[e.ID] = len(entries)
		entries = append(entries, e)
	}
	return entries
}

// credentialParam matches query parameters that carry signatures or tokens.
var credentialParam = regexp.MustCompile(`(?i)((?:Signature|security-token|x-oss-signature|x-oss-credential|OSSAccessKeyId|AccessKeySecret)=)[^&\s"']+`)

const masked = "***"

// scrub masks secrets and credential parameters in every text field of e.
func scrub(e Entry, secrets []string) Entry {
	clean := func(s string) string {
		for _, sec := range secrets {
			if len(sec) >= 4 {
				s = strings.ReplaceAll(s, sec, masked)
			}
		}
		if strings.IndexByte(s, '=') < 0 {
			return s // credentialParam needs a '=': most paths and keys skip the regexp
		}
		return credentialParam.ReplaceAllString(s, "${1}"+masked)
	}
	e.Path, e.Profile, e.Bucket, e.Key = clean(e.Path), clean(e.Profile), clean(e.Bucket), clean(e.Key)
	e.Error, e.ErrorCode, e.RequestID = clean(e.Error), clean(e.ErrorCode), clean(e.RequestID)
	if len(e.Links) > 0 {
		links := make([]Link, len(e.Links))
		for i, l := range e.Links {
			l = cleanLink(l)
			l.URL = clean(l.URL)
			links[i] = l
		}
		e.Links = links
	}
	return e
}

// cleanLink drops a link's query, fragment and user info: they may carry credentials.
func cleanLink(l Link) Link {
	if u, err := url.Parse(l.URL); err == nil {
		u.RawQuery, u.Fragment, u.User = "", "", nil
		l.URL = u.String()
	} else {
		l.URL = masked
	}
	return l
}
