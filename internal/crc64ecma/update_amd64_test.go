//go:build !purego

package crc64ecma

import "testing"

// TestUpdateWithout512 runs the length, alignment and direct fold tests
// again with the 512-bit path off, so a CPU that has it still tests the
// 128-bit path every other amd64 CPU runs (and the other tests, run with it
// on, test the 512-bit one).
func TestUpdateWithout512(t *testing.T) {
	t.Logf("512-bit carry-less multiplication available: %v", useAVX512)
	if !useAVX512 {
		t.Skip("no 512-bit path on this CPU: the other tests ran the 128-bit one")
	}
	useAVX512 = false
	defer func() { useAVX512 = true }()
	t.Run("lengths", TestUpdateEveryLengthAndAlignment)
	t.Run("large", TestUpdateLarge)
	t.Run("direct", TestFoldDirect)
}

// TestFoldAVX512Direct drives the 512-bit assembly alone, over one and
// several rounds, without the 128-bit path's or the table's help.
func TestFoldAVX512Direct(t *testing.T) {
	if !useAVX512 {
		t.Skip("no 512-bit path on this CPU")
	}
	buf := randBytes(15, 8192+16)
	for _, n := range []int{256, 512, 768, 1024, 4096, 8192} {
		for _, reg := range []uint64{0, ^uint64(0), 0x0123456789abcdef} {
			p := buf[5 : 5+n]
			want := ^updateGeneric(^reg, p)
			if got := updateAVX512(reg, p, &foldConsts, &wideConsts); got != want {
				t.Fatalf("updateAVX512(%#x, %d bytes) = %#x, want %#x", reg, n, got, want)
			}
		}
	}
}
