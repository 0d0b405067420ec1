package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// benchGraphSteps runs one thread of b.N graph steps whose node rewrites a
// state of size bytes at every step, under durability mode, and reports
// the time per step. Under DurabilityAsync it also reports caller-ns/step,
// the time until the last node ran (what the run's caller waits for before
// the background saves drain), while ns/op includes the wait for the
// queue to drain (the saves' throughput).
func benchGraphSteps(b *testing.B, size int, mode graph.Durability) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "step.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	r := rand.New(rand.NewPCG(3, 4))
	pages := make([]string, 16)
	for i := range pages {
		pages[i] = text(r, size)
	}
	target := 0
	var last time.Time
	c := editLoop(b, store, mode, &target, func(s *Blob) {
		s.Data = pages[s.Steps%len(pages)]
		if s.Steps == target {
			last = time.Now()
		}
	})
	target = b.N
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	out, err := c.Invoke(ctx, Blob{Data: strings.Repeat("x", size)}, graph.Thread(fmt.Sprintf("steps-%d", b.N)))
	b.StopTimer()
	if err != nil || out.Steps != b.N || len(out.Data) != size {
		b.Fatalf("steps %d of %d, %v", out.Steps, b.N, err)
	}
	if mode == graph.DurabilityAsync {
		b.ReportMetric(float64(last.Sub(start).Nanoseconds())/float64(b.N), "caller-ns/step")
	}
}

// editLoop compiles the graph the step benchmarks and tests run on store:
// node "edit" counts a step, applies edit to the state and loops until
// Steps reaches *target, under durability mode.
func editLoop(tb testing.TB, store state.Checkpointer, mode graph.Durability, target *int, edit func(*Blob)) *graph.Compiled[Blob] {
	tb.Helper()
	g := graph.New[Blob]()
	g.AddNode("edit", func(_ context.Context, s Blob) (Blob, error) {
		s.Steps++
		edit(&s)
		return s, nil
	})
	g.AddEdge(graph.START, "edit")
	g.AddConditionalEdge("edit", func(s Blob) string {
		if s.Steps < *target {
			return "edit"
		}
		return graph.END
	}, "edit", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(store), graph.WithDurability(mode), graph.WithStepLimit(1<<30))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkSQLiteStep1KB is one graph step with a 1 KB state under sync
// durability (the step's writes and checkpoint committed before the next
// step runs).
func BenchmarkSQLiteStep1KB(b *testing.B) { benchGraphSteps(b, 1024, graph.DurabilitySync) }

// BenchmarkSQLiteStepAsync1KB is BenchmarkSQLiteStep1KB under async
// durability.
func BenchmarkSQLiteStepAsync1KB(b *testing.B) { benchGraphSteps(b, 1024, graph.DurabilityAsync) }

// BenchmarkSQLiteStepAsync10KB is BenchmarkSQLiteStep10KB under async
// durability.
func BenchmarkSQLiteStepAsync10KB(b *testing.B) { benchGraphSteps(b, 10*1024, graph.DurabilityAsync) }

// benchStoreSteps makes the calls a graph makes for one step of a one-task
// graph, b.N times: the task's writes (size bytes) saved against the
// current checkpoint and the next checkpoint, a full snapshot every fourth
// step and a delta otherwise, built on the current one. With a store that
// is a state.StepSaver both go through one PutStep, otherwise through
// PutWrites and Put.
func benchStoreSteps(b *testing.B, size int) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "store.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	r := rand.New(rand.NewPCG(5, 6))
	data := []byte(`{"Data":"` + text(r, size) + `"}`)
	extra := []byte(`{"s":4096,"f":10240}`)
	next := []state.Task{{Node: "edit"}}
	id := func(i int) string { return fmt.Sprintf("%08d-0000-7000-8000-000000000000", i) }
	thread := "store-steps"
	prev := id(0)
	if err := store.Put(ctx, state.Checkpoint{ThreadID: thread, ID: prev, Source: "input", Snapshot: data, Next: next, Extra: extra, CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	saver, _ := any(store).(state.StepSaver)
	ws := make([]state.TaskWrites, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		now := time.Now()
		w := state.TaskWrites{Task: 0, Node: "edit", Writes: data, CreatedAt: now}
		cp := state.Checkpoint{ThreadID: thread, ID: id(i), ParentID: prev, Step: i, Source: "loop", CreatedAt: now, Next: next, Extra: extra}
		if i%4 == 0 {
			cp.Snapshot = data
		}
		if saver != nil {
			ws[0] = w
			err = saver.PutStep(ctx, prev, ws, cp)
		} else {
			err = store.PutWrites(ctx, thread, prev, w)
			if err == nil {
				err = store.Put(ctx, cp)
			}
		}
		if err != nil {
			b.Fatal(err)
		}
		prev = cp.ID
	}
}

// BenchmarkSQLiteStoreStep1KB is the store's part of one graph step with
// a 1 KB state (see benchStoreSteps).
func BenchmarkSQLiteStoreStep1KB(b *testing.B) { benchStoreSteps(b, 1024) }

// BenchmarkSQLiteStoreStep10KB is BenchmarkSQLiteStoreStep1KB with a
// 10 KB state.
func BenchmarkSQLiteStoreStep10KB(b *testing.B) { benchStoreSteps(b, 10*1024) }
