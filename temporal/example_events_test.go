package temporal_test

import (
	"context"
	"fmt"
	"log"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	jt "github.com/jedisos/jedisos/temporal"
	"github.com/jedisos/jedisos/temporal/devserver"
)

// A node's tokens reach Run.Stream, and a breakpoint before the sending
// node pauses the run until Resume, as in-process.
func ExampleBreakBefore() {
	type Mail struct{ Text string }
	g := graph.New[Mail]()
	g.AddNode("write", func(ctx context.Context, m Mail) (Mail, error) {
		for _, tok := range []string{"Dear ", "customer"} {
			graph.EmitToken(ctx, tok)
			m.Text += tok
		}
		return m, nil
	})
	g.AddNode("send", func(_ context.Context, m Mail) (Mail, error) { m.Text += " (sent)"; return m, nil })
	g.AddEdge(graph.START, "write").AddEdge("write", "send").AddEdge("send", graph.END)
	// Breakpoints need a checkpointer to compile; on Temporal it is unused.
	compiled, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
	if err != nil {
		log.Fatal(err)
	}
	flow, err := jt.New(compiled, "mail", jt.Options{})
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
	w := worker.New(c, "mail", worker.Options{})
	flow.Register(w)
	if err := w.Start(); err != nil {
		log.Fatal(err)
	}
	defer w.Stop()

	run, err := flow.Start(ctx, c, client.StartWorkflowOptions{ID: "mail-1", TaskQueue: "mail"}, Mail{}, jt.BreakBefore("send"))
	if err != nil {
		log.Fatal(err)
	}
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		switch ev.Kind {
		case graph.EventToken:
			fmt.Printf("token %q\n", ev.Token)
		case graph.EventInterrupt:
			fmt.Printf("paused %s %s\n", ev.Interrupts[0].Kind, ev.Interrupts[0].Node)
			if err := run.Resume(ctx, nil); err != nil {
				log.Fatal(err)
			}
		}
	}
	out, err := run.Result(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Text)
	// Output:
	// token "Dear "
	// token "customer"
	// paused before send
	// Dear customer (sent)
}
