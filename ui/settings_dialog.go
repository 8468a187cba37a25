package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/dustin/go-humanize"
	"github.com/ossdrop/ossdrop/settings"
	"github.com/ossdrop/ossdrop/transfer"
)

// newProfileChoice is the profile picker's entry that starts a new profile.
func newProfileChoice() string { return lang.L("New profile…") }

// settingsDialog edits the settings file: one profile at a time (with its
// credentials, transfer options, metadata and callback) and the app-wide
// behaviour. Saving writes the file and the keyring, and applies the options
// of the profile in use to the running Manager at once.
type settingsDialog struct {
	w   *Window
	cfg settings.Config // working copy
	d   *dialog.CustomDialog

	// savedProfile and savedApp are the form's values as last loaded or
	// saved, so closing can tell whether anything would be lost.
	savedProfile, savedApp string
	asking                 bool              // the unsaved-changes question is showing
	keepEditing            func()            // answers it with "keep editing"
	shown                  string            // the picker's choice the form shows
	overlay, askOverlay    fyne.CanvasObject // the dialogs' places among the window's overlays
	profileForm            *widget.Form

	which *escSelect // profile being edited
	orig  string     // its name when loaded ("" for a new one)
	local bool

	name, endpoint, region, bucket, prefix *escEntry
	sigV4, allowHTTP                       *escCheck
	keyID, expiry                          *escEntry
	secret, token                          *escEntry
	expiryLoaded                           string // the expiry as loaded, to notice an edit
	secretNote                             *widget.Label
	secretsInFile                          *escCheck
	secretsState, secretsWarn, secretsWhy  *widget.Label
	partSize, taskNum, jobs, limit, thresh *escEntry
	checkpoint                             *escCheck
	cpDir                                  *escEntry
	onExists, acl, storageClass            *escSelect
	cbURL, cbHost, cbBody                  *escEntry
	cbType                                 *escSelect
	resume                                 *widget.RadioGroup
	notify, toTray                         *escCheck
	language                               *escSelect
	proxy                                  *escEntry
	testResult, saveResult, orphanResult   *widget.Label
	unsaved                                *widget.Label     // shown while edits are pending
	testDetails                            *widget.Label     // the last test's technical details
	testMore                               *widget.Accordion // shows testDetails on request
	testButton, orphanScan, orphanAbort    *widget.Button
	orphans                                []transfer.Orphan
	tabs                                   *container.AppTabs
	importing                              *importDialog // the open ossutil import, if any
}

// ShowSettings opens the settings dialog.
func (w *Window) ShowSettings() {
	if w.core == nil {
		w.showError(problem(lang.L("Settings are not available: this window was opened with a fixed --endpoint/--bucket target"), nil))
		return
	}
	s := &settingsDialog{w: w, cfg: w.cfg}
	s.d = dialog.NewCustomWithoutButtons(lang.L("Settings"), s.build(), w.win)
	s.d.SetButtons([]fyne.CanvasObject{widget.NewButton(lang.L("Close"), s.requestClose)})
	s.savedApp = s.appState()
	s.showUnsaved()
	ws := w.win.Canvas().Size()
	s.d.Resize(fyne.NewSize(min(800, max(ws.Width-40, 600)), max(ws.Height-30, 520)))
	s.d.Show()
	s.overlay = w.win.Canvas().Overlays().Top()
	// Esc closes the dialog (asking first about unsaved edits) when no field
	// has the keyboard; fields pass it on through escEntry.
	c := w.win.Canvas()
	prev := c.OnTypedKey()
	c.SetOnTypedKey(func(ev *fyne.KeyEvent) {
		if ev.Name == fyne.KeyEscape && s.escape() {
			return
		}
		if prev != nil {
			prev(ev)
		}
	})
	s.d.SetOnClosed(func() { c.SetOnTypedKey(prev) })
	w.settings = s
}

// escape answers the Escape key: it closes the unsaved-changes question
// (keeping the edits) or the settings dialog itself when that is the
// topmost dialog. It reports whether it did something.
func (s *settingsDialog) escape() bool {
	top := s.w.win.Canvas().Overlays().Top()
	switch {
	case s.asking && top == s.askOverlay:
		s.keepEditing()
	case top == s.overlay && !s.asking:
		s.requestClose()
	default:
		return false
	}
	return true
}

// escEntry is an entry of the settings dialog that hands the Escape key to
// the dialog: a focused entry gets every key, and widget.Entry ignores it.
type escEntry struct {
	widget.Entry
	onEscape func() bool
}

func newEscEntry(onEscape func() bool) *escEntry {
	e := &escEntry{onEscape: onEscape}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey closes the dialog on Escape and edits otherwise.
func (e *escEntry) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && e.onEscape != nil && e.onEscape() {
		return
	}
	e.Entry.TypedKey(ev)
}

// newEscPasswordEntry is a password entry (with its reveal button) that
// hands the Escape key to the dialog.
func newEscPasswordEntry(onEscape func() bool) *escEntry {
	e := &escEntry{onEscape: onEscape}
	e.Password = true
	e.Wrapping = fyne.TextWrap(fyne.TextTruncateClip)
	e.ExtendBaseWidget(e) // the renderer adds the reveal button to a password entry
	return e
}

// escSelect is a drop-down of the settings dialog that hands the Escape key
// to the dialog: once clicked, a Select keeps the keyboard and ignores Esc.
// (While its list is open, Esc closes the list: that is the topmost overlay.)
type escSelect struct {
	widget.Select
	onEscape func() bool
}

func newEscSelect(options []string, changed func(string), onEscape func() bool) *escSelect {
	s := &escSelect{onEscape: onEscape}
	s.Options, s.OnChanged = options, changed
	s.ExtendBaseWidget(s)
	return s
}

