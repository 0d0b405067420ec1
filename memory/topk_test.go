package memory

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTopKKeepsBestInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var all []scored
	tk := newTopK(7, nil)
	for i := 0; i < 500; i++ {
		s := scored{slot: int32(i), score: float64(r.IntN(50)), id: fmt.Sprintf("id%03d", i)}
		all = append(all, s)
		tk.push(s)
	}
	sortByBetter(all)
	got := tk.sorted()
	if len(got) != 7 {
		t.Fatalf("len = %d, want 7", len(got))
	}
	for i := range got {
		if got[i].id != all[i].id || got[i].score != all[i].score {
			t.Fatalf("rank %d = %+v, want %+v", i+1, got[i], all[i])
		}
	}
}

// Where two ids' keys differ they order as the ids do, and better breaks
// score ties by id whether or not the keys are set.
func TestIDKeyOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	ids := []string{"", "a", "ab", "ab\x00", "abc", "abcdefgh", "abcdefghi", "abcdefgi", "b", "\xff"}
	for range 300 {
		n := r.IntN(12)
		b := make([]byte, n)
		for i := range b {
			b[i] = "ab\x00\xffz"[r.IntN(5)]
		}
		ids = append(ids, string(b))
	}
	for _, x := range ids {
		for _, y := range ids {
			if kx, ky := idKey(x), idKey(y); kx != ky && (kx < ky) != (x < y) {
				t.Fatalf("idKey(%q) = %x, idKey(%q) = %x: order differs from the ids'", x, kx, y, ky)
			}
			a, b := scored{score: 1, id: x, key: idKey(x)}, scored{score: 1, id: y, key: idKey(y)}
			if x != y && better(&a, &b) != (x < y) {
				t.Fatalf("better(%q, %q) = %v", x, y, better(&a, &b))
			}
		}
	}
}

// Refusing with wouldKeepKey keeps the same hits as pushing everything:
// it only turns away ties whose id sorts after the worst kept one.
func TestWouldKeepKey(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 1))
	all, some := newTopK(20, nil), newTopK(20, nil)
	refused := 0
	for i := range 2000 {
		id := fmt.Sprintf("%08x", r.Uint32())
		s := scored{slot: int32(i), score: float64(r.IntN(4)), id: id, key: idKey(id)}
		all.push(s)
		if some.wouldKeepKey(s.score, s.key) {
			some.push(s)
		} else {
			refused++
		}
	}
	a, b := all.sorted(), some.sorted()
	if refused == 0 || !slices.EqualFunc(a, b, func(x, y scored) bool { return x.id == y.id && x.score == y.score }) {
		t.Fatalf("refused %d; with every push %v, with refusals %v", refused, a, b)
	}
}

// sorted gives the best k in the order of better, with ties of score, of
// id key (ids sharing their first eight bytes) and hits without a key,
// for every k from 1 to more than were pushed.
func TestTopKSortedOrderWithTies(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	for trial := range 400 {
		n := 1 + r.IntN(700)
		k := []int{1, 2, 3, 7, 64, 300, 1000}[trial%7]
		tk := newTopK(k, nil)
		all := make([]scored, 0, n)
		for i := range n {
			id := fmt.Sprintf("%s%04d", []string{"mem-0000", "mem-0001", "x"}[r.IntN(3)], r.IntN(10000)) + fmt.Sprint(i)
			s := scored{slot: int32(i), score: float64(r.IntN(6)) / 2, id: id}
			if r.IntN(4) > 0 {
				s.key = idKey(id)
			}
			all = append(all, s)
			tk.push(s)
		}
		sortByBetter(all)
		want := all[:min(k, n)]
		got := tk.sorted()
		if !slices.EqualFunc(got, want, func(x, y scored) bool { return x.id == y.id && x.slot == y.slot && x.score == y.score }) {
			t.Fatalf("trial %d (n=%d, k=%d):\ngot  %v\nwant %v", trial, n, k, got, want)
		}
	}
}

