package ui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/settings"
)

// topButton finds a visible button by label in the topmost overlay, so a
// question shown over the settings dialog is answered, not the dialog below.
func topButton(t *testing.T, w *Window, label string) *widget.Button {
	t.Helper()
	top := w.win.Canvas().Overlays().Top()
	if top == nil {
		t.Fatalf("no dialog open to press %q in", label)
	}
	found := buttonIn(label, top)
	if found == nil {
		t.Fatalf("no button %q in the top dialog, which says %q", label, overlayTextOf(top))
	}
	return found
}

func overlayCount(w *Window) int { return len(w.win.Canvas().Overlays().List()) }

func savedJobs(t *testing.T, r *settingsRig, profile string) int {
	t.Helper()
	cfg, err := r.store.Load()
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Profile(profile)
	return p.Transfer.Jobs
}

func TestSettingsCloseAsksAboutUnsavedChanges(t *testing.T) {
	r := newSettingsRig(t)
	before := savedJobs(t, r, "work")

	// Nothing changed: Close just closes, even after switching profiles.
	r.w.ShowSettings()
	r.w.settings.which.SetSelected("work")
	test.Tap(topButton(t, r.w, "Close"))
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("unchanged settings: %d dialogs still open", n)
	}

	// An edit, then Close: the question, and Keep editing keeps it.
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	s.jobs.SetText("7")
	test.Tap(topButton(t, r.w, "Close"))
	if n := overlayCount(r.w); n != 2 || !strings.Contains(overlayText(r.w), "not saved") {
		t.Fatalf("close with an edit: %d dialogs saying %q", n, overlayText(r.w))
	}
	test.Tap(topButton(t, r.w, "Keep editing"))
	if n := overlayCount(r.w); n != 1 || s.jobs.Text != "7" {
		t.Fatalf("keep editing: %d dialogs, jobs %q", n, s.jobs.Text)
	}

	// Discard closes without saving; reopened, the saved value is back.
	test.Tap(topButton(t, r.w, "Close"))
	test.Tap(topButton(t, r.w, "Discard changes"))
	settle(r.w)
	if n := overlayCount(r.w); n != 0 || savedJobs(t, r, "work") != before {
		t.Fatalf("discard: %d dialogs, saved jobs %d", n, savedJobs(t, r, "work"))
	}
	r.w.ShowSettings()
	s = r.w.settings
	s.which.SetSelected("work")
	if s.jobs.Text != intText(int64(before)) {
		t.Fatalf("reopened after discard: jobs %q", s.jobs.Text)
	}

	// A behaviour edit counts too; Save from the question saves and closes.
	s.jobs.SetText("7")
	s.proxy.SetText("http://proxy.invalid:3128")
	test.Tap(topButton(t, r.w, "Close"))
	test.Tap(topButton(t, r.w, "Save"))
	settle(r.w)
	if n := overlayCount(r.w); n != 0 || savedJobs(t, r, "work") != 7 {
		t.Fatalf("save on close: %d dialogs, saved jobs %d", n, savedJobs(t, r, "work"))
	}
	if cfg, _ := r.store.Load(); cfg.App.Proxy != "http://proxy.invalid:3128" {
		t.Fatalf("proxy not saved: %q", cfg.App.Proxy)
	}

	// Saved edits are not dirty; an invalid edit cannot be saved on close,
	// so the dialog stays open and says why.
	r.w.ShowSettings()
	s = r.w.settings
	s.which.SetSelected("work")
	s.jobs.SetText("8")
	test.Tap(topButton(t, r.w, "Save"))
	settle(r.w)
	test.Tap(topButton(t, r.w, "Close"))
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("close after save: %d dialogs open", n)
	}
	r.w.ShowSettings()
	s = r.w.settings
	s.which.SetSelected("work")
	s.taskNum.SetText("many")
	test.Tap(topButton(t, r.w, "Close"))
	test.Tap(topButton(t, r.w, "Save"))
	settle(r.w)
	if n := overlayCount(r.w); n != 1 || !strings.Contains(s.saveResult.Text, "parts in parallel") {
		t.Fatalf("invalid save on close: %d dialogs, %q", n, s.saveResult.Text)
	}
}

