package temporal_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	jt "github.com/jedisos/jedisos/temporal"
)

// R is the state of the parity tests.
type R struct {
	Log   []string `reduce:"append"`
	Hello string
}

func note(name string) graph.NodeFunc[R] {
	return func(_ context.Context, s R) (R, error) { s.Log = append(s.Log, name+s.Hello); return s, nil }
}

// commandGraph routes with Commands: goto, goto END, Send fan-out with each
// branch's own input, and a goto decided by the answer to an interrupt.
func commandGraph(t testing.TB, opts ...graph.CompileOption) *graph.Compiled[R] {
	g := graph.New[R]()
	g.AddCommandNode("pick", func(ctx context.Context, s R) (graph.Command[R], error) {
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
		case "ask":
			to, err := graph.Interrupt[string](ctx, "where?")
			if err != nil {
				return graph.Command[R]{State: s}, err
			}
			return graph.Command[R]{State: s, Goto: []string{to}}, nil
		case "mark":
			s.Hello = "mark"
			return graph.Command[R]{State: s, Goto: []string{"m1", "m2"}}, graph.MarkWritten(ctx, "Hello")
		}
		return graph.Command[R]{State: s, Goto: []string{"x"}}, nil
	}, graph.Goto("x", "y", "m1", "m2", graph.END))
	mark := func(ctx context.Context, s R) (R, error) { return s, graph.MarkWritten(ctx, "Hello") }
	g.AddNode("x", note("x")).AddNode("y", note("y")).AddNode("m1", mark).AddNode("m2", mark)
	g.AddEdge(graph.START, "pick").AddEdge("x", graph.END).AddEdge("y", graph.END).AddEdge("m1", graph.END).AddEdge("m2", graph.END)
	c, err := g.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Commands and MarkWritten route and merge on Temporal as in Invoke.
