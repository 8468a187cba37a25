package crc64ecma

import (
	"hash/crc64"
	"testing"
)

// TestUpdateEveryLengthAndAlignment compares Update with hash/crc64 for every
// length 0..1024 at every start alignment 0..15, from a zero and a non-zero
// previous CRC, so each path of a vectorised loop and its tail is exercised.
func TestUpdateEveryLengthAndAlignment(t *testing.T) {
	buf := randBytes(4, 1024+16)
	for align := 0; align < 16; align++ {
		for n := 0; n <= 1024; n++ {
			p := buf[align : align+n]
			for _, prev := range []uint64{0, 0x0123456789abcdef} {
				want := crc64.Update(prev, refTable, p)
				if got := Update(prev, p); got != want {
					t.Fatalf("Update(%#x, len %d at alignment %d) = %#x, want %#x", prev, n, align, got, want)
				}
			}
		}
	}
}

// TestUpdateLarge covers lengths past the exhaustive range, where the widest
// loop runs many times.
func TestUpdateLarge(t *testing.T) {
	buf := randBytes(5, 1<<20+64)
	for _, n := range []int{2047, 2048, 4096 + 13, 65536, 1<<20 + 31} {
		for _, align := range []int{0, 3, 8} {
			p := buf[align : align+n]
			if got, want := Update(7, p), crc64.Update(7, refTable, p); got != want {
				t.Fatalf("Update(len %d at alignment %d) = %#x, want %#x", n, align, got, want)
			}
		}
	}
}

// FuzzUpdate checks Update, split writes and Combine against hash/crc64. Its
// seed corpus runs as an ordinary test.
func FuzzUpdate(f *testing.F) {
	f.Add(uint64(0), []byte{}, 0)
	f.Add(uint64(0), []byte("123456789"), 4)
	f.Add(^uint64(0), randBytes(6, 16), 8)
	f.Add(uint64(42), randBytes(7, 64), 63)
	f.Add(uint64(1), randBytes(8, 127), 1)
	f.Add(uint64(0xdeadbeef), randBytes(9, 128), 64)
	f.Add(uint64(3), randBytes(10, 255), 200)
	f.Add(uint64(5), randBytes(11, 1000), 333)
	f.Add(uint64(9), randBytes(12, 4097), 2048)
	f.Fuzz(func(t *testing.T, prev uint64, p []byte, cut int) {
		want := crc64.Update(prev, refTable, p)
		if got := Update(prev, p); got != want {
			t.Fatalf("Update(%#x, %d bytes) = %#x, want %#x", prev, len(p), got, want)
		}
		if len(p) == 0 {
			return
		}
		cut = int(uint(cut) % uint(len(p)+1))
		if got := Update(Update(prev, p[:cut]), p[cut:]); got != want {
			t.Fatalf("split Update at %d of %d = %#x, want %#x", cut, len(p), got, want)
		}
		a, b := p[:cut], p[cut:]
		if got := Combine(Update(prev, a), Checksum(b), int64(len(b))); got != want {
			t.Fatalf("Combine at %d of %d = %#x, want %#x", cut, len(p), got, want)
		}
	})
}