// formLabelColor is the colour name the profile form gives a field's label.
func formLabelColor(t *testing.T, f *widget.Form, label string) fyne.ThemeColorName {
	t.Helper()
	var found fyne.ThemeColorName
	eachObject(f, func(o fyne.CanvasObject) bool {
		if rt, ok := o.(*widget.RichText); ok && len(rt.Segments) > 0 {
			if seg, ok := rt.Segments[len(rt.Segments)-1].(*widget.TextSegment); ok && seg.Text == label {
				found = seg.Style.ColorName
			}
			return false
		}
		_, isWidget := o.(fyne.Widget)
		return !isWidget || found == ""
	})
	if found != "" {
		return found
	}
	t.Fatalf("no label %q in the form", label)
	return ""
}

func TestSettingsLabelsFollowTheProfileShown(t *testing.T) {
	r := newSettingsRig(t)
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected(settings.LocalProfileName)
	if c := formLabelColor(t, s.profileForm, "Endpoint"); c != theme.ColorNameDisabled {
		t.Fatalf("Local bucket: Endpoint label %q, want disabled", c)
	}
	s.which.SetSelected("work")
	if c := formLabelColor(t, s.profileForm, "Endpoint"); c != theme.ColorNameForeground {
		t.Fatalf("work: Endpoint label %q, want foreground", c)
	}
	s.which.SetSelected(settings.LocalProfileName)
	if c := formLabelColor(t, s.profileForm, "Endpoint"); c != theme.ColorNameDisabled {
		t.Fatalf("back to Local: Endpoint label %q, want disabled", c)
	}
}

func TestSettingsEscapeCloses(t *testing.T) {
	r := newSettingsRig(t)
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	c := r.w.win.Canvas()

	// Nothing changed: Esc on the window closes the dialog, and the window's
	// own keys work again afterwards.
	r.w.ShowSettings()
	c.OnTypedKey()(esc)
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("Esc left %d dialogs open", n)
	}
	c.OnTypedKey()(esc) // no dialog: nothing happens, nothing panics

	// Esc while typing in a field: the question comes, and Esc again
	// answers "keep editing".
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	c.Focus(s.jobs)
	test.Type(s.jobs, "3")
	s.jobs.TypedKey(esc)
	if n := overlayCount(r.w); n != 2 || !strings.Contains(overlayText(r.w), "not saved") {
		t.Fatalf("Esc with an edit: %d dialogs saying %q", n, overlayText(r.w))
	}
	c.OnTypedKey()(esc)
	if n := overlayCount(r.w); n != 1 || !strings.HasSuffix(s.jobs.Text, "3") {
		t.Fatalf("second Esc: %d dialogs, jobs %q", n, s.jobs.Text)
	}
	// A focused field still edits with other keys.
	s.jobs.SetText("12")
	s.jobs.CursorColumn = 2
	s.jobs.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if s.jobs.Text != "1" {
		t.Fatalf("backspace in a settings field: %q", s.jobs.Text)
	}
	s.jobs.TypedKey(esc)
	test.Tap(topButton(t, r.w, "Discard changes"))
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("discard after Esc: %d dialogs", n)
	}
}