// TypedKey closes the dialog on Escape and moves the choice otherwise.
func (s *escSelect) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && s.onEscape != nil && s.onEscape() {
		return
	}
	s.Select.TypedKey(ev)
}

// escCheck is a tick box of the settings dialog that hands the Escape key to
// the dialog: a clicked Check keeps the keyboard too.
type escCheck struct {
	widget.Check
	onEscape func() bool
}

func newEscCheck(label string, changed func(bool), onEscape func() bool) *escCheck {
	c := &escCheck{onEscape: onEscape}
	c.Text, c.OnChanged = label, changed
	c.ExtendBaseWidget(c)
	return c
}

// TypedKey closes the dialog on Escape and toggles otherwise.
func (c *escCheck) TypedKey(ev *fyne.KeyEvent) {
	if ev.Name == fyne.KeyEscape && c.onEscape != nil && c.onEscape() {
		return
	}
	c.Check.TypedKey(ev)
}

// watchEdits shows or hides the unsaved-changes marker after every edit of
// a field that Save writes.
func (s *settingsDialog) watchEdits() {
	for _, e := range []*escEntry{s.name, s.endpoint, s.region, s.bucket, s.prefix, s.keyID, s.secret, s.token, s.expiry,
		s.partSize, s.taskNum, s.jobs, s.limit, s.thresh, s.cpDir, s.cbURL, s.cbHost, s.cbBody, s.proxy} {
		e.OnChanged = thenDo(e.OnChanged, s.showUnsaved)
	}
	for _, c := range []*escCheck{s.sigV4, s.allowHTTP, s.checkpoint, s.notify, s.toTray, s.secretsInFile} {
		c.OnChanged = thenDo(c.OnChanged, s.showUnsaved)
	}
	for _, c := range []*escSelect{s.onExists, s.acl, s.storageClass, s.cbType, s.language} {
		c.OnChanged = thenDo(c.OnChanged, s.showUnsaved)
	}
	s.resume.OnChanged = thenDo(s.resume.OnChanged, s.showUnsaved)
	// A clicked radio button keeps the keyboard and ignores Esc, and its
	// items cannot be wrapped like the fields above: after a choice the
	// keyboard goes back to the dialog, so Esc closes it.
	s.resume.OnChanged = thenDo(s.resume.OnChanged, func() { s.w.win.Canvas().Unfocus() })
}

// thenDo is the change handler f (if any) followed by after.
func thenDo[T any](f func(T), after func()) func(T) {
	return func(v T) {
		if f != nil {
			f(v)
		}
		after()
	}
}

// showUnsaved shows the unsaved-changes marker exactly while the form holds
// edits that were not saved.
func (s *settingsDialog) showUnsaved() {
	if s.unsaved == nil || s.savedProfile == "" {
		return // still building
	}
	if s.dirty() {
		s.unsaved.Show()
	} else {
		s.unsaved.Hide()
	}
}

// profileState is the profile, transfer and metadata tabs as text, to
// compare with what was loaded or saved.
func (s *settingsDialog) profileState() string {
	return fmt.Sprintf("%q", []any{s.name.Text, s.endpoint.Text, s.region.Text, s.bucket.Text, s.prefix.Text,
		s.sigV4.Checked, s.allowHTTP.Checked, s.keyID.Text, s.secret.Text, s.token.Text, s.expiry.Text,
		s.partSize.Text, s.taskNum.Text, s.jobs.Text, s.limit.Text, s.thresh.Text, s.checkpoint.Checked, s.cpDir.Text,
		s.onExists.Selected, s.acl.Selected, s.storageClass.Selected, s.cbURL.Text, s.cbHost.Text, s.cbBody.Text, s.cbType.Selected})
}

// appState is the behaviour tab as text.
func (s *settingsDialog) appState() string {
	return fmt.Sprintf("%q", []any{s.resume.Selected, s.notify.Checked, s.toTray.Checked, languageOf(&s.language.Select),
		s.proxy.Text, s.secretsInFile.Checked})
}

// dirty reports whether the form holds edits that were not saved.
func (s *settingsDialog) dirty() bool {
	return s.profileState() != s.savedProfile || s.appState() != s.savedApp
}

// requestClose closes the dialog, first asking what to do with unsaved
// edits: closing must never drop them silently.
func (s *settingsDialog) requestClose() {
	if s.asking {
		return
	}
	if !s.dirty() {
		s.d.Hide()
		return
	}
	s.askUnsaved(lang.L("Some settings were changed but not saved. Save them before closing?"),
		func() {}, s.d.Hide, func() { s.saveThen(func(settings.Profile) { s.d.Hide() }) })
}

// pick shows the profile chosen in the picker, first asking what to do with
// unsaved edits of the one shown: switching must not drop them silently.
func (s *settingsDialog) pick(name string) {
	if s.savedProfile == "" || s.profileState() == s.savedProfile {
		s.load(name)
		return
	}
	back := s.shown
	s.askUnsaved(lang.L("The changes to this profile were not saved. Save them before showing another profile?"),
		func() { s.selectQuietly(back) },
		func() { s.load(name) },
		func() {
			s.selectQuietly(back) // until the save worked
			s.saveThen(func(settings.Profile) { s.which.SetSelected(name) })
		})
}

// selectQuietly shows name in the picker without loading it.
func (s *settingsDialog) selectQuietly(name string) {
	f := s.which.OnChanged
	s.which.OnChanged = nil
	s.which.SetSelected(name)
	s.which.OnChanged = f
}

