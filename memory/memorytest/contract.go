// Package memorytest is the contract suite every memory.Store must pass.
// A store's own tests call [RunStoreContract] with a constructor that
// returns a fresh, empty store:
//
//	func TestContract(t *testing.T) {
//		memorytest.RunStoreContract(t, func(t *testing.T) memory.Store {
//			return memory.NewEmbeddedStore()
//		})
//	}
//
// It covers banks, upsert/get/delete, idempotency, validation (invalid
// UTF-8 in any string is rejected, valid strings come back byte for
// byte), every search arm, filters, bank isolation and concurrent use.
// Vectors have [Dim] dimensions.
package memorytest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// Dim is the dimension of every vector the suite stores.
const Dim = 8

// base is the reference time of the suite's memories.
var base = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// RunStoreContract runs the whole suite as subtests of t. newStore must
// return an empty store; the suite closes it when the subtest ends.
func RunStoreContract(t *testing.T, newStore func(t *testing.T) memory.Store) {
	t.Helper()
	open := func(t *testing.T) memory.Store {
		s := newStore(t)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s memory.Store)
	}{
		{"Banks", testBanks},
		{"UpsertGetRoundTrip", testRoundTrip},
		{"UpsertIsIdempotent", testIdempotent},
		{"UpsertRejectsInvalidBatchWhole", testInvalid},
		{"UpsertRejectsWrongDimension", testDimension},
		{"UpsertRejectsInvalidUTF8", testInvalidUTF8},
		{"StringsRoundTripExactly", testExactStrings},
		{"Delete", testDelete},
		{"DeleteBank", testDeleteBank},
		{"SemanticArm", testSemantic},
		{"SkipSemantic", testSkipSemantic},
		{"KeywordArm", testKeyword},
		{"KeywordArmKorean", testKeywordKorean},
		{"ArmScoreFloors", testScoreFloors},
		{"EntityArm", testEntity},
		{"EntityArmSeeds", testEntitySeeds},
		{"TemporalArm", testTemporal},
		{"AllArmsRanks", testAllArms},
		{"Filters", testFilters},
		{"LimitPerArm", testLimit},
		{"BankIsolation", testIsolation},
		{"BadRequests", testBadRequests},
		{"Concurrency", testConcurrency},
		{"KeywordSeeds", testKeywordSeeds},
		{"SameTop10AsEmbedded", testSameTop10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

// Vec returns a normalised Dim-dimensional vector pointing mostly along
// axis a, tilted towards axis b by w (0..1).
func Vec(a, b int, w float32) []float32 {
	v := make([]float32, Dim)
	v[a%Dim] = 1
	v[b%Dim] += w
	var ss float64
	for _, x := range v {
		ss += float64(x * x)
	}
	n := float32(math.Sqrt(ss))
	for i := range v {
		v[i] /= n
	}
	return v
}

// Mem builds a valid world memory of bank with the given text and vector,
// its id from memory.MemoryID and its sparse vector from
// memory.DefaultBM25.
func Mem(bank, text string, vec []float32) memory.Memory {
	return memory.Memory{
		ID:     memory.MemoryID(bank, text),
		Bank:   bank,
		Kind:   memory.KindWorld,
		Text:   text,
		Vector: vec,
		Sparse: memory.DefaultBM25.Document(text),
	}
}

func upsert(t *testing.T, s memory.Store, ms ...memory.Memory) {
	t.Helper()
	if err := s.Upsert(context.Background(), ms); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func search(t *testing.T, s memory.Store, req memory.SearchRequest) memory.SearchResult {
	t.Helper()
	res, err := s.Search(context.Background(), req)
	if err != nil {
		t.Fatalf("Search(%+v): %v", req, err)
	}
	return res
}

// ArmOrder returns the texts an arm found, in that arm's order. For a
// fused result it returns the fused order (the suite only asks a fused
// store for one arm at a time when it checks order).
func ArmOrder(res memory.SearchResult, a memory.Arm) []string {
	if res.Fused {
		out := make([]string, 0, len(res.Candidates))
		for _, c := range res.Candidates {
			out = append(out, c.Memory.Text)
		}
		return out
	}
	type rc struct {
		r int
		t string
	}
	var hits []rc
	for _, c := range res.Candidates {
		if c.Ranks[a] > 0 {
			hits = append(hits, rc{c.Ranks[a], c.Memory.Text})
		}
	}
	slices.SortFunc(hits, func(x, y rc) int { return x.r - y.r })
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.t
	}
	return out
}

func texts(res memory.SearchResult) []string {
	out := make([]string, 0, len(res.Candidates))
	for _, c := range res.Candidates {
		out = append(out, c.Memory.Text)
	}
	slices.Sort(out)
	return out
}

func sorted(ss ...string) []string {
	out := append([]string(nil), ss...)
	slices.Sort(out)
	return out
}

func eq(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

func testBanks(t *testing.T, s memory.Store) {
	ctx := context.Background()
	if _, err := s.Bank(ctx, "nobody"); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("Bank(unknown) err = %v, want ErrNotFound", err)
	}
	if err := s.PutBank(ctx, memory.Bank{}); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("PutBank(empty id) err = %v, want ErrInvalid", err)
	}
	b := memory.Bank{ID: "mina", Name: "Mina", Background: "A designer in Seoul.",
		Disposition: memory.Disposition{Skepticism: 4, Literalism: 2, Empathy: 5},
		CreatedAt:   base}
	if err := s.PutBank(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.Bank(ctx, "mina")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != b.ID || got.Name != b.Name || got.Background != b.Background || got.Disposition != b.Disposition || !got.CreatedAt.Equal(b.CreatedAt) {
		t.Fatalf("Bank = %+v, want %+v", got, b)
	}
	b.Background = "A product designer in Busan."
	if err := s.PutBank(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Bank(ctx, "mina"); got.Background != b.Background {
		t.Fatalf("Bank after replace: background %q, want %q", got.Background, b.Background)
	}
	bad := memory.Bank{ID: "x", Disposition: memory.Disposition{Empathy: 9}}
	if err := s.PutBank(ctx, bad); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("PutBank(empathy 9) err = %v, want ErrInvalid", err)
	}
}

func testRoundTrip(t *testing.T, s memory.Store) {
	m := Mem("b", "Mina moved to Busan in March 2025.", Vec(0, 1, 0.2))
	m.Kind = memory.KindOpinion
	m.Context = "chat with Mina"
	m.Entities = []string{"Mina", "Busan"}
	m.Tags = []string{"move", "personal"}
	m.OccurredStart = base
	m.OccurredEnd = base.Add(48 * time.Hour)
	m.MentionedAt = base.Add(72 * time.Hour)
	m.DocumentID = "doc-1"
	m.Metadata = map[string]string{"source": "chat"}
	m.Confidence = 0.75
	other := Mem("b", "The office is in Seoul.", Vec(2, 3, 0.1))
	m.Links = []memory.Link{{Target: other.ID, Kind: memory.LinkCausal, Weight: 0.5}}
	upsert(t, s, m, other)
	got, err := s.Get(context.Background(), "b", []string{other.ID, "missing", m.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != other.ID || got[1].ID != m.ID {
		t.Fatalf("Get returned %d memories in wrong order: %v", len(got), ids(got))
	}
	g := got[1]
	switch {
	case g.Bank != "b" || g.Kind != memory.KindOpinion || g.Text != m.Text || g.Context != m.Context:
		t.Errorf("scalar fields: %+v", g)
	case !slices.Equal(g.Entities, m.Entities) || !slices.Equal(g.Tags, m.Tags):
		t.Errorf("entities/tags: %v %v", g.Entities, g.Tags)
	case !g.OccurredStart.Equal(m.OccurredStart) || !g.OccurredEnd.Equal(m.OccurredEnd) || !g.MentionedAt.Equal(m.MentionedAt):
		t.Errorf("times: %v %v %v", g.OccurredStart, g.OccurredEnd, g.MentionedAt)
	case g.DocumentID != "doc-1" || g.Metadata["source"] != "chat" || g.Confidence != 0.75:
		t.Errorf("doc/metadata/confidence: %q %v %v", g.DocumentID, g.Metadata, g.Confidence)
	case len(g.Links) != 1 || g.Links[0] != m.Links[0]:
		t.Errorf("links: %+v", g.Links)
	case len(g.Vector) != Dim:
		t.Errorf("vector has %d dimensions, want %d", len(g.Vector), Dim)
	}
	for i, x := range g.Vector {
		if math.Abs(float64(x-m.Vector[i])) > 1e-5 {
			t.Fatalf("vector[%d] = %v, want %v", i, x, m.Vector[i])
		}
	}
}

func ids(ms []memory.Memory) []string {
	out := make([]string, len(ms))
	for i := range ms {
		out[i] = ms[i].ID
	}
	return out
}

func testIdempotent(t *testing.T, s memory.Store) {
	ctx := context.Background()
	m := Mem("b", "Jun likes hiking.", Vec(0, 1, 0))
	upsert(t, s, m)
	upsert(t, s, m)
	m2 := Mem("b", "  jun LIKES hiking ", Vec(0, 1, 0))
	if m2.ID != m.ID {
		t.Fatalf("MemoryID not normalised: %s vs %s", m2.ID, m.ID)
	}
	m2.Tags = []string{"hobby"}
	upsert(t, s, m2)
	n, err := s.Count(ctx, "b", memory.Filter{})
	if err != nil || n != 1 {
		t.Fatalf("Count = %d, %v; want 1 after three upserts of one fact", n, err)
	}
	got, _ := s.Get(ctx, "b", []string{m.ID})
	if len(got) != 1 || !slices.Equal(got[0].Tags, []string{"hobby"}) || got[0].Text != m2.Text {
		t.Fatalf("replacement not applied: %+v", got)
	}
	// the replaced text's terms are gone from the keyword index
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("hiking")})
	if len(res.Candidates) != 1 {
		t.Fatalf("keyword search after replace found %d, want 1", len(res.Candidates))
	}
}

func testInvalid(t *testing.T, s memory.Store) {
	ctx := context.Background()
	good := Mem("b", "Valid fact.", Vec(0, 1, 0))
	cases := map[string]func(m *memory.Memory){
		"empty bank": func(m *memory.Memory) { m.Bank = "" },
		"empty id":   func(m *memory.Memory) { m.ID = "" },
		"bad kind":   func(m *memory.Memory) { m.Kind = "rumour" },
		"empty text": func(m *memory.Memory) { m.Text = "" },
		"no vector":  func(m *memory.Memory) { m.Vector = nil },
		"confidence": func(m *memory.Memory) { m.Confidence = 1.5 },
		"end<start":  func(m *memory.Memory) { m.OccurredStart, m.OccurredEnd = base, base.Add(-time.Hour) },
		"sparse order": func(m *memory.Memory) {
			m.Sparse = memory.SparseVector{Indices: []uint32{5, 2}, Values: []float32{1, 1}}
		},
	}
	for name, mut := range cases {
		bad := Mem("b", "Bad fact "+name, Vec(1, 2, 0))
		mut(&bad)
		err := s.Upsert(ctx, []memory.Memory{good, bad})
		if !errors.Is(err, memory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if n, _ := s.Count(ctx, "b", memory.Filter{}); n != 0 {
		t.Fatalf("a rejected batch stored %d memories, want 0", n)
	}
}

// testInvalidUTF8: a string that is not valid UTF-8 in any field would
// be rewritten (U+FFFD) by JSON and refused by protobuf; every store
// rejects it, naming the field, and stores nothing of the batch.
func testInvalidUTF8(t *testing.T, s memory.Store) {
	ctx := context.Background()
	const bad = "caf\xe9 au lait" // Latin-1, not UTF-8
	good := Mem("b", "Valid fact.", Vec(0, 1, 0))
	cases := []struct {
		field string
		mut   func(m *memory.Memory)
	}{
		{"text", func(m *memory.Memory) { m.Text = bad }},
		{"context", func(m *memory.Memory) { m.Context = bad }},
		{"entities[1]", func(m *memory.Memory) { m.Entities = []string{"Mina", bad} }},
		{"tags[0]", func(m *memory.Memory) { m.Tags = []string{bad} }},
		{"document_id", func(m *memory.Memory) { m.DocumentID = bad }},
		{"metadata key", func(m *memory.Memory) { m.Metadata = map[string]string{bad: "v"} }},
		{"metadata[\"k\"]", func(m *memory.Memory) { m.Metadata = map[string]string{"k": bad} }},
		{"links[0]", func(m *memory.Memory) { m.Links = []memory.Link{{Target: bad, Kind: memory.LinkEntity, Weight: 1}} }},
		{"id", func(m *memory.Memory) { m.ID = bad }},
	}
	for _, c := range cases {
		m := Mem("b", "Fact with a bad "+c.field, Vec(1, 2, 0))
		c.mut(&m)
		err := s.Upsert(ctx, []memory.Memory{good, m})
		if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), c.field) || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("%s not UTF-8: err = %v, want ErrInvalid naming %s and UTF-8", c.field, err, c.field)
		}
	}
	if n, _ := s.Count(ctx, "b", memory.Filter{}); n != 0 {
		t.Fatalf("batches with invalid UTF-8 stored %d memories, want 0", n)
	}
	// The bank: as a memory's bank and in a profile.
	m := Mem(bad, "Fact in a bad bank.", Vec(1, 2, 0))
	if err := s.Upsert(ctx, []memory.Memory{m}); !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), "bank") {
		t.Errorf("bank not UTF-8: %v, want ErrInvalid naming the bank", err)
	}
	for field, b := range map[string]memory.Bank{
		"bank id":    {ID: bad},
		"name":       {ID: "u8", Name: bad},
		"background": {ID: "u8", Background: bad},
	} {
		err := s.PutBank(ctx, b)
		if !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("PutBank with %s not UTF-8: %v, want ErrInvalid naming it", field, err)
		}
	}
	if _, err := s.Bank(ctx, "u8"); !errors.Is(err, memory.ErrNotFound) {
		t.Errorf("a refused profile was stored: %v", err)
	}
}

