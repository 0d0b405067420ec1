package qdrant_test

import (
	"context"
	"fmt"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/qdrant"
)

// The memory engine on Qdrant: the store is chosen with one Open call and
// handed to memory.New exactly as the embedded store would be. Here the
// server is the in-process test server; point Host and Port at a real
// Qdrant (gRPC port 6334) in production.
func Example() {
	srv, err := qdranttest.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()

	store, err := qdrant.Open(ctx, qdrant.Config{Host: srv.Host(), Port: srv.Port(), Dimension: 256, SkipCompatibilityCheck: true})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	engine, err := memory.New(memory.Config{Store: store, Embedder: memory.OfflineEmbedder{Dim: 256}})
	if err != nil {
		panic(err)
	}
	for _, fact := range []string{
		"Mina adopted a cat named Bori.",
		"Jun is learning the piano.",
		"민수는 부산으로 이사했다.",
	} {
		if _, err := engine.Retain(ctx, "user-1", fact, memory.RetainOptions{}); err != nil {
			panic(err)
		}
	}
	before := store.RoundTrips()
	res, err := engine.Recall(ctx, "user-1", "부산 이사", memory.RecallOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("top:", res.Hits[0].Memory.Text)
	fmt.Println("round trips:", store.RoundTrips()-before)
	// Output:
	// top: 민수는 부산으로 이사했다.
	// round trips: 2
}

// A fused search sends every arm as a prefetch of one Query call; Qdrant
// fuses them with RRF (K = 61).
func ExampleStore_Search() {
	srv, err := qdranttest.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()
	store, err := qdrant.Open(ctx, qdrant.Config{Host: srv.Host(), Port: srv.Port(), Dimension: 2, SkipCompatibilityCheck: true})
	if err != nil {
		panic(err)
	}
	defer store.Close()
	mk := func(text string, x, y float32) memory.Memory {
		return memory.Memory{ID: memory.MemoryID("b", text), Bank: "b", Kind: memory.KindWorld, Text: text,
			Vector: []float32{x, y}, Sparse: memory.DefaultBM25.Document(text)}
	}
	err = store.Upsert(ctx, []memory.Memory{
		mk("Tea in the morning.", 1, 0),
		mk("Coffee every day.", 0.8, 0.6),
		mk("Coffee beans from Jeju.", 0, 1),
	})
	if err != nil {
		panic(err)
	}
	srv.ResetCalls()
	res, err := store.Search(ctx, memory.SearchRequest{Bank: "b", Limit: 3, Fused: true,
		Dense: []float32{1, 0}, MinSimilarity: -1, Sparse: memory.DefaultBM25.Query("coffee")})
	if err != nil {
		panic(err)
	}
	// Both coffee memories are found by both arms, so they pass the
	// closest but coffee-less one.
	for _, c := range res.Candidates {
		fmt.Println(c.Memory.Text)
	}
	fmt.Println("calls:", srv.TotalCalls())
	// Output:
	// Coffee every day.
	// Coffee beans from Jeju.
	// Tea in the morning.
	// calls: 1
}

// Migrate copies a bank from the embedded store into Qdrant.
func ExampleMigrate() {
	srv, err := qdranttest.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	ctx := context.Background()

	local := memory.NewEmbeddedStore()
	defer local.Close()
	engine, _ := memory.New(memory.Config{Store: local, Embedder: memory.OfflineEmbedder{Dim: 64}})
	_ = engine.PutBank(ctx, memory.Bank{ID: "mina", Background: "A designer in Seoul."})
	_, _ = engine.Retain(ctx, "mina", "Mina moved to Busan. She adopted a cat named Bori.", memory.RetainOptions{})

	remote, err := qdrant.Open(ctx, qdrant.Config{Host: srv.Host(), Port: srv.Port(), Dimension: 64, SkipCompatibilityCheck: true})
	if err != nil {
		panic(err)
	}
	defer remote.Close()
	res, err := qdrant.Migrate(ctx, local, remote, "mina")
	if err != nil {
		panic(err)
	}
	n, _ := remote.Count(ctx, "mina", memory.Filter{})
	b, _ := remote.Bank(ctx, "mina")
	fmt.Println("copied:", res.Memories, "memories, profile:", res.Profile)
	fmt.Println("in qdrant:", n, "-", b.Background)
	// Output:
	// copied: 2 memories, profile: true
	// in qdrant: 2 - A designer in Seoul.
}
