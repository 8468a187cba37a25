package ui

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: the refresh loop, background
// work, Managers and servers are all stopped by their owners. Goroutines the
// GUI toolkit starts while the package initialises live as long as the process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}
