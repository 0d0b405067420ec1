package graph_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

func TestMain(m *testing.M) {
	if db := os.Getenv(crashEnv); db != "" {
		os.Exit(crashChild(db))
	}
	if db := os.Getenv(overlapEnv); db != "" {
		os.Exit(overlapChild(db))
	}
	goleak.VerifyTestMain(m)
}

type S struct {
	Log    []string       `reduce:"append"`
	Count  int            `reduce:"sum"`
	Tags   map[string]int `reduce:"merge"`
	Answer string
	Item   string
	Max    int
}

func appendNode(name string) graph.NodeFunc[S] {
	return func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, name)
		return s, nil
	}
}

func mustCompile[T any](t *testing.T, g *graph.Graph[T], opts ...graph.CompileOption) *graph.Compiled[T] {
	t.Helper()
	c, err := g.Compile(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSequentialChain(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", appendNode("a")).AddNode("b", appendNode("b")).AddNode("c", appendNode("c"))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	c := mustCompile(t, g)
	out, err := c.Invoke(context.Background(), S{Log: []string{"in"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"in", "a", "b", "c"}; !slices.Equal(out.Log, want) {
		t.Fatalf("log = %v, want %v", out.Log, want)
	}
}

func TestConditionalLoop(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("inc", func(_ context.Context, s S) (S, error) { s.Count++; return s, nil })
	g.AddNode("done", appendNode("done"))
	g.AddEdge(graph.START, "inc")
	g.AddConditionalEdge("inc", func(s S) string {
		if s.Count < 5 {
			return "inc"
		}
		return "done"
	}, "inc", "done")
	g.AddEdge("done", graph.END)
	out, err := mustCompile(t, g).Invoke(context.Background(), S{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 5 || !slices.Equal(out.Log, []string{"done"}) {
		t.Fatalf("got %+v", out)
	}
}

func TestJoinWaitsForAllSources(t *testing.T) {
	// a -> b1 -> b2 (two steps) and a -> c (one step); j joins b2 and c, so
	// it must run once, after b2, never after c alone.
	g := graph.New[S]()
	for _, n := range []string{"a", "b1", "b2", "c", "j"} {
		g.AddNode(n, appendNode(n))
	}
	g.AddEdge(graph.START, "a").AddEdge("a", "b1").AddEdge("a", "c").AddEdge("b1", "b2")
	g.AddJoin("j", "b2", "c")
	g.AddEdge("j", graph.END)
	out, err := mustCompile(t, g).Invoke(context.Background(), S{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b1", "c", "b2", "j"}; !slices.Equal(out.Log, want) {
		t.Fatalf("log = %v, want %v", out.Log, want)
	}
}

func TestFanOutPerBranchInput(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("plan", func(_ context.Context, s S) (S, error) { return s, nil })
	g.AddNode("work", func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, strings.ToUpper(s.Item))
		s.Count++
		return s, nil
	})
	g.AddNode("sum", appendNode("sum"))
	g.AddEdge(graph.START, "plan")
	g.AddFanOut("plan", func(s S) []graph.Send[S] {
		var out []graph.Send[S]
		for _, it := range []string{"x", "y", "z"} {
			b := s
			b.Item = it
			out = append(out, graph.Send[S]{Node: "work", State: b})
		}
		return out
	}, "work")
	g.AddEdge("work", "sum").AddEdge("sum", graph.END)
	out, err := mustCompile(t, g).Invoke(context.Background(), S{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"X", "Y", "Z", "sum"}; !slices.Equal(out.Log, want) || out.Count != 3 {
		t.Fatalf("got %+v, want log %v and count 3", out, want)
	}
	if out.Item != "" {
		t.Fatalf("Item written by three branches without a reducer should conflict or stay; got %q", out.Item)
	}
}

func TestMergeOrderDeterministic(t *testing.T) {
	g := graph.New[S]()
	names := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
	for _, n := range names {
		g.AddNode(n, func(ctx context.Context, s S) (S, error) {
			time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
			s.Log = append(s.Log, n)
			s.Tags = map[string]int{"last": len(n), n: 1}
			return s, nil
		})
		g.AddEdge(graph.START, n)
		g.AddEdge(n, graph.END)
	}
	c := mustCompile(t, g)
	for i := range 200 {
		out, err := c.Invoke(context.Background(), S{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Log, names) {
			t.Fatalf("run %d: merge order %v, want declaration order %v", i, out.Log, names)
		}
		if len(out.Tags) != 7 {
			t.Fatalf("run %d: tags %v", i, out.Tags)
		}
	}
}

func TestConflictingWrite(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("x", func(_ context.Context, s S) (S, error) { s.Answer = "x"; return s, nil })
	g.AddNode("y", func(_ context.Context, s S) (S, error) { s.Answer = "y"; return s, nil })
	g.AddEdge(graph.START, "x").AddEdge(graph.START, "y").AddEdge("x", graph.END).AddEdge("y", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), S{})
	var ce *state.ConflictError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *state.ConflictError", err)
	}
	if ce.Field != "Answer" || !slices.Equal(ce.Nodes, []string{"x", "y"}) {
		t.Fatalf("conflict = %+v", ce)
	}
	if !strings.Contains(err.Error(), `"x" and "y"`) || !strings.Contains(err.Error(), "Answer") {
		t.Fatalf("message %q does not name field and nodes", err)
	}
}

func parallelPair(t *testing.T, fa, fb graph.NodeFunc[S], opts ...graph.CompileOption) S {
	t.Helper()
	g := graph.New[S]()
	g.AddNode("a", fa).AddNode("b", fb)
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	out, err := mustCompile(t, g, opts...).Invoke(context.Background(), S{Log: []string{"0"}, Count: 10, Tags: map[string]int{"keep": 1, "drop": 2, "chg": 3}, Max: 4})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReducers(t *testing.T) {
	t.Run("append", func(t *testing.T) {
		out := parallelPair(t,
			func(_ context.Context, s S) (S, error) { s.Log = append(s.Log, "a1", "a2"); return s, nil },
			func(_ context.Context, s S) (S, error) { s.Log = append(s.Log, "b1"); return s, nil })
		if want := []string{"0", "a1", "a2", "b1"}; !slices.Equal(out.Log, want) {
			t.Fatalf("log = %v, want %v", out.Log, want)
		}
	})
	t.Run("sum", func(t *testing.T) {
		out := parallelPair(t,
			func(_ context.Context, s S) (S, error) { s.Count += 5; return s, nil },
			func(_ context.Context, s S) (S, error) { s.Count -= 2; return s, nil })
		if out.Count != 13 {
			t.Fatalf("count = %d, want 13", out.Count)
		}
	})
	t.Run("merge", func(t *testing.T) {
		out := parallelPair(t,
			func(_ context.Context, s S) (S, error) {
				s.Tags = map[string]int{"keep": 1, "chg": 30, "a": 1}
				return s, nil
			},
			func(_ context.Context, s S) (S, error) {
				s.Tags = map[string]int{"keep": 1, "drop": 2, "chg": 3, "b": 2}
				return s, nil
			})
		want := map[string]int{"keep": 1, "chg": 30, "a": 1, "b": 2}
		if fmt.Sprint(out.Tags) != fmt.Sprint(want) {
			t.Fatalf("tags = %v, want %v", out.Tags, want)
		}
	})
	t.Run("custom", func(t *testing.T) {
		out := parallelPair(t,
			func(_ context.Context, s S) (S, error) { s.Max = 9; return s, nil },
			func(_ context.Context, s S) (S, error) { s.Max = 7; return s, nil },
			graph.WithStateOptions(state.WithReducer("Max", func(acc, w int) int { return max(acc, w) })))
		if out.Max != 9 {
			t.Fatalf("max = %d, want 9", out.Max)
		}
	})
	t.Run("single writer takes its value", func(t *testing.T) {
		out := parallelPair(t,
			func(_ context.Context, s S) (S, error) { s.Answer = "only"; return s, nil },
			func(_ context.Context, s S) (S, error) { return s, nil })
		if out.Answer != "only" || out.Count != 10 {
			t.Fatalf("got %+v", out)
		}
	})
	t.Run("bad tag", func(t *testing.T) {
		type Bad struct {
			N int    `reduce:"append"`
			X string `reduce:"concat"`
		}
		g := graph.New[Bad]()
		g.AddNode("a", func(_ context.Context, s Bad) (Bad, error) { return s, nil })
		g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
		_, err := g.Compile()
		if err == nil || !strings.Contains(err.Error(), "field N") || !strings.Contains(err.Error(), `unknown reducer "concat"`) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestStepLimit(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("spin", func(_ context.Context, s S) (S, error) { s.Count++; return s, nil })
	g.AddEdge(graph.START, "spin")
	g.AddConditionalEdge("spin", func(S) string { return "spin" }, "spin", graph.END)
	c := mustCompile(t, g, graph.WithStepLimit(50))
	out, err := c.Invoke(context.Background(), S{})
	var le *graph.StepLimitError
	if !errors.As(err, &le) || le.Limit != 50 || !errors.Is(err, graph.ErrStepLimit) {
		t.Fatalf("err = %v", err)
	}
	if out.Count != 50 {
		t.Fatalf("count = %d, want 50 steps run", out.Count)
	}
	if !strings.Contains(err.Error(), "WithStepLimit") || !strings.Contains(err.Error(), "50") {
		t.Fatalf("message %q does not say how to raise it", err)
	}
	_, err = c.Invoke(context.Background(), S{}, graph.StepLimit(7))
	if !errors.As(err, &le) || le.Limit != 7 {
		t.Fatalf("per-run limit: %v", err)
	}
	_, err = g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	c2 := mustCompile(t, g)
	_, err = c2.Invoke(context.Background(), S{})
	if !errors.As(err, &le) || le.Limit != graph.DefaultStepLimit {
		t.Fatalf("default: %v", err)
	}
}

func TestPanicBecomesError(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("ok", appendNode("ok"))
	g.AddNode("boom", func(_ context.Context, s S) (S, error) {
		var m map[string]int
		m["x"] = 1
		return s, nil
	})
	g.AddEdge(graph.START, "ok").AddEdge("ok", "boom").AddEdge("boom", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), S{})
	var ne *graph.NodeError
	var pe *graph.PanicError
	if !errors.As(err, &ne) || !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	if ne.Node != "boom" || ne.Step != 1 {
		t.Fatalf("node error = %+v", ne)
	}
	if !strings.Contains(string(pe.Stack), "graph_test.TestPanicBecomesError") {
		t.Fatalf("stack does not show the node:\n%s", pe.Stack)
	}
}

func TestCancellationMidStep(t *testing.T) {
	started := make(chan struct{}, 3)
	block := func(_ context.Context, s S) (S, error) { return s, nil }
	g := graph.New[S]()
	for _, n := range []string{"w1", "w2", "w3"} {
		g.AddNode(n, func(ctx context.Context, s S) (S, error) {
			started <- struct{}{}
			<-ctx.Done()
			return s, ctx.Err()
		})
		g.AddEdge(graph.START, n).AddEdge(n, "after")
	}
	g.AddNode("after", block).AddEdge("after", graph.END)
	c := mustCompile(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, S{})
		errc <- err
	}()
	for range 3 {
		<-started
	}
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop after cancellation")
	}
	goleak.VerifyNone(t)
}

func TestSiblingFailureCancelsOthers(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("slow", func(ctx context.Context, s S) (S, error) {
		<-ctx.Done()
		return s, ctx.Err()
	})
	bad := errors.New("bad input")
	g.AddNode("fail", func(_ context.Context, s S) (S, error) { return s, bad })
	g.AddEdge(graph.START, "slow").AddEdge(graph.START, "fail").AddEdge("slow", graph.END).AddEdge("fail", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), S{})
	var ne *graph.NodeError
	if !errors.Is(err, bad) || !errors.As(err, &ne) || ne.Node != "fail" {
		t.Fatalf("err = %v, want fail's error", err)
	}
}

func TestRetryCounts(t *testing.T) {
	var calls atomic.Int32
	transient := graph.Retryable(errors.New("transient"))
	g := graph.New[S]()
	g.AddNode("flaky", func(_ context.Context, s S) (S, error) {
		if calls.Add(1) < 3 {
			return s, transient
		}
		s.Answer = "ok"
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 4, InitialInterval: time.Millisecond, Jitter: 0.5}))
	g.AddEdge(graph.START, "flaky").AddEdge("flaky", graph.END)
	out, err := mustCompile(t, g).Invoke(context.Background(), S{})
	if err != nil || out.Answer != "ok" || calls.Load() != 3 {
		t.Fatalf("out %+v err %v calls %d", out, err, calls.Load())
	}

	// Exhausted attempts report the count; non-retryable errors stop at once.
	calls.Store(0)
	fatal := errors.New("fatal")
	g2 := graph.New[S]()
	g2.AddNode("always", func(_ context.Context, s S) (S, error) { calls.Add(1); return s, transient },
		graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: time.Second}))
	g2.AddNode("never", func(_ context.Context, s S) (S, error) { calls.Add(100); return s, fatal },
		graph.WithRetry(graph.RetryPolicy{MaxAttempts: 5, InitialInterval: time.Microsecond, RetryIf: func(err error) bool { return !errors.Is(err, fatal) }}))
	g2.AddEdge(graph.START, "always").AddEdge("always", graph.END).AddEdge(graph.START, "never").AddEdge("never", graph.END)
	c2 := mustCompile(t, g2)
	_, err = c2.Invoke(context.Background(), S{})
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Node != "never" || ne.Attempts != 1 || !errors.Is(err, fatal) {
		t.Fatalf("err = %v, want never's fatal error after 1 attempt", err)
	}
	p := graph.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second}
	if got := []time.Duration{p.Backoff(1), p.Backoff(2), p.Backoff(3), p.Backoff(5)}; !slices.Equal(got, []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, time.Second}) {
		t.Fatalf("backoff %v", got)
	}
}

