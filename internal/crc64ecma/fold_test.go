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

// TestFoldDirect drives the assembly without the table's help for the tail,
// so a broken fold cannot hide behind updateGeneric; it logs which path the
// other tests exercised.
func TestFoldDirect(t *testing.T) {
	t.Logf("carry-less multiplication available: %v", useCLMUL)
	if !useCLMUL {
		t.Skip("no carry-less multiplication on this CPU")
	}
	buf := randBytes(14, 4096+16)
	for _, n := range []int{16, 32, 112, 128, 144, 256, 1024 + 48, 4096} {
		for _, reg := range []uint64{0, ^uint64(0), 0x0123456789abcdef} {
			p := buf[3 : 3+n]
			want := ^updateGeneric(^reg, p)
			if got := updateCLMUL(reg, p, &foldConsts); got != want {
				t.Fatalf("updateCLMUL(%#x, %d bytes) = %#x, want %#x", reg, n, got, want)
			}
		}
	}
}
