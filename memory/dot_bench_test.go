package memory

import (
	"math"
	"math/rand/v2"
	"testing"
)

func BenchmarkDot256(b *testing.B) {
	x := make([]float32, 256)
	y := make([]float32, 256)
	for i := range x {
		x[i], y[i] = float32(i%7)/7, float32(i%5)/5
	}
	var s float32
	for b.Loop() {
		s += dot(x, y)
	}
	_ = s
}

func TestDot(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 256, 259} {
		a, c := make([]float32, n), make([]float32, n)
		var want float64
		for i := range a {
			a[i], c[i] = float32(i+1), float32(2*i-3)
			want += float64(a[i]) * float64(c[i])
		}
		if got := dot(a, c); float64(got) != want {
			t.Fatalf("n=%d: dot = %v, want %v", n, got, want)
		}
	}
}

// TestDotRowsSameBits: the vector kernel and the pure-Go loop give the
// same bits for every row, for row counts around the kernel's group of
// four and for lengths that are and are not multiples of 8.
func TestDotRowsSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for _, dim := range []int{1, 7, 8, 16, 24, 256, 259, 384, 1536} {
		for _, n := range []int{1, 2, 3, 4, 5, 8, 9, 257} {
			q := make([]float32, dim)
			rows := make([]float32, n*dim)
			for i := range q {
				q[i] = float32(r.NormFloat64())
			}
			for i := range rows {
				rows[i] = float32(r.NormFloat64())
			}
			got := make([]float32, n)
			dotRows(q, rows, dim, got)
			for k := range got {
				row := rows[k*dim : (k+1)*dim]
				want := dotGo(q, row)
				if math.Float32bits(got[k]) != math.Float32bits(want) {
					t.Fatalf("dim %d, n %d, row %d: dotRows = %v, pure Go = %v", dim, n, k, got[k], want)
				}
				if d := dot(q, row); math.Float32bits(d) != math.Float32bits(want) {
					t.Fatalf("dim %d, row %d: dot = %v, pure Go = %v", dim, k, d, want)
				}
			}
		}
	}
}

func BenchmarkDotRows10k(b *testing.B) {
	const dim, n = 256, 10_000
	q := make([]float32, dim)
	rows := make([]float32, n*dim)
	for i := range rows {
		rows[i] = float32(i%13) / 13
	}
	for i := range q {
		q[i] = float32(i%7) / 7
	}
	out := make([]float32, n)
	for b.Loop() {
		for lo := 0; lo < n; lo += 256 {
			dotRows(q, rows[lo*dim:min(lo+256, n)*dim], dim, out[lo:min(lo+256, n)])
		}
	}
}