func TestRetryAttemptsExact(t *testing.T) {
	var calls atomic.Int32
	g := graph.New[S]()
	g.AddNode("always", func(_ context.Context, s S) (S, error) { calls.Add(1); return s, graph.Retryable(errors.New("down")) },
		graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: time.Microsecond}))
	g.AddEdge(graph.START, "always").AddEdge("always", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), S{})
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Attempts != 3 || calls.Load() != 3 {
		t.Fatalf("err %v calls %d", err, calls.Load())
	}
}

func TestTimeout(t *testing.T) {
	var calls atomic.Int32
	g := graph.New[S]()
	g.AddNode("slow", func(ctx context.Context, s S) (S, error) {
		calls.Add(1)
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(5 * time.Second):
			return s, nil
		}
	}, graph.WithTimeout(20*time.Millisecond), graph.WithRetry(graph.RetryPolicy{MaxAttempts: 2, InitialInterval: time.Millisecond}))
	g.AddEdge(graph.START, "slow").AddEdge("slow", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), S{})
	var te *graph.TimeoutError
	if !errors.As(err, &te) || te.Node != "slow" || te.Timeout != 20*time.Millisecond || !errors.Is(err, graph.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if calls.Load() != 2 {
		t.Fatalf("timeouts are retried: calls = %d, want 2", calls.Load())
	}
}

