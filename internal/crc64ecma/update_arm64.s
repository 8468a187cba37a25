//go:build !purego

#include "textflag.h"

// FOLD sets X to X folded forward by the constant pair in K, xored with D.
// See fold.go for the arithmetic.
#define FOLD(X, D, K) \
	VPMULL  K.D1, X.D1, V17.Q1    \
	VPMULL2 K.D2, X.D2, V18.Q1    \
	VEOR    V17.B16, D.B16, D.B16 \
	VEOR    V18.B16, D.B16, X.B16

// func updateCLMUL(reg uint64, p []byte, k *[6]uint64) uint64
TEXT ·updateCLMUL(SB), NOSPLIT, $0-48
	MOVD reg+0(FP), R0
	MOVD p_base+8(FP), R1
	MOVD p_len+16(FP), R2
	MOVD k+32(FP), R3
	VLD1 (R3), [V20.D2, V21.D2] // fold by 1024 bits, by 128 bits
	MOVD $0, R5
	VMOV R0, V16.D[0]           // the register, xored into the first 8 bytes
	VMOV R5, V16.D[1]
	CMP  $128, R2
	BLT  single

	// Eight independent accumulators hide the multiplier's latency.
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VLD1.P 64(R1), [V4.B16, V5.B16, V6.B16, V7.B16]
	VEOR   V16.B16, V0.B16, V0.B16
	SUB    $128, R2

loop8:
	CMP    $128, R2
	BLT    reduce8
	VLD1.P 64(R1), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 64(R1), [V12.B16, V13.B16, V14.B16, V15.B16]
	FOLD(V0, V8, V20)
	FOLD(V1, V9, V20)
	FOLD(V2, V10, V20)
	FOLD(V3, V11, V20)
	FOLD(V4, V12, V20)
	FOLD(V5, V13, V20)
	FOLD(V6, V14, V20)
	FOLD(V7, V15, V20)
	SUB    $128, R2
	B      loop8

reduce8:
	FOLD(V0, V1, V21)
	FOLD(V0, V2, V21)
	FOLD(V0, V3, V21)
	FOLD(V0, V4, V21)
	FOLD(V0, V5, V21)
	FOLD(V0, V6, V21)
	FOLD(V0, V7, V21)
	B loop1

single:
	VLD1.P 16(R1), [V0.B16]
	VEOR   V16.B16, V0.B16, V0.B16
	SUB    $16, R2

loop1:
	CMP    $16, R2
	BLT    barrett
	VLD1.P 16(R1), [V8.B16]
	FOLD(V0, V8, V21)
	SUB    $16, R2
	B      loop1

barrett:
	// V0 holds R = L·x^64 + H; the register is R·x^64 mod P.
	// T = L·(x^127 mod P)·x + H·x^64: fold L by 128 bits onto H.
	VMOV   V21.D[1], R6
	VMOV   R6, V22.D[0]
	VPMULL V22.D1, V0.D1, V1.Q1 // L · (x^127 mod P)
	VMOV   V0.D[1], R7
	VMOV   V1.D[0], R8
	EOR    R7, R8, R8           // A, T's high-degree 64 bits
	// q = floor(A·µ / x^64), then T mod P = T_low ⊕ low 64 bits of q·P.
	MOVD   32(R3), R9
	VMOV   R9, V23.D[0]         // µ
	MOVD   40(R3), R10
	VMOV   R10, V24.D[0]        // P
	VMOV   R8, V2.D[0]
	VPMULL V23.D1, V2.D1, V2.Q1 // A·µ; its low half is q
	VMOV   V2.D[0], R11
	VPMULL V24.D1, V2.D1, V2.Q1 // q·(P − 1)
	VMOV   V2.D[1], R12
	VMOV   V1.D[1], R13
	EOR    R12, R13, R0         // ⊕ T_low
	EOR    R11, R0, R0          // ⊕ q·1
	MOVD   R0, ret+40(FP)
	RET