// askUnsaved asks whether to keep editing, discard the edits or save them,
// and runs the answer's function.
func (s *settingsDialog) askUnsaved(question string, keep, discard, save func()) {
	s.asking = true
	var ask *dialog.CustomDialog
	answer := func(f func()) func() {
		return func() {
			ask.Hide()
			f()
		}
	}
	keepB := widget.NewButton(lang.L("Keep editing"), answer(keep))
	discardB := widget.NewButton(lang.L("Discard changes"), answer(discard))
	discardB.Importance = widget.DangerImportance
	saveB := widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), answer(save))
	saveB.Importance = widget.HighImportance
	msg := widget.NewLabel(question)
	msg.Wrapping = fyne.TextWrapWord
	ask = dialog.NewCustomWithoutButtons(lang.L("Unsaved changes"), msg, s.w.win)
	ask.SetButtons([]fyne.CanvasObject{keepB, discardB, saveB})
	ask.SetOnClosed(func() { s.asking = false })
	ask.Resize(fyne.NewSize(440, ask.MinSize().Height))
	ask.Show()
	s.keepEditing, s.askOverlay = answer(keep), s.w.win.Canvas().Overlays().Top()
}

func (s *settingsDialog) build() fyne.CanvasObject {
	entry := func(ph string) *escEntry {
		e := newEscEntry(s.escape)
		e.SetPlaceHolder(ph)
		return e
	}
	check := func(label string, changed func(bool)) *escCheck { return newEscCheck(label, changed, s.escape) }
	choice := func(opts []string) *escSelect { return newEscSelect(opts, nil, s.escape) }
	s.which = newEscSelect(append(profileNames(s.cfg), newProfileChoice()), s.pick, s.escape)
	s.name = entry(lang.L("e.g. work"))
	s.endpoint = entry(lang.L("cn-hangzhou or https://oss-cn-hangzhou.aliyuncs.com"))
	s.region = entry(lang.L("derived from the endpoint when empty"))
	s.bucket = entry(lang.L("bucket name"))
	s.prefix = entry(lang.L("folder/ inside the bucket (optional)"))
	s.sigV4 = check(lang.L("Signature V4"), nil)
	s.allowHTTP = check(lang.L("Allow plain http to a non-loopback host"), nil)
	s.keyID = entry(lang.L("AccessKey ID"))
	s.secret = newEscPasswordEntry(s.escape)
	s.token = newEscPasswordEntry(s.escape)
	s.token.SetPlaceHolder(lang.L("only for temporary (STS) credentials"))
	s.expiry = entry(lang.L("STS only, optional: {{.Example}} or 1h", map[string]any{"Example": expiryExample}))
	s.secretNote = widget.NewLabel("")
	s.secretNote.Wrapping = fyne.TextWrapWord
	s.secretNote.Importance = widget.LowImportance
	s.testResult = widget.NewLabel("")
	s.testResult.Wrapping = fyne.TextWrapWord
	s.testDetails = widget.NewLabel("")
	s.testDetails.Wrapping = fyne.TextWrapBreak
	s.testDetails.Selectable = true
	s.testMore = widget.NewAccordion(widget.NewAccordionItem(lang.L("Technical details"), s.testDetails))
	s.testMore.Hide()
	s.testButton = widget.NewButtonWithIcon(lang.L("Test connection"), theme.SearchIcon(), s.testConnection)
	useB := widget.NewButtonWithIcon(lang.L("Use for new uploads"), theme.ConfirmIcon(), s.use)
	delB := widget.NewButtonWithIcon(lang.L("Delete profile"), theme.DeleteIcon(), s.deleteProfile)
	defB := widget.NewButtonWithIcon(lang.L("Make default"), theme.HomeIcon(), s.makeDefault)
	importB := widget.NewButtonWithIcon(lang.L("Import from ossutil…"), theme.DownloadIcon(), s.showImport)

	s.profileForm = widget.NewForm(
		widget.NewFormItem(lang.L("Profile"), container.NewBorder(nil, nil, nil, importB, s.which)),
		widget.NewFormItem(lang.L("Name"), s.name),
		widget.NewFormItem(lang.L("Endpoint"), s.endpoint),
		widget.NewFormItem(lang.L("Region"), s.region),
		widget.NewFormItem("", container.NewHBox(s.sigV4, s.allowHTTP)),
		widget.NewFormItem(lang.L("Bucket"), s.bucket),
		widget.NewFormItem(lang.L("Prefix"), s.prefix),
		widget.NewFormItem(lang.L("AccessKey ID"), s.keyID),
		widget.NewFormItem(lang.L("AccessKey secret"), s.secret),
		widget.NewFormItem(lang.L("STS token"), s.token),
		widget.NewFormItem(lang.L("STS expiry"), s.expiry),
	)
	// The actions stay visible below the scrolling form.
	profileTab := container.NewBorder(nil, container.NewVBox(container.NewHBox(s.testButton, useB, defB, delB), s.testResult, s.testMore), nil, nil,
		container.NewVScroll(container.NewVBox(s.profileForm, s.secretNote)))

	s.partSize = entry(lang.L("e.g. 8MiB"))
	s.taskNum = entry(fmt.Sprintf("%d–%d", settings.MinTaskNum, settings.MaxTaskNum))
	s.jobs = entry(fmt.Sprintf("%d–%d", settings.MinJobs, settings.MaxJobs))
	s.limit = entry(lang.L("e.g. 5MB (per second); empty for no limit"))
	s.thresh = entry(lang.L("empty: the part size"))
	s.checkpoint = check(lang.L("Keep checkpoints so interrupted uploads resume"), nil)
	s.cpDir = entry(lang.L("default: the state directory"))
	s.onExists = choice([]string{"ask", "overwrite", "skip", "skip-identical", "rename"})
	transferTab := container.NewVScroll(widget.NewForm(
		widget.NewFormItem(lang.L("Part size"), s.partSize),
		widget.NewFormItem(lang.L("Parts in parallel"), s.taskNum),
		widget.NewFormItem(lang.L("Files in parallel"), s.jobs),
		widget.NewFormItem(lang.L("Bandwidth limit"), s.limit),
		widget.NewFormItem(lang.L("Multipart from"), s.thresh),
		widget.NewFormItem("", s.checkpoint),
		widget.NewFormItem(lang.L("Checkpoint folder"), s.cpDir),
		widget.NewFormItem(lang.L("If the object exists"), s.onExists),
	))

	s.acl = choice([]string{bucketDefault(), "private", "public-read", "public-read-write", "default"})
	s.storageClass = choice([]string{bucketDefault(), "Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive"})
	s.cbURL = entry(lang.L("https://example.com/uploaded (up to 5, separated by ;)"))
	s.cbHost = entry(lang.L("optional Host header"))
	s.cbBody = entry("bucket=${bucket}&object=${object}&size=${size}")
	s.cbType = choice([]string{"application/x-www-form-urlencoded", "application/json"})
	metaTab := container.NewVScroll(widget.NewForm(
		widget.NewFormItem(lang.L("ACL"), s.acl),
		widget.NewFormItem(lang.L("Storage class"), s.storageClass),
		widget.NewFormItem(lang.L("Callback URL"), s.cbURL),
		widget.NewFormItem(lang.L("Callback host"), s.cbHost),
		widget.NewFormItem(lang.L("Callback body"), s.cbBody),
		widget.NewFormItem(lang.L("Body type"), s.cbType),
	))

	s.resume = widget.NewRadioGroup([]string{lang.L("ask"), lang.L("always"), lang.L("never")}, nil)
	s.resume.Horizontal = true
	s.resume.SetSelected(resumeLabel(orDefault(s.cfg.App.ResumeOnLaunch, settings.ResumeAsk)))
	s.notify = check(lang.L("Notify when a batch of uploads finishes or fails"), nil)
	s.notify.SetChecked(s.cfg.App.Notifications)
	s.toTray = check(lang.L("Closing the window keeps uploading in the tray"), nil)
	s.toTray.SetChecked(s.cfg.App.CloseToTray)
	s.language = newLanguageSelect(s.cfg.App.Language, s.escape)
	s.proxy = entry(lang.L("http://proxy:3128; empty: HTTPS_PROXY/HTTP_PROXY/NO_PROXY"))
	s.proxy.SetText(s.cfg.App.Proxy)
	st := s.w.core.SecretState()
	s.secretsState = widget.NewLabel(secretStateText(st))
	s.secretsState.Wrapping = fyne.TextWrapWord
	// Why no keyring answered is developer text: one click away.
	s.secretsWhy = widget.NewLabel(st.Reason)
	s.secretsWhy.Wrapping = fyne.TextWrapBreak
	s.secretsWhy.Selectable = true
	secretsMore := widget.NewAccordion(widget.NewAccordionItem(lang.L("Technical details"), s.secretsWhy))
	if st.Reason == "" {
		secretsMore.Hide()
	}
	s.secretsInFile = check(lang.L("When no system keyring is available, keep secrets in a file"), s.secretsInFileChanged)
	s.secretsInFile.SetChecked(s.cfg.App.SecretsInFile)
	s.secretsWarn = widget.NewLabel("")
	s.secretsWarn.Wrapping = fyne.TextWrapWord
	s.secretsWarn.Importance = widget.WarningImportance
	s.secretsInFileChanged(s.secretsInFile.Checked)
	behaviourTab := container.NewVScroll(widget.NewForm(
		widget.NewFormItem(lang.L("Resume unfinished uploads at launch"), s.resume),
		widget.NewFormItem("", s.notify),
		widget.NewFormItem("", s.toTray),
		languageFormItem(s.language),
		widget.NewFormItem(lang.L("Proxy"), s.proxy),
		widget.NewFormItem(lang.L("Secrets"), container.NewVBox(s.secretsState, secretsMore)),
		widget.NewFormItem("", s.secretsInFile),
		widget.NewFormItem("", s.secretsWarn),
	))

	s.orphanResult = widget.NewLabel(lang.L("Multipart uploads that were started but never finished keep their parts in the bucket, and are billed. Scan the current bucket for uploads no checkpoint of this computer knows of."))
	s.orphanResult.Wrapping = fyne.TextWrapWord
	s.orphanScan = widget.NewButtonWithIcon(lang.L("Scan current bucket"), theme.SearchIcon(), s.scanOrphans)
	s.orphanAbort = widget.NewButtonWithIcon(lang.L("Abort them"), theme.DeleteIcon(), s.abortOrphans)
	s.orphanAbort.Importance = widget.DangerImportance
	s.orphanAbort.Disable()
	cleanupTab := container.NewVBox(s.orphanResult, container.NewHBox(s.orphanScan, s.orphanAbort))

	s.tabs = container.NewAppTabs(
		container.NewTabItem(lang.L("Profile"), profileTab),
		container.NewTabItem(lang.L("Transfers"), transferTab),
		container.NewTabItem(lang.L("Metadata"), metaTab),
		container.NewTabItem(lang.L("Behaviour"), behaviourTab),
		container.NewTabItem(lang.L("Clean up"), cleanupTab),
	)
	s.saveResult = widget.NewLabel("")
	s.saveResult.Truncation = fyne.TextTruncateEllipsis
	save := widget.NewButtonWithIcon(lang.L("Save"), theme.DocumentSaveIcon(), s.save)
	save.Importance = widget.HighImportance
	s.unsaved = widget.NewLabelWithStyle(lang.L("Unsaved changes"), fyne.TextAlignTrailing, fyne.TextStyle{Bold: true})
	s.unsaved.Importance = widget.WarningImportance
	s.unsaved.Hide()
	s.watchEdits()

	current := s.w.target.Profile
	if _, ok := s.cfg.Profile(current); !ok {
		if p, ok := s.cfg.Default(); ok {
			current = p.Name
		}
	}
	if current != "" {
		s.which.SetSelected(current)
	} else {
		s.which.SetSelected(newProfileChoice())
	}
	return container.NewBorder(nil, container.NewBorder(nil, nil, nil, container.NewHBox(s.unsaved, save), s.saveResult), nil, nil, s.tabs)
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// load fills the profile, transfer and metadata tabs from the chosen profile.
func (s *settingsDialog) load(name string) {
	s.shown = name
	p, ok := s.cfg.Profile(name)
	if !ok {
		p = settings.Profile{Transfer: settings.DefaultTransfer()}
		s.orig = ""
	} else {
		s.orig = p.Name
	}
	s.local = p.Local
	s.name.SetText(p.Name)
	s.endpoint.SetText(p.Endpoint)
	s.region.SetText(p.Region)
	s.bucket.SetText(p.Bucket)
	s.prefix.SetText(p.Prefix)
	s.sigV4.SetChecked(p.SignatureV4)
	s.allowHTTP.SetChecked(p.AllowHTTP)
	s.keyID.SetText(p.AccessKeyID)
	s.secret.SetText("")
	s.token.SetText("")
	s.expiryLoaded = ""
	if !p.STSExpiry.IsZero() {
		s.expiryLoaded = p.STSExpiry.Local().Format(expiryLayout)
	}
	s.expiry.SetText(s.expiryLoaded)
	s.secret.SetPlaceHolder(lang.L("enter to set or replace"))
	for _, e := range []fyne.Disableable{s.name, s.endpoint, s.region, s.bucket, s.sigV4, s.allowHTTP, s.keyID, s.secret, s.token, s.expiry} {
		if p.Local {
			e.Disable()
		} else {
			e.Enable()
		}
	}
	// The form greys a label only when it is refreshed after its field
	// changed state.
	s.profileForm.Refresh()
	st := s.w.core.SecretState()
	switch {
	case p.Local:
		s.secretNote.SetText(lang.L("The Local bucket is served by ossdrop itself on this computer, with keys it generates; nothing to enter here."))
	case s.orig != "":
		s.secretNote.SetText(secretStateText(st))
		// Whether a secret is stored is a keyring question: ask it off the UI goroutine.
		name, core := p.Name, s.w.core
		s.w.goAsync(func() func() {
			has := core.HasSecret(name)
			return func() {
				if !has || s.orig != name {
					return
				}
				s.secret.SetPlaceHolder(lang.L("stored — leave empty to keep it"))
				note := secretStateText(st)
				if m := expiryText(p.ExpiryStatus(time.Now(), expiryWarning)); m != "" {
					note += " " + m
				}
				s.secretNote.SetText(note)
			}
		})
	default:
		s.secretNote.SetText(secretStateText(st))
	}

	d := p.Transfer
	s.partSize.SetText(bytesText(d.PartSize))
	s.taskNum.SetText(intText(int64(d.TaskNum)))
	s.jobs.SetText(intText(int64(d.Jobs)))
	s.limit.SetText(bytesText(d.LimitRate))
	s.thresh.SetText(bytesText(d.MultipartThreshold))
	s.checkpoint.SetChecked(d.Checkpoint)
	s.cpDir.SetText(d.CheckpointDir)
	s.onExists.SetSelected(orDefault(d.OnExists, transfer.Ask.String()))
	s.acl.SetSelected(orDefault(p.ACL, bucketDefault()))
	s.storageClass.SetSelected(orDefault(p.StorageClass, bucketDefault()))
	cb := settings.Callback{}
	if p.Callback != nil {
		cb = *p.Callback
	}
	s.cbURL.SetText(cb.URL)
	s.cbHost.SetText(cb.Host)
	s.cbBody.SetText(cb.Body)
	s.cbType.SetSelected(orDefault(cb.BodyType, "application/x-www-form-urlencoded"))
	s.setTestText("")
	s.savedProfile = s.profileState()
	s.showUnsaved()
}

func bytesText(n int64) string {
	if n <= 0 {
		return ""
	}
	return humanize.IBytes(uint64(n))
}

func intText(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// parseBytes reads "8MiB", "5 MB", "1048576"; empty is 0.
func parseBytes(field, s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n > 1<<62 {
		return 0, &settings.FieldError{Field: field, Value: s, Reason: lang.L("not a size (try 8MiB or 5MB)")}
	}
	return int64(n), nil
}

func parseInt(field, s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, &settings.FieldError{Field: field, Value: s, Reason: lang.L("not a whole number")}
	}
	return n, nil
}

// profile reads the form into a profile, and the credentials typed (if any).
func (s *settingsDialog) profile() (settings.Profile, *settings.Credentials, error) {
	p := settings.Profile{}
	if old, ok := s.cfg.Profile(s.orig); ok {
		p = old
	}
	if !s.local {
		p.Name = strings.TrimSpace(s.name.Text)
		p.Endpoint = strings.TrimSpace(s.endpoint.Text)
		p.Region = strings.TrimSpace(s.region.Text)
		p.Bucket = strings.TrimSpace(s.bucket.Text)
		p.SignatureV4 = s.sigV4.Checked
		p.AllowHTTP = s.allowHTTP.Checked
		p.AccessKeyID = strings.TrimSpace(s.keyID.Text)
	}
	p.Prefix = strings.TrimSpace(s.prefix.Text)
	var errs []error
	var err error
	d := &p.Transfer
	if d.PartSize, err = parseBytes("part size", s.partSize.Text); err != nil {
		errs = append(errs, err)
	}
	if d.TaskNum, err = parseInt("parts in parallel", s.taskNum.Text); err != nil {
		errs = append(errs, err)
	}
	if d.Jobs, err = parseInt("files in parallel", s.jobs.Text); err != nil {
		errs = append(errs, err)
	}
	if d.LimitRate, err = parseBytes("bandwidth limit", s.limit.Text); err != nil {
		errs = append(errs, err)
	}
	if d.MultipartThreshold, err = parseBytes("multipart threshold", s.thresh.Text); err != nil {
		errs = append(errs, err)
	}
	d.Checkpoint = s.checkpoint.Checked
	d.CheckpointDir = strings.TrimSpace(s.cpDir.Text)
	d.OnExists = s.onExists.Selected
	p.ACL = strings.TrimPrefix(s.acl.Selected, bucketDefault())
	p.StorageClass = strings.TrimPrefix(s.storageClass.Selected, bucketDefault())
	p.Callback = nil
	if u := strings.TrimSpace(s.cbURL.Text); u != "" {
		p.Callback = &settings.Callback{URL: u, Host: strings.TrimSpace(s.cbHost.Text), Body: s.cbBody.Text, BodyType: s.cbType.Selected}
	}
	if len(errs) > 0 {
		return p, nil, errors.Join(errs...)
	}
	if err := p.Validate(); err != nil {
		return p, nil, err
	}
	if s.local {
		return p, nil, nil
	}
	token := strings.TrimSpace(s.token.Text)
	expText := strings.TrimSpace(s.expiry.Text)
	if s.secret.Text == "" {
		switch {
		case token != "":
			return p, nil, &settings.FieldError{Profile: p.Name, Field: "AccessKey secret", Reason: lang.L("enter it together with the STS token: temporary credentials come as a set")}
		case expText != s.expiryLoaded:
			return p, nil, &settings.FieldError{Profile: p.Name, Field: "STS expiry", Reason: lang.L("enter the AccessKey secret and STS token again to change when they expire")}
		}
		return p, nil, nil
	}
	creds := &settings.Credentials{AccessKeyID: p.AccessKeyID, AccessKeySecret: s.secret.Text, SecurityToken: token}
	if expText == s.expiryLoaded && !s.cfgExpiry().IsZero() && s.cfgExpiry().After(time.Now()) {
		creds.Expiry = s.cfgExpiry() // unchanged, keep its seconds
	} else if creds.Expiry, err = parseExpiry(expText, time.Now()); err != nil {
		return p, nil, &settings.FieldError{Profile: p.Name, Field: "STS expiry", Reason: err.Error()}
	}
	if token == "" && !creds.Expiry.IsZero() {
		return p, nil, &settings.FieldError{Profile: p.Name, Field: "STS expiry", Reason: lang.L("only temporary credentials with an STS token expire; enter the token or clear the expiry")}
	}
	return p, creds, nil
}

// apply reads the behaviour tab into cfg.App.
func (s *settingsDialog) applyApp() error {
	pol, err := settings.ParseResumePolicy(resumePolicyOf(s.resume.Selected))
	if err != nil {
		return err
	}
	s.cfg.App.ResumeOnLaunch = pol
	s.cfg.App.Notifications = s.notify.Checked
	s.cfg.App.CloseToTray = s.toTray.Checked
	s.cfg.App.Language = languageOf(&s.language.Select)
	s.cfg.App.Proxy = strings.TrimSpace(s.proxy.Text)
	s.cfg.App.SecretsInFile = s.secretsInFile.Checked
	return nil
}

// save validates and writes everything, then applies what concerns the
// running uploads (transfer options of the profile in use) at once. The
// keyring is written on another goroutine; then, when the save worked, runs
// on the UI goroutine.
func (s *settingsDialog) save() { s.saveThen(nil) }

func (s *settingsDialog) saveThen(then func(settings.Profile)) {
	p, creds, err := s.profile()
	if err == nil {
		err = s.applyApp()
	}
	if err != nil {
		s.saveFailed(err)
		return
	}
	core, orig, app := s.w.core, s.orig, s.cfg.App
	profileState, appState := s.profileState(), s.appState()
	s.saveResult.Importance = widget.MediumImportance
	s.saveResult.SetText(lang.L("Saving…"))
	s.w.goAsync(func() func() {
		err := core.SetApp(app)
		var prov *settings.Provider
		if err == nil {
			prov, err = core.SaveProfile(orig, p, creds)
		}
		cfg := core.Config()
		return func() {
			if err != nil {
				s.saveFailed(err)
				return
			}
			saved, _ := cfg.Profile(p.Name)
			s.cfg = cfg
			s.orig = p.Name
			s.savedProfile, s.savedApp = profileState, appState
			s.showUnsaved()
			s.w.settingsSaved(cfg, saved, prov)
			s.which.Options = append(profileNames(cfg), newProfileChoice())
			s.selectQuietly(p.Name)
			s.shown = p.Name
			s.saveResult.Importance = widget.SuccessImportance
			s.saveResult.SetText(lang.L("Saved to ") + core.SettingsPath())
			if then != nil {
				then(saved)
			}
		}
	})
}

func (s *settingsDialog) saveFailed(err error) {
	s.saveResult.Importance = widget.DangerImportance
	s.saveResult.SetText(lang.L("Not saved: ") + problemText(err))
}

// settingsSaved applies saved settings to the window and the Manager.
func (w *Window) settingsSaved(cfg settings.Config, p settings.Profile, prov *settings.Provider) {
	w.cfg = cfg
	w.closeToTray = cfg.App.CloseToTray
	w.notifications = cfg.App.Notifications
	w.profile.Options = profileNames(cfg)
	w.profile.Refresh()
	if p.Name != w.target.Profile {
		return
	}
	// The profile in use changed: new options apply to later tasks, and
	// Jobs and the bandwidth limit to running ones too.
	if err := w.be.SetOptions(p.Options()); err != nil {
		w.showError(problem(lang.L("The transfer settings cannot be applied"), err))
	}
	w.prefixE.SetText(p.Prefix)
	if prov != nil {
		w.be.SetCredentials(prov)
		w.target.Credentials = prov
		w.updateCredBanner()
	}
	if p.Bucket != w.target.Bucket || settings.EndpointURL(p.Endpoint) != w.target.Endpoint && !p.Local {
		w.useProfile(p, nil)
	}
}

// testConnection runs the connection test with what the form says now,
// before anything is saved.
func (s *settingsDialog) testConnection() {
	p, creds, err := s.profile()
	if err != nil {
		s.showTest(false, errorText(err))
		s.setTestDetails(errorTechnical(err))
		return
	}
	s.testButton.Disable()
	s.testResult.Importance = widget.MediumImportance
	s.setTestText(lang.L("Testing {{.Bucket}}…", map[string]any{"Bucket": p.Bucket}))
	core := s.w.core
	s.w.goAsync(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		t, res := core.CheckProfile(ctx, p, creds, 0)
		return func() {
			s.testButton.Enable()
			if res.OK() {
				s.showTest(true, connectedText(t.Bucket, res))
				return
			}
			s.showTest(false, connSummary(res, p.Bucket))
			s.setTestDetails(connDetails(res))
		}
	})
}