func TestSubgraph(t *testing.T) {
	type Inner struct {
		Words []string `reduce:"append"`
	}
	ig := graph.New[Inner]()
	ig.AddNode("w1", func(_ context.Context, s Inner) (Inner, error) { s.Words = append(s.Words, "hello"); return s, nil })
	ig.AddNode("w2", func(ctx context.Context, s Inner) (Inner, error) {
		graph.Emit(ctx, "inner-event")
		s.Words = append(s.Words, "world")
		return s, nil
	})
	ig.AddEdge(graph.START, "w1").AddEdge("w1", "w2").AddEdge("w2", graph.END)
	inner := mustCompile(t, ig)

	g := graph.New[S]()
	g.AddNode("pre", appendNode("pre"))
	g.AddNode("sub", graph.Subgraph(inner,
		func(s S) Inner { return Inner{Words: []string{s.Item}} },
		func(s S, in Inner) S { s.Answer = strings.Join(in.Words, " "); return s }))
	g.AddEdge(graph.START, "pre").AddEdge("pre", "sub").AddEdge("sub", graph.END)
	c := mustCompile(t, g)
	out, err := c.Invoke(context.Background(), S{Item: "say"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer != "say hello world" || !slices.Equal(out.Log, []string{"pre"}) {
		t.Fatalf("got %+v", out)
	}
	var custom []string
	for ev, err := range c.Stream(context.Background(), S{Item: "say"}, graph.Only(graph.EventCustom)) {
		if err != nil {
			t.Fatal(err)
		}
		custom = append(custom, fmt.Sprintf("%s:%v", ev.Node, ev.Payload))
	}
	if !slices.Equal(custom, []string{"sub/w2:inner-event"}) {
		t.Fatalf("custom events %v", custom)
	}

	// Same state type: AsNode.
	sg := graph.New[S]()
	sg.AddNode("x", appendNode("x")).AddEdge(graph.START, "x").AddEdge("x", graph.END)
	g2 := graph.New[S]()
	g2.AddNode("inner", mustCompile(t, sg).AsNode()).AddNode("y", appendNode("y"))
	g2.AddEdge(graph.START, "inner").AddEdge("inner", "y").AddEdge("y", graph.END)
	out, err = mustCompile(t, g2).Invoke(context.Background(), S{})
	if err != nil || !slices.Equal(out.Log, []string{"x", "y"}) {
		t.Fatalf("AsNode: %+v %v", out, err)
	}
}

func TestStreamEventOrder(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", func(ctx context.Context, s S) (S, error) {
		graph.EmitToken(ctx, "tok1")
		graph.EmitToken(ctx, "tok2")
		s.Log = append(s.Log, "a")
		return s, nil
	})
	g.AddNode("b", func(ctx context.Context, s S) (S, error) {
		graph.Emit(ctx, map[string]int{"n": 1})
		s.Count++
		return s, nil
	})
	g.AddNode("c", appendNode("c"))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("a", "c").AddEdge("b", graph.END).AddEdge("c", graph.END)
	c := mustCompile(t, g)
	var got []string
	for ev, err := range c.Stream(context.Background(), S{}) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case graph.EventNodeStart:
			got = append(got, fmt.Sprintf("start %s@%d", ev.Node, ev.Step))
		case graph.EventNodeEnd:
			got = append(got, fmt.Sprintf("end %s@%d %v", ev.Node, ev.Step, ev.Written))
		case graph.EventState:
			got = append(got, fmt.Sprintf("state@%d %v %d", ev.Step, ev.State.Log, ev.State.Count))
		case graph.EventToken:
			got = append(got, fmt.Sprintf("token %s %s", ev.Node, ev.Token))
		case graph.EventCustom:
			got = append(got, fmt.Sprintf("custom %s %v", ev.Node, ev.Payload))
		}
	}
	want := []string{
		"start a@0", "token a tok1", "token a tok2", "end a@0 [Log]", "state@0 [a] 0",
		"start b@1", "start c@1", "custom b map[n:1]", "end b@1 [Count]", "end c@1 [Log]", "state@1 [a c] 1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Only some kinds; and stopping early cancels cleanly.
	var kinds []graph.EventKind
	for ev, err := range c.Stream(context.Background(), S{}, graph.Only(graph.EventState)) {
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, []graph.EventKind{graph.EventState, graph.EventState}) {
		t.Fatalf("kinds %v", kinds)
	}
	n := 0
	for range c.Stream(context.Background(), S{}) {
		n++
		if n == 2 {
			break
		}
	}
	goleak.VerifyNone(t)
}

