package memory_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/memory"
	"github.com/tmc/langchaingo/embeddings"
)

// A langchaingo embedder over the OpenAI wire, behind CachedEmbedder: new
// texts go out in batches, each distinct text once, and a reopened cache
// file answers without a call.
func TestCachedEmbedderOverOpenAIWire(t *testing.T) {
	ctx := context.Background()
	srv, llm := newFakeOpenAI(t)
	inner, err := embeddings.NewEmbedder(llm)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "emb.jsonl")
	cache, err := memory.OpenEmbeddingCache(path)
	if err != nil {
		t.Fatal(err)
	}
	emb := &memory.CachedEmbedder{Embedder: inner, Model: "openai/text-embedding-3-small", Cache: cache, BatchSize: 64}
	var texts []string
	for i := 0; i < 150; i++ {
		texts = append(texts, fmt.Sprintf("memory number %d", i))
	}
	texts = append(texts, texts[0], texts[1]) // repeats cost nothing
	vecs, err := emb.EmbedDocuments(ctx, texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(vecs) != 152 || srv.embedCalls != 3 || !slices.Equal(vecs[150], vecs[0]) {
		t.Fatalf("%d vectors, %d calls; want 152 and 3 (150 new texts in batches of 64)", len(vecs), srv.embedCalls)
	}
	want, _ := memory.OfflineEmbedder{Dim: 64}.EmbedQuery(ctx, texts[7])
	if !slices.Equal(vecs[7], want) {
		t.Fatal("vector differs from the server's")
	}
	// one more new text: one more call
	if _, err := emb.EmbedDocuments(ctx, append(texts[:10:10], "a new one")); err != nil || srv.embedCalls != 4 {
		t.Fatalf("calls %d, %v", srv.embedCalls, err)
	}
	if err := cache.Close(); err != nil {
		t.Fatal(err)
	}

	// reopened: everything is cached, exactly
	cache2, err := memory.OpenEmbeddingCache(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cache2.Close()
	emb2 := &memory.CachedEmbedder{Embedder: inner, Model: "openai/text-embedding-3-small", Cache: cache2}
	again, err := emb2.EmbedDocuments(ctx, texts)
	if err != nil || srv.embedCalls != 4 || cache2.Len() != 151 {
		t.Fatalf("after reopening: %d calls, %d cached, %v", srv.embedCalls, cache2.Len(), err)
	}
	for i := range again {
		if !slices.Equal(again[i], vecs[i]) {
			t.Fatalf("vector %d changed through the file", i)
		}
	}
	// another model does not share vectors
	other := &memory.CachedEmbedder{Embedder: inner, Model: "other-model", Cache: cache2}
	if _, err := other.EmbedDocuments(ctx, texts[:1]); err != nil || srv.embedCalls != 5 {
		t.Fatalf("other model: %d calls, %v", srv.embedCalls, err)
	}
	// the engine retains through it
	e := newEngine(t, memory.Config{Embedder: emb2})
	retain(t, e, "b", texts[3]+".", now)
	if _, err := (&memory.CachedEmbedder{Embedder: inner}).EmbedQuery(ctx, "x"); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("no model name: %v", err)
	}
}

func TestEmbeddingCacheTornLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "emb.jsonl")
	c, err := memory.OpenEmbeddingCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put([]string{"a", "b"}, [][]float32{{1, 2}, {0.1, 0.2}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"k":"c","v":[1,`) // a crash mid-write
	f.Close()
	c, err = memory.OpenEmbeddingCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := c.Get("b"); !ok || !slices.Equal(v, []float32{0.1, 0.2}) || c.Len() != 2 {
		t.Fatalf("entries after a torn line: %v %v %d", v, ok, c.Len())
	}
	if err := c.Put([]string{"c"}, [][]float32{{3}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = memory.OpenEmbeddingCache(path)
	if err != nil || c.Len() != 3 {
		t.Fatalf("reopen: %v, %d entries", err, c.Len())
	}
	c.Close()
	// damage in the middle is reported, not silently dropped
	os.WriteFile(path, []byte("{\"k\":\"a\",\"v\":[1]}\nnot json\n{\"k\":\"b\",\"v\":[2]}\n"), 0o600)
	if _, err := memory.OpenEmbeddingCache(path); err == nil {
		t.Fatal("a damaged middle line was accepted")
	}
}
