// Package ui is ossdrop's window: drop files and folders anywhere, watch one
// row per file, and control uploads. It reads snapshots from a Backend (a
// *transfer.Manager) on one ticker and changes widgets only through fyne.Do.
package ui

import (
	"context"
	"image/color"
	"log/slog"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/app"
	"github.com/ossdrop/ossdrop/history"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// DefaultInterval is how often the window reads the Backend: fast enough to
// look live, slow enough that 20,000 rows never flood the UI goroutine.
const DefaultInterval = 150 * time.Millisecond

// Config is what a Window is built from.
type Config struct {
	Backend Backend
	// Target is the destination new drops go to; Prefix is prepended to keys.
	Target transfer.Target
	Prefix string
	// Interval between UI refreshes; 0 means DefaultInterval.
	Interval time.Duration
	Logger   *slog.Logger
	// CloseToTray hides the window on close instead of quitting, when the
	// desktop has a system tray.
	CloseToTray bool
	// Tray says a system tray really exists (app.TrayAvailable): only then
	// is the tray icon set up and the window ever hidden.
	Tray bool
	// Icon is shown in the tray; nil keeps the app's icon.
	Icon fyne.Resource
	// Core enables the profile picker and the settings dialog. Without it
	// the destination is fixed to Target.
	Core *app.Core
	// Version is shown in About; empty means the app metadata's version.
	Version string
	// StateDir enables the History window over the uploads recorded there;
	// History, when set, records the links it issues.
	StateDir string
	History  *history.Recorder
}

// Window is the main window and everything it owns.
type Window struct {
	app    fyne.App
	win    fyne.Window
	be     Backend
	log    *slog.Logger
	period time.Duration

	target transfer.Target
	prefix string

	list     *taskList
	dropText *widget.Label
	dropZone *fyne.Container
	body     *fyne.Container

	profile *widget.Select
	bucket  *widget.Entry
	prefixE *widget.Entry

	summary  *widget.Label
	overall  *thinBar
	pauseAll *tipButton
	resumeA  *tipButton
	retryF   *tipButton
	clearF   *tipButton

	tips  *tipLayer
	warm  *warmUp // unseen sample rows for the first frame (warmup.go); nil once painted
	prog  *progressTracker
	view  *rowView
	vbar  viewBar
	model rowModel // every task, compact; the list shows a view of it
	// listGen is the model's textGen when the list's view was built: row
	// indices have not moved since while they are equal.
	listGen uint64
	listAt  time.Time // when the list last followed the model
	readAt  time.Time // when the read being applied began
	batchT  batchTotals
	// batchShown says batchT is on screen; while a large drop is read in
	// pieces the sums are painted with the list, not between its refreshes.
	batchShown bool
	now        func() time.Time // tests pin the clock

	totals       transfer.Totals
	batch        batchState
	tray         tray
	closeToTray  bool
	toldTray     bool
	quitDialog   dialog.Dialog
	resumeDialog dialog.Dialog
	onQuit       func() // tests replace app.Quit
	version      string // shown in About
	lastCopied   string // for tests: the clipboard of the test driver is per window
	flashMsg     string // shown in the summary line for a moment
	folderDialog dialog.Dialog
	exists       existsAsker

	core          *app.Core
	cfg           settings.Config // the settings as last loaded or saved
	settings      *settingsDialog // the open settings dialog, if any
	notifications bool
	cred          credState
	hist          HistorySource // nil: no History window
	histWin       fyne.Window

	mu   sync.Mutex // guards stop and stopListing
	stop context.CancelFunc
	// stopListing ends the listings of unfinished uploads still running.
	stopListing []context.CancelFunc
	// cur and chg follow the Backend; the refresh loop owns them and lends
	// them to the UI goroutine while it waits for an apply.
	cur transfer.Cursor
	chg transfer.Changes
	// doFn replaces fyne.Do in tests: the test driver runs fyne.Do inline on
	// the calling goroutine, so tests queue the work and run it on their own
	// goroutine, as the real main loop would.
	doFn func(func())
	// uiThread is the OS thread of the real main loop (0: not known, as in
	// tests). Once the driver has stopped, fyne.Do runs a function at once on
	// the calling goroutine, after GLFW was terminated; do drops such calls
	// instead, because widgets touched from there call into GLFW and X11 from
	// a foreign thread and can hang the quitting process.
	uiThread int

	// applies counts the UI callbacks that merged rows, applyMax is the
	// longest, for the stall probe.
	applies  int
	applyMax time.Duration

	pending sync.WaitGroup // the refresh loop
	bg      sync.WaitGroup // other background work (tests wait on it)
}

// batchState notices when a run of uploads ends, for the notification.
type batchState struct {
	running              bool
	done0, failed0       int // counts when the batch began
	lastDone, lastFailed int // counts at the previous tick
}

// New builds the window on a; call Show, then Start to begin refreshing.
func New(a fyne.App, cfg Config) *Window {
	w := &Window{
		app:    a,
		be:     cfg.Backend,
		log:    cfg.Logger,
		period: cfg.Interval,
		target: cfg.Target,
		prefix: normalizePrefix(cfg.Prefix),

		closeToTray: cfg.CloseToTray,
		core:        cfg.Core,

		notifications: true,
		version:       cfg.Version,
	}
	if w.core != nil {
		w.cfg = w.core.Config()
		w.notifications = w.cfg.App.Notifications
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.period <= 0 {
		w.period = DefaultInterval
	}
	w.now = time.Now
	w.prog = newProgressTracker(func() time.Time { return w.now() })
	w.view = newRowView()
	w.tips = newTipLayer()
	a.Settings().SetTheme(NewTheme(a.Settings().Theme()))
	w.hist = newWindowHistory(w, cfg)
	w.win = a.NewWindow("ossdrop")
	w.win.SetContent(w.build())
	w.win.Resize(fyne.NewSize(1000, 640))
	// Only the drop itself can be seen: no drop-hover highlight. Fyne 2.8.1
	// offers SetOnDropped alone, fed by GLFW 3.4's drop callback, and GLFW
	// reports no drag enter or leave on any platform: on X11 it ignores
	// XdndLeave and turns XdndPosition into plain pointer motion, on Wayland
	// its motion handler is empty, on Windows it only takes WM_DROPFILES, on
	// macOS draggingEntered calls nothing. Showing one needs a changed GLFW.
	w.win.SetOnDropped(w.Dropped)
	w.win.SetCloseIntercept(w.CloseRequested)
	w.addShortcuts()
	w.addViewShortcuts()
	w.setupTray(cfg.Icon, cfg.Tray)
	w.updateDropText()
	w.updateCredBanner()
	w.applyTotals(transfer.Totals{})
	w.applyBatch(batchTotals{})
	if as, ok := w.be.(askSetter); ok {
		as.SetOnExistsAsk(w.askExists)
	}
	return w
}

// Window is the underlying Fyne window.
func (w *Window) Window() fyne.Window { return w.win }

func (w *Window) build() fyne.CanvasObject {
	// Icon buttons with tooltips keep the window usable at 640 px; the drop
	// zone of an empty window shows the same actions with words.
	addFiles := newTipButton("", theme.FileIcon(), lang.L("Add files… (Ctrl+O)"), w.tips, w.AddFilesDialog)
	addFolder := newTipButton("", theme.FolderOpenIcon(), lang.L("Add folder… (Ctrl+Shift+O)"), w.tips, w.AddFolderDialog)

	w.profile = widget.NewSelect(nil, nil)
	w.profile.PlaceHolder = lang.L("(no profile)")
	if w.core != nil {
		// A target from --endpoint/--bucket belongs to no profile.
		w.profile.PlaceHolder = lang.L("(command line)")
		w.profile.Options = profileNames(w.cfg)
		w.profile.Selected = w.target.Profile
		w.profile.OnChanged = w.profileChosen
	} else {
		if w.target.Profile != "" {
			w.profile.Options = []string{w.target.Profile}
			w.profile.Selected = w.target.Profile
		}
		w.profile.Disable()
	}
	w.bucket = widget.NewEntry()
	w.bucket.SetPlaceHolder(lang.L("bucket"))
	w.bucket.SetText(w.target.Bucket)
	w.bucket.OnChanged = w.bucketChanged
	w.prefixE = widget.NewEntry()
	w.prefixE.SetPlaceHolder(lang.L("prefix/ (optional)"))
	w.prefixE.SetText(w.prefix)
	w.prefixE.OnChanged = w.prefixChanged

	dest := container.New(&destLayout{},
		widget.NewLabel(lang.L("Profile")), w.profile,
		widget.NewLabel(lang.L("Bucket")), w.bucket,
		widget.NewLabel(lang.L("Prefix")), w.prefixE)
	settingsB := newTipButton("", theme.SettingsIcon(), lang.L("Settings"), w.tips, w.ShowSettings)
	settingsB.Importance = widget.LowImportance
	if w.core == nil {
		settingsB.Disable()
	}
	top := container.NewVBox(
		container.NewBorder(nil, nil, nil, container.NewHBox(addFiles, addFolder, w.historyButton(), settingsB, w.buildHelpButton()), dest),
		w.buildCredBanner())

	w.list = newTaskList(w, &w.model, w.be.Task)
	w.list.onDelete = w.DeleteSelected
	w.list.onEnter = w.showSelectedDetails
	w.list.stats = w.prog.stats

	w.dropText = widget.NewLabel("")
	w.dropText.Alignment = fyne.TextAlignCenter
	w.dropText.TextStyle.Bold = true
	icon := widget.NewIcon(theme.UploadIcon())
	// A dashed-looking frame says "drop here" without words; the whole window
	// accepts drops anyway.
	frame := canvas.NewRectangle(color.Transparent)
	frame.StrokeColor = theme.Color(theme.ColorNamePlaceHolder)
	frame.StrokeWidth = 2
	frame.CornerRadius = 12
	w.dropZone = container.NewPadded(container.NewStack(frame, container.NewCenter(container.NewVBox(
		container.NewCenter(container.New(layout.NewGridWrapLayout(fyne.NewSquareSize(96)), icon)),
		w.dropText,
		container.NewCenter(container.NewHBox(
			widget.NewButtonWithIcon(lang.L("Add files…"), theme.FileIcon(), w.AddFilesDialog),
			widget.NewButtonWithIcon(lang.L("Add folder…"), theme.FolderOpenIcon(), w.AddFolderDialog))),
	))))
	w.body = container.NewStack(w.list, w.dropZone)

	bottom := w.buildBottom()
	main := container.NewBorder(container.NewVBox(top, widget.NewSeparator(), w.buildViewBar()), bottom, nil, nil, w.body)
	return container.NewStack(main, w.tips.box)
}

// destLayout lays out label/field pairs on one line: the profile picker gets a
// fixed width, bucket and prefix share the rest.
type destLayout struct{}

func (destLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	pad := theme.Padding()
	var labels float32
	for i := 0; i < len(objs); i += 2 {
		labels += objs[i].MinSize().Width + pad
	}
	profileW := max(min(objs[1].MinSize().Width, 180), min(180, s.Width/5))
	rest := max(s.Width-labels-profileW-3*pad, 0)
	widths := []float32{profileW, rest * 0.4, rest * 0.6}
	x := float32(0)
	for i := 0; i < len(objs); i += 2 {
		l, f := objs[i], objs[i+1]
		lm := l.MinSize()
		l.Resize(lm)
		l.Move(fyne.NewPos(x, (s.Height-lm.Height)/2))
		x += lm.Width + pad
		fm := f.MinSize()
		f.Resize(fyne.NewSize(widths[i/2], fm.Height))
		f.Move(fyne.NewPos(x, (s.Height-fm.Height)/2))
		x += widths[i/2] + pad
	}
}

func (destLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w, h float32
	for i, o := range objs {
		m := o.MinSize()
		if i%2 == 1 {
			m.Width = 80 // fields shrink; the profile picker truncates
		}
		w += m.Width + theme.Padding()
		h = max(h, m.Height)
	}
	return fyne.NewSize(w, h)
}

func (w *Window) addShortcuts() {
	c := w.win.Canvas()
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyQ, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.QuitRequested() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault},
		func(fyne.Shortcut) { w.AddFilesDialog() })
	c.AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift},
		func(fyne.Shortcut) { w.AddFolderDialog() })
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyDelete {
			w.DeleteSelected()
		}
	})
}

