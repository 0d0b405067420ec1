package memory

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// A memory whose numbers are not finite would break cosine ranking in
// memory and cannot be written to the store file; it is rejected with an
// error naming the memory and the field.
func TestValidateRejectsNonFinite(t *testing.T) {
	base := Memory{ID: "m1", Bank: "b", Kind: KindWorld, Text: "x", Vector: []float32{1, 0}}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name string
		edit func(*Memory)
		want string
	}{
		{"vector NaN", func(m *Memory) { m.Vector = []float32{1, nan} }, "vector[1]"},
		{"vector Inf", func(m *Memory) { m.Vector = []float32{inf, 0} }, "vector[0]"},
		{"confidence NaN", func(m *Memory) { m.Confidence = math.NaN() }, "confidence"},
		{"link weight NaN", func(m *Memory) { m.Links = []Link{{Target: "t", Kind: LinkEntity, Weight: nan}} }, "links[0]"},
		{"sparse NaN", func(m *Memory) { m.Sparse = SparseVector{Indices: []uint32{3}, Values: []float32{nan}} }, "position 0"},
	}
	for _, c := range cases {
		m := base.Clone()
		c.edit(&m)
		err := m.Validate()
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "m1") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want ErrInvalid naming m1 and %q", c.name, err, c.want)
		}
	}
	if err := base.Validate(); err != nil {
		t.Fatalf("valid memory: %v", err)
	}

	s, err := OpenEmbedded(EmbeddedOptions{Path: filepath.Join(t.TempDir(), "m.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	bad := base.Clone()
	bad.Confidence = math.NaN()
	if err := s.Upsert(context.Background(), []Memory{bad}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Upsert(NaN confidence) = %v, want ErrInvalid", err)
	}
}

// A query vector that is not finite would rank every memory as NaN; the
// search is refused instead, naming the component.
func TestSearchRejectsNonFiniteQuery(t *testing.T) {
	s := NewEmbeddedStore()
	defer s.Close()
	ctx := context.Background()
	if err := s.Upsert(ctx, []Memory{{ID: "m1", Bank: "b", Kind: KindWorld, Text: "x", Vector: []float32{1, 0}}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Search(ctx, SearchRequest{Bank: "b", Limit: 5, Dense: []float32{0, float32(math.NaN())}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "vector[1]") {
		t.Fatalf("Search(NaN query) = %v, want ErrInvalid naming vector[1]", err)
	}
}
