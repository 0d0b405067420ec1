package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// fsState is the state of the failure scenarios.
type fsState struct {
	Log []string `reduce:"append"`
	Sum int      `reduce:"sum"`
}

// A panic in one of several parallel nodes becomes a NodeError naming the
// node and the step, carrying a PanicError with the panic value and the
// stack of the panicking function; the siblings are cancelled.
func TestPanicInParallelNodeNamesNodeAndStep(t *testing.T) {
	var siblingCancelled atomic.Bool
	g := graph.New[fsState]().
		AddNode("first", func(_ context.Context, s fsState) (fsState, error) { return s, nil }).
		AddNode("slow", func(ctx context.Context, s fsState) (fsState, error) {
			select {
			case <-ctx.Done():
				siblingCancelled.Store(true)
				return s, ctx.Err()
			case <-time.After(5 * time.Second):
				return s, nil
			}
		}).
		AddNode("boom", func(_ context.Context, s fsState) (fsState, error) {
			var m map[string]int
			m["x"] = 1 // nil map write: a runtime panic
			return s, nil
		}).
		AddEdge(graph.START, "first").
		AddEdge("first", "slow").AddEdge("first", "boom").
		AddEdge("slow", graph.END).AddEdge("boom", graph.END)
	c := ssCompile(t, g)
	start := time.Now()
	_, err := c.Invoke(context.Background(), fsState{})
	if time.Since(start) > 3*time.Second {
		t.Errorf("run took %v: the sibling was not cancelled", time.Since(start))
	}
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Node != "boom" || ne.Step != 1 {
		t.Fatalf("err = %v, want a NodeError of boom at step 1", err)
	}
	var pe *graph.PanicError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a PanicError inside", err)
	}
	if !strings.Contains(pe.Error(), "nil map") || !strings.Contains(string(pe.Stack), "TestPanicInParallelNodeNamesNodeAndStep") {
		t.Errorf("panic %q, stack mentions the node function: %v", pe.Error(), strings.Contains(string(pe.Stack), "TestPanicInParallelNodeNamesNodeAndStep"))
	}
	if !strings.Contains(err.Error(), `"boom"`) || !strings.Contains(err.Error(), "step 1") {
		t.Errorf("message %q should name the node and step", err.Error())
	}
	if !siblingCancelled.Load() {
		t.Errorf("the sibling did not see its context cancelled")
	}
}

// A retried node's failed attempts leave no writes: only the successful
// attempt's append is merged, and a parallel sibling runs once.
func TestRetryInParallelStepWritesOnce(t *testing.T) {
	var attempts, sibling atomic.Int32
	g := graph.New[fsState]().
		AddNode("flaky", func(_ context.Context, s fsState) (fsState, error) {
			n := attempts.Add(1)
			s.Log = append(s.Log, "flaky-attempt")
			s.Sum++
			if n < 3 {
				return s, graph.Retryable(errors.New("transient"))
			}
			return s, nil
		}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: time.Millisecond})).
		AddNode("steady", func(_ context.Context, s fsState) (fsState, error) {
			sibling.Add(1)
			s.Log = append(s.Log, "steady")
			s.Sum += 10
			return s, nil
		}).
		AddEdge(graph.START, "flaky").AddEdge(graph.START, "steady").
		AddEdge("flaky", graph.END).AddEdge("steady", graph.END)
	c := ssCompile(t, g)
	out, err := c.Invoke(context.Background(), fsState{})
	if err != nil {
		t.Fatal(err)
	}
	if attempts.Load() != 3 || sibling.Load() != 1 {
		t.Errorf("flaky attempts %d, steady runs %d, want 3 and 1", attempts.Load(), sibling.Load())
	}
	if !slices.Equal(out.Log, []string{"flaky-attempt", "steady"}) || out.Sum != 11 {
		t.Errorf("Log %v Sum %d, want [flaky-attempt steady] and 11", out.Log, out.Sum)
	}
}

// A policy exhausted reports the number of attempts; an error the default
// filter deems permanent is not retried at all.
func TestRetryExhaustedAndPermanentErrors(t *testing.T) {
	var transient, permanent atomic.Int32
	policy := graph.RetryPolicy{MaxAttempts: 4, InitialInterval: time.Millisecond}
	errPerm := errors.New("bad request")
	g := graph.New[fsState]().
		AddNode("t", func(_ context.Context, s fsState) (fsState, error) {
			transient.Add(1)
			return s, graph.Retryable(errors.New("still down"))
		}, graph.WithRetry(policy)).
		AddEdge(graph.START, "t").AddEdge("t", graph.END)
	_, err := ssCompile(t, g).Invoke(context.Background(), fsState{})
	var ne *graph.NodeError
	if !errors.As(err, &ne) || ne.Attempts != 4 || transient.Load() != 4 {
		t.Errorf("transient: err %v attempts %d calls %d, want 4 and 4", err, ne.Attempts, transient.Load())
	}
	g2 := graph.New[fsState]().
		AddNode("p", func(_ context.Context, s fsState) (fsState, error) {
			permanent.Add(1)
			return s, errPerm
		}, graph.WithRetry(policy)).
		AddEdge(graph.START, "p").AddEdge("p", graph.END)
	_, err = ssCompile(t, g2).Invoke(context.Background(), fsState{})
	if !errors.As(err, &ne) || ne.Attempts != 1 || permanent.Load() != 1 || !errors.Is(err, errPerm) {
		t.Errorf("permanent: err %v calls %d, want one attempt wrapping the cause", err, permanent.Load())
	}
}