// connectedText says once that the bucket answered, where and how fast.
func connectedText(bucket string, res settings.ConnResult) string {
	args := map[string]any{"Bucket": bucket, "Time": res.Elapsed.Round(time.Millisecond).String()}
	if res.Bucket != nil && res.Bucket.Location != "" {
		args["Region"] = res.Bucket.Location
		return lang.L("Connected to {{.Bucket}} ({{.Region}}) in {{.Time}}.", args)
	}
	return lang.L("Connected to {{.Bucket}} in {{.Time}}.", args)
}

// plainConnMessage is a failed test's explanation without the OSS code and
// RequestId that settings.ConnResult.Message appends in parentheses: those
// are in the technical details, once.
func plainConnMessage(res settings.ConnResult) string {
	if res.Code == "" {
		return res.Message
	}
	ref := " (" + res.Code
	if res.RequestID != "" {
		ref += ", RequestId " + res.RequestID
	}
	ref += ")"
	return strings.Replace(res.Message, ref, "", 1)
}

// connDetails is the technical side of a failed test, selectable for a
// support ticket.
func connDetails(res settings.ConnResult) string {
	var b strings.Builder
	// The test's own account in English, exactly, below the window's summary.
	fmt.Fprintf(&b, "%s: %s\n", lang.L("Message"), plainConnMessage(res))
	if res.Code != "" {
		fmt.Fprintf(&b, "%s: %s\n", lang.L("OSS code"), res.Code)
	}
	if res.Status != 0 {
		fmt.Fprintf(&b, "%s: %d\n", lang.L("HTTP status"), res.Status)
	}
	if res.RequestID != "" {
		fmt.Fprintf(&b, "RequestId: %s\n", res.RequestID)
	}
	if res.Endpoint != "" {
		fmt.Fprintf(&b, "%s: %s\n", lang.L("Endpoint"), res.Endpoint)
	}
	// An OSS answer is fully told by the lines above (its error text repeats
	// them); a network failure is told by its error.
	if res.Err != nil && res.Code == "" {
		fmt.Fprintf(&b, "%s: %s\n", lang.L("Cause"), res.Err)
	}
	return strings.TrimRight(b.String(), "\n")
}

