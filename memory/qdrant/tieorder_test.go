package qdrant_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"github.com/qdrant/go-client/qdrant"
)

// These tests build memories whose scores tie exactly in each arm, with
// the arm's Limit falling inside the tie, and check that the Qdrant store
// ranks every arm as the embedded store does: score, then memory id.

var nato = []string{"alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
	"juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra",
	"tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu"}

// word is a distinct word for each i.
func word(i int) string { return nato[i%len(nato)] + nato[(i/len(nato))%len(nato)] }

// axis is the unit vector along dimension d.
func axis(d int) []float32 {
	v := make([]float32, memorytest.Dim)
	v[d] = 1
	return v
}

// mix is the unit vector along x·e_a + y·e_b.
func mix(a int, x float32, b int, y float32) []float32 {
	v := make([]float32, memorytest.Dim)
	v[a] += x
	v[b] += y
	return unit(v)
}

type tieCase struct {
	name string
	req  memory.SearchRequest
	// arm is the arm whose cut falls inside a tie (NumArms: none)
	arm memory.Arm
	// batches and gets are the QueryBatch and Get calls the Qdrant
	// store makes (gets: at most)
	batches, gets int
}

// tieStores stores ms in an embedded store and in a Qdrant store.
func tieStores(t *testing.T, ms []memory.Memory) (*mq.Store, *qdranttest.Server, memory.Store) {
	t.Helper()
	q, srv := open(t)
	emb := memory.NewEmbeddedStore()
	t.Cleanup(func() { _ = emb.Close() })
	for _, s := range []memory.Store{q, emb} {
		if err := s.Upsert(ctxT(t), slices.Clone(ms)); err != nil {
			t.Fatal(err)
		}
	}
	return q, srv, emb
}

// armIDs lists an arm's memory ids in rank order.
func armIDs(res memory.SearchResult, a memory.Arm) []string {
	type rid struct {
		r  int
		id string
	}
	var l []rid
	for _, c := range res.Candidates {
		if c.Ranks[a] > 0 {
			l = append(l, rid{c.Ranks[a], c.Memory.ID})
		}
	}
	slices.SortFunc(l, func(x, y rid) int { return x.r - y.r })
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = x.id
	}
	return out
}

// runTieCases checks each case on both stores: every arm the same ids in
// the same order with the same scores, the case's arm cut inside a tie
// the server orders differently (so the check means something), and the
// Qdrant store's calls.
func runTieCases(t *testing.T, ms []memory.Memory, cases []tieCase) {
	t.Helper()
	q, srv, emb := tieStores(t, ms)
	bank := ms[0].Bank
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.req
			req.Bank = bank
			want, err := emb.Search(ctxT(t), req)
			if err != nil {
				t.Fatal(err)
			}
			srv.ResetCalls()
			got, err := q.Search(ctxT(t), req)
			if err != nil {
				t.Fatal(err)
			}
			for a := memory.Arm(0); a < memory.NumArms; a++ {
				w, g := armIDs(want, a), armIDs(got, a)
				if !slices.Equal(w, g) {
					t.Errorf("%s arm: embedded %v\n qdrant %v", a, w, g)
					continue
				}
				ws, gs := armScores(want, a), armScores(got, a)
				for i := range ws {
					if math.Abs(ws[i]-gs[i]) > 1e-6*max(1, math.Abs(ws[i])) {
						t.Errorf("%s arm, rank %d: embedded score %v, qdrant %v", a, i+1, ws[i], gs[i])
					}
				}
			}
			if tc.arm < memory.NumArms {
				checkTieAtCut(t, q, emb, req, tc.arm, want)
			}
			b, g := srv.Calls(qdrant.Points_QueryBatch_FullMethodName), srv.Calls(qdrant.Points_Get_FullMethodName)
			if b != tc.batches || g > tc.gets || srv.TotalCalls() != b+g {
				t.Errorf("%d QueryBatch + %d Get (%d calls), want %d + at most %d", b, g, srv.TotalCalls(), tc.batches, tc.gets)
			}
		})
	}
}

