package qdranttest

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// defaultRRFK is Qdrant's default RRF constant.
const defaultRRFK = 2

// scored is one result row of a query stage.
type scored struct {
	p     *point
	score float32
	order *qdrant.OrderValue
}

// stage is one level of a query: the root request or a prefetch.
type stage struct {
	prefetch  []*qdrant.PrefetchQuery
	query     *qdrant.Query
	using     string
	filter    *qdrant.Filter
	threshold *float32
	limit     int
	where     string
}

func unimplemented(where, what string) error {
	return status.Errorf(codes.Unimplemented, "qdranttest: %s: %s is not supported by the in-process server", where, what)
}

func (m *matcher) matchesAll(filters []*qdrant.Filter, p *point) bool {
	for _, f := range filters {
		if !m.matches(f, p) {
			return false
		}
	}
	return true
}

// request holds what one query shares between its stages: the filter
// matcher and the candidate lists already computed, since the arms of a
// hybrid query usually carry the same filter.
type request struct {
	m    *matcher
	seen []candidateList
}

type candidateList struct {
	filters []*qdrant.Filter
	points  []*point
}

// candidates returns the points passing every filter, in id order. The
// slice is shared and must not be modified.
func (rq *request) candidates(c *collection, filters []*qdrant.Filter) []*point {
	for _, cl := range rq.seen {
		if sameFilters(cl.filters, filters) {
			return cl.points
		}
	}
	var out []*point
	for _, p := range c.sorted {
		if rq.m.matchesAll(filters, p) {
			out = append(out, p)
		}
	}
	rq.seen = append(rq.seen, candidateList{filters: filters, points: out})
	return out
}

func sameFilters(a, b []*qdrant.Filter) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// run executes a stage. Filters of enclosing stages are inherited, as
// Qdrant propagates the root filter into prefetches.
func (c *collection) run(st stage, inherited []*qdrant.Filter, rq *request) ([]scored, error) {
	if err := c.checkFilter(st.filter, st.where+".filter"); err != nil {
		return nil, err
	}
	filters := inherited
	if st.filter != nil {
		filters = append(append([]*qdrant.Filter(nil), inherited...), st.filter)
	}
	if len(st.prefetch) > 0 {
		return c.runWithPrefetch(st, filters, rq)
	}
	cands := rq.candidates(c, filters)
	switch q := st.query.GetVariant().(type) {
	case nil:
		if st.query != nil {
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s.query is set but empty", st.where)
		}
		res := make([]scored, 0, len(cands))
		for _, p := range cands {
			res = append(res, scored{p: p})
		}
		return cut(res, st.limit), nil
	case *qdrant.Query_Nearest:
		res, larger, err := c.nearest(q.Nearest, st.using, cands, true, st.where+".query.nearest")
		if err != nil {
			return nil, err
		}
		return top(threshold(res, st.threshold, larger), st.limit, larger), nil
	case *qdrant.Query_OrderBy:
		res, err := orderPoints(cands, q.OrderBy, st.where+".query.order_by")
		if err != nil {
			return nil, err
		}
		return cut(res, st.limit), nil
	case *qdrant.Query_Fusion, *qdrant.Query_Rrf:
		return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s: a fusion query needs at least one prefetch", st.where)
	default:
		return nil, unsupportedQuery(st.where, st.query)
	}
}

func unsupportedQuery(where string, q *qdrant.Query) error {
	name := fmt.Sprintf("%T", q.GetVariant())
	switch q.GetVariant().(type) {
	case *qdrant.Query_Formula:
		name = "formula (score boosting) query"
	case *qdrant.Query_NearestWithMmr:
		name = "nearest with MMR"
	case *qdrant.Query_Recommend:
		name = "recommend query"
	case *qdrant.Query_Discover:
		name = "discover query"
	case *qdrant.Query_Context:
		name = "context query"
	case *qdrant.Query_Sample:
		name = "sample query"
	case *qdrant.Query_RelevanceFeedback:
		name = "relevance feedback query"
	}
	return unimplemented(where+".query", name)
}