// setTestDetails shows the details behind a closed "Technical details"
// section, or hides it when there are none.
func (s *settingsDialog) setTestDetails(text string) {
	s.testDetails.SetText(text)
	s.testMore.CloseAll()
	if text == "" {
		s.testMore.Hide()
	} else {
		s.testMore.Show()
	}
}

func (s *settingsDialog) showTest(ok bool, msg string) {
	s.testResult.Importance = widget.DangerImportance
	if ok {
		s.testResult.Importance = widget.SuccessImportance
	}
	s.setTestText(msg)
}

// setTestText shows the connection test's outcome; the label takes no room
// while there is none, so the form keeps the space.
func (s *settingsDialog) setTestText(msg string) {
	s.testResult.SetText(msg)
	s.setTestDetails("")
	if msg == "" {
		s.testResult.Hide()
	} else {
		s.testResult.Show()
	}
}

// use saves the profile and makes it the destination for new drops.
func (s *settingsDialog) use() {
	s.saveThen(func(p settings.Profile) { s.w.useProfile(p, nil) })
}

func (s *settingsDialog) makeDefault() {
	if s.orig == "" {
		s.saveResult.SetText(lang.L("Save the profile first"))
		return
	}
	if err := s.w.core.SetDefault(s.orig); err != nil {
		s.saveFailed(err)
		return
	}
	cfg := s.w.core.Config()
	s.cfg = cfg
	s.w.cfg = cfg
	s.saveResult.Importance = widget.SuccessImportance
	s.saveResult.SetText(lang.L("{{.Name}} opens by default from now on", map[string]any{"Name": s.orig}))
}

