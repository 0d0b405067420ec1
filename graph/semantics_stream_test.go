package graph_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// stState is the state of the streaming scenarios.
type stState struct {
	Log []string `reduce:"append"`
	N   int
}

// Within every step: node-start events in task order, then the node-end
// events in task order (after all of the step's tasks returned, whatever
// their completion order), then the step's state, then its checkpoint.
// Steps never interleave.
func TestStreamEventOrderPerStep(t *testing.T) {
	slow := func(name string, d time.Duration) graph.NodeFunc[stState] {
		return func(ctx context.Context, s stState) (stState, error) {
			if err := graph.SleepContext(ctx, d); err != nil {
				return s, err
			}
			if name == "first" || name == "last" {
				graph.Emit(ctx, name)
			}
			s.Log = append(s.Log, name)
			return s, nil
		}
	}
	g := graph.New[stState]().
		AddNode("first", slow("first", 0)).
		AddNode("p", slow("p", 20*time.Millisecond)).
		AddNode("q", slow("q", 0)).
		AddNode("last", slow("last", 0)).
		AddEdge(graph.START, "first").
		AddEdge("first", "p").AddEdge("first", "q").
		AddJoin("last", "p", "q").AddEdge("last", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	var got []string
	lastStep := -1
	for ev, err := range c.Stream(context.Background(), stState{}, graph.Thread("t")) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind != graph.EventCheckpoint {
			if ev.Step < lastStep {
				t.Errorf("event of step %d after one of step %d", ev.Step, lastStep)
			}
			lastStep = ev.Step
		}
		switch ev.Kind {
		case graph.EventNodeStart:
			got = append(got, fmt.Sprintf("%d start %s/%d", ev.Step, ev.Node, ev.Task))
		case graph.EventNodeEnd:
			got = append(got, fmt.Sprintf("%d end %s %v", ev.Step, ev.Node, ev.Written))
		case graph.EventCustom:
			got = append(got, fmt.Sprintf("%d custom %s %v", ev.Step, ev.Node, ev.Payload))
		case graph.EventState:
			got = append(got, fmt.Sprintf("%d state %v", ev.Step, ev.State.Log))
		case graph.EventCheckpoint:
			if ev.Checkpoint == "" {
				t.Errorf("checkpoint event without id")
			}
			got = append(got, fmt.Sprintf("%d checkpoint", ev.Step))
		}
	}
	want := []string{
		"0 checkpoint", // the input checkpoint
		"0 start first/0", "0 custom first first", "0 end first [Log]", "0 state [first]", "1 checkpoint",
		"1 start p/0", "1 start q/1", "1 end p [Log]", "1 end q [Log]", "1 state [first p q]", "2 checkpoint",
		"2 start last/0", "2 custom last last", "2 end last [Log]", "2 state [first p q last]", "3 checkpoint",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Only narrows the stream to the kinds asked for.
func TestStreamOnlyFilters(t *testing.T) {
	g := graph.New[stState]().
		AddNode("a", func(ctx context.Context, s stState) (stState, error) {
			graph.Emit(ctx, "hello")
			graph.EmitToken(ctx, "tok")
			s.N++
			return s, nil
		}).
		AddEdge(graph.START, "a").AddEdge("a", graph.END)
	c := ssCompile(t, g)
	kinds := map[graph.EventKind]int{}
	for ev, err := range c.Stream(context.Background(), stState{}, graph.Only(graph.EventToken|graph.EventState)) {
		if err != nil {
			t.Fatal(err)
		}
		kinds[ev.Kind]++
		if ev.Kind == graph.EventToken && (ev.Token != "tok" || ev.Node != "a") {
			t.Errorf("token event %+v", ev)
		}
	}
	if len(kinds) != 2 || kinds[graph.EventToken] != 1 || kinds[graph.EventState] != 1 {
		t.Errorf("kinds %v, want one token and one state", kinds)
	}
}

// An interrupt is streamed as an EventInterrupt with the pending request,
// then the InterruptedError ends the sequence.
func TestStreamInterruptThenError(t *testing.T) {
	g := graph.New[stState]().
		AddNode("ask", func(ctx context.Context, s stState) (stState, error) {
			if _, err := graph.Interrupt[string](ctx, "ok?"); err != nil {
				return s, err
			}
			return s, nil
		}).
		AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	var sawInterrupt bool
	var last error
	n := 0
	for ev, err := range c.Stream(context.Background(), stState{}, graph.Thread("t")) {
		n++
		if err != nil {
			last = err
			continue
		}
		if last != nil {
			t.Errorf("event after the error: %+v", ev)
		}
		if ev.Kind == graph.EventInterrupt {
			sawInterrupt = len(ev.Interrupts) == 1 && ev.Interrupts[0].Node == "ask" && string(ev.Interrupts[0].Payload) == `"ok?"`
		}
	}
	if !sawInterrupt || !errors.Is(last, graph.ErrInterrupted) {
		t.Errorf("interrupt event %v, last error %v", sawInterrupt, last)
	}
}

// Breaking out of a Stream stops the run: no later step starts and the
// running node sees its context cancelled.
func TestStreamBreakStopsRun(t *testing.T) {
	var runs atomic.Int32
	g := graph.New[stState]().
		AddNode("loop", func(ctx context.Context, s stState) (stState, error) {
			runs.Add(1)
			s.N++
			return s, nil
		}).
		AddEdge(graph.START, "loop").
		AddConditionalEdge("loop", func(stState) string { return "loop" }, "loop", graph.END)
	c := ssCompile(t, g)
	for ev, err := range c.Stream(context.Background(), stState{}, graph.Only(graph.EventNodeEnd)) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Step == 2 {
			break
		}
	}
	if n := runs.Load(); n != 3 {
		t.Errorf("loop ran %d times, want 3 (steps 0..2, none after the break)", n)
	}
}

// stOuter is the state of a parent graph whose subgraph runs on stState.
type stOuter struct {
	Topic  string
	Result string
	Trace  []string `reduce:"append"`
}

// A subgraph of another state type gets its input from the mapping, its
// final state is folded back, and its nodes' events reach the outer stream
// named "outer/inner".
func TestSubgraphStateMappingAndEventNames(t *testing.T) {
	inner := graph.New[stState]().
		AddNode("one", func(ctx context.Context, s stState) (stState, error) {
			graph.Emit(ctx, "inner-one")
			s.Log = append(s.Log, "one:"+strings.Join(s.Log, ","))
			return s, nil
		}).
		AddNode("two", func(_ context.Context, s stState) (stState, error) {
			s.Log = append(s.Log, "two")
			s.N = len(s.Log)
			return s, nil
		}).
		AddEdge(graph.START, "one").AddEdge("one", "two").AddEdge("two", graph.END)
	ic := ssCompile(t, inner)
	outer := graph.New[stOuter]().
		AddNode("research", graph.Subgraph(ic,
			func(p stOuter) stState { return stState{Log: []string{p.Topic}} },
			func(p stOuter, c stState) stOuter {
				p.Result = fmt.Sprintf("%s n=%d", strings.Join(c.Log, "|"), c.N)
				return p
			})).
		AddNode("done", func(_ context.Context, s stOuter) (stOuter, error) {
			s.Trace = append(s.Trace, "done")
			return s, nil
		}).
		AddEdge(graph.START, "research").AddEdge("research", "done").AddEdge("done", graph.END)
	oc := ssCompile(t, outer)
	var custom []string
	var final stOuter
	for ev, err := range oc.Stream(context.Background(), stOuter{Topic: "go"}) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Kind == graph.EventCustom {
			custom = append(custom, fmt.Sprintf("%s:%v", ev.Node, ev.Payload))
		}
		if ev.Kind == graph.EventState {
			final = ev.State
		}
	}
	if final.Result != "go|one:go|two n=3" || !slices.Equal(final.Trace, []string{"done"}) {
		t.Errorf("final %+v", final)
	}
	if !slices.Equal(custom, []string{"research/one:inner-one"}) {
		t.Errorf("custom events %v, want [research/one:inner-one]", custom)
	}
}