// A node timeout fails the attempt with a TimeoutError (ErrTimeout,
// context.DeadlineExceeded), which the default retry filter retries.
func TestTimeoutIsRetriedByDefault(t *testing.T) {
	var calls atomic.Int32
	g := graph.New[fsState]().
		AddNode("slow", func(ctx context.Context, s fsState) (fsState, error) {
			if calls.Add(1) == 1 {
				<-ctx.Done()
				return s, ctx.Err()
			}
			s.Log = append(s.Log, "ok")
			return s, nil
		}, graph.WithTimeout(20*time.Millisecond), graph.WithRetry(graph.RetryPolicy{MaxAttempts: 2, InitialInterval: time.Millisecond})).
		AddEdge(graph.START, "slow").AddEdge("slow", graph.END)
	out, err := ssCompile(t, g).Invoke(context.Background(), fsState{})
	if err != nil || calls.Load() != 2 || !slices.Equal(out.Log, []string{"ok"}) {
		t.Fatalf("err %v calls %d Log %v, want success on the second attempt", err, calls.Load(), out.Log)
	}

	g2 := graph.New[fsState]().
		AddNode("stuck", func(ctx context.Context, s fsState) (fsState, error) {
			<-ctx.Done()
			return s, ctx.Err()
		}, graph.WithTimeout(10*time.Millisecond)).
		AddEdge(graph.START, "stuck").AddEdge("stuck", graph.END)
	_, err = ssCompile(t, g2).Invoke(context.Background(), fsState{})
	var te *graph.TimeoutError
	if !errors.As(err, &te) || te.Node != "stuck" || te.Timeout != 10*time.Millisecond || !errors.Is(err, graph.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a TimeoutError of stuck, 10ms", err)
	}
}

// Cancelling the run's context stops a blocked step promptly with an error
// matching context.Canceled.
func TestCancellationStopsBlockedStep(t *testing.T) {
	started := make(chan struct{})
	g := graph.New[fsState]().
		AddNode("a", func(ctx context.Context, s fsState) (fsState, error) {
			close(started)
			<-ctx.Done()
			return s, ctx.Err()
		}).
		AddNode("b", func(ctx context.Context, s fsState) (fsState, error) {
			<-ctx.Done()
			return s, ctx.Err()
		}).
		AddEdge(graph.START, "a").AddEdge(graph.START, "b").
		AddEdge("a", graph.END).AddEdge("b", graph.END)
	c := ssCompile(t, g)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	done := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, fsState{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("run did not stop after cancellation")
	}
}

// fsSignalStore signals when a task of a given node has its writes saved.
type fsSignalStore struct {
	state.Checkpointer
	node string
	once sync.Once
	ch   chan struct{}
}

func (s *fsSignalStore) PutWrites(ctx context.Context, thread, cp string, w state.TaskWrites) error {
	err := s.Checkpointer.PutWrites(ctx, thread, cp, w)
	if err == nil && w.Node == s.node && !w.Running && len(w.Interrupts) == 0 {
		s.once.Do(func() { close(s.ch) })
	}
	return err
}

