//go:build linux || freebsd || openbsd || netbsd

package app

import (
	"context"
	"time"

	"github.com/godbus/dbus/v5"
)

// TrayAvailable reports whether a system tray will show ossdrop's icon. On
// Linux and the BSDs the tray is a StatusNotifierItem: it only appears where a
// StatusNotifierWatcher runs with a host registered (not on stock GNOME, many
// tiling desktops or a bare X server), and a window hidden where none runs
// could never be brought back. It asks the session bus (a private connection
// that never launches a bus), so call it off the UI goroutine.
func TrayAvailable() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return false
	}
	defer conn.Close()
	if conn.Auth(nil) != nil || conn.Hello() != nil {
		return false
	}
	const watcher = "org.kde.StatusNotifierWatcher"
	var owned bool
	if conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcher).Store(&owned) != nil || !owned {
		return false
	}
	var v dbus.Variant
	err = conn.Object(watcher, "/StatusNotifierWatcher").CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		watcher, "IsStatusNotifierHostRegistered").Store(&v)
	if err != nil {
		return false
	}
	registered, ok := v.Value().(bool)
	return ok && registered
}
