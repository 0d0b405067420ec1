package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// stepDrive runs c to the end through its Stepper the way a workflow
// driver would: tasks one at a time, attempts retried while TaskError.Retry
// says so, Once results carried between attempts, interrupts answered from
// answer (by node name) and the task run again. It returns the final state
// and the interrupts seen.
func stepDrive[T any](t *testing.T, c *graph.Compiled[T], in T, answer func(p graph.Pending) any) (T, []graph.Pending, error) {
	t.Helper()
	var zero T
	st, err := c.Stepper()
	if err != nil {
		t.Fatal(err)
	}
	enc, err := st.Encode(in)
	if err != nil {
		t.Fatal(err)
	}
	pos, err := st.Start(enc, 0)
	if err != nil {
		return zero, nil, err
	}
	var seen []graph.Pending
	for !pos.Done() {
		results := make([]graph.TaskResult, len(pos.Tasks))
		for i := range pos.Tasks {
			req := st.Request("run-1", &pos, i)
			for attempt := 1; ; attempt++ {
				req.Attempt = attempt
				res, err := st.RunTask(context.Background(), req)
				req.Memos = res.Memos
				var te *graph.TaskError
				if errors.As(err, &te) && te.Retry {
					continue
				}
				if err != nil {
					return zero, seen, err
				}
				if res.Interrupt != nil {
					seen = append(seen, *res.Interrupt)
					if answer == nil {
						return zero, seen, fmt.Errorf("unanswered interrupt %s", res.Interrupt.ID)
					}
					b, _ := json.Marshal(answer(*res.Interrupt))
					if req.Answers == nil {
						req.Answers = map[string]json.RawMessage{}
					}
					req.Answers[res.Interrupt.ID] = b
					attempt = 0
					continue
				}
				results[i] = res
				break
			}
		}
		// The position survives an encoding round trip, as in a workflow's
		// history.
		b, err := json.Marshal(pos)
		if err != nil {
			t.Fatal(err)
		}
		var back graph.StepState
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if pos, err = st.Next(back, results); err != nil {
			return zero, seen, err
		}
	}
	out, err := st.Decode(pos.State)
	if err != nil {
		t.Fatal(err)
	}
	return out, seen, nil
}

func sameAsInvoke[T any](t *testing.T, c *graph.Compiled[T], in T) T {
	t.Helper()
	want, werr := c.Invoke(context.Background(), in)
	got, _, gerr := stepDrive(t, c, in, nil)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("Invoke error %v, stepped error %v", werr, gerr)
	}
	if werr != nil {
		if werr.Error() != gerr.Error() {
			t.Fatalf("Invoke error %q, stepped error %q", werr, gerr)
		}
		return got
	}
	if !reflect.DeepEqual(want, got) {
		t.Fatalf("stepped run ended in %+v, Invoke in %+v", got, want)
	}
	return got
}

func TestStepperMatchesInvokeOnLinearAndLoop(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("inc", func(_ context.Context, s S) (S, error) { s.Count++; s.Log = append(s.Log, "inc"); return s, nil })
	g.AddNode("done", appendNode("done"))
	g.AddEdge(graph.START, "inc")
	g.AddConditionalEdge("inc", func(s S) string {
		if s.Count < 4 {
			return "inc"
		}
		return "done"
	}, "inc", "done")
	g.AddEdge("done", graph.END)
	out := sameAsInvoke(t, mustCompile(t, g), S{Log: []string{"in"}})
	if want := []string{"in", "inc", "inc", "inc", "inc", "done"}; !slices.Equal(out.Log, want) || out.Count != 4 {
		t.Fatalf("got %+v", out)
	}
}

func TestStepperMergesParallelWritesInInvokeOrder(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, "a")
		s.Count += 1
		s.Tags = map[string]int{"a": 1}
		return s, nil
	})
	g.AddNode("b", func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, "b1", "b2")
		s.Count += 10
		s.Tags = map[string]int{"b": 2}
		return s, nil
	})
	g.AddNode("join", func(_ context.Context, s S) (S, error) {
		s.Answer = strings.Join(s.Log, ",")
		return s, nil
	})
	g.AddEdge(graph.START, "b").AddEdge(graph.START, "a")
	g.AddJoin("join", "a", "b")
	g.AddEdge("join", graph.END)
	// the first step's writes merge in declaration order (a, then b),
	// not in the order the START edges were added
	out := sameAsInvoke(t, mustCompile(t, g), S{Count: 100})
	if out.Answer != "a,b1,b2" || out.Count != 111 || out.Tags["a"] != 1 || out.Tags["b"] != 2 {
		t.Fatalf("got %+v", out)
	}
}

