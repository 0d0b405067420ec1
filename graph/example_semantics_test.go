package graph_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type Ticket struct {
	Text  string
	Route string
	Log   []string `reduce:"append"`
}

func ExampleGraph_AddCommandNode() {
	g := graph.New[Ticket]()
	g.AddCommandNode("triage", func(_ context.Context, t Ticket) (graph.Command[Ticket], error) {
		t.Route = "billing"
		if t.Text == "my app crashes" {
			t.Route = "tech"
		}
		return graph.Command[Ticket]{State: t, Goto: []string{t.Route}}, nil
	}, graph.Goto("billing", "tech"))
	for _, team := range []string{"billing", "tech"} {
		g.AddNode(team, func(_ context.Context, t Ticket) (Ticket, error) {
			t.Log = append(t.Log, team+" handled "+t.Text)
			return t, nil
		})
		g.AddEdge(team, graph.END)
	}
	g.AddEdge(graph.START, "triage")
	c, err := g.Compile()
	if err != nil {
		panic(err)
	}
	out, _ := c.Invoke(context.Background(), Ticket{Text: "my app crashes"})
	fmt.Println(out.Log)
	// Output: [tech handled my app crashes]
}

func ExampleMarkWritten() {
	// Both nodes mean to set Route; the input already has that value, so
	// without the mark neither would count as a write.
	set := func(ctx context.Context, t Ticket) (Ticket, error) {
		t.Route = "tech"
		return t, graph.MarkWritten(ctx, "Route")
	}
	g := graph.New[Ticket]()
	g.AddNode("a", set).AddNode("b", set)
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	c, _ := g.Compile()
	_, err := c.Invoke(context.Background(), Ticket{Route: "tech"})
	var conflict *state.ConflictError
	fmt.Println(errors.As(err, &conflict), conflict.Field, conflict.Nodes)
	// Output: true Route [a b]
}

func ExampleAtCheckpoint() {
	ctx := context.Background()
	c := orderGraph(state.NewMemory())
	_, _ = c.Invoke(ctx, Order{Item: "pen"}, graph.Thread("t"))
	_, _ = c.Invoke(ctx, Order{}, graph.Thread("t"), graph.Resume(false))
	// Go back to the pause before review and answer as the reviewer:
	// Approved is set, Log appends, Item is left alone.
	hist, _ := c.History(ctx, "t", graph.HistoryOptions{})
	paused := hist[len(hist)-1]
	_, err := c.UpdateState(ctx, "t", "review", Order{Approved: true, Log: []string{"approved by hand"}}, graph.AtCheckpoint(paused.CheckpointID))
	if err != nil {
		panic(err)
	}
	out, _ := c.Invoke(ctx, Order{}, graph.Thread("t"))
	fmt.Println(out.Item, out.Approved, out.Log)
	// Output: pen true [approved by hand shipped pen]
}

func ExampleCompiled_DeleteThread() {
	ctx := context.Background()
	c := orderGraph(state.NewMemory())
	_, _ = c.Invoke(ctx, Order{Item: "pen"}, graph.Thread("customer-7"))
	if err := c.DeleteThread(ctx, "customer-7"); err != nil {
		panic(err)
	}
	_, err := c.State(ctx, "customer-7")
	fmt.Println(errors.Is(err, state.ErrNotFound))
	// Output: true
}

func ExampleRetryable() {
	attempts := 0
	g := graph.New[Ticket]()
	g.AddNode("call", func(_ context.Context, t Ticket) (Ticket, error) {
		attempts++
		if attempts == 1 {
			// Marked transient: the default filter retries it. A plain
			// error would fail the node at once.
			return t, graph.Retryable(errors.New("connection reset"))
		}
		t.Log = append(t.Log, "done")
		return t, nil
	}, graph.WithRetry(graph.RetryPolicy{InitialInterval: 1}))
	g.AddEdge(graph.START, "call").AddEdge("call", graph.END)
	c, _ := g.Compile()
	out, err := c.Invoke(context.Background(), Ticket{})
	fmt.Println(out.Log, attempts, err)
	// Output: [done] 2 <nil>
}