// testExactStrings: valid UTF-8 of every kind, control characters, NUL
// and a literal U+FFFD included, comes back byte for byte.
func testExactStrings(t *testing.T, s memory.Store) {
	ctx := context.Background()
	odd := "민수는 부산에서 🍜 먹었다 \ufffd tab\there nul\x00 bell\x07 \u2028 é vs e\u0301"
	m := Mem("b", odd, Vec(0, 1, 0))
	m.Context, m.DocumentID = odd, odd
	m.Entities, m.Tags = []string{"민수", odd}, []string{odd}
	m.Metadata = map[string]string{odd: odd}
	upsert(t, s, m)
	b := memory.Bank{ID: "b", Name: odd, Background: odd}
	if err := s.PutBank(ctx, b); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, "b", []string{m.ID})
	if err != nil || len(got) != 1 {
		t.Fatalf("Get: %v, %d memories", err, len(got))
	}
	g := got[0]
	if g.Text != odd || g.Context != odd || g.DocumentID != odd || !slices.Equal(g.Entities, m.Entities) ||
		!slices.Equal(g.Tags, m.Tags) || len(g.Metadata) != 1 || g.Metadata[odd] != odd {
		t.Errorf("strings changed on the round trip:\n got  %+q\n want %+q", []string{g.Text, g.Context, g.DocumentID}, odd)
	}
	if gb, err := s.Bank(ctx, "b"); err != nil || gb.Name != odd || gb.Background != odd {
		t.Errorf("bank strings changed: %+q %+q %v", gb.Name, gb.Background, err)
	}
}

