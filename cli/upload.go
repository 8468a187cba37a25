package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"

	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

func init() {
	Register(Command{Name: "upload", Summary: "upload files and folders (resumable; rerun to continue)", Run: runUpload})
	Register(Command{Name: "resume", Summary: "resume every unfinished upload recorded in the state directory", Run: runResume})
	Register(Command{Name: "list", Summary: "list unfinished uploads recorded in the state directory", Run: runList})
}

// exitInterrupted is the conventional exit code after SIGINT.
const exitInterrupted = 130

// uploadFlags are shared by upload and resume.
type uploadFlags struct {
	fs                                                     *flag.FlagSet
	endpoint, region, bucket, prefix, profile, stateDir    string
	partSize, limitRate, onExists, checkpointDir, threshld string
	taskNum, jobs                                          int
	noCheckpoint, v4, quiet                                bool
	anyTarget                                              bool // resume: no destination of its own is needed
}

func newUploadFlags(name string, env *Env) *uploadFlags {
	f := &uploadFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(env.Stderr)
	fs.StringVar(&f.endpoint, "endpoint", "", "OSS endpoint URL, e.g. https://oss-cn-hangzhou.aliyuncs.com")
	fs.StringVar(&f.region, "region", "", "region, e.g. cn-hangzhou (needed with --v4)")
	fs.StringVar(&f.bucket, "bucket", "", "bucket name")
	fs.StringVar(&f.prefix, "prefix", "", "key prefix (a folder in the bucket)")
	fs.StringVar(&f.profile, "profile", "", "use a saved profile for endpoint, bucket, credentials and defaults")
	fs.StringVar(&f.partSize, "part-size", humanize.IBytes(transfer.DefaultPartSize), "part size, 100KiB..5GiB (grown automatically beyond 10,000 parts)")
	fs.IntVar(&f.taskNum, "task-num", transfer.DefaultTaskNum, "parts uploaded in parallel per file")
	fs.IntVar(&f.jobs, "jobs", transfer.DefaultJobs, "files uploaded in parallel")
	fs.StringVar(&f.limitRate, "limit-rate", "0", "bandwidth cap for all uploads, e.g. 10MiB/s (0 = unlimited)")
	fs.StringVar(&f.onExists, "on-exists", "overwrite", "when the object exists: overwrite, skip, skip-identical or rename")
	fs.StringVar(&f.threshld, "multipart-threshold", "", "files below this size use one request (default: the part size)")
	fs.BoolVar(&f.noCheckpoint, "no-checkpoint", false, "do not record progress; an interrupted upload restarts from zero")
	fs.StringVar(&f.checkpointDir, "checkpoint-dir", "", "where .ucp checkpoints go (default $XDG_STATE_HOME/ossdrop/checkpoints)")
	fs.StringVar(&f.stateDir, "state-dir", "", "state directory (default $OSSDROP_STATE_DIR, else $XDG_STATE_HOME/ossdrop)")
	fs.BoolVar(&f.v4, "v4", false, "sign requests with signature V4 (needs --region)")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress bars even on a terminal")
	return f
}

// stateDirFor honours --state-dir, then OSSDROP_STATE_DIR, then XDG_STATE_HOME as seen
// through env (so tests and wrappers can redirect it), then the xdg default.
func stateDirFor(flagVal string, env *Env) string {
	if flagVal != "" {
		return flagVal
	}
	if d := env.Getenv("OSSDROP_STATE_DIR"); d != "" {
		return d
	}
	if d := env.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "ossdrop")
	}
	return transfer.DefaultStateDir()
}

func parseRate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/s"), "ps")
	if s == "" || s == "0" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil {
		return 0, fmt.Errorf("--limit-rate %q: want a size per second such as 10MiB/s", s)
	}
	return int64(n), nil
}

