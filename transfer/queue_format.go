package transfer

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

// queueDest is a destination (and checkpoint folder) as a journal's "t" record
// defines it once for all the files that go there.
type queueDest struct {
	Bucket   string `json:"bucket,omitempty"`
	Endpoint string `json:"endpoint,omitempty"`
	Profile  string `json:"profile,omitempty"`
	Dest     string `json:"dest,omitempty"`
	Region   string `json:"region,omitempty"`
	AuthV4   bool   `json:"auth_v4,omitempty"`
	CPDir    string `json:"cp_dir,omitempty"`
}

func queueDestOf(d Destination, cpDir string) queueDest {
	return queueDest{Bucket: d.Bucket, Endpoint: d.Endpoint, Profile: d.Profile, Dest: d.ID, Region: d.Region, AuthV4: d.AuthV4, CPDir: cpDir}
}

func (q queueDest) destination() Destination {
	return Destination{ID: q.Dest, Profile: q.Profile, Endpoint: q.Endpoint, Region: q.Region, Bucket: q.Bucket, AuthV4: q.AuthV4}
}

// queueDir is a folder as a journal's "d" record defines it.
type queueDir struct {
	dest      int
	dir, kpre string
}

// queueEncoder appends journal records to buf, defining destinations and
// folders the first time a record needs them. Definitions hold for the whole
// file they are written to, so one encoder writes one file.
type queueEncoder struct {
	buf   []byte
	dests map[queueDest]int
	dirs  map[queueDir]int
	nDir  int
	dels  []byte // the identities of an "x" record still open, each as `,"id"`

	// A run of files of one folder and timestamp that record (compaction) is
	// gathering into one "a" record.
	run    []queueFile
	runTS  int64
	runDst Destination
	runCP  string
	runDir string
	runKP  string
}

// maxDirsRemembered bounds the folder table: past it, folders are defined anew.
const maxDirsRemembered = 256

// object appends r in the object format.
func (e *queueEncoder) object(r queueRec) {
	b, _ := json.Marshal(r)
	e.buf = append(append(e.buf, b...), '\n')
}

// del adds id to the open "x" record.
func (e *queueEncoder) del(id string) {
	e.dels = append(e.dels, ',')
	e.dels = appendJSONString(e.dels, id)
}

// endDels closes the open "x" record, stamped now: every record after it is newer.
func (e *queueEncoder) endDels(stamp func() int64) {
	if len(e.dels) == 0 {
		return
	}
	e.buf = append(e.buf, `["x",`...)
	e.buf = strconv.AppendInt(e.buf, stamp(), 10)
	e.buf = append(append(e.buf, e.dels...), "]\n"...)
	e.dels = e.dels[:0]
}

// files appends an "a" record of files in dir, defining what it refers to first.
func (e *queueEncoder) files(ts int64, d Destination, cpDir, dir, keyPrefix string, files []queueFile) {
	qd := queueDestOf(d, cpDir)
	t, ok := e.dests[qd]
	if !ok {
		if e.dests == nil {
			e.dests = map[queueDest]int{}
		}
		t = len(e.dests)
		e.dests[qd] = t
		b, _ := json.Marshal(qd)
		e.buf = append(e.buf, `["t",`...)
		e.buf = strconv.AppendInt(e.buf, int64(t), 10)
		e.buf = append(append(append(e.buf, ','), b...), "]\n"...)
	}
	k := queueDir{t, dir, keyPrefix}
	n, ok := e.dirs[k]
	if !ok {
		if e.dirs == nil || len(e.dirs) >= maxDirsRemembered {
			e.dirs = map[queueDir]int{}
		}
		n = e.nDir
		e.nDir++
		e.dirs[k] = n
		e.buf = append(e.buf, `["d",`...)
		e.buf = strconv.AppendInt(e.buf, int64(n), 10)
		e.buf = append(e.buf, ',')
		e.buf = strconv.AppendInt(e.buf, int64(t), 10)
		e.buf = append(e.buf, ',')
		e.buf = appendJSONString(e.buf, dir)
		e.buf = append(e.buf, ',')
		e.buf = appendJSONString(e.buf, keyPrefix)
		e.buf = append(e.buf, "]\n"...)
	}
	e.buf = append(e.buf, `["a",`...)
	e.buf = strconv.AppendInt(e.buf, ts, 10)
	e.buf = append(e.buf, ',')
	e.buf = strconv.AppendInt(e.buf, int64(n), 10)
	for _, f := range files {
		e.buf = append(e.buf, ',')
		e.buf = appendJSONString(e.buf, f.name)
		e.buf = append(e.buf, ',')
		e.buf = strconv.AppendInt(e.buf, f.size, 10)
	}
	e.buf = append(e.buf, "]\n"...)
}

