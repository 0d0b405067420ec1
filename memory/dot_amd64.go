//go:build amd64 && !purego

package memory

import "golang.org/x/sys/cpu"

// useAVX2 chooses the AVX2 kernel for vectors whose length is a multiple
// of 8. It multiplies and adds without fusing, lane k summing the products
// k, k+8, k+16, ..., and reduces the lanes in the pure-Go dot's order, so
// both give the same bits.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasAVX

// dotRowsAVX2 sets out[r] = dot(q[:dim], rows[r*dim:(r+1)*dim]) for r < n;
// dim is a positive multiple of 8.
//
//go:noescape
func dotRowsAVX2(q, rows *float32, dim, n int, out *float32)

func dotRowsAsm(q, rows []float32, dim int, out []float32) bool {
	n := len(out)
	if !useAVX2 || dim == 0 || dim%8 != 0 || n == 0 {
		return false
	}
	_ = q[dim-1]
	_ = rows[n*dim-1]
	dotRowsAVX2(&q[0], &rows[0], dim, n, &out[0])
	return true
}

// axpyAVX2 sets a[i] += q*x[i] for i < n; n is a positive multiple of 32.
//
//go:noescape
func axpyAVX2(a, x *float32, q float32, n int)

func axpyAsm(a, x []float32, q float32) bool {
	n := len(a)
	if !useAVX2 || n == 0 || n%32 != 0 || len(x) < n {
		return false
	}
	axpyAVX2(&a[0], &x[0], q, n)
	return true
}

// reduce8AVX2 is the lane reduction of colScan for n slots of one block,
// n a positive multiple of 8.
//
//go:noescape
func reduce8AVX2(acc, out *float32, n int)

// reduceAsm sets out[i] to the sum of the eight lanes of acc (colBlock
// floats each) at slot i, in colScan's order, for the slots of out up to a
// multiple of 8, and returns how many it set.
func reduceAsm(acc *[8 * colBlock]float32, out []float32) int {
	n := len(out) &^ 7
	if !useAVX2 || n == 0 || n > colBlock {
		return 0
	}
	reduce8AVX2(&acc[0], &out[0], n)
	return n
}

// firstGEAVX2 returns the first i < n with s[i] >= thr, or n; n is a
// positive multiple of 8.
//
//go:noescape
func firstGEAVX2(s *float32, n int, thr float32) int

// firstGEAsm looks for the first of s[:scanned] at least thr, where
// scanned is the length of s down to a multiple of 8 (0 without AVX2):
// at is its index, or scanned when there is none.
func firstGEAsm(s []float32, thr float32) (at, scanned int) {
	n := len(s) &^ 7
	if !useAVX2 || n == 0 {
		return 0, 0
	}
	return firstGEAVX2(&s[0], n, thr), n
}
