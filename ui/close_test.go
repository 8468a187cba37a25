package ui

import (
	"reflect"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
	"github.com/ossdrop/ossdrop/transfer"
)

func TestCloseAsksWhileUploading(t *testing.T) {
	be := newViewBackend(sampleTasks()...)
	w := newViewWindow(t, be)
	quits := 0
	w.onQuit = func() { quits++ }
	w.sync()

	w.CloseRequested()
	if quits != 0 {
		t.Fatal("closed without asking while uploads run")
	}
	if txt := overlayText(w); !strings.Contains(txt, "Uploads still running or queued: 4.") || !strings.Contains(txt, "resume the next time") {
		t.Fatalf("no confirmation, overlays say %q", txt)
	}
	if strings.Contains(overlayText(w), "background") {
		t.Fatal("offers to keep uploading in the background where no tray could bring the window back")
	}
	test.AssertRendersToMarkup(t, "quit_confirm.xml", w.win.Canvas())
	test.Tap(findButton(t, w.win.Canvas(), "Cancel"))
	if quits != 0 || !w.win.Content().Visible() {
		t.Fatal("Cancel quit")
	}
	// Where a tray exists, uploads may go on with the window hidden.
	w.tray.enabled = true
	w.CloseRequested()
	test.Tap(findButton(t, w.win.Canvas(), "Keep uploading in the background"))
	if quits != 0 {
		t.Fatal("'Keep uploading in the background' quit")
	}
	w.tray.enabled = false
	// The tray's Quit asks the same question.
	w.QuitRequested()
	test.Tap(findButton(t, w.win.Canvas(), "Quit"))
	if quits != 1 {
		t.Fatalf("quit %d times after confirming", quits)
	}

	// Nothing running: closing quits at once.
	be.mu.Lock()
	for i := range be.tasks {
		be.tasks[i].State = transfer.Done
	}
	be.mu.Unlock()
	w.sync()
	w.CloseRequested()
	if quits != 2 {
		t.Fatal("idle window did not quit on close")
	}
}

func TestTrayShowsProgressAndQuitIsOurs(t *testing.T) {
	be := newViewBackend(sampleTasks()...)
	w := newViewWindow(t, be)
	w.sync()
	m := w.tray.menu
	if m == nil {
		t.Fatal("no tray menu")
	}
	if got := w.tray.status.Label; got != "Uploading 5 of 9 · 13 MB/s" {
		t.Errorf("tray status %q", got)
	}
	last := m.Items[len(m.Items)-1]
	if !last.IsQuit || last.Action == nil {
		t.Fatal("the tray's Quit must be our confirming one, or the driver adds one that skips the question")
	}
	if w.tray.pause.Disabled || w.tray.resume.Disabled {
		t.Error("pause/resume all disabled with running and paused uploads")
	}
}

func TestNotificationForBatchWithinOneTick(t *testing.T) {
	be := newViewBackend()
	w := newViewWindow(t, be)
	w.sync()
	done := sampleTasks()[4]
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Uploads finished", Content: "1 file uploaded to media"}, func() {
		be.mu.Lock()
		be.tasks = append(be.tasks, done)
		be.mu.Unlock()
		w.sync()
	})
}

func TestNotificationWhenBatchEnds(t *testing.T) {
	tasks := sampleTasks()[:2] // queued + uploading
	be := newViewBackend(tasks...)
	w := newViewWindow(t, be)
	w.sync()
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Uploads finished", Content: "2 files uploaded to media"}, func() {
		be.mu.Lock()
		for i := range be.tasks {
			be.tasks[i].State = transfer.Done
		}
		be.mu.Unlock()
		w.sync()
	})
	be.mu.Lock()
	be.tasks = append(be.tasks, sampleTasks()[1])
	be.tasks[2].ID = 77
	be.mu.Unlock()
	w.sync()
	test.AssertNotificationSent(t, &fyne.Notification{Title: "Uploads failed", Content: "1 file failed, 0 files uploaded"}, func() {
		be.mu.Lock()
		be.tasks[2].State = transfer.Failed
		be.mu.Unlock()
		w.sync()
	})
}

func TestShortcuts(t *testing.T) {
	be := newViewBackend(sampleTasks()...)
	w := newViewWindow(t, be)
	w.sync()
	c := w.win.Canvas()
	// The test canvas wraps the software canvas, which dispatches shortcuts
	// to what AddShortcut registered, as the real window does.
	inner := reflect.ValueOf(c).Elem().FieldByName("WindowlessCanvas").Interface()
	sc := inner.(interface{ TypedShortcut(fyne.Shortcut) })

	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault})
	if n := len(c.Overlays().List()); n != 1 {
		t.Fatalf("Ctrl+O: %d overlays, want the file dialog", n)
	}
	c.Overlays().Top().Hide()
	c.Overlays().Remove(c.Overlays().Top())
	sc.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyO, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift})
	if n := len(c.Overlays().List()); n != 1 {
		t.Fatalf("Ctrl+Shift+O: %d overlays, want the folder dialog", n)
	}
	c.Overlays().Remove(c.Overlays().Top())

	// Delete removes the selected row only when it is finished or paused.
	w.list.Select(1) // uploading
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	w.list.Select(4) // done
	c.OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if got := strings.Join(be.calls, ";"); got != "remove 5" {
		t.Fatalf("calls %q, want only the finished row removed", got)
	}
}

func TestCloseToTrayHidesAndKeepsUploading(t *testing.T) {
	be := newViewBackend(sampleTasks()...)
	w := newViewWindow(t, be)
	quits := 0
	w.onQuit = func() { quits++ }
	w.sync()
	w.closeToTray = true
	// Without a system tray the window must not vanish: it asks as usual.
	w.CloseRequested()
	if !strings.Contains(overlayText(w), "Uploads still running or queued") {
		t.Fatal("no tray and no question")
	}
	w.quitDialog.Hide()
	w.tray.enabled = true
	test.AssertNotificationSent(t, &fyne.Notification{Title: "ossdrop is still running",
		Content: "Uploads continue in the background; use the tray icon to show the window or quit."}, w.CloseRequested)
	if quits != 0 {
		t.Fatal("close to tray quit")
	}
}