// Dropped is the window's drop handler: every local file or folder dropped
// anywhere on the window is queued under the current prefix. It runs on the UI
// goroutine, so it only hands paths to the Backend, which walks folders on its
// own goroutine.
func (w *Window) Dropped(_ fyne.Position, uris []fyne.URI) {
	paths := make([]string, 0, len(uris))
	var rejected []string
	for _, u := range uris {
		if u == nil {
			continue
		}
		if u.Scheme() != "file" {
			rejected = append(rejected, u.String())
			continue
		}
		paths = append(paths, u.Path())
	}
	w.AddPaths(paths)
	if len(rejected) > 0 {
		w.showError(problem(lang.L("Cannot upload {{.Names}}: only local files and folders can be dropped",
			map[string]any{"Names": strings.Join(rejected, ", ")}), nil))
	}
}

// AddPaths queues local files and folders under the current prefix.
func (w *Window) AddPaths(paths []string) {
	if len(paths) == 0 {
		return
	}
	if w.target.Bucket == "" {
		w.showError(problem(lang.L("Choose a bucket before adding files"), nil))
		return
	}
	w.log.Info("queue dropped paths", "count", len(paths), "bucket", w.target.Bucket, "prefix", w.prefix)
	w.be.Add(paths, w.prefix)
}

