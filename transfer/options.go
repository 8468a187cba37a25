package transfer

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Defaults for Options fields left zero.
const (
	// DefaultPartSize keeps part count low for multi-GB files while a lost part costs
	// little to resend.
	DefaultPartSize = 8 << 20
	// DefaultTaskNum is 4 parts of one file in parallel (OSS's own default is 1). One
	// HTTP stream to a distant region is capped by round-trip time and TCP window well
	// below most uplinks; four streams usually saturate a home or office link, and since
	// parts are streamed from the file rather than buffered, each extra stream costs
	// only a connection, so more buys little and crowds other traffic.
	DefaultTaskNum = 4
	// DefaultJobs is files in parallel: enough that small files (one request each)
	// overlap their round trips, few enough that a big file is not starved.
	DefaultJobs = 3
	// MaxTaskNum and MaxJobs bound what a user may ask for.
	MaxTaskNum = 64
	MaxJobs    = 64
)

// DefaultOptions are the options ossdrop starts from: checkpoints on, 8 MiB parts,
// 4 parts per file, 3 files at once, overwrite existing objects.
func DefaultOptions() Options {
	return Options{PartSize: DefaultPartSize, TaskNum: DefaultTaskNum, Jobs: DefaultJobs, EnableCheckpoint: true}
}

// RetryPolicy says how often and how patiently transient failures are retried.
type RetryPolicy struct {
	MaxAttempts int           // per request (part, initiate, complete…); 0: 8
	BaseDelay   time.Duration // first backoff; 0: 500ms
	MaxDelay    time.Duration // cap on one backoff; 0: 30s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 30 * time.Second
	}
	return p
}

// Limit is the accepted range of one numeric option, shared by the engine, the
// command line and the settings window so each states the same rule.
type Limit struct {
	Field    string // Options field name
	Flag     string // command-line flag
	Min, Max int64
	What     string // what the number counts, for messages
}

// Limits are the ranges of the numeric options, in one table.
var Limits = struct{ PartSize, TaskNum, Jobs Limit }{
	PartSize: Limit{Field: "PartSize", Flag: "part-size", Min: MinPartSize, Max: MaxPartSize, What: "bytes per part (OSS accepts 100 KiB to 5 GiB)"},
	TaskNum:  Limit{Field: "TaskNum", Flag: "task-num", Min: 1, Max: MaxTaskNum, What: "parts in parallel per file"},
	Jobs:     Limit{Field: "Jobs", Flag: "jobs", Min: 1, Max: MaxJobs, What: "files in parallel"},
}

// Check returns an *OptionError when v is outside the limit.
func (l Limit) Check(v int64) error {
	if v < l.Min || v > l.Max {
		return &OptionError{Field: l.Field, Flag: l.Flag, Msg: fmt.Sprintf("%d is out of range: use %d to %d %s", v, l.Min, l.Max, l.What)}
	}
	return nil
}

// OptionError names the option that is wrong and why; front ends branch on Field
// (or Flag) to point at the right input.
type OptionError struct {
	Field string // Options field, e.g. "PartSize"
	Flag  string // command-line flag, e.g. "part-size"; "" when the option has none
	Msg   string
}

func (e *OptionError) Error() string {
	name := e.Field
	if e.Flag != "" {
		name = "--" + e.Flag
	}
	return name + ": " + e.Msg
}

// Validate checks o as given, without filling defaults: a part size, task number
// or job count of 0 is an error here (NewManager takes 0 to mean the default).
func (o Options) Validate() error {
	if err := Limits.PartSize.Check(o.PartSize); err != nil {
		return err
	}
	if err := Limits.TaskNum.Check(int64(o.TaskNum)); err != nil {
		return err
	}
	if err := Limits.Jobs.Check(int64(o.Jobs)); err != nil {
		return err
	}
	_, err := o.normalize()
	return err
}

var validACL = map[string]bool{"": true, "private": true, "public-read": true, "public-read-write": true, "default": true}
var validClass = map[string]bool{"": true, "Standard": true, "IA": true, "Archive": true, "ColdArchive": true, "DeepColdArchive": true}

