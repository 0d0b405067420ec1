package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// A command node updates the state and picks the next nodes, END or Sends.
func TestCommandGoto(t *testing.T) {
	g := graph.New[R]()
	g.AddCommandNode("pick", func(_ context.Context, s R) (graph.Command[R], error) {
		s.Log = append(s.Log, "pick")
		switch s.Hello {
		case "both":
			return graph.Command[R]{State: s, Goto: []string{"y", "x"}}, nil
		case "send":
			return graph.Command[R]{State: s, Send: []graph.Send[R]{{Node: "x", State: R{Hello: "1"}}, {Node: "x", State: R{Hello: "2"}}}}, nil
		case "end":
			return graph.Command[R]{State: s, Goto: []string{graph.END}}, nil
		case "bad":
			return graph.Command[R]{State: s, Goto: []string{"nowhere"}}, nil
		}
		return graph.Command[R]{State: s, Goto: []string{"x"}}, nil
	}, graph.Goto("x", "y", graph.END))
	g.AddNode("x", func(_ context.Context, s R) (R, error) { s.Log = append(s.Log, "x"+s.Hello); return s, nil })
	g.AddNode("y", appendR("y"))
	g.AddEdge(graph.START, "pick").AddEdge("x", graph.END).AddEdge("y", graph.END)
	for _, durable := range []bool{false, true} {
		var opts []graph.CompileOption
		var run []graph.RunOption
		if durable {
			opts = append(opts, graph.WithCheckpointer(state.NewMemory()))
			run = append(run, graph.Thread("t"))
		}
		c := mustCompile(t, g, opts...)
		for _, tc := range []struct {
			in   string
			want []string
		}{
			{"", []string{"pick", "x"}},
			{"both", []string{"pick", "xboth", "y"}},
			{"send", []string{"pick", "x1", "x2"}},
			{"end", []string{"pick"}},
		} {
			if durable {
				run = []graph.RunOption{graph.Thread("t-" + tc.in)}
			}
			out, err := c.Invoke(context.Background(), R{Hello: tc.in}, run...)
			if err != nil || !slices.Equal(out.Log, tc.want) {
				t.Fatalf("durable %v, %q: %v %v, want %v", durable, tc.in, out.Log, err, tc.want)
			}
		}
		if durable {
			run = []graph.RunOption{graph.Thread("t-bad")}
		}
		_, err := c.Invoke(context.Background(), R{Hello: "bad"}, run...)
		var re *graph.RouteError
		if !errors.As(err, &re) || re.To != "nowhere" || !re.Command || !strings.Contains(err.Error(), "Goto") {
			t.Fatalf("undeclared target: %v", err)
		}
	}
	c := mustCompile(t, g)
	if m := c.Mermaid(); !strings.Contains(m, "pick -. goto .-> y") {
		t.Fatalf("mermaid lacks the goto edge:\n%s", m)
	}
}

// A node reachable only through a Command's declared targets compiles; a
// Goto naming an unknown node is a compile problem.
func TestCommandCompile(t *testing.T) {
	g := graph.New[R]()
	g.AddCommandNode("a", func(_ context.Context, s R) (graph.Command[R], error) {
		return graph.Command[R]{State: s, Goto: []string{"b"}}, nil
	}, graph.Goto("b", "ghost"))
	g.AddNode("b", appendR("b"))
	g.AddEdge(graph.START, "a").AddEdge("b", graph.END)
	_, err := g.Compile()
	var ce *graph.CompileError
	if !errors.As(err, &ce) || ce.Problems[0].Kind != graph.ProblemUnknownNode || !strings.Contains(ce.Problems[0].Detail, `"ghost"`) {
		t.Fatalf("compile: %v", err)
	}
	g2 := graph.New[R]()
	g2.AddCommandNode("a", func(_ context.Context, s R) (graph.Command[R], error) {
		return graph.Command[R]{State: s, Goto: []string{"b"}}, nil
	}, graph.Goto("b"))
	g2.AddNode("b", appendR("b"))
	g2.AddEdge(graph.START, "a").AddEdge("b", graph.END)
	out, err := mustCompile(t, g2).Invoke(context.Background(), R{})
	if err != nil || !slices.Equal(out.Log, []string{"b"}) {
		t.Fatalf("goto-only graph: %v %v", out.Log, err)
	}
}

