package transfer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"sync"
	"time"
)

// The durable queue remembers files that were dropped but not yet finished, so a crash
// before an upload even starts loses nothing. Each Manager appends to its own journal
// file in $StateDir/queue (JSON lines, batched and fsync'd by the ticker); a record
// names a task by its identity (the checkpoint name), and the newest record for an
// identity across all journals wins: "add" means unfinished, "del" means finished or
// discarded. A torn last line is ignored.
type queueRec struct {
	TS       int64  `json:"ts"`
	Op       string `json:"op"`
	ID       string `json:"id"`
	Path     string `json:"path,omitempty"`
	Key      string `json:"key,omitempty"`
	Bucket   string `json:"bucket,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Dest     string `json:"dest,omitempty"`
	Region   string `json:"region,omitempty"`
	AuthV4   bool   `json:"auth_v4,omitempty"`
	Size     int64  `json:"size,omitempty"`
	CPDir    string `json:"cp_dir,omitempty"`
	// UploadID on a "del" names the multipart upload that completed, so a checkpoint
	// of that upload left by a crash right after is known to be stale.
	UploadID string `json:"upload_id,omitempty"`

	live bool // read from the journal of a running Manager (not stored)
}

type durableQueue struct {
	dir  string
	path string
	mu   sync.Mutex
	f    *os.File
	buf  []byte
	last int64
}

func openQueue(dir string) (*durableQueue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("queue directory %s: %w", dir, err)
	}
	name := fmt.Sprintf("%d-%d.jsonl", time.Now().UnixNano(), os.Getpid())
	return &durableQueue{dir: dir, path: filepath.Join(dir, name)}, nil
}

func queueEntryFor(t *task) queueRec {
	r := queueRec{Op: "add", ID: t.qid, Path: t.path, Key: t.key, Size: t.size, CPDir: t.cpDir}
	d := t.destination()
	r.Bucket, r.Endpoint, r.Profile, r.Dest, r.Region, r.AuthV4 = d.Bucket, d.Endpoint, d.Profile, d.ID, d.Region, d.AuthV4
	return r
}

// stamp returns strictly increasing timestamps so records written in one process order correctly.
func (q *durableQueue) stamp() int64 {
	ts := time.Now().UnixNano()
	if ts <= q.last {
		ts = q.last + 1
	}
	q.last = ts
	return ts
}

func (q *durableQueue) add(r queueRec) {
	if r.ID == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	r.TS = q.stamp()
	b, _ := json.Marshal(r)
	q.buf = append(append(q.buf, b...), '\n')
}

func (q *durableQueue) del(id string) {
	if id == "" {
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.buf = fmt.Appendf(q.buf, `{"ts":%d,"op":"del","id":%q}`+"\n", q.stamp(), id)
}

// finish records that id is finished and makes that durable before returning. A
// finished multipart upload calls it before deleting its checkpoint: were the
// checkpoint gone while the "del" still sat in the buffer, a crash would leave an
// "add" with no checkpoint and the next launch would upload the file again from zero.
func (q *durableQueue) finish(id, uploadID string) error {
	if id == "" {
		return nil
	}
	q.mu.Lock()
	q.buf = fmt.Appendf(q.buf, `{"ts":%d,"op":"del","id":%q,"upload_id":%q}`+"\n", q.stamp(), id, uploadID)
	q.mu.Unlock()
	return q.flush()
}

// flush appends buffered records durably.
func (q *durableQueue) flush() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.buf) == 0 {
		return nil
	}
	if q.f == nil {
		f, err := os.OpenFile(q.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("queue journal %s: %w", q.path, err)
		}
		lockFile(f)
		q.f = f
	}
	if _, err := q.f.Write(q.buf); err != nil {
		return fmt.Errorf("queue journal %s: %w", q.path, err)
	}
	q.buf = q.buf[:0]
	if cap(q.buf) > 1<<20 {
		q.buf = nil // a burst of adds grew it; do not keep megabytes around
	}
	if err := q.f.Sync(); err != nil {
		return fmt.Errorf("queue journal %s: %w", q.path, err)
	}
	return nil
}

// close flushes, then compacts every journal no live process holds into one file of
// still-unfinished entries (or none), so the directory does not grow run after run.
func (q *durableQueue) close() error {
	err := q.flush()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.f != nil {
		q.f.Close()
		q.f = nil
	}
	if cerr := compactQueue(q.dir); err == nil {
		err = cerr
	}
	return err
}

// queueState reads every journal in dir: the newest record per identity, plus
// complaints about unreadable lines.
func queueState(dir string, skipLocked bool) (map[string]queueRec, []string, []error) {
	names, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	sort.Strings(names)
	latest := map[string]queueRec{}
	var used []string
	var errs []error
	for _, name := range names {
		live := isLocked(name)
		if skipLocked && live {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, fmt.Errorf("queue journal %s: %w", name, err))
			continue
		}
		used = append(used, name)
		line := 0
		for len(data) > 0 {
			line++
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				break // torn last line from a crash mid-write
			}
			var r queueRec
			if err := json.Unmarshal(data[:i], &r); err != nil || r.ID == "" || (r.Op != "add" && r.Op != "del") {
				errs = append(errs, fmt.Errorf("queue journal %s: line %d is corrupt and was ignored", name, line))
			} else if old, ok := latest[r.ID]; !ok || r.TS > old.TS {
				r.live = live
				latest[r.ID] = r
			}
			data = data[i+1:]
		}
	}
	return latest, used, errs
}

func compactQueue(dir string) error {
	latest, used, _ := queueState(dir, true)
	if len(used) == 0 {
		return nil
	}
	var live []queueRec
	for _, r := range latest {
		if r.Op == "add" {
			live = append(live, r)
		}
	}
	if len(live) > 0 {
		sort.Slice(live, func(a, b int) bool { return live[a].TS < live[b].TS })
		var buf []byte
		for _, r := range live {
			b, _ := json.Marshal(r)
			buf = append(append(buf, b...), '\n')
		}
		tmp, err := os.CreateTemp(dir, ".compact-*")
		if err != nil {
			return fmt.Errorf("compact queue: %w", err)
		}
		_, werr := tmp.Write(buf)
		if werr == nil {
			werr = tmp.Sync()
		}
		tmp.Close()
		if werr != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("compact queue: %w", werr)
		}
		name := filepath.Join(dir, fmt.Sprintf("%d-compact.jsonl", time.Now().UnixNano()))
		if err := os.Rename(tmp.Name(), name); err != nil {
			os.Remove(tmp.Name())
			return fmt.Errorf("compact queue: %w", err)
		}
		os.Chmod(name, 0o600)
	}
	var errs []error
	for _, u := range used {
		if err := os.Remove(u); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	syncDir(dir)
	return errors.Join(errs...)
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
