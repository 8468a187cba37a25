package ui

import (
	"errors"
	"testing"

	"github.com/ossdrop/ossdrop/transfer"
)

// A walk cut short by a crash, of a file handed over with no prefix, has an
// empty Key: it is resumable, not an unreadable record.
func TestSplitUnfinishedKeepsWalksWithoutPrefix(t *testing.T) {
	items := []transfer.Unfinished{
		{Path: "/data/big.iso", Walk: true},
		{Path: "/data/big.iso", Key: "big.iso", Size: 10, Done: 4},
		{Path: "/data/x", Key: "x", Err: errors.New("bad checkpoint")},
		{Path: "/data/y", Key: "y", InUse: true},
	}
	good, bad := splitUnfinished(items)
	if len(good) != 2 || !good[0].Walk || good[1].Key != "big.iso" {
		t.Fatalf("good: %+v", good)
	}
	if len(bad) != 1 || bad[0].Path != "/data/x" {
		t.Fatalf("bad: %+v", bad)
	}
}
