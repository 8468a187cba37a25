//go:build !purego

#include "textflag.h"

// FOLD folds the 128-bit accumulator X into the next block at off(SI) using
// the constant pair in K; T is scratch. See fold.go for the arithmetic.
#define FOLD(X, T, K, off) \
	MOVOA     X, T        \
	PCLMULQDQ $0x00, K, X \
	PCLMULQDQ $0x11, K, T \
	PXOR      T, X        \
	MOVOU     off(SI), T  \
	PXOR      T, X

// FOLDINTO folds the accumulator A (destroyed) 128 bits forward into B.
#define FOLDINTO(A, B, T, K) \
	MOVOA     A, T        \
	PCLMULQDQ $0x00, K, A \
	PCLMULQDQ $0x11, K, T \
	PXOR      A, B        \
	PXOR      T, B

// BARRETT reduces X0, holding R = L·x^64 + H, to the register R·x^64 mod P
// in AX, with the fold-by-128 pair in X9 and µ, P at 32(DX).
#define BARRETT \
	/* T = L·x^128 mod-equivalent + H·x^64: fold L by 128 bits onto H. */ \
	MOVOA     X0, X1         \
	PCLMULQDQ $0x10, X9, X1  /* L · (x^127 mod P) */ \
	PSHUFD    $0xee, X0, X0  /* H into the low half */ \
	PXOR      X1, X0         /* low half: T's high-degree 64 bits A */ \
	/* q = floor(A·µ / x^64), then T mod P = T_low ⊕ low 64 bits of q·P. */ \
	MOVOU     32(DX), X2     /* µ, P */ \
	PCLMULQDQ $0x00, X2, X0  /* A·µ; its low half is q */ \
	MOVQ      X0, BX         \
	PCLMULQDQ $0x10, X2, X0  /* q·(P − 1) */ \
	PXOR      X1, X0         /* ⊕ T_low */ \
	PEXTRQ    $1, X0, AX     \
	XORQ      BX, AX         /* ⊕ q·1 */

// func updateCLMUL(reg uint64, p []byte, k *[6]uint64) uint64
TEXT ·updateCLMUL(SB), NOSPLIT, $0-48
	MOVQ  reg+0(FP), AX
	MOVQ  p_base+8(FP), SI
	MOVQ  p_len+16(FP), CX
	MOVQ  k+32(FP), DX
	MOVQ  AX, X11          // the register, xored into the first 8 bytes
	MOVOU 16(DX), X9       // fold by 128 bits
	CMPQ  CX, $128
	JB    single

	// Eight independent accumulators hide the multiplier's latency.
	MOVOU 0(SI), X0
	MOVOU 16(SI), X1
	MOVOU 32(SI), X2
	MOVOU 48(SI), X3
	MOVOU 64(SI), X4
	MOVOU 80(SI), X5
	MOVOU 96(SI), X6
	MOVOU 112(SI), X7
	PXOR  X11, X0
	MOVOU 0(DX), X8        // fold by 1024 bits
	ADDQ  $128, SI
	SUBQ  $128, CX

loop8:
	CMPQ CX, $128
	JB   reduce8
	FOLD(X0, X10, X8, 0)
	FOLD(X1, X11, X8, 16)
	FOLD(X2, X12, X8, 32)
	FOLD(X3, X13, X8, 48)
	FOLD(X4, X10, X8, 64)
	FOLD(X5, X11, X8, 80)
	FOLD(X6, X12, X8, 96)
	FOLD(X7, X13, X8, 112)
	ADDQ $128, SI
	SUBQ $128, CX
	JMP  loop8

reduce8:
	FOLDINTO(X0, X1, X10, X9)
	FOLDINTO(X1, X2, X10, X9)
	FOLDINTO(X2, X3, X10, X9)
	FOLDINTO(X3, X4, X10, X9)
	FOLDINTO(X4, X5, X10, X9)
	FOLDINTO(X5, X6, X10, X9)
	FOLDINTO(X6, X7, X10, X9)
	MOVOA X7, X0
	JMP   loop1

