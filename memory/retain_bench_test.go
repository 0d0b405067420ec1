package memory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// bigContent returns about size bytes of sentences, each a separate fact
// naming two people and a place, all said at one time.
func bigContent(size int) (string, int) {
	var b strings.Builder
	n := 0
	for i := 0; b.Len() < size; i++ {
		p1, p2 := benchPeople[i%len(benchPeople)], benchPeople[(i*7+3)%len(benchPeople)]
		place := benchPlaces[i%len(benchPlaces)]
		fmt.Fprintf(&b, "%s %s %s in %s about %s, note %d. ", p1, benchVerbs[i%len(benchVerbs)], p2, place,
			benchThings[i%len(benchThings)], i)
		n++
	}
	return b.String(), n
}

// factsContent returns n sentences, each one fact.
func factsContent(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		p1, p2 := benchPeople[i%len(benchPeople)], benchPeople[(i*7+3)%len(benchPeople)]
		fmt.Fprintf(&b, "%s %s %s in %s about %s, note %d. ", p1, benchVerbs[i%len(benchVerbs)], p2,
			benchPlaces[i%len(benchPlaces)], benchThings[i%len(benchThings)], i)
	}
	return b.String()
}

// BenchmarkRetainFacts retains one content of n facts, all said at one
// time, into an empty in-memory store.
func BenchmarkRetainFacts(b *testing.B) {
	for _, n := range []int{1000, 4000} {
		content := factsContent(n)
		b.Run(fmt.Sprintf("facts=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
				if err != nil {
					b.Fatal(err)
				}
				res, err := e.Retain(context.Background(), "u", content, memory.RetainOptions{Timestamp: benchNow})
				if err != nil || len(res.Memories) != n {
					b.Fatalf("stored %d facts, want %d: %v", len(res.Memories), n, err)
				}
				_ = e.Close()
			}
		})
	}
}

// BenchmarkRetainDeadline retains a megabyte under a 200 ms deadline and
// reports how long after the deadline Retain returned (ms-late).
func BenchmarkRetainDeadline(b *testing.B) {
	content, _ := bigContent(1_000_000)
	const deadline = 200 * time.Millisecond
	var late time.Duration
	for b.Loop() {
		e, err := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		_, err = e.Retain(ctx, "u", content, memory.RetainOptions{Timestamp: benchNow})
		late += max(0, time.Since(start)-deadline)
		cancel()
		if err == nil {
			b.Fatal("a megabyte was retained within 200 ms; the benchmark measures nothing")
		}
		_ = e.Close()
	}
	b.ReportMetric(float64(late.Milliseconds())/float64(b.N), "ms-late")
}

// BenchmarkRetainLarge retains one large content (one fact per sentence)
// into an empty in-memory store with the offline extractor and embedder.
func BenchmarkRetainLarge(b *testing.B) {
	for _, size := range []int{100_000, 1_000_000} {
		content, n := bigContent(size)
		b.Run(fmt.Sprintf("bytes=%d", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
				if err != nil {
					b.Fatal(err)
				}
				res, err := e.Retain(context.Background(), "u", content, memory.RetainOptions{Timestamp: benchNow})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.Memories) != n {
					b.Fatalf("stored %d facts, want %d", len(res.Memories), n)
				}
				_ = e.Close()
			}
		})
	}
}
