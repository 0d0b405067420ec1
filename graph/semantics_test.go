package graph_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// jitter sleeps a random short while, so parallel tasks finish in varying
// orders across repetitions.
func jitter() {
	time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
}

type R struct {
	Flag  bool
	Log   []string `reduce:"append"`
	Hello string
}

// A router sees the step's input plus its own node's writes: b setting Flag
// in the same step never changes where a's router goes.
func TestRouterSeesOwnWritesOnly(t *testing.T) {
	g := graph.New[R]()
	g.AddNode("a", func(_ context.Context, s R) (R, error) { jitter(); s.Log = append(s.Log, "a"); return s, nil })
	g.AddNode("b", func(_ context.Context, s R) (R, error) { jitter(); s.Flag = true; return s, nil })
	g.AddNode("yes", appendR("yes"))
	g.AddNode("no", appendR("no"))
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("b", graph.END)
	g.AddConditionalEdge("a", func(s R) string {
		if s.Flag {
			return "yes"
		}
		if !slices.Equal(s.Log, []string{"a"}) {
			return "yes" // a's own append must be visible
		}
		return "no"
	}, "yes", "no")
	g.AddEdge("yes", graph.END).AddEdge("no", graph.END)
	c := mustCompile(t, g)
	for i := range 200 {
		out, err := c.Invoke(context.Background(), R{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"a", "no"}; !slices.Equal(out.Log, want) || !out.Flag {
			t.Fatalf("run %d: %+v, want log %v and Flag set", i, out, want)
		}
	}
}

// A fan-out branch's router sees the step's state plus that branch's own
// writes.
func TestRouterOfSendBranch(t *testing.T) {
	g := graph.New[R]()
	g.AddNode("split", func(_ context.Context, s R) (R, error) { return s, nil })
	g.AddNode("work", func(_ context.Context, s R) (R, error) {
		jitter()
		s.Log = append(s.Log, "w:"+s.Hello)
		return s, nil
	})
	g.AddNode("after", appendR("after"))
	g.AddEdge(graph.START, "split")
	g.AddFanOut("split", func(s R) []graph.Send[R] {
		return []graph.Send[R]{{Node: "work", State: R{Hello: "x"}}, {Node: "work", State: R{Hello: "y"}}}
	}, "work")
	var seen atomic.Int32
	g.AddConditionalEdge("work", func(s R) string {
		// The step's input (empty log) plus this branch's one entry.
		if len(s.Log) != 1 {
			return "after"
		}
		seen.Add(1)
		return graph.END
	}, "after", graph.END)
	g.AddEdge("after", graph.END)
	c := mustCompile(t, g)
	for i := range 200 {
		out, err := c.Invoke(context.Background(), R{})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"w:x", "w:y"}; !slices.Equal(out.Log, want) {
			t.Fatalf("run %d: log %v, want %v", i, out.Log, want)
		}
	}
	if seen.Load() != 400 {
		t.Fatalf("routers saw their own writes %d times, want 400", seen.Load())
	}
}

func appendR(name string) graph.NodeFunc[R] {
	return func(_ context.Context, s R) (R, error) {
		s.Log = append(s.Log, name)
		return s, nil
	}
}

// The merge order is declaration order whatever order tasks finish in.
func TestMergeOrderRandomDelays(t *testing.T) {
	g := graph.New[R]()
	names := []string{"n0", "n1", "n2", "n3", "n4"}
	for _, n := range names {
		g.AddNode(n, func(_ context.Context, s R) (R, error) { jitter(); s.Log = append(s.Log, n); return s, nil })
		g.AddEdge(graph.START, n).AddEdge(n, graph.END)
	}
	c := mustCompile(t, g)
	for i := range 200 {
		out, err := c.Invoke(context.Background(), R{Log: []string{"in"}})
		if err != nil {
			t.Fatal(err)
		}
		if want := append([]string{"in"}, names...); !slices.Equal(out.Log, want) {
			t.Fatalf("run %d: %v, want %v", i, out.Log, want)
		}
	}
}

// Whether a field is written is decided by value, so two nodes setting a
// string field to "world" conflict whether the value is a literal or built
// at run time, and setting it to the value it already has is no write.
func TestWriteDetectionByValueStrings(t *testing.T) {
	literal := func(_ context.Context, s R) (R, error) { jitter(); s.Hello = "world"; return s, nil }
	built := func(_ context.Context, s R) (R, error) { jitter(); s.Hello = fmt.Sprintf("wor%s", "ld"); return s, nil }
	for _, pair := range [][2]graph.NodeFunc[R]{{literal, literal}, {built, built}, {literal, built}} {
		g := graph.New[R]()
		g.AddNode("a", pair[0]).AddNode("b", pair[1])
		g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
		c := mustCompile(t, g)
		for i := range 200 {
			_, err := c.Invoke(context.Background(), R{})
			var ce *state.ConflictError
			if !errors.As(err, &ce) || ce.Field != "Hello" || !slices.Equal(ce.Nodes, []string{"a", "b"}) {
				t.Fatalf("run %d: err %v, want a conflict on Hello by a and b", i, err)
			}
			// The input already says "world": neither node wrote it.
			out, err := c.Invoke(context.Background(), R{Hello: strings.Clone("world")})
			if err != nil || out.Hello != "world" {
				t.Fatalf("run %d: %+v %v", i, out, err)
			}
		}
	}
}