func TestStepperFanOutAndJoinAcrossSteps(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("split", func(_ context.Context, s S) (S, error) { return s, nil })
	g.AddNode("work", func(_ context.Context, s S) (S, error) {
		s.Log = []string{"did " + s.Item}
		s.Count = len(s.Item)
		return s, nil
	})
	g.AddNode("slow1", appendNode("slow1"))
	g.AddNode("slow2", appendNode("slow2"))
	g.AddNode("total", func(_ context.Context, s S) (S, error) { s.Answer = fmt.Sprint(s.Count); return s, nil })
	g.AddEdge(graph.START, "split").AddEdge(graph.START, "slow1")
	g.AddEdge("slow1", "slow2")
	g.AddFanOut("split", func(s S) []graph.Send[S] {
		var out []graph.Send[S]
		for _, it := range []string{"x", "yy", "zzz"} {
			out = append(out, graph.Send[S]{Node: "work", State: S{Item: it}})
		}
		return out
	}, "work")
	g.AddJoin("total", "work", "slow2")
	g.AddEdge("total", graph.END)
	out := sameAsInvoke(t, mustCompile(t, g), S{})
	if out.Answer != "6" {
		t.Fatalf("got %+v", out)
	}
}

func TestStepperReportsRouteMergeAndStepLimitErrorsAsInvoke(t *testing.T) {
	t.Run("route", func(t *testing.T) {
		g := graph.New[S]()
		g.AddNode("a", appendNode("a"))
		g.AddEdge(graph.START, "a")
		g.AddConditionalEdge("a", func(S) string { return "nowhere" }, graph.END)
		sameAsInvoke(t, mustCompile(t, g), S{})
		_, _, err := stepDrive(t, mustCompile(t, g), S{}, nil)
		var re *graph.RouteError
		if !errors.As(err, &re) || re.To != "nowhere" {
			t.Fatalf("err = %v, want a *RouteError to nowhere", err)
		}
	})
	t.Run("merge", func(t *testing.T) {
		g := graph.New[S]()
		g.AddNode("a", func(_ context.Context, s S) (S, error) { s.Answer = "a"; return s, nil })
		g.AddNode("b", func(_ context.Context, s S) (S, error) { s.Answer = "b"; return s, nil })
		g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
		_, _, err := stepDrive(t, mustCompile(t, g), S{}, nil)
		var me *graph.MergeError
		if !errors.As(err, &me) {
			t.Fatalf("err = %v, want a *MergeError", err)
		}
		sameAsInvoke(t, mustCompile(t, g), S{})
	})
	t.Run("limit", func(t *testing.T) {
		g := graph.New[S]()
		g.AddNode("a", appendNode("a"))
		g.AddEdge(graph.START, "a")
		g.AddConditionalEdge("a", func(S) string { return "a" }, "a", graph.END)
		c := mustCompile(t, g, graph.WithStepLimit(5))
		_, _, err := stepDrive(t, c, S{}, nil)
		var le *graph.StepLimitError
		if !errors.As(err, &le) || le.Limit != 5 {
			t.Fatalf("err = %v, want a *StepLimitError of 5", err)
		}
		sameAsInvoke(t, c, S{})
	})
}

