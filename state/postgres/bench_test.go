package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/postgres"
)

// Message is a chat message as a ReAct agent's state holds it.
type Message struct {
	Role     string
	Content  string
	ToolCall string `json:",omitempty"`
}

// Agent is a ReAct-like state: the conversation only grows.
type Agent struct {
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

// react compiles reason -> tool -> reason -> END over store: each turn the
// model calls a tool once (a 512-byte result) and then answers (1 KB).
func react(tb testing.TB, store *postgres.Store, r *rand.Rand) *graph.Compiled[Agent] {
	tb.Helper()
	g := graph.New[Agent]()
	g.AddNode("reason", func(_ context.Context, s Agent) (Agent, error) {
		last := s.Messages[len(s.Messages)-1]
		if last.Role == "user" {
			s.Messages = append(s.Messages, Message{Role: "assistant", ToolCall: `{"name":"search","arguments":{"q":"` + text(r, 30) + `"}}`})
		} else {
			s.Messages = append(s.Messages, Message{Role: "assistant", Content: text(r, 1024)})
		}
		return s, nil
	})
	g.AddNode("tool", func(_ context.Context, s Agent) (Agent, error) {
		s.Messages = append(s.Messages, Message{Role: "tool", Content: text(r, 512)})
		return s, nil
	})
	g.AddEdge(graph.START, "reason")
	g.AddConditionalEdge("reason", func(s Agent) string {
		if s.Messages[len(s.Messages)-1].ToolCall != "" {
			return "tool"
		}
		return graph.END
	}, "tool", graph.END)
	g.AddEdge("tool", "reason")
	c, err := g.Compile(graph.WithCheckpointer(store))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// growth runs turns turns of the ReAct graph on one thread of a fresh
// schema and returns the stored bytes and the final state's encoded size.
func growth(tb testing.TB, turns int) (stored, final int64, detail string) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, need(tb))
	if err != nil {
		tb.Fatal(err)
	}
	defer store.Close()
	r := rand.New(rand.NewPCG(1, 2))
	c := react(tb, store, r)
	var out Agent
	for turn := range turns {
		in := Agent{Messages: []Message{{Role: "user", Content: fmt.Sprintf("question number %d: %s", turn, text(r, 40))}}}
		if out, err = c.Invoke(ctx, in, graph.Thread("conversation")); err != nil {
			tb.Fatal(err)
		}
	}
	if len(out.Messages) != 4*turns || len(out.Messages[4*turns-1].Content) != 1024 {
		tb.Fatalf("final state has %d messages", len(out.Messages))
	}
	enc, _ := json.Marshal(out)
	size, err := store.Size(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range []string{"jedisos_checkpoints", "jedisos_writes", "jedisos_threads"} {
		var heap, toast, idx, rows int64
		err := store.Pool().QueryRow(ctx, `SELECT pg_relation_size($1::regclass), pg_total_relation_size($1::regclass) - pg_relation_size($1::regclass) - pg_indexes_size($1::regclass), pg_indexes_size($1::regclass), (SELECT count(*) FROM `+t+`)`, t).Scan(&heap, &toast, &idx, &rows)
		if err != nil {
			tb.Fatal(err)
		}
		detail += fmt.Sprintf(" %s: %d rows, heap %d, toast %d, indexes %d;", t, rows, heap, toast, idx)
	}
	return size, int64(len(enc)), detail
}

// TestGrowth500Turns checks that 500 ReAct turns (1500 steps) on one thread
// take at most 3 times the final state's size on disk: the store keeps the
// deltas the graph gives it, not a full state per step.
func TestGrowth500Turns(t *testing.T) {
	if testing.Short() {
		t.Skip("500 turns against PostgreSQL")
	}
	stored, final, detail := growth(t, 500)
	ratio := float64(stored) / float64(final)
	t.Logf("500 turns: %d bytes stored (tables and indexes) for a final state of %d bytes: %.2fx;%s", stored, final, ratio, detail)
	if ratio > 3 {
		t.Fatalf("stored %.2f times the final state; want at most 3", ratio)
	}
}

// BenchmarkPostgresGrowth500Turns reports the stored bytes over the final
// state's bytes after 500 ReAct turns on one thread.
func BenchmarkPostgresGrowth500Turns(b *testing.B) {
	var stored, final int64
	for b.Loop() {
		stored, final, _ = growth(b, 500)
	}
	b.ReportMetric(float64(stored)/float64(final), "stored-bytes/final-state-bytes")
	b.ReportMetric(float64(stored), "db-bytes")
	b.ReportMetric(float64(final), "final-state-bytes")
}

// Blob is a state of about 10 KB that its node rewrites at every step.
type Blob struct {
	Data  string
	Steps int
}

// BenchmarkPostgresStep10KB measures one step of a graph whose 10 KB state
// is rewritten by its node at every step, saved under sync durability (the
// task's writes and the step's checkpoint committed before the next step),
// over loopback. One op is one step. "commit-flush" is the server default
// (each commit waits for its WAL flush: nothing acknowledged is lost if
// the server crashes); "commit-async" sets synchronous_commit=off for the
// store's sessions (a server crash may lose the last few hundred
// milliseconds of acknowledged commits, never consistency). round-trips/op
// counts the messages the client sent the server per step (each waits for
// the server's answer).
func BenchmarkPostgresStep10KB(b *testing.B) {
	b.Run("commit-flush", func(b *testing.B) { stepBench(b, need(b), 10*1024) })
	b.Run("commit-async", func(b *testing.B) { stepBench(b, need(b)+"&synchronous_commit=off", 10*1024) })
}

// BenchmarkPostgresStep1KB is BenchmarkPostgresStep10KB with a 1 KB state.
func BenchmarkPostgresStep1KB(b *testing.B) {
	b.Run("commit-flush", func(b *testing.B) { stepBench(b, need(b), 1024) })
	b.Run("commit-async", func(b *testing.B) { stepBench(b, need(b)+"&synchronous_commit=off", 1024) })
}

// countingConn counts the writes to a connection: one per round trip for
// the store's requests (a request, a batch or a pipeline goes out in one
// write and then waits for the answer).
type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// openCounting opens a store whose connections count their writes in n.
func openCounting(tb testing.TB, dsn string, n *atomic.Int64) *postgres.Store {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, n}, nil
	}
	store, err := postgres.OpenConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return store
}