func (s *settingsDialog) deleteProfile() {
	name := s.orig
	if name == "" || s.local {
		s.saveResult.Importance = widget.WarningImportance
		s.saveResult.SetText(lang.L("The built-in Local bucket cannot be deleted"))
		if name == "" {
			s.saveResult.SetText(lang.L("Nothing to delete: this profile was never saved"))
		}
		return
	}
	if name == s.w.target.Profile {
		s.saveResult.Importance = widget.WarningImportance
		s.saveResult.SetText(lang.L("Switch new uploads to another profile before deleting {{.Name}}", map[string]any{"Name": name}))
		return
	}
	dialog.ShowConfirm(lang.L("Delete profile?"), lang.L("Delete “{{.Name}}” and its stored credentials?", map[string]any{"Name": name}), func(ok bool) {
		if !ok {
			return
		}
		core := s.w.core
		s.w.goAsync(func() func() {
			err := core.RemoveProfile(name)
			cfg := core.Config()
			return func() {
				if _, still := cfg.Profile(name); still {
					s.saveResult.Importance = widget.DangerImportance
					s.saveResult.SetText(lang.L("Not deleted: ") + problemText(err))
					return
				}
				if err != nil {
					s.saveResult.Importance = widget.WarningImportance
					s.saveResult.SetText(problemText(err))
				}
				s.profileRemoved(cfg)
			}
		})
	}, s.w.win)
}