func TestStepperRetryFollowsThePolicyAndKeepsOnceResults(t *testing.T) {
	var effects, calls atomic.Int32
	g := graph.New[S]()
	g.AddNode("flaky", func(ctx context.Context, s S) (S, error) {
		v, err := graph.Once(ctx, "charge", func(context.Context) (int, error) { return int(effects.Add(1)), nil })
		if err != nil {
			return s, err
		}
		if calls.Add(1) < 3 {
			return s, graph.Retryable(errors.New("transient"))
		}
		s.Count = v
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3}))
	g.AddEdge(graph.START, "flaky").AddEdge("flaky", graph.END)
	out, _, err := stepDrive(t, mustCompile(t, g), S{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || effects.Load() != 1 || out.Count != 1 {
		t.Fatalf("calls %d, effects %d, count %d; want 3, 1, 1", calls.Load(), effects.Load(), out.Count)
	}

	st, _ := mustCompile(t, g).Stepper()
	calls.Store(0)
	req := graph.TaskRequest{Run: "r", Node: "flaky", Input: json.RawMessage(`{}`), Attempt: 3}
	_, err = st.RunTask(context.Background(), req)
	var te *graph.TaskError
	if !errors.As(err, &te) || te.Retry || te.Attempt != 3 || te.Node != "flaky" {
		t.Fatalf("third failed attempt: %v (%+v), want a final *TaskError", err, te)
	}
	req.Attempt = 1
	_, err = st.RunTask(context.Background(), req)
	if !errors.As(err, &te) || !te.Retry || te.Backoff <= 0 {
		t.Fatalf("first failed attempt: %v, want a retried *TaskError with a backoff", err)
	}
}

func TestStepperPanicsAreFinal(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("boom", func(context.Context, S) (S, error) { panic("kaput") }, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 5}))
	g.AddEdge(graph.START, "boom").AddEdge("boom", graph.END)
	st, _ := mustCompile(t, g).Stepper()
	_, err := st.RunTask(context.Background(), graph.TaskRequest{Node: "boom", Input: json.RawMessage(`{}`), Attempt: 1})
	var te *graph.TaskError
	var pe *graph.PanicError
	if !errors.As(err, &te) || te.Retry || !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a final *TaskError wrapping a *PanicError", err)
	}
}

func TestStepperInterruptIsAResultAndTheAnswerResumesTheTask(t *testing.T) {
	var effects atomic.Int32
	g := graph.New[S]()
	g.AddNode("ask", func(ctx context.Context, s S) (S, error) {
		if _, err := graph.Once(ctx, "draft", func(context.Context) (int, error) { return int(effects.Add(1)), nil }); err != nil {
			return s, err
		}
		name, err := graph.Interrupt[string](ctx, map[string]string{"question": "name?"})
		if err != nil {
			return s, err
		}
		s.Answer = "hello " + name
		return s, nil
	})
	g.AddNode("other", appendNode("other"))
	g.AddEdge(graph.START, "ask").AddEdge(graph.START, "other").AddEdge("ask", graph.END).AddEdge("other", graph.END)
	c := mustCompile(t, g)
	out, seen, err := stepDrive(t, c, S{}, func(p graph.Pending) any { return "ada" })
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer != "hello ada" || !slices.Equal(out.Log, []string{"other"}) {
		t.Fatalf("got %+v", out)
	}
	if len(seen) != 1 || seen[0].Node != "ask" || seen[0].Kind != graph.InterruptNode || string(seen[0].Payload) != `{"question":"name?"}` {
		t.Fatalf("interrupts %+v", seen)
	}
	if effects.Load() != 1 {
		t.Fatalf("the Once effect ran %d times, want 1", effects.Load())
	}
	// The interrupt id is stable: the same run, step and task give it again.
	st, _ := c.Stepper()
	res, err := st.RunTask(context.Background(), graph.TaskRequest{Run: "run-1", Node: "ask", Input: json.RawMessage(`{}`)})
	if err != nil || res.Interrupt == nil || res.Interrupt.ID != seen[0].ID {
		t.Fatalf("re-run: %+v, %v; want interrupt %s again", res, err, seen[0].ID)
	}
	// Next refuses an interrupted result.
	pos, _ := st.Start(json.RawMessage(`{}`), 0)
	if _, err := st.Next(pos, []graph.TaskResult{res, {}}); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("Next with an interrupted task: %v", err)
	}
}