// checkTieAtCut fails unless the arm's last kept memory ties with one the
// embedded store left out, and ordering the arm's tied memories by point
// id (the server's order of ties) would keep others or order them
// otherwise.
func checkTieAtCut(t *testing.T, q *mq.Store, emb memory.Store, req memory.SearchRequest, a memory.Arm, res memory.SearchResult) {
	t.Helper()
	ids := armIDs(res, a)
	sc := armScores(res, a)
	if len(ids) != req.Limit {
		t.Fatalf("%s arm holds %d memories, not Limit %d: no cut", a, len(ids), req.Limit)
	}
	wide := req
	wide.Limit = 1000
	all, err := emb.Search(ctxT(t), wide)
	if err != nil {
		t.Fatal(err)
	}
	allIDs, allSc := armIDs(all, a), armScores(all, a)
	if len(allIDs) <= req.Limit || allSc[req.Limit] != sc[req.Limit-1] {
		t.Fatalf("%s arm: the memory after the cut does not tie with the last kept one (%v)", a, allSc)
	}
	var tied []string
	for i, s := range allSc {
		if s == sc[req.Limit-1] {
			tied = append(tied, allIDs[i])
		}
	}
	byPoint := slices.Clone(tied)
	slices.SortFunc(byPoint, func(x, y string) int {
		return strings.Compare(mq.PointID(req.Bank, x), mq.PointID(req.Bank, y))
	})
	kept := 0
	for _, s := range sc {
		if s == sc[req.Limit-1] {
			kept++
		}
	}
	if slices.Equal(byPoint[:kept], tied[:kept]) {
		t.Fatalf("%s arm: point ids order the tied memories as their ids do; the case checks nothing", a)
	}
}

// TestTieOrderSemantic: identical vectors, and cosines of exactly 0
// (one of them from a vector with a -0 component), tie.
func TestTieOrderSemantic(t *testing.T) {
	var ms []memory.Memory
	add := func(text string, v []float32) { ms = append(ms, memorytest.Mem("b", text, v)) }
	for i := 0; i < 3; i++ {
		add("near "+word(i), mix(0, 1, 1, 0.1*float32(i+1)))
	}
	for i := 0; i < 12; i++ {
		add("tied "+word(i), mix(0, 1, 2, 1))
	}
	for i := 0; i < 3; i++ {
		add("below "+word(i), mix(0, 1, 3, 2))
	}
	for i := 0; i < 9; i++ {
		add("orthogonal "+word(i), axis(4+i%3))
	}
	negZero := make([]float32, memorytest.Dim)
	negZero[0], negZero[5] = float32(math.Copysign(0, -1)), -1
	add("negative zero", negZero)
	q := axis(0)
	runTieCases(t, ms, []tieCase{
		{"cut between scores", memory.SearchRequest{Limit: 3, Dense: q, MinSimilarity: -1}, memory.NumArms, 1, 0},
		{"cut inside a tie", memory.SearchRequest{Limit: 8, Dense: q, MinSimilarity: -1}, memory.ArmSemantic, 2, 1},
		{"tie inside the arm", memory.SearchRequest{Limit: 15, Dense: q, MinSimilarity: -1}, memory.NumArms, 1, 0},
		{"cut inside cosine 0", memory.SearchRequest{Limit: 22, Dense: q, MinSimilarity: -1}, memory.ArmSemantic, 2, 1},
		{"tie at the threshold", memory.SearchRequest{Limit: 5, Dense: q, MinSimilarity: 0.7}, memory.ArmSemantic, 2, 1},
	})
}

// TestTieOrderKeyword: documents of the same length holding the query
// term once score alike.
func TestTieOrderKeyword(t *testing.T) {
	var ms []memory.Memory
	add := func(text string) { ms = append(ms, memorytest.Mem("k", text, axis(7))) }
	add("coffee coffee " + word(0))
	add("coffee " + word(1))
	for i := 0; i < 12; i++ {
		add(fmt.Sprintf("coffee %s %s", word(i), word(i+30)))
	}
	for i := 0; i < 3; i++ {
		add(fmt.Sprintf("coffee %s %s %s", word(i), word(i+30), word(i+60)))
	}
	for i := 0; i < 4; i++ {
		add("tea " + word(i))
	}
	kw := memory.DefaultBM25.Query("coffee")
	runTieCases(t, ms, []tieCase{
		{"cut between scores", memory.SearchRequest{Limit: 2, Sparse: kw}, memory.NumArms, 1, 0},
		{"cut inside a tie", memory.SearchRequest{Limit: 7, Sparse: kw}, memory.ArmKeyword, 2, 1},
		{"tie inside the arm", memory.SearchRequest{Limit: 14, Sparse: kw}, memory.NumArms, 1, 0},
		{"cut inside a tie, with a floor", memory.SearchRequest{Limit: 5, Sparse: kw, MinKeywordScore: 0.1}, memory.ArmKeyword, 2, 1},
	})
}

