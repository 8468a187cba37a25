//go:build (amd64 || arm64) && !purego

package crc64ecma

import "testing"

// TestFoldConsts pins the derived constants; the same derivations give the
// published constants for the NVMe polynomial, and every length test below
// depends on them, so this only guards against accidental edits.
func TestFoldConsts(t *testing.T) {
	want := [6]uint64{
		0x8757d71d4fcc1000, 0xd7d86b2af73de740,
		0xe05dd497ca393ae4, 0xdabe95afc7875f40,
		0x9c3e466c172963d5, 0x92d8af2baf0e1e85,
	}
	if foldConsts != want {
		t.Fatalf("foldConsts = %#x, want %#x", foldConsts, want)
	}
}