func testDimension(t *testing.T, s memory.Store) {
	upsert(t, s, Mem("b", "Eight dimensions.", Vec(0, 1, 0)))
	bad := Mem("b", "Three dimensions.", []float32{1, 0, 0})
	if err := s.Upsert(context.Background(), []memory.Memory{bad}); !errors.Is(err, memory.ErrDimension) {
		t.Fatalf("Upsert(3 dims) err = %v, want ErrDimension", err)
	}
	_, err := s.Search(context.Background(), memory.SearchRequest{Bank: "b", Limit: 5, Dense: []float32{1, 0, 0}})
	if !errors.Is(err, memory.ErrDimension) {
		t.Fatalf("Search(3 dims) err = %v, want ErrDimension", err)
	}
}

func testDelete(t *testing.T, s memory.Store) {
	ctx := context.Background()
	a := Mem("b", "Alpha fact about Seoul.", Vec(0, 1, 0))
	a.Entities = []string{"Seoul"}
	b := Mem("b", "Beta fact about Seoul.", Vec(0, 1, 0.1))
	b.Entities = []string{"Seoul"}
	upsert(t, s, a, b)
	if err := s.Delete(ctx, "b", []string{a.ID, "unknown-id"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "b", []string{a.ID, b.ID}); len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("Get after delete = %v, want only %s", ids(got), b.ID)
	}
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0),
		Sparse: memory.DefaultBM25.Query("alpha seoul"), Entities: []string{"Seoul"}})
	eq(t, "all arms after delete", texts(res), []string{b.Text})
	if n, _ := s.Count(ctx, "b", memory.Filter{}); n != 1 {
		t.Fatalf("Count after delete = %d, want 1", n)
	}
}