// When one node of a step fails after its sibling finished, the sibling's
// writes are kept as pending writes: continuing the thread re-runs only the
// failed node and merges both, as LangGraph's pending writes do.
func TestFailedStepKeepsSiblingWrites(t *testing.T) {
	ctx := context.Background()
	store := &fsSignalStore{Checkpointer: state.NewMemory(), node: "good", ch: make(chan struct{})}
	var goodRuns, badRuns atomic.Int32
	var fail atomic.Bool
	fail.Store(true)
	g := graph.New[fsState]().
		AddNode("good", func(_ context.Context, s fsState) (fsState, error) {
			goodRuns.Add(1)
			s.Log = append(s.Log, "good")
			return s, nil
		}).
		AddNode("bad", func(ctx context.Context, s fsState) (fsState, error) {
			badRuns.Add(1)
			if fail.Load() {
				select {
				case <-store.ch:
				case <-time.After(5 * time.Second):
				}
				return s, errors.New("bad failed")
			}
			s.Log = append(s.Log, "bad")
			return s, nil
		}).
		AddNode("after", func(_ context.Context, s fsState) (fsState, error) {
			s.Log = append(s.Log, "after")
			return s, nil
		}).
		AddEdge(graph.START, "good").AddEdge(graph.START, "bad").
		AddJoin("after", "good", "bad").AddEdge("after", graph.END)
	c := ssCompile(t, g, graph.WithCheckpointer(store))
	if _, err := c.Invoke(ctx, fsState{}, graph.Thread("t")); err == nil || !strings.Contains(err.Error(), "bad failed") {
		t.Fatalf("first run: err %v, want bad's failure", err)
	}
	sn, err := c.State(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if !sn.Failed || len(sn.Tasks) != 2 || !sn.Tasks[0].Done || sn.Tasks[1].Done {
		t.Errorf("snapshot Failed %v Tasks %+v, want failed with good done", sn.Failed, sn.Tasks)
	}
	fail.Store(false)
	out, err := c.Invoke(ctx, fsState{}, graph.Thread("t"))
	if err != nil {
		t.Fatal(err)
	}
	if goodRuns.Load() != 1 || badRuns.Load() != 2 {
		t.Errorf("good ran %d, bad ran %d, want 1 and 2", goodRuns.Load(), badRuns.Load())
	}
	if !slices.Equal(out.Log, []string{"good", "bad", "after"}) {
		t.Errorf("Log %v, want [good bad after]", out.Log)
	}
}

// A Command routes in addition to the node's static edges, its update is
// merged like a node's writes, and a Goto target that was not declared is a
// RouteError marked as coming from a Command.
func TestCommandGotoAddsToEdgesAndChecksTargets(t *testing.T) {
	g := graph.New[fsState]().
		AddCommandNode("cmd", func(_ context.Context, s fsState) (graph.Command[fsState], error) {
			s.Log = append(s.Log, "cmd")
			s.Sum = 7
			return graph.Command[fsState]{State: s, Goto: []string{"x"}}, nil
		}, graph.Goto("x", graph.END)).
		AddNode("static", func(_ context.Context, s fsState) (fsState, error) {
			s.Log = append(s.Log, "static")
			return s, nil
		}).
		AddNode("x", func(_ context.Context, s fsState) (fsState, error) {
			s.Log = append(s.Log, "x")
			return s, nil
		}).
		AddEdge(graph.START, "cmd").AddEdge("cmd", "static").
		AddEdge("static", graph.END).AddEdge("x", graph.END)
	out, err := ssCompile(t, g).Invoke(context.Background(), fsState{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Log, []string{"cmd", "static", "x"}) || out.Sum != 7 {
		t.Errorf("Log %v Sum %d, want [cmd static x] and 7", out.Log, out.Sum)
	}

	bad := graph.New[fsState]().
		AddCommandNode("cmd", func(_ context.Context, s fsState) (graph.Command[fsState], error) {
			return graph.Command[fsState]{State: s, Goto: []string{"y"}}, nil
		}, graph.Goto("x")).
		AddNode("x", func(_ context.Context, s fsState) (fsState, error) { return s, nil }).
		AddNode("y", func(_ context.Context, s fsState) (fsState, error) { return s, nil }).
		AddEdge(graph.START, "cmd").AddEdge(graph.START, "y").
		AddEdge("x", graph.END).AddEdge("y", graph.END)
	_, err = ssCompile(t, bad).Invoke(context.Background(), fsState{})
	var re *graph.RouteError
	if !errors.As(err, &re) || !re.Command || re.From != "cmd" || re.To != "y" || !slices.Equal(re.Declared, []string{"x"}) {
		t.Errorf("err = %v, want a Command RouteError from cmd to y declared [x]", err)
	}
}

// A Command's Send runs the target once per Send with its own input, in
// the next step, beside what the edges pick.
func TestCommandSend(t *testing.T) {
	g := graph.New[fsState]().
		AddCommandNode("cmd", func(_ context.Context, s fsState) (graph.Command[fsState], error) {
			return graph.Command[fsState]{State: s, Send: []graph.Send[fsState]{
				{Node: "w", State: fsState{Sum: 1}}, {Node: "w", State: fsState{Sum: 2}},
			}}, nil
		}, graph.Goto("w")).
		AddNode("w", func(_ context.Context, s fsState) (fsState, error) {
			s.Sum *= 10
			return s, nil
		}).
		AddEdge(graph.START, "cmd").AddEdge("w", graph.END)
	out, err := ssCompile(t, g).Invoke(context.Background(), fsState{Sum: 100})
	if err != nil {
		t.Fatal(err)
	}
	// Each branch adds its change (its own input 1 -> 10, 2 -> 20) onto 100.
	if out.Sum != 100+9+18 {
		t.Errorf("Sum %d, want %d", out.Sum, 100+9+18)
	}
}
