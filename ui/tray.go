package ui

import (
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"github.com/ossdrop/ossdrop/transfer"
)

// trayEvery limits tray menu rebuilds: each one is a D-Bus round trip for the
// status notifier, and a progress line changing ten times a second helps no one.
const trayEvery = time.Second

// tray is the system tray menu: progress, show window, pause/resume, and a
// Quit that asks first when uploads run (the driver's own Quit would not).
type tray struct {
	menu    *fyne.Menu
	status  *fyne.MenuItem
	pause   *fyne.MenuItem
	resume  *fyne.MenuItem
	enabled bool // attached to a real system tray
	last    time.Time
}

// setupTray builds the tray menu and attaches it when a tray really exists
// (available): elsewhere a hidden window could never be reached again. The
// driver's SetSystemTrayWindow is not used: it replaces the window's close
// intercept with Hide, so the close button would never quit.
func (w *Window) setupTray(icon fyne.Resource, available bool) {
	t := &w.tray
	t.status = fyne.NewMenuItem(lang.L("No uploads"), nil)
	t.status.Disabled = true
	t.pause = fyne.NewMenuItem(lang.L("Pause all"), w.PauseAll)
	t.pause.Icon = theme.MediaPauseIcon()
	t.resume = fyne.NewMenuItem(lang.L("Resume all"), w.ResumeAll)
	t.resume.Icon = theme.MediaPlayIcon()
	show := fyne.NewMenuItem(lang.L("Show ossdrop"), w.showWindow)
	quit := fyne.NewMenuItem(lang.L("Quit"), w.QuitRequested)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("ossdrop", t.status, fyne.NewMenuItemSeparator(), show, t.pause, t.resume,
		fyne.NewMenuItemSeparator(), quit)
	if d, ok := w.app.(desktop.App); ok && available {
		d.SetSystemTrayMenu(t.menu)
		if icon != nil {
			d.SetSystemTrayIcon(icon)
		}
		t.enabled = true
	}
}

func (w *Window) showWindow() {
	w.win.Show()
	w.win.RequestFocus()
}

// trayText is the tray's one-line progress summary.
func trayText(t transfer.Totals) string {
	switch {
	case t.Files == 0:
		return lang.L("No uploads")
	case t.Active+t.Queued > 0:
		s := lang.L("Uploading {{.N}} of {{.Count}}", map[string]any{"N": t.Done + t.Skipped + t.Failed + t.Canceled + 1, "Count": t.Files})
		if r := rate(t.Speed); r != "" {
			s += " · " + r
		}
		return s
	case t.Failed > 0:
		return lang.N("{{.Count}} files uploaded, {{.Failed}} failed", t.Done, map[string]any{"Count": count(t.Done), "Failed": count(t.Failed)})
	case t.Paused > 0:
		return lang.N("{{.Count}} paused", t.Paused, map[string]any{"Count": count(t.Paused)})
	default:
		return lang.N("{{.Count}} files uploaded", t.Done, map[string]any{"Count": count(t.Done)})
	}
}

func (w *Window) updateTray(tot transfer.Totals) {
	t := &w.tray
	if t.menu == nil {
		return
	}
	text := trayText(tot)
	pauseOff, resumeOff := tot.Active+tot.Queued == 0, tot.Paused == 0
	if text == t.status.Label && pauseOff == t.pause.Disabled && resumeOff == t.resume.Disabled {
		return
	}
	// Running totals change every tick; state changes (finished, paused)
	// are shown at once.
	stateChange := pauseOff != t.pause.Disabled || resumeOff != t.resume.Disabled
	if !stateChange && time.Since(t.last) < trayEvery {
		return
	}
	t.last = time.Now()
	t.status.Label = text
	t.pause.Disabled, t.resume.Disabled = pauseOff, resumeOff
	if t.enabled {
		t.menu.Refresh()
	}
}

// CloseRequested runs when the user closes the window. With close-to-tray on
// (and a tray present) the window hides and uploads go on; otherwise it quits,
// asking first while uploads run.
func (w *Window) CloseRequested() {
	if w.closeToTray && w.tray.enabled {
		w.hideToTray()
		return
	}
	w.QuitRequested()
}

// hideToTray hides the window; uploads go on and the tray brings it back.
func (w *Window) hideToTray() {
	w.win.Hide()
	if !w.toldTray {
		w.toldTray = true
		w.app.SendNotification(fyne.NewNotification(lang.L("ossdrop is still running"),
			lang.L("Uploads continue in the background; use the tray icon to show the window or quit.")))
	}
}

// QuitRequested quits at once when nothing is uploading. While uploads run
// it asks: Quit (unfinished uploads resume next time), Keep uploading in the
// background (only where a tray can bring the window back), or Cancel. The
// close button, Ctrl+Q and the tray's Quit all come here, since the driver's
// own Quit would skip the question.
func (w *Window) QuitRequested() {
	t := w.totals
	n := t.Active + t.Queued
	if n == 0 {
		w.quit()
		return
	}
	w.showWindow()
	if w.quitDialog != nil {
		w.quitDialog.Hide()
	}
	msg := widget.NewLabel(lang.L("Uploads still running or queued: {{.Count}}.", map[string]any{"Count": n}) + "\n" +
		lang.L("If you quit now, unfinished uploads resume the next time ossdrop starts."))
	msg.Wrapping = fyne.TextWrapWord
	var d dialog.Dialog
	done := func(f func()) func() {
		return func() {
			w.quitDialog = nil
			d.Hide()
			if f != nil {
				f()
			}
		}
	}
	quit := widget.NewButton(lang.L("Quit"), done(w.quit))
	quit.Importance = widget.DangerImportance
	cancel := widget.NewButton(lang.L("Cancel"), done(nil))
	buttons := container.NewHBox(layout.NewSpacer(), cancel)
	if w.tray.enabled {
		buttons.Add(widget.NewButton(lang.L("Keep uploading in the background"), done(w.hideToTray)))
	}
	buttons.Add(quit)
	content := container.NewVBox(msg, buttons)
	d = dialog.NewCustomWithoutButtons(lang.L("Quit ossdrop?"), content, w.win)
	d.SetOnClosed(func() { w.quitDialog = nil })
	w.quitDialog = d
	d.Resize(fyne.NewSize(max(520, buttons.MinSize().Width+40), content.MinSize().Height+80))
	d.Show()
}

func (w *Window) quit() {
	if w.onQuit != nil {
		w.onQuit()
		return
	}
	w.app.Quit()
}
