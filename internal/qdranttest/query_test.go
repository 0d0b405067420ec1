package qdranttest

import (
	"math/rand"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

func TestDenseScores(t *testing.T) {
	c, coll := behaviour(t)
	vecs := map[uint64][]float32{1: {1, 0}, 2: {0, 1}, 3: {1, 1}, 4: {3, 4}}
	q := []float32{1, 2}
	type row struct {
		id    uint64
		score float64
	}
	cases := []struct {
		dist qdrant.Distance
		want []row
	}{
		// cos = q.v / (|q| |v|), |q| = sqrt 5
		{qdrant.Distance_Cosine, []row{{4, 11 / (5 * 2.2360680)}, {3, 3 / 3.1622777}, {2, 2 / 2.2360680}, {1, 1 / 2.2360680}}},
		{qdrant.Distance_Dot, []row{{4, 11}, {3, 3}, {2, 2}, {1, 1}}},
		// distances, smaller first
		{qdrant.Distance_Euclid, []row{{3, 1}, {2, 1.4142136}, {1, 2}, {4, 2.8284271}}},
		// ties (1 and 2 at distance 2) go to the smaller id
		{qdrant.Distance_Manhattan, []row{{3, 1}, {1, 2}, {2, 2}, {4, 4}}},
	}
	for _, tc := range cases {
		t.Run(tc.dist.String(), func(t *testing.T) {
			name := coll("c" + tc.dist.String())
			must(t, c.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: name,
				VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 2, Distance: tc.dist})}))
			var pts []*qdrant.PointStruct
			for id, v := range vecs {
				pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectors(v...)})
			}
			_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: name, Wait: qdrant.PtrOf(true), Points: pts})
			must(t, err)
			res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: name, Query: qdrant.NewQueryDense(q)})
			must(t, err)
			if len(res) != len(tc.want) {
				t.Fatalf("got %d results: %v", len(res), ids(res))
			}
			for i, w := range tc.want {
				if res[i].GetId().GetNum() != w.id {
					t.Fatalf("rank %d: id %d, want %d (all: %v)", i, res[i].GetId().GetNum(), w.id, ids(res))
				}
				near(t, "score", res[i].GetScore(), w.score)
			}
			// The legacy Search agrees with Query.
			old, err := c.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: name, Vector: q, Limit: 10})
			must(t, err)
			eqIDs(t, "search", ids(old.GetResult()), ids(res))
		})
	}

	// score_threshold is a minimum for similarities and a maximum for distances.
	res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: coll("cCosine"), Query: qdrant.NewQueryDense(q), ScoreThreshold: qdrant.PtrOf(float32(0.9))})
	must(t, err)
	eqIDs(t, "cosine threshold", ids(res), []uint64{4, 3})
	res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: coll("cEuclid"), Query: qdrant.NewQueryDense(q), ScoreThreshold: qdrant.PtrOf(float32(1.5))})
	must(t, err)
	eqIDs(t, "euclid threshold", ids(res), []uint64{3, 2})
	res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: coll("cCosine"), Query: qdrant.NewQueryDense(q), Limit: qdrant.PtrOf(uint64(2)), Offset: qdrant.PtrOf(uint64(1))})
	must(t, err)
	eqIDs(t, "limit+offset", ids(res), []uint64{3, 2})

	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: coll("cCosine"), Query: qdrant.NewQueryDense([]float32{1, 2, 3})})
	wantCode(t, err, codes.InvalidArgument, "expected dim: 2, got 3")
	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: coll("cCosine"), Query: qdrant.NewQueryDense(q), Using: qdrant.PtrOf("nope")})
	wantCode(t, err, codes.InvalidArgument, `Not existing vector name error: "nope"`)
}

