package memory_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// plainStore hides every method of the embedded store but Store's, so an
// engine over it takes the general path: Search's copied Candidates and
// each memory's time read from the memory.
type plainStore struct{ memory.Store }

// The engine over the embedded store scores the store's own memories
// through pointers, with their spans in unix nanoseconds where that is
// exact; over any other store it reads copies. Both must give the same
// hits, scores (to the bit), ranks and memories, for memories with and
// without times, times far outside the nanosecond range, retained under
// the wall clock (a monotonic reading), windows from the query or the
// caller (one with a monotonic reading), and query times in and out of
// the range.
func TestDirectCandidatesSameAsCopies(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(4, 4))
	s := memory.NewEmbeddedStore()
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	direct, err := memory.New(memory.Config{Store: s, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	copies, err := memory.New(memory.Config{Store: plainStore{s}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer copies.Close()
	people := []string{"Mina", "Jun", "Sora", "Dana"}
	var items []memory.RetainItem
	for i := range 400 {
		p := people[r.IntN(len(people))]
		it := memory.RetainItem{Content: fmt.Sprintf("%s talked about project %d in Seoul. %s liked it.", p, i%23, p)}
		switch i % 6 {
		case 0: // the wall clock: a monotonic reading
			it.Options.Timestamp = time.Now()
		case 1:
			it.Options.Timestamp = now.Add(-time.Duration(r.IntN(300*24)) * time.Hour)
		case 2:
			it.Options.Timestamp = now.Add(-time.Duration(r.IntN(30*24)) * time.Hour)
			it.Options.OccurredStart = it.Options.Timestamp.Add(-48 * time.Hour)
			it.Options.OccurredEnd = it.Options.Timestamp
		case 3: // outside the nanosecond range
			it.Options.Timestamp = time.Date(1, 3, 1, 0, 0, 0, 0, time.UTC)
		case 4:
			it.Options.Timestamp = time.Date(2400, 3, 1, 0, 0, 0, 0, time.UTC)
		default:
			it.Options.Timestamp = now.Add(-time.Duration(r.IntN(14*24)) * time.Hour)
			it.Options.Tags = []string{"x"}
		}
		items = append(items, it)
	}
	if _, err := direct.RetainBatch(ctx, "b", items); err != nil {
		t.Fatal(err)
	}
	// a memory with no time at all
	v, _ := memory.OfflineEmbedder{}.EmbedQuery(ctx, "Mina talked about nothing")
	if err := s.Upsert(ctx, []memory.Memory{{ID: "untimed", Bank: "b", Kind: memory.KindWorld, Text: "Mina talked about nothing",
		Entities: []string{"Mina"}, Vector: v, Sparse: memory.DefaultBM25.Document("Mina talked about nothing")}}); err != nil {
		t.Fatal(err)
	}
	wall := time.Now()
	for _, o := range []memory.RecallOptions{
		{},
		{Facts: true},
		{QueryTime: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)},
		{QueryTime: wall},
		{Window: &memory.TimeRange{Start: now.Add(-10 * 24 * time.Hour), End: now}},
		{Window: &memory.TimeRange{Start: wall.Add(-24 * time.Hour), End: wall.Add(time.Hour)}},
		{Window: &memory.TimeRange{Start: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), End: now}},
		{Window: &memory.TimeRange{End: now.Add(-100 * 24 * time.Hour)}},
		{MaxResults: 7, Filter: memory.Filter{TagsAny: []string{"x"}}},
	} {
		for _, q := range []string{"What did Mina say about project 4?", "Seoul last week", "Jun", "지난달 Sora"} {
			a, err := direct.Recall(ctx, "b", q, o)
			if err != nil {
				t.Fatal(err)
			}
			b, err := copies.Recall(ctx, "b", q, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Hits) == 0 || len(a.Hits) != len(b.Hits) {
				t.Fatalf("%q %+v: %d hits direct, %d through copies", q, o, len(a.Hits), len(b.Hits))
			}
			for i := range a.Hits {
				ha, hb := a.Hits[i], b.Hits[i]
				if math.Float64bits(ha.Score) != math.Float64bits(hb.Score) || ha.RRF != hb.RRF || ha.Ranks != hb.Ranks {
					t.Fatalf("%q %+v: hit %d: direct %s %v %v %v, copies %s %v %v %v", q, o, i,
						ha.Memory.ID, ha.Score, ha.RRF, ha.Ranks, hb.Memory.ID, hb.Score, hb.RRF, hb.Ranks)
				}
				if !reflect.DeepEqual(ha, hb) {
					t.Fatalf("%q %+v: hit %d differs:\n%+v\n%+v", q, o, i, ha, hb)
				}
			}
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("%q %+v: results differ", q, o)
			}
		}
	}
}

