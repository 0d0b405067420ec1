package telemetry_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/telemetry"
	"github.com/jedisos/jedisos/tools"
)

type gstate struct {
	Log []string `reduce:"append"`
}

func recorder() (*tracetest.SpanRecorder, *telemetry.Telemetry) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	return sr, telemetry.New(telemetry.Options{TracerProvider: tp, Secrets: []string{"hunter2-secret"}})
}

func ended(sr *tracetest.SpanRecorder) tracetest.SpanStubs {
	return tracetest.SpanStubsFromReadOnlySpans(sr.Ended())
}

func TestParallelStepRetryAndSubgraph(t *testing.T) {
	sr, tel := recorder()
	inner := graph.New[gstate]()
	inner.AddNode("leaf", func(_ context.Context, s gstate) (gstate, error) { s.Log = append(s.Log, "leaf"); return s, nil })
	inner.AddEdge(graph.START, "leaf").AddEdge("leaf", graph.END)
	ic, err := inner.Compile(graph.WithTracer(tel.Graph("inner")))
	if err != nil {
		t.Fatal(err)
	}
	var tries atomic.Int32
	g := graph.New[gstate]()
	g.AddNode("a", func(_ context.Context, s gstate) (gstate, error) { return gstate{Log: []string{"a"}}, nil })
	g.AddNode("flaky", func(_ context.Context, s gstate) (gstate, error) {
		if tries.Add(1) == 1 {
			return s, graph.Retryable(errors.New("first try fails"))
		}
		return gstate{Log: []string{"flaky"}}, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 2, InitialInterval: time.Millisecond}))
	g.AddNode("sub", graph.Subgraph(ic, func(p gstate) gstate { return gstate{} }, func(p gstate, c gstate) gstate { return gstate{Log: c.Log} }))
	g.AddEdge(graph.START, "a").AddEdge(graph.START, "flaky").AddEdge("a", "sub").AddEdge("flaky", "sub").AddEdge("sub", graph.END)
	c, err := g.Compile(graph.WithTracer(tel.Graph("outer")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(context.Background(), gstate{}); err != nil {
		t.Fatal(err)
	}
	spans := ended(sr)
	want := `invoke_workflow outer
  graph.step
    graph.node a
    graph.node flaky [error]
    graph.node flaky
  graph.step
    graph.node sub
      invoke_workflow inner
        graph.step
          graph.node sub/leaf
`
	got := tree(spans)
	// a and flaky run concurrently: compare as sets of lines per level
	if !sameLines(got, want) {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
	flaky := named(spans, "graph.node flaky")
	if len(flaky) != 2 || attrs(flaky[1])["jedisos.graph.attempt"].AsInt64() != 2 || flaky[0].Status.Description != "first try fails" {
		t.Fatalf("flaky spans %+v", flaky)
	}
	in := attrs(named(spans, "invoke_workflow inner")[0])
	if in["jedisos.graph.parent"].AsString() != "sub" {
		t.Errorf("inner run attributes %v", in)
	}
	if got := attrs(named(spans, "graph.step")[0])["jedisos.graph.step.nodes"].AsStringSlice(); strings.Join(got, ",") != "a,flaky" {
		t.Errorf("step 0 nodes %v", got)
	}
}

func sameLines(a, b string) bool {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	if len(x) != len(y) {
		return false
	}
	count := map[string]int{}
	for i := range x {
		count[x[i]]++
		count[y[i]]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestPanic(t *testing.T) {
	sr, tel := recorder()
	g := graph.New[gstate]()
	g.AddNode("boom", func(context.Context, gstate) (gstate, error) { panic("kaboom hunter2-secret") })
	g.AddEdge(graph.START, "boom").AddEdge("boom", graph.END)
	c, err := g.Compile(graph.WithTracer(tel.Graph("p")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invoke(context.Background(), gstate{}); err == nil {
		t.Fatal("no error")
	}
	spans := ended(sr)
	if len(spans) != 3 {
		t.Fatalf("%d spans:\n%s", len(spans), tree(spans))
	}
	for _, s := range spans {
		if s.Status.Code != codes.Error {
			t.Errorf("%s: status %v", s.Name, s.Status)
		}
		if strings.Contains(s.Status.Description, "hunter2-secret") {
			t.Errorf("%s: secret in status %q", s.Name, s.Status.Description)
		}
	}
	if et := attrs(named(spans, "graph.node boom")[0])["error.type"].AsString(); et != "graph.PanicError" {
		t.Errorf("error.type %q", et)
	}
}

func TestToolErrorSpan(t *testing.T) {
	sr, tel := recorder()
	tool, err := tools.New("add", "adds", func(_ context.Context, in struct {
		A int `json:"a"`
	}) (int, error) {
		return 0, errors.New("backend refused token=hunter2-secret")
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tools.NewRegistry(tools.Config{Tracer: tel.Tools()}, tool)
	if err != nil {
		t.Fatal(err)
	}
	res, err := reg.RunTurn(context.Background(), []llm.ToolCall{
		{ID: "c1", Name: "add", Arguments: `{"a":1}`},
		{ID: "c2", Name: "add", Arguments: `{"a":"x"}`},
		{ID: "c3", Name: "nope", Arguments: `{}`},
	})
	if err != nil || len(res) != 3 {
		t.Fatal(res, err)
	}
	one := reg.Execute(context.Background(), llm.ToolCall{ID: "c4", Name: "add", Arguments: `{"a":2}`})
	if one.Err == nil {
		t.Fatal("no error")
	}
	spans := ended(sr)
	byID := map[string]tracetest.SpanStub{}
	for _, s := range spans {
		byID[attrs(s)["gen_ai.tool.call.id"].AsString()] = s
	}
	for id, wantType := range map[string]string{"c1": "tools.ExecError", "c2": "tools.ValidationError", "c3": "tools.UnknownToolError", "c4": "tools.ExecError"} {
		s, ok := byID[id]
		if !ok {
			t.Fatalf("no span for %s: %v", id, tree(spans))
		}
		if s.Status.Code != codes.Error || attrs(s)["error.type"].AsString() != wantType {
			t.Errorf("%s: status %v, error.type %q, want %s", id, s.Status, attrs(s)["error.type"].AsString(), wantType)
		}
		if strings.Contains(s.Status.Description, "hunter2-secret") {
			t.Errorf("%s: secret in %q", id, s.Status.Description)
		}
	}
	if n := byID["c3"].Name; n != "execute_tool nope" {
		t.Errorf("unknown tool span %q", n)
	}
}

func TestInterruptIsNotAnError(t *testing.T) {
	sr, tel := recorder()
	g := graph.New[gstate]()
	g.AddNode("ask", func(ctx context.Context, s gstate) (gstate, error) {
		ans, err := graph.Interrupt[string](ctx, "approve?")
		if err != nil {
			return s, err
		}
		s.Log = append(s.Log, ans)
		return s, nil
	})
	g.AddEdge(graph.START, "ask").AddEdge("ask", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(state.NewMemory()), graph.WithTracer(tel.Graph("hitl")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(context.Background(), gstate{}, graph.Thread("t1"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) {
		t.Fatalf("err %v", err)
	}
	out, err := c.Invoke(context.Background(), gstate{}, graph.Thread("t1"), graph.Resume("yes"))
	if err != nil || len(out.Log) != 1 || out.Log[0] != "yes" {
		t.Fatal(out, err)
	}
	spans := ended(sr)
	runs := named(spans, "invoke_workflow hitl")
	if len(runs) != 2 {
		t.Fatalf("%d runs:\n%s", len(runs), tree(spans))
	}
	first := attrs(runs[0])
	if runs[0].Status.Code == codes.Error || !first["jedisos.graph.interrupted"].AsBool() || first["jedisos.graph.thread"].AsString() != "t1" {
		t.Errorf("paused run: status %v, attributes %v", runs[0].Status, first)
	}
	if runs[1].Status.Code != codes.Ok {
		t.Errorf("resumed run status %v", runs[1].Status)
	}
	for _, s := range named(spans, "graph.node ask") {
		if s.Status.Code == codes.Error {
			t.Errorf("node span status %v", s.Status)
		}
	}
}