// MarkWritten makes an unchanged value a write: two nodes that both mean to
// set Hello conflict even though it already has their value.
func TestMarkWritten(t *testing.T) {
	set := func(ctx context.Context, s R) (R, error) {
		jitter()
		s.Hello = "world"
		return s, graph.MarkWritten(ctx, "Hello")
	}
	g := graph.New[R]()
	g.AddNode("a", set).AddNode("b", set)
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	c := mustCompile(t, g)
	for i := range 200 {
		_, err := c.Invoke(context.Background(), R{Hello: "world"})
		var ce *state.ConflictError
		if !errors.As(err, &ce) || ce.Field != "Hello" {
			t.Fatalf("run %d: err %v, want a conflict on Hello", i, err)
		}
	}
	g2 := graph.New[R]()
	g2.AddNode("a", func(ctx context.Context, s R) (R, error) { return s, graph.MarkWritten(ctx, "Nope") })
	g2.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	if _, err := mustCompile(t, g2).Invoke(context.Background(), R{}); !errors.Is(err, graph.ErrUnknownField) || !strings.Contains(err.Error(), `"Nope"`) {
		t.Fatalf("unknown field: %v", err)
	}
	// The mark shows in the node-end event.
	g3 := graph.New[R]()
	g3.AddNode("a", set)
	g3.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	for ev, err := range mustCompile(t, g3).Stream(context.Background(), R{Hello: "world"}, graph.Only(graph.EventNodeEnd)) {
		if err != nil || !slices.Equal(ev.Written, []string{"Hello"}) {
			t.Fatalf("node end %+v %v", ev, err)
		}
	}
}

// A custom reducer runs for a single writer too, starting from the step's
// input, so a delta reducer works in a chain and in parallel alike.
func TestCustomReducerOneWriter(t *testing.T) {
	type T struct{ Text string }
	concat := state.WithReducer("Text", func(acc, w string) string { return acc + w })
	g := graph.New[T]()
	g.AddNode("a", func(_ context.Context, s T) (T, error) { s.Text = "a"; return s, nil })
	g.AddNode("b", func(_ context.Context, s T) (T, error) { s.Text = "b"; return s, nil })
	g.AddNode("c", func(_ context.Context, s T) (T, error) { s.Text = "c"; return s, nil })
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("a", "c").AddEdge("b", graph.END).AddEdge("c", graph.END)
	out, err := mustCompile(t, g, graph.WithStateOptions(concat)).Invoke(context.Background(), T{Text: ">"})
	if err != nil || out.Text != ">abc" {
		t.Fatalf("text %q %v, want \">abc\"", out.Text, err)
	}
	// Replayed from the checkpoints, the state is the same.
	mem := state.NewMemory()
	c := mustCompile(t, g, graph.WithStateOptions(concat), graph.WithCheckpointer(mem))
	if out, err := c.Invoke(context.Background(), T{Text: ">"}, graph.Thread("r")); err != nil || out.Text != ">abc" {
		t.Fatalf("checkpointed: %q %v", out.Text, err)
	}
	c2 := mustCompile(t, g, graph.WithStateOptions(concat), graph.WithCheckpointer(mem))
	hist, err := c2.History(context.Background(), "r", graph.HistoryOptions{})
	if err != nil || hist[0].State.Text != ">abc" || hist[1].State.Text != ">a" {
		t.Fatalf("history %+v %v", hist, err)
	}
}

