package memory

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"unsafe"
)

var (
	accPool = sync.Pool{New: func() any { return new([]float64) }}
	simPool = sync.Pool{New: func() any { return new([]float32) }}
	posPool = sync.Pool{New: func() any { return new([]int32) }}
	// touchedPool holds the keyword and entity arms' lists of scored slots.
	touchedPool = sync.Pool{New: func() any { return new([]int32) }}
)

// Search implements [Store]. The semantic, keyword and temporal arms run
// concurrently under one read lock; the entity arm follows the semantic
// arm, whose top hits seed it.
func (s *EmbeddedStore) Search(ctx context.Context, req SearchRequest) (SearchResult, error) {
	var res SearchResult
	err := s.searchArms(ctx, &req, func(b *bankIndex, arms *[NumArms][]scored, total int) {
		res.Candidates = make([]Candidate, 0, total)
		eachCandidate(b, arms, func(slot int32, i int, a Arm, r int, sc float64) {
			if i == len(res.Candidates) {
				res.Candidates = append(res.Candidates, Candidate{Memory: *b.entries[slot].m})
				res.Candidates[i].Memory.Sparse = SparseVector{}
			}
			res.Candidates[i].Ranks[a] = r
			res.Candidates[i].Scores[a] = sc
		})
	})
	return res, err
}

// searchCands implements candSearcher: the candidates of Search as cands
// appended to out, pointing at the stored memories (which stay unchanged:
// see entry.m), with their arm ranks.
func (s *EmbeddedStore) searchCands(ctx context.Context, req SearchRequest, out []cand) ([]cand, error) {
	err := s.searchArms(ctx, &req, func(b *bankIndex, arms *[NumArms][]scored, total int) {
		out = slices.Grow(out, total)
		base := len(out)
		eachCandidate(b, arms, func(slot int32, i int, a Arm, r int, _ float64) {
			if base+i == len(out) {
				e := &b.entries[slot]
				c := cand{m: e.m, aux: e.aux, timed: timeUnknown}
				switch {
				case !e.hasTime:
					c.timed = timeNone
				case e.nanosExact:
					c.timed, c.start, c.end = timeNanos, e.start, e.end
				}
				out = append(out, c)
			}
			out[base+i].ranks[a] = r
		})
	})
	return out, err
}

// eachCandidate calls fn for every hit of every arm, in arm order then
// rank order, with the index i of the hit's memory among the distinct
// memories in order of first appearance (fn sees a new memory's first
// hit with i = the number seen before), and its 1-based rank r.
func eachCandidate(b *bankIndex, arms *[NumArms][]scored, fn func(slot int32, i int, a Arm, r int, sc float64)) {
	// pos[slot] is 1 + the slot's candidate index, 0 until it has one
	posp := posPool.Get().(*[]int32)
	if len(*posp) < len(b.entries) {
		*posp = make([]int32, len(b.entries))
	}
	pos := *posp
	n := 0
	for a := Arm(0); a < NumArms; a++ {
		for r, h := range arms[a] {
			i := int(pos[h.slot]) - 1
			if i < 0 {
				i = n
				n++
				pos[h.slot] = int32(n)
			}
			fn(h.slot, i, a, r+1, h.score)
		}
	}
	for a := range arms {
		for _, h := range arms[a] {
			pos[h.slot] = 0
		}
	}
	posPool.Put(posp)
}

// searchArms runs req's arms under the store's read lock and, unless the
// bank is missing or empty, calls done with them (and their total length)
// before the lock is released.
func (s *EmbeddedStore) searchArms(ctx context.Context, req *SearchRequest, done func(b *bankIndex, arms *[NumArms][]scored, total int)) error {
	if err := req.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	var q []float32
	if len(req.Dense) > 0 {
		if s.dim != 0 && len(req.Dense) != s.dim {
			return fmt.Errorf("%w: search: query vector has %d dimensions, store has %d", ErrDimension, len(req.Dense), s.dim)
		}
		q = append([]float32(nil), req.Dense...)
		normalize(q)
	}
	b := s.banks[req.Bank]
	if b == nil || len(b.byID) == 0 {
		return nil
	}
	x := searcher{b: b, dim: s.dim, req: req, q: q, plain: filterEmpty(&req.Filter)}
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
	res := arms
	defer x.putBufs(&res)
	if req.SkipSemantic {
		arms[ArmSemantic] = nil
	}
	total := 0
	for a := range arms {
		total += len(arms[a])
	}
	done(b, &arms, total)
	return nil
}

