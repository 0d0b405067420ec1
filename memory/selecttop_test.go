package memory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// sortCandsTop leaves the n best candidates in front, in sorted order,
// and the others after them; kthLargest finds the k-th largest value.
func TestSelectTop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, 2, 5, 100, 1000} {
		for _, n := range []int{1, 3, 50, 384, 2000} {
			ms := make([]Memory, size)
			cs := make([]cand, size)
			for i := range cs {
				ms[i].ID = fmt.Sprintf("m%04d", i)
				// few distinct scores: ties go to the id
				cs[i] = cand{m: &ms[i], score: float64(r.IntN(7))}
			}
			r.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
			want := slices.Clone(cs)
			sortCands(want)
			sortCandsTop(cs, n)
			k := min(n, size)
			for i := range k {
				if cs[i].m != want[i].m {
					t.Fatalf("size %d, n %d: position %d is %s, want %s", size, n, i, cs[i].m.ID, want[i].m.ID)
				}
			}
			rest := slices.Clone(cs[k:])
			sortCands(rest)
			for i := range rest {
				if rest[i].m != want[k+i].m {
					t.Fatalf("size %d, n %d: the rest differs at %d", size, n, i)
				}
			}
		}
	}
	for _, size := range []int{1, 10, 1000} {
		acc := make([]float64, size)
		slots := make([]int32, size)
		for i := range acc {
			acc[i] = float64(r.IntN(20)) / 4
			slots[i] = int32(i)
		}
		sorted := slices.Clone(acc)
		slices.Sort(sorted)
		slices.Reverse(sorted)
		for _, k := range []int{1, 2, size / 2, size} {
			if k == 0 || k > size {
				continue
			}
			if got := kthLargest(acc, slots, k, -1); got != sorted[k-1] {
				t.Fatalf("size %d, k %d: kthLargest %v, want %v", size, k, got, sorted[k-1])
			}
		}
		// only values >= atLeast count
		var above []float64
		for _, v := range sorted {
			if v >= 2 {
				above = append(above, v)
			}
		}
		if k := len(above); k > 0 {
			if got := kthLargest(acc, slots, k, 2); got != above[k-1] {
				t.Fatalf("size %d: kthLargest above 2 = %v, want %v", size, got, above[k-1])
			}
		}
		if got := kthLargest(acc, slots, len(above)+1, 2); got != 2 {
			t.Fatalf("size %d: too few above 2: got %v, want 2", size, got)
		}
	}
}