func TestSettingsProfileSwitchAsksAboutUnsavedChanges(t *testing.T) {
	r := newSettingsRig(t)
	before := savedJobs(t, r, "work")
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	s.jobs.SetText("6")

	// Keep editing: the picker goes back, the edit stays.
	s.which.SetSelected(settings.LocalProfileName)
	if n := overlayCount(r.w); n != 2 || !strings.Contains(overlayText(r.w), "not saved") {
		t.Fatalf("switch with an edit: %d dialogs saying %q", n, overlayText(r.w))
	}
	test.Tap(topButton(t, r.w, "Keep editing"))
	if s.which.Selected != "work" || s.jobs.Text != "6" || s.name.Text != "work" {
		t.Fatalf("keep editing: picker %q, jobs %q, name %q", s.which.Selected, s.jobs.Text, s.name.Text)
	}

	// Discard: the other profile is shown, nothing saved.
	s.which.SetSelected(settings.LocalProfileName)
	test.Tap(topButton(t, r.w, "Discard changes"))
	if s.which.Selected != settings.LocalProfileName || s.name.Text != settings.LocalProfileName || savedJobs(t, r, "work") != before {
		t.Fatalf("discard: picker %q, name %q, saved jobs %d", s.which.Selected, s.name.Text, savedJobs(t, r, "work"))
	}

	// Save: the edit is saved, then the other profile is shown.
	s.which.SetSelected("work")
	s.jobs.SetText("6")
	s.which.SetSelected(settings.LocalProfileName)
	test.Tap(topButton(t, r.w, "Save"))
	settle(r.w)
	if s.which.Selected != settings.LocalProfileName || s.name.Text != settings.LocalProfileName || savedJobs(t, r, "work") != 6 {
		t.Fatalf("save: picker %q, name %q, saved jobs %d", s.which.Selected, s.name.Text, savedJobs(t, r, "work"))
	}
	test.Tap(topButton(t, r.w, "Close"))
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("close after saving: %d dialogs", n)
	}
}

// TestSettingsEscapeFromAnyField presses Esc the way the window delivers it:
// to whatever has the keyboard. A password entry, a drop-down and a tick box
// keep the keyboard once clicked, and Esc must still close (asking first).
func TestSettingsEscapeFromAnyField(t *testing.T) {
	r := newSettingsRig(t)
	esc := &fyne.KeyEvent{Name: fyne.KeyEscape}
	c := r.w.win.Canvas()
	press := func(k *fyne.KeyEvent) {
		t.Helper()
		if f := c.Focused(); f != nil {
			f.TypedKey(k)
		} else {
			c.OnTypedKey()(k)
		}
	}

	// A typed secret, Esc in the password entry: the question comes.
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	c.Focus(s.secret)
	test.Type(s.secret, "hunter2")
	press(esc)
	if n := overlayCount(r.w); n != 2 || !strings.Contains(overlayText(r.w), "not saved") {
		t.Fatalf("Esc in the password entry: %d dialogs saying %q", n, overlayText(r.w))
	}
	test.Tap(topButton(t, r.w, "Discard changes"))
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("discard after Esc in the password entry: %d dialogs", n)
	}

	// A drop-down with the keyboard, nothing changed: Esc closes at once.
	r.w.ShowSettings()
	s = r.w.settings
	s.which.SetSelected("work")
	s.tabs.SelectIndex(1)
	c.Focus(s.onExists)
	press(esc)
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("Esc in an unchanged drop-down: %d dialogs", n)
	}

	// The drop-down changed with the arrow keys, then Esc: the question,
	// and Esc again keeps editing with the choice intact.
	r.w.ShowSettings()
	s = r.w.settings
	s.which.SetSelected("work")
	s.tabs.SelectIndex(1)
	c.Focus(s.onExists)
	before := s.onExists.Selected
	press(&fyne.KeyEvent{Name: fyne.KeyRight})
	if s.onExists.Selected == before {
		t.Fatalf("the right arrow did not change the drop-down (%q)", before)
	}
	changed := s.onExists.Selected
	press(esc)
	if n := overlayCount(r.w); n != 2 || !strings.Contains(overlayText(r.w), "not saved") {
		t.Fatalf("Esc in a changed drop-down: %d dialogs saying %q", n, overlayText(r.w))
	}
	c.OnTypedKey()(esc) // the question has no field: Esc reaches the window
	if n := overlayCount(r.w); n != 1 || s.onExists.Selected != changed {
		t.Fatalf("second Esc: %d dialogs, drop-down %q", n, s.onExists.Selected)
	}

	// A clicked tick box keeps the keyboard too (Check.Tapped focuses it).
	s.tabs.SelectIndex(3)
	c.Focus(s.notify)
	press(&fyne.KeyEvent{Name: fyne.KeySpace})
	press(esc)
	if n := overlayCount(r.w); n != 2 {
		t.Fatalf("Esc in a tick box: %d dialogs", n)
	}
	test.Tap(topButton(t, r.w, "Discard changes"))
	if n := overlayCount(r.w); n != 0 {
		t.Fatalf("discard: %d dialogs", n)
	}

	// A radio button chosen with the keyboard: the keyboard goes back to
	// the dialog, and Esc asks.
	r.w.ShowSettings()
	s = r.w.settings
	s.tabs.SelectIndex(3)
	var item fyne.Focusable
	for _, o := range test.WidgetRenderer(s.resume).Objects() {
		if f, ok := o.(fyne.Focusable); ok {
			item = f // the last: "never"
		}
	}
	if item == nil {
		t.Fatal("no radio button to focus")
	}
	c.Focus(item)
	item.TypedRune(' ') // Space on a radio button is typed as a character
	if s.resume.Selected != "never" {
		t.Fatalf("Space on the last radio button chose %q", s.resume.Selected)
	}
	press(esc)
	if n := overlayCount(r.w); n != 2 || !strings.Contains(overlayText(r.w), "not saved") {
		t.Fatalf("Esc after choosing a radio button: %d dialogs saying %q", n, overlayText(r.w))
	}
	test.Tap(topButton(t, r.w, "Discard changes"))
}

