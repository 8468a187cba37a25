package crc64ecma

import (
	"bytes"
	"hash/crc64"
	"testing"

	"github.com/ossdrop/ossdrop/internal/testkit"
)

var refTable = crc64.MakeTable(crc64.ECMA)

var randBytes = testkit.RandBytes

// TestKnownValues pins the check values OSS users see, so a change to the
// reference itself would also be caught.
func TestKnownValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
	}{
		{"", 0},
		{"123456789", 0x995dc9bbdf1939fa}, // CRC-64/XZ check value
	} {
		if got := Checksum([]byte(c.in)); got != c.want {
			t.Errorf("Checksum(%q) = %#x, want %#x", c.in, got, c.want)
		}
	}
}

func TestHashInterface(t *testing.T) {
	data := randBytes(1, 100_003)
	h := New()
	ref := crc64.New(refTable)
	for off := 0; off < len(data); {
		n := min(len(data)-off, 1+off%4099)
		h.Write(data[off : off+n])
		ref.Write(data[off : off+n])
		off += n
	}
	if h.Sum64() != ref.Sum64() {
		t.Fatalf("Sum64 = %#x, want %#x", h.Sum64(), ref.Sum64())
	}
	if !bytes.Equal(h.Sum([]byte("x")), ref.Sum([]byte("x"))) {
		t.Fatalf("Sum = %x, want %x", h.Sum(nil), ref.Sum(nil))
	}
	if h.Size() != ref.Size() || h.BlockSize() != ref.BlockSize() {
		t.Fatal("Size/BlockSize differ from hash/crc64")
	}
	h.Reset()
	if h.Sum64() != 0 {
		t.Fatal("Reset did not clear the checksum")
	}
}

func TestCombine(t *testing.T) {
	data := randBytes(2, 70_000)
	cuts := []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 127, 128, 129, 1000, 4096, 65536, 69_999, 70_000}
	for _, i := range cuts {
		for _, j := range cuts {
			if i > j {
				continue
			}
			a, b := data[:i], data[i:j]
			want := crc64.Checksum(data[:j], refTable)
			if got := Combine(Checksum(a), Checksum(b), int64(len(b))); got != want {
				t.Fatalf("Combine at %d/%d = %#x, want %#x", i, j, got, want)
			}
		}
	}
}

// TestCombineParts folds many parts, as a multipart upload does, and also
// checks large lengths through the zero-extension identity
// CRC(A || 0^n) = Combine(CRC(A), CRC(0^n), n).
func TestCombineParts(t *testing.T) {
	data := randBytes(3, 1<<20)
	var crc uint64
	for off := 0; off < len(data); {
		n := min(len(data)-off, 1+(off*7919)%50_000)
		crc = Combine(crc, Checksum(data[off:off+n]), int64(n))
		off += n
	}
	if want := crc64.Checksum(data, refTable); crc != want {
		t.Fatalf("combined parts = %#x, want %#x", crc, want)
	}

	zeros := make([]byte, 3<<20+5)
	a := data[:1000]
	want := crc64.Checksum(append(append([]byte{}, a...), zeros...), refTable)
	if got := Combine(Checksum(a), Checksum(zeros), int64(len(zeros))); got != want {
		t.Fatalf("Combine over zeros = %#x, want %#x", got, want)
	}
}

func TestCombineNegativePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Combine with a negative length did not panic")
		}
	}()
	Combine(1, 2, -1)
}
