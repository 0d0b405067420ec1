package memory

import (
	"context"
	"fmt"
	"math"
	"sync"
)

var (
	accPool = sync.Pool{New: func() any { return new([]float64) }}
	simPool = sync.Pool{New: func() any { return new([]float32) }}
)

// Search implements [Store]. The semantic, keyword and temporal arms run
// concurrently under one read lock; the entity arm follows the semantic
// arm, whose top hits seed it.
func (s *EmbeddedStore) Search(ctx context.Context, req SearchRequest) (SearchResult, error) {
	if err := req.Validate(); err != nil {
		return SearchResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return SearchResult{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return SearchResult{}, ErrClosed
	}
	var q []float32
	if len(req.Dense) > 0 {
		if s.dim != 0 && len(req.Dense) != s.dim {
			return SearchResult{}, fmt.Errorf("%w: search: query vector has %d dimensions, store has %d", ErrDimension, len(req.Dense), s.dim)
		}
		q = append([]float32(nil), req.Dense...)
		normalize(q)
	}
	b := s.banks[req.Bank]
	if b == nil || len(b.byID) == 0 {
		return SearchResult{}, nil
	}
	x := searcher{b: b, dim: s.dim, req: &req, q: q, plain: filterEmpty(&req.Filter)}
	var arms [NumArms][]scored
	var wg sync.WaitGroup
	kwSeeds := req.KeywordSeeds > 0 && req.Sparse.Len() > 0
	var kwDone sync.WaitGroup // the entity arm waits for keyword seeds
	if req.Sparse.Len() > 0 {
		kwDone.Go(func() { arms[ArmKeyword] = x.keyword() })
	}
	if q != nil && (!req.SkipSemantic || req.EntitySeeds > 0) {
		arms[ArmSemantic] = x.semantic()
	}
	if x.sims != nil {
		defer func() { simPool.Put(x.simsBuf) }()
	}
	if req.Window != nil {
		wg.Go(func() { arms[ArmTemporal] = x.temporal() })
	}
	var kw []scored // read only once the keyword arm is done
	if kwSeeds {
		kwDone.Wait()
		kw = arms[ArmKeyword]
	}
	if len(req.Entities) > 0 || (req.EntitySeeds > 0 && len(arms[ArmSemantic]) > 0) || len(kw) > 0 {
		arms[ArmEntity] = x.entity(arms[ArmSemantic], kw)
	}
	wg.Wait()
	kwDone.Wait()
	if req.SkipSemantic {
		arms[ArmSemantic] = nil
	}

	var res SearchResult
	total := 0
	for a := range arms {
		total += len(arms[a])
	}
	res.Candidates = make([]Candidate, 0, total)
	pos := make(map[int32]int, total)
	for a := Arm(0); a < NumArms; a++ {
		for r, h := range arms[a] {
			i, ok := pos[h.slot]
			if !ok {
				i = len(res.Candidates)
				pos[h.slot] = i
				m := b.entries[h.slot].m
				m.Sparse = SparseVector{}
				res.Candidates = append(res.Candidates, Candidate{Memory: m})
			}
			res.Candidates[i].Ranks[a] = r + 1
			res.Candidates[i].Scores[a] = h.score
		}
	}
	return res, nil
}

type searcher struct {
	b     *bankIndex
	dim   int
	req   *SearchRequest
	q     []float32
	plain bool // filter is empty
	// sims holds the cosine of every slot once the exact semantic scan
	// ran; the entity and temporal arms reuse it.
	sims    []float32
	simsBuf *[]float32
}

func (x *searcher) match(slot int32) bool {
	e := &x.b.entries[slot]
	return e.alive && (x.plain || x.req.Filter.Match(&e.m))
}

func (x *searcher) cos(slot int32) float64 {
	if x.q == nil {
		return 0
	}
	if x.sims != nil {
		return float64(x.sims[slot])
	}
	return float64(dot(x.q, x.b.vec(slot, x.dim)))
}

func (x *searcher) semantic() []scored {
	if x.b.graph != nil {
		if hits, ok := x.semanticHNSW(); ok {
			return hits
		}
	}
	tk := newTopK(x.req.Limit, make([]scored, 0, x.req.Limit))
	minSim := float64(x.req.MinSimilarity)
	b := x.b
	x.simsBuf = simPool.Get().(*[]float32)
	if cap(*x.simsBuf) < len(b.entries) {
		*x.simsBuf = make([]float32, len(b.entries))
	}
	sims := (*x.simsBuf)[:len(b.entries)]
	for i := range b.entries {
		e := &b.entries[i]
		if !e.alive {
			continue
		}
		s32 := dot(x.q, b.vecs[i*x.dim:(i+1)*x.dim])
		sims[i] = s32
		sc := float64(s32)
		if sc < minSim || !tk.wouldKeep(sc) {
			continue
		}
		if !x.plain && !x.req.Filter.Match(&e.m) {
			continue
		}
		tk.push(scored{slot: int32(i), score: sc, id: e.m.ID})
	}
	x.sims = sims
	return tk.sorted()
}

// semanticHNSW asks the graph for more neighbours than needed, rescoring
// them exactly. ok is false when filtering left too few, and the caller
// falls back to the exact scan.
func (x *searcher) semanticHNSW() ([]scored, bool) {
	k := max(2*x.req.Limit, 400)
	if !x.plain {
		k *= 4
	}
	if k > len(x.b.byID) {
		return nil, false
	}
	// removed memories keep their nodes until the graph is rebuilt and
	// would take places among the neighbours
	k += len(x.b.stale)
	nodes := x.b.graph.Search(x.q, k)
	tk := newTopK(x.req.Limit, make([]scored, 0, x.req.Limit))
	kept := 0
	for _, n := range nodes {
		if !x.match(n.Key) {
			continue
		}
		kept++
		sc := x.cos(n.Key)
		if sc < float64(x.req.MinSimilarity) {
			continue
		}
		tk.push(scored{slot: n.Key, score: sc, id: x.b.entries[n.Key].m.ID})
	}
	// Removed memories keep their nodes until the graph is rebuilt, so
	// even without a filter the neighbours may hold too few live ones.
	if kept < x.req.Limit && (!x.plain || len(x.b.stale) > 0) {
		return nil, false
	}
	return tk.sorted(), true
}

func (x *searcher) keyword() []scored {
	b := x.b
	accp := accPool.Get().(*[]float64)
	acc := *accp
	if len(acc) < len(b.entries) {
		acc = make([]float64, len(b.entries))
	}
	var touched []int32
	total := len(b.byID)
	for i, t := range x.req.Sparse.Indices {
		ps := b.terms[t]
		if len(ps) == 0 {
			continue
		}
		w := float64(x.req.Sparse.Values[i]) * IDF(len(ps), total)
		for _, p := range ps {
			if acc[p.slot] == 0 {
				touched = append(touched, p.slot)
			}
			acc[p.slot] += w * float64(p.w)
		}
	}
	tk := newTopK(x.req.Limit, make([]scored, 0, min(x.req.Limit, len(touched))))
	for _, slot := range touched {
		sc := acc[slot]
		acc[slot] = 0
		if sc <= 0 || sc < x.req.MinKeywordScore || !tk.wouldKeep(sc) || !x.match(slot) {
			continue
		}
		tk.push(scored{slot: slot, score: sc, id: b.entries[slot].m.ID})
	}
	*accp = acc
	accPool.Put(accp)
	return tk.sorted()
}

func (x *searcher) entity(seeds, kwSeeds []scored) []scored {
	b := x.b
	type ent struct {
		key string
		w   float64
	}
	var ents []ent
	add := func(k string, w float64) {
		for i := range ents {
			if ents[i].key == k {
				ents[i].w = max(ents[i].w, w)
				return
			}
		}
		ents = append(ents, ent{k, w})
	}
	for _, e := range x.req.Entities {
		if k := entityKey(e); k != "" {
			add(k, 1)
		}
	}
	for i := 0; i < len(seeds) && i < x.req.EntitySeeds; i++ {
		for _, k := range b.entries[seeds[i].slot].ents {
			add(k, SeedEntityWeight/float64(i+1))
		}
	}
	for i := 0; i < len(kwSeeds) && i < x.req.KeywordSeeds; i++ {
		for _, k := range b.entries[kwSeeds[i].slot].ents {
			add(k, SeedEntityWeight/float64(i+1))
		}
	}
	total := len(b.byID)
	accp := accPool.Get().(*[]float64)
	acc := *accp
	if len(acc) < len(b.entries) {
		acc = make([]float64, len(b.entries))
	}
	var touched []int32
	for _, e := range ents {
		slots := b.ents[e.key]
		if len(slots) == 0 {
			continue
		}
		w := e.w * IDF(len(slots), total)
		for _, slot := range slots {
			if acc[slot] == 0 {
				touched = append(touched, slot)
			}
			acc[slot] += w
		}
	}
	// Score: weighted entity IDF first; cosine (in [-1, 1]) scaled far
	// below the smallest IDF step breaks ties.
	tk := newTopK(x.req.Limit, make([]scored, 0, min(x.req.Limit, len(touched))))
	for _, slot := range touched {
		sc := acc[slot]
		acc[slot] = 0
		if sc < x.req.MinEntityScore || !tk.wouldKeep(sc+1e-3) || !x.match(slot) {
			continue
		}
		tk.push(scored{slot: slot, score: sc + 1e-3*x.cos(slot), id: b.entries[slot].m.ID})
	}
	*accp = acc
	accPool.Put(accp)
	return tk.sorted()
}

func (x *searcher) temporal() []scored {
	b := x.b
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	w := x.req.Window
	if !w.Start.IsZero() {
		lo = w.Start.UnixNano()
	}
	if !w.End.IsZero() {
		hi = w.End.UnixNano()
	}
	mid := lo/2 + hi/2
	tk := newTopK(x.req.Limit, make([]scored, 0, x.req.Limit))
	consider := func(slot int32) {
		e := &b.entries[slot]
		if !e.alive || !e.hasTime || e.start > hi || e.end < lo {
			return
		}
		var sc float64
		if x.q != nil {
			sc = x.cos(slot)
		} else {
			d := float64(e.start/2+e.end/2) - float64(mid)
			sc = -math.Abs(d)
		}
		if !tk.wouldKeep(sc) || (!x.plain && !x.req.Filter.Match(&e.m)) {
			return
		}
		tk.push(scored{slot: slot, score: sc, id: e.m.ID})
	}
	dlo, dhi := dayNum(lo), dayNum(hi)
	if lo == math.MinInt64 || hi == math.MaxInt64 || dhi-dlo > int64(len(b.days)) {
		// open or very wide window: a scan is cheaper than the buckets
		for i := range b.entries {
			consider(int32(i))
		}
		return tk.sorted()
	}
	// Visit days from the window's middle outwards, so that without a
	// query vector (closeness ranking) the best candidates come first and
	// most later ones fail wouldKeep without touching the heap.
	dmid := dayNum(mid)
	for k := int64(0); dmid-k >= dlo || dmid+k <= dhi; k++ {
		for _, d := range [2]int64{dmid - k, dmid + k} {
			if d < dlo || d > dhi {
				continue
			}
			for _, slot := range b.days[d] {
				// a span covering several days is seen once: on its
				// first day inside the window
				if first := max(dayNum(b.entries[slot].start), dlo); first == d {
					consider(slot)
				}
			}
			if k == 0 {
				break
			}
		}
	}
	for _, slot := range b.long {
		consider(slot)
	}
	return tk.sorted()
}
