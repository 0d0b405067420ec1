package qdrant_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"github.com/qdrant/go-client/qdrant"
)

// fusedStore asks every search for server-side fusion, so the contract
// suite also runs through the one-Query path (requests without a query
// vector are answered per arm, as documented).
type fusedStore struct{ *mq.Store }

func (f fusedStore) Search(ctx context.Context, req memory.SearchRequest) (memory.SearchResult, error) {
	req.Fused = true
	return f.Store.Search(ctx, req)
}

func TestContractFused(t *testing.T) {
	memorytest.RunStoreContract(t, func(t *testing.T) memory.Store {
		s, _ := open(t)
		return fusedStore{s}
	})
}

// corpus stores memories with entities and times spread over a month.
func corpus(t testing.TB, s memory.Store, bank string, n int) []memory.Memory {
	t.Helper()
	people := []string{"Mina", "Jun", "Sora", "Minsu"}
	places := []string{"Busan", "Seoul", "Paris", "Daegu", "Jeju"}
	topics := []string{"coffee", "hiking", "piano", "law", "garden", "museum"}
	var ms []memory.Memory
	for i := 0; i < n; i++ {
		p, pl, tp := people[i%len(people)], places[(i/2)%len(places)], topics[(i/3)%len(topics)]
		text := fmt.Sprintf("%s talked about %s in %s, note %d.", p, tp, pl, i)
		m := memorytest.Mem(bank, text, memorytest.Vec(i%8, (i/8)%8, float32(i%5)/5))
		m.Entities = []string{p, pl}
		m.OccurredStart = t0.Add(time.Duration(i%30) * day)
		if i%7 == 0 {
			m.OccurredStart = time.Time{}
		}
		ms = append(ms, m)
	}
	if err := s.Upsert(ctxT(t), ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

// distinctCorpus stores memories no two of which score alike in the
// semantic, keyword or temporal arm of fullRequest: vectors in general
// position, texts of distinct lengths, distinct times. Only every sixth
// memory names entities, so no entity arm over fewer than 60 memories
// holds more than 10.
func distinctCorpus(t testing.TB, s memory.Store, bank string, n int) []memory.Memory {
	t.Helper()
	people := []string{"Mina", "Jun", "Sora", "Minsu"}
	places := []string{"Busan", "Seoul", "Paris", "Daegu", "Jeju"}
	topics := []string{"coffee", "hiking", "piano", "law", "garden", "museum"}
	var ms []memory.Memory
	for i := 0; i < n; i++ {
		p, pl, tp := people[i%len(people)], places[(i/2)%len(places)], topics[(i/3)%len(topics)]
		text := fmt.Sprintf("%s talked about %s in %s%s, note %d.", p, tp, pl, strings.Repeat(" zebra", i), i)
		v := make([]float32, memorytest.Dim)
		for j := range v {
			v[j] = float32(math.Sin(float64(i*memorytest.Dim+j) * 1.37))
		}
		m := memorytest.Mem(bank, text, unit(v))
		if i%6 == 1 {
			m.Entities = []string{p, pl}
		}
		m.OccurredStart = t0.Add(time.Duration(i%30)*day + time.Duration(i)*time.Minute)
		ms = append(ms, m)
	}
	if err := s.Upsert(ctxT(t), ms); err != nil {
		t.Fatal(err)
	}
	return ms
}

// unit scales v to length 1.
func unit(v []float32) []float32 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	n := float32(math.Sqrt(ss))
	for i := range v {
		v[i] /= n
	}
	return v
}

func fullRequest(bank string) memory.SearchRequest {
	return memory.SearchRequest{Bank: bank, Limit: 10,
		Dense: memorytest.Vec(1, 2, 0.3), MinSimilarity: 0.1,
		Sparse:   memory.DefaultBM25.Query("hiking in Busan"),
		Entities: []string{"Jun"},
		Window:   &memory.TimeRange{Start: t0.Add(3 * day), End: t0.Add(9 * day)}}
}

// TestRoundTripsPerSearch counts round trips when no arm's cut falls
// inside a tie (the tie cases are counted in tieorder_test.go).
func TestRoundTripsPerSearch(t *testing.T) {
	s, srv := open(t)
	distinctCorpus(t, s, "b", 60)
	cases := []struct {
		name               string
		fused              bool
		seeds              int
		query, batch, trip int
	}{
		{"fused", true, 0, 1, 0, 1},
		{"fused with entity seeds", true, 5, 2, 0, 2},
		{"per arm", false, 0, 0, 1, 1},
		{"per arm with entity seeds", false, 5, 0, 2, 2},
	}
	for _, tc := range cases {
		req := fullRequest("b")
		req.Fused, req.EntitySeeds = tc.fused, tc.seeds
		srv.ResetCalls()
		before := s.RoundTrips()
		res, err := s.Search(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.Fused != tc.fused || len(res.Candidates) == 0 {
			t.Fatalf("%s: fused=%v with %d candidates", tc.name, res.Fused, len(res.Candidates))
		}
		q, b := srv.Calls(qdrant.Points_Query_FullMethodName), srv.Calls(qdrant.Points_QueryBatch_FullMethodName)
		if q != tc.query || b != tc.batch || srv.TotalCalls() != tc.trip || int(s.RoundTrips()-before) != tc.trip {
			t.Errorf("%s: %d Query + %d QueryBatch (%d calls, RoundTrips %d), want %d + %d",
				tc.name, q, b, srv.TotalCalls(), s.RoundTrips()-before, tc.query, tc.batch)
		}
	}
}

// TestFusedMatchesClientRRF checks the server-side fusion against RRF
// (k = 60, 1-based ranks) computed here from the per-arm ranks of the
// same request: same members, and scores never increase along the fused
// order.
func TestFusedMatchesClientRRF(t *testing.T) {
	s, _ := open(t)
	// Memories tied in an arm are ranked by memory id per arm and by the
	// server in a fused query: a corpus without ties compares the fusion
	// alone.
	distinctCorpus(t, s, "b", 80)
	req := fullRequest("b")
	// The fused entity prefetch orders its members by cosine, the per-arm
	// entity arm by entity score: TestEntityArmOrder covers it instead.
	req.Entities = nil
	arms, err := s.Search(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	rrf := map[string]float64{}
	for _, c := range arms.Candidates {
		for a := memory.Arm(0); a < memory.NumArms; a++ {
			if c.Ranks[a] > 0 {
				rrf[c.Memory.ID] += 1 / float64(memory.RRFK+c.Ranks[a])
			}
		}
	}
	req.Fused = true
	fused, err := s.Search(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	if !fused.Fused || len(fused.Candidates) != len(rrf) {
		t.Fatalf("fused %d candidates, per-arm union %d", len(fused.Candidates), len(rrf))
	}
	prev := 1.0
	for i, c := range fused.Candidates {
		sc, ok := rrf[c.Memory.ID]
		if !ok {
			t.Fatalf("fused result %q not found by any arm", c.Memory.Text)
		}
		if sc > prev+1e-9 {
			t.Fatalf("fused position %d (%q) has RRF %.6f above the previous %.6f", i, c.Memory.Text, sc, prev)
		}
		prev = sc
	}
	if len(fused.Candidates) < 5 {
		t.Fatalf("too few candidates (%d) for the check to mean anything", len(fused.Candidates))
	}
}

func TestProfilesStayOutOfMemories(t *testing.T) {
	s, _ := open(t)
	ctx := ctxT(t)
	if err := s.PutBank(ctx, memory.Bank{ID: "b", Background: "Busan hiking fan"}); err != nil {
		t.Fatal(err)
	}
	corpus(t, s, "b", 10)
	if n := count(t, s, "b"); n != 10 {
		t.Fatalf("count %d includes the profile", n)
	}
	res, err := s.Search(ctx, memory.SearchRequest{Bank: "b", Limit: 50, Dense: memorytest.Vec(0, 1, 0), MinSimilarity: -1,
		Sparse: memory.DefaultBM25.Query("Busan hiking fan"), Window: &memory.TimeRange{}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Candidates {
		if c.Memory.Text == "" {
			t.Fatalf("search returned a profile: %+v", c)
		}
	}
	var scanned []string
	if err := s.Scan(ctx, "b", func(ms []memory.Memory) error {
		for _, m := range ms {
			scanned = append(scanned, m.ID)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(scanned) != 10 {
		t.Fatalf("scan found %d, want 10", len(scanned))
	}
	if err := s.DeleteBank(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "b"); n != 0 {
		t.Fatalf("count after DeleteBank %d", n)
	}
}

func TestEntityArmOrder(t *testing.T) {
	s, _ := open(t)
	mk := func(text string, v []float32, es ...string) memory.Memory {
		m := memorytest.Mem("b", text, v)
		m.Entities = es
		return m
	}
	ms := []memory.Memory{
		mk("both far", memorytest.Vec(5, 6, 0), "Mina", "Busan"),
		mk("mina near", memorytest.Vec(0, 1, 0.05), "Mina"),
		mk("mina mid", memorytest.Vec(0, 1, 0.6), "MINA "),
		mk("busan near", memorytest.Vec(0, 1, 0.1), "Busan"),
		mk("none", memorytest.Vec(0, 1, 0), "Jun"),
	}
	if err := s.Upsert(ctxT(t), ms); err != nil {
		t.Fatal(err)
	}
	emb := memory.NewEmbeddedStore()
	defer emb.Close()
	if err := emb.Upsert(ctxT(t), ms); err != nil {
		t.Fatal(err)
	}
	// Entity scores: "mina" is in 3 of 5 memories, IDF(3, 5) = 0.539;
	// "busan" in 2, IDF(2, 5) = 0.875; cosine breaks ties.
	cases := []struct {
		name      string
		min       float64
		want, cos []string // per-arm order; fused order (members by cosine)
	}{
		{"no floor", 0, []string{"both far", "busan near", "mina near", "mina mid"}, []string{"mina near", "busan near", "mina mid", "both far"}},
		{"floor 0.6", 0.6, []string{"both far", "busan near"}, []string{"busan near", "both far"}},
		{"floor 1.5", 1.5, nil, nil},
	}
	for _, tc := range cases {
		req := memory.SearchRequest{Bank: "b", Limit: 10, Dense: memorytest.Vec(0, 1, 0), SkipSemantic: true,
			Entities: []string{"mina", "Busan"}, MinEntityScore: tc.min}
		for name, st := range map[string]memory.Store{"embedded": emb, "qdrant": s} {
			res, err := st.Search(ctxT(t), req)
			if err != nil {
				t.Fatal(err)
			}
			if got := memorytest.ArmOrder(res, memory.ArmEntity); !slices.Equal(got, tc.want) {
				t.Errorf("%s, %s: entity order %q, want %q", tc.name, name, got, tc.want)
			}
		}
		req.Fused = true
		res, err := s.Search(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := memorytest.ArmOrder(res, memory.ArmEntity); !res.Fused || !slices.Equal(got, tc.cos) {
			t.Errorf("%s, fused: order %q (fused %v), want %q", tc.name, got, res.Fused, tc.cos)
		}
	}
}

// TestFusedFloors checks that the fused query applies both score floors
// server-side (the contract suite checks them per arm).
func TestFusedFloors(t *testing.T) {
	s, _ := open(t)
	mk := func(text string, v []float32, es ...string) memory.Memory {
		m := memorytest.Mem("b", text, v)
		m.Entities = es
		return m
	}
	if err := s.Upsert(ctxT(t), []memory.Memory{
		mk("Mina adopted Bori.", memorytest.Vec(0, 1, 0), "Mina", "Bori"),
		mk("Mina went running.", memorytest.Vec(1, 2, 0), "Mina"),
		mk("Mina cooked pasta.", memorytest.Vec(2, 3, 0), "Mina"),
		mk("Mina read a book.", memorytest.Vec(3, 4, 0), "Mina"),
	}); err != nil {
		t.Fatal(err)
	}
	// "mina": IDF(4, 4) = 0.105; "bori": IDF(1, 4) = 1.20.
	cases := []struct {
		name string
		req  memory.SearchRequest
		want int
	}{
		{"keyword, no floor", memory.SearchRequest{Sparse: memory.DefaultBM25.Query("Mina Bori")}, 4},
		{"keyword floor", memory.SearchRequest{Sparse: memory.DefaultBM25.Query("Mina Bori"), MinKeywordScore: 0.5}, 1},
		{"entity, no floor", memory.SearchRequest{Entities: []string{"Mina", "Bori"}}, 4},
		{"entity floor", memory.SearchRequest{Entities: []string{"Mina", "Bori"}, MinEntityScore: 0.5}, 1},
		{"seeded entity floor", memory.SearchRequest{EntitySeeds: 4, MinEntityScore: 0.2}, 1},
	}
	for _, tc := range cases {
		req := tc.req
		req.Bank, req.Limit, req.Fused, req.SkipSemantic = "b", 10, true, true
		req.Dense, req.MinSimilarity = memorytest.Vec(0, 1, 0), -1
		res, err := s.Search(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		got := memorytest.ArmOrder(res, memory.ArmEntity)
		if !res.Fused || len(got) != tc.want || got[0] != "Mina adopted Bori." {
			t.Errorf("%s: fused %v, %q; want %d led by the Bori memory", tc.name, res.Fused, got, tc.want)
		}
	}
}

// TestEngineOverQdrant runs the memory engine on the Qdrant store and on
// the embedded store with the same facts: a Korean and an English recall
// must put the same memory first.
func TestEngineOverQdrant(t *testing.T) {
	const dim = 64
	now := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	q, _ := open(t, func(c *mq.Config) { c.Dimension = dim })
	engines := map[string]*memory.Engine{}
	for name, st := range map[string]memory.Store{"qdrant": q, "embedded": memory.NewEmbeddedStore()} {
		e, err := memory.New(memory.Config{Store: st, Embedder: memory.OfflineEmbedder{Dim: dim}, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []string{
			"민수는 지난달 부산으로 이사했다.",
			"Mina adopted a cat named Bori last week.",
			"Jun started learning the piano in Seoul.",
			"민수는 서울에서 회의를 했다.",
		} {
			if _, err := e.Retain(ctxT(t), "u", c, memory.RetainOptions{}); err != nil {
				t.Fatalf("%s retain: %v", name, err)
			}
		}
		engines[name] = e
	}
	for _, query := range []string{"민수 부산 이사", "What is the name of Mina's cat?", "piano lessons"} {
		var tops []string
		for _, name := range []string{"qdrant", "embedded"} {
			r, err := engines[name].Recall(ctxT(t), "u", query, memory.RecallOptions{})
			if err != nil {
				t.Fatalf("%s recall %q: %v", name, query, err)
			}
			if len(r.Hits) == 0 {
				t.Fatalf("%s recall %q found nothing", name, query)
			}
			tops = append(tops, r.Hits[0].Memory.Text)
		}
		if tops[0] != tops[1] {
			t.Errorf("recall %q: qdrant top %q, embedded top %q", query, tops[0], tops[1])
		}
	}
	if b, err := q.Bank(ctxT(t), "u"); err != nil || b.ID != "u" {
		t.Fatalf("the engine's bank profile is not in Qdrant: %+v %v", b, err)
	}
}

func TestDeleteMatching(t *testing.T) {
	s, _ := open(t)
	ms := corpus(t, s, "b", 20)
	corpus(t, s, "c", 5)
	if err := s.PutBank(ctxT(t), memory.Bank{ID: "b"}); err != nil {
		t.Fatal(err)
	}
	win := memory.Filter{Window: &memory.TimeRange{Start: t0, End: t0.Add(4 * day)}}
	want := 0
	for i := range ms {
		if win.Match(&ms[i]) {
			want++
		}
	}
	if n, _ := s.Count(ctxT(t), "b", win); n != want || want == 0 {
		t.Fatalf("count in window %d, want %d (> 0)", n, want)
	}
	if err := s.DeleteMatching(ctxT(t), "b", win); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "b"); n != 20-want {
		t.Fatalf("count after delete %d, want %d", n, 20-want)
	}
	if n := count(t, s, "c"); n != 5 {
		t.Fatalf("other bank touched: %d", n)
	}
	if _, err := s.Bank(ctxT(t), "b"); err != nil {
		t.Fatalf("profile removed: %v", err)
	}
	if err := s.DeleteMatching(ctxT(t), "b", memory.Filter{Kinds: []memory.Kind{"rumour"}}); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("bad filter: %v", err)
	}
}

// TestLargeVectorsArePaged: with 4096-dimensional vectors a Get or Scan
// of 150 memories is split into pages of 64 so no response nears gRPC's
// message limit, and the order of Get is kept.
func TestLargeVectorsArePaged(t *testing.T) {
	const dim = 4096
	s, srv := open(t, func(c *mq.Config) { c.Dimension = dim })
	var ms []memory.Memory
	for i := 0; i < 150; i++ {
		v := make([]float32, dim)
		v[i] = 1
		ms = append(ms, memorytest.Mem("b", fmt.Sprintf("Large fact %d.", i), v))
	}
	srv.ResetCalls()
	if err := s.Upsert(ctxT(t), ms); err != nil {
		t.Fatal(err)
	}
	if n := srv.Calls(qdrant.Points_Upsert_FullMethodName); n != 2 {
		t.Fatalf("%d upsert calls, want 2 batches of at most 128 (2 MiB of vectors)", n)
	}
	ids := idsOf(ms)
	slices.Reverse(ids)
	srv.ResetCalls()
	got, err := s.Get(ctxT(t), "b", ids)
	if err != nil || len(got) != 150 {
		t.Fatalf("Get: %d, %v", len(got), err)
	}
	for i := range got {
		if got[i].ID != ids[i] || got[i].Vector[149-i] != 1 {
			t.Fatalf("Get[%d] = %s, want %s with its vector", i, got[i].ID, ids[i])
		}
	}
	if n := srv.Calls(qdrant.Points_Get_FullMethodName); n != 3 {
		t.Fatalf("%d Get calls, want 3 pages of 64", n)
	}
	pages := 0
	total := 0
	if err := s.Scan(ctxT(t), "b", func(ms []memory.Memory) error { pages++; total += len(ms); return nil }); err != nil {
		t.Fatal(err)
	}
	if pages != 3 || total != 150 {
		t.Fatalf("Scan: %d pages, %d memories", pages, total)
	}
}

// armScores lists an arm's scores in rank order.
func armScores(res memory.SearchResult, a memory.Arm) []float64 {
	type rs struct {
		r int
		s float64
	}
	var l []rs
	for _, c := range res.Candidates {
		if c.Ranks[a] > 0 {
			l = append(l, rs{c.Ranks[a], c.Scores[a]})
		}
	}
	slices.SortFunc(l, func(x, y rs) int { return x.r - y.r })
	out := make([]float64, len(l))
	for i, x := range l {
		out[i] = x.s
	}
	return out
}

// TestArmsMatchEmbedded runs the same per-arm requests on the embedded
// store and on Qdrant over the same bank (the collection's only bank, so
// Qdrant's collection-wide IDF is the bank's): every arm, with and
// without score floors, must return the same memories with the same
// scores in the same order.
func TestArmsMatchEmbedded(t *testing.T) {
	q, _ := open(t)
	emb := memory.NewEmbeddedStore()
	defer emb.Close()
	corpus(t, q, "b", 120)
	corpus(t, emb, "b", 120)
	reqs := map[string]memory.SearchRequest{
		"semantic":          {Bank: "b", Limit: 15, Dense: memorytest.Vec(1, 2, 0.3), MinSimilarity: 0.2},
		"keyword":           {Bank: "b", Limit: 15, Sparse: memory.DefaultBM25.Query("Jun hiking in Busan, note 17")},
		"temporal":          {Bank: "b", Limit: 15, Dense: memorytest.Vec(3, 4, 0.1), SkipSemantic: true, Window: &memory.TimeRange{Start: t0.Add(2 * day), End: t0.Add(6 * day)}},
		"temporal by time":  {Bank: "b", Limit: 15, Window: &memory.TimeRange{Start: t0.Add(2 * day), End: t0.Add(6 * day)}},
		"temporal open end": {Bank: "b", Limit: 7, Window: &memory.TimeRange{Start: t0.Add(20 * day)}},
		"filtered keyword": {Bank: "b", Limit: 15, Sparse: memory.DefaultBM25.Query("coffee piano"),
			Filter: memory.Filter{Window: &memory.TimeRange{End: t0.Add(10 * day)}}},
		"keyword floor": {Bank: "b", Limit: 100, Sparse: memory.DefaultBM25.Query("Jun talked about hiking in Busan"), MinKeywordScore: 2},
		"entity": {Bank: "b", Limit: 100, Dense: memorytest.Vec(3, 4, 0.1), SkipSemantic: true,
			Entities: []string{"sora", "Jeju", "Mina"}},
		"entity floor": {Bank: "b", Limit: 100, Dense: memorytest.Vec(3, 4, 0.1), SkipSemantic: true,
			Entities: []string{"sora", "Jeju", "Mina"}, MinEntityScore: 2},
		"entity seeds": {Bank: "b", Limit: 100, Dense: memorytest.Vec(3, 4, 0.1), MinSimilarity: 0.5,
			Entities: []string{"Jeju"}, EntitySeeds: 3, MinEntityScore: 1},
	}
	for name, req := range reqs {
		a, err := emb.Search(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := q.Search(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		for arm := memory.Arm(0); arm < memory.NumArms; arm++ {
			if x, y := armIDs(a, arm), armIDs(b, arm); !slices.Equal(x, y) {
				t.Fatalf("%s, %s arm: embedded ranks %v, qdrant %v", name, arm, x, y)
			}
			x, y := armScores(a, arm), armScores(b, arm)
			if len(x) != len(y) {
				t.Fatalf("%s, %s arm: embedded %d hits, qdrant %d", name, arm, len(x), len(y))
			}
			for i := range x {
				if d := x[i] - y[i]; d > 1e-3*max(1, -x[i]) || d < -1e-3*max(1, -x[i]) {
					t.Fatalf("%s, %s arm, rank %d: embedded score %v, qdrant %v", name, arm, i+1, x[i], y[i])
				}
			}
		}
	}
	req := memory.SearchRequest{Bank: "b", Limit: 100, Entities: []string{"sora", "Jeju"}}
	a, _ := emb.Search(ctxT(t), req)
	b, _ := q.Search(ctxT(t), req)
	x, y := memorytest.ArmOrder(a, memory.ArmEntity), memorytest.ArmOrder(b, memory.ArmEntity)
	slices.Sort(x)
	slices.Sort(y)
	if len(x) == 0 || !slices.Equal(x, y) {
		t.Fatalf("entity members differ: embedded %d, qdrant %d", len(x), len(y))
	}
}
