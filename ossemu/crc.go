package ossemu

import "hash/crc64"

// crcTable is the table OSS's x-oss-hash-crc64ecma uses (CRC-64/XZ).
var crcTable = crc64.MakeTable(crc64.ECMA)

// gf2Times multiplies the 64x64 GF(2) matrix mat by vec.
func gf2Times(mat *[64]uint64, vec uint64) uint64 {
	var sum uint64
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[64]uint64) {
	for n := range 64 {
		square[n] = gf2Times(mat, mat[n])
	}
}

// crcCombine returns the CRC64 of A‖B given crc(A), crc(B) and len(B), so a
// completed multipart object gets its CRC without reading the data again
// (the zlib crc32_combine construction, for the reflected ECMA polynomial).
func crcCombine(crcA, crcB uint64, lenB int64) uint64 {
	if lenB <= 0 {
		return crcA
	}
	var even, odd [64]uint64
	odd[0] = crc64.ECMA
	row := uint64(1)
	for n := 1; n < 64; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four zero bits
	n := uint64(lenB)
	for {
		gf2Square(&even, &odd)
		if n&1 != 0 {
			crcA = gf2Times(&even, crcA)
		}
		n >>= 1
		if n == 0 {
			break
		}
		gf2Square(&odd, &even)
		if n&1 != 0 {
			crcA = gf2Times(&odd, crcA)
		}
		n >>= 1
		if n == 0 {
			break
		}
	}
	return crcA ^ crcB
}
