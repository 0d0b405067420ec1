package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type D struct {
	Log      []string `reduce:"append"`
	Count    int      `reduce:"sum"`
	Approved string
}

func logNode(name string, calls *atomic.Int32) graph.NodeFunc[D] {
	return func(_ context.Context, s D) (D, error) {
		if calls != nil {
			calls.Add(1)
		}
		s.Log = append(s.Log, name)
		return s, nil
	}
}

func chain(t *testing.T, cp state.Checkpointer, opts ...graph.CompileOption) *graph.Compiled[D] {
	g := graph.New[D]()
	g.AddNode("a", logNode("a", nil)).AddNode("b", logNode("b", nil)).AddNode("c", logNode("c", nil))
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", graph.END)
	return mustCompile(t, g, append([]graph.CompileOption{graph.WithCheckpointer(cp)}, opts...)...)
}

func TestCheckpointEveryStep(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	c := chain(t, mem)
	var cps []string
	for ev, err := range c.Stream(ctx, D{Log: []string{"in"}}, graph.Thread("t1"), graph.Only(graph.EventCheckpoint)) {
		if err != nil {
			t.Fatal(err)
		}
		cps = append(cps, ev.Checkpoint)
	}
	if len(cps) != 4 {
		t.Fatalf("checkpoint events %v, want 4 (input + 3 steps)", cps)
	}
	hist, err := c.History(ctx, "t1", graph.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, sn := range hist {
		got = append(got, fmt.Sprintf("%d %s %v next=%v writes=%d", sn.Step, sn.Source, sn.State.Log, sn.Next, len(sn.Writes)))
		if sn.CheckpointID != cps[len(cps)-1-i] {
			t.Fatalf("history %d is %s, want %s", i, sn.CheckpointID, cps[len(cps)-1-i])
		}
		if i+1 < len(hist) && sn.ParentID != hist[i+1].CheckpointID {
			t.Fatalf("parent of %s = %s, want %s", sn.CheckpointID, sn.ParentID, hist[i+1].CheckpointID)
		}
		if sn.CreatedAt.IsZero() {
			t.Fatal("no timestamp")
		}
	}
	want := []string{
		"3 loop [in a b c] next=[] writes=0",
		"2 loop [in a b] next=[c] writes=1",
		"1 loop [in a] next=[b] writes=1",
		"0 input [in] next=[a] writes=1",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("history:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if w := hist[1].Writes[0]; w.Node != "c" || !slices.Equal(w.Fields, []string{"Log"}) || string(w.Data) != `{"append":{"Log":["c"]}}` {
		t.Fatalf("writes of step 2: %+v (%s)", w, w.Data)
	}
	lim, _ := c.History(ctx, "t1", graph.HistoryOptions{Limit: 2, Before: cps[3]})
	if len(lim) != 2 || lim[0].CheckpointID != cps[2] || lim[1].CheckpointID != cps[1] {
		t.Fatalf("limit/before: %d", len(lim))
	}
	inputs, _ := c.History(ctx, "t1", graph.HistoryOptions{Source: "input"})
	if len(inputs) != 1 || inputs[0].Step != 0 {
		t.Fatalf("source filter: %+v", inputs)
	}
	f, _ := c.History(ctx, "t1", graph.HistoryOptions{Filter: func(i graph.CheckpointInfo) bool { return slices.Contains(i.Next, "b") }})
	if len(f) != 1 || f[0].Step != 1 {
		t.Fatalf("filter: %+v", f)
	}

	// A second turn on the finished thread appends its input.
	out, err := c.Invoke(ctx, D{Log: []string{"again"}}, graph.Thread("t1"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"in", "a", "b", "c", "again", "a", "b", "c"}; !slices.Equal(out.Log, want) {
		t.Fatalf("second turn: %v", out.Log)
	}
	// A fresh compiled graph (no in-process cache) rebuilds the same state.
	sn, err := chain(t, mem).State(ctx, "t1")
	if err != nil || !slices.Equal(sn.State.Log, out.Log) {
		t.Fatalf("rebuilt state %v, %v", sn.State.Log, err)
	}
}

func TestThreadRequired(t *testing.T) {
	c := chain(t, state.NewMemory())
	if _, err := c.Invoke(context.Background(), D{}); err == nil || !strings.Contains(err.Error(), "graph.Thread") {
		t.Fatalf("err = %v", err)
	}
	plain := graph.New[D]()
	plain.AddNode("a", logNode("a", nil)).AddEdge(graph.START, "a").AddEdge("a", graph.END)
	if _, err := mustCompile(t, plain).Invoke(context.Background(), D{}, graph.Thread("x")); err == nil {
		t.Fatal("Thread without checkpointer accepted")
	}
}

func approvalGraph(t *testing.T, cp state.Checkpointer, sideEffects *atomic.Int32, opts ...graph.CompileOption) *graph.Compiled[D] {
	g := graph.New[D]()
	g.AddNode("draft", logNode("draft", nil))
	g.AddNode("approve", func(ctx context.Context, s D) (D, error) {
		ans, err := graph.Interrupt[string](ctx, map[string]string{"question": "send it?", "draft": strings.Join(s.Log, ",")})
		if err != nil {
			return s, err
		}
		s.Approved = ans
		return s, nil
	})
	g.AddNode("send", func(_ context.Context, s D) (D, error) {
		if s.Approved == "yes" {
			sideEffects.Add(1)
			s.Log = append(s.Log, "sent")
		}
		return s, nil
	})
	g.AddEdge(graph.START, "draft").AddEdge("draft", "approve").AddEdge("approve", "send").AddEdge("send", graph.END)
	return mustCompile(t, g, append([]graph.CompileOption{graph.WithCheckpointer(cp)}, opts...)...)
}

func TestInterruptAndResume(t *testing.T) {
	ctx := context.Background()
	var sent atomic.Int32
	c := approvalGraph(t, state.NewMemory(), &sent)
	_, err := c.Invoke(ctx, D{}, graph.Thread("h"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, graph.ErrInterrupted) || len(ie.Interrupts) != 1 {
		t.Fatalf("err = %v", err)
	}
	it := ie.Interrupts[0]
	var payload map[string]string
	if err := it.Decode(&payload); err != nil || payload["question"] != "send it?" || payload["draft"] != "draft" || it.Node != "approve" || it.Kind != graph.InterruptNode || it.Step != 1 {
		t.Fatalf("interrupt %+v payload %v err %v", it, payload, err)
	}
	sn, _ := c.State(ctx, "h")
	if len(sn.Interrupts) != 1 || sn.Interrupts[0].ID != it.ID || !slices.Equal(sn.Next, []string{"approve"}) {
		t.Fatalf("state while paused: %+v", sn)
	}

	// Continuing without an answer, or answering an id that is not pending,
	// is an error; the run stays paused.
	if _, err := c.Invoke(ctx, D{}, graph.Thread("h")); err == nil || !strings.Contains(err.Error(), it.ID) {
		t.Fatalf("no answer: %v", err)
	}
	if _, err := c.Invoke(ctx, D{}, graph.Thread("h"), graph.ResumeID("bogus", "yes")); err == nil || !strings.Contains(err.Error(), `"bogus"`) || !strings.Contains(err.Error(), "not pending") {
		t.Fatalf("bogus id: %v", err)
	}
	if _, err := c.Invoke(ctx, D{Log: []string{"x"}}, graph.Thread("h"), graph.Resume("yes")); err == nil || !strings.Contains(err.Error(), "zero state") {
		t.Fatalf("input while paused: %v", err)
	}
	if _, err := c.Invoke(ctx, D{Log: []string{"x"}}, graph.Thread("h")); !errors.Is(err, graph.ErrPaused) || !strings.Contains(err.Error(), it.ID) || !strings.Contains(err.Error(), "graph.Resume") {
		t.Fatalf("input while paused: %v", err)
	}

	out, err := c.Invoke(ctx, D{}, graph.Thread("h"), graph.ResumeID(it.ID, "yes"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Approved != "yes" || !slices.Equal(out.Log, []string{"draft", "sent"}) || sent.Load() != 1 {
		t.Fatalf("resumed: %+v sent %d", out, sent.Load())
	}
	if _, err := c.Invoke(ctx, D{}, graph.Thread("h"), graph.Resume("again")); err == nil || !strings.Contains(err.Error(), "no pending interrupt") {
		t.Fatalf("resume on finished thread: %v", err)
	}
}

func TestParallelInterruptsDistinctIDs(t *testing.T) {
	ctx := context.Background()
	var sibling atomic.Int32
	g := graph.New[D]()
	ask := func(q string) graph.NodeFunc[D] {
		return func(ctx context.Context, s D) (D, error) {
			first, err := graph.Interrupt[string](ctx, q+"-1")
			if err != nil {
				return s, err
			}
			second, err := graph.Interrupt[string](ctx, q+"-2")
			if err != nil {
				return s, err
			}
			s.Log = append(s.Log, q+":"+first+"+"+second)
			return s, nil
		}
	}
	g.AddNode("p", ask("p")).AddNode("q", ask("q")).AddNode("r", logNode("r", &sibling))
	for _, n := range []string{"p", "q", "r"} {
		g.AddEdge(graph.START, n).AddEdge(n, graph.END)
	}
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, D{}, graph.Thread("par"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || len(ie.Interrupts) != 2 || ie.Interrupts[0].ID == ie.Interrupts[1].ID {
		t.Fatalf("err = %v", err)
	}
	ids := map[string]string{}
	for _, it := range ie.Interrupts {
		var p string
		_ = it.Decode(&p)
		ids[p] = it.ID
	}
	// Two pending: a bare Resume is ambiguous.
	if _, err := c.Invoke(ctx, D{}, graph.Thread("par"), graph.Resume("x")); err == nil || !strings.Contains(err.Error(), "ResumeID") {
		t.Fatalf("ambiguous resume: %v", err)
	}
	_, err = c.Invoke(ctx, D{}, graph.Thread("par"), graph.ResumeID(ids["p-1"], "P1"), graph.ResumeID(ids["q-1"], "Q1"))
	if !errors.As(err, &ie) || len(ie.Interrupts) != 2 {
		t.Fatalf("second round: %v", err)
	}
	for _, it := range ie.Interrupts {
		var p string
		_ = it.Decode(&p)
		ids[p] = it.ID
	}
	if len(ids) != 4 {
		t.Fatalf("ids collided: %v", ids)
	}
	out, err := c.Invoke(ctx, D{}, graph.Thread("par"), graph.ResumeID(ids["p-2"], "P2"), graph.ResumeID(ids["q-2"], "Q2"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"p:P1+P2", "q:Q1+Q2", "r"}; !slices.Equal(out.Log, want) {
		t.Fatalf("log %v, want %v", out.Log, want)
	}
	if sibling.Load() != 1 {
		t.Fatalf("sibling ran %d times; its saved writes must be reused", sibling.Load())
	}
}

func TestBreakpoints(t *testing.T) {
	ctx := context.Background()
	c := chain(t, state.NewMemory(), graph.WithInterruptBefore("b"))
	out, err := c.Invoke(ctx, D{}, graph.Thread("bp"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || ie.Interrupts[0].Kind != graph.InterruptBefore || ie.Interrupts[0].Node != "b" || !slices.Equal(out.Log, []string{"a"}) {
		t.Fatalf("before: %v %v", out.Log, err)
	}
	out, err = c.Invoke(ctx, D{}, graph.Thread("bp"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
		t.Fatalf("continue: %v %v", out.Log, err)
	}

	// A compile-time breakpoint after a node.
	ca := chain(t, state.NewMemory(), graph.WithInterruptAfter("a"))
	out, err = ca.Invoke(ctx, D{}, graph.Thread("bpa"))
	if !errors.As(err, &ie) || ie.Interrupts[0].Kind != graph.InterruptAfter || ie.Interrupts[0].Node != "a" || !slices.Equal(out.Log, []string{"a"}) {
		t.Fatalf("compile-time after: %v %v", out.Log, err)
	}
	out, err = ca.Invoke(ctx, D{}, graph.Thread("bpa"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
		t.Fatalf("continue after compile-time after: %v %v", out.Log, err)
	}

	c2 := chain(t, state.NewMemory())
	out, err = c2.Invoke(ctx, D{}, graph.Thread("bp2"), graph.BreakAfter("a"))
	if !errors.As(err, &ie) || ie.Interrupts[0].Kind != graph.InterruptAfter || ie.Interrupts[0].Node != "a" || !slices.Equal(out.Log, []string{"a"}) {
		t.Fatalf("after: %v %v", out.Log, err)
	}
	sn, _ := c2.State(ctx, "bp2")
	if !slices.Equal(sn.Next, []string{"b"}) {
		t.Fatalf("next while paused after a: %v", sn.Next)
	}
	out, err = c2.Invoke(ctx, D{}, graph.Thread("bp2"), graph.BreakBefore("c"))
	if !errors.As(err, &ie) || ie.Interrupts[0].Node != "c" || !slices.Equal(out.Log, []string{"a", "b"}) {
		t.Fatalf("per-run before: %v %v", out.Log, err)
	}
	out, err = c2.Invoke(ctx, D{}, graph.Thread("bp2"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
		t.Fatalf("finish: %v %v", out.Log, err)
	}
	if _, err := c2.Invoke(ctx, D{}, graph.Thread("bp3"), graph.BreakBefore("zz")); err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("unknown breakpoint: %v", err)
	}
}

func TestBreakpointCompileError(t *testing.T) {
	g := graph.New[D]()
	g.AddNode("a", logNode("a", nil)).AddEdge(graph.START, "a").AddEdge("a", graph.END)
	_, err := g.Compile(graph.WithCheckpointer(state.NewMemory()), graph.WithInterruptAfter("nope"))
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestUpdateStateAndFork(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	c := chain(t, mem)
	if _, err := c.Invoke(ctx, D{}, graph.Thread("tt")); err != nil {
		t.Fatal(err)
	}
	hist, _ := c.History(ctx, "tt", graph.HistoryOptions{})
	afterA := hist[2] // step 1: [a], next b
	if !slices.Equal(afterA.State.Log, []string{"a"}) || !slices.Equal(afterA.Next, []string{"b"}) {
		t.Fatalf("picked %+v", afterA)
	}

	// Fork from after a: b and c run again on a new branch.
	out, err := c.Invoke(ctx, D{}, graph.Thread("tt"), graph.FromCheckpoint(afterA.CheckpointID))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
		t.Fatalf("fork: %v %v", out.Log, err)
	}
	latest, _ := c.State(ctx, "tt")
	if latest.Step != 3 {
		t.Fatalf("fork head step %d", latest.Step)
	}
	all, _ := c.History(ctx, "tt", graph.HistoryOptions{})
	if len(all) != 7 { // input, 3 steps, fork, 2 steps
		t.Fatalf("history has %d checkpoints", len(all))
	}
	// The original branch is untouched.
	orig, _ := c.History(ctx, "tt", graph.HistoryOptions{Filter: func(i graph.CheckpointInfo) bool { return i.CheckpointID == hist[0].CheckpointID }})
	if len(orig) != 1 || !slices.Equal(orig[0].State.Log, []string{"a", "b", "c"}) {
		t.Fatalf("original branch: %+v", orig)
	}

	// Update as node a: routing continues at b. The update goes through
	// the reducers: Log appends.
	id, err := c.UpdateState(ctx, "tt", "a", D{Log: []string{"edited"}, Approved: "by hand"})
	if err != nil {
		t.Fatal(err)
	}
	sn, _ := c.State(ctx, "tt")
	if sn.CheckpointID != id || sn.Source != "update" || !slices.Equal(sn.Next, []string{"b"}) || sn.State.Approved != "by hand" {
		t.Fatalf("after update: %+v", sn)
	}
	out, err = c.Invoke(ctx, D{}, graph.Thread("tt"))
	if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c", "edited", "b", "c"}) || out.Approved != "by hand" {
		t.Fatalf("after update run: %+v %v", out, err)
	}
	if _, err := c.UpdateState(ctx, "tt", "ghost", D{}); err == nil {
		t.Fatal("update as unknown node accepted")
	}
	if _, err := c.Invoke(ctx, D{}, graph.Thread("tt"), graph.FromCheckpoint("nope")); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("fork from unknown: %v", err)
	}
}

func TestDurabilityModes(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		t.Run(mode.String(), func(t *testing.T) {
			mem := state.NewMemory()
			c := chain(t, mem, graph.WithDurability(mode))
			out, err := c.Invoke(ctx, D{}, graph.Thread("m"))
			if err != nil || !slices.Equal(out.Log, []string{"a", "b", "c"}) {
				t.Fatalf("%v %v", out.Log, err)
			}
			cps, _ := mem.List(ctx, "m", state.ListOptions{})
			want := 4
			if mode == graph.DurabilityExit {
				want = 1 // only the final state
			}
			if len(cps) != want {
				t.Fatalf("%d checkpoints saved, want %d", len(cps), want)
			}
			sn, err := chain(t, mem).State(ctx, "m")
			if err != nil || !slices.Equal(sn.State.Log, out.Log) || len(sn.Next) != 0 {
				t.Fatalf("saved state %+v %v", sn, err)
			}
		})
	}
	// Exit mode still saves an interrupted run, so it can be resumed.
	var sent atomic.Int32
	mem := state.NewMemory()
	c := approvalGraph(t, mem, &sent, graph.WithDurability(graph.DurabilityExit))
	_, err := c.Invoke(ctx, D{}, graph.Thread("x"))
	if !errors.Is(err, graph.ErrInterrupted) {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, D{}, graph.Thread("x"), graph.Resume("yes"))
	if err != nil || sent.Load() != 1 || !slices.Equal(out.Log, []string{"draft", "sent"}) {
		t.Fatalf("exit-mode resume: %+v %v", out, err)
	}
}

func TestDeltaStorage(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	g := graph.New[D]()
	g.AddNode("reply", func(_ context.Context, s D) (D, error) {
		s.Log = append(s.Log, strings.Repeat("r", 100))
		s.Count++
		return s, nil
	})
	g.AddEdge(graph.START, "reply").AddEdge("reply", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(mem))
	for i := range 60 {
		if _, err := c.Invoke(ctx, D{Log: []string{fmt.Sprintf("user %d", i)}}, graph.Thread("chat")); err != nil {
			t.Fatal(err)
		}
	}
	cps, _ := mem.List(ctx, "chat", state.ListOptions{})
	snaps, snapBytes := 0, 0
	for _, cp := range cps {
		if cp.Snapshot != nil {
			snaps++
			snapBytes += len(cp.Snapshot)
		}
		if len(cp.Delta) > 200 {
			t.Fatalf("delta of %d bytes: the whole history was stored", len(cp.Delta))
		}
	}
	sn, err := mustCompile(t, g, graph.WithCheckpointer(mem)).State(ctx, "chat")
	if err != nil {
		t.Fatal(err)
	}
	final, _ := json.Marshal(sn.State)
	if snaps < 2 || snaps > 8 || snapBytes > 2*len(final) {
		t.Fatalf("%d snapshots of %d bytes for a %d-byte state", snaps, snapBytes, len(final))
	}
	if len(sn.State.Log) != 120 || sn.State.Count != 60 || sn.State.Log[118] != "user 59" {
		t.Fatalf("rebuilt state: %d messages, count %d", len(sn.State.Log), sn.State.Count)
	}
}

func TestEncodingCheckedAtCompile(t *testing.T) {
	type Bad struct {
		Name  string
		Hooks struct {
			OnDone func()
		}
	}
	g := graph.New[Bad]()
	g.AddNode("a", func(_ context.Context, s Bad) (Bad, error) { return s, nil }).AddEdge(graph.START, "a").AddEdge("a", graph.END)
	if _, err := g.Compile(); err != nil {
		t.Fatalf("without a checkpointer the state need not be encodable: %v", err)
	}
	_, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
	if err == nil || !strings.Contains(err.Error(), "Bad.Hooks.OnDone") {
		t.Fatalf("err = %v", err)
	}
}

func TestCorruptCheckpoint(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	if err := mem.Put(ctx, state.Checkpoint{ThreadID: "bad", ID: "cp-1", Source: "input", Snapshot: []byte(`{"Log": 12}`)}); err != nil {
		t.Fatal(err)
	}
	c := chain(t, mem)
	_, err := c.Invoke(ctx, D{}, graph.Thread("bad"))
	var ce *state.CorruptError
	if !errors.As(err, &ce) || ce.ThreadID != "bad" || ce.CheckpointID != "cp-1" || !strings.Contains(err.Error(), `"cp-1"`) {
		t.Fatalf("err = %v", err)
	}
	if err := mem.Put(ctx, state.Checkpoint{ThreadID: "bad2", ID: "cp-2", Source: "input", Snapshot: []byte(`{}`), Next: []state.Task{{Node: "renamed"}}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, D{}, graph.Thread("bad2"))
	if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), `"renamed"`) {
		t.Fatalf("incompatible: %v", err)
	}
	if err := mem.Put(ctx, state.Checkpoint{ThreadID: "bad3", ID: "root", Source: "input", Snapshot: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if err := mem.Put(ctx, state.Checkpoint{ThreadID: "bad3", ID: "orphan", ParentID: "gone", Base: "root", Source: "loop"}); err != nil {
		t.Fatal(err)
	}
	_, err = c.State(ctx, "bad3")
	if !errors.Is(err, state.ErrCorrupt) || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("missing parent: %v", err)
	}
}

func TestResumeAfterNodeFailure(t *testing.T) {
	ctx := context.Background()
	var okRuns, flakyRuns atomic.Int32
	fail := atomic.Bool{}
	fail.Store(true)
	g := graph.New[D]()
	g.AddNode("ok", logNode("ok", &okRuns))
	g.AddNode("flaky", func(_ context.Context, s D) (D, error) {
		flakyRuns.Add(1)
		if fail.Load() {
			return s, errors.New("upstream down")
		}
		s.Log = append(s.Log, "flaky")
		return s, nil
	})
	g.AddNode("join", logNode("join", nil))
	g.AddEdge(graph.START, "ok").AddEdge(graph.START, "flaky")
	g.AddJoin("join", "ok", "flaky")
	g.AddEdge("join", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	if _, err := c.Invoke(ctx, D{}, graph.Thread("f")); err == nil {
		t.Fatal("want failure")
	}
	fail.Store(false)
	out, err := c.Invoke(ctx, D{}, graph.Thread("f"))
	if err != nil || !slices.Equal(out.Log, []string{"ok", "flaky", "join"}) {
		t.Fatalf("%v %v", out.Log, err)
	}
	if okRuns.Load() != 1 || flakyRuns.Load() != 2 {
		t.Fatalf("ok ran %d times, flaky %d", okRuns.Load(), flakyRuns.Load())
	}
}

func TestInterruptWithoutCheckpointer(t *testing.T) {
	g := graph.New[D]()
	g.AddNode("ask", func(ctx context.Context, s D) (D, error) {
		_, err := graph.Interrupt[string](ctx, "?")
		return s, err
	}).AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	_, err := mustCompile(t, g).Invoke(context.Background(), D{})
	if !errors.Is(err, graph.ErrNoCheckpointer) {
		t.Fatalf("err = %v", err)
	}
}

func TestJoinProgressSurvivesInterrupt(t *testing.T) {
	ctx := context.Background()
	var fastRuns atomic.Int32
	g := graph.New[D]()
	g.AddNode("a", logNode("a", nil))
	g.AddNode("fast", logNode("fast", &fastRuns))
	g.AddNode("slow1", logNode("slow1", nil))
	g.AddNode("slow2", func(ctx context.Context, s D) (D, error) {
		ok, err := graph.Interrupt[bool](ctx, "continue?")
		if err != nil {
			return s, err
		}
		if ok {
			s.Log = append(s.Log, "slow2")
		}
		return s, nil
	})
	g.AddNode("merge", logNode("merge", nil))
	g.AddEdge(graph.START, "a").AddEdge("a", "fast").AddEdge("a", "slow1").AddEdge("slow1", "slow2")
	g.AddJoin("merge", "fast", "slow2")
	g.AddEdge("merge", graph.END)
	mem := state.NewMemory()
	c := mustCompile(t, g, graph.WithCheckpointer(mem))
	var kinds []string
	for ev, err := range c.Stream(ctx, D{}, graph.Thread("j"), graph.Only(graph.EventInterrupt|graph.EventCheckpoint|graph.EventNodeEnd)) {
		if err != nil {
			if !errors.Is(err, graph.ErrInterrupted) {
				t.Fatal(err)
			}
			kinds = append(kinds, "err:interrupted")
			continue
		}
		switch ev.Kind {
		case graph.EventNodeEnd:
			kinds = append(kinds, "end:"+ev.Node)
		case graph.EventCheckpoint:
			kinds = append(kinds, fmt.Sprintf("checkpoint@%d", ev.Step))
		case graph.EventInterrupt:
			kinds = append(kinds, "interrupt:"+ev.Interrupts[0].Node)
		}
	}
	want := []string{"checkpoint@0", "end:a", "checkpoint@1", "end:fast", "end:slow1", "checkpoint@2", "interrupt:slow2", "err:interrupted"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("events %v, want %v", kinds, want)
	}
	// A new process: nothing cached, join progress comes from the checkpoint.
	c2 := mustCompile(t, g, graph.WithCheckpointer(mem))
	out, err := c2.Invoke(ctx, D{}, graph.Thread("j"), graph.Resume(true))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "fast", "slow1", "slow2", "merge"}; !slices.Equal(out.Log, want) || fastRuns.Load() != 1 {
		t.Fatalf("log %v fast runs %d", out.Log, fastRuns.Load())
	}
}

func TestAsyncDurabilityResumes(t *testing.T) {
	ctx := context.Background()
	var sent atomic.Int32
	mem := state.NewMemory()
	c := approvalGraph(t, mem, &sent, graph.WithDurability(graph.DurabilityAsync))
	if _, err := c.Invoke(ctx, D{}, graph.Thread("as")); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatal(err)
	}
	out, err := approvalGraph(t, mem, &sent).Invoke(ctx, D{}, graph.Thread("as"), graph.Resume("yes"), graph.RunDurability(graph.DurabilityAsync))
	if err != nil || sent.Load() != 1 || !slices.Equal(out.Log, []string{"draft", "sent"}) {
		t.Fatalf("%+v %v", out, err)
	}
	cps, _ := mem.List(ctx, "as", state.ListOptions{})
	if len(cps) != 4 {
		t.Fatalf("%d checkpoints", len(cps))
	}
}

func TestNilCheckpointer(t *testing.T) {
	g := graph.New[D]()
	g.AddNode("a", logNode("a", nil)).AddEdge(graph.START, "a").AddEdge("a", graph.END)
	if _, err := g.Compile(graph.WithCheckpointer(nil)); err == nil || !strings.Contains(err.Error(), "nil") {
		t.Fatalf("err = %v", err)
	}
}

func TestSnapshotRatio(t *testing.T) {
	ctx := context.Background()
	count := func(ratio int) int {
		mem := state.NewMemory()
		g := graph.New[D]()
		g.AddNode("reply", logNode(strings.Repeat("x", 50), nil)).AddEdge(graph.START, "reply").AddEdge("reply", graph.END)
		c := mustCompile(t, g, graph.WithCheckpointer(mem), graph.WithSnapshotRatio(ratio))
		for range 40 {
			if _, err := c.Invoke(ctx, D{Log: []string{"q"}}, graph.Thread("r")); err != nil {
				t.Fatal(err)
			}
		}
		cps, _ := mem.List(ctx, "r", state.ListOptions{})
		n := 0
		for _, cp := range cps {
			if cp.Snapshot != nil {
				n++
			}
		}
		sn, err := mustCompile(t, g, graph.WithCheckpointer(mem)).State(ctx, "r")
		if err != nil || len(sn.State.Log) != 80 {
			t.Fatalf("ratio %d: rebuilt %d messages, %v", ratio, len(sn.State.Log), err)
		}
		return n
	}
	one, eight := count(1), count(8)
	if one <= eight || eight < 1 {
		t.Fatalf("snapshots: ratio 1 -> %d, ratio 8 -> %d", one, eight)
	}
	g := graph.New[D]()
	g.AddNode("a", logNode("a", nil)).AddEdge(graph.START, "a").AddEdge("a", graph.END)
	if _, err := g.Compile(graph.WithCheckpointer(state.NewMemory()), graph.WithSnapshotRatio(0)); err == nil {
		t.Fatal("ratio 0 accepted")
	}
}

func TestInterruptInsideSubgraph(t *testing.T) {
	ctx := context.Background()
	var drafts atomic.Int32
	ask := func(q string) graph.NodeFunc[D] {
		return func(ctx context.Context, s D) (D, error) {
			ans, err := graph.Interrupt[string](ctx, q)
			if err != nil {
				return s, err
			}
			s.Log = append(s.Log, q+"="+ans)
			return s, nil
		}
	}
	ig := graph.New[D]()
	ig.AddNode("draft", logNode("draft", &drafts))
	ig.AddNode("ask1", ask("q1")).AddNode("ask2", ask("q2"))
	ig.AddEdge(graph.START, "draft").AddEdge("draft", "ask1").AddEdge("draft", "ask2")
	ig.AddJoin("done", "ask1", "ask2")
	ig.AddNode("done", logNode("done", nil)).AddEdge("done", graph.END)
	inner := mustCompile(t, ig)

	g := graph.New[D]()
	g.AddNode("pre", logNode("pre", nil)).AddNode("agent", inner.AsNode())
	g.AddEdge(graph.START, "pre").AddEdge("pre", "agent").AddEdge("agent", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))

	_, err := c.Invoke(ctx, D{}, graph.Thread("sub"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || len(ie.Interrupts) != 1 || ie.Interrupts[0].Node != "agent/ask1" {
		t.Fatalf("first pause: %v", err)
	}
	first := ie.Interrupts[0].ID
	_, err = c.Invoke(ctx, D{}, graph.Thread("sub"), graph.Resume("A"))
	if !errors.As(err, &ie) || len(ie.Interrupts) != 1 || ie.Interrupts[0].Node != "agent/ask2" || ie.Interrupts[0].ID == first {
		t.Fatalf("second pause: %v", err)
	}
	out, err := c.Invoke(ctx, D{}, graph.Thread("sub"), graph.Resume("B"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"pre", "draft", "q1=A", "q2=B", "done"}; !slices.Equal(out.Log, want) {
		t.Fatalf("log %v, want %v", out.Log, want)
	}
	// The subgraph re-runs as a whole when its outer task resumes.
	if drafts.Load() != 3 {
		t.Fatalf("draft ran %d times", drafts.Load())
	}
}

// celsius has its JSON form on its pointer, as encoding/json uses it for a
// field of a state.
type celsius struct{ C float64 }

func (c *celsius) MarshalJSON() ([]byte, error) { return json.Marshal(fmt.Sprintf("%gC", c.C)) }

func (c *celsius) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("celsius: %w", err)
	}
	_, err := fmt.Sscanf(s, "%gC", &c.C)
	return err
}

// A finished task's saved writes of a field whose type encodes itself on
// its pointer are read back on resume: the task is not run again and its
// value arrives.
func TestSavedWritesOfPointerEncodedField(t *testing.T) {
	type W struct {
		Temp celsius
		Log  []string `reduce:"append"`
	}
	ctx := context.Background()
	var ran atomic.Int32
	g := graph.New[W]()
	g.AddNode("measure", func(_ context.Context, s W) (W, error) {
		ran.Add(1)
		s.Temp = celsius{21.5}
		return s, nil
	})
	g.AddNode("ask", func(ctx context.Context, s W) (W, error) {
		v, err := graph.Interrupt[string](ctx, "unit?")
		if err != nil {
			return s, err
		}
		s.Log = append(s.Log, v)
		return s, nil
	})
	for _, n := range []string{"measure", "ask"} {
		g.AddEdge(graph.START, n).AddEdge(n, graph.END)
	}
	c, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
	if err != nil {
		t.Fatal(err)
	}
	var ie *graph.InterruptedError
	if _, err := c.Invoke(ctx, W{}, graph.Thread("temp")); !errors.As(err, &ie) {
		t.Fatalf("first run: %v, want an interrupt", err)
	}
	out, err := c.Invoke(ctx, W{}, graph.Thread("temp"), graph.Resume("C"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Temp.C != 21.5 || !slices.Equal(out.Log, []string{"C"}) || ran.Load() != 1 {
		t.Fatalf("got %+v, measure ran %d times; want Temp 21.5, Log [C], one run", out, ran.Load())
	}
}

// A state may hold what a checkpoint cannot (a func, a client) in fields
// its encoding leaves out: a node that sets one runs under a checkpointer,
// the run's result keeps it, and the saved state does not hold it (read
// from the store alone, as by another process; the graph that ran keeps
// its last states in memory).
func TestHiddenFieldsUnderACheckpointer(t *testing.T) {
	type W struct {
		N     int
		Hook  func() string `json:"-"`
		Cache string        `json:"-"`
	}
	ctx := context.Background()
	g := graph.New[W]()
	g.AddNode("a", func(_ context.Context, s W) (W, error) {
		s.Hook = func() string { return "hi" }
		s.Cache = "warm"
		s.N++
		return s, nil
	})
	g.AddNode("b", func(_ context.Context, s W) (W, error) { s.N++; return s, nil })
	g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
	store := state.NewMemory()
	c, err := g.Compile(graph.WithCheckpointer(store))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Invoke(ctx, W{}, graph.Thread("hidden"))
	if err != nil {
		t.Fatal(err)
	}
	if out.N != 2 || out.Hook == nil || out.Hook() != "hi" || out.Cache != "warm" {
		t.Fatalf("result %+v: want N 2 with the hook and the cache", out)
	}
	// Read back as another process would, from the store alone.
	reader, err := g.Compile(graph.WithCheckpointer(store))
	if err != nil {
		t.Fatal(err)
	}
	snap, err := reader.State(ctx, "hidden")
	if err != nil {
		t.Fatal(err)
	}
	if snap.State.N != 2 || snap.State.Hook != nil || snap.State.Cache != "" {
		t.Fatalf("saved state %+v: want N 2 and neither hidden field", snap.State)
	}
}

// A state that encoding/json would save without a value's own encoding
// (a MarshalJSON on the pointer of a map's value type) is refused at
// Compile with a checkpointer, naming where, rather than failing to read
// its checkpoints back later.
func TestCompileRefusesPointerEncodingInMap(t *testing.T) {
	type W struct {
		Temps map[string]celsius
	}
	g := graph.New[W]()
	g.AddNode("a", func(_ context.Context, s W) (W, error) { return s, nil })
	g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	_, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
	if err == nil || !strings.Contains(err.Error(), "W.Temps[key]: type graph_test.celsius has its MarshalJSON on *graph_test.celsius") {
		t.Fatalf("Compile: %v, want the map value's problem", err)
	}
	// Without a checkpointer nothing is encoded, and it compiles.
	if _, err := g.Compile(); err != nil {
		t.Fatal(err)
	}
}

// A side effect's result and an interrupt's payload of a type whose
// MarshalJSON is on its pointer are saved in its own form and come back.
func TestOnceAndInterruptWithPointerEncodedValue(t *testing.T) {
	type W struct {
		Temp celsius
		Unit string
	}
	ctx := context.Background()
	var reads atomic.Int32
	g := graph.New[W]()
	g.AddNode("a", func(ctx context.Context, s W) (W, error) {
		v, err := graph.Once(ctx, "read", func(context.Context) (celsius, error) {
			reads.Add(1)
			return celsius{36.6}, nil
		})
		if err != nil {
			return s, err
		}
		s.Temp = v
		u, err := graph.Interrupt[string](ctx, v)
		if err != nil {
			return s, err
		}
		s.Unit = u
		return s, nil
	})
	g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, W{}, graph.Thread("once"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || len(ie.Interrupts) != 1 {
		t.Fatalf("first run: %v, want one interrupt", err)
	}
	var asked celsius
	if err := ie.Interrupts[0].Decode(&asked); err != nil || asked.C != 36.6 {
		t.Fatalf("payload %s decoded to %+v, %v", ie.Interrupts[0].Payload, asked, err)
	}
	out, err := c.Invoke(ctx, W{}, graph.Thread("once"), graph.Resume("C"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Temp.C != 36.6 || out.Unit != "C" || reads.Load() != 1 {
		t.Fatalf("got %+v after %d reads; want 36.6 C after one", out, reads.Load())
	}
}
