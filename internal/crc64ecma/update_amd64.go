//go:build !purego

package crc64ecma

import "golang.org/x/sys/cpu"

// useCLMUL reports whether the carry-less multiplication path can run:
// PCLMULQDQ for the products and SSE4.1 for PEXTRQ.
var useCLMUL = cpu.X86.HasPCLMULQDQ && cpu.X86.HasSSE41

// useAVX512 reports whether the 512-bit path can run: carry-less products of
// 512-bit registers (VPCLMULQDQ) and the AVX-512 foundation for the rest.
// x/sys/cpu reports them only when the OS saves the 512-bit state.
var useAVX512 = useCLMUL && cpu.X86.HasAVX512F && cpu.X86.HasAVX512VPCLMULQDQ

// avx512Round is what the 512-bit path takes in one round: 16 bytes for each
// of its sixteen accumulators. It takes whole rounds; updateCLMUL the rest.
const avx512Round = 256

// wideConsts are the 512-bit path's fold pairs, laid out as it loads them:
// by 2048 bits (one round of 256 bytes), then by 512 bits (one register).
var wideConsts = [4]uint64{
	xPow(2048+63, 0), xPow(2048-1, 0),
	xPow(512+63, 0), xPow(512-1, 0),
}

// fold runs the widest path this CPU has over p, a non-zero multiple of 16
// bytes, from and to a raw register.
func fold(reg uint64, p []byte) uint64 {
	if useAVX512 && len(p) >= avx512Round {
		n := len(p) &^ (avx512Round - 1)
		reg = updateAVX512(reg, p[:n], &foldConsts, &wideConsts)
		if p = p[n:]; len(p) == 0 {
			return reg
		}
	}
	return updateCLMUL(reg, p, &foldConsts)
}

// updateCLMUL is described in fold.go and implemented in update_amd64.s.
//
//go:noescape
func updateCLMUL(reg uint64, p []byte, k *[6]uint64) uint64

// updateAVX512 is updateCLMUL with 512-bit registers, for whole rounds of
// avx512Round bytes; see update_amd64.s.
//
//go:noescape
func updateAVX512(reg uint64, p []byte, k *[6]uint64, w *[4]uint64) uint64
