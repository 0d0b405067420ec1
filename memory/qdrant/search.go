package qdrant

import (
	"cmp"
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

func (p *plan) semantic() *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{
		Query: qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Filter: p.base, ScoreThreshold: qdrant.PtrOf(p.req.MinSimilarity), Limit: qdrant.PtrOf(p.limit),
	}
}

// keyword: nearest "bm25", Qdrant applying the IDF, hits below
// MinKeywordScore dropped by score_threshold.
func (p *plan) keyword() *qdrant.PrefetchQuery {
	q := &qdrant.PrefetchQuery{
		Query: qdrant.NewQuerySparse(p.req.Sparse.Indices, p.req.Sparse.Values), Using: qdrant.PtrOf(SparseVector),
		Filter: p.base, Limit: qdrant.PtrOf(p.limit),
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
func (p *plan) entityScored() *qdrant.PrefetchQuery {
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
		Limit: qdrant.PtrOf(p.limit),
	}
	if p.req.MinEntityScore > 0 {
		q.ScoreThreshold = qdrant.PtrOf(float32(p.req.MinEntityScore))
	}
	return q
}

// entity: the members of entityScored, nearest to Dense first (a nested
// prefetch); entityScored itself without a query vector.
func (p *plan) entity() *qdrant.PrefetchQuery {
	if !p.hasDense() {
		return p.entityScored()
	}
	return &qdrant.PrefetchQuery{
		Prefetch: []*qdrant.PrefetchQuery{p.entityScored()},
		Query:    qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Limit: qdrant.PtrOf(p.limit),
	}
}

// temporal: memories whose time overlaps the window, nearest to Dense
// first (the Dense-less order is built by temporalByTime).
func (p *plan) temporal() *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{
		Query: qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Filter: p.windowFilter(), Limit: qdrant.PtrOf(p.limit),
	}
}

func (p *plan) windowFilter() *qdrant.Filter {
	return with(p.base, func(f *qdrant.Filter) { addWindow(f, p.req.Window) })
}