func TestStepperSaveMemosIsCalledBeforeOnceReturns(t *testing.T) {
	g := graph.New[S]()
	var saved [][]state.Memo
	g.AddNode("a", func(ctx context.Context, s S) (S, error) {
		if _, err := graph.Once(ctx, "one", func(context.Context) (string, error) { return "x", nil }); err != nil {
			return s, err
		}
		if len(saved) != 1 {
			return s, fmt.Errorf("saved %d times before Once returned", len(saved))
		}
		return s, nil
	})
	g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	st, _ := mustCompile(t, g).Stepper()
	res, err := st.RunTask(context.Background(), graph.TaskRequest{Node: "a", Input: json.RawMessage(`{}`),
		SaveMemos: func(m []state.Memo) error { saved = append(saved, m); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Memos) != 1 || string(res.Memos[0].Value) != `"x"` || !strings.HasSuffix(res.Memos[0].Key, "/one") {
		t.Fatalf("memos %+v", res.Memos)
	}
}

func TestStepperRejectsBadInput(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", appendNode("a"))
	g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	st, _ := mustCompile(t, g).Stepper()
	if _, err := st.Start(json.RawMessage(`{"Count":"x"}`), 0); err == nil || !strings.Contains(err.Error(), "run input") {
		t.Fatalf("Start with bad input: %v", err)
	}
	if _, err := st.RunTask(context.Background(), graph.TaskRequest{Node: "zz", Input: json.RawMessage(`{}`)}); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("RunTask of an unknown node: %v", err)
	}
	pos, _ := st.Start(json.RawMessage(`{}`), 0)
	if _, err := st.Next(pos, nil); err == nil || !strings.Contains(err.Error(), "1 tasks, got 0 results") {
		t.Fatalf("Next with no results: %v", err)
	}

	type bad struct{ F func() }
	bg := graph.New[bad]()
	bg.AddNode("a", func(_ context.Context, s bad) (bad, error) { return s, nil })
	bg.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	bc, err := bg.Compile()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bc.Stepper(); err == nil || !strings.Contains(err.Error(), "bad.F") {
		t.Fatalf("Stepper of an unencodable state: %v", err)
	}
}

// A Command's goto (END included) and Send fan-out, with each branch's own
// input, travel in TaskResult and route the stepped run as Invoke routes.
func TestStepperCarriesCommandsAsInvoke(t *testing.T) {
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
	c := mustCompile(t, g)
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"", []string{"pick", "x"}},
		{"both", []string{"pick", "xboth", "y"}},
		{"send", []string{"pick", "x1", "x2"}},
		{"end", []string{"pick"}},
		{"bad", nil},
	} {
		out := sameAsInvoke(t, c, R{Hello: tc.in})
		if tc.want != nil && !slices.Equal(out.Log, tc.want) {
			t.Fatalf("%q: %v, want %v", tc.in, out.Log, tc.want)
		}
	}
	// The routing is in the result, encoded.
	st, _ := c.Stepper()
	enc, _ := st.Encode(R{Hello: "send"})
	pos, err := st.Start(enc, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.RunTask(context.Background(), st.Request("r", &pos, 0))
	if err != nil || len(res.Send) != 2 || res.Send[0].Node != "x" || !strings.Contains(string(res.Send[1].Input), `"2"`) {
		t.Fatalf("result %+v %v", res, err)
	}
	next, err := st.Next(pos, []graph.TaskResult{res})
	if err != nil || len(next.Tasks) != 2 || next.Tasks[0].Node != "x" || len(next.Tasks[0].Input) == 0 {
		t.Fatalf("next %+v %v", next, err)
	}
}

// A MarkWritten mark makes an unchanged value a write in Next's merge, as
// in Invoke: two parallel nodes setting Hello to its value conflict.
func TestStepperCarriesMarkWritten(t *testing.T) {
	set := func(ctx context.Context, s R) (R, error) {
		s.Hello = "world"
		return s, graph.MarkWritten(ctx, "Hello")
	}
	g := graph.New[R]()
	g.AddNode("a", set).AddNode("b", set)
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "b").AddEdge("a", graph.END).AddEdge("b", graph.END)
	c := mustCompile(t, g)
	_, _, err := stepDrive(t, c, R{Hello: "world"}, nil)
	var ce *state.ConflictError
	if !errors.As(err, &ce) || ce.Field != "Hello" {
		t.Fatalf("err %v, want a conflict on Hello", err)
	}
	st, _ := c.Stepper()
	enc, _ := st.Encode(R{Hello: "world"})
	pos, _ := st.Start(enc, 0)
	res, err := st.RunTask(context.Background(), st.Request("r", &pos, 0))
	if err != nil || !slices.Equal(st.Written(res), []string{"Hello"}) {
		t.Fatalf("written %v %v", st.Written(res), err)
	}
}

