package memory_test

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// Replacing and deleting memories of a bank that has an HNSW index must
// keep it searchable: upserting existing ids again used to panic inside
// the index, and searches must never return removed memories.
func TestHNSWReplaceAndDelete(t *testing.T) {
	ctx := context.Background()
	ms := synthCorpus(600)
	ids := make([]string, len(ms))
	for i := range ms {
		ids[i] = ms[i].ID
	}
	exact := memory.NewEmbeddedStore()
	approx, err := memory.OpenEmbedded(memory.EmbeddedOptions{HNSWThreshold: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer exact.Close()
	defer approx.Close()
	q, _ := memory.OfflineEmbedder{}.EmbedQuery(ctx, "Mina met Joon in Seoul")
	req := memory.SearchRequest{Bank: "u", Limit: 10, Dense: q, MinSimilarity: -1}
	steps := []struct {
		name string
		do   func(memory.Store) error
		want int // memories left
	}{
		{"upsert all", func(s memory.Store) error { return s.Upsert(ctx, ms) }, 600},
		{"replace 300", func(s memory.Store) error { return s.Upsert(ctx, ms[:300]) }, 600},
		{"delete 599", func(s memory.Store) error { return s.Delete(ctx, "u", ids[:599]) }, 1},
		{"re-add 500", func(s memory.Store) error { return s.Upsert(ctx, ms[:500]) }, 501},
		{"delete 100", func(s memory.Store) error { return s.Delete(ctx, "u", ids[200:300]) }, 401},
		{"replace 400", func(s memory.Store) error { return s.Upsert(ctx, ms[100:500]) }, 501},
	}
	for _, st := range steps {
		for _, s := range []memory.Store{exact, approx} {
			if err := st.do(s); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if n, err := s.Count(ctx, "u", memory.Filter{}); err != nil || n != st.want {
				t.Fatalf("%s: Count = %d, %v; want %d", st.name, n, err, st.want)
			}
		}
		a, err := exact.Search(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := approx.Search(ctx, req)
		if err != nil {
			t.Fatalf("%s: search: %v", st.name, err)
		}
		if len(b.Candidates) != len(a.Candidates) {
			t.Fatalf("%s: HNSW store found %d memories, exact %d", st.name, len(b.Candidates), len(a.Candidates))
		}
		live, err := approx.Get(ctx, "u", ids)
		if err != nil {
			t.Fatal(err)
		}
		alive := map[string]bool{}
		for _, m := range live {
			alive[m.ID] = true
		}
		floor := a.Candidates[len(a.Candidates)-1].Scores[memory.ArmSemantic] - 1e-6
		good := 0
		for _, c := range b.Candidates {
			if !alive[c.Memory.ID] {
				t.Fatalf("%s: HNSW store returned removed memory %q", st.name, c.Memory.Text)
			}
			if c.Scores[memory.ArmSemantic] >= floor {
				good++
			}
		}
		if good < min(8, len(a.Candidates)) {
			t.Errorf("%s: %d of %d HNSW hits score at least the exact 10th best", st.name, good, len(b.Candidates))
		}
	}
}