// profileRemoved shows the settings after a profile was deleted.
func (s *settingsDialog) profileRemoved(cfg settings.Config) {
	s.cfg = cfg
	s.w.cfg = cfg
	s.w.profile.Options = profileNames(cfg)
	s.w.profile.Refresh()
	s.which.Options = append(profileNames(cfg), newProfileChoice())
	// The profile shown is gone, and with it any edit to it.
	name := s.w.target.Profile
	if _, ok := cfg.Profile(name); !ok {
		name = newProfileChoice()
	}
	s.selectQuietly(name)
	s.load(name)
}

// scanOrphans lists multipart uploads in the current bucket that no
// checkpoint knows of.
func (s *settingsDialog) scanOrphans() {
	s.orphanScan.Disable()
	s.orphanAbort.Disable()
	s.orphanResult.Importance = widget.MediumImportance
	s.orphanResult.SetText(lang.L("Scanning {{.Bucket}}…", map[string]any{"Bucket": s.w.target.Bucket}))
	s.w.goAsync(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		o, err := s.w.be.Orphans(ctx)
		return func() {
			s.orphanScan.Enable()
			s.orphans = o
			switch {
			case err != nil:
				s.orphanResult.Importance = widget.DangerImportance
				s.orphanResult.SetText(lang.L("Scan failed: {{.Reason}}", map[string]any{"Reason": problemText(err)}))
			case len(o) == 0:
				s.orphanResult.Importance = widget.SuccessImportance
				s.orphanResult.SetText(lang.L("No incomplete uploads in {{.Bucket}}.", map[string]any{"Bucket": s.w.target.Bucket}))
			default:
				s.orphanResult.SetText(orphanText(s.w.target.Bucket, o))
				s.orphanAbort.Enable()
			}
		}
	})
}

