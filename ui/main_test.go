package ui

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: the refresh loop, background
// work, Managers and servers are all stopped by their owners. Goroutines the
// GUI toolkit starts while the package initialises live as long as the process,
// and so does the one shared D-Bus session connection that go-keyring keeps
// (godbus's SessionBus, never closed).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"),
	)
}