// sortKeys gives the order of better for inputs in random, best-first,
// worst-first and all-tied orders, by its quicksort and by its fallback.
func TestSortKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for trial := range 300 {
		orders, want := tiedHits(r, r.IntN(2000), 1+trial%9)
		for o, in := range orders {
			for _, depth := range []int{0, 2 * 11} {
				ks := keysOf(in)
				sortKeys(ks, idsOf(in), depth)
				for i, k := range ks {
					if in[k.i].id != want[i].id {
						t.Fatalf("trial %d, order %d, depth %d: rank %d is %s, want %s", trial, o, depth, i, in[k.i].id, want[i].id)
					}
				}
			}
		}
	}
}

// selectBest leaves exactly the keep best first, for inputs in random,
// best-first, worst-first and tied orders and every kind of keep: none,
// one, all but one, all, more than all, and the rest at random.
func TestSelectBest(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for trial := range 300 {
		n := r.IntN(1500)
		orders, want := tiedHits(r, n, 1+trial%9)
		for o, in := range orders {
			for _, keep := range []int{0, 1, n - 1, n, n + 5, r.IntN(n + 1), r.IntN(n + 1)} {
				for _, depth := range []int{0, 1, 2 * 11} {
					ks := keysOf(in)
					selectBest(ks, idsOf(in), keep, depth)
					m := max(0, min(keep, n))
					got := make([]string, 0, m)
					for _, k := range ks[:m] {
						got = append(got, in[k.i].id)
					}
					seen := make(map[int32]bool, n)
					for _, k := range ks {
						seen[k.i] = true
					}
					wantIDs := make([]string, 0, m)
					for _, h := range want[:m] {
						wantIDs = append(wantIDs, h.id)
					}
					slices.Sort(got)
					slices.Sort(wantIDs)
					if len(seen) != n || !slices.Equal(got, wantIDs) {
						t.Fatalf("trial %d, order %d, keep %d, depth %d: %d distinct of %d; first %d are %v, want %v", trial, o, keep, depth, len(seen), n, m, got, wantIDs)
					}
				}
			}
		}
	}
}

// tiedHits makes n hits of levels scores (so, many ties), with ids
// sharing their first eight bytes and an id key on two in three, and
// returns them in the three orders the sort tests take: as made, best
// first and worst first; want is the best-first order.
func tiedHits(r *rand.Rand, n, levels int) (orders [][]scored, want []scored) {
	hits := make([]scored, n)
	for i := range hits {
		id := fmt.Sprintf("mem-%04d-%d", r.IntN(50), i)
		hits[i] = scored{slot: int32(i), score: float64(r.IntN(levels)), id: id}
		if r.IntN(3) > 0 {
			hits[i].key = idKey(id)
		}
	}
	want = slices.Clone(hits)
	sortByBetter(want)
	orders = [][]scored{hits, want, slices.Clone(want)}
	slices.Reverse(orders[2])
	return orders, want
}

// keysOf is the sort keys of hits.
func keysOf(hits []scored) []sortKey {
	ks := make([]sortKey, len(hits))
	for i := range hits {
		ks[i] = sortKey{score: hits[i].score, key: hits[i].key, i: int32(i)}
	}
	return ks
}

// sortByBetter sorts hits best first by better: the reference order.
func sortByBetter(hits []scored) {
	slices.SortFunc(hits, func(a, b scored) int {
		if better(&a, &b) {
			return -1
		}
		return 1
	})
}