func TestCompileErrorsListedTogether(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", appendNode("a"))
	g.AddNode("a", appendNode("a"))
	g.AddNode("island", appendNode("island"))
	g.AddNode("sink", appendNode("sink"))
	g.AddNode(graph.END, appendNode("x"))
	g.AddEdge("a", "sink")
	g.AddEdge("a", "ghost")
	g.AddEdge("island", graph.END)
	g.AddConditionalEdge("a", func(S) string { return "a" }, "nowhere")
	_, err := g.Compile()
	var ce *graph.CompileError
	if !errors.As(err, &ce) || !errors.Is(err, graph.ErrInvalidGraph) {
		t.Fatalf("err = %v", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, fmt.Sprintf("%s %v", p.Kind, p.Nodes))
	}
	want := []string{
		"duplicate node [a]",
		"reserved name [__end__]",
		"unknown node [ghost]",
		"unknown node [nowhere]",
		"missing entry []",
		"no path to END [a]",
		"no path to END [sink]",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	g2 := graph.New[S]()
	g2.AddNode("a", appendNode("a")).AddNode("lost", appendNode("lost"))
	g2.AddEdge(graph.START, "a").AddEdge("a", graph.END).AddEdge("lost", graph.END)
	_, err = g2.Compile()
	if !errors.As(err, &ce) || len(ce.Problems) != 1 || ce.Problems[0].Kind != graph.ProblemUnreachable || ce.Problems[0].Nodes[0] != "lost" {
		t.Fatalf("unreachable: %v", err)
	}
}

func TestRouteToUndeclaredTarget(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", appendNode("a")).AddNode("b", appendNode("b"))
	g.AddEdge(graph.START, "a").AddEdge("b", graph.END)
	g.AddConditionalEdge("a", func(S) string { return "c" }, "b", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), S{})
	var re *graph.RouteError
	if !errors.As(err, &re) || re.From != "a" || re.To != "c" || !errors.Is(err, graph.ErrUnknownRoute) {
		t.Fatalf("err = %v", err)
	}
}