func TestSparseIDFScores(t *testing.T) {
	c, coll := behaviour(t)
	sc := coll("s")
	must(t, c.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: sc,
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"idf":   {Modifier: qdrant.Modifier_Idf.Enum()},
			"plain": {},
		})}))
	sp := func(idx []uint32, val []float32) *qdrant.Vectors {
		return qdrant.NewVectorsMap(map[string]*qdrant.Vector{"idf": qdrant.NewVectorSparse(idx, val), "plain": qdrant.NewVectorSparse(idx, val)})
	}
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: sc, Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Vectors: sp([]uint32{1, 2}, []float32{1, 1})},
		{Id: qdrant.NewIDNum(2), Vectors: sp([]uint32{3, 2}, []float32{1, 2})},
		{Id: qdrant.NewIDNum(3), Vectors: sp([]uint32{3}, []float32{1})},
		{Id: qdrant.NewIDNum(4), Vectors: sp([]uint32{4}, []float32{1})},
	}})
	must(t, err)
	query := func(using string) []*qdrant.ScoredPoint {
		t.Helper()
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: sc, Using: qdrant.PtrOf(using),
			Query: qdrant.NewQuerySparse([]uint32{2, 1}, []float32{1, 0.5})})
		must(t, err)
		return res
	}
	// N = 4 points; index 1 is in 1 point, index 2 in 2 points.
	// idf(1) = ln((4-1+0.5)/(1+0.5)+1) = ln(3.3333333) = 1.2039728
	// idf(2) = ln((4-2+0.5)/(2+0.5)+1) = ln 2         = 0.6931472
	res := query("idf")
	eqIDs(t, "idf", ids(res), []uint64{2, 1}) // points 3 and 4 share no index
	near(t, "p2", res[0].GetScore(), 2*0.6931472)
	near(t, "p1", res[1].GetScore(), 0.5*1.2039728+0.6931472)
	res = query("plain")
	eqIDs(t, "plain", ids(res), []uint64{2, 1})
	near(t, "plain p2", res[0].GetScore(), 2)
	near(t, "plain p1", res[1].GetScore(), 1.5)

	// Deleting a point changes the statistics: N = 3,
	// idf(1) = ln(2.5/1.5+1) = 0.9808293, idf(2) = ln(1.5/2.5+1) = 0.4700036,
	// and the order flips.
	_, err = c.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: sc, Wait: qdrant.PtrOf(true), Points: qdrant.NewPointsSelector(qdrant.NewIDNum(4))})
	must(t, err)
	res = query("idf")
	eqIDs(t, "idf after delete", ids(res), []uint64{1, 2})
	near(t, "p1", res[0].GetScore(), 0.5*0.9808293+0.4700036)
	near(t, "p2", res[1].GetScore(), 2*0.4700036)

	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: sc, Using: qdrant.PtrOf("idf"), Query: qdrant.NewQueryDense([]float32{1})})
	wantCode(t, err, codes.InvalidArgument, `vector "idf" is sparse but the query is dense`)
}

// fusionFixture: dot-product dense scores against (1,0,0,0) are 5,4,3,2,1
// for points 1..5; the sparse query {7: 1} ranks points 3, 1, 5.
func fusionFixture(t *testing.T) (*qdrant.Client, string) {
	t.Helper()
	c, coll := behaviour(t)
	h := coll("h")
	hybrid(t, c, h, qdrant.Distance_Dot)
	dense := [][]float32{{5, 0, 0, 1}, {4, 0, 0, 2}, {3, 1, 0, 0}, {2, 0, 1, 0}, {1, 0, 0, 0}}
	sparse := map[int]float32{1: 2, 3: 3, 5: 1}
	var pts []*qdrant.PointStruct
	for i, d := range dense {
		id := i + 1
		vs := map[string]*qdrant.Vector{"dense": qdrant.NewVector(d...)}
		if v, ok := sparse[id]; ok {
			vs["bm25"] = qdrant.NewVectorSparse([]uint32{7, uint32(100 + id)}, []float32{v, 1})
		}
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(id)), Vectors: qdrant.NewVectorsMap(vs),
			Payload: qdrant.NewValueMap(map[string]any{"n": int64(id), "name": "p" + string(rune('0'+id))})})
	}
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: h, Wait: qdrant.PtrOf(true), Points: pts})
	must(t, err)
	return c, h
}

func densePF(limit uint64, f *qdrant.Filter) *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{Query: qdrant.NewQueryDense([]float32{1, 0, 0, 0}), Using: qdrant.PtrOf("dense"), Limit: &limit, Filter: f}
}

func sparsePF(limit uint64, f *qdrant.Filter) *qdrant.PrefetchQuery {
	return &qdrant.PrefetchQuery{Query: qdrant.NewQuerySparse([]uint32{7}, []float32{1}), Using: qdrant.PtrOf("bm25"), Limit: &limit, Filter: f}
}

