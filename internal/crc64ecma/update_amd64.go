//go:build !purego

package crc64ecma

import "golang.org/x/sys/cpu"

// useCLMUL reports whether the carry-less multiplication path can run:
// PCLMULQDQ for the products and SSE4.1 for PEXTRQ.
var useCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE41

// updateCLMUL folds p, whose length is a non-zero multiple of 16, into the raw
// register reg (the inverse of a crc64.Update result) and returns the new raw
// register. It is implemented in update_amd64.s.
//
//go:noescape
func updateCLMUL(reg uint64, p []byte, k *[6]uint64) uint64

func update(crc uint64, p []byte) uint64 {
	if !useCLMUL || len(p) < 16 {
		return updateGeneric(crc, p)
	}
	n := len(p) &^ 15
	reg := updateCLMUL(^crc, p[:n], &foldConsts)
	// The tail of fewer than 16 bytes goes through the table.
	return updateGeneric(^reg, p[n:])
}
