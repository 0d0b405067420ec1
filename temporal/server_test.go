package temporal_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/jedisos/jedisos/graph"
	jt "github.com/jedisos/jedisos/temporal"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func wfOpts(tq, id string) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{ID: id + "-" + fmt.Sprint(time.Now().UnixNano()), TaskQueue: tq}
}

func TestServerRunsParallelTasksAsParallelActivitiesAndStreams(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	// b and c each wait until both have started: the step completes only
	// if their activities run at the same time.
	var barrier sync.WaitGroup
	barrier.Add(2)
	meet := func(name string) graph.NodeFunc[S] {
		return func(ctx context.Context, s S) (S, error) {
			barrier.Done()
			done := make(chan struct{})
			go func() { barrier.Wait(); close(done) }()
			select {
			case <-done:
			case <-ctx.Done():
				return s, ctx.Err()
			case <-time.After(30 * time.Second):
				return s, errors.New("the other parallel task never started")
			}
			s.Log = append(s.Log, name)
			s.Count++
			return s, nil
		}
	}
	gb := graph.New[S]()
	gb.AddNode("a", add("a")).AddNode("b", meet("b")).AddNode("c", meet("c")).AddNode("d", add("d"))
	gb.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("a", "c").AddJoin("d", "b", "c").AddEdge("d", graph.END)
	cg, err := gb.Compile()
	if err != nil {
		t.Fatal(err)
	}
	g := newGraph(t, cg, "parallel", jt.Options{PollInterval: 20 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	run, err := g.Start(ctx, c, wfOpts(tq, "parallel"), S{Log: []string{"in"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var states []S
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case graph.EventNodeStart:
			got = append(got, fmt.Sprintf("start %d %s", ev.Step, ev.Node))
		case graph.EventNodeEnd:
			got = append(got, fmt.Sprintf("end %d %s %v", ev.Step, ev.Node, ev.Written))
		case graph.EventState:
			got = append(got, fmt.Sprintf("state %d", ev.Step))
			states = append(states, ev.State)
		default:
			t.Fatalf("unexpected event %v", ev.Kind)
		}
	}
	// The ends of b and c come in completion order.
	if len(got) == 11 && strings.HasSuffix(got[5], "c [Count Log]") {
		got[5], got[6] = got[6], got[5]
	}
	want := []string{
		"start 0 a", "end 0 a [Count Log]", "state 0",
		"start 1 b", "start 1 c", "end 1 b [Count Log]", "end 1 c [Count Log]", "state 1",
		"start 2 d", "end 2 d [Count Log]", "state 2",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	out, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"in", "a", "b", "c", "d"}) || out.Count != 4 {
		t.Fatalf("final %+v", out)
	}
	if len(states) != 3 || !slices.Equal(states[1].Log, []string{"in", "a", "b", "c"}) {
		t.Fatalf("states %+v", states)
	}
	st, err := run.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != jt.PhaseDone || st.Step != 3 || st.State.Count != 4 {
		t.Fatalf("status of the finished run: %+v", st)
	}
}

func TestServerInterruptResumeAndStatus(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	var effects, calls atomic.Int32
	gb := graph.New[S]()
	gb.AddNode("draft", add("draft"))
	gb.AddNode("ask", func(ctx context.Context, s S) (S, error) {
		calls.Add(1)
		if _, err := graph.Once(ctx, "email", func(context.Context) (int, error) { return int(effects.Add(1)), nil }); err != nil {
			return s, err
		}
		ok, err := graph.Interrupt[bool](ctx, map[string]any{"send": s.Log})
		if err != nil {
			return s, err
		}
		s.Answer = fmt.Sprint("approved=", ok)
		return s, nil
	})
	gb.AddEdge(graph.START, "draft").AddEdge("draft", "ask").AddEdge("ask", graph.END)
	cg, _ := gb.Compile()
	g := newGraph(t, cg, "approve", jt.Options{PollInterval: 20 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	run, err := g.Start(ctx, c, wfOpts(tq, "approve"), S{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []graph.EventKind
	resumed := false
	for ev, err := range run.Stream(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Kind)
		if ev.Kind != graph.EventInterrupt {
			continue
		}
		if len(ev.Interrupts) != 1 || ev.Interrupts[0].Node != "ask" || ev.Interrupts[0].Step != 1 || string(ev.Interrupts[0].Payload) != `{"send":["draft"]}` {
			t.Fatalf("interrupt event %+v", ev.Interrupts)
		}
		st, err := run.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Phase != jt.PhaseInterrupted || st.Step != 1 || len(st.Interrupts) != 1 || st.Interrupts[0].ID != ev.Interrupts[0].ID || !slices.Equal(st.State.Log, []string{"draft"}) {
			t.Fatalf("status while interrupted: %+v", st)
		}
		if err := run.ResumeID(ctx, "not-an-id", true); err == nil || !strings.Contains(err.Error(), `"not-an-id" is not pending`) {
			t.Fatalf("resume of an unknown id: %v", err)
		}
		if err := run.Resume(ctx, true); err != nil {
			t.Fatal(err)
		}
		resumed = true
	}
	if !resumed {
		t.Fatalf("no interrupt seen; events %v", kinds)
	}
	out, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer != "approved=true" {
		t.Fatalf("final %+v", out)
	}
	if calls.Load() != 2 || effects.Load() != 1 {
		t.Fatalf("ask ran %d times with %d effects; want 2 runs and the effect once", calls.Load(), effects.Load())
	}
	if err := run.Resume(ctx, true); err == nil {
		t.Fatal("resume of a finished run succeeded")
	}
}

func TestServerNodeErrorComesBackAsGraphError(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	gb := graph.New[S]()
	gb.AddNode("ok", add("ok"))
	gb.AddNode("bad", func(context.Context, S) (S, error) { return S{}, graph.Retryable(errors.New("disk full")) },
		graph.WithRetry(graph.RetryPolicy{MaxAttempts: 2, InitialInterval: 10 * time.Millisecond}))
	gb.AddEdge(graph.START, "ok").AddEdge("ok", "bad").AddEdge("bad", graph.END)
	cg, _ := gb.Compile()
	g := newGraph(t, cg, "fails", jt.Options{PollInterval: 20 * time.Millisecond})
	tq := startWorker(t, c, g.Register)
	run, err := g.Start(ctx, c, wfOpts(tq, "fails"), S{})
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for _, err := range run.Stream(ctx) {
		last = err
	}
	for _, err := range []error{last, func() error { _, err := run.Result(ctx); return err }()} {
		var ne *graph.NodeError
		if !errors.As(err, &ne) || ne.Node != "bad" || ne.Step != 1 || ne.Attempts != 2 || ne.Err.Error() != "disk full" {
			t.Fatalf("err = %v (%+v), want a *graph.NodeError of bad at step 1 after 2 attempts", err, ne)
		}
	}
	st, err := run.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != jt.PhaseFailed || !strings.Contains(st.Error, "disk full") || !slices.Equal(st.State.Log, []string{"ok"}) {
		t.Fatalf("status %+v", st)
	}
}

func TestServerOnceSurvivesRetries(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	var calls, effects atomic.Int32
	gb := graph.New[S]()
	gb.AddNode("pay", func(ctx context.Context, s S) (S, error) {
		v, err := graph.Once(ctx, "charge", func(context.Context) (int, error) { return int(effects.Add(1)), nil })
		if err != nil {
			return s, err
		}
		if calls.Add(1) < 3 {
			return s, graph.Retryable(errors.New("gateway timeout"))
		}
		s.Count = v
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: 10 * time.Millisecond}))
	gb.AddEdge(graph.START, "pay").AddEdge("pay", graph.END)
	cg, _ := gb.Compile()
	g := newGraph(t, cg, "pay", jt.Options{})
	tq := startWorker(t, c, g.Register)
	out, err := g.Invoke(ctx, c, wfOpts(tq, "pay"), S{})
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || effects.Load() != 1 || out.Count != 1 {
		t.Fatalf("%d attempts, %d charges, count %d; want 3 attempts, 1 charge, count 1", calls.Load(), effects.Load(), out.Count)
	}
}

func TestServerContinueAsNewCarriesThePosition(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	gb := graph.New[S]()
	gb.AddNode("inc", add("inc"))
	gb.AddEdge(graph.START, "inc")
	gb.AddConditionalEdge("inc", func(s S) string {
		if s.Count < 8 {
			return "inc"
		}
		return graph.END
	}, "inc", graph.END)
	cg, _ := gb.Compile()
	g := newGraph(t, cg, "loop", jt.Options{ContinueAsNewEvery: 3})
	tq := startWorker(t, c, g.Register)
	run, err := g.Start(ctx, c, wfOpts(tq, "loop"), S{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := g.Attach(c, run.ID(), "").Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 8 || len(out.Log) != 8 {
		t.Fatalf("final %+v", out)
	}
	// The first execution ended by continuing as new.
	desc, err := c.DescribeWorkflowExecution(ctx, run.ID(), run.RunID())
	if err != nil {
		t.Fatal(err)
	}
	if s := desc.WorkflowExecutionInfo.Status.String(); s != "ContinuedAsNew" {
		t.Fatalf("first execution status %s, want ContinuedAsNew", s)
	}
	st, err := run.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Phase != jt.PhaseDone || st.Step != 8 {
		t.Fatalf("status %+v", st)
	}
}