func TestPrefetchRRF(t *testing.T) {
	c, h := fusionFixture(t)
	type row struct {
		id    uint64
		score float64
	}
	check := func(t *testing.T, res []*qdrant.ScoredPoint, want []row) {
		t.Helper()
		if len(res) != len(want) {
			t.Fatalf("got %v, want %d results", ids(res), len(want))
		}
		for i, w := range want {
			if res[i].GetId().GetNum() != w.id {
				t.Fatalf("rank %d: id %d, want %d (all %v)", i, res[i].GetId().GetNum(), w.id, ids(res))
			}
			near(t, "score", res[i].GetScore(), w.score)
		}
	}
	// dense prefetch (limit 4): 1,2,3,4; sparse prefetch: 3,1,5.
	pf := []*qdrant.PrefetchQuery{densePF(4, nil), sparsePF(10, nil)}

	t.Run("K=61", func(t *testing.T) {
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf,
			Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))}), WithPayload: qdrant.NewWithPayload(true)})
		must(t, err)
		check(t, res, []row{
			{1, 1.0/61 + 1.0/62},
			{3, 1.0/63 + 1.0/61},
			{2, 1.0 / 62},
			{5, 1.0 / 63},
			{4, 1.0 / 64},
		})
		if res[0].GetPayload()["name"].GetStringValue() != "p1" {
			t.Fatalf("payload not returned: %v", res[0].GetPayload())
		}
	})
	t.Run("default K=2", func(t *testing.T) {
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
		must(t, err)
		check(t, res, []row{{1, 1.0/2 + 1.0/3}, {3, 1.0/4 + 1.0/2}, {2, 1.0 / 3}, {5, 1.0 / 4}, {4, 1.0 / 5}})
		if res[0].GetPayload() != nil {
			t.Fatal("payload returned without with_payload")
		}
	})
	t.Run("weights", func(t *testing.T) {
		// weight w: 1 / ((pos+1)/w + K - 1)
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf,
			Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61)), Weights: []float32{3, 1}})})
		must(t, err)
		check(t, res, []row{
			{3, 1/(3.0/3+60) + 1.0/61},
			{1, 1/(1.0/3+60) + 1.0/62},
			{2, 1 / (2.0/3 + 60)},
			{4, 1 / (4.0/3 + 60)},
			{5, 1.0 / 63},
		})
		_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf, Query: qdrant.NewQueryRRF(&qdrant.Rrf{Weights: []float32{1}})})
		wantCode(t, err, codes.InvalidArgument, "got 1, expected 2")
		inProcessOnly(t, "k = 0 is refused here")
		_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf, Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(0))})})
		wantCode(t, err, codes.InvalidArgument, "rrf.k must be greater than 0")
	})
	t.Run("limit and threshold", func(t *testing.T) {
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf,
			Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))}), Limit: qdrant.PtrOf(uint64(3))})
		must(t, err)
		eqIDs(t, "limit 3", ids(res), []uint64{1, 3, 2})
		res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf,
			Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))}), ScoreThreshold: qdrant.PtrOf(float32(0.02))})
		must(t, err)
		eqIDs(t, "threshold", ids(res), []uint64{1, 3})
	})
	t.Run("root filter reaches prefetches", func(t *testing.T) {
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf,
			Query:  qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))}),
			Filter: &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewIDNum(1))}}})
		must(t, err)
		// dense: 2,3,4,5; sparse: 3,5
		check(t, res, []row{{3, 1.0/62 + 1.0/61}, {5, 1.0/64 + 1.0/62}, {2, 1.0 / 61}, {4, 1.0 / 63}})
	})
	t.Run("prefetch filter and threshold", func(t *testing.T) {
		p := densePF(10, &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("n", &qdrant.Range{Lte: qdrant.PtrOf(3.0)})}})
		p.ScoreThreshold = qdrant.PtrOf(float32(3.5))
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: []*qdrant.PrefetchQuery{p, sparsePF(1, nil)},
			Query: qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))})})
		must(t, err)
		// dense: 1,2 (3 scores 3 < 3.5); sparse limit 1: 3
		check(t, res, []row{{1, 1.0 / 61}, {3, 1.0 / 61}, {2, 1.0 / 62}})
	})
	t.Run("nested prefetch and rescoring", func(t *testing.T) {
		inner := &qdrant.PrefetchQuery{Prefetch: []*qdrant.PrefetchQuery{sparsePF(10, nil)},
			Query: qdrant.NewQueryDense([]float32{1, 0, 0, 0}), Using: qdrant.PtrOf("dense"), Limit: qdrant.PtrOf(uint64(2))}
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h,
			Prefetch: []*qdrant.PrefetchQuery{inner, densePF(1, nil)}, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
		must(t, err)
		// inner: sparse 3,1,5 rescored by dense -> 1 (5), 3 (3); other: 1
		check(t, res, []row{{1, 1.0/2 + 1.0/2}, {3, 1.0 / 3}})

		res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: []*qdrant.PrefetchQuery{sparsePF(10, nil)},
			Query: qdrant.NewQueryDense([]float32{1, 0, 0, 0}), Using: qdrant.PtrOf("dense")})
		must(t, err)
		check(t, res, []row{{1, 5}, {3, 3}, {5, 1}})
	})
	t.Run("DBSF", func(t *testing.T) {
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Prefetch: pf, Query: qdrant.NewQueryFusion(qdrant.Fusion_DBSF)})
		must(t, err)
		// dense 5,4,3,2: mean 3.5, sample sd 1.2909944, range [-0.3729833, 7.3729833]
		// sparse idf*(3,2,1): normalised to 4/6, 3/6, 2/6 whatever the idf
		check(t, res, []row{
			{1, 5.3729833/7.7459667 + 0.5},
			{3, 3.3729833/7.7459667 + 4.0/6},
			{2, 4.3729833 / 7.7459667},
			{5, 2.0 / 6},
			{4, 2.3729833 / 7.7459667},
		})
	})
	t.Run("fusion needs prefetch", func(t *testing.T) {
		inProcessOnly(t, "a real server may answer a fusion without prefetch differently")
		_, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQueryFusion(qdrant.Fusion_RRF)})
		wantCode(t, err, codes.InvalidArgument, "needs at least one prefetch")
	})
}

