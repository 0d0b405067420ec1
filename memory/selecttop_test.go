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

// kthLargest and kthLargestSim give exactly the k-th largest of the values
// that count (at least atLeast; for sims, of live slots only), or atLeast
// when fewer than k count, for distinct values and ties, given in random,
// rising and falling order: the order in which the heap fills and the
// values it turns away without adding them change nothing.
func TestKthLargestExact(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	for trial := range 600 {
		n := 1 + r.IntN(3000)
		vals := make([]float64, n)
		for i := range vals {
			if trial%3 == 0 {
				vals[i] = float64(r.IntN(9)) / 8 // ties
			} else {
				vals[i] = 2*r.Float64() - 1
			}
		}
		switch trial % 4 {
		case 1:
			slices.Sort(vals)
		case 2:
			slices.Sort(vals)
			slices.Reverse(vals)
		}
		// sims are float32: the reference is taken over what they hold
		sims := make([]float32, n)
		for i, v := range vals {
			sims[i] = float32(v)
		}
		b := &bankIndex{entries: make([]entry, n), byID: map[string]int32{}}
		for i := range b.entries {
			if trial%2 == 0 || r.IntN(4) > 0 {
				b.entries[i].alive = true
				b.byID[fmt.Sprint(i)] = int32(i)
			}
		}
		slots := make([]int32, n)
		for i := range slots {
			slots[i] = int32(i)
		}
		atLeast := []float64{-2, -0.25, 0.5}[trial%3]
		k := []int{1, 2, 7, 200, n / 2, n, n + 1}[r.IntN(7)]
		if k == 0 {
			k = 1
		}
		var all, live []float64
		for i, v := range vals {
			if v >= atLeast {
				all = append(all, v)
			}
			if s := float64(sims[i]); s >= atLeast && b.entries[i].alive {
				live = append(live, s)
			}
		}
		kth := func(vs []float64) float64 {
			if len(vs) < k {
				return atLeast
			}
			s := slices.Clone(vs)
			slices.Sort(s)
			return s[len(s)-k]
		}
		if got, want := kthLargest(vals, slots, k, atLeast), kth(all); got != want {
			t.Fatalf("trial %d (n=%d, k=%d, at least %v): kthLargest %v, want %v", trial, n, k, atLeast, got, want)
		}
		if got, want := kthLargestSim(b, sims, k, atLeast), kth(live); got != want {
			t.Fatalf("trial %d (n=%d, k=%d, at least %v, %d live): kthLargestSim %v, want %v", trial, n, k, atLeast, len(b.byID), got, want)
		}
	}
}

// kthSelect gives the k-th largest for every k, by its quickselect and by
// the sort it falls back to after a few pivots or none.
func TestKthSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 1))
	for trial := range 400 {
		n := 1 + r.IntN(300)
		vs := make([]float64, n)
		for i := range vs {
			vs[i] = float64(r.IntN(1 + trial%40))
		}
		if trial%5 == 1 {
			slices.Sort(vs)
		}
		want := slices.Clone(vs)
		slices.Sort(want)
		slices.Reverse(want)
		for _, depth := range []int{0, 1, 3, 64} {
			for _, k := range []int{1, 2, n / 3, n / 2, n - 1, n} {
				if k < 1 || k > n {
					continue
				}
				in := slices.Clone(vs)
				if got := kthSelect(in, k, depth); got != want[k-1] {
					t.Fatalf("trial %d (n=%d), depth %d, k %d: got %v, want %v", trial, n, depth, k, got, want[k-1])
				}
			}
		}
	}
}