// RecallOptions.NoLinks gives the same hits with their memories' Links
// left out, and nothing else changed.
func TestRecallNoLinks(t *testing.T) {
	ctx := context.Background()
	e, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	at := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	var items []memory.RetainItem
	for i := range 30 {
		items = append(items, memory.RetainItem{Content: fmt.Sprintf("Mina cooked dish %d for Jun in Busan.", i),
			Options: memory.RetainOptions{Timestamp: at.Add(time.Duration(i) * time.Minute)}})
	}
	if _, err := e.RetainBatch(ctx, "b", items); err != nil {
		t.Fatal(err)
	}
	with, err := e.Recall(ctx, "b", "What did Mina cook for Jun?", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	without, err := e.Recall(ctx, "b", "What did Mina cook for Jun?", memory.RecallOptions{NoLinks: true})
	if err != nil {
		t.Fatal(err)
	}
	links := 0
	for i := range with.Hits {
		links += len(with.Hits[i].Memory.Links)
		if without.Hits[i].Memory.Links != nil {
			t.Fatalf("hit %d keeps %d links with NoLinks", i, len(without.Hits[i].Memory.Links))
		}
		with.Hits[i].Memory.Links = nil
	}
	if links == 0 {
		t.Fatal("no hit has links: the bank was meant to link its memories")
	}
	if !reflect.DeepEqual(with, without) {
		t.Fatal("NoLinks changed more than the links")
	}
}

// byteCounter counts a text's bytes as its tokens.
type byteCounter struct{}

func (byteCounter) CountTokens(s string) int { return len(s) }

// Each engine over a shared store counts tokens with its own counter,
// whichever engine recalled a memory first and in which mode (what an
// engine computed of a memory's text is kept with the memory).
func TestRecallTokensPerEngine(t *testing.T) {
	ctx := context.Background()
	s := memory.NewEmbeddedStore()
	a, err := memory.New(memory.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := memory.New(memory.Config{Store: s, Tokens: byteCounter{}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for i := range 20 {
		if _, err := a.Retain(ctx, "b", fmt.Sprintf("Mina went to Busan on trip %d. She liked the market there.", i), memory.RetainOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	cl := memory.CL100K
	for round := range 3 {
		for _, e := range []struct {
			name  string
			e     *memory.Engine
			count func(string) int
		}{{"cl100k", a, cl.CountTokens}, {"bytes", b, byteCounter{}.CountTokens}} {
			for _, facts := range []bool{false, true} {
				res, err := e.e.Recall(ctx, "b", "Mina Busan market", memory.RecallOptions{Facts: facts, MaxResults: 50})
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Hits) == 0 {
					t.Fatal("no hits")
				}
				total := 0
				for _, h := range res.Hits {
					if want := e.count(h.Text); h.Tokens != want {
						t.Fatalf("round %d, %s, facts %v: %q has %d tokens, want %d", round, e.name, facts, h.Text, h.Tokens, want)
					}
					total += h.Tokens
				}
				if res.Tokens != total {
					t.Fatalf("round %d, %s: result tokens %d, hits sum to %d", round, e.name, res.Tokens, total)
				}
			}
		}
	}
}