// config resolves flags (and the profile, when named, through the app core)
// into the destination and options of the Manager.
func (f *uploadFlags) config(ctx context.Context, core *app.Core) (transfer.Target, transfer.Options, error) {
	set := map[string]bool{}
	f.fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	var tg transfer.Target
	opts := transfer.DefaultOptions()
	envC, haveEnv, err := settings.EnvCredentials(core.Getenv)
	if err != nil {
		return tg, opts, err
	}
	// With no destination at all, a command goes where the window opens: the
	// default profile (the built-in Local bucket on a new install).
	if f.profile == "" && !f.anyTarget && !set["endpoint"] && !set["bucket"] {
		if p, ok := core.Config().Default(); ok {
			f.profile = p.Name
		}
	}
	if f.profile != "" {
		if err := core.LoadError(); err != nil {
			return tg, opts, err
		}
		p, ok := core.Config().Profile(f.profile)
		if !ok {
			return tg, opts, fmt.Errorf("--profile %q: no such profile (see 'ossdrop profile list')", f.profile)
		}
		t, o, err := core.Destination(ctx, f.profile)
		if err != nil {
			return tg, opts, fmt.Errorf("--profile %q: %w", f.profile, err)
		}
		tg, opts = t, o
		if !set["prefix"] {
			f.prefix = p.Prefix // the profile's destination folder, unless --prefix overrides it
		}
	}
	t := &tg
	if set["endpoint"] || t.Endpoint == "" {
		t.Endpoint = f.endpoint
	}
	if set["bucket"] || t.Bucket == "" {
		t.Bucket = f.bucket
	}
	if set["region"] {
		t.Region = f.region
	}
	if set["v4"] {
		t.AuthV4 = f.v4
	}
	if haveEnv && (f.profile == "" || set["endpoint"]) {
		t.Credentials = settings.NewProvider(envC, settings.SourceEnvironment)
		t.Dest, t.Profile = "", ""
	}
	// resume needs no destination of its own: every recorded upload finds its own.
	needTarget := !(f.anyTarget && f.profile == "" && t.Endpoint == "")
	if needTarget && (t.Endpoint == "" || t.Bucket == "") {
		return tg, opts, errors.New("give --endpoint and --bucket, or --profile")
	} else if needTarget && t.Credentials == nil {
		return tg, opts, errors.New("no credentials: set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (and OSS_SESSION_TOKEN for STS), or use --profile")
	}
	// Usage errors end here, before any request goes out.
	if needTarget {
		if err := transfer.ValidateEndpoint(t.Endpoint); err != nil {
			return tg, opts, fmt.Errorf("--endpoint: %w", err)
		}
		if err := transfer.ValidateBucket(t.Bucket); err != nil {
			return tg, opts, fmt.Errorf("--bucket: %w", err)
		}
	}
	o := &opts
	if set["part-size"] || o.PartSize == 0 {
		n, err := humanize.ParseBytes(f.partSize)
		if err != nil {
			return tg, opts, fmt.Errorf("--part-size %q: want a size such as 8MiB", f.partSize)
		}
		o.PartSize = int64(n)
	}
	if set["task-num"] || o.TaskNum == 0 {
		o.TaskNum = f.taskNum
	}
	if set["jobs"] || o.Jobs == 0 {
		o.Jobs = f.jobs
	}
	if set["limit-rate"] {
		r, err := parseRate(f.limitRate)
		if err != nil {
			return tg, opts, err
		}
		o.LimitRate = r
	}
	if set["on-exists"] {
		oe, err := transfer.ParseOnExists(f.onExists)
		if err != nil {
			return tg, opts, fmt.Errorf("--on-exists: %w", err)
		}
		o.OnExists = oe
	} else if o.OnExists == transfer.Ask {
		// A profile made in the window asks; a command has no one to ask.
		o.OnExists = transfer.DefaultOptions().OnExists
	}
	if set["multipart-threshold"] {
		n, err := humanize.ParseBytes(f.threshld)
		if err != nil {
			return tg, opts, fmt.Errorf("--multipart-threshold %q: want a size such as 8MiB", f.threshld)
		}
		o.MultipartThreshold = int64(n)
	}
	if f.noCheckpoint {
		o.EnableCheckpoint = false
	}
	if set["checkpoint-dir"] {
		o.CheckpointDir = f.checkpointDir
	}
	if err := o.Validate(); err != nil {
		return tg, opts, err
	}
	return tg, opts, nil
}

