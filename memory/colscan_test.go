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
