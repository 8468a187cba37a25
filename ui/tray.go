package ui

import (
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
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

func (w *Window) setupTray(icon fyne.Resource) {
	t := &w.tray
	t.status = fyne.NewMenuItem("No uploads", nil)
	t.status.Disabled = true
	t.pause = fyne.NewMenuItem("Pause all", w.PauseAll)
	t.pause.Icon = theme.MediaPauseIcon()
	t.resume = fyne.NewMenuItem("Resume all", w.ResumeAll)
	t.resume.Icon = theme.MediaPlayIcon()
	show := fyne.NewMenuItem("Show ossdrop", w.showWindow)
	quit := fyne.NewMenuItem("Quit", w.QuitRequested)
	quit.IsQuit = true
	t.menu = fyne.NewMenu("ossdrop", t.status, fyne.NewMenuItemSeparator(), show, t.pause, t.resume,
		fyne.NewMenuItemSeparator(), quit)
	if d, ok := w.app.(desktop.App); ok {
		d.SetSystemTrayMenu(t.menu)
		if icon != nil {
			d.SetSystemTrayIcon(icon)
		}
		d.SetSystemTrayWindow(w.win)
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
		return "No uploads"
	case t.Active+t.Queued > 0:
		s := fmt.Sprintf("Uploading %d of %d", t.Done+t.Skipped+t.Failed+t.Canceled+1, t.Files)
		if r := rate(t.Speed); r != "" {
			s += " · " + r
		}
		return s
	case t.Failed > 0:
		return fmt.Sprintf("%s uploaded, %d failed", plural(t.Done, "file"), t.Failed)
	case t.Paused > 0:
		return fmt.Sprintf("%d paused", t.Paused)
	default:
		return fmt.Sprintf("%s uploaded", plural(t.Done, "file"))
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
// (and a tray present) the window hides and uploads go on; otherwise it asks
// before quitting while uploads run.
func (w *Window) CloseRequested() {
	if w.closeToTray && w.tray.enabled {
		w.win.Hide()
		if !w.toldTray {
			w.toldTray = true
			w.app.SendNotification(fyne.NewNotification("ossdrop is still running",
				"Uploads continue in the background; use the tray icon to show the window or quit."))
		}
		return
	}
	w.QuitRequested()
}

// QuitRequested quits, asking first while uploads are running; the tray's Quit
// uses it too, since the driver's default Quit would skip the question.
func (w *Window) QuitRequested() {
	t := w.totals
	if t.Active+t.Queued == 0 {
		w.quit()
		return
	}
	w.showWindow()
	msg := fmt.Sprintf("%d files are still uploading or queued.", t.Active+t.Queued)
	if t.Active+t.Queued == 1 {
		msg = "1 file is still uploading or queued."
	}
	msg += "\nQuit anyway? Unfinished uploads can resume next time."
	if w.quitDialog != nil {
		w.quitDialog.Hide()
	}
	d := newConfirm("Quit ossdrop?", msg, "Quit", "Keep uploading", func(ok bool) {
		w.quitDialog = nil
		if ok {
			w.quit()
		}
	}, w.win)
	w.quitDialog = d
	d.Show()
}

func (w *Window) quit() {
	if w.onQuit != nil {
		w.onQuit()
		return
	}
	w.app.Quit()
}