// TestTieOrderEntity: memories carrying one of two entities of the same
// document frequency tie on entity score, and, with identical vectors,
// on the cosine tie-break too; with different vectors the cosine decides
// inside the entity-score tie the server cut.
func TestTieOrderEntity(t *testing.T) {
	var ms []memory.Memory
	add := func(text string, v []float32, es ...string) {
		m := memorytest.Mem("e", text, v)
		m.Entities = es
		ms = append(ms, m)
	}
	same := mix(0, 1, 1, 1)
	add("both one", same, "Aster", "Birch")
	add("both two", same, "Aster", "Birch")
	for i := 0; i < 6; i++ {
		add("aster "+word(i), same, "Aster")
		add("birch "+word(i), same, "Birch")
	}
	for i := 0; i < 6; i++ {
		add("other "+word(i), same, "Cedar")
	}
	// the same entity scores, and cosines that differ
	for i := 0; i < 6; i++ {
		add("dune "+word(i), mix(0, 1, 2, float32(i%3)), "Dune")
		add("elm "+word(i), mix(0, 1, 2, float32(i%3)), "Elm")
	}
	ents := []string{"aster", "BIRCH"}
	runTieCases(t, ms, []tieCase{
		{"no query vector", memory.SearchRequest{Limit: 8, Entities: ents}, memory.ArmEntity, 2, 1},
		{"equal cosines", memory.SearchRequest{Limit: 8, Entities: ents, Dense: axis(0), SkipSemantic: true}, memory.ArmEntity, 2, 1},
		{"tie inside the arm", memory.SearchRequest{Limit: 20, Entities: ents, Dense: axis(0), SkipSemantic: true}, memory.NumArms, 1, 0},
		{"with a floor", memory.SearchRequest{Limit: 8, Entities: ents, MinEntityScore: 0.1}, memory.ArmEntity, 2, 1},
		// the entity scores tie, the cosines order them in pairs
		{"cosine inside the tie", memory.SearchRequest{Limit: 7, Entities: []string{"Dune", "Elm"}, Dense: axis(0), SkipSemantic: true}, memory.ArmEntity, 2, 1},
	})
}

// TestTieOrderTemporal: with a query vector, identical and orthogonal
// vectors tie; without one, memories at the same time, or as far before
// the window's middle as after it, tie.
func TestTieOrderTemporal(t *testing.T) {
	var ms []memory.Memory
	add := func(text string, v []float32, at time.Time) {
		m := memorytest.Mem("t", text, v)
		m.OccurredStart = at
		ms = append(ms, m)
	}
	mid := t0
	win := &memory.TimeRange{Start: mid.Add(-day), End: mid.Add(day)}
	add("at the middle one", mix(0, 1, 1, 0.2), mid)
	add("at the middle two", mix(0, 1, 1, 0.4), mid)
	for i := 0; i < 8; i++ {
		add("hour after "+word(i), axis(3), mid.Add(time.Hour))
		add("hour before "+word(i), axis(4), mid.Add(-time.Hour))
	}
	for i := 0; i < 2; i++ {
		add("later "+word(i), mix(0, -1, 1, 1), mid.Add(3*time.Hour))
	}
	add("outside", axis(0), mid.Add(2*day))
	runTieCases(t, ms, []tieCase{
		{"by cosine, cut between scores", memory.SearchRequest{Limit: 2, Dense: axis(0), SkipSemantic: true, Window: win}, memory.NumArms, 1, 0},
		{"by cosine, cut inside cosine 0", memory.SearchRequest{Limit: 6, Dense: axis(0), SkipSemantic: true, Window: win}, memory.ArmTemporal, 2, 1},
		{"by time, cut between distances", memory.SearchRequest{Limit: 2, Window: win}, memory.NumArms, 1, 0},
		{"by time, cut inside a tie", memory.SearchRequest{Limit: 6, Window: win}, memory.ArmTemporal, 2, 1},
		{"by time, tie inside the arm", memory.SearchRequest{Limit: 18, Window: win}, memory.NumArms, 1, 0},
	})
}