// AddFilesDialog asks for a file to upload (Ctrl+O).
func (w *Window) AddFilesDialog() {
	d := dialog.NewFileOpen(func(r fyne.URIReadCloser, err error) {
		if err != nil {
			w.showError(problem(lang.L("Cannot choose a file"), err))
			return
		}
		if r == nil {
			return
		}
		u := r.URI()
		_ = r.Close()
		w.Dropped(fyne.Position{}, []fyne.URI{u})
	}, w.win)
	d.Show() // a file dialog can only be resized once shown
	d.Resize(fyne.NewSize(800, 560))
}

// AddFolderDialog asks for a folder to upload (Ctrl+Shift+O).
func (w *Window) AddFolderDialog() {
	d := dialog.NewFolderOpen(func(u fyne.ListableURI, err error) {
		if err != nil {
			w.showError(problem(lang.L("Cannot choose a folder"), err))
			return
		}
		if u == nil {
			return
		}
		if u.Scheme() != "file" {
			w.Dropped(fyne.Position{}, []fyne.URI{u})
			return
		}
		w.confirmFolder(u.Path())
	}, w.win)
	d.Show() // a file dialog can only be resized once shown
	d.Resize(fyne.NewSize(800, 560))
}

func (w *Window) bucketChanged(s string) {
	s = strings.TrimSpace(s)
	if s == w.target.Bucket {
		return
	}
	w.target.Bucket = s
	w.be.SetTarget(w.target)
	w.updateDropText()
}

