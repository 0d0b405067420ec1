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
func (p *plan) needSeeds() bool { return p.hasDense() && p.req.EntitySeeds > 0 }

// addSeeds adds the entity keys of the top EntitySeeds semantic hits. As
// in package memory, an entity first carried by the seed ranked r weighs
// memory.SeedEntityWeight / r; one already known keeps its larger weight.
func (p *plan) addSeeds(pts []*qdrant.ScoredPoint) {
	for i := 0; i < len(pts) && i < p.req.EntitySeeds; i++ {
		for _, k := range strs(pts[i].GetPayload(), keyEntities) {
			if !slices.ContainsFunc(p.ents, func(e weighted) bool { return e.key == k }) {
				p.ents = append(p.ents, weighted{k, memory.SeedEntityWeight / float64(i+1)})
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

func (p *plan) keyword() *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{
		Query: qdrant.NewQuerySparse(p.req.Sparse.Indices, p.req.Sparse.Values), Using: qdrant.PtrOf(SparseVector),
		Filter: p.base, Limit: qdrant.PtrOf(p.limit),
	}
}

// entity: memories carrying any of the entity keys (a payload filter on
// the keyword-indexed "entities"), nearest to Dense first.
func (p *plan) entity() *qdrant.PrefetchQuery {
	q := &qdrant.PrefetchQuery{
		Filter: with(p.base, func(f *qdrant.Filter) {
			f.Must = append(f.Must, qdrant.NewMatchKeywords(keyEntities, p.entityKeys()...))
		}),
		Limit: qdrant.PtrOf(p.limit),
	}
	if p.hasDense() {
		q.Query, q.Using = qdrant.NewQueryDense(p.req.Dense), qdrant.PtrOf(DenseVector)
	}
	return q
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
// arm (only their entity keys come back).
func (p *plan) seedQuery() *qdrant.QueryPoints {
	return &qdrant.QueryPoints{
		CollectionName: p.coll, Query: qdrant.NewQueryDense(p.req.Dense), Using: qdrant.PtrOf(DenseVector),
		Filter: p.base, ScoreThreshold: qdrant.PtrOf(p.req.MinSimilarity),
		Limit:       qdrant.PtrOf(uint64(min(p.req.EntitySeeds, p.req.Limit))),
		WithPayload: qdrant.NewWithPayloadInclude(keyEntities),
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
	if p.needSeeds() {
		seeds, err := s.query(ctx, p.seedQuery())
		if err != nil {
			return memory.SearchResult{}, err
		}
		p.addSeeds(seeds)
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
		res.Candidates = append(res.Candidates, memory.Candidate{Memory: m})
	}
	return res, nil
}

// armQuery is one query of the per-arm batch.
type armQuery struct {
	arm   memory.Arm
	order int // 0: by score; +1 / -1: by time from the window's middle, ascending / descending
	q     *qdrant.QueryPoints
}

func root(coll string, pf *qdrant.PrefetchQuery) *qdrant.QueryPoints {
	return &qdrant.QueryPoints{
		CollectionName: coll, Query: pf.Query, Using: pf.Using, Filter: pf.Filter,
		ScoreThreshold: pf.ScoreThreshold, Limit: pf.Limit, WithPayload: qdrant.NewWithPayload(true),
	}
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
	if p.hasDense() && (!p.req.SkipSemantic || p.needSeeds()) {
		qs = append(qs, armQuery{arm: memory.ArmSemantic, q: root(p.coll, p.semantic())})
	}
	if p.req.Sparse.Len() > 0 {
		qs = append(qs, armQuery{arm: memory.ArmKeyword, q: root(p.coll, p.keyword())})
	}
	if len(p.ents) > 0 && !p.needSeeds() {
		qs = append(qs, armQuery{arm: memory.ArmEntity, q: root(p.coll, p.entity())})
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
	qs := p.armQueries()
	var arms [memory.NumArms][]hit
	if len(qs) > 0 {
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
			return memory.SearchResult{}, err
		}
		if len(results) != len(qs) {
			return memory.SearchResult{}, fmt.Errorf("qdrant: search: query batch returned %d results for %d queries", len(results), len(qs))
		}
		var around [][]hit // the two halves of a Dense-less temporal arm
		for i, q := range qs {
			pts := results[i].GetResult()
			if q.arm == memory.ArmSemantic && p.needSeeds() {
				p.addSeeds(pts)
			}
			hs, err := hits(pts)
			if err != nil {
				return memory.SearchResult{}, err
			}
			switch {
			case q.order != 0:
				around = append(around, hs)
			case q.arm == memory.ArmEntity:
				arms[q.arm] = p.rankEntities(hs)
			default:
				arms[q.arm] = hs
			}
		}
		if around != nil {
			arms[memory.ArmTemporal] = closest(around, windowMid(p.req.Window), p.req.Limit)
		}
	}
	if p.needSeeds() && len(p.ents) > 0 {
		pts, err := s.query(ctx, root(p.coll, p.entity()))
		if err != nil {
			return memory.SearchResult{}, err
		}
		hs, err := hits(pts)
		if err != nil {
			return memory.SearchResult{}, err
		}
		arms[memory.ArmEntity] = p.rankEntities(hs)
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

// rankEntities orders the entity arm's hits by the summed weight of the
// entity keys they carry (without package memory's per-bank IDF factor,
// which would cost a round trip per entity), then by cosine to Dense (the
// server's score), then by id.
func (p *plan) rankEntities(hs []hit) []hit {
	for i := range hs {
		keys := entityKeys(hs[i].m.Entities)
		var w float64
		for _, e := range p.ents {
			if slices.Contains(keys, e.key) {
				w += e.w
			}
		}
		if !p.hasDense() {
			hs[i].score = 0
		}
		hs[i].score = w + 1e-3*hs[i].score
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