// TestTieOrderTemporalSubMicrosecond: memories 1536 ns either side of
// the window's middle tie in the embedded store, though their when_mid
// (µs, truncated) lie 1 and 2 µs from the middle's.
func TestTieOrderTemporalSubMicrosecond(t *testing.T) {
	m0 := t0.UnixNano() / 1024 * 1024
	for m0%1000 < 536 {
		m0 += 1024
	}
	mid := time.Unix(0, m0).UTC()
	win := &memory.TimeRange{Start: mid.Add(-time.Hour), End: mid.Add(time.Hour)}
	var ms []memory.Memory
	var after []string
	for i, d := range []time.Duration{-1536, 1536, -1536, 1536} {
		m := memorytest.Mem("u", "close "+word(i), axis(1))
		m.OccurredStart = mid.Add(d)
		ms = append(ms, m)
		if d > 0 {
			after = append(after, m.ID)
		}
	}
	first := []string{ms[0].ID, ms[1].ID, ms[2].ID, ms[3].ID}
	slices.Sort(first)
	if !slices.Contains(after, first[0]) && !slices.Contains(after, first[1]) {
		t.Fatal("the two smallest ids are both before the middle; the case checks nothing")
	}
	m := memorytest.Mem("u", "far", axis(1))
	m.OccurredStart = mid.Add(time.Minute)
	ms = append(ms, m)
	runTieCases(t, ms, []tieCase{
		{"whole arm", memory.SearchRequest{Limit: 5, Window: win}, memory.NumArms, 1, 0},
		{"cut inside the tie", memory.SearchRequest{Limit: 2, Window: win}, memory.NumArms, 1, 0},
	})
}

// TestTieOrderLargeTie: a tie many times the limit is read with growing
// band queries.
func TestTieOrderLargeTie(t *testing.T) {
	var ms []memory.Memory
	for i := 0; i < 40; i++ {
		ms = append(ms, memorytest.Mem("l", "same "+word(i), axis(2)))
	}
	ms = append(ms, memorytest.Mem("l", "best", mix(0, 1, 2, 1)))
	runTieCases(t, ms, []tieCase{
		// probe 3, band 12 (full), band 48
		{"limit 2", memory.SearchRequest{Limit: 2, Dense: mix(0, 1, 2, 1), MinSimilarity: -1}, memory.ArmSemantic, 3, 1},
	})
}

// TestTieOrderSeeds: the entity seeds are the top semantic hits ranked by
// memory id among equal cosines, per arm and in a fused search.
func TestTieOrderSeeds(t *testing.T) {
	var ms []memory.Memory
	var tops []memory.Memory
	for i := 0; i < 12; i++ {
		m := memorytest.Mem("s", "top "+word(i), axis(0))
		m.Entities = []string{"Person" + word(i)}
		tops = append(tops, m)
		ms = append(ms, m)
		for j := 0; j < 2; j++ {
			o := memorytest.Mem("s", fmt.Sprintf("about %s %d", word(i), j), axis(3))
			o.Entities = []string{"Person" + word(i)}
			ms = append(ms, o)
		}
	}
	slices.SortFunc(tops, func(a, b memory.Memory) int { return strings.Compare(a.ID, b.ID) })
	req := memory.SearchRequest{Limit: 4, Dense: axis(0), MinSimilarity: -1, SkipSemantic: true, EntitySeeds: 1}
	runTieCases(t, ms, []tieCase{
		// the semantic query keeps one seed: probe, band of 8 (full),
		// band of 32; then the entity arm
		{"per arm", req, memory.NumArms, 4, 1},
	})
	q, _, _ := tieStores(t, ms)
	req.Bank, req.Fused = "s", true
	res, err := q.Search(ctxT(t), req)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Candidates {
		got = append(got, c.Memory.Text)
	}
	slices.Sort(got)
	want := []string{"about " + tops[0].Text[len("top "):] + " 0", "about " + tops[0].Text[len("top "):] + " 1", tops[0].Text}
	slices.Sort(want)
	if !res.Fused || !slices.Equal(got, want) {
		t.Fatalf("fused search seeded from the wrong memory: %q, want %q", got, want)
	}
}

// TestTieOrderSeedsAboveTheTie: when the semantic cut falls inside a tie
// below the seeds, the seeded entity arm goes in the same batch as the
// semantic arm's band.
func TestTieOrderSeedsAboveTheTie(t *testing.T) {
	var ms []memory.Memory
	add := func(text string, v []float32, es ...string) {
		m := memorytest.Mem("a", text, v)
		m.Entities = es
		ms = append(ms, m)
	}
	add("leader", axis(0), "Leader")
	add("about the leader", axis(3), "Leader")
	add("more about the leader", axis(4), "Leader")
	for i := 0; i < 12; i++ {
		add("tied "+word(i), mix(0, 1, 1, 1), "Person"+word(i))
	}
	runTieCases(t, ms, []tieCase{
		// the semantic probe, then its band together with the entity
		// arm's first queries
		{"seed above the tie", memory.SearchRequest{Limit: 4, Dense: axis(0), MinSimilarity: -1, EntitySeeds: 1}, memory.ArmSemantic, 2, 1},
	})
}
