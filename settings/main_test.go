package settings

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	// go-keyring keeps one shared D-Bus session connection for the process
	// (godbus's SessionBus) and never closes it; its goroutines are meant to
	// outlive the calls. Everything else must be gone.
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.(*Conn).inWorker"),
		goleak.IgnoreAnyFunction("github.com/godbus/dbus/v5.newConn.func1"),
	)
}