// normalize fills defaults and checks every field, returning an error that names the
// field and the accepted range.
func (o Options) normalize() (Options, error) {
	if o.PartSize == 0 {
		o.PartSize = DefaultPartSize
	}
	if o.TaskNum == 0 {
		o.TaskNum = DefaultTaskNum
	}
	if o.Jobs == 0 {
		o.Jobs = DefaultJobs
	}
	for _, c := range []struct {
		l Limit
		v int64
	}{{Limits.PartSize, o.PartSize}, {Limits.TaskNum, int64(o.TaskNum)}, {Limits.Jobs, int64(o.Jobs)}} {
		if err := c.l.Check(c.v); err != nil {
			return o, err
		}
	}
	if o.MaxPartsInFlight < 0 {
		return o, fmt.Errorf("max parts in flight %d is negative", o.MaxPartsInFlight)
	}
	if o.MultipartThreshold < 0 {
		return o, fmt.Errorf("multipart threshold %d is negative", o.MultipartThreshold)
	}
	if o.LimitRate < 0 {
		return o, fmt.Errorf("limit rate %d bytes/s is negative (0 means unlimited)", o.LimitRate)
	}
	if o.OnExists < Overwrite || o.OnExists > Ask {
		return o, fmt.Errorf("on-exists policy %d is unknown", int(o.OnExists))
	}
	if !validACL[o.Meta.ACL] {
		return o, fmt.Errorf("ACL %q: want private, public-read, public-read-write or default", o.Meta.ACL)
	}
	if !validClass[o.Meta.StorageClass] {
		return o, fmt.Errorf("storage class %q: want Standard, IA, Archive, ColdArchive or DeepColdArchive", o.Meta.StorageClass)
	}
	for k := range o.Meta.UserMeta {
		if k == "" || strings.ContainsAny(k, " \t\r\n:()<>@,;\\\"/[]?={}") || !isASCII(k) {
			return o, fmt.Errorf("user metadata name %q: use letters, digits and '-' only (sent as x-oss-meta-%s)", k, k)
		}
	}
	if c := o.Callback; c != nil {
		if strings.TrimSpace(c.URL) == "" {
			return o, fmt.Errorf("callback: URL is empty")
		}
		if n := len(strings.Split(c.URL, ";")); n > 5 {
			return o, fmt.Errorf("callback: %d URLs given, OSS accepts at most 5", n)
		}
		switch c.BodyType {
		case "", "application/x-www-form-urlencoded", "application/json":
		default:
			return o, fmt.Errorf("callback: body type %q: want application/x-www-form-urlencoded or application/json", c.BodyType)
		}
		for k := range c.Vars {
			if !strings.HasPrefix(k, "x:") {
				return o, fmt.Errorf("callback variable %q: names must start with \"x:\"", k)
			}
		}
	}
	return o, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// PartSizeFor returns the part size to use for a file of size bytes: partSize, grown
// (in whole MiB) when the file would otherwise need more than MaxParts parts.
func PartSizeFor(size, partSize int64) (int64, error) {
	if partSize < MinPartSize || partSize > MaxPartSize {
		return 0, fmt.Errorf("part size %d bytes is out of range (%d..%d)", partSize, MinPartSize, int64(MaxPartSize))
	}
	if (size+partSize-1)/partSize <= MaxParts {
		return partSize, nil
	}
	const mib = 1 << 20
	ps := (size + MaxParts - 1) / MaxParts
	ps = (ps + mib - 1) / mib * mib
	if ps > MaxPartSize {
		return 0, fmt.Errorf("file of %d bytes is too large for one OSS object (at most %d parts of 5 GiB)", size, MaxParts)
	}
	return ps, nil
}

// partCount is how many parts a file of size bytes has; an empty file has none.
func partCount(size, partSize int64) int {
	return int((size + partSize - 1) / partSize)
}

// contentTypeFor picks a Content-Type by extension, else by sniffing the first bytes,
// because browsers serving the object rely on it.
func contentTypeFor(name string, head []byte) string {
	if ct := typeByExt(name); ct != "" {
		return ct
	}
	return http.DetectContentType(head)
}
