package ui

import (
	"runtime"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
	"github.com/godbus/dbus/v5"
)

// appName is what notifications say they come from.
const appName = "ossdrop"

// notify shows a desktop notification under the name "ossdrop". On Linux
// and the BSDs Fyne 2.8 sends the app id ("io.github.ossdrop.ossdrop") as
// the sender's name, so the window talks to the notification service
// itself there, and falls back to Fyne when that fails. Elsewhere, and with
// the test driver, Fyne sends it.
func (w *Window) notify(n *fyne.Notification) {
	if _, real := w.app.Driver().(desktop.Driver); real && freedesktop() {
		err := notifyFreedesktop(n, w.app.UniqueID())
		if err == nil {
			return
		}
		w.log.Debug("notification service", "err", err)
	}
	w.app.SendNotification(n)
}

func freedesktop() bool {
	switch runtime.GOOS {
	case "linux", "freebsd", "openbsd", "netbsd":
		return true
	}
	return false
}

// notifyFreedesktop sends n with org.freedesktop.Notifications.Notify.
// id, the app id, names the desktop entry, so the service can find the icon.
func notifyFreedesktop(n *fyne.Notification, id string) error {
	conn, err := dbus.SessionBus() // shared; never closed
	if err != nil {
		return err
	}
	obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")
	hints := map[string]dbus.Variant{"desktop-entry": dbus.MakeVariant(id)}
	return obj.Call("org.freedesktop.Notifications.Notify", 0, appName, uint32(0),
		"", n.Title, n.Content, []string{}, hints, int32(-1)).Err
}
