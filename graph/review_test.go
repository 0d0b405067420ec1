package graph_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// Fan-out branches built from one state share its slices' spare capacity;
// each branch's appends must stay its own.
func TestFanOutBranchesDoNotShareSpareCapacity(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("prep", func(_ context.Context, s S) (S, error) {
		s.Log = append(make([]string, 0, 8), "prep")
		return s, nil
	})
	g.AddNode("work", func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, s.Item)
		return s, nil
	})
	g.AddEdge(graph.START, "prep")
	g.AddFanOut("prep", func(s S) []graph.Send[S] {
		var out []graph.Send[S]
		for _, it := range []string{"a", "b", "c"} {
			b := s
			b.Item = it
			out = append(out, graph.Send[S]{Node: "work", State: b})
		}
		return out
	}, "work")
	g.AddEdge("work", graph.END)
	c := mustCompile(t, g)
	out, err := c.Invoke(context.Background(), S{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"prep", "a", "b", "c"}; !slices.Equal(out.Log, want) {
		t.Fatalf("Log = %q, want %q", out.Log, want)
	}
}

// A retried attempt is a new run of the node: its Interrupt calls are
// numbered from the start again, so an answered Interrupt returns its
// answer to every attempt instead of asking again.
func TestRetryReplaysAnsweredInterrupt(t *testing.T) {
	ctx := context.Background()
	var attempts atomic.Int32
	g := graph.New[D]()
	g.AddNode("ask", func(ctx context.Context, s D) (D, error) {
		ans, err := graph.Interrupt[string](ctx, "ok?")
		if err != nil {
			return s, err
		}
		if attempts.Add(1) == 1 {
			return s, graph.Retryable(errors.New("flaky"))
		}
		s.Approved = ans
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: time.Microsecond}))
	g.AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, D{}, graph.Thread("r"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("first run: %v", err)
	}
	out, err := c.Invoke(ctx, D{}, graph.Thread("r"), graph.Resume("yes"))
	if err != nil {
		t.Fatalf("resumed run: %v", err)
	}
	if out.Approved != "yes" || attempts.Load() != 2 {
		t.Fatalf("out %+v after %d attempts", out, attempts.Load())
	}
}

// Resume with FromCheckpoint is refused before anything is saved: the
// thread keeps its pending interrupt and can still be resumed.
func TestForkWithResumeRefusedWithoutSaving(t *testing.T) {
	ctx := context.Background()
	var sent atomic.Int32
	c := approvalGraph(t, state.NewMemory(), &sent)
	_, err := c.Invoke(ctx, D{}, graph.Thread("f"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("first run: %v", err)
	}
	_, err = c.Invoke(ctx, D{}, graph.Thread("f"), graph.FromCheckpoint(ie.CheckpointID), graph.Resume("yes"))
	if err == nil || !strings.Contains(err.Error(), "FromCheckpoint") {
		t.Fatalf("fork with resume: %v", err)
	}
	sn, err := c.State(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	if sn.CheckpointID != ie.CheckpointID || len(sn.Interrupts) != 1 {
		t.Fatalf("latest checkpoint %s with %d interrupts, want %s with 1", sn.CheckpointID, len(sn.Interrupts), ie.CheckpointID)
	}
	out, err := c.Invoke(ctx, D{}, graph.Thread("f"), graph.Resume("yes"))
	if err != nil || out.Approved != "yes" || sent.Load() != 1 {
		t.Fatalf("resume after refused fork: %+v, %v", out, err)
	}
}

// "end" is a keyword of Mermaid flowcharts: a node of that name gets an id
// that is not, and keeps its name as its label.
func TestMermaidNodeNamedEnd(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("end", appendNode("end"))
	g.AddEdge(graph.START, "end").AddEdge("end", graph.END)
	want := `flowchart TD
	__start__([START])
	n_end["end"]
	__end__([END])
	__start__ --> n_end
	n_end --> __end__
`
	if got := mustCompile(t, g).Mermaid(); got != want {
		t.Fatalf("mermaid:\n%s\nwant:\n%s", got, want)
	}
}

// Emit from a goroutine a node left behind, on a context that is never
// cancelled, returns false once the stream is over instead of blocking.
func TestEmitAfterStreamEndsDoesNotBlock(t *testing.T) {
	done := make(chan bool, 1)
	release := make(chan struct{})
	g := graph.New[S]()
	g.AddNode("a", func(ctx context.Context, s S) (S, error) {
		bg := context.WithoutCancel(ctx)
		go func() {
			<-release
			done <- graph.Emit(bg, "late")
		}()
		return s, nil
	})
	g.AddNode("b", appendNode("b"))
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	c := mustCompile(t, g)
	for _, err := range c.Stream(context.Background(), S{}, graph.Only(graph.EventCustom)) {
		if err != nil {
			t.Fatal(err)
		}
	}
	close(release)
	select {
	case ok := <-done:
		if ok {
			t.Fatal("Emit after the stream ended reported success")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Emit after the stream ended blocked")
	}
}

// The step limit bounds one run: a thread that continues turn after turn
// does not run out of steps because of its earlier turns.
func TestStepLimitPerRunOnLongThread(t *testing.T) {
	ctx := context.Background()
	g := graph.New[D]()
	var left []int
	g.AddNode("a", func(ctx context.Context, s D) (D, error) {
		n, _ := graph.StepsLeft(ctx)
		left = append(left, n)
		s.Log = append(s.Log, "a")
		return s, nil
	}).AddNode("b", logNode("b", nil))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithStepLimit(3))
	defer func() {
		if !slices.Equal(left, []int{2, 2, 2, 2}) {
			t.Errorf("StepsLeft in node a, turn by turn: %v", left)
		}
	}()
	for turn := 1; turn <= 4; turn++ {
		out, err := c.Invoke(ctx, D{Count: 1}, graph.Thread("long"))
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		if out.Count != turn || len(out.Log) != 2*turn {
			t.Fatalf("turn %d: %+v", turn, out)
		}
	}
}

// Breakpoints need a checkpointer to pause; without one they are refused,
// not ignored, so a guarded node never runs unguarded.
func TestBreakpointsWithoutCheckpointerRefused(t *testing.T) {
	g := graph.New[D]()
	var sent atomic.Int32
	g.AddNode("send", logNode("send", &sent)).AddEdge(graph.START, "send").AddEdge("send", graph.END)
	_, err := g.Compile(graph.WithInterruptBefore("send"))
	if !errors.Is(err, graph.ErrInvalidGraph) || !strings.Contains(err.Error(), "WithCheckpointer") {
		t.Fatalf("compile with a breakpoint and no checkpointer: %v", err)
	}
	_, err = g.Compile(graph.WithInterruptAfter("send"))
	if !errors.Is(err, graph.ErrInvalidGraph) || !strings.Contains(err.Error(), "WithCheckpointer") {
		t.Fatalf("compile with a breakpoint after and no checkpointer: %v", err)
	}
	c := mustCompile(t, g)
	for _, opt := range []graph.RunOption{graph.BreakBefore("send"), graph.BreakAfter("send")} {
		if _, err := c.Invoke(context.Background(), D{}, opt); err == nil || !strings.Contains(err.Error(), "WithCheckpointer") {
			t.Fatalf("run with a breakpoint and no checkpointer: %v", err)
		}
	}
	if sent.Load() != 0 {
		t.Fatalf("the guarded node ran %d times", sent.Load())
	}
}
