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
