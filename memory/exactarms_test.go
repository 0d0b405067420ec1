package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The keyword, entity and temporal arms are exact: a bank with an HNSW
// graph (cosines from the sparse copies, day buckets read in order) and
// one without (cosines from the column scan) rank the same memories with
// the same scores, to the bit.
func TestExactArmsSameWithAndWithoutGraph(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(5, 8))
	people := []string{"Mina", "Jun", "Sora", "Dana", "Raj", "Priya"}
	places := []string{"Seoul", "Busan", "Paris", "Lisbon"}
	emb := memory.OfflineEmbedder{}
	base := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	var ms []memory.Memory
	for i := range 1200 {
		p, q, pl := people[r.IntN(len(people))], people[r.IntN(len(people))], places[r.IntN(len(places))]
		text := fmt.Sprintf("%s met %s in %s for project %d.", p, q, pl, i%37)
		v, err := emb.EmbedQuery(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Duration(r.IntN(90*24)) * time.Hour)
		ms = append(ms, memory.Memory{ID: fmt.Sprintf("m%04d", i), Bank: "b", Kind: memory.KindWorld, Text: text,
			Vector: v, Entities: []string{p, q, pl}, OccurredStart: at, Sparse: memory.DefaultBM25.Document(text)})
	}
	exact, graph := memory.NewEmbeddedStore(), mustOpen(t, memory.EmbeddedOptions{HNSWThreshold: 1})
	defer exact.Close()
	defer graph.Close()
	for _, s := range []*memory.EmbeddedStore{exact, graph} {
		if err := s.Upsert(ctx, ms); err != nil {
			t.Fatal(err)
		}
		// a few removals leave free (or stale) slots behind
		if err := s.Delete(ctx, "b", []string{"m0003", "m0500", "m0901"}); err != nil {
			t.Fatal(err)
		}
	}
	for qi, query := range []string{"Mina met Jun in Paris", "project 12 in Lisbon", "Dana"} {
		dense, err := emb.EmbedQuery(ctx, query)
		if err != nil {
			t.Fatal(err)
		}
		from := base.Add(time.Duration(qi*20) * 24 * time.Hour)
		req := memory.SearchRequest{Bank: "b", Limit: 50, Dense: dense, Sparse: memory.DefaultBM25.Query(query),
			Entities: memory.DetectEntities(query, nil), Window: &memory.TimeRange{Start: from, End: from.Add(10 * 24 * time.Hour)}}
		got := map[string][memory.NumArms][]string{}
		for name, s := range map[string]*memory.EmbeddedStore{"exact": exact, "graph": graph} {
			res, err := s.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			var arms [memory.NumArms][]string
			for a := range arms {
				arms[a] = make([]string, req.Limit)
			}
			for _, c := range res.Candidates {
				for a, rank := range c.Ranks {
					if rank > 0 {
						arms[a][rank-1] = fmt.Sprintf("%s %v", c.Memory.ID, c.Scores[a])
					}
				}
			}
			got[name] = arms
		}
		for _, a := range []memory.Arm{memory.ArmKeyword, memory.ArmEntity, memory.ArmTemporal} {
			e, g := got["exact"][a], got["graph"][a]
			if e[0] == "" {
				t.Fatalf("query %q: the %s arm found nothing", query, a)
			}
			for k := range e {
				if e[k] != g[k] {
					t.Fatalf("query %q, %s arm, rank %d: exact %q, graph %q", query, a, k+1, e[k], g[k])
				}
			}
		}
	}
}

func mustOpen(t *testing.T, o memory.EmbeddedOptions) *memory.EmbeddedStore {
	t.Helper()
	s, err := memory.OpenEmbedded(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
