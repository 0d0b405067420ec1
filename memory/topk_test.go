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
