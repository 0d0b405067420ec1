package qdrant

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/jedisos/jedisos/memory"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/proto"
)

// An arm ranks its memories as package memory does: by score, highest
// first, ties by memory id, smallest first (scores of -0 and +0 tie).
// Qdrant orders ties its own way (by point id) and cuts a query at its
// limit wherever that falls inside a tie, so each arm query asks for one
// hit more than the arm keeps (probe): when that extra hit scores below
// the last kept one, the answer holds every memory that can make the
// cut, and the arm is settled in the same round trip. Otherwise the cut
// falls inside a tie the server may have split: the arm asks again, in
// one batch with the other arms in that case, for every memory scoring
// at least the tied score, ids only (its band), and the tied memories
// with the smallest ids make the cut. A band answer that fills its limit
// is asked again with four times the limit, up to maxBand memories;
// memories first seen in a band are read with Get (one call per
// fillPage) once the cut is known.

// probe is the limit of an arm's first query: one more than it keeps.
func probe(keep int) uint64 { return uint64(keep) + 1 }

// maxBand is the most memories a band query asks for: with ids only,
// well under gRPC's 4 MiB message limit. Past it, the tied memories that
// make the cut are the smallest ids among those it returned.
const maxBand = 8192

// fillPage is how many memories one Get of a search asks for.
const fillPage = 256

// entitySlack bounds how much the cosine tie-break (1e-3 x cosine, the
// cosine at most 1 give or take rounding) adds to an entity score.
const entitySlack = 1.001e-3

// nearSlack (ns) bounds the difference between the embedded store's
// distance to the window's middle and 1000 x the distance of when_mid
// (µs) to windowMid: truncation to microseconds on both sides and the
// rounding of nanosecond times to float64.
const nearSlack = 8000

type hit struct {
	m     memory.Memory
	score float64
	pid   string // point id
	// lean: m holds only the memory's id and bank, its payload is read
	// once the hit makes the cut
	lean bool
}

// armRun is one arm of a per-arm search, settled over one or more
// batches: queries are its queries for the next batch (none once it is
// settled), take gets their results in order, result is its ranking.
type armRun interface {
	queries() []*qdrant.QueryPoints
	take(res [][]*qdrant.ScoredPoint) error
	result() (memory.Arm, []hit)
}

// runAll settles runs: each batch carries the queries every unsettled run
// asks for, one round trip per batch (a Query call when single is set
// and the batch holds one query, a QueryBatch otherwise). After each
// batch, more (when set) may add runs, whose queries join the next
// batch. It returns every run.
func (s *Store) runAll(ctx context.Context, p *plan, runs []armRun, single bool, more func() []armRun) ([]armRun, error) {
	for {
		var qs []*qdrant.QueryPoints
		counts := make([]int, len(runs))
		for i, r := range runs {
			q := r.queries()
			counts[i] = len(q)
			qs = append(qs, q...)
		}
		if len(qs) == 0 {
			return runs, nil
		}
		var results [][]*qdrant.ScoredPoint
		if single && len(qs) == 1 {
			pts, err := s.query(ctx, qs[0])
			if err != nil {
				return nil, err
			}
			results = [][]*qdrant.ScoredPoint{pts}
		} else {
			var err error
			if results, err = s.batch(ctx, p, qs); err != nil {
				return nil, err
			}
		}
		at := 0
		for i, r := range runs {
			if counts[i] == 0 {
				continue
			}
			if err := r.take(results[at : at+counts[i]]); err != nil {
				return nil, err
			}
			at += counts[i]
		}
		if more != nil {
			runs = append(runs, more()...)
		}
	}
}

