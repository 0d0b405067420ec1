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

// linear is a graph of n nodes in a row, each adding one to a counter.
func linear(b *testing.B, n int) *graph.Compiled[S] {
	gb := graph.New[S]()
	prev := graph.START
	for i := range n {
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

// BenchmarkLinear runs graphs of 1 and 10 steps to the end in-process and
// on the in-process Temporal server (one worker in this process). The
// per-step overhead of Temporal is (temporal/10 - temporal/1) / 9: the
// difference cancels what a run costs once (start, completion, result).
func BenchmarkLinear(b *testing.B) {
	for _, n := range []int{1, 10} {
		c := linear(b, n)
		b.Run(fmt.Sprintf("inprocess/steps=%d", n), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out, err := c.Invoke(ctx, S{})
				if err != nil || out.Count != n {
					b.Fatal(out, err)
				}
			}
		})
		b.Run(fmt.Sprintf("temporal/steps=%d", n), func(b *testing.B) {
			ctx := context.Background()
			cl := dial(b)
			g, err := jt.New(c, fmt.Sprintf("linear%d", n), jt.Options{})
			if err != nil {
				b.Fatal(err)
			}
			tq := startWorker(b, cl, g.Register)
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				i++
				out, err := g.Invoke(ctx, cl, client.StartWorkflowOptions{ID: fmt.Sprintf("%s-%d-%d", tq, time.Now().UnixNano(), i), TaskQueue: tq}, S{})
				if err != nil || out.Count != n {
					b.Fatal(out, err)
				}
			}
		})
	}
}
