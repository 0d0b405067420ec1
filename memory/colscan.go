package memory

import (
	"math"
	"sync"
)

// colBlock is the number of slots per block of the column copy of a
// bank's vectors (bankIndex.cols).
const colBlock = 256

// colAccPool holds the eight lane accumulators of colScan.
var colAccPool = sync.Pool{New: func() any { return new([8 * colBlock]float32) }}

// setCol writes slot's vector v into the column copy: column d holds
// dimension d of every slot, in slot order, grown colBlock slots at a
// time, so a scan streams through the columns it reads.
func (b *bankIndex) setCol(slot int32, dim int, v []float32) {
	if b.cols == nil {
		b.cols = make([][]float32, dim)
	}
	for int(slot) >= len(b.cols[0]) {
		for d := range b.cols {
			b.cols[d] = append(b.cols[d], make([]float32, colBlock)...)
		}
	}
	for d, x := range v[:dim] {
		b.cols[d][slot] = x
	}
}

// sparseDims returns the non-zero dimensions of q and their values when
// they are few enough (at most a quarter of the dimensions) for the
// column scan to read less than the row scan; ok is false otherwise.
func sparseDims(q []float32) (idx []int32, val []float32, ok bool) {
	limit := len(q) / 4
	for d, x := range q {
		if x == 0 {
			continue
		}
		if len(idx) == limit {
			return nil, nil, false
		}
		idx = append(idx, int32(d))
		val = append(val, x)
	}
	return idx, val, len(idx) > 0
}

// colScan sets out[s] to the dot product of q with the vector of slot s,
// for s < len(out), reading only the columns of q's non-zero dimensions
// (idx, val: increasing dimensions) from the column copy cols. The
// result has the bits of [dot]: dimension d's product goes to lane d%8
// (the tail of a dimension not a multiple of 8 to lane 0), each lane sums
// its products in increasing d (the skipped products are zeros, which
// change no sum), and the lanes are reduced in dotGo's order.
func colScan(cols [][]float32, dim int, idx []int32, val []float32, out []float32) {
	accp := colAccPool.Get().(*[8 * colBlock]float32)
	defer colAccPool.Put(accp)
	acc := accp[:]
	main := dim - dim%8
	var used [8]bool
	for _, d := range idx {
		l := 0
		if int(d) < main {
			l = int(d) % 8
		}
		used[l] = true
	}
	clear(acc)
	for lo := 0; lo < len(out); lo += colBlock {
		if lo > 0 {
			for l := range used {
				if used[l] {
					clear(acc[l*colBlock : (l+1)*colBlock])
				}
			}
		}
		for k, d := range idx {
			l := 0
			if int(d) < main {
				l = int(d) % 8
			}
			a := acc[l*colBlock : (l+1)*colBlock]
			col := cols[d][lo : lo+colBlock]
			if !axpyAsm(a, col, val[k]) {
				q := val[k]
				for i := range a {
					a[i] += float32(q * col[i])
				}
			}
		}
		o := out[lo:min(lo+colBlock, len(out))]
		done := reduceAsm(accp, o)
		o = o[done:]
		a0, a1, a2, a3 := acc[0:colBlock], acc[colBlock:2*colBlock], acc[2*colBlock:3*colBlock], acc[3*colBlock:4*colBlock]
		a4, a5, a6, a7 := acc[4*colBlock:5*colBlock], acc[5*colBlock:6*colBlock], acc[6*colBlock:7*colBlock], acc[7*colBlock:8*colBlock]
		for i := range o {
			j := done + i
			o[i] = (a0[j] + a4[j]) + (a1[j] + a5[j]) + (a2[j] + a6[j]) + (a3[j] + a7[j])
		}
	}
}

// nextAtLeast returns the first i >= from with s[i] >= thr, or len(s).
func nextAtLeast(s []float32, from int, thr float32) int {
	if from < len(s) {
		at, scanned := firstGEAsm(s[from:], thr)
		if at < scanned {
			return from + at
		}
		from += scanned
	}
	for ; from < len(s); from++ {
		if s[from] >= thr {
			return from
		}
	}
	return len(s)
}

// atLeast32 is the least float32 at or above x, so that for a float32 s,
// s >= it exactly when float64(s) >= x; for a NaN x, which a comparison
// s < x turns nothing away for, -Inf.
func atLeast32(x float64) float32 {
	if math.IsNaN(x) {
		return float32(math.Inf(-1))
	}
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// above32 is the least float32 above x: for a float32 s, s >= it exactly
// when float64(s) > x (x not NaN; NaN, which nothing is at least, for
// +Inf).
func above32(x float64) float32 {
	if math.IsInf(x, 1) {
		return float32(math.NaN())
	}
	f := atLeast32(x)
	if float64(f) == x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}
