package temporal_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdktemporal "go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/jedisos/jedisos/graph"
	jt "github.com/jedisos/jedisos/temporal"
)

// S is the state of the test graphs.
type S struct {
	Log    []string `reduce:"append"`
	Count  int      `reduce:"sum"`
	Answer string
}

func add(name string) graph.NodeFunc[S] {
	return func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, name)
		s.Count++
		return s, nil
	}
}

// diamond: a, then b and c in parallel, then d.
func diamond(t testing.TB) *graph.Compiled[S] {
	g := graph.New[S]()
	g.AddNode("a", add("a")).AddNode("b", add("b")).AddNode("c", add("c")).AddNode("d", add("d"))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("a", "c").AddJoin("d", "b", "c").AddEdge("d", graph.END)
	c, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newGraph[T any](t testing.TB, c *graph.Compiled[T], name string, opts jt.Options) *jt.Graph[T] {
	t.Helper()
	g, err := jt.New(c, name, opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func result[T any](t *testing.T, env *testsuite.TestWorkflowEnvironment, g *jt.Graph[T]) (T, error) {
	t.Helper()
	var zero T
	if !env.IsWorkflowCompleted() {
		t.Fatal("the workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return zero, err
	}
	var raw json.RawMessage
	if err := env.GetWorkflowResult(&raw); err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func TestSuiteRunsTheGraphAsInvokeDoes(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet{})
	env := ts.NewTestWorkflowEnvironment()
	c := diamond(t)
	g := newGraph(t, c, "diamond", jt.Options{})
	g.Register(env)
	var started []string
	env.SetOnActivityStartedListener(func(info *activityInfo, _ context.Context, args encodedValues) {
		var req graph.TaskRequest
		if err := args.Get(&req); err != nil {
			t.Error(err)
		}
		started = append(started, req.Node)
	})
	in, err := g.Input(S{Log: []string{"in"}})
	if err != nil {
		t.Fatal(err)
	}
	env.ExecuteWorkflow(g.Name(), in)
	out, err := result(t, env, g)
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.Invoke(context.Background(), S{Log: []string{"in"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, want.Log) || out.Count != want.Count {
		t.Fatalf("workflow ended in %+v, Invoke in %+v", out, want)
	}
	if want := []string{"in", "a", "b", "c", "d"}; !slices.Equal(out.Log, want) {
		t.Fatalf("log %v, want %v", out.Log, want)
	}
	slices.Sort(started[1:3])
	if want := []string{"a", "b", "c", "d"}; !slices.Equal(started, want) {
		t.Fatalf("activities %v, want one per node %v", started, want)
	}
}

func TestSuiteInterruptWaitsForTheResumeUpdate(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet{})
	env := ts.NewTestWorkflowEnvironment()
	var effects, calls atomic.Int32
	gb := graph.New[S]()
	gb.AddNode("ask", func(ctx context.Context, s S) (S, error) {
		calls.Add(1)
		if _, err := graph.Once(ctx, "draft", func(context.Context) (int, error) { return int(effects.Add(1)), nil }); err != nil {
			return s, err
		}
		name, err := graph.Interrupt[string](ctx, "who?")
		if err != nil {
			return s, err
		}
		s.Answer = "hi " + name
		return s, nil
	})
	gb.AddNode("side", add("side"))
	gb.AddEdge(graph.START, "ask").AddEdge(graph.START, "side").AddEdge("ask", graph.END).AddEdge("side", graph.END)
	c, err := gb.Compile()
	if err != nil {
		t.Fatal(err)
	}
	g := newGraph(t, c, "ask", jt.Options{})
	g.Register(env)

	var pendingID string
	var rejected error
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(jt.QueryStatus, -1)
		if err != nil {
			t.Error(err)
			return
		}
		var p struct {
			Phase      jt.Phase
			Interrupts []graph.Pending
		}
		if err := v.Get(&p); err != nil {
			t.Error(err)
			return
		}
		if p.Phase != jt.PhaseInterrupted || len(p.Interrupts) != 1 || p.Interrupts[0].Node != "ask" || string(p.Interrupts[0].Payload) != `"who?"` {
			t.Errorf("status while waiting: %+v", p)
			return
		}
		pendingID = p.Interrupts[0].ID
		env.UpdateWorkflow(jt.UpdateResume, "bad", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { rejected = err },
			OnAccept:   func() { t.Error("an answer to an unknown interrupt was accepted") },
			OnComplete: func(any, error) {},
		}, map[string]json.RawMessage{"nope": json.RawMessage(`"x"`)})
		env.UpdateWorkflow(jt.UpdateResume, "good", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { t.Errorf("resume rejected: %v", err) },
			OnAccept:   func() {},
			OnComplete: func(any, error) {},
		}, map[string]json.RawMessage{pendingID: json.RawMessage(`"ada"`)})
	}, time.Minute)
	in, _ := g.Input(S{})
	env.ExecuteWorkflow(g.Name(), in)
	out, err := result(t, env, g)
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer != "hi ada" || !slices.Equal(out.Log, []string{"side"}) {
		t.Fatalf("got %+v", out)
	}
	if rejected == nil || !strings.Contains(rejected.Error(), `"nope" is not pending`) {
		t.Fatalf("the bad answer was rejected with %v", rejected)
	}
	if calls.Load() != 2 || effects.Load() != 1 {
		t.Fatalf("ask ran %d times with %d effects; want 2 runs, 1 effect (Once result carried to the re-run)", calls.Load(), effects.Load())
	}
}

func TestSuiteRetryPolicyBecomesActivityRetries(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(quiet{})
	env := ts.NewTestWorkflowEnvironment()
	var calls, effects atomic.Int32
	gb := graph.New[S]()
	gb.AddNode("flaky", func(ctx context.Context, s S) (S, error) {
		if _, err := graph.Once(ctx, "pay", func(context.Context) (int, error) { return int(effects.Add(1)), nil }); err != nil {
			return s, err
		}
		if calls.Add(1) < 3 {
			return s, graph.Retryable(errors.New("try again"))
		}
		s.Answer = "ok"
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: 10 * time.Millisecond}))
	gb.AddEdge(graph.START, "flaky").AddEdge("flaky", graph.END)
	c, _ := gb.Compile()
	g := newGraph(t, c, "flaky", jt.Options{})
	g.Register(env)
	in, _ := g.Input(S{})
	env.ExecuteWorkflow(g.Name(), in)
	out, err := result(t, env, g)
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer != "ok" || calls.Load() != 3 {
		t.Fatalf("got %+v after %d calls, want ok after 3", out, calls.Load())
	}
	// The test environment drops heartbeat details between attempts, so
	// Once's carry-over across retries is checked against the real server
	// (TestServerOnceSurvivesRetries).
	_ = effects.Load()
}