func (c *collection) runWithPrefetch(st stage, filters []*qdrant.Filter, rq *request) ([]scored, error) {
	lists := make([][]scored, len(st.prefetch))
	for i, pf := range st.prefetch {
		if pf.LookupFrom != nil {
			return nil, unimplemented(fmt.Sprintf("%s.prefetch[%d]", st.where, i), "lookup_from")
		}
		sub := stage{
			prefetch:  pf.GetPrefetch(),
			query:     pf.Query,
			using:     pf.GetUsing(),
			filter:    pf.Filter,
			threshold: pf.ScoreThreshold,
			limit:     10,
			where:     fmt.Sprintf("%s.prefetch[%d]", st.where, i),
		}
		if pf.Limit != nil {
			sub.limit = clampInt(pf.GetLimit())
		}
		res, err := c.run(sub, filters, rq)
		if err != nil {
			return nil, err
		}
		lists[i] = res
	}
	switch q := st.query.GetVariant().(type) {
	case *qdrant.Query_Fusion:
		var fused []scored
		switch q.Fusion {
		case qdrant.Fusion_RRF:
			fused = rrf(lists, defaultRRFK, nil)
		case qdrant.Fusion_DBSF:
			fused = dbsf(lists)
		default:
			return nil, unimplemented(st.where+".query.fusion", fmt.Sprintf("fusion %v", q.Fusion))
		}
		return cut(threshold(fused, st.threshold, true), st.limit), nil
	case *qdrant.Query_Rrf:
		k := defaultRRFK
		if q.Rrf.K != nil {
			k = int(q.Rrf.GetK())
			if k == 0 {
				return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s.query.rrf.k must be greater than 0", st.where)
			}
		}
		if w := q.Rrf.GetWeights(); len(w) > 0 && len(w) != len(lists) {
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s.query.rrf: Number of weights in RRF should match number of pre-fetches: got %d, expected %d", st.where, len(w), len(lists))
		}
		return cut(threshold(rrf(lists, k, q.Rrf.GetWeights()), st.threshold, true), st.limit), nil
	case *qdrant.Query_Nearest:
		res, larger, err := c.nearest(q.Nearest, st.using, union(lists), false, st.where+".query.nearest")
		if err != nil {
			return nil, err
		}
		return top(threshold(res, st.threshold, larger), st.limit, larger), nil
	case *qdrant.Query_OrderBy:
		res, err := orderPoints(union(lists), q.OrderBy, st.where+".query.order_by")
		if err != nil {
			return nil, err
		}
		return cut(res, st.limit), nil
	case nil:
		return nil, unimplemented(st.where, "a query without `query` but with prefetches")
	default:
		return nil, unsupportedQuery(st.where, st.query)
	}
}

