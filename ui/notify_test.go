package ui

import (
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"github.com/godbus/dbus/v5"
)

type fakeNotifications struct{ got chan []any }

func (f fakeNotifications) Notify(app string, replaces uint32, icon, title, body string, actions []string,
	hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	f.got <- []any{app, title, body, hints["desktop-entry"].Value()}
	return 1, nil
}

// TestNotificationsSayOssdrop stands in for the desktop's notification
// service on the session bus (CI runs one) and checks the sender's name.
func TestNotificationsSayOssdrop(t *testing.T) {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		t.Skip("no session bus")
	}
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Skip("session bus:", err)
	}
	defer conn.Close()
	f := fakeNotifications{got: make(chan []any, 1)}
	if err := conn.Export(f, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Skip("a notification service already runs")
	}
	if err := notifyFreedesktop(&fyne.Notification{Title: "Uploads finished", Content: "3 files uploaded"}, "io.github.ossdrop.ossdrop"); err != nil {
		t.Fatal(err)
	}
	got := <-f.got
	if got[0] != "ossdrop" || got[1] != "Uploads finished" || got[3] != "io.github.ossdrop.ossdrop" {
		t.Fatalf("notification sent as %v", got)
	}
}