func testDeleteBank(t *testing.T, s memory.Store) {
	ctx := context.Background()
	_ = s.PutBank(ctx, memory.Bank{ID: "a"})
	_ = s.PutBank(ctx, memory.Bank{ID: "b"})
	upsert(t, s, Mem("a", "Fact in a.", Vec(0, 1, 0)), Mem("b", "Fact in b.", Vec(0, 1, 0)))
	if err := s.DeleteBank(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bank(ctx, "a"); !errors.Is(err, memory.ErrNotFound) {
		t.Fatalf("Bank(a) after DeleteBank: %v, want ErrNotFound", err)
	}
	if n, _ := s.Count(ctx, "a", memory.Filter{}); n != 0 {
		t.Fatalf("bank a still has %d memories", n)
	}
	if n, _ := s.Count(ctx, "b", memory.Filter{}); n != 1 {
		t.Fatalf("bank b has %d memories after deleting a, want 1", n)
	}
	if _, err := s.Bank(ctx, "b"); err != nil {
		t.Fatalf("Bank(b): %v", err)
	}
}

func testSemantic(t *testing.T, s memory.Store) {
	upsert(t, s,
		Mem("b", "near", Vec(0, 1, 0.1)),
		Mem("b", "nearer", Vec(0, 1, 0.05)),
		Mem("b", "farther", Vec(0, 1, 0.6)),
		Mem("b", "orthogonal", Vec(4, 5, 0)),
	)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0), MinSimilarity: 0.3})
	eq(t, "semantic order", ArmOrder(res, memory.ArmSemantic), []string{"nearer", "near", "farther"})
	if !res.Fused {
		for _, c := range res.Candidates {
			for a := memory.Arm(0); a < memory.NumArms; a++ {
				if a != memory.ArmSemantic && c.Ranks[a] != 0 {
					t.Errorf("%q has rank %d in %s arm, which did not run", c.Memory.Text, c.Ranks[a], a)
				}
			}
		}
	}
}

func testSkipSemantic(t *testing.T, s memory.Store) {
	upsert(t, s,
		withEntities(Mem("b", "Sora plays piano.", Vec(0, 1, 0)), "Sora"),
		withEntities(Mem("b", "Sora teaches at Yonsei.", Vec(5, 6, 0)), "Sora"),
		withEntities(Mem("b", "Jun studies law.", Vec(0, 1, 0.05)), "Jun"),
	)
	// Dense alone with SkipSemantic: no arm runs.
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0), SkipSemantic: true})
	if len(res.Candidates) != 0 {
		t.Fatalf("SkipSemantic with no other arm returned %q", texts(res))
	}
	// Dense still seeds the entity arm and orders it.
	res = search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0), MinSimilarity: 0.99, SkipSemantic: true, EntitySeeds: 1})
	eq(t, "entity arm seeded by a skipped semantic arm", sorted(ArmOrder(res, memory.ArmEntity)...), sorted("Sora plays piano.", "Sora teaches at Yonsei."))
	if !res.Fused {
		for _, c := range res.Candidates {
			if c.Ranks[memory.ArmSemantic] != 0 {
				t.Fatalf("skipped semantic arm ranked %q", c.Memory.Text)
			}
		}
	}
}

func testKeyword(t *testing.T, s memory.Store) {
	upsert(t, s,
		Mem("b", "Mina adopted a cat named Bori.", Vec(0, 1, 0)),
		Mem("b", "Mina went to the dentist.", Vec(1, 2, 0)),
		Mem("b", "The cat knocked over a cup. The cat ran.", Vec(2, 3, 0)),
		Mem("b", "Jun bought a bicycle.", Vec(3, 4, 0)),
	)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("Bori the cat")})
	got := ArmOrder(res, memory.ArmKeyword)
	// "bori" is rarer than "cat", so the memory with both wins.
	eq(t, "keyword order", got, []string{"Mina adopted a cat named Bori.", "The cat knocked over a cup. The cat ran."})
}