func TestQueryByIDOrderByAndBatch(t *testing.T) {
	inProcessOnly(t, "order_by without a payload index and self-exclusion of a query by id are not checked against a real server")
	c, h := fusionFixture(t)
	// by id: point 2 is (4,0,0,2); dot products 22, 12, 8, 4; itself excluded.
	res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQueryID(qdrant.NewIDNum(2)), Using: qdrant.PtrOf("dense")})
	must(t, err)
	eqIDs(t, "by id", ids(res), []uint64{1, 3, 4, 5})
	near(t, "by id score", res[0].GetScore(), 22)
	_, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQueryID(qdrant.NewIDNum(99)), Using: qdrant.PtrOf("dense")})
	wantCode(t, err, codes.NotFound, "99")

	res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "n", Direction: qdrant.Direction_Desc.Enum()}),
		Limit: qdrant.PtrOf(uint64(3))})
	must(t, err)
	eqIDs(t, "order by desc", ids(res), []uint64{5, 4, 3})
	if res[0].GetOrderValue().GetInt() != 5 {
		t.Fatalf("order value %v", res[0].GetOrderValue())
	}
	res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "n",
		StartFrom: qdrant.NewStartFromInt(2)})})
	must(t, err)
	eqIDs(t, "order by asc from 2", ids(res), []uint64{2, 3, 4, 5})

	// No query: points in id order.
	res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Filter: all(qdrant.NewRange("n", &qdrant.Range{Gt: qdrant.PtrOf(2.0)})),
		WithVectors: qdrant.NewWithVectorsInclude("dense")})
	must(t, err)
	eqIDs(t, "no query", ids(res), []uint64{3, 4, 5})
	if d := res[0].GetVectors().GetVectors().GetVectors()["dense"].GetDenseVector().GetData(); len(d) != 4 || d[0] != 3 {
		t.Fatalf("with_vectors include: %v", res[0].GetVectors())
	}

	batch, err := c.QueryBatch(ctx(t), &qdrant.QueryBatchPoints{CollectionName: h, QueryPoints: []*qdrant.QueryPoints{
		{CollectionName: h, Query: qdrant.NewQueryDense([]float32{1, 0, 0, 0}), Using: qdrant.PtrOf("dense"), Limit: qdrant.PtrOf(uint64(2))},
		{CollectionName: h, Query: qdrant.NewQuerySparse([]uint32{7}, []float32{1}), Using: qdrant.PtrOf("bm25")},
	}})
	must(t, err)
	if len(batch) != 2 {
		t.Fatalf("batch results %d", len(batch))
	}
	eqIDs(t, "batch 0", ids(batch[0].GetResult()), []uint64{1, 2})
	eqIDs(t, "batch 1", ids(batch[1].GetResult()), []uint64{3, 1, 5})
}

