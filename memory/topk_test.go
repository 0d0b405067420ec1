package memory

import (
	"fmt"
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
	slices.SortFunc(all, func(a, b scored) int {
		if better(&a, &b) {
			return -1
		}
		return 1
	})
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
