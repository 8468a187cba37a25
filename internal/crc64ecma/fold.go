//go:build (amd64 || arm64) && !purego

package crc64ecma

import (
	"hash/crc64"
	"math/bits"
)

// Carry-less multiplication folding, after Intel's "Fast CRC Computation for
// Generic Polynomials Using PCLMULQDQ Instruction" adapted to a 64-bit
// reflected CRC.
//
// The message is taken 16 bytes at a time as a 128-bit little-endian value
// whose low 64 bits L hold the higher-degree half. A block followed by D more
// bits contributes (L·x^64 + H)·x^D, which is congruent modulo P to
// L·(x^(D+64) mod P) + H·(x^D mod P): two 64×64 carry-less products that fit
// in 128 bits and can be xored into the block D bits later. A carry-less
// product of two bit-reflected operands comes out one bit short (it has 127
// bits), so the constants are x^(D+63) mod P and x^(D−1) mod P. The last 128 bits R are reduced to
// R·x^64 mod P, the CRC register, with one more fold and a Barrett reduction.

// update folds whole 16-byte blocks with fold (the widest assembly path the
// CPU has), which takes and returns the raw register (the inverse of a crc64.Update result)
// and a length that is a non-zero multiple of 16.
func update(crc uint64, p []byte) uint64 {
	if !useCLMUL || len(p) < 16 {
		return updateGeneric(crc, p)
	}
	n := len(p) &^ 15
	reg := fold(^crc, p[:n])
	// The tail of fewer than 16 bytes goes through the table.
	return updateGeneric(^reg, p[n:])
}

// foldConsts is laid out as the assembly loads it, in 16-byte pairs.
var foldConsts = [6]uint64{
	xPow(1024+63, 0), xPow(1024-1, 0), // fold eight blocks by 1024 bits
	xPow(128+63, 0), xPow(128-1, 0), // fold one block by 128 bits
	barrettMu(), crc64.ECMA<<1&(1<<64-1) | 1, // µ and P, see barrettMu
}

// barrettMu returns µ = floor(x^128 / P), the Barrett constant, as the
// assembly multiplies by it: bit j is the coefficient of x^(64−j), so the
// x^64 term is bit 0 and the x^0 term (which cannot change the quotient's
// high half) is dropped; then a reflected product by µ needs no shift. P is
// stored the same way, ECMA shifted left by one plus the x^64 bit; its x^0
// term is dropped too and the assembly adds q·1 back itself.
func barrettMu() uint64 {
	pl := bits.Reverse64(crc64.ECMA) // P − x^64, bit i is the coefficient of x^i
	// Long division of x^128 by P, keeping only what decides the quotient:
	// rem holds the coefficients of x^64..x^127 of the running remainder.
	rem, mu := pl, uint64(1) // the x^64 quotient term subtracted P·x^64
	for d := 63; d >= 1; d-- {
		if rem>>d&1 != 0 {
			mu |= 1 << (64 - d)
			rem ^= 1<<d ^ pl>>(64-d)
		}
	}
	return mu
}