// A checkpointed run whose step has a failing node and finished siblings
// streams the siblings' node-end events, and their writes are saved.
func TestNodeEndWhenSiblingFails(t *testing.T) {
	boom := errors.New("boom")
	for _, durable := range []bool{false, true} {
		g := graph.New[R]()
		aDone := make(chan struct{})
		g.AddNode("a", func(_ context.Context, s R) (R, error) {
			defer close(aDone)
			s.Log = append(s.Log, "a")
			return s, nil
		})
		g.AddNode("b", func(_ context.Context, s R) (R, error) { <-aDone; return s, boom })
		g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
		var opts []graph.CompileOption
		var run []graph.RunOption
		mem := state.NewMemory()
		if durable {
			opts = append(opts, graph.WithCheckpointer(mem))
			run = append(run, graph.Thread("t"))
		}
		c := mustCompile(t, g, opts...)
		var ends []string
		var last error
		for ev, err := range c.Stream(context.Background(), R{}, append(run, graph.Only(graph.EventNodeEnd))...) {
			if err != nil {
				last = err
				continue
			}
			ends = append(ends, ev.Node+":"+strings.Join(ev.Written, ","))
		}
		if !errors.Is(last, boom) || !slices.Equal(ends, []string{"a:Log"}) {
			t.Fatalf("durable %v: ends %v err %v", durable, ends, last)
		}
		if durable {
			sn, err := c.State(context.Background(), "t")
			if err != nil || len(sn.Tasks) != 2 || !sn.Tasks[0].Done || sn.Tasks[1].Done || !slices.Equal(sn.Tasks[0].Fields, []string{"Log"}) {
				t.Fatalf("snapshot tasks %+v %v", sn.Tasks, err)
			}
		}
	}
}

// A step that ends in an interrupt still reports its finished nodes.
func TestNodeEndWhenSiblingInterrupts(t *testing.T) {
	g := graph.New[R]()
	aDone := make(chan struct{})
	g.AddNode("a", func(_ context.Context, s R) (R, error) { defer close(aDone); s.Log = append(s.Log, "a"); return s, nil })
	g.AddNode("b", func(ctx context.Context, s R) (R, error) {
		<-aDone
		v, err := graph.Interrupt[string](ctx, "ok?")
		s.Hello = v
		return s, err
	})
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	var kinds []string
	for ev, err := range c.Stream(context.Background(), R{}, graph.Thread("t"), graph.Only(graph.EventNodeEnd|graph.EventInterrupt)) {
		if err != nil {
			if !errors.Is(err, graph.ErrInterrupted) {
				t.Fatal(err)
			}
			continue
		}
		kinds = append(kinds, ev.Kind.String()+":"+ev.Node)
	}
	if want := []string{"node-end:a", "interrupt:"}; !slices.Equal(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
}

// New input on a thread whose last run failed starts a new run (the failed
// step is dropped); the zero state retries the failed step instead.
func TestNewInputAfterFailedRun(t *testing.T) {
	ctx := context.Background()
	var fail atomic.Bool
	fail.Store(true)
	g := graph.New[R]()
	g.AddNode("a", appendR("a"))
	g.AddNode("b", func(_ context.Context, s R) (R, error) {
		if fail.Load() {
			return s, errors.New("down")
		}
		s.Log = append(s.Log, "b")
		return s, nil
	})
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	if _, err := c.Invoke(ctx, R{Log: []string{"in1"}}, graph.Thread("t")); err == nil {
		t.Fatal("first run did not fail")
	}
	fail.Store(false)
	out, err := c.Invoke(ctx, R{Log: []string{"in2"}}, graph.Thread("t"))
	if want := []string{"in1", "a", "in2", "a", "b"}; err != nil || !slices.Equal(out.Log, want) {
		t.Fatalf("new input after failure: %v %v, want %v", out.Log, err, want)
	}

	// The zero state continues the failed step.
	fail.Store(true)
	if _, err := c.Invoke(ctx, R{Log: []string{"in3"}}, graph.Thread("t")); err == nil {
		t.Fatal("third run did not fail")
	}
	fail.Store(false)
	out, err = c.Invoke(ctx, R{}, graph.Thread("t"))
	if want := []string{"in1", "a", "in2", "a", "b", "in3", "a", "b"}; err != nil || !slices.Equal(out.Log, want) {
		t.Fatalf("continued: %v %v, want %v", out.Log, err, want)
	}
}

// Interrupt in a graph without a checkpointer fails the node at once with
// ErrNoCheckpointer, even under a retry policy.
func TestInterruptWithoutCheckpointerNotRetried(t *testing.T) {
	var calls atomic.Int32
	g := graph.New[R]()
	g.AddNode("ask", func(ctx context.Context, s R) (R, error) {
		calls.Add(1)
		_, err := graph.Interrupt[string](ctx, "?")
		return s, err
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 5, InitialInterval: time.Hour, RetryIf: func(error) bool { return true }}))
	g.AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), R{})
	var ne *graph.NodeError
	if !errors.Is(err, graph.ErrNoCheckpointer) || !errors.As(err, &ne) || ne.Attempts != 1 || calls.Load() != 1 {
		t.Fatalf("err %v calls %d", err, calls.Load())
	}
}