// A long stream raises the floor, and ties at it cut the buffer to k; a
// caller refusing hits with wouldKeep or wouldKeepKey in between still
// gets the k best of everything, in order, whether the scores are many
// ties or all distinct, rising, falling or random. The reused buffers
// start each topK empty.
func TestTopKRaisesAndCuts(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	raised, cut := 0, 0
	for trial := range 600 {
		k := []int{1, 2, 5, 20, 64, 300}[trial%6]
		n := 1 + r.IntN(6000)
		levels := []int{2, 5, 50, 0}[r.IntN(4)] // 0: all distinct
		order := r.IntN(3)                      // random, rising, falling
		refuse := r.IntN(3)                     // none, wouldKeep, wouldKeepKey
		buf := make([]scored, 0, k)
		tk := newTopK(k, buf)
		all := make([]scored, 0, n)
		for i := range n {
			id := fmt.Sprintf("%s%05d-%d", []string{"mem-0000", "mem-0001", "z"}[r.IntN(3)], r.IntN(100000), i)
			var sc float64
			switch {
			case levels == 0 && order == 1:
				sc = float64(i)
			case levels == 0 && order == 2:
				sc = float64(n - i)
			case levels == 0:
				sc = r.Float64()
			default:
				sc = float64(r.IntN(levels))
			}
			s := scored{slot: int32(i), score: sc, id: id}
			if r.IntN(5) > 0 {
				s.key = idKey(id)
			}
			all = append(all, s)
			switch {
			case refuse == 1 && !tk.wouldKeep(s.score):
				continue
			case refuse == 2 && !tk.wouldKeepKey(s.score, s.key):
				continue
			}
			tk.push(s)
		}
		if tk.set {
			raised++
		}
		if tk.cut {
			cut++
		}
		sortByBetter(all)
		want := all[:min(k, n)]
		got := tk.sorted()
		if !slices.EqualFunc(got, want, func(x, y scored) bool { return x.id == y.id && x.slot == y.slot && x.score == y.score }) {
			t.Fatalf("trial %d (n=%d, k=%d, levels %d, order %d, refuse %d):\ngot  %v\nwant %v", trial, n, k, levels, order, refuse, got, want)
		}
		if len(got) > 0 && &got[0] != &buf[:1][0] {
			t.Fatalf("trial %d: the result is not in the storage newTopK was given", trial)
		}
	}
	if raised < 100 || cut < 50 {
		t.Fatalf("the floor was raised in %d trials and the buffer cut in %d: the test does not reach them", raised, cut)
	}
}

// Hits of any scores come out in the order of better, however many: of
// both signs, zero of both signs (equal, so their order is the ids'),
// tiny and huge magnitudes, infinities, cosines widened from float32,
// and many ties; short runs (insertion sort) and long ones.
func TestTopKOrderAnyScores(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	pick := func() float64 {
		switch r.IntN(9) {
		case 0:
			return math.Copysign(0, -1)
		case 1:
			return 0
		case 2:
			return -r.Float64()
		case 3:
			return float64(float32(r.Float64()*2 - 1))
		case 4:
			return math.Ldexp(r.Float64(), r.IntN(2000)-1000)
		case 5:
			return -math.Ldexp(r.Float64(), r.IntN(2000)-1000)
		case 6:
			return []float64{math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64}[r.IntN(5)]
		case 7:
			return float64(r.IntN(3)) - 1
		}
		return r.Float64()
	}
	for trial := range 500 {
		n := []int{2, 10, 64, 65, 100, 1000, 3000}[trial%7]
		tk := newTopK(n, nil)
		all := make([]scored, 0, n)
		for i := range n {
			id := fmt.Sprintf("%s%d", []string{"mem-0000", "m", ""}[r.IntN(3)], r.IntN(1000000)) + fmt.Sprint("-", i)
			s := scored{slot: int32(i), score: pick(), id: id}
			if r.IntN(4) > 0 {
				s.key = idKey(id)
			}
			all = append(all, s)
			tk.push(s)
		}
		sortByBetter(all)
		got := tk.sorted()
		if !slices.EqualFunc(got, all, func(x, y scored) bool { return x.slot == y.slot }) {
			t.Fatalf("trial %d (n=%d):\ngot  %v\nwant %v", trial, n, got, all)
		}
	}
}

// idsOf is the ids of hits, as sortKeys and selectBest take them.
func idsOf(hits []scored) []string {
	ids := make([]string, len(hits))
	for i := range hits {
		ids[i] = hits[i].id
	}
	return ids
}
