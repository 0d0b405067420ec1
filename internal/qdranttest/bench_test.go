package qdranttest

import (
	"context"
	"math/rand"
	"testing"

	"github.com/qdrant/go-client/qdrant"
)

const (
	benchPoints = 10000
	benchDim    = 64
)

// benchCollection fills a hybrid collection with benchPoints points: a
// random dense vector, eight random sparse terms out of 5000, and a bank id.
func benchCollection(b *testing.B, c *qdrant.Client) {
	b.Helper()
	ctx := context.Background()
	must(b, c.CreateCollection(ctx, &qdrant.CreateCollection{
		CollectionName: "bench",
		VectorsConfig:  qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"dense": {Size: benchDim, Distance: qdrant.Distance_Cosine}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"bm25": {Modifier: qdrant.Modifier_Idf.Enum()}}),
	}))
	rng := rand.New(rand.NewSource(1))
	var batch []*qdrant.PointStruct
	for i := 0; i < benchPoints; i++ {
		d := make([]float32, benchDim)
		for j := range d {
			d[j] = rng.Float32()*2 - 1
		}
		idx := map[uint32]bool{}
		for len(idx) < 8 {
			idx[uint32(rng.Intn(5000))] = true
		}
		var si []uint32
		var sv []float32
		for k := range idx {
			si = append(si, k)
			sv = append(sv, 1+rng.Float32())
		}
		batch = append(batch, &qdrant.PointStruct{
			Id:      qdrant.NewIDNum(uint64(i + 1)),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVectorDense(d), "bm25": qdrant.NewVectorSparse(si, sv)}),
			Payload: qdrant.NewValueMap(map[string]any{"bank": []string{"a", "b"}[i%2], "kind": "world", "n": int64(i)}),
		})
		if len(batch) == 500 {
			_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "bench", Points: batch})
			must(b, err)
			batch = nil
		}
	}
}

func benchQuery() *qdrant.QueryPoints {
	rng := rand.New(rand.NewSource(2))
	q := make([]float32, benchDim)
	for j := range q {
		q[j] = rng.Float32()*2 - 1
	}
	f := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("bank", "a"), qdrant.NewMatchKeyword("kind", "world")}}
	return &qdrant.QueryPoints{
		CollectionName: "bench",
		Prefetch: []*qdrant.PrefetchQuery{
			{Query: qdrant.NewQueryDense(q), Using: qdrant.PtrOf("dense"), Filter: f, Limit: qdrant.PtrOf(uint64(100))},
			{Query: qdrant.NewQuerySparse([]uint32{1, 17, 256, 999}, []float32{1, 1, 1, 1}), Using: qdrant.PtrOf("bm25"), Filter: f, Limit: qdrant.PtrOf(uint64(100))},
		},
		Query:       qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))}),
		Limit:       qdrant.PtrOf(uint64(20)),
		WithPayload: qdrant.NewWithPayload(true),
	}
}

// BenchmarkHybridQuery measures one hybrid query (dense + sparse prefetch,
// both filtered, fused with RRF) over 10,000 points: through a real client
// over gRPC, and by calling the service directly to show the wire's share.
func BenchmarkHybridQuery(b *testing.B) {
	srv, err := New()
	must(b, err)
	defer srv.Close()
	c, err := qdrant.NewClient(srv.Config())
	must(b, err)
	defer c.Close()
	benchCollection(b, c)
	req := benchQuery()
	ctx := context.Background()

	b.Run("grpc", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			res, err := c.Query(ctx, req)
			if err != nil || len(res) != 20 {
				b.Fatalf("query: %d results, %v", len(res), err)
			}
		}
	})
	b.Run("direct", func(b *testing.B) {
		ps := &pointsService{s: srv}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			res, err := ps.Query(ctx, req)
			if err != nil || len(res.GetResult()) != 20 {
				b.Fatalf("query: %v", err)
			}
		}
	})
}

// BenchmarkUpsert measures upserting a batch of 100 points into a
// collection of 10,000.
func BenchmarkUpsert(b *testing.B) {
	srv, err := New()
	must(b, err)
	defer srv.Close()
	c, err := qdrant.NewClient(srv.Config())
	must(b, err)
	defer c.Close()
	benchCollection(b, c)
	var batch []*qdrant.PointStruct
	d := make([]float32, benchDim)
	d[0] = 1
	for i := 0; i < 100; i++ {
		batch = append(batch, &qdrant.PointStruct{Id: qdrant.NewIDNum(uint64(i + 1)),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVectorDense(d), "bm25": qdrant.NewVectorSparse([]uint32{1, 2}, []float32{1, 1})}),
			Payload: qdrant.NewValueMap(map[string]any{"bank": "a"})})
	}
	req := &qdrant.UpsertPoints{CollectionName: "bench", Points: batch}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Upsert(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
}