func (w *Window) prefixChanged(s string) {
	w.prefix = normalizePrefix(s)
	w.updateDropText()
}

// normalizePrefix turns what people type ("photos", "/photos/") into a key
// prefix ("photos/"), so a drop never lands as "photosIMG_1.jpg".
func normalizePrefix(s string) string {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\\", "/"))
	s = strings.TrimLeft(s, "/")
	if s != "" && !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s
}

func (w *Window) updateDropText() {
	where := w.target.Bucket
	if where == "" {
		where = lang.L("(no bucket chosen)")
	}
	w.dropText.SetText(lang.L("Drop files or folders here — they upload to {{.Where}}", map[string]any{"Where": where + "/" + w.prefix}))
}

// Start begins the refresh ticker. It stops when ctx ends or the window closes.
func (w *Window) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	w.mu.Lock()
	w.stop = cancel
	w.mu.Unlock()
	w.pending.Add(1)
	go func() {
		defer w.pending.Done()
		w.refreshLoop(ctx)
	}()
}

// Stop ends the refresh ticker and waits for it, and drops a resume offer
// still being listed (without waiting: a listing may not notice for seconds).
func (w *Window) Stop() {
	w.mu.Lock()
	stop, listing := w.stop, w.stopListing
	w.stopListing = nil
	w.mu.Unlock()
	for _, cancel := range listing {
		cancel()
	}
	if stop != nil {
		stop()
	}
	w.pending.Wait()
}

