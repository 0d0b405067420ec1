package memory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// floorTop must keep exactly what a topK of the same size keeps, in the
// same order, for streams in rising, falling and random order, with many
// ties.
func TestFloorTopSameAsTopK(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 300, 1000, 20000} {
		for _, k := range []int{1, 3, 50, 300} {
			for _, order := range []string{"rising", "falling", "random", "ties"} {
				hits := make([]scored, n)
				perm := r.Perm(n) // ids are unique in a bank, in no order
				for i := range hits {
					id := fmt.Sprintf("id-%06d", perm[i])
					sc := r.Float64()
					switch order {
					case "rising":
						sc = float64(i) / float64(n)
					case "falling":
						sc = 1 - float64(i)/float64(n)
					case "ties":
						sc = float64(r.IntN(4)) / 4
					}
					hits[i] = scored{slot: int32(i), score: sc, id: id, key: idKey(id)}
				}
				want := newTopK(k, nil)
				got := newFloorTop(k)
				for _, h := range hits {
					if want.wouldKeep(h.score) {
						want.push(h)
					}
					if got.wouldKeep(h.score) {
						got.push(h)
					}
				}
				w, g := want.sorted(), got.sorted()
				if !slices.EqualFunc(w, g, func(a, b scored) bool { return a.slot == b.slot && a.score == b.score }) {
					t.Fatalf("n=%d k=%d %s: floorTop kept %d hits unlike topK's %d", n, k, order, len(g), len(w))
				}
			}
		}
	}
}
