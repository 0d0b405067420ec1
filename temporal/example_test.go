package temporal_test

import (
	"context"
	"fmt"
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/jedisos/jedisos/graph"
	jt "github.com/jedisos/jedisos/temporal"
	"github.com/jedisos/jedisos/temporal/devserver"
)

// A graph with a human approval step, run on Temporal: a worker runs its
// nodes, a client starts the run, follows it and answers the interrupt.
// The server here is the in-process one; with a cluster, dial its address.
func Example() {
	type Draft struct {
		Text     string
		Approved bool
	}
	g := graph.New[Draft]()
	g.AddNode("write", func(_ context.Context, d Draft) (Draft, error) {
		d.Text = "Dear customer, ..."
		return d, nil
	})
	g.AddNode("review", func(ctx context.Context, d Draft) (Draft, error) {
		ok, err := graph.Interrupt[bool](ctx, d.Text)
		if err != nil {
			return d, err
		}
		d.Approved = ok
		return d, nil
	})
	g.AddEdge(graph.START, "write").AddEdge("write", "review").AddEdge("review", graph.END)
	compiled, err := g.Compile()
	if err != nil {
		log.Fatal(err)
	}
	flow, err := jt.New(compiled, "approve-letter", jt.Options{})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	srv, err := devserver.Start(ctx, devserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()
	c, err := srv.Dial(client.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w := worker.New(c, "letters", worker.Options{})
	flow.Register(w)
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	run, err := flow.Start(ctx, c, client.StartWorkflowOptions{ID: "letter-1", TaskQueue: "letters"}, Draft{})
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if ev.Kind == graph.EventInterrupt {
			fmt.Printf("approve %s?\n", ev.Interrupts[0].Payload)
			if err := run.Resume(ctx, true); err != nil {
				log.Fatal(err)
			}
		}
	}
	out, err := run.Result(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("approved:", out.Approved)
	// Output:
	// approve "Dear customer, ..."?
	// approved: true
}