func knownGraph(t *testing.T) *graph.Compiled[S] {
	g := graph.New[S]()
	for _, n := range []string{"plan", "act", "check", "map", "left", "right", "done"} {
		g.AddNode(n, appendNode(n))
	}
	g.AddEdge(graph.START, "plan")
	g.AddConditionalEdges("plan", func(S) []string { return []string{"act"} }, "act", "map")
	g.AddConditionalEdge("act", func(S) string { return "check" }, "check", graph.END)
	g.AddEdge("check", "act")
	g.AddFanOut("map", func(S) []graph.Send[S] { return nil }, "left", "right")
	g.AddJoin("done", "left", "right")
	g.AddEdge("done", graph.END)
	return mustCompile(t, g)
}

func TestMermaid(t *testing.T) {
	want := `flowchart TD
	__start__([START])
	plan
	act
	check
	map
	left
	right
	done
	__end__([END])
	__start__ --> plan
	plan -.-> act
	plan -.-> map
	act -.-> check
	act -.-> __end__
	check --> act
	map -. send .-> left
	map -. send .-> right
	done --> __end__
	left ==>|left + right| done
	right ==>|left + right| done
`
	if got := knownGraph(t).Mermaid(); got != want {
		t.Fatalf("mermaid:\n%s\nwant:\n%s", got, want)
	}
}

