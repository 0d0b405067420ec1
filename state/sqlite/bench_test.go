package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state/sqlite"
)

// Message is a chat message as a conversation state holds it.
type Message struct {
	Role    string
	Content string
}

// Conversation appends messages; checkpoints store only the new ones.
type Conversation struct {
	Messages []Message `reduce:"append"`
}

func text(r *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz     .,"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters))]
	}
	return string(b)
}

// BenchmarkCheckpointGrowth500Turns runs a 500-turn conversation (each turn a
// user message in, a 1 KB assistant message out) on one thread in a fresh
// SQLite file and reports the database size over the final state's size.
func BenchmarkCheckpointGrowth500Turns(b *testing.B) {
	ctx := context.Background()
	var ratio, dbBytes, stateBytes float64
	for i := 0; b.Loop(); i++ {
		store, err := sqlite.Open(filepath.Join(b.TempDir(), fmt.Sprintf("growth%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		g := graph.New[Conversation]()
		g.AddNode("assistant", func(_ context.Context, s Conversation) (Conversation, error) {
			s.Messages = append(s.Messages, Message{Role: "assistant", Content: text(r, 1024)})
			return s, nil
		})
		g.AddEdge(graph.START, "assistant").AddEdge("assistant", graph.END)
		c, err := g.Compile(graph.WithCheckpointer(store))
		if err != nil {
			b.Fatal(err)
		}
		var final Conversation
		for turn := range 500 {
			in := Conversation{Messages: []Message{{Role: "user", Content: fmt.Sprintf("question number %d: %s", turn, text(r, 40))}}}
			final, err = c.Invoke(ctx, in, graph.Thread("conversation"))
			if err != nil {
				b.Fatal(err)
			}
		}
		if len(final.Messages) != 1000 || final.Messages[999].Role != "assistant" || len(final.Messages[999].Content) != 1024 {
			b.Fatalf("final state has %d messages", len(final.Messages))
		}
		enc, _ := json.Marshal(final)
		size, err := store.Size(ctx)
		if err != nil {
			b.Fatal(err)
		}
		store.Close()
		dbBytes, stateBytes = float64(size), float64(len(enc))
		ratio = dbBytes / stateBytes
	}
	b.ReportMetric(ratio, "stored-bytes/final-state-bytes")
	b.ReportMetric(dbBytes, "db-bytes")
	b.ReportMetric(stateBytes, "final-state-bytes")
}

// Blob is a state of about 10 KB that its node rewrites at every step.
type Blob struct {
	Data  string
	Steps int
}

// BenchmarkSQLiteStep10KB measures one step of a graph whose 10 KB state is
// rewritten by its node at every step, saved under sync durability (the
// task's writes and the step's checkpoint committed before the next step).
// One op is one step.
func BenchmarkSQLiteStep10KB(b *testing.B) { benchGraphSteps(b, 10*1024, graph.DurabilitySync) }
