//go:build !purego

package crc64ecma

import "golang.org/x/sys/cpu"

// useCLMUL reports whether the carry-less multiplication path can run:
// PCLMULQDQ for the products and SSE4.1 for PEXTRQ.
var useCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE41

// updateCLMUL is described in fold.go and implemented in update_amd64.s.
//
//go:noescape
func updateCLMUL(reg uint64, p []byte, k *[6]uint64) uint64