// candSearcher is a store that can append a search's candidates to the
// engine's cands directly, pointing at memories it never changes, rather
// than copying each memory into a Candidate.
type candSearcher interface {
	searchCands(ctx context.Context, req SearchRequest, out []cand) ([]cand, error)
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
	// bufs hold the arms' results, pooled: searchArms gives them back
	// once its caller has read the hits.
	bufs [NumArms]*[]scored
}

// armPool holds the buffers of the arms' results between searches.
var armPool = sync.Pool{New: func() any { return new([]scored) }}

// armBuf returns pooled room for arm a's results (each arm asks once).
func (x *searcher) armBuf(a Arm) []scored {
	p := armPool.Get().(*[]scored)
	x.bufs[a] = p
	*p = slices.Grow((*p)[:0], x.req.Limit)
	return *p
}

// putBufs gives the arms' buffers back, res being what the arms returned
// (each its top k's sorted hits, written at the start of its buffer, or
// nothing). A buffer is cleared first, so the pool holds no memory's id:
// the part the result used, or all of it for a result elsewhere.
func (x *searcher) putBufs(res *[NumArms][]scored) {
	for a, p := range x.bufs {
		if p == nil {
			continue
		}
		if r := res[a]; len(r) > 0 {
			if unsafe.SliceData(r) == unsafe.SliceData(*p) {
				clear(r)
			} else {
				clear((*p)[:cap(*p)])
			}
		}
		armPool.Put(p)
	}
}

func (x *searcher) match(slot int32) bool {
	e := &x.b.entries[slot]
	return e.alive && (x.plain || x.req.Filter.Match(e.m))
}

func (x *searcher) cos(slot int32) float64 {
	if x.q == nil {
		return 0
	}
	if x.sims != nil {
		return float64(x.sims[slot])
	}
	if sp := x.b.entries[slot].sp; sp != nil {
		return float64(dotSparse(x.q, sp))
	}
	return float64(dot(x.q, x.b.vec(slot, x.dim)))
}

