//go:build amd64 && !purego

#include "textflag.h"

// REDUCE leaves in the low lane of Xd the sum of the eight lanes of Ys,
// in the order of the pure-Go dot: t_k = s_k + s_{k+4}, then
// ((t0 + t1) + t2) + t3.
#define REDUCE(Ys, Xs, Xd) \
	VEXTRACTF128 $1, Ys, X12 \
	VADDPS       X12, Xs, X13 \
	VMOVSHDUP    X13, X14 \
	VADDSS       X14, X13, Xd \
	VMOVHLPS     X13, X13, X14 \
	VADDSS       X14, Xd, Xd \
	VPERMILPS    $3, X13, X14 \
	VADDSS       X14, Xd, Xd

// func dotRowsAVX2(q, rows *float32, dim, n int, out *float32)
TEXT ·dotRowsAVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ dim+16(FP), R9
	MOVQ n+24(FP), DX
	MOVQ out+32(FP), R8
	SHLQ $2, R9 // row length in bytes

four:
	CMPQ DX, $4
	JLT  one
	LEAQ (DI)(R9*1), R10
	LEAQ (R10)(R9*1), R11
	LEAQ (R11)(R9*1), R12
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

four_inner:
	VMOVUPS (SI)(AX*1), Y4
	VMULPS  (DI)(AX*1), Y4, Y5
	VADDPS  Y5, Y0, Y0
	VMULPS  (R10)(AX*1), Y4, Y6
	VADDPS  Y6, Y1, Y1
	VMULPS  (R11)(AX*1), Y4, Y7
	VADDPS  Y7, Y2, Y2
	VMULPS  (R12)(AX*1), Y4, Y8
	VADDPS  Y8, Y3, Y3
	ADDQ    $32, AX
	CMPQ    AX, R9
	JLT     four_inner

	REDUCE(Y0, X0, X9)
	MOVSS X9, 0(R8)
	REDUCE(Y1, X1, X9)
	MOVSS X9, 4(R8)
	REDUCE(Y2, X2, X9)
	MOVSS X9, 8(R8)
	REDUCE(Y3, X3, X9)
	MOVSS X9, 12(R8)

	LEAQ (R12)(R9*1), DI
	ADDQ $16, R8
	SUBQ $4, DX
	JMP  four

one:
	CMPQ DX, $0
	JLE  done
	VXORPS Y0, Y0, Y0
	XORQ AX, AX

one_inner:
	VMOVUPS (SI)(AX*1), Y4
	VMULPS  (DI)(AX*1), Y4, Y5
	VADDPS  Y5, Y0, Y0
	ADDQ    $32, AX
	CMPQ    AX, R9
	JLT     one_inner

	REDUCE(Y0, X0, X9)
	MOVSS X9, 0(R8)
	ADDQ  R9, DI
	ADDQ  $4, R8
	DECQ  DX
	JMP   one

done:
	VZEROUPPER
	RET

// func axpyAVX2(a, x *float32, q float32, n int)
// a[i] += q*x[i] for i < n, n a positive multiple of 32: the product is
// rounded before the add (no fused multiply-add), as in the pure-Go loop.
TEXT ·axpyAVX2(SB), NOSPLIT, $0-32
	MOVQ         a+0(FP), DI
	MOVQ         x+8(FP), SI
	VBROADCASTSS q+16(FP), Y0
	MOVQ         n+24(FP), CX
	SHLQ         $2, CX
	XORQ         AX, AX

axpy_loop:
	VMULPS  (SI)(AX*1), Y0, Y1
	VMULPS  32(SI)(AX*1), Y0, Y2
	VMULPS  64(SI)(AX*1), Y0, Y3
	VMULPS  96(SI)(AX*1), Y0, Y4
	VADDPS  (DI)(AX*1), Y1, Y1
	VADDPS  32(DI)(AX*1), Y2, Y2
	VADDPS  64(DI)(AX*1), Y3, Y3
	VADDPS  96(DI)(AX*1), Y4, Y4
	VMOVUPS Y1, (DI)(AX*1)
	VMOVUPS Y2, 32(DI)(AX*1)
	VMOVUPS Y3, 64(DI)(AX*1)
	VMOVUPS Y4, 96(DI)(AX*1)
	ADDQ    $128, AX
	CMPQ    AX, CX
	JLT     axpy_loop
	VZEROUPPER
	RET

// func reduce8AVX2(acc, out *float32, n int)
// lane l of the column scan's accumulators is 256 floats (1024 bytes)
// after lane l-1; out[i] = ((t0 + t1) + t2) + t3 with t_k = a_k + a_{k+4},
// eight slots at a time.
TEXT ·reduce8AVX2(SB), NOSPLIT, $0-24
	MOVQ acc+0(FP), SI
	MOVQ out+8(FP), DI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	XORQ AX, AX

reduce8_loop:
	VMOVUPS (SI)(AX*1), Y0
	VADDPS  4096(SI)(AX*1), Y0, Y0
	VMOVUPS 1024(SI)(AX*1), Y1
	VADDPS  5120(SI)(AX*1), Y1, Y1
	VADDPS  Y1, Y0, Y0
	VMOVUPS 2048(SI)(AX*1), Y2
	VADDPS  6144(SI)(AX*1), Y2, Y2
	VADDPS  Y2, Y0, Y0
	VMOVUPS 3072(SI)(AX*1), Y3
	VADDPS  7168(SI)(AX*1), Y3, Y3
	VADDPS  Y3, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ    $32, AX
	CMPQ    AX, CX
	JLT     reduce8_loop
	VZEROUPPER
	RET

// func firstGEAVX2(s *float32, n int, thr float32) int
// returns the first i < n with s[i] >= thr (an ordered comparison: NaN
// is not), or n; n is a positive multiple of 8.
TEXT ·firstGEAVX2(SB), NOSPLIT, $0-32
	MOVQ         s+0(FP), SI
	MOVQ         n+8(FP), CX
	VBROADCASTSS thr+16(FP), Y0
	XORQ         AX, AX

firstge_loop:
	VMOVUPS   (SI)(AX*4), Y1
	VCMPPS    $0x1d, Y0, Y1, Y2
	VMOVMSKPS Y2, DX
	TESTL     DX, DX
	JNZ       firstge_found
	ADDQ      $8, AX
	CMPQ      AX, CX
	JLT       firstge_loop
	VZEROUPPER
	MOVQ      CX, ret+24(FP)
	RET

firstge_found:
	BSFL       DX, DX
	ADDQ       DX, AX
	VZEROUPPER
	MOVQ       AX, ret+24(FP)
	RET