func testScoreFloors(t *testing.T, s memory.Store) {
	upsert(t, s,
		withEntities(Mem("b", "Mina adopted Bori.", Vec(0, 1, 0)), "Mina", "Bori"),
		withEntities(Mem("b", "Mina went running.", Vec(1, 2, 0)), "Mina"),
		withEntities(Mem("b", "Mina cooked pasta.", Vec(2, 3, 0)), "Mina"),
		withEntities(Mem("b", "Mina read a book.", Vec(3, 4, 0)), "Mina"),
	)
	// "mina" is in every memory: IDF(4, 4) = ln(1 + 0.5/4.5), about 0.105,
	// below the floor; "bori" is in one: IDF(1, 4), about 1.20.
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("Mina Bori"), MinKeywordScore: 0.5})
	eq(t, "keyword floor", ArmOrder(res, memory.ArmKeyword), []string{"Mina adopted Bori."})
	res = search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("Mina Bori")})
	if n := len(ArmOrder(res, memory.ArmKeyword)); n != 4 {
		t.Errorf("keyword without a floor found %d, want 4", n)
	}
	res = search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Entities: []string{"Mina", "Bori"}, MinEntityScore: 0.5})
	eq(t, "entity floor", ArmOrder(res, memory.ArmEntity), []string{"Mina adopted Bori."})
	res = search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Entities: []string{"Mina"}})
	if n := len(ArmOrder(res, memory.ArmEntity)); n != 4 {
		t.Errorf("entity without a floor found %d, want 4", n)
	}
}

func testKeywordKorean(t *testing.T, s memory.Store) {
	upsert(t, s,
		Mem("b", "민수는 지난달 부산으로 이사했다.", Vec(0, 1, 0)),
		Mem("b", "민수는 서울에서 회의를 했다.", Vec(1, 2, 0)),
		Mem("b", "Minsu likes coffee.", Vec(2, 3, 0)),
	)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("부산 이사")})
	eq(t, "korean keyword order", ArmOrder(res, memory.ArmKeyword), []string{"민수는 지난달 부산으로 이사했다."})
	res = search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("서울 회의")})
	eq(t, "korean keyword order 2", ArmOrder(res, memory.ArmKeyword), []string{"민수는 서울에서 회의를 했다."})
}

func withEntities(m memory.Memory, es ...string) memory.Memory {
	m.Entities = es
	return m
}

func testEntity(t *testing.T, s memory.Store) {
	upsert(t, s,
		withEntities(Mem("b", "Mina and Jun met in Busan.", Vec(0, 1, 0)), "Mina", "Jun", "Busan"),
		withEntities(Mem("b", "Mina works at Daum.", Vec(1, 2, 0)), "Mina", "Daum"),
		withEntities(Mem("b", "Jun lives in Busan.", Vec(2, 3, 0)), "Jun", "Busan"),
		withEntities(Mem("b", "Sora plays piano.", Vec(3, 4, 0)), "Sora"),
	)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Entities: []string{"mina", "Busan"}})
	got := ArmOrder(res, memory.ArmEntity)
	if len(got) != 3 || got[0] != "Mina and Jun met in Busan." {
		t.Fatalf("entity arm = %q; want 3 hits led by the memory carrying both entities", got)
	}
	eq(t, "entity members", sorted(got...), sorted("Mina and Jun met in Busan.", "Mina works at Daum.", "Jun lives in Busan."))
}

func testEntitySeeds(t *testing.T, s memory.Store) {
	upsert(t, s,
		withEntities(Mem("b", "Sora plays piano.", Vec(0, 1, 0)), "Sora"),
		withEntities(Mem("b", "Sora teaches at Yonsei.", Vec(5, 6, 0)), "Sora", "Yonsei"),
		withEntities(Mem("b", "Jun studies law.", Vec(3, 4, 0)), "Jun"),
	)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0), MinSimilarity: 0.5, EntitySeeds: 1})
	found := false
	for _, c := range res.Candidates {
		if c.Memory.Text == "Jun studies law." {
			t.Fatalf("unrelated memory returned: %+v", c)
		}
		if c.Memory.Text == "Sora teaches at Yonsei." {
			found = true
			if !res.Fused && c.Ranks[memory.ArmEntity] == 0 {
				t.Fatalf("seed expansion hit has no entity rank: %+v", c.Ranks)
			}
		}
	}
	if !found {
		t.Fatalf("entity seed expansion did not reach the memory sharing Sora: %q", texts(res))
	}
}

func timed(m memory.Memory, start, end time.Time) memory.Memory {
	m.OccurredStart, m.OccurredEnd = start, end
	return m
}

func testTemporal(t *testing.T, s memory.Store) {
	day := 24 * time.Hour
	upsert(t, s,
		timed(Mem("b", "before window", Vec(0, 1, 0)), base.Add(-10*day), base.Add(-9*day)),
		timed(Mem("b", "inside similar", Vec(0, 1, 0.1)), base.Add(day), base.Add(day)),
		timed(Mem("b", "inside dissimilar", Vec(5, 6, 0)), base.Add(2*day), base.Add(2*day)),
		timed(Mem("b", "straddles start", Vec(0, 1, 0.3)), base.Add(-2*day), base.Add(day/2)),
		Mem("b", "no time at all", Vec(0, 1, 0)),
	)
	func() {
		m := Mem("b", "mentioned inside", Vec(0, 1, 0.2))
		m.MentionedAt = base.Add(3 * day)
		upsert(t, s, m)
	}()
	w := &memory.TimeRange{Start: base, End: base.Add(7 * day)}
	// SkipSemantic: Dense only orders the temporal arm, so a store that
	// fuses server-side returns the temporal members alone.
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Window: w, Dense: Vec(0, 1, 0), SkipSemantic: true})
	got := ArmOrder(res, memory.ArmTemporal)
	if res.Fused {
		eq(t, "temporal members", sorted(got...), sorted("inside similar", "inside dissimilar", "straddles start", "mentioned inside"))
		return
	}
	eq(t, "temporal order (by similarity inside the window)", got,
		[]string{"inside similar", "mentioned inside", "straddles start", "inside dissimilar"})
}