func TestUnsupportedQueriesAreUnimplemented(t *testing.T) {
	inProcessOnly(t, "a real server implements these")
	c, h := fusionFixture(t)
	cases := []struct {
		name string
		req  *qdrant.QueryPoints
		msg  string
	}{
		{"formula", &qdrant.QueryPoints{CollectionName: h, Prefetch: []*qdrant.PrefetchQuery{densePF(3, nil)},
			Query: qdrant.NewQueryFormula(&qdrant.Formula{Expression: qdrant.NewExpressionConstant(1)})}, "formula"},
		{"mmr", &qdrant.QueryPoints{CollectionName: h, Using: qdrant.PtrOf("dense"),
			Query: qdrant.NewQueryMMR(qdrant.NewVectorInput(1, 0, 0, 0), &qdrant.Mmr{})}, "MMR"},
		{"recommend", &qdrant.QueryPoints{CollectionName: h, Using: qdrant.PtrOf("dense"),
			Query: qdrant.NewQueryRecommend(&qdrant.RecommendInput{Positive: []*qdrant.VectorInput{qdrant.NewVectorInputID(qdrant.NewIDNum(1))}})}, "recommend"},
		{"sample", &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQuerySample(qdrant.Sample_Random)}, "sample"},
		{"prefetch without query", &qdrant.QueryPoints{CollectionName: h, Prefetch: []*qdrant.PrefetchQuery{densePF(3, nil)}}, "without `query`"},
		{"lookup_from", &qdrant.QueryPoints{CollectionName: h, LookupFrom: &qdrant.LookupLocation{CollectionName: "x"}}, "lookup_from"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Query(ctx(t), tc.req)
			wantCode(t, err, codes.Unimplemented, tc.msg)
		})
	}
	_, err := c.GetPointsClient().Recommend(ctx(t), &qdrant.RecommendPoints{CollectionName: h})
	wantCode(t, err, codes.Unimplemented, "Recommend")
}

// top must agree with a full sort for every limit, ties included.
func TestTopMatchesFullSort(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for _, larger := range []bool{true, false} {
		var res []scored
		for i := 0; i < 200; i++ {
			res = append(res, scored{p: &point{key: pointKey{num: uint64(rng.Intn(1000))}}, score: float32(rng.Intn(20))})
		}
		full := append([]scored(nil), res...)
		sortScored(full, larger)
		for _, limit := range []int{0, 1, 5, 49, 50, 51, 199, 200, 500} {
			got := top(append([]scored(nil), res...), limit, larger)
			want := cut(append([]scored(nil), full...), limit)
			if len(got) != len(want) {
				t.Fatalf("limit %d: %d results, want %d", limit, len(got), len(want))
			}
			for i := range got {
				if got[i].p.key != want[i].p.key || got[i].score != want[i].score {
					t.Fatalf("limit %d larger %v rank %d: %v/%v, want %v/%v", limit, larger, i, got[i].p.key, got[i].score, want[i].p.key, want[i].score)
				}
			}
		}
	}
}

