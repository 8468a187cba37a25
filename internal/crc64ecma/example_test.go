package crc64ecma_test

import (
	"fmt"

	"github.com/ossdrop/ossdrop/internal/crc64ecma"
)

// The CRC of a whole object from the CRCs of its parts, as for a multipart
// upload whose parts were hashed as they were sent.
func ExampleCombine() {
	part1, part2 := []byte("hello, "), []byte("world")
	crc := crc64ecma.Combine(crc64ecma.Checksum(part1), crc64ecma.Checksum(part2), int64(len(part2)))
	fmt.Println(crc == crc64ecma.Checksum([]byte("hello, world")))
	// Output: true
}
