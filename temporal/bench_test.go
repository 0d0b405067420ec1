package temporal_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/jedisos/jedisos/graph"
	jt "github.com/jedisos/jedisos/temporal"
)

// linear10 is a graph of ten nodes in a row, each adding one to a counter.
func linear10(b *testing.B) *graph.Compiled[S] {
	gb := graph.New[S]()
	prev := graph.START
	for i := range 10 {
		name := fmt.Sprintf("n%d", i)
		gb.AddNode(name, func(_ context.Context, s S) (S, error) { s.Count++; return s, nil })
		gb.AddEdge(prev, name)
		prev = name
	}
	gb.AddEdge(prev, graph.END)
	c, err := gb.Compile()
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkLinear10 runs a ten-step graph to the end in-process and on the
// in-process Temporal server (one worker in this process): the difference
// divided by ten is Temporal's overhead per step.
func BenchmarkLinear10(b *testing.B) {
	c := linear10(b)
	b.Run("inprocess", func(b *testing.B) {
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			out, err := c.Invoke(ctx, S{})
			if err != nil || out.Count != 10 {
				b.Fatal(out, err)
			}
		}
	})
	b.Run("temporal", func(b *testing.B) {
		ctx := context.Background()
		cl := dial(b)
		g, err := jt.New(c, "linear10", jt.Options{})
		if err != nil {
			b.Fatal(err)
		}
		tq := startWorker(b, cl, g.Register)
		i := 0
		b.ReportAllocs()
		for b.Loop() {
			i++
			out, err := g.Invoke(ctx, cl, client.StartWorkflowOptions{ID: fmt.Sprintf("%s-%d-%d", tq, time.Now().UnixNano(), i), TaskQueue: tq}, S{})
			if err != nil || out.Count != 10 {
				b.Fatal(out, err)
			}
		}
	})
}