func testAllArms(t *testing.T, s memory.Store) {
	day := 24 * time.Hour
	ms := []memory.Memory{
		timed(withEntities(Mem("b", "Mina visited the Louvre in Paris.", Vec(0, 1, 0)), "Mina", "Paris"), base, base),
		timed(withEntities(Mem("b", "Mina's flight to Paris was delayed.", Vec(0, 2, 0.5)), "Mina", "Paris"), base.Add(-30*day), base.Add(-30*day)),
		timed(withEntities(Mem("b", "Jun cooked dinner.", Vec(3, 4, 0)), "Jun"), base.Add(day), base.Add(day)),
		Mem("b", "The Louvre is a museum.", Vec(0, 1, 0.8)),
	}
	upsert(t, s, ms...)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10,
		Dense: Vec(0, 1, 0), MinSimilarity: 0.3, Sparse: memory.DefaultBM25.Query("Louvre Paris"),
		Entities: []string{"Paris"}, Window: &memory.TimeRange{Start: base.Add(-day), End: base.Add(2 * day)}})
	if len(res.Candidates) == 0 {
		t.Fatal("no candidates")
	}
	seen := map[string]bool{}
	for _, c := range res.Candidates {
		if seen[c.Memory.ID] {
			t.Fatalf("memory %q returned twice", c.Memory.Text)
		}
		seen[c.Memory.ID] = true
	}
	if res.Fused {
		if res.Candidates[0].Memory.Text != "Mina visited the Louvre in Paris." {
			t.Fatalf("fused top = %q, want the memory every arm found", res.Candidates[0].Memory.Text)
		}
		return
	}
	for a := memory.Arm(0); a < memory.NumArms; a++ {
		var ranks []int
		for _, c := range res.Candidates {
			if c.Ranks[a] > 0 {
				ranks = append(ranks, c.Ranks[a])
			}
		}
		slices.Sort(ranks)
		for i, r := range ranks {
			if r != i+1 {
				t.Fatalf("%s arm ranks %v are not 1..n", a, ranks)
			}
		}
		if len(ranks) == 0 {
			t.Fatalf("%s arm returned nothing", a)
		}
	}
	for _, c := range res.Candidates {
		if c.Memory.Text == "Mina visited the Louvre in Paris." {
			for a := memory.Arm(0); a < memory.NumArms; a++ {
				if c.Ranks[a] != 1 {
					t.Errorf("%s rank = %d, want 1 (%v)", a, c.Ranks[a], c.Ranks)
				}
			}
		}
	}
}

func testFilters(t *testing.T, s memory.Store) {
	day := 24 * time.Hour
	mk := func(text string, kind memory.Kind, tags []string, doc string, when time.Time) memory.Memory {
		m := Mem("b", text, Vec(0, 1, 0.1))
		m.Kind, m.Tags, m.DocumentID, m.Entities = kind, tags, doc, []string{"Mina"}
		if kind == memory.KindOpinion {
			m.Confidence = 0.6
		}
		if !when.IsZero() {
			m.OccurredStart, m.OccurredEnd = when, when
		}
		return m
	}
	upsert(t, s,
		mk("w1 mina work", memory.KindWorld, []string{"work"}, "d1", base),
		mk("w2 mina work home", memory.KindWorld, []string{"work", "home"}, "d2", base.Add(10*day)),
		mk("e1 mina home", memory.KindExperience, []string{"home"}, "d1", base.Add(20*day)),
		mk("o1 mina", memory.KindOpinion, nil, "", time.Time{}),
	)
	all := memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0), Sparse: memory.DefaultBM25.Query("mina"), Entities: []string{"Mina"}}
	cases := []struct {
		name string
		f    memory.Filter
		want []string
	}{
		{"none", memory.Filter{}, []string{"e1 mina home", "o1 mina", "w1 mina work", "w2 mina work home"}},
		{"kinds", memory.Filter{Kinds: []memory.Kind{memory.KindExperience, memory.KindOpinion}}, []string{"e1 mina home", "o1 mina"}},
		{"tags any", memory.Filter{TagsAny: []string{"home", "nothing"}}, []string{"e1 mina home", "w2 mina work home"}},
		{"tags all", memory.Filter{TagsAll: []string{"work", "home"}}, []string{"w2 mina work home"}},
		{"window", memory.Filter{Window: &memory.TimeRange{Start: base.Add(5 * day), End: base.Add(25 * day)}}, []string{"e1 mina home", "w2 mina work home"}},
		{"document", memory.Filter{DocumentID: "d1"}, []string{"e1 mina home", "w1 mina work"}},
		{"combined", memory.Filter{Kinds: []memory.Kind{memory.KindWorld}, TagsAny: []string{"work"}, Window: &memory.TimeRange{End: base.Add(day)}}, []string{"w1 mina work"}},
	}
	for _, tc := range cases {
		req := all
		req.Filter = tc.f
		res := search(t, s, req)
		eq(t, "filter "+tc.name, texts(res), tc.want)
		if !res.Fused {
			for a := memory.ArmSemantic; a <= memory.ArmEntity; a++ {
				eq(t, fmt.Sprintf("filter %s, %s arm", tc.name, a), sorted(ArmOrder(res, a)...), tc.want)
			}
		}
		n, err := s.Count(context.Background(), "b", tc.f)
		if err != nil || n != len(tc.want) {
			t.Errorf("Count(filter %s) = %d, %v; want %d", tc.name, n, err, len(tc.want))
		}
	}
}