// Resume(value) at a static breakpoint continues the run (the value is
// ignored); so does ResumeID with the breakpoint's id, which the snapshot
// lists.
func TestResumeAtBreakpoint(t *testing.T) {
	ctx := context.Background()
	g := graph.New[R]()
	g.AddNode("a", appendR("a")).AddNode("b", appendR("b")).AddNode("c", appendR("c"))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptBefore("b"), graph.WithInterruptAfter("b"))
	_, err := c.Invoke(ctx, R{}, graph.Thread("t"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || ie.Interrupts[0].Kind != graph.InterruptBefore {
		t.Fatalf("first run: %v", err)
	}
	sn, _ := c.State(ctx, "t")
	if len(sn.Interrupts) != 1 || sn.Interrupts[0].ID != ie.Interrupts[0].ID || sn.Interrupts[0].Kind != graph.InterruptBefore {
		t.Fatalf("snapshot interrupts %+v, want %+v", sn.Interrupts, ie.Interrupts)
	}
	if _, err := c.Invoke(ctx, R{Log: []string{"x"}}, graph.Thread("t")); !errors.Is(err, graph.ErrPaused) {
		t.Fatalf("new input at a breakpoint: %v", err)
	}
	_, err = c.Invoke(ctx, R{}, graph.Thread("t"), graph.Resume("ignored"))
	if !errors.As(err, &ie) || ie.Interrupts[0].Kind != graph.InterruptAfter {
		t.Fatalf("resumed at before-breakpoint: %v", err)
	}
	out, err := c.Invoke(ctx, R{}, graph.Thread("t"), graph.ResumeID(ie.Interrupts[0].ID, nil))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
		t.Fatalf("resumed at after-breakpoint: %v %v", out.Log, err)
	}
	if _, err := c.Invoke(ctx, R{}, graph.Thread("t"), graph.Resume("again")); !errors.Is(err, graph.ErrNoPendingInterrupt) {
		t.Fatalf("resume of a finished thread: %v", err)
	}
}

type tempErr struct{ temp bool }

func (e tempErr) Error() string   { return "temp" }
func (e tempErr) Temporary() bool { return e.temp }

// The default retry filter retries transient failures only (package
// nodes tests it with the llm error kinds; importing llm here would weigh
// on this package's benchmarks).
func TestDefaultRetryIf(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{errors.New("bug"), false},
		{fmt.Errorf("wrapped: %w", graph.Retryable(errors.New("flaky"))), true},
		{&graph.TimeoutError{Node: "n", Timeout: time.Second}, true},
		{fmt.Errorf("call: %w", context.DeadlineExceeded), true},
		{context.Canceled, false},
		{tempErr{true}, true},
		{tempErr{false}, false},
		{graph.ErrNoCheckpointer, false},
	} {
		if got := graph.DefaultRetryIf(c.err); got != c.want {
			t.Errorf("DefaultRetryIf(%v) = %v, want %v", c.err, got, c.want)
		}
	}
	// A programming error fails at once under a default policy.
	var calls atomic.Int32
	g := graph.New[R]()
	g.AddNode("n", func(_ context.Context, s R) (R, error) { calls.Add(1); return s, errors.New("nil map") },
		graph.WithRetry(graph.RetryPolicy{InitialInterval: time.Hour}))
	g.AddEdge(graph.START, "n").AddEdge("n", graph.END)
	if _, err := mustCompile(t, g).Invoke(context.Background(), R{}); err == nil || calls.Load() != 1 {
		t.Fatalf("err %v after %d calls", err, calls.Load())
	}
}

// The state after the input is streamed as a state event named START.
func TestValuesEventAfterInput(t *testing.T) {
	g := graph.New[R]()
	g.AddNode("a", appendR("a"))
	g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	for _, durable := range []bool{false, true} {
		var opts []graph.CompileOption
		var run []graph.RunOption
		if durable {
			opts = append(opts, graph.WithCheckpointer(state.NewMemory()))
			run = append(run, graph.Thread("t"))
		}
		c := mustCompile(t, g, opts...)
		var got []string
		for ev, err := range c.Stream(context.Background(), R{Log: []string{"in"}}, append(run, graph.Only(graph.EventState))...) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s@%d:%v", ev.Node, ev.Step, ev.State.Log))
		}
		if want := []string{"__start__@0:[in]", "@0:[in a]"}; !slices.Equal(got, want) {
			t.Fatalf("durable %v: %v, want %v", durable, got, want)
		}
		// No input, no input event.
		got = got[:0]
		for ev, err := range c.Stream(context.Background(), R{}, append(run[:len(run):len(run)], graph.Only(graph.EventState))...) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ev.Node)
		}
		if slices.Contains(got, graph.START) {
			t.Fatalf("durable %v: input event without input: %v", durable, got)
		}
	}
}
