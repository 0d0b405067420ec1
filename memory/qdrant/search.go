package qdrant

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jedisos/jedisos/memory"
	"github.com/qdrant/go-client/qdrant"
)

// RRFK is the constant of the server-side Reciprocal Rank Fusion. Qdrant
// scores a point at 0-based position p with 1/(K + p); K = 61 equals the
// engine's k = 60 with 1-based ranks ([memory.RRFK]).
const RRFK = memory.RRFK + 1

// Search implements [memory.Store]; the package documentation describes
// how each arm maps to Qdrant and how many round trips a search takes.
func (s *Store) Search(ctx context.Context, req memory.SearchRequest) (memory.SearchResult, error) {
	if err := req.Validate(); err != nil {
		return memory.SearchResult{}, err
	}
	if err := s.check(); err != nil {
		return memory.SearchResult{}, err
	}
	if len(req.Dense) > 0 && len(req.Dense) != s.dim {
		return memory.SearchResult{}, fmt.Errorf("%w: search: query vector has %d dimensions, collection %q has %d",
			memory.ErrDimension, len(req.Dense), s.cfg.Collection, s.dim)
	}
	p := plan{req: &req, base: bankFilter(req.Bank, &req.Filter), coll: s.cfg.Collection, limit: uint64(req.Limit)}
	for _, k := range entityKeys(req.Entities) {
		p.ents = append(p.ents, weighted{k, 1})
	}
	if req.Fused && len(req.Dense) > 0 {
		return s.searchFused(ctx, &p)
	}
	return s.searchArms(ctx, &p)
}

type weighted struct {
	key string
	w   float64
}

// plan holds what every query of one search shares.
type plan struct {
	req   *memory.SearchRequest
	base  *qdrant.Filter
	coll  string
	limit uint64
	ents  []weighted
}

func (p *plan) hasDense() bool  { return len(p.req.Dense) > 0 }
func (p *plan) semSeeds() bool  { return p.hasDense() && p.req.EntitySeeds > 0 }
func (p *plan) kwSeeds() bool   { return p.req.Sparse.Len() > 0 && p.req.KeywordSeeds > 0 }
func (p *plan) needSeeds() bool { return p.semSeeds() || p.kwSeeds() }

// addSeeds adds the entity keys of the top EntitySeeds semantic hits. As
// in package memory, an entity first carried by the seed ranked r weighs
// memory.SeedEntityWeight / r; one already known keeps its larger weight.
func (p *plan) addSeeds(hs []hit, n int) {
	for i := 0; i < len(hs) && i < n; i++ {
		w := memory.SeedEntityWeight / float64(i+1)
		for _, k := range entityKeys(hs[i].m.Entities) {
			if j := slices.IndexFunc(p.ents, func(e weighted) bool { return e.key == k }); j >= 0 {
				p.ents[j].w = max(p.ents[j].w, w)
			} else {
				p.ents = append(p.ents, weighted{k, w})
			}
		}
	}
}

func (p *plan) entityKeys() []string {
	ks := make([]string, len(p.ents))
	for i, e := range p.ents {
		ks[i] = e.key
	}
	return ks
}

func (p *plan) semantic(n uint64) *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{
		Query: qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Filter: p.base, ScoreThreshold: qdrant.PtrOf(p.req.MinSimilarity), Limit: qdrant.PtrOf(n),
	}
}

// keyword: nearest "bm25", Qdrant applying the IDF, hits below
// MinKeywordScore dropped by score_threshold.
func (p *plan) keyword(n uint64) *qdrant.PrefetchQuery {
	q := &qdrant.PrefetchQuery{
		Query: qdrant.NewQuerySparse(p.req.Sparse.Indices, p.req.Sparse.Values), Using: qdrant.PtrOf(SparseVector),
		Filter: p.base, Limit: qdrant.PtrOf(n),
	}
	if p.req.MinKeywordScore > 0 {
		q.ScoreThreshold = qdrant.PtrOf(float32(p.req.MinKeywordScore))
	}
	return q
}