// changesPerApply bounds the snapshots read from the Backend at once, so a
// drop of 500,000 files is read in pieces, one after another without
// waiting for the ticker. A read costs about what it reports (the Manager
// logs which tasks changed), a few milliseconds under its lock per piece.
const changesPerApply = 10_000

// rowsPerSlice bounds the rows one UI callback merges: a piece read is
// applied in slices, each its own fyne.Do, so input and frames run between
// them and no callback holds the UI goroutine for long. One row costs about
// a microsecond; 2,000 keep a slice near 2 ms, and the chained callbacks run
// back to back (the main loop drains fyne.Do as it comes), so listing is
// not slowed by frames.
const rowsPerSlice = 2_000

// listEvery is how often the list and the tabs follow the rows while a
// large drop is still arriving: each refresh of the list re-lays out and
// repaints it, which costs more than merging a slice, and the eye sees the
// count climb as well at ten steps a second.
const listEvery = 100 * time.Millisecond

// readShare bounds the share of time the refresh loop spends reading the
// Backend: after a read that took d, the next waits at least readShare×d,
// but never more than maxReadGap.
const (
	readShare  = 20
	maxReadGap = 2 * time.Second
)

// refreshLoop reads the Backend at most once per period, and only after it
// signalled a change, and then only once the last read's readShare has
// passed. It reads only what changed since the last read. The
// next read is taken only when the UI goroutine has applied the previous one,
// so a busy UI slows the refresh instead of queueing work behind it.
func (w *Window) refreshLoop(ctx context.Context) {
	tick := time.NewTicker(w.period)
	defer tick.Stop()
	changed := w.be.Changed()
	dirty, more := true, false
	var totals transfer.Totals
	haveTotals := false
	back := make(chan struct{}, 1)
	// The expiry warning counts down while nothing else changes.
	expiryEvery := max(int(expiryCheck/w.period), 1)
	ticks := 0
	var notBefore time.Time
	for {
		if !more {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				dirty = true
				continue
			case <-tick.C:
			}
			if ticks++; ticks%expiryEvery == 0 {
				w.do(w.updateCredBanner)
			}
			if !dirty || time.Now().Before(notBefore) {
				continue
			}
		}
		dirty = false
		t0 := time.Now()
		w.be.Changes(&w.cur, &w.chg, changesPerApply)
		more = w.chg.More
		if !more || !haveTotals {
			// While a large drop is listed piece by piece, the sums (one
			// more pass over every task) wait for the last piece; the
			// summary counts the rows from the model meanwhile.
			totals, haveTotals = w.be.Totals(), true
		}
		// A read costs about what changed, but with thousands of uploads
		// finishing each second that is still a lot to read every tick,
		// and a Backend that cannot tell what changed passes over every
		// task. Reads take at most 1/readShare of the time; pieces of a
		// large drop still follow one another at once.
		notBefore = t0.Add(min(readShare*time.Since(t0), maxReadGap))
		totals := totals
		w.do(func() { w.applySlices(&w.chg, totals, 0, back) })
		select {
		case <-back:
		case <-ctx.Done():
			return
		}
	}
}