// record appends r (compaction writes records in time order): an added file
// whose key and identity follow from its folder joins a compact "a" record with
// its neighbours of the same folder and time; anything else is an object.
func (e *queueEncoder) record(r queueRec) {
	d := Destination{ID: r.Dest, Profile: r.Profile, Endpoint: r.Endpoint, Region: r.Region, Bucket: r.Bucket, AuthV4: r.AuthV4}
	if r.Op == opAdd {
		if dir, name, kp, ok := splitDerived(d, r.ID, r.Path, r.Key); ok {
			if len(e.run) > 0 && (r.TS != e.runTS || d != e.runDst || r.CPDir != e.runCP || dir != e.runDir || kp != e.runKP) {
				e.endFiles()
			}
			e.runTS, e.runDst, e.runCP, e.runDir, e.runKP = r.TS, d, r.CPDir, dir, kp
			e.run = append(e.run, queueFile{name: name, id: r.ID, size: r.Size})
			return
		}
	}
	e.endFiles()
	e.object(r)
}

// endFiles writes the run of files record gathered.
func (e *queueEncoder) endFiles() {
	if len(e.run) > 0 {
		e.files(e.runTS, e.runDst, e.runCP, e.runDir, e.runKP, e.run)
		e.run = e.run[:0]
	}
}

// splitDerived splits a file's path into folder and name and its key into the
// prefix before that name, when the identity follows from them (the compact
// form can stand for the record).
func splitDerived(d Destination, id, path, key string) (dir, name, keyPrefix string, ok bool) {
	dir, name = filepath.Split(path)
	if name == "" || dir == "" {
		return "", "", "", false
	}
	dir = filepath.Clean(dir)
	if filepath.Join(dir, name) != path {
		return "", "", "", false
	}
	slashed := toSlash(name)
	keyPrefix, found := strings.CutSuffix(key, slashed)
	if !found || qidOf(d, key, path) != id {
		return "", "", "", false
	}
	return dir, name, keyPrefix, true
}

// appendJSONString appends s as a JSON string; plain ASCII (most file names)
// takes no detour through the encoder.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// queueDecoder reads the compact records of one journal file.
type queueDecoder struct {
	dests map[int64]queueDest
	dirs  map[int64]queueDir
}

var errQueueRecord = errors.New("malformed compact queue record")

// line decodes one compact record, handing each file record it stands for to keep.
func (dq *queueDecoder) line(b []byte, keep func(queueRec)) error {
	var a []json.RawMessage
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	if len(a) < 2 {
		return errQueueRecord
	}
	var op string
	if err := json.Unmarshal(a[0], &op); err != nil {
		return err
	}
	num := func(i int) (int64, error) {
		if i >= len(a) {
			return 0, errQueueRecord
		}
		return strconv.ParseInt(string(a[i]), 10, 64)
	}
	str := func(i int) (string, error) {
		var s string
		if i >= len(a) {
			return "", errQueueRecord
		}
		err := json.Unmarshal(a[i], &s)
		return s, err
	}
	switch op {
	case "t":
		n, err := num(1)
		if err != nil || len(a) != 3 {
			return errQueueRecord
		}
		var qd queueDest
		if err := json.Unmarshal(a[2], &qd); err != nil {
			return err
		}
		if dq.dests == nil {
			dq.dests = map[int64]queueDest{}
		}
		dq.dests[n] = qd
	case "d":
		n, err1 := num(1)
		t, err2 := num(2)
		dir, err3 := str(3)
		kp, err4 := str(4)
		if err := errors.Join(err1, err2, err3, err4); err != nil || len(a) != 5 {
			return errQueueRecord
		}
		if _, ok := dq.dests[t]; !ok {
			return fmt.Errorf("folder record names destination %d, which is not defined", t)
		}
		if dq.dirs == nil {
			dq.dirs = map[int64]queueDir{}
		}
		dq.dirs[n] = queueDir{int(t), dir, kp}
	case "a":
		ts, err1 := num(1)
		n, err2 := num(2)
		if err := errors.Join(err1, err2); err != nil || len(a)%2 != 1 {
			return errQueueRecord
		}
		qdir, ok := dq.dirs[n]
		if !ok {
			return fmt.Errorf("file record names folder %d, which is not defined", n)
		}
		qd := dq.dests[int64(qdir.dest)]
		d := qd.destination()
		for i := 3; i < len(a); i += 2 {
			name, err := str(i)
			if err != nil || name == "" || name == "." || name == ".." || strings.ContainsRune(name, filepath.Separator) || !utf8.ValidString(name) {
				return fmt.Errorf("file record has a bad name %q", name)
			}
			size, err := num(i + 1)
			if err != nil {
				return err
			}
			path := filepath.Join(qdir.dir, name)
			key := qdir.kpre + toSlash(name)
			keep(queueRec{TS: ts, Op: opAdd, ID: qidOf(d, key, path), Path: path, Key: key, Size: size, CPDir: qd.CPDir,
				Bucket: qd.Bucket, Endpoint: qd.Endpoint, Profile: qd.Profile, Dest: qd.Dest, Region: qd.Region, AuthV4: qd.AuthV4})
		}
	case "x":
		ts, err := num(1)
		if err != nil {
			return errQueueRecord
		}
		for i := 2; i < len(a); i++ {
			id, err := str(i)
			if err != nil || id == "" {
				return errQueueRecord
			}
			keep(queueRec{TS: ts, Op: opDel, ID: id})
		}
	default:
		return fmt.Errorf("unknown compact queue record %q", op)
	}
	return nil
}