// union returns the distinct points of several result lists in id order.
func union(lists [][]scored) []*point {
	seen := map[pointKey]bool{}
	var out []*point
	for _, l := range lists {
		for _, r := range l {
			if !seen[r.p.key] {
				seen[r.p.key] = true
				out = append(out, r.p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key.less(out[j].key) })
	return out
}

// clampInt converts a wire count to int, capping it far above any real
// collection size so sums of limits and offsets cannot overflow.
func clampInt(n uint64) int {
	if n > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(n)
}

func cut(res []scored, limit int) []scored {
	if limit >= 0 && len(res) > limit {
		return res[:limit]
	}
	return res
}

func threshold(res []scored, t *float32, largerBetter bool) []scored {
	if t == nil {
		return res
	}
	out := res[:0:0]
	for _, r := range res {
		if (largerBetter && r.score >= *t) || (!largerBetter && r.score <= *t) {
			out = append(out, r)
		}
	}
	return out
}

// better reports whether a ranks before b: by score, then smaller id.
func better(a, b *scored, largerBetter bool) bool {
	if a.score != b.score {
		if largerBetter {
			return a.score > b.score
		}
		return a.score < b.score
	}
	return a.p.key.less(b.p.key)
}

func compareScored(largerBetter bool) func(a, b scored) int {
	return func(a, b scored) int {
		switch {
		case better(&a, &b, largerBetter):
			return -1
		case better(&b, &a, largerBetter):
			return 1
		}
		return 0
	}
}

// sortScored orders best first; ties go to the smaller id.
func sortScored(res []scored, largerBetter bool) {
	slices.SortFunc(res, compareScored(largerBetter))
}

// top returns the best limit results in order. For a limit well below the
// number of results it keeps a bounded heap instead of sorting everything.
func top(res []scored, limit int, largerBetter bool) []scored {
	if limit < 0 || limit >= len(res) || 4*limit >= len(res) {
		sortScored(res, largerBetter)
		return cut(res, limit)
	}
	if limit == 0 {
		return res[:0]
	}
	// h is a heap whose root is the worst of the best results kept so far.
	h := make([]scored, 0, limit)
	worse := func(i, j int) bool { return better(&h[j], &h[i], largerBetter) }
	down := func(i int) {
		for {
			l, w := 2*i+1, i
			if l < len(h) && worse(l, w) {
				w = l
			}
			if r := l + 1; r < len(h) && worse(r, w) {
				w = r
			}
			if w == i {
				return
			}
			h[i], h[w] = h[w], h[i]
			i = w
		}
	}
	for _, r := range res {
		if len(h) < limit {
			h = append(h, r)
			for i := len(h) - 1; i > 0; {
				parent := (i - 1) / 2
				if !worse(i, parent) {
					break
				}
				h[i], h[parent] = h[parent], h[i]
				i = parent
			}
			continue
		}
		if better(&r, &h[0], largerBetter) {
			h[0] = r
			down(0)
		}
	}
	sortScored(h, largerBetter)
	return h
}

// rrf is Qdrant's reciprocal rank fusion: a point at 0-based position p of
// a list with weight w scores 1 / ((p+1)/w + k - 1), which is 1 / (k + p)
// for w = 1; scores of the same point add up.
func rrf(lists [][]scored, k int, weights []float32) []scored {
	return sumScores(lists, func(li int, l []scored) []float32 {
		w := float32(1)
		if len(weights) > 0 {
			w = weights[li]
		}
		s := make([]float32, len(l))
		if w > 0 {
			for pos := range l {
				s[pos] = 1 / (float32(pos+1)/w + float32(k) - 1)
			}
		}
		return s
	})
}

// sumScores fuses lists: score(li, l) gives each entry of list li its
// fused contribution, the contributions of the same point add up, and the
// result is sorted best first (ties in first-seen order).
func sumScores(lists [][]scored, score func(li int, l []scored) []float32) []scored {
	acc := map[pointKey]*scored{}
	var order []pointKey
	for li, l := range lists {
		for i, s := range score(li, l) {
			r := l[i]
			if e, ok := acc[r.p.key]; ok {
				e.score += s
				continue
			}
			acc[r.p.key] = &scored{p: r.p, score: s}
			order = append(order, r.p.key)
		}
	}
	out := make([]scored, 0, len(acc))
	for _, key := range order {
		out = append(out, *acc[key])
	}
	sortScored(out, true)
	return out
}

// dbsf is Qdrant's distribution-based score fusion: each list is scaled to
// [0, 1] between mean - 3 sd and mean + 3 sd (sample standard deviation),
// then the scores of the same point add up.
func dbsf(lists [][]scored) []scored {
	return sumScores(lists, func(_ int, l []scored) []float32 {
		norm := make([]float32, len(l))
		switch {
		case len(l) == 1:
			norm[0] = 0.5
		case len(l) > 1:
			var mean, agg float64
			for i, r := range l {
				x := float64(r.score)
				d := x - mean
				mean += d / float64(i+1)
				agg += d * (x - mean)
			}
			sd := math.Sqrt(agg / float64(len(l)-1))
			lo, hi := mean-3*sd, mean+3*sd
			smallBetter := l[0].score < l[len(l)-1].score
			for i, r := range l {
				switch {
				case lo == hi:
					norm[i] = 0.5
				case smallBetter:
					norm[i] = float32((hi - float64(r.score)) / (hi - lo))
				default:
					norm[i] = float32((float64(r.score) - lo) / (hi - lo))
				}
			}
		}
		return norm
	})
}

// nearest scores candidates against a query vector, unordered (see top). fullScan says the
// candidates are the whole (filtered) collection rather than prefetch
// results: sparse full scans keep only points sharing an index with the
// query, as an inverted index would. It also reports whether larger scores
// are better (false for Euclid and Manhattan distances).
func (c *collection) nearest(vi *qdrant.VectorInput, using string, cands []*point, fullScan bool, where string) ([]scored, bool, error) {
	var qd []float32
	var qs *sparseVec
	var exclude *pointKey
	switch x := vi.GetVariant().(type) {
	case *qdrant.VectorInput_Dense:
		qd = x.Dense.GetData()
		if qd == nil {
			qd = []float32{}
		}
	case *qdrant.VectorInput_Sparse:
		sv, err := makeSparse(x.Sparse.GetIndices(), x.Sparse.GetValues(), where)
		if err != nil {
			return nil, false, err
		}
		qs = &sv
	case *qdrant.VectorInput_Id:
		k, err := keyOf(x.Id, where+".id")
		if err != nil {
			return nil, false, err
		}
		src, ok := c.points[k]
		if !ok {
			return nil, false, status.Errorf(codes.NotFound, "Not found: No point with id %s found (%s)", k, where)
		}
		if d, ok := src.dense[using]; ok {
			qd = d
		} else if s, ok := src.sparse[using]; ok {
			qs = &s
		} else {
			return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: %s: point %s has no %s", where, k, vectorLabel(using))
		}
		// The point used as the query is not part of its own result.
		exclude = &k
	case *qdrant.VectorInput_MultiDense:
		return nil, false, unimplemented(where, "a multi-dense query vector")
	case nil:
		return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: %s: the query vector is empty", where)
	default:
		return nil, false, unimplemented(where, "an inference input (document, image, object)")
	}

	res := make([]scored, 0, len(cands))
	if qd != nil {
		p, ok := c.dense[using]
		if !ok {
			if _, sp := c.sparse[using]; sp {
				return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: %s: %s is sparse but the query is dense", where, vectorLabel(using))
			}
			return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: %s: Not existing vector name error: %q; collection %q has %s", where, using, c.name, c.vectorNames())
		}
		if uint64(len(qd)) != p.GetSize() {
			return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: Vector dimension error: expected dim: %d, got %d (%s, %s)", p.GetSize(), len(qd), where, vectorLabel(using))
		}
		q := append([]float32(nil), qd...)
		dist := p.GetDistance()
		if dist == qdrant.Distance_Cosine {
			normalize(q)
		}
		for _, pt := range cands {
			if exclude != nil && pt.key == *exclude {
				continue
			}
			v, ok := pt.dense[using]
			if !ok {
				continue
			}
			res = append(res, scored{p: pt, score: denseScore(dist, q, v)})
		}
		larger := dist == qdrant.Distance_Cosine || dist == qdrant.Distance_Dot
		return res, larger, nil
	}

	sp, ok := c.sparse[using]
	if !ok {
		if _, dn := c.dense[using]; dn {
			return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: %s: %s is dense but the query is sparse", where, vectorLabel(using))
		}
		return nil, false, status.Errorf(codes.InvalidArgument, "Wrong input: %s: Not existing vector name error: %q; collection %q has %s", where, using, c.name, c.vectorNames())
	}
	weights := append([]float32(nil), qs.val...)
	if sp.GetModifier() == qdrant.Modifier_Idf {
		for i, idx := range qs.idx {
			weights[i] = float32(float64(weights[i]) * c.idf(using, idx))
		}
	}
	for _, pt := range cands {
		if exclude != nil && pt.key == *exclude {
			continue
		}
		v, ok := pt.sparse[using]
		if !ok {
			continue
		}
		s, overlap := sparseDot(qs.idx, weights, v)
		if fullScan && !overlap {
			continue
		}
		res = append(res, scored{p: pt, score: s})
	}
	return res, true, nil
}

func denseScore(d qdrant.Distance, q, v []float32) float32 {
	var s float64
	switch d {
	case qdrant.Distance_Euclid:
		for i := range q {
			x := float64(q[i]) - float64(v[i])
			s += x * x
		}
		return float32(math.Sqrt(s))
	case qdrant.Distance_Manhattan:
		for i := range q {
			s += math.Abs(float64(q[i]) - float64(v[i]))
		}
		return float32(s)
	default: // Cosine (both sides normalised) and Dot
		for i := range q {
			s += float64(q[i]) * float64(v[i])
		}
		return float32(s)
	}
}

// sparseDot multiplies two index-sorted sparse vectors.
func sparseDot(qi []uint32, qv []float32, v sparseVec) (float32, bool) {
	var s float64
	overlap := false
	i, j := 0, 0
	for i < len(qi) && j < len(v.idx) {
		switch {
		case qi[i] == v.idx[j]:
			s += float64(qv[i]) * float64(v.val[j])
			overlap = true
			i++
			j++
		case qi[i] < v.idx[j]:
			i++
		default:
			j++
		}
	}
	return float32(s), overlap
}

// orderValue is the sortable value of a point for order_by.
type orderValue struct {
	f     float64
	isInt bool
	i     int64
}

func (o orderValue) wire() *qdrant.OrderValue {
	if o.isInt {
		return &qdrant.OrderValue{Variant: &qdrant.OrderValue_Int{Int: o.i}}
	}
	return &qdrant.OrderValue{Variant: &qdrant.OrderValue_Float{Float: o.f}}
}

// orderPoints orders points by a payload key: numbers by value, datetime
// strings by time (reported as Unix microseconds). Points without a usable
// value are left out; a point with several values is placed by its first
// value in the requested direction.
func orderPoints(cands []*point, ob *qdrant.OrderBy, where string) ([]scored, error) {
	path, err := parsePath(ob.GetKey())
	if err != nil || ob.GetKey() == "" {
		return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s.key: %q is not a valid payload key", where, ob.GetKey())
	}
	desc := ob.GetDirection() == qdrant.Direction_Desc
	var start *float64
	if sf := ob.StartFrom; sf != nil {
		var x float64
		switch v := sf.GetValue().(type) {
		case *qdrant.StartFrom_Float:
			x = v.Float
		case *qdrant.StartFrom_Integer:
			x = float64(v.Integer)
		case *qdrant.StartFrom_Timestamp:
			x = float64(v.Timestamp.AsTime().UnixMicro())
		case *qdrant.StartFrom_Datetime:
			t, err := parseDatetime(v.Datetime)
			if err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s.start_from: %v", where, err)
			}
			x = float64(t.UnixMicro())
		default:
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s.start_from is empty", where)
		}
		start = &x
	}
	res := make([]scored, 0, len(cands))
	for _, p := range cands {
		var best *orderValue
		for _, v := range flatten(lookup(p.payload, path)) {
			ov, ok := toOrderValue(v)
			if !ok {
				continue
			}
			if start != nil && ((desc && ov.f > *start) || (!desc && ov.f < *start)) {
				continue
			}
			if best == nil || (desc && ov.f > best.f) || (!desc && ov.f < best.f) {
				b := ov
				best = &b
			}
		}
		if best != nil {
			res = append(res, scored{p: p, order: best.wire(), score: 0})
		}
	}
	val := func(r scored) float64 {
		switch v := r.order.GetVariant().(type) {
		case *qdrant.OrderValue_Int:
			return float64(v.Int)
		case *qdrant.OrderValue_Float:
			return v.Float
		}
		return 0
	}
	sort.SliceStable(res, func(i, j int) bool {
		a, b := val(res[i]), val(res[j])
		if a != b {
			if desc {
				return a > b
			}
			return a < b
		}
		return res[i].p.key.less(res[j].p.key)
	})
	return res, nil
}

func flatten(vals []*qdrant.Value) []*qdrant.Value {
	var out []*qdrant.Value
	for _, v := range vals {
		if l, ok := v.GetKind().(*qdrant.Value_ListValue); ok {
			out = append(out, l.ListValue.GetValues()...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

func toOrderValue(v *qdrant.Value) (orderValue, bool) {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_IntegerValue:
		return orderValue{f: float64(k.IntegerValue), isInt: true, i: k.IntegerValue}, true
	case *qdrant.Value_DoubleValue:
		return orderValue{f: k.DoubleValue}, true
	case *qdrant.Value_StringValue:
		t, err := parseDatetime(k.StringValue)
		if err != nil {
			return orderValue{}, false
		}
		us := t.UnixMicro()
		return orderValue{f: float64(us), isInt: true, i: us}, true
	}
	return orderValue{}, false
}

// Query runs a universal query: prefetches, fusion, nearest, order_by.
func (ps *pointsService) Query(_ context.Context, req *qdrant.QueryPoints) (*qdrant.QueryResponse, error) {
	start := time.Now()
	var out []*qdrant.ScoredPoint
	err := ps.s.read(req.GetCollectionName(), func(c *collection) error {
		var err error
		out, err = c.query(req, "query")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.QueryResponse{Result: out, Time: elapsed(start)}, nil
}

// QueryBatch runs several queries against one collection in one call.
func (ps *pointsService) QueryBatch(_ context.Context, req *qdrant.QueryBatchPoints) (*qdrant.QueryBatchResponse, error) {
	start := time.Now()
	out := &qdrant.QueryBatchResponse{}
	err := ps.s.read(req.GetCollectionName(), func(c *collection) error {
		for i, q := range req.GetQueryPoints() {
			if q.GetCollectionName() != "" && q.GetCollectionName() != req.GetCollectionName() {
				return status.Errorf(codes.InvalidArgument, "Wrong input: query_points[%d] names collection %q inside a batch for %q", i, q.GetCollectionName(), req.GetCollectionName())
			}
			res, err := c.query(q, fmt.Sprintf("query_points[%d]", i))
			if err != nil {
				return err
			}
			out.Result = append(out.Result, &qdrant.BatchResult{Result: res})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Time = elapsed(start)
	return out, nil
}

func (c *collection) query(req *qdrant.QueryPoints, where string) ([]*qdrant.ScoredPoint, error) {
	if req.LookupFrom != nil {
		return nil, unimplemented(where, "lookup_from")
	}
	if err := c.checkVectorSelector(req.WithVectors, where+".with_vectors"); err != nil {
		return nil, err
	}
	limit, offset := 10, 0
	if req.Limit != nil {
		limit = clampInt(req.GetLimit())
	}
	if req.Offset != nil {
		offset = clampInt(req.GetOffset())
	}
	res, err := c.run(stage{
		prefetch:  req.GetPrefetch(),
		query:     req.Query,
		using:     req.GetUsing(),
		filter:    req.Filter,
		threshold: req.ScoreThreshold,
		limit:     limit + offset,
		where:     where,
	}, nil, &request{m: c.matcher()})
	if err != nil {
		return nil, err
	}
	if offset >= len(res) {
		res = nil
	} else {
		res = res[offset:]
	}
	out := make([]*qdrant.ScoredPoint, 0, len(res))
	for _, r := range res {
		out = append(out, c.scoredPoint(r, req.GetWithPayload(), req.WithVectors))
	}
	return out, nil
}

// Search runs the legacy nearest-neighbour search (dense, or sparse when
// sparse_indices is set).
func (ps *pointsService) Search(_ context.Context, req *qdrant.SearchPoints) (*qdrant.SearchResponse, error) {
	start := time.Now()
	var out []*qdrant.ScoredPoint
	var vi *qdrant.VectorInput
	if req.SparseIndices != nil {
		vi = qdrant.NewVectorInputSparse(req.GetSparseIndices().GetData(), req.GetVector())
	} else {
		vi = qdrant.NewVectorInputDense(req.GetVector())
	}
	q := &qdrant.QueryPoints{
		CollectionName: req.GetCollectionName(),
		Query:          qdrant.NewQueryNearest(vi),
		Using:          req.VectorName,
		Filter:         req.Filter,
		ScoreThreshold: req.ScoreThreshold,
		Limit:          &req.Limit,
		Offset:         req.Offset,
		WithPayload:    req.WithPayload,
		WithVectors:    req.WithVectors,
	}
	err := ps.s.read(req.GetCollectionName(), func(c *collection) error {
		var err error
		out, err = c.query(q, "search")
		return err
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.SearchResponse{Result: out, Time: elapsed(start)}, nil
}