// Emit and EmitToken reach OnEvent in order, for the kinds asked, and
// Listening says so; without OnEvent they do nothing.
func TestStepperHandsNodeEventsToOnEvent(t *testing.T) {
	g := graph.New[R]()
	g.AddNode("talk", func(ctx context.Context, s R) (R, error) {
		if graph.Listening(ctx, graph.EventToken) {
			s.Log = append(s.Log, "listening")
		}
		graph.Emit(ctx, map[string]int{"n": 1})
		graph.EmitToken(ctx, "he")
		graph.EmitToken(ctx, "llo")
		return s, nil
	})
	g.AddEdge(graph.START, "talk").AddEdge("talk", graph.END)
	c := mustCompile(t, g)
	st, _ := c.Stepper()
	enc, _ := st.Encode(R{})
	pos, _ := st.Start(enc, 0)
	for _, kinds := range []graph.EventKind{graph.EventCustom | graph.EventToken, graph.EventToken, 0} {
		var got []string
		req := st.Request("r", &pos, 0)
		req.Events = kinds
		req.OnEvent = func(ev graph.NodeEvent) bool {
			got = append(got, fmt.Sprintf("%v %s %d %d %v %q", ev.Kind, ev.Node, ev.Step, ev.Task, ev.Payload, ev.Token))
			return true
		}
		res, err := st.RunTask(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		if kinds&graph.EventCustom != 0 {
			want = append(want, `custom talk 0 0 map[n:1] ""`)
		}
		if kinds&graph.EventToken != 0 {
			want = append(want, `token talk 0 0 <nil> "he"`, `token talk 0 0 <nil> "llo"`)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("kinds %v: events %q, want %q", kinds, got, want)
		}
		if listened := strings.Contains(string(res.Writes), "listening"); listened != (kinds&graph.EventToken != 0) {
			t.Fatalf("kinds %v: writes %s", kinds, res.Writes)
		}
	}
}

// BreaksBefore and BreaksAfter report the compiled breakpoints and a run's
// own, once per node, with stable ids; an unknown name is an error.
func TestStepperReportsBreakpoints(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("a", appendNode("a")).AddNode("b", appendNode("b")).AddNode("c", appendNode("c"))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("a", "c").AddEdge("b", graph.END).AddEdge("c", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptBefore("b"), graph.WithInterruptAfter("a"))
	st, _ := c.Stepper()
	enc, _ := st.Encode(S{})
	pos, _ := st.Start(enc, 0)
	if br, err := st.BreaksBefore("r", &pos); err != nil || len(br) != 0 {
		t.Fatalf("before a: %v %v", br, err)
	}
	res, err := st.RunTask(context.Background(), st.Request("r", &pos, 0))
	if err != nil {
		t.Fatal(err)
	}
	next, err := st.Next(pos, []graph.TaskResult{res})
	if err != nil {
		t.Fatal(err)
	}
	after, err := st.BreaksAfter("r", &pos, &next)
	if err != nil || len(after) != 1 || after[0].Kind != graph.InterruptAfter || after[0].Node != "a" || after[0].Step != 1 || after[0].ID == "" {
		t.Fatalf("after a: %+v %v", after, err)
	}
	again, _ := st.BreaksAfter("r", &pos, &next)
	if again[0].ID != after[0].ID {
		t.Fatalf("ids differ: %s %s", again[0].ID, after[0].ID)
	}
	before, err := st.BreaksBefore("r", &next, "c", "b")
	if err != nil || len(before) != 2 || before[0].Node != "b" || before[1].Node != "c" || before[0].Kind != graph.InterruptBefore || before[0].ID == after[0].ID {
		t.Fatalf("before b, c: %+v %v", before, err)
	}
	if _, err := st.BreaksBefore("r", &next, "zz"); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("unknown node: %v", err)
	}
	// a pause after the last step too, as Invoke pauses after a last node
	done := graph.StepState{Step: 2}
	if br, err := st.BreaksAfter("r", &next, &done, "b"); err != nil || len(br) != 1 || br[0].Node != "b" || br[0].Kind != graph.InterruptAfter || br[0].Step != 2 {
		t.Fatalf("after the last step: %+v %v", br, err)
	}
}