// entityScored: memories carrying any of the entity keys (a payload
// filter on the keyword-indexed "entities"), ranked by their entity score:
// a sparse query over [EntityVector] whose weights are the entities'
// weights, Qdrant multiplying each by the entity's IDF; hits below
// MinEntityScore dropped by score_threshold.
func (p *plan) entityScored(n uint64) *qdrant.PrefetchQuery {
	w := make(map[uint32]float64, len(p.ents))
	for _, e := range p.ents {
		i := entityIndex(p.req.Bank, e.key)
		w[i] = max(w[i], e.w)
	}
	idx, vals := sparseOfMap(w)
	q := &qdrant.PrefetchQuery{
		Query: qdrant.NewQuerySparse(idx, vals), Using: qdrant.PtrOf(EntityVector),
		Filter: with(p.base, func(f *qdrant.Filter) {
			f.Must = append(f.Must, qdrant.NewMatchKeywords(keyEntities, p.entityKeys()...))
		}),
		Limit: qdrant.PtrOf(n),
	}
	if p.req.MinEntityScore > 0 {
		q.ScoreThreshold = qdrant.PtrOf(float32(p.req.MinEntityScore))
	}
	return q
}

// entity: the members of entityScored, nearest to Dense first (a nested
// prefetch); entityScored itself without a query vector.
func (p *plan) entity(n uint64) *qdrant.PrefetchQuery {
	if !p.hasDense() {
		return p.entityScored(n)
	}
	return &qdrant.PrefetchQuery{
		Prefetch: []*qdrant.PrefetchQuery{p.entityScored(n)},
		Query:    qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Limit: qdrant.PtrOf(n),
	}
}

// temporal: memories whose time overlaps the window, nearest to Dense
// first (the Dense-less order is built by temporalByTime).
func (p *plan) temporal(n uint64) *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{
		Query: qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Filter: p.windowFilter(), Limit: qdrant.PtrOf(n),
	}
}

func (p *plan) windowFilter() *qdrant.Filter {
	return with(p.base, func(f *qdrant.Filter) { addWindow(f, p.req.Window) })
}

// seedQuery finds the top keep semantic hits whose entities expand the
// entity arm (only what ranks them and their entities come back).
func (p *plan) seedQuery(keep int) *qdrant.QueryPoints {
	q := root(p.coll, p.semantic(probe(keep)))
	q.WithPayload = qdrant.NewWithPayloadInclude(keyID, keyBank, keyEntityNames)
	return q
}

func (s *Store) query(ctx context.Context, q *qdrant.QueryPoints) ([]*qdrant.ScoredPoint, error) {
	var pts []*qdrant.ScoredPoint
	err := s.call(ctx, "search", func(ctx context.Context) (err error) {
		pts, err = s.client.Query(ctx, q)
		return err
	})
	return pts, err
}

// fusedQuery is the single Query a fused search sends once the entity
// keys (query entities and seed entities) are known; nil when no arm runs.
func (s *Store) fusedQuery(p *plan) *qdrant.QueryPoints {
	var pf []*qdrant.PrefetchQuery
	if !p.req.SkipSemantic {
		pf = append(pf, p.semantic(p.limit))
	}
	if p.req.Sparse.Len() > 0 {
		pf = append(pf, p.keyword(p.limit))
	}
	if len(p.ents) > 0 {
		pf = append(pf, p.entity(p.limit))
	}
	if p.req.Window != nil {
		pf = append(pf, p.temporal(p.limit))
	}
	if len(pf) == 0 {
		return nil
	}
	return &qdrant.QueryPoints{
		CollectionName: p.coll,
		Prefetch:       pf,
		Query:          qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(RRFK))}),
		Limit:          qdrant.PtrOf(p.limit * uint64(len(pf))),
		WithPayload:    qdrant.NewWithPayload(true),
	}
}

// seeds returns the top keep hits of q (a seed query asking for
// probe(keep)), ranked as package memory ranks the arm they come from,
// with their entities.
func (s *Store) seeds(ctx context.Context, p *plan, arm memory.Arm, q *qdrant.QueryPoints, keep int) ([]hit, error) {
	r := &scoreRun{arm: arm, keep: keep, bank: p.req.Bank, q: q}
	if _, err := s.runAll(ctx, p, []armRun{r}, true, nil); err != nil {
		return nil, err
	}
	if err := s.fill(ctx, p, &r.out); err != nil {
		return nil, err
	}
	return r.out, nil
}