func TestSettingsMarksUnsavedChanges(t *testing.T) {
	r := newSettingsRig(t)
	r.w.ShowSettings()
	s := r.w.settings
	s.which.SetSelected("work")
	if s.unsaved.Visible() {
		t.Fatal("nothing edited, yet the dialog says there are unsaved changes")
	}
	if s.unsaved.Text != "Unsaved changes" {
		t.Fatalf("marker says %q", s.unsaved.Text)
	}
	orig := s.jobs.Text
	test.Type(s.jobs, "9")
	if !s.unsaved.Visible() {
		t.Fatal("an edit of a field does not show the unsaved-changes marker")
	}
	s.jobs.SetText(orig)
	if s.unsaved.Visible() {
		t.Fatal("the edit was undone, yet the marker stays")
	}
	// Every kind of field counts: a tick box, a drop-down, a secret, a
	// behaviour choice.
	for _, edit := range []func(){
		func() { s.checkpoint.SetChecked(!s.checkpoint.Checked) },
		func() { s.acl.SetSelected("private") },
		func() { s.secret.SetText("new secret") },
		func() { s.resume.SetSelected("never") },
		func() { s.notify.SetChecked(!s.notify.Checked) },
	} {
		r.w.settings.load("work")
		s.resume.SetSelected("ask")
		s.notify.SetChecked(r.w.cfg.App.Notifications)
		if s.unsaved.Visible() {
			t.Fatal("reloaded, yet marked unsaved")
		}
		edit()
		if !s.unsaved.Visible() {
			t.Fatalf("an edit left no unsaved-changes marker: %s", s.profileState()+s.appState())
		}
	}
	// Saving clears it; the dialog stays open.
	s.load("work")
	s.jobs.SetText("5")
	test.Tap(topButton(t, r.w, "Save"))
	settle(r.w)
	if s.unsaved.Visible() || savedJobs(t, r, "work") != 5 {
		t.Fatalf("after Save: marker shown %v, saved jobs %d", s.unsaved.Visible(), savedJobs(t, r, "work"))
	}
}