func testLimit(t *testing.T, s memory.Store) {
	var ms []memory.Memory
	for i := 0; i < 30; i++ {
		m := Mem("b", fmt.Sprintf("Note %d about the garden.", i), Vec(0, 1, float32(i)/30))
		m.Entities = []string{"garden"}
		m.OccurredStart = base.Add(time.Duration(i) * time.Hour)
		ms = append(ms, m)
	}
	upsert(t, s, ms...)
	for _, req := range []memory.SearchRequest{
		{Bank: "b", Limit: 5, Dense: Vec(0, 1, 0)},
		{Bank: "b", Limit: 5, Sparse: memory.DefaultBM25.Query("garden")},
		{Bank: "b", Limit: 5, Entities: []string{"garden"}},
		{Bank: "b", Limit: 5, Window: &memory.TimeRange{Start: base, End: base.Add(48 * time.Hour)}},
	} {
		if n := len(search(t, s, req).Candidates); n != 5 {
			t.Errorf("one arm with limit 5 returned %d candidates", n)
		}
	}
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 3, Dense: Vec(0, 1, 0)})
	eq(t, "semantic top 3", ArmOrder(res, memory.ArmSemantic), []string{"Note 0 about the garden.", "Note 1 about the garden.", "Note 2 about the garden."})
}

func testIsolation(t *testing.T, s memory.Store) {
	ctx := context.Background()
	a := withEntities(Mem("a", "Shared secret phrase about Mina.", Vec(0, 1, 0)), "Mina")
	a.OccurredStart = base
	b := withEntities(Mem("b", "Shared secret phrase about Mina.", Vec(0, 1, 0)), "Mina")
	b.OccurredStart = base
	if a.ID == b.ID {
		t.Fatal("MemoryID gives the same id in two banks")
	}
	upsert(t, s, a, b)
	req := memory.SearchRequest{Bank: "a", Limit: 10, Dense: Vec(0, 1, 0), Sparse: memory.DefaultBM25.Query("secret phrase"),
		Entities: []string{"Mina"}, EntitySeeds: 5, Window: &memory.TimeRange{Start: base.Add(-time.Hour), End: base.Add(time.Hour)}}
	res := search(t, s, req)
	if len(res.Candidates) != 1 || res.Candidates[0].Memory.Bank != "a" || res.Candidates[0].Memory.ID != a.ID {
		t.Fatalf("search in bank a returned %+v", res.Candidates)
	}
	if got, _ := s.Get(ctx, "a", []string{b.ID}); len(got) != 0 {
		t.Fatalf("Get in bank a returned bank b's memory")
	}
	if err := s.Delete(ctx, "a", []string{b.ID}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, "b", []string{b.ID}); len(got) != 1 {
		t.Fatalf("Delete in bank a removed bank b's memory")
	}
	req.Bank = "c"
	if res := search(t, s, req); len(res.Candidates) != 0 {
		t.Fatalf("search in an empty bank returned %d candidates", len(res.Candidates))
	}
}