func (x *searcher) semantic() []scored {
	if x.b.graph != nil {
		if hits, ok := x.semanticHNSW(); ok {
			return hits
		}
	}
	tk := newTopK(x.req.Limit, x.armBuf(ArmSemantic))
	minSim := float64(x.req.MinSimilarity)
	b := x.b
	x.simsBuf = simPool.Get().(*[]float32)
	if cap(*x.simsBuf) < len(b.entries) {
		*x.simsBuf = make([]float32, len(b.entries))
	}
	sims := (*x.simsBuf)[:len(b.entries)]
	// one kernel call per block of slots; free slots are scored too
	// (their vectors are zero or stale) and skipped below
	if idx, val, ok := sparseDims(x.q); ok && b.cols != nil {
		colScan(b.cols, x.dim, idx, val, sims)
	} else {
		const block = 256
		for lo := 0; lo < len(sims); lo += block {
			hi := min(lo+block, len(sims))
			dotRows(x.q, b.vecs[lo*x.dim:hi*x.dim], x.dim, sims[lo:hi])
		}
	}
	// Without a filter, the Limit-th best cosine of the live slots is a
	// floor below which none can make the cut: the top-k then sees about
	// Limit slots instead of every improvement of a random order.
	floor := minSim
	if x.plain && len(b.byID) > 2*x.req.Limit {
		floor = max(floor, kthLargestSim(b, sims, x.req.Limit, minSim))
	}
	// the cosines first: they are contiguous, the entries are not; the
	// vector scan skips to the next at or above the floor
	thr := atLeast32(floor)
	for i := nextAtLeast(sims, 0, thr); i < len(sims); i = nextAtLeast(sims, i+1, thr) {
		sc := float64(sims[i])
		if sc < floor || !tk.wouldKeep(sc) {
			continue
		}
		e := &b.entries[i]
		if !e.alive || (!x.plain && !x.req.Filter.Match(e.m)) {
			continue
		}
		tk.push(b.hit(int32(i), sc))
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
	slots := x.b.graph.search(x.q, k)
	tk := newTopK(x.req.Limit, x.armBuf(ArmSemantic))
	kept := 0
	for _, slot := range slots {
		if !x.match(slot) {
			continue
		}
		kept++
		sc := x.cos(slot)
		if sc < float64(x.req.MinSimilarity) {
			continue
		}
		tk.push(x.b.hit(slot, sc))
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
	tp := touchedPool.Get().(*[]int32)
	touched := (*tp)[:0]
	defer func() { *tp = touched[:0]; touchedPool.Put(tp) }()
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
	// Postings point at live memories only, so without a filter every
	// touched slot matches; there, a score below the Limit-th best cannot
	// make the cut (floor), which spares the top-k the many ties of a
	// common term.
	floor := x.req.MinKeywordScore
	if x.plain && len(touched) > 2*x.req.Limit {
		floor = max(floor, kthLargest(acc, touched, x.req.Limit, x.req.MinKeywordScore))
	}
	tk := newTopK(x.req.Limit, x.armBuf(ArmKeyword))
	for _, slot := range touched {
		sc := acc[slot]
		acc[slot] = 0
		if sc <= 0 || sc < floor || !tk.wouldKeepKey(sc, b.keys[slot].key) || (!x.plain && !x.match(slot)) {
			continue
		}
		tk.push(b.hit(slot, sc))
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
		if k := EntityKey(e); k != "" {
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
	tp := touchedPool.Get().(*[]int32)
	touched := (*tp)[:0]
	defer func() { *tp = touched[:0]; touchedPool.Put(tp) }()
	window := EntityWindow(x.req.Limit)
	for _, e := range ents {
		slots := b.ents[e.key]
		if len(slots) == 0 {
			continue
		}
		w := e.w * IDF(len(slots), total)
		if len(slots) > window {
			// a common entity: only its newest memories (the list's tail)
			slots = slots[len(slots)-window:]
		}
		for _, slot := range slots {
			if acc[slot] == 0 {
				touched = append(touched, slot)
			}
			acc[slot] += w
		}
	}
	// Score: weighted entity IDF first; cosine (in [-1, 1]) scaled far
	// below the smallest IDF step breaks ties. A memory whose IDF sum is
	// more than 2e-3 below the Limit-th best cannot make the cut whatever
	// its cosine, so when there are many, that sum (floor) spares their
	// cosines.
	floor := x.req.MinEntityScore
	if x.plain && len(touched) > 2*x.req.Limit { // every touched slot is live
		floor = max(floor, kthLargest(acc, touched, x.req.Limit, x.req.MinEntityScore)-2e-3)
	}
	tk := newTopK(x.req.Limit, x.armBuf(ArmEntity))
	for _, slot := range touched {
		sc := acc[slot]
		acc[slot] = 0
		if sc < floor || !tk.wouldKeep(sc+1e-3) || (!x.plain && !x.match(slot)) {
			continue
		}
		tk.push(b.hit(slot, sc+1e-3*x.cos(slot)))
	}
	*accp = acc
	accPool.Put(accp)
	return tk.sorted()
}

// EntityWindow is how many memories of one entity the embedded store's
// entity arm visits for a request of this per-arm limit: an entity
// carried by more memories counts only for the newest of them (the last
// stored), so a common entity costs the same in a bank of a thousand
// memories as in one of a million. Rarer entities are visited whole.
func EntityWindow(limit int) int { return limit }

var valsPool = sync.Pool{New: func() any { return new([]float64) }}

// kthLargestSim returns the k-th largest of sims over b's live slots
// among those >= atLeast, or atLeast when fewer than k are.
func kthLargestSim(b *bankIndex, sims []float32, k int, atLeast float64) float64 {
	h := newKth(k)
	defer h.done()
	all := len(b.byID) == len(b.entries) // no free slot
	// below is the heap's least once it holds k (NaN until then, which
	// turns nothing away): a value not above it changes nothing. thr is
	// the least float32 that can still count, at least atLeast and above
	// below, and the vector scan skips to the next sim at or above it.
	sims = sims[:len(b.entries)]
	below, thr := math.NaN(), atLeast32(atLeast)
	for i := nextAtLeast(sims, 0, thr); i < len(sims); i = nextAtLeast(sims, i+1, thr) {
		v := float64(sims[i])
		if v < atLeast || v <= below || !(all || b.entries[i].alive) {
			continue
		}
		if h.add(v) {
			below = h.h[0]
			thr = max(thr, above32(below))
		}
	}
	return h.kth(atLeast)
}

// kthLargest returns the k-th largest of acc[s] (s in slots) among those
// >= atLeast, or atLeast when fewer than k are.
func kthLargest(acc []float64, slots []int32, k int, atLeast float64) float64 {
	vp := valsPool.Get().(*[]float64)
	defer valsPool.Put(vp)
	vs := (*vp)[:0]
	for _, s := range slots {
		if v := acc[s]; v >= atLeast {
			vs = append(vs, v)
		}
	}
	*vp = vs[:0]
	if k <= 0 || len(vs) < k {
		return atLeast
	}
	return kthOf(vs, k)
}

// kthOf returns the k-th largest of vs (0 < k <= len(vs)), reordering
// vs: a quickselect on the median of three, which sorts what is left
// after 2·log2(len(vs)) bad pivots. Where most values make the first k
// as they come (a rising run, many ties), it costs a few comparisons a
// value, as a heap of k does not.
func kthOf(vs []float64, k int) float64 { return kthSelect(vs, k, 2*bits.Len(uint(len(vs)))) }

// kthSelect is kthOf, sorting what is left after depth pivots.
func kthSelect(vs []float64, k, depth int) float64 {
	lo, hi, at := 0, len(vs)-1, k-1 // at: the k-th's index, largest first
	for lo < hi {
		if depth == 0 {
			rest := vs[lo : hi+1]
			slices.Sort(rest)
			return rest[len(rest)-1-(at-lo)]
		}
		depth--
		m := lo + (hi-lo)/2
		if vs[m] > vs[lo] {
			vs[m], vs[lo] = vs[lo], vs[m]
		}
		if vs[hi] > vs[m] {
			vs[hi], vs[m] = vs[m], vs[hi]
			if vs[m] > vs[lo] {
				vs[m], vs[lo] = vs[lo], vs[m]
			}
		}
		p := vs[m]
		i, j := lo, hi
		for i <= j {
			for vs[i] > p {
				i++
			}
			for p > vs[j] {
				j--
			}
			if i <= j {
				vs[i], vs[j] = vs[j], vs[i]
				i++
				j--
			}
		}
		// vs[lo:j+1] are at least p, vs[i:hi+1] at most p, and any
		// between is p.
		switch {
		case at <= j:
			hi = j
		case at >= i:
			lo = i
		default:
			return p
		}
	}
	return vs[at]
}

// kthHeap keeps the k largest values seen in a min-heap: one comparison
// for most values of a long list.
type kthHeap struct {
	k  int
	h  []float64
	vp *[]float64
}

func newKth(k int) kthHeap {
	vp := valsPool.Get().(*[]float64)
	return kthHeap{k: k, h: (*vp)[:0], vp: vp}
}

func (t *kthHeap) done() {
	*t.vp = t.h[:0]
	valsPool.Put(t.vp)
}

// add adds v and reports whether the heap holds k values after it.
func (t *kthHeap) add(v float64) bool {
	h := t.h
	if len(h) < t.k {
		h = append(h, v)
		for i := len(h) - 1; i > 0; {
			p := (i - 1) / 2
			if h[p] <= h[i] {
				break
			}
			h[p], h[i] = h[i], h[p]
			i = p
		}
		t.h = h
		return len(h) == t.k
	}
	if !(v > h[0]) {
		return true
	}
	h[0] = v
	for i, n := 0, len(h); ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h[r] < h[l] {
			m = r
		}
		if h[i] <= h[m] {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	return true
}

// kth is the k-th largest value added, or orElse when fewer were.
func (t *kthHeap) kth(orElse float64) float64 {
	if len(t.h) < t.k {
		return orElse
	}
	return t.h[0]
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
	dlo, dhi := dayNum(lo), dayNum(hi)
	if x.q == nil {
		return x.temporalNear(lo, hi, mid, dlo, dayNum(mid), dhi)
	}
	// Ranked by cosine: the best are gathered behind a rising floor.
	tk := newTopK(x.req.Limit, x.armBuf(ArmTemporal))
	consider := func(slot int32) {
		e := &b.entries[slot]
		if !e.alive || !e.hasTime || e.start > hi || e.end < lo {
			return
		}
		sc := x.cos(slot)
		if !tk.wouldKeep(sc) || (!x.plain && !x.req.Filter.Match(e.m)) {
			return
		}
		tk.push(b.hit(slot, sc))
	}
	if b.wideWindow(lo, hi, dlo, dhi) {
		// open or very wide window: a scan is cheaper than the buckets
		for i := range b.entries {
			consider(int32(i))
		}
		return tk.sorted()
	}
	for d := dlo; d <= dhi; d++ {
		rs := b.days[d]
		for i := range rs {
			r := &rs[i]
			// a span covering several days is seen once: on its first
			// day inside the window
			if first := max(dayNum(r.start), dlo); first != d || r.start > hi || r.end < lo {
				continue
			}
			if !x.plain || x.sims != nil || r.sp == nil {
				consider(r.slot)
				continue
			}
			// the common case in a bank with a graph: the bucket holds
			// all the arm needs until a hit enters the top-k (an indexed
			// memory is live)
			if sc := float64(dotSparse(x.q, r.sp)); tk.wouldKeep(sc) {
				tk.push(b.hit(r.slot, sc))
			}
		}
	}
	for _, slot := range b.long {
		consider(slot)
	}
	return tk.sorted()
}

// wideWindow reports whether the window [lo, hi] (days dlo..dhi) is open
// or spans more days than the bank has buckets: a scan of every memory is
// then cheaper than visiting the days.
func (b *bankIndex) wideWindow(lo, hi, dlo, dhi int64) bool {
	return lo == math.MinInt64 || hi == math.MaxInt64 || dhi-dlo > int64(len(b.days))
}

// temporalNear is the temporal arm without a query vector over the day
// buckets of a window [lo, hi] (days dlo..dhi, dmid holding its middle
// mid): memories ranked by closeness of their span's middle to mid. A
// bucket is sorted by span middles, so the closeness falls on both sides
// of mid's place in it: each side is read only until a record cannot
// make the cut, and the rest of the bucket is never touched.
func (x *searcher) temporalNear(lo, hi, mid, dlo, dmid, dhi int64) []scored {
	b := x.b
	tk := newTopK(x.req.Limit, x.armBuf(ArmTemporal))
	fmid := float64(mid)
	// take reports whether the walk goes on past r: false once r, and so
	// every record after it on its side, scores below the cut.
	take := func(d int64, r *dayRec) bool {
		sc := -math.Abs(float64(spanMid(r.start, r.end)) - fmid)
		if !tk.wouldKeep(sc) {
			return false
		}
		// a span covering several days is seen once: on its first day
		// inside the window
		if first := max(dayNum(r.start), dlo); first != d || r.start > hi || r.end < lo {
			return true
		}
		if !x.plain && !x.req.Filter.Match(b.entries[r.slot].m) {
			return true
		}
		tk.push(b.hit(r.slot, sc))
		return true
	}
	visit := func(d int64, rs []dayRec) {
		p := dayAt(rs, mid)
		for i := p; i < len(rs) && take(d, &rs[i]); i++ {
		}
		for i := p - 1; i >= 0 && take(d, &rs[i]); i-- {
		}
	}
	// Days nearest the middle first, so the cut rises early: counted out
	// from dmid, or, for an open or wide window, the bank's days in it
	// sorted by distance.
	if b.wideWindow(lo, hi, dlo, dhi) {
		days := make([]int64, 0, len(b.days))
		for d := range b.days {
			if d >= dlo && d <= dhi {
				days = append(days, d)
			}
		}
		slices.SortFunc(days, func(a, c int64) int {
			return cmp.Or(cmp.Compare(absDiff(a, dmid), absDiff(c, dmid)), cmp.Compare(a, c))
		})
		for _, d := range days {
			visit(d, b.days[d])
		}
	} else {
		for k := int64(0); dmid-k >= dlo || dmid+k <= dhi; k++ {
			for _, d := range [2]int64{dmid - k, dmid + k} {
				if d < dlo || d > dhi {
					continue
				}
				if rs := b.days[d]; len(rs) > 0 {
					visit(d, rs)
				}
				if k == 0 {
					break
				}
			}
		}
	}
	for _, slot := range b.long {
		e := &b.entries[slot]
		if !e.alive || !e.hasTime || e.start > hi || e.end < lo {
			continue
		}
		sc := -math.Abs(float64(spanMid(e.start, e.end)) - fmid)
		if !tk.wouldKeep(sc) || (!x.plain && !x.req.Filter.Match(e.m)) {
			continue
		}
		tk.push(b.hit(slot, sc))
	}
	return tk.sorted()
}

func absDiff(a, b int64) uint64 {
	if a < b {
		return uint64(b - a)
	}
	return uint64(a - b)
}