func orphanText(bucket string, o []transfer.Orphan) string {
	var b strings.Builder
	b.WriteString(lang.N("{{.Count}} incomplete uploads in {{.Bucket}} that no checkpoint here knows of:", len(o), map[string]any{"Count": len(o), "Bucket": bucket}) + "\n")
	for i, x := range o {
		if i == 8 {
			b.WriteString(lang.L("… and {{.Count}} more", map[string]any{"Count": len(o) - i}))
			break
		}
		b.WriteString(lang.L("{{.Key}} (started {{.When}})", map[string]any{"Key": x.Key, "When": dateTime(x.Initiated, time.Local)}) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (s *settingsDialog) abortOrphans() {
	o := s.orphans
	if len(o) == 0 {
		return
	}
	s.orphanAbort.Disable()
	s.orphanScan.Disable()
	s.w.goAsync(func() func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		err := s.w.be.AbortOrphans(ctx, o)
		return func() {
			s.orphanScan.Enable()
			if err != nil {
				s.orphanResult.Importance = widget.DangerImportance
				s.orphanResult.SetText(lang.L("Abort failed: {{.Reason}}", map[string]any{"Reason": problemText(err)}))
				s.orphanAbort.Enable()
				return
			}
			s.orphans = nil
			s.orphanResult.Importance = widget.SuccessImportance
			s.orphanResult.SetText(lang.N("Aborted {{.Count}} incomplete uploads; their parts are deleted.", len(o), map[string]any{"Count": len(o)}))
		}
	})
}

// cfgExpiry is the STS expiry stored for the profile being edited.
func (s *settingsDialog) cfgExpiry() time.Time {
	p, _ := s.cfg.Profile(s.orig)
	return p.STSExpiry
}

// secretsInFileChanged explains the plaintext-file opt-in next to its check
// box: what it costs, and when it applies.
func (s *settingsDialog) secretsInFileChanged(on bool) {
	st := s.w.core.SecretState()
	path := filepath.Join(s.w.core.SettingsDir(), settings.SecretsFileName)
	switch {
	case !on && st.Backend == settings.BackendFile:
		s.secretsWarn.SetText(lang.L("After saving, the next start keeps secrets in memory only; {{.Path}} stays until you delete it.", map[string]any{"Path": path}))
	case !on:
		s.secretsWarn.SetText("")
	case st.Backend == settings.BackendKeyring:
		s.secretsWarn.SetText(lang.L("The system keyring is available, so no file is used. If it ever is not, secrets would go unencrypted to {{.Path}}.", map[string]any{"Path": path}))
	case st.Backend == settings.BackendFile:
		s.secretsWarn.SetText(lang.L("Warning: secrets are in {{.Path}} unencrypted (0600): any program running as you can read them.", map[string]any{"Path": path}))
	default:
		s.secretsWarn.SetText(lang.L("Warning: secrets will be written unencrypted to {{.Path}} (0600): any program running as you can read them. This takes effect the next time ossdrop starts; until then secrets stay in memory.", map[string]any{"Path": path}))
	}
	if s.secretsWarn.Text == "" {
		s.secretsWarn.Hide()
	} else {
		s.secretsWarn.Show()
	}
}