func TestSuiteNodeFailureEndsTheRunWithTheNodeError(t *testing.T) {
	for _, tc := range []struct {
		name     string
		fn       graph.NodeFunc[S]
		opts     []graph.NodeOption
		calls    int32
		attempts int
		msg      string
	}{
		{"no policy", func(context.Context, S) (S, error) { return S{}, errors.New("broken") }, nil, 1, 1, "broken"},
		{"policy runs out", func(context.Context, S) (S, error) { return S{}, graph.Retryable(errors.New("still broken")) },
			[]graph.NodeOption{graph.WithRetry(graph.RetryPolicy{MaxAttempts: 2, InitialInterval: time.Millisecond})}, 2, 2, "still broken"},
		{"RetryIf refuses", func(context.Context, S) (S, error) { return S{}, errors.New("fatal: no") },
			[]graph.NodeOption{graph.WithRetry(graph.RetryPolicy{MaxAttempts: 5, RetryIf: func(err error) bool { return !strings.HasPrefix(err.Error(), "fatal") }})}, 1, 1, "fatal: no"},
		{"panic", func(context.Context, S) (S, error) { panic("kaput") },
			[]graph.NodeOption{graph.WithRetry(graph.RetryPolicy{MaxAttempts: 5})}, 1, 1, "kaput"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ts testsuite.WorkflowTestSuite
			ts.SetLogger(quiet{})
			env := ts.NewTestWorkflowEnvironment()
			var calls atomic.Int32
			gb := graph.New[S]()
			gb.AddNode("ok", add("ok"))
			gb.AddNode("bad", func(ctx context.Context, s S) (S, error) { calls.Add(1); return tc.fn(ctx, s) }, tc.opts...)
			gb.AddEdge(graph.START, "ok").AddEdge("ok", "bad").AddEdge("bad", graph.END)
			c, _ := gb.Compile()
			g := newGraph(t, c, "bad", jt.Options{})
			g.Register(env)
			in, _ := g.Input(S{})
			env.ExecuteWorkflow(g.Name(), in)
			_, err := result(t, env, g)
			var app *sdktemporal.ApplicationError
			if !errors.As(err, &app) || app.Type() != jt.ErrTypeNode || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want a %s naming %q", err, jt.ErrTypeNode, tc.msg)
			}
			if calls.Load() != tc.calls {
				t.Fatalf("node ran %d times, want %d", calls.Load(), tc.calls)
			}
		})
	}
}

