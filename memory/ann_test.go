package memory

import (
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// Where the HNSW package builds, a threshold gives banks a graph once they
// are large enough; where it does not (windows), OpenEmbedded refuses the
// threshold with an error that says why, and the exact scan is the only
// semantic search.
func TestHNSWThresholdOnThisPlatform(t *testing.T) {
	s, err := OpenEmbedded(EmbeddedOptions{HNSWThreshold: 2})
	if !hnswAvailable {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), runtime.GOOS) || !strings.Contains(err.Error(), "leave it 0") {
			t.Fatalf("OpenEmbedded with a threshold on %s = %v, want ErrInvalid naming the platform and the fix", runtime.GOOS, err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	b := newBankIndex()
	for i, v := range [][]float32{{1, 0}, {0, 1}, {0.6, 0.8}} {
		b.put(&Memory{ID: string(rune('a' + i)), Bank: "b", Text: "x", Vector: v}, 2, 2)
	}
	if b.graph == nil {
		t.Fatal("a bank at the threshold has no graph")
	}
	got := b.graph.search([]float32{1, 0}, 2)
	slices.Sort(got)
	if want := []int32{b.byID["a"], b.byID["c"]}; !slices.Equal(got, want) {
		t.Fatalf("the 2 nearest to (1,0) = slots %v, want a and c %v", got, want)
	}
	_ = s
}
