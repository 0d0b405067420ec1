package graph_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type Order struct {
	Item     string
	Approved bool
	Log      []string `reduce:"append"`
}

func orderGraph(cp state.Checkpointer) *graph.Compiled[Order] {
	g := graph.New[Order]()
	g.AddNode("review", func(ctx context.Context, s Order) (Order, error) {
		ok, err := graph.Interrupt[bool](ctx, "approve "+s.Item+"?")
		if err != nil {
			return s, err
		}
		s.Approved = ok
		s.Log = append(s.Log, fmt.Sprintf("reviewed: %v", ok))
		return s, nil
	})
	g.AddNode("ship", func(_ context.Context, s Order) (Order, error) {
		s.Log = append(s.Log, "shipped "+s.Item)
		return s, nil
	})
	g.AddEdge(graph.START, "review").AddEdge("review", "ship").AddEdge("ship", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(cp))
	if err != nil {
		panic(err)
	}
	return c
}

func ExampleInterrupt() {
	ctx := context.Background()
	c := orderGraph(state.NewMemory())
	_, err := c.Invoke(ctx, Order{Item: "book"}, graph.Thread("order-1"))
	var paused *graph.InterruptedError
	if errors.As(err, &paused) {
		var question string
		_ = paused.Interrupts[0].Decode(&question)
		fmt.Println("asked:", question)
	}
	out, err := c.Invoke(ctx, Order{}, graph.Thread("order-1"), graph.Resume(true))
	fmt.Println(out.Log, err)
	// Output:
	// asked: approve book?
	// [reviewed: true shipped book] <nil>
}

func ExampleCompiled_History() {
	ctx := context.Background()
	c := orderGraph(state.NewMemory())
	_, _ = c.Invoke(ctx, Order{Item: "lamp"}, graph.Thread("t"))
	_, _ = c.Invoke(ctx, Order{}, graph.Thread("t"), graph.Resume(false))
	hist, _ := c.History(ctx, "t", graph.HistoryOptions{})
	for _, sn := range hist {
		fmt.Println(sn.Step, sn.Source, sn.Next, sn.State.Log)
	}
	// Output:
	// 2 loop [] [reviewed: false shipped lamp]
	// 1 loop [ship] [reviewed: false]
	// 0 input [review] []
}

func ExampleCompiled_UpdateState() {
	ctx := context.Background()
	c := orderGraph(state.NewMemory())
	_, _ = c.Invoke(ctx, Order{Item: "pen"}, graph.Thread("t"))
	// Answer for the reviewer by writing the state as if "review" returned it;
	// the run then goes on to the review's next node.
	_, _ = c.UpdateState(ctx, "t", "review", Order{Item: "pen", Approved: true, Log: []string{"approved by hand"}})
	out, err := c.Invoke(ctx, Order{}, graph.Thread("t"))
	fmt.Println(out.Approved, out.Log, err)
	// Output: true [approved by hand shipped pen] <nil>
}

func ExampleFromCheckpoint() {
	ctx := context.Background()
	c := orderGraph(state.NewMemory())
	_, _ = c.Invoke(ctx, Order{Item: "cup"}, graph.Thread("t"))
	_, _ = c.Invoke(ctx, Order{}, graph.Thread("t"), graph.Resume(false))
	// Go back to the first checkpoint and take the other answer.
	hist, _ := c.History(ctx, "t", graph.HistoryOptions{Source: "input"})
	_, err := c.Invoke(ctx, Order{}, graph.Thread("t"), graph.FromCheckpoint(hist[0].CheckpointID))
	var paused *graph.InterruptedError
	fmt.Println(errors.As(err, &paused))
	out, _ := c.Invoke(ctx, Order{}, graph.Thread("t"), graph.Resume(true))
	fmt.Println(out.Log)
	// Output:
	// true
	// [reviewed: true shipped cup]
}