// searchFused runs every arm as a prefetch of one Query fused with RRF on
// the server: one round trip, two when entity seeds must be looked up
// first (more when seeds tie across their cut, see scoreRun).
func (s *Store) searchFused(ctx context.Context, p *plan) (memory.SearchResult, error) {
	if p.semSeeds() {
		keep := min(p.req.EntitySeeds, p.req.Limit)
		seeds, err := s.seeds(ctx, p, memory.ArmSemantic, p.seedQuery(keep), keep)
		if err != nil {
			return memory.SearchResult{}, err
		}
		p.addSeeds(seeds, p.req.EntitySeeds)
	}
	if p.kwSeeds() {
		keep := min(p.req.KeywordSeeds, p.req.Limit)
		q := root(p.coll, p.keyword(probe(keep)))
		q.WithPayload = qdrant.NewWithPayloadInclude(keyID, keyBank, keyEntityNames)
		seeds, err := s.seeds(ctx, p, memory.ArmKeyword, q, keep)
		if err != nil {
			return memory.SearchResult{}, err
		}
		p.addSeeds(seeds, p.req.KeywordSeeds)
	}
	q := s.fusedQuery(p)
	if q == nil {
		return memory.SearchResult{Fused: true}, nil
	}
	pts, err := s.query(ctx, q)
	if err != nil {
		return memory.SearchResult{}, err
	}
	res := memory.SearchResult{Fused: true, Candidates: make([]memory.Candidate, 0, len(pts))}
	for _, pt := range pts {
		m, err := decode(pt.GetPayload(), nil)
		if err != nil {
			return memory.SearchResult{}, err
		}
		res.Candidates = append(res.Candidates, memory.Candidate{Memory: m, Fused: float64(pt.GetScore())})
	}
	return res, nil
}

func root(coll string, pf *qdrant.PrefetchQuery) *qdrant.QueryPoints {
	return &qdrant.QueryPoints{
		CollectionName: coll, Prefetch: pf.Prefetch, Query: pf.Query, Using: pf.Using, Filter: pf.Filter,
		ScoreThreshold: pf.ScoreThreshold, Limit: pf.Limit, WithPayload: qdrant.NewWithPayload(true),
	}
}

// entityRun is the entity arm's run: its members by entity score and,
// with a query vector, the same members with their cosine (ids only),
// which breaks ties as in package memory.
func (p *plan) entityRun() *entityRun {
	keep := p.req.Limit
	r := &entityRun{keep: keep, bank: p.req.Bank, keys: p.entityKeys(), q: root(p.coll, p.entityScored(probe(keep)))}
	if p.hasDense() {
		r.cq = root(p.coll, p.entity(probe(keep)))
		r.cq.WithPayload = qdrant.NewWithPayload(false)
	}
	return r
}

// windowMid is the middle of the temporal window in Unix microseconds,
// an open side counting as the far past or future, as the embedded store
// computes it.
func windowMid(w *memory.TimeRange) int64 { return windowMidNano(w) / 1000 }

// windowMidNano is the middle of the temporal window in Unix nanoseconds,
// as the embedded store computes it.
func windowMidNano(w *memory.TimeRange) int64 {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !w.Start.IsZero() {
		lo = w.Start.UnixNano()
	}
	if !w.End.IsZero() {
		hi = w.End.UnixNano()
	}
	return lo/2 + hi/2
}

// armRuns are the runs of the first round trip of a per-arm search, in
// arm order.
func (p *plan) armRuns() []armRun {
	var rs []armRun
	if p.hasDense() && (!p.req.SkipSemantic || p.semSeeds()) {
		keep := p.req.Limit
		if p.req.SkipSemantic {
			// only the seeds are used
			keep = min(keep, p.req.EntitySeeds)
		}
		rs = append(rs, &scoreRun{arm: memory.ArmSemantic, keep: keep, bank: p.req.Bank, q: root(p.coll, p.semantic(probe(keep)))})
	}
	if p.req.Sparse.Len() > 0 {
		rs = append(rs, &scoreRun{arm: memory.ArmKeyword, keep: p.req.Limit, bank: p.req.Bank, q: root(p.coll, p.keyword(probe(p.req.Limit)))})
	}
	if len(p.ents) > 0 && !p.needSeeds() {
		rs = append(rs, p.entityRun())
	}
	if p.req.Window != nil {
		if p.hasDense() {
			rs = append(rs, &scoreRun{arm: memory.ArmTemporal, keep: p.req.Limit, bank: p.req.Bank, q: root(p.coll, p.temporal(probe(p.req.Limit)))})
		} else {
			rs = append(rs, p.nearRun())
		}
	}
	return rs
}

