package memory

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestColScanSameBits: the column scan of a sparse query gives, for every
// slot, the bits of the row dot product, for dimensions that are and are
// not multiples of 8 and slot counts around the block size, with the
// AVX2 kernel and without it.
func TestColScanSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for _, avx := range []bool{true, false} {
		saved := useAVX2
		useAVX2 = useAVX2 && avx
		for _, dim := range []int{4, 8, 12, 256, 259} {
			for _, n := range []int{1, 255, 256, 257, 700} {
				b := newBankIndex()
				rows := make([]float32, n*dim)
				for s := range n {
					v := rows[s*dim : (s+1)*dim]
					for d := range v {
						if r.IntN(3) > 0 {
							v[d] = float32(r.NormFloat64())
						}
					}
					b.setCol(int32(s), dim, v)
				}
				q := make([]float32, dim)
				for range max(1, dim/5) {
					q[r.IntN(dim)] = float32(r.NormFloat64())
				}
				idx, val, ok := sparseDims(q)
				if !ok {
					t.Fatalf("dim %d: query with %d of %d dimensions set not sparse", dim, len(idx), dim)
				}
				got := make([]float32, n)
				colScan(b.cols, dim, idx, val, got)
				for s := range got {
					want := dot(q, rows[s*dim:(s+1)*dim])
					if math.Float32bits(got[s]) != math.Float32bits(want) {
						t.Fatalf("avx %v, dim %d, n %d, slot %d: column scan %v, dot %v", avx, dim, n, s, got[s], want)
					}
				}
			}
		}
		useAVX2 = saved
	}
}

func TestSparseDims(t *testing.T) {
	q := make([]float32, 16)
	q[3], q[9] = 0.5, -0.25
	idx, val, ok := sparseDims(q)
	if !ok || len(idx) != 2 || idx[0] != 3 || idx[1] != 9 || val[0] != 0.5 || val[1] != -0.25 {
		t.Fatalf("sparseDims = %v %v %v", idx, val, ok)
	}
	for d := range 5 {
		q[d] = 1
	}
	if _, _, ok := sparseDims(q); ok {
		t.Fatal("6 of 16 dimensions set: want the row scan")
	}
	if _, _, ok := sparseDims(make([]float32, 16)); ok {
		t.Fatal("zero query: want the row scan")
	}
}

// TestDotSparseSameBits: the dot product over a vector's non-zero
// dimensions has the bits of the full one.
func TestDotSparseSameBits(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 4))
	for _, dim := range []int{4, 8, 12, 256, 259} {
		for range 200 {
			q, v := make([]float32, dim), make([]float32, dim)
			for d := range q {
				q[d] = float32(r.NormFloat64())
			}
			for range max(1, dim/5) {
				v[r.IntN(dim)] = float32(r.NormFloat64())
			}
			sp := sparseVec(v)
			if sp == nil {
				t.Fatalf("dim %d: sparse vector not kept", dim)
			}
			if got, want := dotSparse(q, sp), dot(q, v); math.Float32bits(got) != math.Float32bits(want) {
				t.Fatalf("dim %d: sparse dot %v, dot %v", dim, got, want)
			}
		}
	}
	if sparseVec(make([]float32, 8)) != nil || sparseVec([]float32{1, 1, 1, 0, 0, 0, 0, 0}) != nil {
		t.Fatal("zero or dense vector kept as sparse")
	}
}

// BenchmarkColScan10k scores 10,000 slots for a query with 16 of 256
// dimensions set (the offline embedder's queries have 3 to 21), against
// BenchmarkDotRows10k's full rows.
func BenchmarkColScan10k(b *testing.B) {
	const dim, n = 256, 10_000
	bi := newBankIndex()
	v := make([]float32, dim)
	for s := range n {
		for d := range v {
			v[d] = float32((s+d)%13) / 13
		}
		bi.setCol(int32(s), dim, v)
	}
	q := make([]float32, dim)
	for k := range 16 {
		q[k*16+3] = float32(k+1) / 16
	}
	idx, val, _ := sparseDims(q)
	out := make([]float32, n)
	for b.Loop() {
		colScan(bi.cols, dim, idx, val, out)
	}
}

// nextAtLeast finds what a plain loop finds, from every start, for
// lengths around the vector width, thresholds on and between the values,
// NaN values (never at least anything) and a NaN threshold (nothing at
// least it), with the AVX2 kernel and without it.
func TestNextAtLeast(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 7))
	nan := float32(math.NaN())
	for _, avx := range []bool{true, false} {
		saved := useAVX2
		useAVX2 = useAVX2 && avx
		for trial := range 3000 {
			s := make([]float32, r.IntN(41))
			for i := range s {
				s[i] = float32(r.IntN(21)-10) / 4
				if r.IntN(30) == 0 {
					s[i] = nan
				}
			}
			thr := float32(r.IntN(25)-12)/4 + []float32{0, 0.125, -0.125}[r.IntN(3)]
			if trial%100 == 0 {
				thr = nan
			}
			for from := 0; from <= len(s)+1; from++ {
				want := len(s)
				for i := from; i < len(s); i++ {
					if s[i] >= thr {
						want = i
						break
					}
				}
				if got := nextAtLeast(s, from, thr); got != want {
					t.Fatalf("avx %v: nextAtLeast(%v, %d, %v) = %d, want %d", avx, s, from, thr, got, want)
				}
			}
		}
		useAVX2 = saved
	}
}

// For a float32 s, s >= atLeast32(x) exactly when float64(s) >= x, and
// s >= above32(x) exactly when float64(s) > x: for x on a float32, just
// off one either way, beyond the float32 range, infinite and NaN, and s
// around it.
func TestFloat32Thresholds(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 8))
	up, down := float32(math.Inf(1)), float32(math.Inf(-1))
	xs := []float64{0, math.Copysign(0, -1), 1, -1, 0.3, -0.3, math.MaxFloat32, -math.MaxFloat32, 1e39, -1e39, math.Inf(1), math.Inf(-1), math.NaN(), 1e-46, -1e-46}
	for range 2000 {
		f := float32(r.NormFloat64())
		xs = append(xs, float64(f), math.Nextafter(float64(f), math.Inf(1)), math.Nextafter(float64(f), math.Inf(-1)), r.NormFloat64())
	}
	for _, x := range xs {
		f := float32(x)
		ss := []float32{f, math.Nextafter32(f, up), math.Nextafter32(f, down), up, down, 0, float32(math.NaN())}
		for _, s := range ss {
			geWant := float64(s) >= x
			if math.IsNaN(x) {
				geWant = !math.IsNaN(float64(s)) // NaN: turns nothing away
			}
			if got := s >= atLeast32(x); got != geWant {
				t.Fatalf("x %v, s %v: s >= atLeast32(x) = %v (atLeast32 %v), want %v", x, s, got, atLeast32(x), geWant)
			}
			if math.IsNaN(x) {
				continue
			}
			if got, want := s >= above32(x), float64(s) > x; got != want {
				t.Fatalf("x %v, s %v: s >= above32(x) = %v (above32 %v), want %v", x, s, got, above32(x), want)
			}
		}
	}
}