func testBadRequests(t *testing.T, s memory.Store) {
	ctx := context.Background()
	upsert(t, s, Mem("b", "Something.", Vec(0, 1, 0)))
	for name, req := range map[string]memory.SearchRequest{
		"no bank":    {Limit: 5, Dense: Vec(0, 1, 0)},
		"zero limit": {Bank: "b", Dense: Vec(0, 1, 0)},
		"bad kind":   {Bank: "b", Limit: 5, Dense: Vec(0, 1, 0), Filter: memory.Filter{Kinds: []memory.Kind{"gossip"}}},
		"bad window": {Bank: "b", Limit: 5, Window: &memory.TimeRange{Start: base, End: base.Add(-time.Hour)}},
		"bad sparse": {Bank: "b", Limit: 5, Sparse: memory.SparseVector{Indices: []uint32{1}, Values: nil}},
		"bad floor":  {Bank: "b", Limit: 5, Sparse: memory.DefaultBM25.Query("x"), MinKeywordScore: -1},
	} {
		if _, err := s.Search(ctx, req); !errors.Is(err, memory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := s.Get(ctx, "", []string{"x"}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("Get(empty bank) err = %v, want ErrInvalid", err)
	}
	if n, _ := s.Count(ctx, "b", memory.Filter{}); n != 1 {
		t.Errorf("bad requests changed the store: count %d", n)
	}
}

func testConcurrency(t *testing.T, s memory.Store) {
	ctx := context.Background()
	const writers, per = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*per*2)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < per; i++ {
				m := Mem("b", fmt.Sprintf("writer %d fact %d about tea", w, i), Vec(w, i, 0.3))
				m.Entities = []string{fmt.Sprintf("w%d", w)}
				if err := s.Upsert(ctx, []memory.Memory{m}); err != nil {
					errs <- err
				}
				if i%5 == 0 {
					_, err := s.Search(ctx, memory.SearchRequest{Bank: "b", Limit: 10, Dense: Vec(0, 1, 0),
						Sparse: memory.DefaultBM25.Query("tea"), Entities: []string{"w0"}})
					if err != nil {
						errs <- err
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, err := s.Count(ctx, "b", memory.Filter{}); err != nil || n != writers*per {
		t.Fatalf("Count = %d, %v; want %d", n, err, writers*per)
	}
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 200, Entities: []string{"w2"}})
	if len(res.Candidates) != per {
		t.Fatalf("entity w2 found %d, want %d", len(res.Candidates), per)
	}
}

// testKeywordSeeds: the entities of the top keyword hits start the entity
// arm (SearchRequest.KeywordSeeds).
func testKeywordSeeds(t *testing.T, s memory.Store) {
	ms := []memory.Memory{
		withEntities(Mem("b", "한사랑내과 독감 주사", Vec(0, 1, 0)), "한사랑내과"),
		withEntities(Mem("b", "토요일 진료", Vec(1, 2, 0)), "한사랑내과"),
		withEntities(Mem("b", "영화 관람", Vec(2, 3, 0)), "수진"),
		withEntities(Mem("b", "상추 심기", Vec(3, 4, 0)), "베란다"),
		withEntities(Mem("b", "운동화 구입", Vec(4, 5, 0)), "신발가게"),
	}
	upsert(t, s, ms...)
	res := search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("한사랑내과"), KeywordSeeds: 3})
	eq(t, "entity arm", ArmOrder(res, memory.ArmEntity), sorted("한사랑내과 독감 주사", "토요일 진료"))
	eq(t, "keyword arm", ArmOrder(res, memory.ArmKeyword), []string{"한사랑내과 독감 주사"})
	res = search(t, s, memory.SearchRequest{Bank: "b", Limit: 10, Sparse: memory.DefaultBM25.Query("한사랑내과")})
	eq(t, "entity arm without seeds", ArmOrder(res, memory.ArmEntity), nil)
}

// testSameTop10: an engine over the store ranks like an engine over the
// embedded store: the same top 10, in the same order and with the same arm
// ranks, for every query (not checked for a store that fuses server-side).
func testSameTop10(t *testing.T, s memory.Store) {
	ctx := context.Background()
	now := base.Add(90 * 24 * time.Hour)
	clock := func() time.Time { return now }
	mk := func(st memory.Store) *memory.Engine {
		e, err := memory.New(memory.Config{Store: st, Embedder: memory.OfflineEmbedder{Dim: Dim}, Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	ref := memory.NewEmbeddedStore()
	t.Cleanup(func() { _ = ref.Close() })
	engines := []*memory.Engine{mk(s), mk(ref)}
	contents := []string{
		"Dana works as an architect in Lisbon. She designs libraries.",
		"Dana is allergic to peanuts.",
		"Raj prefers status reports on Friday mornings.",
		"Yesterday I had dinner with Priya at a Thai place.",
		"My gym locker code is 4471.",
		"The office wifi password is bluefinch88.",
		"Went bouldering at the climbing gym.",
		"수진이가 판교에서 데이터 분석가로 일해.",
		"수진이랑 어제 영화 봤어.",
		"한사랑내과에서 독감 주사 맞았어요.",
		"헬스장 사물함 비번은 4471이야.",
		"지난주에 도윤 팀장님이랑 등산 갔어.",
		"I will fly to Jeju next month.",
		"Mina adopted a cat named Bori.",
		"Bori likes sleeping on the piano.",
		"Jun started learning the piano in Seoul.",
	}
	for i, c := range contents {
		at := base.Add(time.Duration(i*5) * 24 * time.Hour)
		for _, e := range engines {
			if _, err := e.Retain(ctx, "u", c, memory.RetainOptions{Timestamp: at}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, q := range []string{"Dana", "piano", "gym locker code", "수진이 요즘 어때?", "한사랑내과", "What did I do last week?",
		"지난주에 뭐 했어?", "Bori the cat", "wifi password", "What happened in April?"} {
		for _, facts := range []bool{false, true} {
			var tops, provs [2][]string
			for i, e := range engines {
				res, err := e.Recall(ctx, "u", q, memory.RecallOptions{MaxResults: 10, Facts: facts})
				if err != nil {
					t.Fatalf("recall %q: %v", q, err)
				}
				for _, h := range res.Hits {
					tops[i] = append(tops[i], h.Memory.Text)
					provs[i] = append(provs[i], h.Provenance())
				}
			}
			if slices.Contains(provs[0], "fused") {
				// A store that fuses server-side (only when asked, see
				// memory.Config.ServerFusion) cannot break the entity
				// arm's ties by cosine nor report the ranks the in-window
				// boost weighs: its order may differ.
				continue
			}
			if !slices.Equal(tops[0], tops[1]) {
				t.Errorf("recall %q (facts %v):\n store    %q\n embedded %q", q, facts, tops[0], tops[1])
			}
			if !slices.Equal(provs[0], provs[1]) {
				t.Errorf("recall %q (facts %v): arm ranks\n store    %q\n embedded %q", q, facts, provs[0], provs[1])
			}
		}
	}
}