func TestDOT(t *testing.T) {
	got := knownGraph(t).DOT()
	for _, line := range []string{
		`"__start__" -> "plan";`,
		`"plan" -> "map" [style=dashed];`,
		`"map" -> "right" [style=dashed label="send"];`,
		`"left" -> "done" [style=bold label="join: left + right"];`,
	} {
		if !strings.Contains(got, line) {
			t.Fatalf("DOT lacks %s:\n%s", line, got)
		}
	}
}

func TestWideStep(t *testing.T) {
	// More tasks than the inline buffers hold, and more nodes than the inline
	// trigger marks: 20 branches plus a fan-out of 30 sends.
	g := graph.New[S]()
	g.AddNode("fan", func(_ context.Context, s S) (S, error) { return s, nil })
	g.AddEdge(graph.START, "fan")
	var names []string
	for i := range 20 {
		n := fmt.Sprintf("w%02d", i)
		names = append(names, n)
		g.AddNode(n, appendNode(n)).AddEdge("fan", n).AddEdge(n, "count")
	}
	g.AddNode("count", func(_ context.Context, s S) (S, error) { s.Count++; return s, nil })
	g.AddFanOut("count", func(s S) []graph.Send[S] {
		var out []graph.Send[S]
		for i := range 30 {
			out = append(out, graph.Send[S]{Node: "item", State: S{Item: fmt.Sprint(i)}})
		}
		return out
	}, "item")
	g.AddNode("item", func(_ context.Context, s S) (S, error) { s.Log = append(s.Log, "i"+s.Item); s.Count++; return s, nil })
	g.AddEdge("item", graph.END)
	c := mustCompile(t, g)
	for range 20 {
		out, err := c.Invoke(context.Background(), S{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Log[:20], names) || len(out.Log) != 50 || out.Log[20] != "i0" || out.Log[49] != "i29" || out.Count != 31 {
			t.Fatalf("log %v count %d", out.Log, out.Count)
		}
	}
}

func TestRetryJitterStaysInBoundsAndVaries(t *testing.T) {
	p := graph.RetryPolicy{InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, Jitter: 0.5}
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		d := graph.RetryWait(p, 2) // backoff 200ms, jitter ±50%
		if d < 100*time.Millisecond || d > 300*time.Millisecond {
			t.Fatalf("wait %v outside [100ms, 300ms]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct waits in 200: jitter is not random", len(seen))
	}
	p.Jitter = 0
	if d := graph.RetryWait(p, 2); d != 200*time.Millisecond {
		t.Fatalf("wait without jitter = %v", d)
	}
}
