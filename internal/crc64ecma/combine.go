package crc64ecma

import "hash/crc64"

// Polynomials here are in the reflected representation hash/crc64 uses:
// bit 63 of a uint64 is the coefficient of x^0 and bit 0 that of x^63.

// x2n[k] is x^(2^k) modulo the ECMA polynomial.
var x2n = func() (t [64]uint64) {
	p := uint64(1) << 62 // x^1
	for k := range t {
		t[k] = p
		p = mulModP(p, p)
	}
	return t
}()

// mulModP returns a·b modulo the ECMA polynomial.
func mulModP(a, b uint64) uint64 {
	var p uint64
	for m := uint64(1) << 63; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		// b ← b·x mod P.
		if b&1 != 0 {
			b = b>>1 ^ crc64.ECMA
		} else {
			b >>= 1
		}
	}
	return p
}

// xPow8n returns x^(8·n) modulo the ECMA polynomial.
func xPow8n(n uint64) uint64 { return xPow(n, 3) }

// xPow returns x^(n·2^k) modulo the ECMA polynomial.
func xPow(n uint64, k int) uint64 {
	p := uint64(1) << 63 // x^0
	for ; n != 0; n, k = n>>1, k+1 {
		if n&1 != 0 {
			p = mulModP(x2n[k&63], p)
		}
	}
	return p
}

// Combine returns the CRC-64/ECMA of A followed by B, given crc1 = Checksum(A),
// crc2 = Checksum(B) and len2 = len(B), in O(log len2) time without reading
// either. Because the register starts at and is finally xored with all ones,
// the result is crc1 shifted over len2 zero bytes, xored with crc2.
// len2 must not be negative.
func Combine(crc1, crc2 uint64, len2 int64) uint64 {
	if len2 < 0 {
		panic("crc64ecma: Combine with negative length")
	}
	return mulModP(xPow8n(uint64(len2)), crc1) ^ crc2
}