single:
	MOVOU 0(SI), X0
	PXOR  X11, X0
	ADDQ  $16, SI
	SUBQ  $16, CX

loop1:
	CMPQ CX, $16
	JB   barrett
	FOLD(X0, X10, X9, 0)
	ADDQ $16, SI
	SUBQ $16, CX
	JMP  loop1

barrett:
	BARRETT
	MOVQ AX, ret+40(FP)
	RET

// FOLDZ folds the four 128-bit accumulators in Z into the next four blocks at
// off(SI) with the constant pair broadcast in K; T and U are scratch.
#define FOLDZ(Z, T, U, K, off) \
	VPCLMULQDQ $0x00, K, Z, T      \
	VPCLMULQDQ $0x11, K, Z, Z      \
	VMOVDQU64  off(SI), U          \
	VPTERNLOGQ $0x96, U, T, Z

// FOLDZINTO folds the accumulators A (destroyed) forward into B.
#define FOLDZINTO(A, B, T, K) \
	VPCLMULQDQ $0x00, K, A, T      \
	VPCLMULQDQ $0x11, K, A, A      \
	VPTERNLOGQ $0x96, T, A, B

// func updateAVX512(reg uint64, p []byte, k *[6]uint64, w *[4]uint64) uint64
//
// The same folding with 512-bit registers: sixteen 128-bit accumulators in
// four registers take 256 bytes per round, folded by 2048 bits (w[0:2]); at
// the end the registers fold into one by 512 bits (w[2:4]), its four lanes
// into one by 128 bits, and updateCLMUL's Barrett reduction gives the
// register. len(p) is a non-zero multiple of 256.
TEXT ·updateAVX512(SB), NOSPLIT, $0-56
	MOVQ  reg+0(FP), AX
	MOVQ  p_base+8(FP), SI
	MOVQ  p_len+16(FP), CX
	MOVQ  k+32(FP), DX
	MOVQ  w+40(FP), DI
	VMOVQ AX, X4                   // VEX: clears the rest of Z4
	VMOVDQU64 0(SI), Z0
	VMOVDQU64 64(SI), Z1
	VMOVDQU64 128(SI), Z2
	VMOVDQU64 192(SI), Z3
	VPXORQ    Z4, Z0, Z0
	VBROADCASTI32X4 0(DI), Z8      // fold by 2048 bits
	ADDQ $256, SI
	SUBQ $256, CX

loop4:
	CMPQ CX, $0
	JE   reduce4
	FOLDZ(Z0, Z10, Z14, Z8, 0)
	FOLDZ(Z1, Z11, Z15, Z8, 64)
	FOLDZ(Z2, Z12, Z14, Z8, 128)
	FOLDZ(Z3, Z13, Z15, Z8, 192)
	ADDQ $256, SI
	SUBQ $256, CX
	JMP  loop4

reduce4:
	VBROADCASTI32X4 16(DI), Z8     // fold by 512 bits
	FOLDZINTO(Z0, Z1, Z10, Z8)
	FOLDZINTO(Z1, Z2, Z10, Z8)
	FOLDZINTO(Z2, Z3, Z10, Z8)
	// Z3's lanes, earliest first, into X3 (already its low lane), X1, X2, X4.
	VEXTRACTI32X4 $1, Z3, X1
	VEXTRACTI32X4 $2, Z3, X2
	VEXTRACTI32X4 $3, Z3, X4
	VZEROUPPER                     // before the SSE code below
	MOVOU 16(DX), X9               // fold by 128 bits
	FOLDINTO(X3, X1, X10, X9)
	FOLDINTO(X1, X2, X10, X9)
	FOLDINTO(X2, X4, X10, X9)
	MOVOA X4, X0
	BARRETT
	MOVQ AX, ret+48(FP)
	RET