// A subgraph's node sends a Command to its parent: the subgraph stops, its
// state so far with the update is the parent node's result, and the parent
// goes where the Command says.
func TestCommandToParent(t *testing.T) {
	inner := graph.New[R]()
	inner.AddNode("check", appendR("check"))
	inner.AddCommandNode("escalate", func(_ context.Context, s R) (graph.Command[R], error) {
		s.Log = append(s.Log, "escalate")
		if s.Hello == "help" {
			return graph.Command[R]{State: s, Goto: []string{"human"}, Parent: true}, nil
		}
		return graph.Command[R]{State: s}, nil
	})
	inner.AddNode("finish", appendR("finish"))
	inner.AddEdge(graph.START, "check").AddEdge("check", "escalate").AddEdge("escalate", "finish").AddEdge("finish", graph.END)
	ic := mustCompile(t, inner)

	outer := graph.New[R]()
	outer.AddNode("sub", ic.AsNode(), graph.Goto("human"))
	outer.AddNode("human", appendR("human"))
	outer.AddNode("after", appendR("after"))
	outer.AddEdge(graph.START, "sub").AddEdge("sub", "after").AddEdge("human", graph.END).AddEdge("after", graph.END)
	oc := mustCompile(t, outer)
	out, err := oc.Invoke(context.Background(), R{Hello: "help"})
	// The next step runs in declaration order: human, then after.
	if want := []string{"check", "escalate", "human", "after"}; err != nil || !slices.Equal(out.Log, want) {
		t.Fatalf("parent command: %v %v, want %v", out.Log, err, want)
	}
	out, err = oc.Invoke(context.Background(), R{})
	if want := []string{"check", "escalate", "finish", "after"}; err != nil || !slices.Equal(out.Log, want) {
		t.Fatalf("no command: %v %v, want %v", out.Log, err, want)
	}
	// Run on its own, the inner graph has no parent to take the Command.
	if _, err := ic.Invoke(context.Background(), R{Hello: "help"}); err == nil || !strings.Contains(err.Error(), "not run as a node") {
		t.Fatalf("inner alone: %v", err)
	}

	// Across state types, through Subgraph's out function.
	type P struct{ Trail []string }
	pg := graph.New[P]()
	pg.AddNode("sub", graph.Subgraph(ic, func(p P) R { return R{Hello: "help"} }, func(p P, r R) P {
		p.Trail = append(p.Trail, strings.Join(r.Log, "+"))
		return p
	}), graph.Goto("human"))
	pg.AddNode("human", func(_ context.Context, p P) (P, error) { p.Trail = append(p.Trail, "human"); return p, nil })
	pg.AddEdge(graph.START, "sub").AddEdge("sub", graph.END).AddEdge("human", graph.END)
	pout, err := mustCompile(t, pg).Invoke(context.Background(), P{})
	if want := []string{"check+escalate", "human"}; err != nil || !slices.Equal(pout.Trail, want) {
		t.Fatalf("subgraph parent command: %v %v, want %v", pout.Trail, err, want)
	}
}

// A command node that finished in a step where a sibling interrupted has
// its routing saved: the resumed step routes it.
func TestCommandSurvivesResume(t *testing.T) {
	g := graph.New[R]()
	g.AddCommandNode("cmd", func(_ context.Context, s R) (graph.Command[R], error) {
		s.Log = append(s.Log, "cmd")
		return graph.Command[R]{State: s, Goto: []string{"x"}}, nil
	}, graph.Goto("x"))
	g.AddNode("ask", func(ctx context.Context, s R) (R, error) {
		v, err := graph.Interrupt[string](ctx, "?")
		s.Hello = v
		return s, err
	})
	g.AddNode("x", appendR("x"))
	g.AddEdge(graph.START, "cmd").AddEdge(graph.START, "ask").AddEdge("ask", graph.END).AddEdge("x", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	if _, err := c.Invoke(context.Background(), R{}, graph.Thread("t")); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatal(err)
	}
	out, err := c.Invoke(context.Background(), R{}, graph.Thread("t"), graph.Resume("yes"))
	if want := []string{"cmd", "x"}; err != nil || !slices.Equal(out.Log, want) || out.Hello != "yes" {
		t.Fatalf("resumed: %+v %v, want log %v", out, err, want)
	}
}