func runUpload(ctx context.Context, env *Env, args []string) int {
	f := newUploadFlags("upload", env)
	f.fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ossdrop upload [flags] PATH...\n\nUploads files and folders (a folder keeps its name under --prefix). Credentials come from\nOSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN or --profile. Running the same\ncommand again resumes where it stopped.\n\nFlags:")
		f.fs.PrintDefaults()
	}
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if f.fs.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "ossdrop upload: no files given")
		f.fs.Usage()
		return 2
	}
	return f.run(ctx, env, func(m *transfer.Manager) { m.Add(f.fs.Args(), f.prefix) })
}

func runResume(ctx context.Context, env *Env, args []string) int {
	f := newUploadFlags("resume", env)
	f.fs.Usage = func() {
		fmt.Fprintln(env.Stderr, "Usage: ossdrop resume [flags]\n\nResumes every unfinished upload recorded in the state directory. Each upload goes to the profile\nit was started with (found by its id, so renames do not matter), never to another one.\n\nFlags:")
		f.fs.PrintDefaults()
	}
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	dir := stateDirFor(f.stateDir, env)
	items, err := transfer.ListUnfinished(dir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop resume: %v\n", err)
		return 1
	}
	var good []transfer.Unfinished
	bad := 0
	for _, u := range items {
		if u.Err != nil && (u.Path == "" || u.Key == "") {
			// An unreadable queue line: it is moved aside (kept) when this run ends.
			fmt.Fprintf(env.Stderr, "ossdrop resume: not resumed: %v\n", u.Err)
			bad++
			continue
		}
		if u.InUse {
			// Its owner (the window or another command) finishes it; not a failure.
			fmt.Fprintf(env.Stderr, "ossdrop resume: skipped: %s → %s/%s is being uploaded by another ossdrop process\n", u.Path, u.Bucket, u.Key)
			continue
		}
		good = append(good, u)
	}
	if len(good) == 0 {
		fmt.Fprintln(env.Stdout, "nothing to resume")
		if bad > 0 {
			moveAsideUnreadable(env, dir)
			return 1
		}
		return 0
	}
	// Recorded uploads carry their own destination, found again by profile id.
	f.anyTarget = true
	code := f.run(ctx, env, func(m *transfer.Manager) { m.ResumeUnfinished(good) })
	if bad > 0 && code == 0 {
		fmt.Fprintf(env.Stderr, "ossdrop resume: %d queue record(s) could not be read (see above); they were moved aside in %s\n", bad, filepath.Join(dir, "queue"))
		code = 1
	}
	return code
}

// moveAsideUnreadable compacts the queue so unreadable lines move to a kept file,
// when resume had nothing else to run (a Manager does it on Close otherwise).
func moveAsideUnreadable(env *Env, dir string) {
	if err := transfer.CompactQueue(dir); err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop resume: %v\n", err)
	}
}

func (f *uploadFlags) run(ctx context.Context, env *Env, queue func(*transfer.Manager)) int {
	name := f.fs.Name()
	stateDir := stateDirFor(f.stateDir, env)
	logger, logCloser, err := transfer.OpenLog(stateDir)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop %s: %v\n", name, err)
		return 1
	}
	defer logCloser.Close()
	core := openCore(ctx, env, stateDir, logger.With("cmd", name))
	defer core.Close()
	tg, opts, err := f.config(ctx, core)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop %s: %v\n", name, err)
		return 2
	}
	tl := &tally{}
	m, err := core.NewManager(tg, opts, tl.tune)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop %s: %v\n", name, err)
		return 2
	}
	queue(m)

	var bars *barSet
	if !f.quiet && isTerminal(env.Stderr) {
		bars = newBarSet(ctx, env.Stderr)
	}
	done := make(chan error, 1)
	go func() { done <- m.Wait(ctx) }()
	var snaps []transfer.TaskSnapshot
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
loop:
	for {
		select {
		case err := <-done:
			if err != nil && ctx.Err() != nil {
				break loop
			}
			break loop
		case <-m.Changed():
		case <-tick.C:
		}
		if bars != nil {
			snaps = m.Snapshot(snaps)
			bars.update(snaps, m.Totals())
		}
	}
	interrupted := ctx.Err() != nil
	m.Close()
	snaps = m.Snapshot(snaps)
	if bars != nil {
		bars.finish(snaps, m.Totals(), interrupted)
	}
	if interrupted {
		fmt.Fprintf(env.Stderr, "ossdrop %s: interrupted; progress is saved, run the same command (or 'ossdrop resume') to continue\n", name)
		return exitInterrupted
	}
	for _, s := range snaps {
		if !s.State.Finished() { // left unfinished (waiting for credentials): a failure
			tl.count(s)
		}
	}
	return tl.report(env)
}

