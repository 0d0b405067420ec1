package qdranttest_test

import (
	"context"
	"fmt"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// setup starts a server, connects a real client and stores three points
// with a dense and a sparse vector.
func setup() (*qdranttest.Server, *qdrant.Client) {
	srv, err := qdranttest.New()
	if err != nil {
		panic(err)
	}
	c, err := qdrant.NewClient(srv.Config())
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	err = c.CreateCollection(ctx, &qdrant.CreateCollection{
		CollectionName: "memory",
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			"dense": {Size: 2, Distance: qdrant.Distance_Cosine}}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"bm25": {Modifier: qdrant.Modifier_Idf.Enum()}}),
	})
	if err != nil {
		panic(err)
	}
	point := func(id uint64, x, y float32, term uint32, text string) *qdrant.PointStruct {
		return &qdrant.PointStruct{
			Id: qdrant.NewIDNum(id),
			Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
				"dense": qdrant.NewVector(x, y),
				"bm25":  qdrant.NewVectorSparse([]uint32{term}, []float32{1}),
			}),
			Payload: qdrant.NewValueMap(map[string]any{"bank": "alice", "text": text}),
		}
	}
	_, err = c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "memory", Points: []*qdrant.PointStruct{
		point(1, 1, 0, 10, "likes tea"),
		point(2, 0.8, 0.6, 20, "drinks coffee daily"),
		point(3, 0, 1, 20, "coffee beans"),
	}})
	if err != nil {
		panic(err)
	}
	return srv, c
}

// A hybrid recall in one round trip: dense and sparse prefetches fused
// server-side with RRF (K = 61), under a payload filter.
func Example() {
	srv, c := setup()
	defer srv.Close()
	defer c.Close()

	bank := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("bank", "alice")}}
	res, err := c.Query(context.Background(), &qdrant.QueryPoints{
		CollectionName: "memory",
		Prefetch: []*qdrant.PrefetchQuery{
			{Query: qdrant.NewQueryDense([]float32{1, 0}), Using: qdrant.PtrOf("dense"), Filter: bank, Limit: qdrant.PtrOf(uint64(10))},
			{Query: qdrant.NewQuerySparse([]uint32{20}, []float32{1}), Using: qdrant.PtrOf("bm25"), Filter: bank, Limit: qdrant.PtrOf(uint64(10))},
		},
		Query:       qdrant.NewQueryRRF(&qdrant.Rrf{K: qdrant.PtrOf(uint32(61))}),
		WithPayload: qdrant.NewWithPayloadInclude("text"),
	})
	if err != nil {
		panic(err)
	}
	// dense ranks 1, 2, 3; sparse ranks 2, 3 (a tie, broken by id):
	// 2 scores 1/62 + 1/61, 3 scores 1/63 + 1/62, 1 scores 1/61.
	for _, p := range res {
		fmt.Printf("%d %.5f %s\n", p.GetId().GetNum(), p.GetScore(), p.GetPayload()["text"].GetStringValue())
	}
	fmt.Println("round trips:", srv.Calls(qdrant.Points_Query_FullMethodName))
	// Output:
	// 2 0.03252 drinks coffee daily
	// 3 0.03200 coffee beans
	// 1 0.01639 likes tea
	// round trips: 1
}

// FailNext makes the next calls of one method fail, to test retries.
func ExampleServer_FailNext() {
	srv, c := setup()
	defer srv.Close()
	defer c.Close()

	if err := srv.FailNext(qdrant.Points_Count_FullMethodName, 2, codes.Unavailable); err != nil {
		panic(err)
	}
	for attempt := 1; ; attempt++ {
		n, err := c.Count(context.Background(), &qdrant.CountPoints{CollectionName: "memory"})
		if err != nil {
			fmt.Println("attempt", attempt, status.Code(unwrapStatus(err)))
			continue
		}
		fmt.Println("attempt", attempt, "count", n)
		break
	}
	// Output:
	// attempt 1 Unavailable
	// attempt 2 Unavailable
	// attempt 3 count 3
}

// StopAfterPoints simulates a server that dies in the middle of a batch.
func ExampleServer_StopAfterPoints() {
	srv, c := setup()
	defer srv.Close()
	defer c.Close()
	ctx := context.Background()

	srv.StopAfterPoints(1)
	_, err := c.Upsert(ctx, &qdrant.UpsertPoints{CollectionName: "memory", Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(7), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(1, 1)})},
		{Id: qdrant.NewIDNum(8), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(1, 1)})},
	}})
	fmt.Println("upsert:", status.Code(unwrapStatus(err)))
	_, err = c.Count(ctx, &qdrant.CountPoints{CollectionName: "memory"})
	fmt.Println("while down:", status.Code(unwrapStatus(err)))
	srv.Resume()
	n, _ := c.Count(ctx, &qdrant.CountPoints{CollectionName: "memory"})
	fmt.Println("points after restart:", n)
	// Output:
	// upsert: Unavailable
	// while down: Unavailable
	// points after restart: 4
}

// unwrapStatus finds the gRPC status error inside a go-client error.
func unwrapStatus(err error) error {
	for e := err; e != nil; {
		if _, ok := status.FromError(e); ok {
			return e
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	return err
}

// WithAPIKey makes the server check the "api-key" metadata like a secured
// Qdrant does.
func ExampleWithAPIKey() {
	srv, err := qdranttest.New(qdranttest.WithAPIKey("example-key"))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	for _, key := range []string{"", "example-key"} {
		cfg := srv.Config()
		cfg.APIKey = key
		c, err := qdrant.NewClient(cfg)
		if err != nil {
			panic(err)
		}
		_, err = c.ListCollections(context.Background())
		fmt.Printf("key %q: %v\n", key, status.Code(unwrapStatus(err)))
		_ = c.Close()
	}
	// Output:
	// key "": Unauthenticated
	// key "example-key": OK
}

// RecordRequests keeps the exact messages a client sent, for golden tests.
func ExampleServer_RecordRequests() {
	srv, c := setup()
	defer srv.Close()
	defer c.Close()

	srv.RecordRequests(true)
	_, err := c.Count(context.Background(), &qdrant.CountPoints{CollectionName: "memory",
		Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("bank", "alice")}}})
	if err != nil {
		panic(err)
	}
	req := srv.Requests(qdrant.Points_Count_FullMethodName)[0].(*qdrant.CountPoints)
	fmt.Println(req.GetCollectionName(), req.GetFilter().GetMust()[0].GetField().GetKey())
	// Output:
	// memory bank
}