// seedQuery finds the top semantic hits whose entities expand the entity
// arm (only what ranks them and their entities come back).
func (p *plan) seedQuery() *qdrant.QueryPoints {
	return &qdrant.QueryPoints{
		CollectionName: p.coll, Query: qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Filter: p.base, ScoreThreshold: qdrant.PtrOf(p.req.MinSimilarity),
		Limit:       qdrant.PtrOf(uint64(min(p.req.EntitySeeds, p.req.Limit))),
		WithPayload: qdrant.NewWithPayloadInclude(keyID, keyBank, keyEntityNames),
	}
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
		pf = append(pf, p.semantic())
	}
	if p.req.Sparse.Len() > 0 {
		pf = append(pf, p.keyword())
	}
	if len(p.ents) > 0 {
		pf = append(pf, p.entity())
	}
	if p.req.Window != nil {
		pf = append(pf, p.temporal())
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

// searchFused runs every arm as a prefetch of one Query fused with RRF on
// the server: one round trip, two when entity seeds must be looked up
// first.
func (s *Store) searchFused(ctx context.Context, p *plan) (memory.SearchResult, error) {
	if p.semSeeds() {
		pts, err := s.query(ctx, p.seedQuery())
		if err != nil {
			return memory.SearchResult{}, err
		}
		seeds, err := hits(pts)
		if err != nil {
			return memory.SearchResult{}, err
		}
		p.addSeeds(byScore(seeds), p.req.EntitySeeds)
	}
	if p.kwSeeds() {
		q := root(p.coll, p.keyword())
		q.Limit = qdrant.PtrOf(uint64(min(p.req.KeywordSeeds, p.req.Limit)))
		q.WithPayload = qdrant.NewWithPayloadInclude(keyID, keyBank, keyEntityNames)
		pts, err := s.query(ctx, q)
		if err != nil {
			return memory.SearchResult{}, err
		}
		seeds, err := hits(pts)
		if err != nil {
			return memory.SearchResult{}, err
		}
		p.addSeeds(byScore(seeds), p.req.KeywordSeeds)
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

// armQuery is one query of the per-arm batch.
type armQuery struct {
	arm   memory.Arm
	order int  // 0: by score; +1 / -1: by time from the window's middle, ascending / descending
	cos   bool // the entity arm's members with their cosine to Dense
	q     *qdrant.QueryPoints
}

func root(coll string, pf *qdrant.PrefetchQuery) *qdrant.QueryPoints {
	return &qdrant.QueryPoints{
		CollectionName: coll, Prefetch: pf.Prefetch, Query: pf.Query, Using: pf.Using, Filter: pf.Filter,
		ScoreThreshold: pf.ScoreThreshold, Limit: pf.Limit, WithPayload: qdrant.NewWithPayload(true),
	}
}

// entityQueries are the entity arm's queries in a batch: its members by
// entity score and, with a query vector, the same members with their
// cosine (ids only), which breaks ties as in package memory.
func (p *plan) entityQueries() []armQuery {
	qs := []armQuery{{arm: memory.ArmEntity, q: root(p.coll, p.entityScored())}}
	if p.hasDense() {
		q := root(p.coll, p.entity())
		q.WithPayload = qdrant.NewWithPayload(false)
		qs = append(qs, armQuery{arm: memory.ArmEntity, cos: true, q: q})
	}
	return qs
}

// windowMid is the middle of the temporal window in Unix microseconds,
// an open side counting as the far past or future, as the embedded store
// computes it.
func windowMid(w *memory.TimeRange) int64 {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !w.Start.IsZero() {
		lo = w.Start.UnixNano()
	}
	if !w.End.IsZero() {
		hi = w.End.UnixNano()
	}
	return (lo/2 + hi/2) / 1000
}

// armQueries builds the first round trip of a per-arm search.
func (p *plan) armQueries() []armQuery {
	var qs []armQuery
	if p.hasDense() && (!p.req.SkipSemantic || p.semSeeds()) {
		qs = append(qs, armQuery{arm: memory.ArmSemantic, q: root(p.coll, p.semantic())})
	}
	if p.req.Sparse.Len() > 0 {
		qs = append(qs, armQuery{arm: memory.ArmKeyword, q: root(p.coll, p.keyword())})
	}
	if len(p.ents) > 0 && !p.needSeeds() {
		qs = append(qs, p.entityQueries()...)
	}
	if p.req.Window != nil {
		if p.hasDense() {
			qs = append(qs, armQuery{arm: memory.ArmTemporal, q: root(p.coll, p.temporal())})
		} else {
			mid := windowMid(p.req.Window)
			for _, dir := range []int{1, -1} {
				d := qdrant.Direction_Asc
				if dir < 0 {
					d = qdrant.Direction_Desc
				}
				qs = append(qs, armQuery{arm: memory.ArmTemporal, order: dir, q: &qdrant.QueryPoints{
					CollectionName: p.coll,
					Query:          qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: keyWhenMid, Direction: d.Enum(), StartFrom: qdrant.NewStartFromInt(mid)}),
					Filter:         p.windowFilter(), Limit: qdrant.PtrOf(p.limit), WithPayload: qdrant.NewWithPayload(true),
				}})
			}
		}
	}
	return qs
}

type hit struct {
	m     memory.Memory
	score float64
}

// searchArms runs one query per arm in one QueryBatch and reports each
// arm's ranks; with entity seeds the entity arm follows in a second round
// trip, once the seeds' entities are known.
func (s *Store) searchArms(ctx context.Context, p *plan) (memory.SearchResult, error) {
	var arms [memory.NumArms][]hit
	if err := s.runArms(ctx, p, p.armQueries(), &arms); err != nil {
		return memory.SearchResult{}, err
	}
	if p.needSeeds() && len(p.ents) > 0 {
		if err := s.runArms(ctx, p, p.entityQueries(), &arms); err != nil {
			return memory.SearchResult{}, err
		}
	}
	if p.req.SkipSemantic {
		arms[memory.ArmSemantic] = nil
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

// runArms sends qs as one QueryBatch (one round trip) and files each
// result under its arm.
func (s *Store) runArms(ctx context.Context, p *plan, qs []armQuery, arms *[memory.NumArms][]hit) error {
	if len(qs) == 0 {
		return nil
	}
	batch := &qdrant.QueryBatchPoints{CollectionName: p.coll}
	for _, q := range qs {
		batch.QueryPoints = append(batch.QueryPoints, q.q)
	}
	var results []*qdrant.BatchResult
	err := s.call(ctx, "search", func(ctx context.Context) (err error) {
		results, err = s.client.QueryBatch(ctx, batch)
		return err
	})
	if err != nil {
		return err
	}
	if len(results) != len(qs) {
		return fmt.Errorf("qdrant: search: query batch returned %d results for %d queries", len(results), len(qs))
	}
	var around [][]hit // the two halves of a Dense-less temporal arm
	var ents []hit
	var cos map[string]float64
	for i, q := range qs {
		pts := results[i].GetResult()
		if q.cos {
			cos = make(map[string]float64, len(pts))
			for _, pt := range pts {
				cos[pt.GetId().GetUuid()] = float64(pt.GetScore())
			}
			continue
		}
		hs, err := hits(pts)
		if err != nil {
			return err
		}
		if q.arm == memory.ArmSemantic && p.semSeeds() {
			p.addSeeds(byScore(slices.Clone(hs)), p.req.EntitySeeds)
		}
		if q.arm == memory.ArmKeyword && p.kwSeeds() {
			p.addSeeds(byScore(slices.Clone(hs)), p.req.KeywordSeeds)
		}
		switch {
		case q.order != 0:
			around = append(around, hs)
		case q.arm == memory.ArmEntity:
			ents = hs
		default:
			arms[q.arm] = hs
		}
	}
	if around != nil {
		arms[memory.ArmTemporal] = closest(around, windowMid(p.req.Window), p.req.Limit)
	}
	if ents != nil {
		arms[memory.ArmEntity] = rankEntities(ents, cos)
	}
	return nil
}

// byScore orders hits by score, ties by memory id as package memory
// breaks them when it picks the entity seeds (Qdrant breaks ties by point
// id).
func byScore(hs []hit) []hit {
	slices.SortStableFunc(hs, func(a, b hit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.m.ID, b.m.ID)
	})
	return hs
}

func hits(pts []*qdrant.ScoredPoint) ([]hit, error) {
	out := make([]hit, 0, len(pts))
	for _, pt := range pts {
		m, err := decode(pt.GetPayload(), nil)
		if err != nil {
			return nil, err
		}
		out = append(out, hit{m: m, score: float64(pt.GetScore())})
	}
	return out, nil
}

// rankEntities orders the entity arm's hits as package memory does: by
// entity score (the server's score of the entity query) plus 1e-3 x the
// cosine to Dense (cos, keyed by point id; nil without a query vector),
// then by id.
func rankEntities(hs []hit, cos map[string]float64) []hit {
	for i := range hs {
		hs[i].score += 1e-3 * cos[PointID(hs[i].m.Bank, hs[i].m.ID)]
	}
	slices.SortStableFunc(hs, func(a, b hit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.m.ID, b.m.ID)
	})
	return hs
}

// closest merges the two halves of a Dense-less temporal arm (memories
// at or after the window's middle, and at or before it) by distance to
// the middle, closest first, ties by id.
func closest(halves [][]hit, mid int64, limit int) []hit {
	var all []hit
	seen := map[string]bool{}
	for _, h := range halves {
		for _, x := range h {
			if seen[x.m.ID] {
				continue
			}
			seen[x.m.ID] = true
			s, e, _ := x.m.When()
			d := whenMid(s, e) - mid
			x.score = -math.Abs(float64(d))
			all = append(all, x)
		}
	}
	slices.SortStableFunc(all, func(a, b hit) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.m.ID, b.m.ID)
	})
	if len(all) > limit {
		all = all[:limit]
	}
	return all
}
