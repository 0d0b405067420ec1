package graph_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// A node charges a card, then asks for approval. On resume the node runs
// again from its start, but the charge is not repeated: Once returns the
// receipt saved with the paused task.
func ExampleOnce() {
	ctx := context.Background()
	charges := 0
	g := graph.New[Order]()
	g.AddNode("checkout", func(ctx context.Context, s Order) (Order, error) {
		receipt, err := graph.Once(ctx, "charge", func(context.Context) (string, error) {
			charges++
			return fmt.Sprintf("receipt #%d for %s", charges, s.Item), nil
		})
		if err != nil {
			return s, err
		}
		ok, err := graph.Interrupt[bool](ctx, "ship "+s.Item+"?")
		if err != nil {
			return s, err
		}
		s.Approved = ok
		s.Log = append(s.Log, receipt)
		return s, nil
	})
	g.AddEdge(graph.START, "checkout").AddEdge("checkout", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
	if err != nil {
		panic(err)
	}

	_, err = c.Invoke(ctx, Order{Item: "book"}, graph.Thread("o"))
	fmt.Println("paused:", errors.Is(err, graph.ErrInterrupted), "charges:", charges)
	out, err := c.Invoke(ctx, Order{}, graph.Thread("o"), graph.Resume(true))
	fmt.Println(out.Log, out.Approved, err, "charges:", charges)
	// Output:
	// paused: true charges: 1
	// [receipt #1 for book] true <nil> charges: 1
}