func TestSuiteTimeoutAndStepLimit(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		var ts testsuite.WorkflowTestSuite
		ts.SetLogger(quiet{})
		env := ts.NewTestWorkflowEnvironment()
		gb := graph.New[S]()
		gb.AddNode("slow", func(ctx context.Context, s S) (S, error) {
			<-ctx.Done()
			return s, ctx.Err()
		}, graph.WithTimeout(20*time.Millisecond))
		gb.AddEdge(graph.START, "slow").AddEdge("slow", graph.END)
		c, _ := gb.Compile()
		g := newGraph(t, c, "slow", jt.Options{})
		g.Register(env)
		in, _ := g.Input(S{})
		env.ExecuteWorkflow(g.Name(), in)
		_, err := result(t, env, g)
		if err == nil || !strings.Contains(err.Error(), "exceeded its timeout of 20ms") {
			t.Fatalf("err = %v, want the node's timeout", err)
		}
	})
	t.Run("step limit", func(t *testing.T) {
		var ts testsuite.WorkflowTestSuite
		ts.SetLogger(quiet{})
		env := ts.NewTestWorkflowEnvironment()
		gb := graph.New[S]()
		gb.AddNode("loop", add("loop"))
		gb.AddEdge(graph.START, "loop")
		gb.AddConditionalEdge("loop", func(S) string { return "loop" }, "loop", graph.END)
		c, _ := gb.Compile()
		g := newGraph(t, c, "loop", jt.Options{})
		g.Register(env)
		in, _ := g.Input(S{}, jt.StepLimit(4))
		env.ExecuteWorkflow(g.Name(), in)
		_, err := result(t, env, g)
		var app *sdktemporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != jt.ErrTypeStepLimit {
			t.Fatalf("err = %v, want a %s", err, jt.ErrTypeStepLimit)
		}
	})
}

func TestNewRejectsBadOptions(t *testing.T) {
	c := diamond(t)
	if _, err := jt.New(c, "", jt.Options{}); err == nil || !strings.Contains(err.Error(), "name is empty") {
		t.Fatalf("empty name: %v", err)
	}
	if _, err := jt.New(c, "x", jt.Options{HeartbeatTimeout: -1, MaxAttempts: -2}); err == nil || !strings.Contains(err.Error(), "HeartbeatTimeout is negative") || !strings.Contains(err.Error(), "MaxAttempts is negative") {
		t.Fatalf("bad options: %v", err)
	}
	if _, err := jt.New[S](nil, "x", jt.Options{}); err == nil {
		t.Fatal("nil graph accepted")
	}
}
