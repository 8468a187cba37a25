package ossemu

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test closes its servers; no server goroutine may outlive them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
