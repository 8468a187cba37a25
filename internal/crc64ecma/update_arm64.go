//go:build !purego

package crc64ecma

import "golang.org/x/sys/cpu"

// useCLMUL reports whether the 64-bit polynomial multiply (PMULL, part of the
// Armv8 cryptographic extension) is available.
var useCLMUL = cpu.ARM64.HasPMULL

// updateCLMUL is described in fold.go and implemented in update_arm64.s.
//
//go:noescape
func updateCLMUL(reg uint64, p []byte, k *[6]uint64) uint64

// fold runs the carry-less path over p, a non-zero multiple of 16 bytes,
// from and to a raw register.
func fold(reg uint64, p []byte) uint64 { return updateCLMUL(reg, p, &foldConsts) }
