package qdrant_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
	mq "github.com/jedisos/jedisos/memory/qdrant"
)

const (
	benchDim      = 256
	benchMemories = 10000
)

var benchNow = time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)

// benchCorpus builds benchMemories memories of bank "u" with offline
// embeddings, entities and times spread over a year.
func benchCorpus(b *testing.B) []memory.Memory {
	b.Helper()
	people := []string{"Mina", "Jun", "Sora", "Minsu", "Hana", "Taeyang", "Yuna", "Doyun"}
	places := []string{"Busan", "Seoul", "Paris", "Daegu", "Jeju", "Tokyo", "Incheon"}
	topics := []string{"coffee", "hiking", "piano lessons", "a law exam", "the garden", "a museum visit",
		"a new job", "a cat named Bori", "the budget", "a flight delay", "민수의 이사", "서울 회의"}
	texts := make([]string, benchMemories)
	for i := range texts {
		texts[i] = fmt.Sprintf("%s talked with %s about %s in %s (note %d).",
			people[i%len(people)], people[(i/3+1)%len(people)], topics[(i/7)%len(topics)], places[(i/5)%len(places)], i)
	}
	vecs, err := memory.OfflineEmbedder{Dim: benchDim}.EmbedDocuments(context.Background(), texts)
	if err != nil {
		b.Fatal(err)
	}
	ms := make([]memory.Memory, len(texts))
	for i, text := range texts {
		m := memory.Memory{ID: memory.MemoryID("u", text), Bank: "u", Kind: memory.KindWorld, Text: text,
			Vector: vecs[i], Sparse: memory.DefaultBM25.Document(text),
			Entities: []string{people[i%len(people)], people[(i/3+1)%len(people)], places[(i/5)%len(places)]}}
		m.MentionedAt = benchNow.Add(-time.Duration(i%365) * 24 * time.Hour)
		ms[i] = m
	}
	return ms
}

var benchQueries = []string{
	"What did Mina say about coffee in Busan last week?",
	"Jun piano lessons",
	"민수 이사 지난달",
	"flight delay in Tokyo last month",
}

func benchEngine(b *testing.B, st memory.Store) *memory.Engine {
	e, err := memory.New(memory.Config{Store: st, Embedder: memory.OfflineEmbedder{Dim: benchDim},
		Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	return e
}

// BenchmarkQdrantRecall recalls through a real client against the
// in-process server holding 10,000 memories, and reports the gRPC round
// trips per recall (roundtrips/op). BenchmarkEmbeddedRecall is the same
// recall on the embedded store, for comparison in the same run.
func BenchmarkQdrantRecall(b *testing.B) {
	ms := benchCorpus(b)
	s, _ := open(b, func(c *mq.Config) { c.Dimension = benchDim; c.BatchSize = 1000 })
	if err := s.Upsert(context.Background(), ms); err != nil {
		b.Fatal(err)
	}
	e := benchEngine(b, s)
	ctx := context.Background()
	run := func(b *testing.B, recall func(q string) error) {
		b.ReportAllocs()
		before := s.RoundTrips()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := recall(benchQueries[i%len(benchQueries)]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(s.RoundTrips()-before)/float64(b.N), "roundtrips/op")
	}
	b.Run("engine", func(b *testing.B) {
		run(b, func(q string) error {
			r, err := e.Recall(ctx, "u", q, memory.RecallOptions{Budget: memory.BudgetLow})
			if err == nil && len(r.Hits) == 0 {
				err = fmt.Errorf("no hits for %q", q)
			}
			return err
		})
	})
	b.Run("fused-no-seeds", func(b *testing.B) {
		emb := memory.OfflineEmbedder{Dim: benchDim}
		run(b, func(q string) error {
			v, _ := emb.EmbedQuery(ctx, q)
			_, err := s.Search(ctx, memory.SearchRequest{Bank: "u", Limit: 100, Fused: true, Dense: v, MinSimilarity: 0.3,
				Sparse: memory.DefaultBM25.Query(q), Entities: memory.DetectEntities(q, nil),
				Window: &memory.TimeRange{Start: benchNow.AddDate(0, -1, 0), End: benchNow}})
			return err
		})
	})
}

func BenchmarkEmbeddedRecall(b *testing.B) {
	ms := benchCorpus(b)
	st := memory.NewEmbeddedStore()
	defer st.Close()
	if err := st.Upsert(context.Background(), ms); err != nil {
		b.Fatal(err)
	}
	e := benchEngine(b, st)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.Recall(ctx, "u", benchQueries[i%len(benchQueries)], memory.RecallOptions{Budget: memory.BudgetLow}); err != nil {
			b.Fatal(err)
		}
	}
}