// cliWalkAhead is how many walked files a command keeps queued ahead of its
// uploads: enough to keep every job busy, few enough that a folder of any size
// costs the same memory.
const cliWalkAhead = 4096

// tally counts tasks as they finish, so the report at the end needs no copy of
// every task: the Manager forgets each finished task once it is counted here
// (the upload history keeps it on disk).
type tally struct {
	mu        sync.Mutex
	done      int
	skipped   int
	conflicts int // skipped because another file holds the key; also listed in fails
	bytes     int64
	notes     []string
	fails     []string
}

// tune makes the Manager report finished tasks to t (before the history) and
// forget them, keeps folder walks a bounded distance ahead of the uploads, and
// has them read sizes as they go.
func (t *tally) tune(c *transfer.Config) {
	next := c.OnFinished
	c.OnFinished = func(s transfer.TaskSnapshot) {
		t.count(s)
		if next != nil {
			next(s)
		}
	}
	c.ForgetFinished = true
	c.WalkAhead = cliWalkAhead
	// Nobody watches rows appear: sizes read as files are walked let the
	// scheduler pack small files from the first one.
	c.SizeWhileWalking = true
}

func (t *tally) count(s transfer.TaskSnapshot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch s.State {
	case transfer.Done:
		t.done++
		t.bytes += s.Size
		if s.Note != "" {
			t.notes = append(t.notes, fmt.Sprintf("note: %s: %s", s.Path, s.Note))
		}
	case transfer.Skipped:
		t.skipped++
		if s.KeyConflict {
			t.conflicts++
			t.fails = append(t.fails, fmt.Sprintf("not uploaded: %s -> oss://%s/%s: %s", s.Path, s.Bucket, s.Key, s.Note))
		}
	default:
		why := s.State.String()
		if s.Err != nil {
			why = s.Err.Error()
		}
		t.fails = append(t.fails, fmt.Sprintf("failed: %s -> oss://%s/%s: %s", s.Path, s.Bucket, s.Key, why))
	}
}

// report prints the notes, the failures and the summary line; 1 when anything failed.
func (t *tally) report(env *Env) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.notes {
		fmt.Fprintln(env.Stderr, l)
	}
	sort.Strings(t.fails)
	for _, l := range t.fails {
		fmt.Fprintln(env.Stderr, l)
	}
	fmt.Fprintf(env.Stdout, "%d uploaded (%s), %d skipped, %d failed\n", t.done, humanize.IBytes(uint64(t.bytes)), t.skipped, len(t.fails)-t.conflicts)
	if len(t.fails) > 0 {
		return 1
	}
	return 0
}

