package ui

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test must leave no goroutine behind: the refresh loop, background
// work, Managers and servers are all stopped by their owners.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