func TestServerCommandsAndMarksMatchInProcess(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	cg := commandGraph(t)
	g := newGraph(t, cg, "command", jt.Options{PollInterval: 20 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	for _, in := range []string{"", "both", "send", "end", "bad", "mark"} {
		want, werr := cg.Invoke(ctx, R{Hello: in})
		got, gerr := g.Invoke(ctx, c, wfOpts(tq, "command"), R{Hello: in})
		if (werr == nil) != (gerr == nil) || werr != nil && !strings.Contains(gerr.Error(), werr.Error()) {
			t.Fatalf("%q: in-process error %v, Temporal error %v", in, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(want, got) {
			t.Fatalf("%q: Temporal %+v, in-process %+v", in, got, want)
		}
		switch in {
		case "send":
			if !slices.Equal(got.Log, []string{"pick", "x1", "x2"}) {
				t.Fatalf("send: %v", got.Log)
			}
		case "bad":
			if !strings.Contains(gerr.Error(), `"nowhere"`) {
				t.Fatalf("bad: %v", gerr)
			}
		case "mark":
			var ce *state.ConflictError
			if !errors.As(werr, &ce) || ce.Field != "Hello" {
				t.Fatalf("mark: in-process %v", werr)
			}
		}
	}
	// A Command from a task that was interrupted and resumed.
	icg := commandGraph(t, graph.WithCheckpointer(state.NewMemory()))
	if _, err := icg.Invoke(ctx, R{Hello: "ask"}, graph.Thread("ask")); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("in-process interrupt: %v", err)
	}
	want, err := icg.Invoke(ctx, R{}, graph.Thread("ask"), graph.Resume("y"))
	if err != nil {
		t.Fatal(err)
	}
	run, err := g.Start(ctx, c, wfOpts(tq, "ask"), R{Hello: "ask"})
	if err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ctx, run, jt.PhaseInterrupted)
	if err := run.Resume(ctx, "y"); err != nil {
		t.Fatal(err)
	}
	got, err := run.Result(ctx)
	if err != nil || !reflect.DeepEqual(got, want) || !slices.Equal(got.Log, []string{"pick", "yask"}) {
		t.Fatalf("resumed Command: Temporal %+v %v, in-process %+v", got, err, want)
	}
}

func waitPhase[T any](t *testing.T, ctx context.Context, run *jt.Run[T], ph jt.Phase) jt.Status[T] {
	t.Helper()
	for {
		st, err := run.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase == ph {
			return st
		}
		if st.Phase == jt.PhaseFailed || st.Phase == jt.PhaseDone {
			t.Fatalf("run is %s, waiting for %s: %+v", st.Phase, ph, st)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// evLine renders an event for comparison; the node-end state is left out
// (Temporal's Stream does not carry it) and a payload is compared as JSON.
func evLine[T any](ev graph.Event[T]) string {
	s := fmt.Sprintf("%v step=%d node=%s task=%d", ev.Kind, ev.Step, ev.Node, ev.Task)
	switch ev.Kind {
	case graph.EventNodeEnd:
		s += fmt.Sprintf(" written=%v", ev.Written)
	case graph.EventState:
		b, _ := json.Marshal(ev.State)
		s += " state=" + string(b)
	case graph.EventCustom:
		b, _ := json.Marshal(ev.Payload)
		s += " payload=" + string(b)
	case graph.EventToken:
		s += fmt.Sprintf(" token=%q", ev.Token)
	case graph.EventInterrupt:
		for _, p := range ev.Interrupts {
			s += fmt.Sprintf(" %s(%s)@%d", p.Kind, p.Node, p.Step)
		}
	}
	return s
}

// Emit and EmitToken events reach Run.Stream in the order
// graph.Compiled.Stream yields them: after the node's start, before its
// end and the step's state; node ends of a parallel step in task order.
func TestServerStreamMatchesInProcessStream(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	g0 := graph.New[R]()
	g0.AddNode("talk", func(ctx context.Context, s R) (R, error) {
		graph.Emit(ctx, map[string]any{"thinking": true})
		for _, tok := range []string{"he", "llo", " wor", "ld"} {
			graph.EmitToken(ctx, tok)
		}
		s.Log = append(s.Log, "talk")
		return s, nil
	})
	g0.AddCommandNode("fan", func(ctx context.Context, s R) (graph.Command[R], error) {
		graph.Emit(ctx, "fanning")
		return graph.Command[R]{State: s, Send: []graph.Send[R]{{Node: "x", State: R{Hello: "1"}}, {Node: "x", State: R{Hello: "2"}}}}, nil
	}, graph.Goto("x"))
	g0.AddNode("x", note("x"))
	g0.AddEdge(graph.START, "talk").AddEdge("talk", "fan").AddEdge("x", graph.END)
	cg, err := g0.Compile()
	if err != nil {
		t.Fatal(err)
	}
	g := newGraph(t, cg, "stream", jt.Options{PollInterval: 20 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	in := R{Hello: "in"}
	var want []string
	for ev, err := range cg.Stream(ctx, in) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == graph.EventState && ev.Node == graph.START {
			continue // the input, which Temporal's Stream does not repeat
		}
		want = append(want, evLine(ev))
	}
	run, err := g.Start(ctx, c, wfOpts(tq, "stream"), in)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evLine(ev))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Temporal stream\n%s\nin-process stream\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(got, `token step=0 node=talk task=0 token=" wor"`) {
		t.Fatalf("no token event in\n%s", strings.Join(got, "\n"))
	}
	// NodeEvents(0) carries none of them.
	run, err = g.Start(ctx, c, wfOpts(tq, "quiet"), in, jt.NodeEvents(0))
	if err != nil {
		t.Fatal(err)
	}
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == graph.EventCustom || ev.Kind == graph.EventToken {
			t.Fatalf("NodeEvents(0) run streamed %s", evLine(ev))
		}
	}
}

// Breakpoints compiled into the graph, and a run's own, pause the run
// where a run with a checkpointer pauses; Status shows them and Resume
// continues.
func TestServerBreakpointsPauseAsInProcess(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	g0 := graph.New[R]()
	g0.AddNode("a", note("a")).AddNode("b", note("b")).AddNode("c", note("c")).AddNode("d", note("d"))
	g0.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", "d").AddEdge("d", graph.END)
	cg, err := g0.Compile(graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptBefore("b"), graph.WithInterruptAfter("c"))
	if err != nil {
		t.Fatal(err)
	}
	g := newGraph(t, cg, "breaks", jt.Options{PollInterval: 20 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	pauses := func(p []graph.Pending) string {
		var s []string
		for _, it := range p {
			s = append(s, fmt.Sprintf("%s(%s)@%d", it.Kind, it.Node, it.Step))
		}
		return strings.Join(s, ",")
	}
	for _, tc := range []struct {
		name  string
		run   []graph.RunOption
		start []jt.StartOption
	}{
		{"compiled", nil, nil},
		{"own", []graph.RunOption{graph.BreakBefore("d"), graph.BreakAfter("a")}, []jt.StartOption{jt.BreakBefore("d"), jt.BreakAfter("a")}},
	} {
		// In-process: invoke, resume at each pause, until done.
		var want []string
		thread := "breaks-" + tc.name
		opts := append([]graph.RunOption{graph.Thread(thread)}, tc.run...)
		wantOut, err := cg.Invoke(ctx, R{}, opts...)
		for {
			var ie *graph.InterruptedError
			if !errors.As(err, &ie) {
				break
			}
			want = append(want, pauses(ie.Interrupts))
			wantOut, err = cg.Invoke(ctx, R{}, append(opts, graph.Resume(nil))...)
		}
		if err != nil {
			t.Fatal(err)
		}
		run, err := g.Start(ctx, c, wfOpts(tq, thread), R{}, tc.start...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for range want {
			st := waitPhase(t, ctx, run, jt.PhaseInterrupted)
			got = append(got, pauses(st.Interrupts))
			if st.Step != st.Interrupts[0].Step {
				t.Fatalf("%s: status step %d, pause at %d", tc.name, st.Step, st.Interrupts[0].Step)
			}
			if err := run.Resume(ctx, nil); err != nil {
				t.Fatal(err)
			}
			// The resume is taken: the run moves on from this pause.
			for {
				s2, err := run.Status(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if s2.Phase != jt.PhaseInterrupted || pauses(s2.Interrupts) != got[len(got)-1] {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		out, err := run.Result(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || !reflect.DeepEqual(out, wantOut) {
			t.Fatalf("%s: Temporal paused at %v and ended in %+v; in-process at %v and %+v", tc.name, got, out, want, wantOut)
		}
		if len(want) < 2 {
			t.Fatalf("%s: in-process paused only at %v", tc.name, want)
		}
	}
	if _, err := g.Start(ctx, c, wfOpts(tq, "bad"), R{}, jt.BreakAfter("zz")); err == nil || !strings.Contains(err.Error(), `BreakAfter names unknown node "zz"`) {
		t.Fatalf("unknown breakpoint node: %v", err)
	}
}

// A long-running node's tokens reach Stream while it runs: the node
// finishes only once the stream has shown its first token.
func TestServerTokensArriveWhileTheNodeRuns(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	seen := make(chan struct{})
	g0 := graph.New[R]()
	g0.AddNode("slow", func(ctx context.Context, s R) (R, error) {
		graph.EmitToken(ctx, "first")
		select {
		case <-seen:
		case <-time.After(30 * time.Second):
			return s, errors.New("the stream never showed the token while the node ran")
		case <-ctx.Done():
			return s, ctx.Err()
		}
		graph.EmitToken(ctx, "last")
		s.Log = append(s.Log, "slow")
		return s, nil
	})
	g0.AddEdge(graph.START, "slow").AddEdge("slow", graph.END)
	cg, err := g0.Compile()
	if err != nil {
		t.Fatal(err)
	}
	g := newGraph(t, cg, "live", jt.Options{PollInterval: 20 * time.Millisecond, EventFlushInterval: 50 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	run, err := g.Start(ctx, c, wfOpts(tq, "live"), R{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, evLine(ev))
		if ev.Kind == graph.EventToken && ev.Token == "first" {
			close(seen)
		}
	}
	want := []string{
		"node-start step=0 node=slow task=0",
		`token step=0 node=slow task=0 token="first"`,
		`token step=0 node=slow task=0 token="last"`,
		"node-end step=0 node=slow task=0 written=[Log]",
		`state step=0 node= task=0 state={"Log":["slow"],"Hello":""}`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("stream\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