// nearRun is the temporal arm without a query vector: two order_by
// queries, the memories at or after the window's middle and those at or
// before it, merged by closeness to the middle.
func (p *plan) nearRun() *nearRun {
	mid := windowMid(p.req.Window)
	r := &nearRun{keep: p.req.Limit, bank: p.req.Bank, midNano: windowMidNano(p.req.Window), mid: mid, window: p.windowFilter()}
	for i, d := range []qdrant.Direction{qdrant.Direction_Asc, qdrant.Direction_Desc} {
		r.halves[i] = &qdrant.QueryPoints{
			CollectionName: p.coll,
			Query:          qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: keyWhenMid, Direction: d.Enum(), StartFrom: qdrant.NewStartFromInt(mid)}),
			Filter:         r.window, Limit: qdrant.PtrOf(probe(p.req.Limit)), WithPayload: qdrant.NewWithPayload(true),
		}
	}
	return r
}

// searchArms runs one query per arm in one QueryBatch and reports each
// arm's ranks; with entity seeds the entity arm follows in a second round
// trip, once the seeds' entities are known. An arm whose cut falls inside
// a tie asks again for the tied memories (see scoreRun), in the batch
// that also carries the seeded entity arm when the seeds are known by
// then, and memories first seen that way are read with Get.
func (s *Store) searchArms(ctx context.Context, p *plan) (memory.SearchResult, error) {
	var arms [memory.NumArms][]hit
	runs := p.armRuns()
	var sem, kw *scoreRun
	for _, r := range runs {
		if x, ok := r.(*scoreRun); ok && x.arm == memory.ArmSemantic && p.semSeeds() {
			sem = x
		}
		if x, ok := r.(*scoreRun); ok && x.arm == memory.ArmKeyword && p.kwSeeds() {
			kw = x
		}
	}
	seeded := !p.needSeeds()
	// seed adds the seeds' entities once the seeds are final and their
	// payloads known, and returns the entity arm's run.
	seed := func() []armRun {
		if seeded {
			return nil
		}
		var a, b []hit
		if sem != nil {
			var ok bool
			if a, ok = sem.top(p.req.EntitySeeds); !ok || anyLean(a) {
				return nil
			}
		}
		if kw != nil {
			var ok bool
			if b, ok = kw.top(p.req.KeywordSeeds); !ok || anyLean(b) {
				return nil
			}
		}
		seeded = true
		p.addSeeds(a, p.req.EntitySeeds)
		p.addSeeds(b, p.req.KeywordSeeds)
		if len(p.ents) == 0 {
			return nil
		}
		return []armRun{p.entityRun()}
	}
	runs, err := s.runAll(ctx, p, runs, false, seed)
	if err != nil {
		return memory.SearchResult{}, err
	}
	for _, r := range runs {
		a, hs := r.result()
		arms[a] = hs
	}
	if !seeded {
		// a seed first seen in a band: its entities are read first
		if err := s.fill(ctx, p, &arms[memory.ArmSemantic], &arms[memory.ArmKeyword], &arms[memory.ArmTemporal]); err != nil {
			return memory.SearchResult{}, err
		}
		if sem != nil {
			sem.out = arms[memory.ArmSemantic]
		}
		if kw != nil {
			kw.out = arms[memory.ArmKeyword]
		}
		if rs := seed(); len(rs) > 0 {
			if _, err := s.runAll(ctx, p, rs, false, nil); err != nil {
				return memory.SearchResult{}, err
			}
			_, arms[memory.ArmEntity] = rs[0].result()
		}
	}
	if p.req.SkipSemantic {
		arms[memory.ArmSemantic] = nil
	}
	if err := s.fill(ctx, p, &arms[0], &arms[1], &arms[2], &arms[3]); err != nil {
		return memory.SearchResult{}, err
	}
	var res memory.SearchResult
	pos := map[string]int{}
	for a := memory.Arm(0); a < memory.NumArms; a++ {
		for r, h := range arms[a] {
			i, ok := pos[h.m.ID]
			if !ok {
				i = len(res.Candidates)
				pos[h.m.ID] = i
				res.Candidates = append(res.Candidates, memory.Candidate{Memory: h.m})
			}
			res.Candidates[i].Ranks[a] = r + 1
			res.Candidates[i].Scores[a] = h.score
		}
	}
	return res, nil
}
