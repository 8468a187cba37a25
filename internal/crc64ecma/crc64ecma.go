// Package crc64ecma computes CRC-64/ECMA-182 exactly as Alibaba Cloud OSS
// reports it in x-oss-hash-crc64ecma: the reflected ECMA polynomial with the
// register initialised to all ones and the result inverted, which is what
// hash/crc64 computes with crc64.MakeTable(crc64.ECMA).
//
// Results are identical to hash/crc64's; the package exists to be faster on
// large buffers and to combine the CRCs of adjacent pieces (multipart parts,
// concurrently hashed ranges) without rereading them.
package crc64ecma

import (
	"hash"
	"hash/crc64"
)

// Size is the size of a CRC-64 checksum in bytes.
const Size = 8

var table = crc64.MakeTable(crc64.ECMA)

// Update returns the result of adding the bytes in p to crc, with the same
// semantics as crc64.Update with the ECMA table: crc is a previous result
// (0 for an empty input), not a raw register.
func Update(crc uint64, p []byte) uint64 {
	return update(crc, p)
}

// updateGeneric is the table-driven implementation every platform has.
func updateGeneric(crc uint64, p []byte) uint64 {
	return crc64.Update(crc, table, p)
}

// Checksum returns the CRC-64/ECMA of p.
func Checksum(p []byte) uint64 { return Update(0, p) }

// New returns a hash.Hash64 computing CRC-64/ECMA. Its Sum appends the
// checksum in big-endian order, as hash/crc64's does.
func New() hash.Hash64 { return &digest{} }

type digest struct{ crc uint64 }

func (d *digest) Size() int      { return Size }
func (d *digest) BlockSize() int { return 1 }
func (d *digest) Reset()         { d.crc = 0 }
func (d *digest) Sum64() uint64  { return d.crc }

func (d *digest) Write(p []byte) (int, error) {
	d.crc = Update(d.crc, p)
	return len(p), nil
}

func (d *digest) Sum(in []byte) []byte {
	s := d.crc
	return append(in, byte(s>>56), byte(s>>48), byte(s>>40), byte(s>>32),
		byte(s>>24), byte(s>>16), byte(s>>8), byte(s))
}
