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
	// X0 holds R = L·x^64 + H; the register is R·x^64 mod P.
	// T = L·x^128 mod-equivalent + H·x^64: fold L by 128 bits onto H.
	MOVOA     X0, X1
	PCLMULQDQ $0x10, X9, X1    // L · (x^127 mod P)
	PSHUFD    $0xee, X0, X0    // H into the low half
	PXOR      X1, X0           // low half: T's high-degree 64 bits A
	// q = floor(A·µ / x^64), then T mod P = T_low ⊕ low 64 bits of q·P.
	MOVOU     32(DX), X2       // µ, P
	PCLMULQDQ $0x00, X2, X0    // A·µ; its low half is q
	MOVQ      X0, BX
	PCLMULQDQ $0x10, X2, X0    // q·(P − 1)
	PXOR      X1, X0           // ⊕ T_low
	PEXTRQ    $1, X0, AX
	XORQ      BX, AX           // ⊕ q·1
	MOVQ      AX, ret+40(FP)
	RET
