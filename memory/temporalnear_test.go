package memory_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The temporal arm without a query vector (retain's search for temporal
// neighbours) ranks by closeness of a memory's span middle to the
// window's middle. The embedded store reads only the records around that
// middle in its sorted day buckets; it must return exactly what ranking
// every memory of the window returns: same memories, order and scores,
// with ties (many memories at one instant), spans over several days,
// spans too long for the buckets, replacements, deletes and a filter,
// with and without an HNSW graph.
func TestTemporalClosenessSameAsFullRanking(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(11, 3))
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	var ms []memory.Memory
	for i := range 3000 {
		m := memory.Memory{ID: fmt.Sprintf("t%05d", r.IntN(1_000_000)), Bank: "b", Kind: memory.KindWorld,
			Text: fmt.Sprintf("note %d", i), Vector: []float32{1, float32(i%7) + 1, 0, 0}}
		if i%5 == 0 {
			m.Tags = []string{"work"}
		}
		switch i % 10 {
		case 0, 1, 2: // mention time only, many at the same instants
			m.MentionedAt = base.Add(time.Duration(r.IntN(40)) * 6 * time.Hour)
		case 3: // a span of up to four days
			m.OccurredStart = base.Add(time.Duration(r.IntN(30*24)) * time.Hour)
			m.OccurredEnd = m.OccurredStart.Add(time.Duration(r.IntN(4*24)) * time.Hour)
		case 4: // a span too long for the day buckets
			m.OccurredStart = base.Add(-time.Duration(r.IntN(200*24)) * time.Hour)
			m.OccurredEnd = m.OccurredStart.Add(time.Duration(70+r.IntN(200)) * 24 * time.Hour)
		default:
			m.OccurredStart = base.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
		}
		ms = append(ms, m)
	}
	exact, graph := memory.NewEmbeddedStore(), mustOpen(t, memory.EmbeddedOptions{HNSWThreshold: 1})
	defer exact.Close()
	defer graph.Close()
	live := map[string]memory.Memory{}
	for _, s := range []*memory.EmbeddedStore{exact, graph} {
		for i := 0; i < len(ms); i += 500 {
			if err := s.Upsert(ctx, ms[i:i+500]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, m := range ms {
		live[m.ID] = m
	}
	// replace some (new times) and delete some
	var repl []memory.Memory
	var del []string
	for i := 0; i < len(ms); i += 7 {
		m := ms[i]
		if i%2 == 0 {
			del = append(del, m.ID)
			continue
		}
		m.OccurredStart, m.OccurredEnd = base.Add(time.Duration(r.IntN(30*24))*time.Hour), time.Time{}
		repl = append(repl, m)
	}
	for _, s := range []*memory.EmbeddedStore{exact, graph} {
		if err := s.Upsert(ctx, repl); err != nil {
			t.Fatal(err)
		}
		if err := s.Delete(ctx, "b", del); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range repl {
		live[m.ID] = m
	}
	for _, id := range del {
		delete(live, id)
	}
	type want struct {
		id    string
		score float64
	}
	for wi := range 60 {
		from := base.Add(time.Duration(r.IntN(34*24)-48) * time.Hour)
		w := memory.TimeRange{Start: from, End: from.Add(time.Duration(1+r.IntN(5*24)) * time.Hour)}
		switch wi % 8 {
		case 1: // wider than the bank's days: the buckets are listed
			w.End = w.Start.Add(400 * 24 * time.Hour)
		case 2: // open at one side or the other
			w.Start = time.Time{}
		case 6:
			w.End = time.Time{}
		}
		var f memory.Filter
		if wi%3 == 0 {
			f.TagsAny = []string{"work"}
		}
		limit := []int{1, 5, 20, 60, 300}[wi%5]
		lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
		if !w.Start.IsZero() {
			lo = w.Start.UnixNano()
		}
		if !w.End.IsZero() {
			hi = w.End.UnixNano()
		}
		mid := float64(lo/2 + hi/2)
		var all []want
		for _, m := range live {
			s, e, ok := m.When()
			if !ok || !w.Overlaps(s, e) || !f.Match(&m) {
				continue
			}
			all = append(all, want{m.ID, -math.Abs(float64(s.UnixNano()/2+e.UnixNano()/2) - mid)})
		}
		slices.SortFunc(all, func(a, b want) int {
			if c := cmp.Compare(b.score, a.score); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		all = all[:min(limit, len(all))]
		for name, s := range map[string]*memory.EmbeddedStore{"exact": exact, "graph": graph} {
			res, err := s.Search(ctx, memory.SearchRequest{Bank: "b", Limit: limit, Window: &w, Filter: f})
			if err != nil {
				t.Fatal(err)
			}
			got := make([]want, len(res.Candidates))
			for _, c := range res.Candidates {
				rank := c.Ranks[memory.ArmTemporal]
				if rank < 1 || rank > len(got) {
					t.Fatalf("%s window %d: candidate %s has temporal rank %d of %d", name, wi, c.Memory.ID, rank, len(got))
				}
				got[rank-1] = want{c.Memory.ID, c.Scores[memory.ArmTemporal]}
			}
			if !slices.Equal(got, all) {
				t.Fatalf("%s window %d (%s, limit %d, filter %v): got %d hits %v,\nwant %d %v", name, wi, w, limit, f.TagsAny, len(got), got, len(all), all)
			}
		}
	}
}