// applySlices applies c from task from on, one slice now and the rest in
// further UI callbacks; done hears when the last slice ran.
func (w *Window) applySlices(c *transfer.Changes, totals transfer.Totals, from int, done chan<- struct{}) {
	start := time.Now()
	defer func() { w.applies, w.applyMax = w.applies+1, max(w.applyMax, time.Since(start)) }()
	if to := w.applySlice(c, totals, from); to >= 0 {
		w.do(func() { w.applySlices(c, totals, to, done) })
		return
	}
	done <- struct{}{}
}

// sync reads the Backend and applies it at once, on the caller's goroutine;
// tests use it instead of the ticker.
func (w *Window) sync() {
	for {
		w.be.Changes(&w.cur, &w.chg, changesPerApply)
		w.apply(&w.chg, w.be.Totals())
		if !w.chg.More {
			return
		}
	}
}

// apply shows what changed, all at once; it runs on the UI goroutine.
func (w *Window) apply(c *transfer.Changes, totals transfer.Totals) {
	for from := 0; from >= 0; {
		from = w.applySlice(c, totals, from)
	}
}

// applySlice merges the next slice of c.Tasks, from task from on, into the
// model and returns where the next slice starts, -1 after the last one
// (which may release c's snapshots). The first slice also takes the
// removals, the last one finishes the Changes (batch, tabs, view, totals).
// While more is to come (later slices, or a read cut at its limit) the list,
// the tabs and the batch's summary and bar follow at most every listEvery,
// together (each change on screen costs a frame of the whole window), and
// inside a read only once it ran that long, so the count climbs while a
// large drop is listed without the list being re-laid out and repainted for
// every slice (a read of a few slices repaints once, at its end); a sorted
// or filtered view is rebuilt at most once per read. Row indices that moved (rows
// removed or added before others) are followed at once.
func (w *Window) applySlice(c *transfer.Changes, totals transfer.Totals, from int) (next int) {
	to := min(from+rowsPerSlice, len(c.Tasks))
	now := w.now()
	if from == 0 {
		w.model.begin(c)
		w.readAt = now
	}
	w.model.putAll(c.Tasks[from:to])
	last := to == len(c.Tasks)
	if last {
		rows := w.model.end()
		w.noteBatch(w.prog.update(&w.model, c.Tasks, rows))
	}
	due := true
	switch {
	case w.model.textGen != w.listGen: // row indices moved: the view follows now
	case last && !c.More: // caught up
	case last: // a read cut at its limit; the next one follows at once
		due = now.Sub(w.listAt) >= listEvery
	default: // inside a read: only a long one shows its progress
		due = w.view.spec.identity() && now.Sub(later(w.listAt, w.readAt)) >= listEvery
	}
	if !due {
		if last {
			w.applyTotals(totals)
			return -1
		}
		return to
	}
	w.listAt = now
	if !w.batchShown {
		// Painted in the same frame as the list: every change on screen
		// costs a frame of the whole window.
		w.paintBatch()
	}
	view, counts := w.view.build(&w.model)
	if counts != w.vbar.counts {
		w.vbar.counts = counts
		w.paintTabs()
	}
	w.list.apply(view, c.Tasks[:to])
	w.listGen = w.model.textGen
	empty := w.model.len() == 0
	if empty != w.dropZone.Visible() || empty == w.list.Visible() {
		if empty {
			w.list.Hide()
			w.dropZone.Show()
		} else {
			w.dropZone.Hide()
			w.list.Show()
		}
	}
	if last {
		w.applyTotals(totals)
		w.noticeCredentials(w.model.cred, w.model.credMissing())
		if !c.More {
			releaseSnapshots(c)
		}
		return -1
	}
	return to
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// releaseSnapshots lets go of what a read held once the window caught up:
// the snapshots' strings, and the whole buffer once a quiet read follows a
// large drop (10,000 snapshots are ~3 MB; a quiet tick reads a handful).
// While a drop is still being walked every read brings new tasks, and the
// buffer is kept rather than grown again from nothing.
func releaseSnapshots(c *transfer.Changes) {
	if cap(c.Tasks) > 1024 && len(c.Tasks) <= 64 {
		c.Tasks = nil
		return
	}
	clear(c.Tasks)
}

func (w *Window) applyTotals(t transfer.Totals) {
	w.totals = t
	w.applyButtons(t)
	w.noticeBatch(t)
	w.updateTray(t)
}

func enable(b *widget.Button, on bool) {
	if on == b.Disabled() {
		if on {
			b.Enable()
		} else {
			b.Disable()
		}
	}
}

// PauseAll pauses every queued and running upload.
func (w *Window) PauseAll() { w.be.PauseAll() }

// ResumeAll resumes every paused upload.
func (w *Window) ResumeAll() { w.be.ResumeAll() }

// RetryFailed requeues every failed upload.
func (w *Window) RetryFailed() { w.be.RetryFailed() }

// ClearFinished drops finished rows from the list.
func (w *Window) ClearFinished() { w.be.ClearFinished() }

// DeleteSelected removes the selected rows (Shift+click and Ctrl+click
// select several) whose tasks are finished or paused: the Delete key.
// Running uploads are left alone.
func (w *Window) DeleteSelected() {
	for _, id := range w.list.markedIDs() {
		if i := w.model.find(id); i >= 0 {
			if s := w.model.at(i).st(); s.Finished() || s == transfer.Paused {
				w.removeTask(id)
			}
		}
	}
}

func (w *Window) pauseTask(id transfer.TaskID)  { w.act("pause", id, w.be.Pause) }
func (w *Window) resumeTask(id transfer.TaskID) { w.act("resume", id, w.be.Resume) }
func (w *Window) cancelTask(id transfer.TaskID) { w.confirmCancel(id) }
func (w *Window) retryTask(id transfer.TaskID)  { w.act("retry", id, w.be.Retry) }
func (w *Window) removeTask(id transfer.TaskID) { w.act("remove", id, w.be.Remove) }

func (w *Window) act(what string, id transfer.TaskID, f func(transfer.TaskID) error) {
	if err := f(id); err != nil {
		w.showError(problem(actionFailed(what), err))
	}
}

func (w *Window) showError(err error) {
	w.log.Warn("window error", "err", err)
	problemDialog(err, w.win).Show()
}

// noticeBatch sends a desktop notification when a run of uploads ends. A
// batch that starts and ends between two ticks is noticed by the counts.
func (w *Window) noticeBatch(t transfer.Totals) {
	running := t.Active+t.Queued > 0
	b := &w.batch
	if !b.running && (running || t.Done > b.lastDone || t.Failed > b.lastFailed) {
		b.running = true
		b.done0, b.failed0 = b.lastDone, b.lastFailed
	}
	b.lastDone, b.lastFailed = t.Done, t.Failed
	if running || !b.running {
		return
	}
	b.running = false
	done, failed := max(t.Done-b.done0, 0), max(t.Failed-b.failed0, 0)
	if done == 0 && failed == 0 {
		return
	}
	n := &fyne.Notification{Title: lang.L("Uploads finished")}
	n.Content = lang.N("{{.Count}} files uploaded to {{.Bucket}}", done, map[string]any{"Count": count(done), "Bucket": w.target.Bucket})
	if failed > 0 {
		n.Title = lang.L("Uploads failed")
		n.Content = lang.L("{{.Failed}} failed, {{.Done}} uploaded", map[string]any{
			"Failed": lang.N("{{.Count}} files", failed, map[string]any{"Count": count(failed)}),
			"Done":   lang.N("{{.Count}} files", done, map[string]any{"Count": count(done)})})
	}
	if w.notifications {
		w.notify(n)
	}
}

// do runs f on the UI goroutine.
func (w *Window) do(f func()) {
	if w.doFn != nil {
		w.doFn(f)
		return
	}
	if w.uiThread == 0 {
		fyne.Do(f)
		return
	}
	fyne.Do(func() {
		if threadID() != w.uiThread {
			return // the main loop has ended: nothing is shown any more
		}
		f()
	})
}

// ShowProblem shows an error in the window, e.g. a settings file that could
// not be read at launch.
func (w *Window) ShowProblem(err error) { w.showError(err) }