func TestOrderByDatetimeAndScroll(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "o", qdrant.Distance_Cosine)
	when := map[uint64]string{1: "2024-03-01T00:00:00Z", 2: "2024-01-01T00:00:00+09:00", 3: "2023-12-31T15:00:00Z", 4: "2025-01-01", 5: "not a date"}
	var pts []*qdrant.PointStruct
	for id, w := range when {
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Payload: qdrant.NewValueMap(map[string]any{"at": w, "rank": []any{int64(id), int64(10 * id)}})})
	}
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "o", Points: pts})
	must(t, err)

	// 2 and 3 are the same instant; the tie goes to the smaller id. 5 has no
	// usable value and is left out.
	res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "o", Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "at"})})
	must(t, err)
	eqIDs(t, "datetime asc", ids(res), []uint64{2, 3, 1, 4})
	want := time.Date(2023, 12, 31, 15, 0, 0, 0, time.UTC).UnixMicro()
	if got := res[0].GetOrderValue().GetInt(); got != want {
		t.Fatalf("order value %d, want %d (Unix microseconds)", got, want)
	}
	res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "o", Query: qdrant.NewQueryOrderBy(&qdrant.OrderBy{Key: "at",
		Direction: qdrant.Direction_Desc.Enum(), StartFrom: qdrant.NewStartFromDatetime("2024-06-01T00:00:00Z")})})
	must(t, err)
	eqIDs(t, "datetime desc from June", ids(res), []uint64{1, 2, 3})

	// Scroll with order_by over a multi-valued field: ascending uses the
	// smallest value, descending the largest.
	got, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "o", OrderBy: &qdrant.OrderBy{Key: "rank", Direction: qdrant.Direction_Desc.Enum()}, Limit: qdrant.PtrOf(uint32(2))})
	must(t, err)
	eqIDs(t, "scroll desc", rids(got), []uint64{5, 4})
	if got[0].GetOrderValue().GetInt() != 50 {
		t.Fatalf("order value %v", got[0].GetOrderValue())
	}
	got, err = c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "o", OrderBy: &qdrant.OrderBy{Key: "rank", StartFrom: qdrant.NewStartFromFloat(2.5)}})
	must(t, err)
	eqIDs(t, "scroll asc from 2.5", rids(got), []uint64{3, 4, 5, 1, 2})
	_, err = c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "o", OrderBy: &qdrant.OrderBy{Key: "rank"}, Offset: qdrant.NewIDNum(1)})
	wantCode(t, err, codes.InvalidArgument, "offset cannot be used together with order_by")
}

func TestSparseSearchAndBatchErrors(t *testing.T) {
	c, h := fusionFixture(t)
	res, err := c.GetPointsClient().Search(ctx(t), &qdrant.SearchPoints{CollectionName: h, VectorName: qdrant.PtrOf("bm25"),
		Vector: []float32{1}, SparseIndices: &qdrant.SparseIndices{Data: []uint32{7}}, Limit: 2, WithPayload: qdrant.NewWithPayload(true)})
	must(t, err)
	eqIDs(t, "sparse search", ids(res.GetResult()), []uint64{3, 1})
	if res.GetResult()[0].GetPayload()["name"].GetStringValue() != "p3" {
		t.Fatalf("payload %v", res.GetResult()[0].GetPayload())
	}
	inProcessOnly(t, "error texts")
	_, err = c.QueryBatch(ctx(t), &qdrant.QueryBatchPoints{CollectionName: h, QueryPoints: []*qdrant.QueryPoints{
		{CollectionName: h}, {CollectionName: h, Using: qdrant.PtrOf("dense"), Query: qdrant.NewQueryDense([]float32{1})}}})
	wantCode(t, err, codes.InvalidArgument, "query_points[1].query.nearest", "expected dim: 4, got 1")
}

func TestHugeLimitsDoNotAllocate(t *testing.T) {
	c, h := fusionFixture(t)
	for _, limit := range []uint64{1 << 62, 1<<63 + 5, ^uint64(0)} {
		res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Query: qdrant.NewQueryDense([]float32{1, 0, 0, 0}), Using: qdrant.PtrOf("dense"),
			Limit: qdrant.PtrOf(limit), Prefetch: []*qdrant.PrefetchQuery{{Limit: qdrant.PtrOf(limit)}}})
		must(t, err)
		if len(res) != 5 {
			t.Fatalf("limit %d: %d results", limit, len(res))
		}
		res, err = c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: h, Offset: qdrant.PtrOf(limit), Limit: qdrant.PtrOf(limit)})
		must(t, err)
		if len(res) != 0 {
			t.Fatalf("offset %d: %d results", limit, len(res))
		}
	}
}