func runList(_ context.Context, env *Env, args []string) int {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	stateDir := fs.String("state-dir", "", "state directory (default $OSSDROP_STATE_DIR, else $XDG_STATE_HOME/ossdrop)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	items, err := transfer.ListUnfinished(stateDirFor(*stateDir, env))
	if err != nil {
		fmt.Fprintf(env.Stderr, "ossdrop list: %v\n", err)
		return 1
	}
	for _, u := range items {
		state := "queued"
		switch {
		case u.Walk:
			state = "folder not fully queued; resume walks it again"
		case u.Err != nil:
			state = "corrupt: " + u.Err.Error()
		case u.InUse:
			state = "in use by another ossdrop process"
		case u.UploadID != "":
			state = "partial"
		}
		path := u.Path
		if path == "" {
			path = "?"
		}
		fmt.Fprintf(env.Stdout, "%s\t%s/%s/%s\t%s/%s\t%s\n", path, strings.TrimRight(u.Endpoint, "/"), u.Bucket, u.Key,
			sizeCell(u.Done), sizeCell(u.Size), state)
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// barSet draws one bar for the whole batch and one per running file.
type barSet struct {
	p      *mpb.Progress
	total  *mpb.Bar
	files  map[transfer.TaskID]*mpb.Bar
	totals atomic.Pointer[transfer.Totals] // read by mpb's drawing goroutine
}

func newBarSet(ctx context.Context, w io.Writer) *barSet {
	opts := []mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(150 * time.Millisecond)}
	if f, ok := w.(*os.File); ok {
		if cols, rows, err := term.GetSize(int(f.Fd())); err != nil || cols <= 0 || rows <= 0 {
			// Some terminals report no size (a fresh pseudo-terminal, some CI runners):
			// mpb would fit the bars into zero rows and draw nothing. Hide the file from
			// it so it draws at its default 80 columns; it cannot redraw in place then,
			// so it prints a frame a second rather than flooding the log.
			opts = []mpb.ContainerOption{mpb.WithOutput(struct{ io.Writer }{w}), mpb.WithAutoRefresh(), mpb.WithRefreshRate(time.Second)}
		}
	}
	p := mpb.NewWithContext(ctx, opts...)
	b := &barSet{p: p, files: map[transfer.TaskID]*mpb.Bar{}}
	b.totals.Store(&transfer.Totals{})
	b.total = p.AddBar(0, mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
		tot := b.totals.Load()
		return fmt.Sprintf("total %d/%d files", tot.Done+tot.Skipped, tot.Files)
	})), mpb.AppendDecorators(decor.Any(func(s decor.Statistics) string {
		return fmt.Sprintf("%s/%s  %s/s  ETA %s", humanize.IBytes(uint64(s.Current)), humanize.IBytes(uint64(s.Total)),
			humanize.IBytes(uint64(b.totals.Load().Speed)), b.totals.Load().ETA.Round(time.Second))
	})))
	return b
}

func (b *barSet) update(snaps []transfer.TaskSnapshot, t transfer.Totals) {
	b.totals.Store(&t)
	b.total.SetTotal(max(t.Bytes, 1), false)
	b.total.SetCurrent(t.BytesSent)
	for _, s := range snaps {
		bar, ok := b.files[s.ID]
		if s.State.Active() && !ok {
			name := filepath.Base(s.Path)
			if len(name) > 30 {
				name = name[:27] + "..."
			}
			bar = b.p.AddBar(max(s.Size, 1), mpb.PrependDecorators(decor.Name(name, decor.WC{W: 31, C: decor.DindentRight})),
				mpb.AppendDecorators(decor.Percentage(decor.WC{W: 5})))
			b.files[s.ID] = bar
			ok = true
		}
		if !ok {
			continue
		}
		switch {
		case s.State == transfer.Done:
			bar.SetTotal(max(s.Size, 1), true)
			delete(b.files, s.ID)
		case !s.State.Active():
			bar.Abort(true)
			delete(b.files, s.ID)
		default:
			bar.SetCurrent(s.Sent)
		}
	}
}

func (b *barSet) finish(snaps []transfer.TaskSnapshot, t transfer.Totals, interrupted bool) {
	b.update(snaps, t)
	for id, bar := range b.files {
		bar.Abort(true)
		delete(b.files, id)
	}
	if interrupted || t.BytesSent < t.Bytes {
		b.total.Abort(false)
	} else {
		b.total.SetTotal(max(t.Bytes, 1), true)
	}
	b.p.Wait()
}