func stepBench(b *testing.B, dsn string, size int) {
	ctx := context.Background()
	var sent atomic.Int64
	store := openCounting(b, dsn, &sent)
	defer store.Close()
	r := rand.New(rand.NewPCG(3, 4))
	pages := make([]string, 16)
	for i := range pages {
		pages[i] = text(r, size)
	}
	target := 0
	g := graph.New[Blob]()
	g.AddNode("edit", func(_ context.Context, s Blob) (Blob, error) {
		s.Steps++
		s.Data = pages[s.Steps%len(pages)]
		return s, nil
	})
	g.AddEdge(graph.START, "edit")
	g.AddConditionalEdge("edit", func(s Blob) string {
		if s.Steps < target {
			return "edit"
		}
		return graph.END
	}, "edit", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(store), graph.WithDurability(graph.DurabilitySync), graph.WithStepLimit(1<<30))
	if err != nil {
		b.Fatal(err)
	}
	target = b.N
	b.ResetTimer()
	sent.Store(0)
	out, err := c.Invoke(ctx, Blob{Data: strings.Repeat("x", size)}, graph.Thread(fmt.Sprintf("steps-%d", b.N)))
	b.StopTimer()
	if err != nil || out.Steps != b.N || len(out.Data) != size {
		b.Fatalf("steps %d of %d, %v", out.Steps, b.N, err)
	}
	b.ReportMetric(float64(sent.Load())/float64(b.N), "round-trips/op")
}

// BenchmarkPostgresSaveStep10KB measures the store alone saving one step
// of a 10 KB state (the closing task's writes and the step's checkpoint),
// as two calls (PutWrites, then Put: two statements, two commits) and as
// one PutStep (one statement, one commit), commits waiting for the WAL
// flush.
func BenchmarkPostgresSaveStep10KB(b *testing.B) {
	for _, mode := range []string{"putwrites+put", "putstep"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			var sent atomic.Int64
			store := openCounting(b, need(b), &sent)
			defer store.Close()
			r := rand.New(rand.NewPCG(5, 6))
			data := []byte(`{"Data":"` + text(r, 10*1024) + `"}`)
			next := []state.Task{{Node: "edit"}}
			if err := store.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c0000000000", Source: "input", Snapshot: data, Next: next}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			sent.Store(0)
			for i := range b.N {
				parent, id := fmt.Sprintf("c%010d", i), fmt.Sprintf("c%010d", i+1)
				w := state.TaskWrites{Task: 0, Node: "edit", Writes: data}
				cp := state.Checkpoint{ThreadID: "t", ID: id, ParentID: parent, Step: i + 1, Source: "loop", Next: next}
				var err error
				if mode == "putstep" {
					err = store.PutStep(ctx, parent, []state.TaskWrites{w}, cp)
				} else if err = store.PutWrites(ctx, "t", parent, w); err == nil {
					err = store.Put(ctx, cp)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(sent.Load())/float64(b.N), "round-trips/op")
		})
	}
}

// BenchmarkPostgres50Threads runs ReAct turns on 50 threads at once from
// one process (one pool of 50 connections): one op is one turn (three
// steps, four checkpoints, three task writes) on some thread, so turns per
// second are 1e9 / (ns/op). Commits wait for the WAL flush
// ("commit-flush") or not ("commit-async"), as in BenchmarkPostgresStep10KB.
func BenchmarkPostgres50Threads(b *testing.B) {
	b.Run("commit-flush", func(b *testing.B) { threads50(b, need(b)+"&pool_max_conns=50") })
	b.Run("commit-async", func(b *testing.B) { threads50(b, need(b)+"&pool_max_conns=50&synchronous_commit=off") })
}

func threads50(b *testing.B, dsn string) {
	ctx := context.Background()
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var next atomic.Int64
	b.SetParallelism((50 + runtimeProcs() - 1) / runtimeProcs())
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := next.Add(1)
		r := rand.New(rand.NewPCG(uint64(id), 5))
		c := react(b, store, r)
		thread := graph.Thread(fmt.Sprintf("user-%d", id))
		for pb.Next() {
			in := Agent{Messages: []Message{{Role: "user", Content: text(r, 60)}}}
			if _, err := c.Invoke(ctx, in, thread); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(next.Load()), "threads")
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