// batch sends qs as one QueryBatch (one round trip).
func (s *Store) batch(ctx context.Context, p *plan, qs []*qdrant.QueryPoints) ([][]*qdrant.ScoredPoint, error) {
	req := &qdrant.QueryBatchPoints{CollectionName: p.coll, QueryPoints: qs}
	var results []*qdrant.BatchResult
	err := s.call(ctx, "search", func(ctx context.Context) (err error) {
		results, err = s.client.QueryBatch(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(results) != len(qs) {
		return nil, fmt.Errorf("qdrant: search: query batch returned %d results for %d queries", len(results), len(qs))
	}
	out := make([][]*qdrant.ScoredPoint, len(results))
	for i, r := range results {
		out[i] = r.GetResult()
	}
	return out, nil
}

// fill reads the payloads of the lean hits of lists (one Get per
// fillPage memories) and drops those no longer stored.
func (s *Store) fill(ctx context.Context, p *plan, lists ...*[]hit) error {
	var ids []*qdrant.PointId
	want := map[string]bool{}
	for _, l := range lists {
		for _, h := range *l {
			if h.lean && !want[h.pid] {
				want[h.pid] = true
				ids = append(ids, qdrant.NewID(h.pid))
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	got := make(map[string]memory.Memory, len(ids))
	for start := 0; start < len(ids); start += fillPage {
		chunk := ids[start:min(start+fillPage, len(ids))]
		var pts []*qdrant.RetrievedPoint
		err := s.call(ctx, "search", func(ctx context.Context) (err error) {
			pts, err = s.client.Get(ctx, &qdrant.GetPoints{
				CollectionName: p.coll, Ids: chunk, WithPayload: qdrant.NewWithPayload(true),
			})
			return err
		})
		if err != nil {
			return err
		}
		for _, pt := range pts {
			m, err := decode(pt.GetPayload(), nil)
			if err != nil {
				return err
			}
			if m.Bank == p.req.Bank {
				got[pt.GetId().GetUuid()] = m
			}
		}
	}
	for _, l := range lists {
		out := (*l)[:0]
		for _, h := range *l {
			if h.lean {
				m, ok := got[h.pid]
				if !ok {
					continue
				}
				h.m, h.lean = m, false
			}
			out = append(out, h)
		}
		*l = out
	}
	return nil
}

func anyLean(hs []hit) bool {
	return slices.ContainsFunc(hs, func(h hit) bool { return h.lean })
}

// byScore orders hits as package memory ranks an arm: score descending,
// then memory id ascending (bytewise). Scores are finite, and -0 and +0
// compare equal, as they do in the embedded store.
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
		out = append(out, hit{m: m, score: float64(pt.GetScore()), pid: pt.GetId().GetUuid()})
	}
	return out, nil
}

// leanPayload is what a band query returns of each memory.
func leanPayload(keys ...string) *qdrant.WithPayloadSelector {
	return qdrant.NewWithPayloadInclude(append([]string{keyID}, keys...)...)
}

// leanHits are the hits of a band query, of bank.
func leanHits(pts []*qdrant.ScoredPoint, bank string) ([]hit, error) {
	out := make([]hit, 0, len(pts))
	for _, pt := range pts {
		id := str(pt.GetPayload(), keyID)
		if id == "" {
			return nil, fmt.Errorf("%w: qdrant: point has no memory id in its payload", memory.ErrCorrupt)
		}
		out = append(out, hit{m: memory.Memory{ID: id, Bank: bank}, score: float64(pt.GetScore()), pid: pt.GetId().GetUuid(), lean: true})
	}
	return out, nil
}

// settled reports whether hs, the ranked answer of a query for asked
// hits, holds the arm's top keep: the server ran out of matches, or the
// hit after the cut scores below the last one kept (hs[len-1] is the
// lowest score the server returned; every memory it left out scores at
// most that).
func settled(hs []hit, keep, asked int) bool {
	return len(hs) < asked || len(hs) <= keep || hs[len(hs)-1].score < hs[keep-1].score
}

// below32 is the largest float32 below x, a score threshold that keeps
// every score of x whether the server's comparison is strict or not.
func below32(x float64) float32 {
	return math.Nextafter32(float32(x), float32(math.Inf(-1)))
}

// startBand is the limit of the first band query after a probe asking
// for asked memories.
func startBand(asked uint64) uint64 { return 4 * asked }

// bandCeiling is the largest limit a band query after a probe asking for
// asked memories grows to.
func bandCeiling(asked uint64) uint64 { return max(maxBand, startBand(asked)) }

// grow reports whether a band answer of n hits to q (after a probe
// asking for asked) filled its limit while a larger one may still be
// asked, and if so raises the limit.
func grow(q *qdrant.QueryPoints, n int, asked uint64) bool {
	lim, ceiling := q.GetLimit(), bandCeiling(asked)
	if uint64(n) < lim || lim >= ceiling {
		return false
	}
	q.Limit = qdrant.PtrOf(min(4*lim, ceiling))
	return true
}

// bandOf is q asking for limit memories scoring at least thr, ids only.
func bandOf(q *qdrant.QueryPoints, thr float32, limit uint64, keys ...string) *qdrant.QueryPoints {
	b := proto.Clone(q).(*qdrant.QueryPoints)
	if q.ScoreThreshold != nil {
		thr = max(thr, q.GetScoreThreshold())
	}
	b.ScoreThreshold = qdrant.PtrOf(thr)
	b.Limit = qdrant.PtrOf(limit)
	b.WithPayload = leanPayload(keys...)
	return b
}

// merge ranks the band hits, taking the memories known from the probe
// (and any the band missed), and keeps the best keep.
func merge(known, band []hit, keep int) []hit {
	byID := make(map[string]int, len(known))
	for i, h := range known {
		byID[h.m.ID] = i
	}
	out := make([]hit, 0, len(band)+len(known))
	seen := make(map[string]bool, len(band))
	for _, h := range band {
		if seen[h.m.ID] {
			continue
		}
		seen[h.m.ID] = true
		if i, ok := byID[h.m.ID]; ok {
			k := known[i]
			k.score = h.score
			h = k
		}
		out = append(out, h)
	}
	for _, h := range known {
		if !seen[h.m.ID] {
			out = append(out, h)
		}
	}
	byScore(out)
	return out[:min(keep, len(out))]
}

// scoreRun is an arm ranked by the server's score: semantic, keyword,
// the temporal arm with a query vector, and the seed queries of a fused
// search. Its band is the same query with the tied score as threshold.
type scoreRun struct {
	arm   memory.Arm
	keep  int
	bank  string
	q     *qdrant.QueryPoints // asks for probe(keep)
	band  *qdrant.QueryPoints // the pending band query
	known []hit
	out   []hit
	done  bool
}

func (r *scoreRun) queries() []*qdrant.QueryPoints {
	switch {
	case r.done:
		return nil
	case r.band != nil:
		return []*qdrant.QueryPoints{r.band}
	}
	return []*qdrant.QueryPoints{r.q}
}

func (r *scoreRun) take(res [][]*qdrant.ScoredPoint) error {
	if r.band == nil {
		hs, err := hits(res[0])
		if err != nil {
			return err
		}
		byScore(hs)
		if asked := r.q.GetLimit(); !settled(hs, r.keep, int(asked)) {
			r.known = hs
			r.band = bandOf(r.q, below32(hs[r.keep-1].score), startBand(asked))
			return nil
		}
		r.out, r.done = hs[:min(r.keep, len(hs))], true
		return nil
	}
	ls, err := leanHits(res[0], r.bank)
	if err != nil {
		return err
	}
	if grow(r.band, len(ls), r.q.GetLimit()) {
		return nil
	}
	r.out, r.done = merge(r.known, ls, r.keep), true
	r.known = nil
	return nil
}

func (r *scoreRun) result() (memory.Arm, []hit) { return r.arm, r.out }

// top returns the arm's first n hits once they are final: the arm is
// settled, or its band is pending and they score above the tied score
// (every memory scoring above it is known and ranked). Hits from a band
// may still lack their payload (see fill).
func (r *scoreRun) top(n int) ([]hit, bool) {
	switch {
	case r.done:
		return r.out[:min(n, len(r.out))], true
	case r.band != nil && n <= r.keep && (n == 0 || r.known[n-1].score > r.known[r.keep-1].score):
		return r.known[:n], true
	}
	return nil, false
}

// entityRun is the entity arm: q ranks its members by entity score, cq
// (with a query vector) gives the same members' cosine, and a member's
// score is its entity score plus 1e-3 x its cosine, as in package
// memory. The members the server left out score at most the last entity
// score it returned, plus entitySlack: when that is below the last kept
// score the arm is settled, otherwise its band is every member whose
// entity score is within entitySlack of the last kept score, asked once
// for at most keep x len(keys) + 1 members. When some entity key is
// carried by more than keep of the members seen (always so when the band
// fills its limit), the embedded store visits only the newest
// [memory.EntityWindow] memories of that entity, which no order of this
// store's members reproduces: the arm then keeps the first answer's
// ranking and asks for nothing more.
type entityRun struct {
	keep   int
	bank   string
	keys   []string            // the entity keys searched
	q, cq  *qdrant.QueryPoints // ask for probe(keep)
	bq     *qdrant.QueryPoints // the pending band queries
	bcq    *qdrant.QueryPoints
	banded bool
	known  []hit
	out    []hit
	done   bool
}

// crowded reports whether one of r.keys is carried by more than r.keep
// of the members whose entity keys are given.
func (r *entityRun) crowded(n int, keysOf func(i int) []string) bool {
	count := make(map[string]int, len(r.keys))
	for _, k := range r.keys {
		count[k] = 0
	}
	for i := 0; i < n; i++ {
		for _, k := range keysOf(i) {
			if c, ok := count[k]; ok {
				if c+1 > r.keep {
					return true
				}
				count[k] = c + 1
			}
		}
	}
	return false
}

func (r *entityRun) queries() []*qdrant.QueryPoints {
	var q, cq *qdrant.QueryPoints
	switch {
	case r.done:
		return nil
	case r.banded:
		q, cq = r.bq, r.bcq
	default:
		q, cq = r.q, r.cq
	}
	if cq == nil {
		return []*qdrant.QueryPoints{q}
	}
	return []*qdrant.QueryPoints{q, cq}
}

func cosines(res [][]*qdrant.ScoredPoint) map[string]float64 {
	if len(res) < 2 {
		return nil
	}
	cos := make(map[string]float64, len(res[1]))
	for _, pt := range res[1] {
		cos[pt.GetId().GetUuid()] = float64(pt.GetScore())
	}
	return cos
}

func (r *entityRun) take(res [][]*qdrant.ScoredPoint) error {
	cos := cosines(res)
	if r.banded {
		ls, err := leanHits(res[0], r.bank)
		if err != nil {
			return err
		}
		full := uint64(len(ls)) >= r.bq.GetLimit()
		if full || r.crowded(len(ls), func(i int) []string { return strs(res[0][i].GetPayload(), keyEntities) }) {
			r.out = r.known[:r.keep]
		} else {
			r.out = merge(r.known, rankEntities(ls, cos), r.keep)
		}
		r.known, r.done = nil, true
		return nil
	}
	hs, err := hits(res[0])
	if err != nil {
		return err
	}
	last := math.Inf(1) // the lowest entity score returned
	for _, h := range hs {
		last = min(last, h.score)
	}
	rankEntities(hs, cos)
	asked := int(r.q.GetLimit())
	slack := 0.0
	if r.cq != nil {
		slack = entitySlack
	}
	most := r.keep * len(r.keys)
	if len(hs) < asked || len(hs) <= r.keep || last+slack < hs[r.keep-1].score || most < asked ||
		r.crowded(len(hs), func(i int) []string { return entityKeys(hs[i].m.Entities) }) {
		r.out, r.done = hs[:min(r.keep, len(hs))], true
		return nil
	}
	thr := below32(hs[r.keep-1].score - slack)
	lim := min(uint64(most)+1, bandCeiling(uint64(asked)))
	r.known, r.banded = hs, true
	r.bq = bandOf(r.q, thr, lim, keyEntities)
	if r.cq != nil {
		r.bcq = proto.Clone(r.cq).(*qdrant.QueryPoints)
		inner := r.bcq.Prefetch[0]
		inner.ScoreThreshold = qdrant.PtrOf(max(thr, inner.GetScoreThreshold()))
		inner.Limit = qdrant.PtrOf(lim)
		r.bcq.Limit = qdrant.PtrOf(lim)
	}
	return nil
}

func (r *entityRun) result() (memory.Arm, []hit) { return memory.ArmEntity, r.out }

// rankEntities orders the entity arm's hits as package memory does: by
// entity score (the server's score of the entity query) plus 1e-3 x the
// cosine to Dense (cos, keyed by point id; nil without a query vector),
// then by memory id.
func rankEntities(hs []hit, cos map[string]float64) []hit {
	for i := range hs {
		hs[i].score += 1e-3 * cos[hs[i].pid]
	}
	return byScore(hs)
}

// nearRun is the temporal arm without a query vector. A memory's score
// is the embedded store's: minus the distance in nanoseconds (as
// float64) from the middle of its time to the window's middle. Each half
// (order_by when_mid from windowMid, ascending and descending) asks for
// probe(keep) memories; a full half settles the arm when its farthest
// memory is, by when_mid, clearly farther than the last kept one
// (nearSlack). Otherwise the band is every memory of the window whose
// when_mid is that close to the middle, read in point id order.
type nearRun struct {
	keep    int
	bank    string
	midNano int64 // the window's middle, Unix ns
	mid     int64 // windowMid, Unix µs
	window  *qdrant.Filter
	halves  [2]*qdrant.QueryPoints
	band    *qdrant.QueryPoints
	known   []hit
	out     []hit
	done    bool
}

func (r *nearRun) queries() []*qdrant.QueryPoints {
	switch {
	case r.done:
		return nil
	case r.band != nil:
		return []*qdrant.QueryPoints{r.band}
	}
	return r.halves[:]
}

// nearScore is minus the distance of [start, end]'s middle to mid, in
// nanoseconds, as the embedded store computes it.
func nearScore(start, end, mid int64) float64 {
	return -math.Abs(float64(start/2+end/2) - float64(mid))
}

func (r *nearRun) take(res [][]*qdrant.ScoredPoint) error {
	if r.band != nil {
		ls, err := leanHits(res[0], r.bank)
		if err != nil {
			return err
		}
		for i, pt := range res[0] {
			s, err := tm(pt.GetPayload(), keyWhenStart, ls[i].m.ID)
			if err != nil {
				return err
			}
			e, err := tm(pt.GetPayload(), keyWhenEnd, ls[i].m.ID)
			if err != nil {
				return err
			}
			ls[i].score = nearScore(s.UnixNano(), e.UnixNano(), r.midNano)
		}
		if grow(r.band, len(ls), r.halves[0].GetLimit()) {
			return nil
		}
		r.out, r.done = merge(r.known, ls, r.keep), true
		r.known = nil
		return nil
	}
	var all []hit
	seen := map[string]bool{}
	var far []int64 // per full half: its farthest when_mid from mid, µs
	for i, pts := range res {
		hs, err := hits(pts)
		if err != nil {
			return err
		}
		if len(hs) == int(r.halves[i].GetLimit()) {
			s, e, _ := hs[len(hs)-1].m.When()
			far = append(far, absDiff(whenMid(s, e), r.mid))
		}
		for _, h := range hs {
			if seen[h.m.ID] {
				continue
			}
			seen[h.m.ID] = true
			s, e, _ := h.m.When()
			h.score = nearScore(s.UnixNano(), e.UnixNano(), r.midNano)
			all = append(all, h)
		}
	}
	byScore(all)
	open := false
	var dist float64 // the last kept memory's distance, ns
	if len(all) >= r.keep {
		dist = -all[r.keep-1].score
		for _, f := range far {
			if float64(f)*1000 <= dist+nearSlack {
				open = true
			}
		}
	}
	if !open {
		r.out, r.done = all[:min(r.keep, len(all))], true
		return nil
	}
	r.known = all
	b := (dist + nearSlack) / 1000
	lo, hi := float64(r.mid)-b, float64(r.mid)+b
	r.band = &qdrant.QueryPoints{
		CollectionName: r.halves[0].GetCollectionName(),
		Filter: with(r.window, func(f *qdrant.Filter) {
			f.Must = append(f.Must, qdrant.NewRange(keyWhenMid, &qdrant.Range{Gte: &lo, Lte: &hi}))
		}),
		Limit:       qdrant.PtrOf(startBand(r.halves[0].GetLimit())),
		WithPayload: leanPayload(keyWhenStart, keyWhenEnd),
	}
	return nil
}

func (r *nearRun) result() (memory.Arm, []hit) { return memory.ArmTemporal, r.out }

func absDiff(a, b int64) int64 {
	if a < b {
		a, b = b, a
	}
	d := uint64(a) - uint64(b)
	if d > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(d)
}
