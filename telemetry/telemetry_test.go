package telemetry_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/nodes"
	"github.com/jedisos/jedisos/telemetry"
	"github.com/jedisos/jedisos/tools"
)

const (
	keyA     = "sk-test-primary-0123456789"
	keyB     = "sk-test-backup-9876543210"
	question = "What is the weather where Mina lives?"
	system   = "You are a terse weather assistant."
	fact     = "Mina lives in Seoul and prefers celsius."
)

type weatherIn struct {
	Location string `json:"location"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
}

type weatherOut struct {
	Location string `json:"location"`
	Temp     int    `json:"temp"`
}

type turn struct {
	spans   tracetest.SpanStubs
	metrics metricdata.ResourceMetrics
	answer  string
}

// runTurn runs one ReAct turn, fully instrumented: a Router whose primary
// group answers 429 with Retry-After (so it falls back and cools down), a
// backup that asks for a tool then answers, a typed tool and a recall from
// an embedded store on disk.
func runTurn(t *testing.T, capture bool) turn {
	t.Helper()
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tel := telemetry.New(telemetry.Options{TracerProvider: tp, MeterProvider: mp, CaptureContent: capture})

	primary, backup := llmtest.NewOpenAI(t), llmtest.NewOpenAI(t)
	primary.SetDefault(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "Rate limit reached",
		Header: map[string]string{"Retry-After": "30"}})
	backup.Enqueue(
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"location":"Seoul","unit":"celsius"}`}},
			Usage: llmtest.Usage{Prompt: 120, Completion: 30}},
		llmtest.Reply{Text: "Seoul: 15 degrees.", Usage: llmtest.Usage{Prompt: 200, Completion: 12}},
	)
	zero := 0
	rt, err := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "primary", ID: "a", Params: llm.Params{Model: "gpt-4o", APIBase: primary.APIBase(), APIKey: keyA}},
			{Group: "backup", ID: "b", Params: llm.Params{Model: "gpt-4o-mini", APIBase: backup.APIBase(), APIKey: keyB}},
		},
		Fallbacks:        map[string][]string{"primary": {"backup"}},
		NumRetries:       &zero,
		Callbacks:        []llm.Callback{tel.LLM()},
		ServiceCallbacks: []router.ServiceCallback{tel.Router()},
	})
	if err != nil {
		t.Fatal(err)
	}
	weather, err := tools.New("get_weather", "Current weather of a city",
		func(_ context.Context, in weatherIn) (weatherOut, error) {
			return weatherOut{Location: in.Location, Temp: 15}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tools.NewRegistry(tools.Config{Tracer: tel.Tools()}, weather)
	if err != nil {
		t.Fatal(err)
	}
	store, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: filepath.Join(t.TempDir(), "memory.log")})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := memory.New(memory.Config{Store: store, Tracer: tel.Memory()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { eng.Close(); store.Close() })
	if _, err := eng.Retain(context.Background(), "mina", fact, memory.RetainOptions{}); err != nil {
		t.Fatal(err)
	}
	temp := 0.2
	agent, err := nodes.NewReAct(nodes.ReActConfig{
		Model: rt, ModelName: "primary", SystemPrompt: system, Tools: reg, Memory: eng, Bank: "mina",
		Temperature: &temp, MaxTokens: 256, Tracer: tel.Graph("react"),
	})
	if err != nil {
		t.Fatal(err)
	}
	ans, _, err := nodes.Ask(context.Background(), agent, nodes.AgentState{}, question)
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	if err := tp.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	return turn{spans: tracetest.SpanStubsFromReadOnlySpans(sr.Ended()), metrics: rm, answer: ans}
}

// tree renders the spans as an indented tree, children in start order.
func tree(spans tracetest.SpanStubs) string {
	kids := map[string][]tracetest.SpanStub{}
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanContext.SpanID().String()] = true
	}
	var roots []tracetest.SpanStub
	for _, s := range spans {
		p := s.Parent.SpanID().String()
		if !s.Parent.IsValid() || !ids[p] {
			roots = append(roots, s)
			continue
		}
		kids[p] = append(kids[p], s)
	}
	var b strings.Builder
	var walk func(s tracetest.SpanStub, depth int)
	walk = func(s tracetest.SpanStub, depth int) {
		b.WriteString(strings.Repeat("  ", depth) + s.Name)
		if s.Status.Code == codes.Error {
			b.WriteString(" [error]")
		}
		b.WriteByte('\n')
		ks := kids[s.SpanContext.SpanID().String()]
		slices.SortStableFunc(ks, func(x, y tracetest.SpanStub) int { return x.StartTime.Compare(y.StartTime) })
		for _, k := range ks {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return b.String()
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func named(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(x, y tracetest.SpanStub) int { return x.StartTime.Compare(y.StartTime) })
	return out
}

const wantTree = `invoke_workflow react
  graph.step
    graph.node memory_recall
      retrieval mina
  graph.step
    graph.node llm_reason
      chat gpt-4o [error]
      chat gpt-4o-mini
  graph.step
    graph.node tool_exec
      execute_tool get_weather
  graph.step
    graph.node llm_reason
      chat gpt-4o-mini
  graph.step
    graph.node memory_retain
`

func TestReActTurnSpans(t *testing.T) {
	tr := runTurn(t, false)
	if tr.answer != "Seoul: 15 degrees." {
		t.Fatalf("answer %q", tr.answer)
	}
	if got := tree(tr.spans); got != wantTree {
		t.Fatalf("span tree:\n%s\nwant:\n%s", got, wantTree)
	}
	if n := len(tr.spans); n != 16 {
		t.Errorf("%d spans, want 16", n)
	}
	// one trace
	for _, s := range tr.spans {
		if s.SpanContext.TraceID() != tr.spans[0].SpanContext.TraceID() {
			t.Fatalf("span %s in another trace", s.Name)
		}
	}

	run := attrs(named(tr.spans, "invoke_workflow react")[0])
	if run["gen_ai.operation.name"].AsString() != "invoke_workflow" || run["gen_ai.workflow.name"].AsString() != "react" {
		t.Errorf("run attributes %v", run)
	}
	steps := named(tr.spans, "graph.step")
	for i, s := range steps {
		if a := attrs(s); a["jedisos.graph.step"].AsInt64() != int64(i) {
			t.Errorf("step %d: attributes %v", i, a)
		}
	}
	if got := attrs(steps[2])["jedisos.graph.step.nodes"].AsStringSlice(); !slices.Equal(got, []string{"tool_exec"}) {
		t.Errorf("step 2 nodes %v", got)
	}

	chats := append(named(tr.spans, "chat gpt-4o"), named(tr.spans, "chat gpt-4o-mini")...)
	type want struct {
		deployment, group string
		attempt, depth    int64
		in, out           int64
		finish, errType   string
		status            int64
	}
	wants := []want{
		{deployment: "a", group: "primary", attempt: 1, depth: 0, errType: "RateLimitError", status: 429},
		{deployment: "b", group: "backup", attempt: 2, depth: 1, in: 120, out: 30, finish: "tool_calls"},
		{deployment: "b", group: "backup", attempt: 1, depth: 1, in: 200, out: 12, finish: "stop"},
	}
	for i, w := range wants {
		a := attrs(chats[i])
		if chats[i].SpanKind.String() != "client" {
			t.Errorf("chat %d kind %v", i, chats[i].SpanKind)
		}
		check := func(k string, got, want any) {
			if got != want {
				t.Errorf("chat %d (%s): %s = %v, want %v", i, chats[i].Name, k, got, want)
			}
		}
		check("operation", a["gen_ai.operation.name"].AsString(), "chat")
		check("provider", a["gen_ai.provider.name"].AsString(), "openai")
		check("system", a["gen_ai.system"].AsString(), "openai")
		check("deployment", a["jedisos.router.deployment"].AsString(), w.deployment)
		check("group", a["jedisos.router.group"].AsString(), w.group)
		check("attempt", a["jedisos.router.attempt"].AsInt64(), w.attempt)
		check("fallback depth", a["jedisos.router.fallback_depth"].AsInt64(), w.depth)
		check("temperature", a["gen_ai.request.temperature"].AsFloat64(), 0.2)
		check("max tokens", a["gen_ai.request.max_tokens"].AsInt64(), int64(256))
		if w.errType != "" {
			check("status", chats[i].Status.Code, codes.Error)
			check("error.type", a["error.type"].AsString(), w.errType)
			check("http status", a["http.response.status_code"].AsInt64(), w.status)
			continue
		}
		check("status", chats[i].Status.Code, codes.Ok)
		check("response model", a["gen_ai.response.model"].AsString(), chats[i].Name[len("chat "):])
		check("input tokens", a["gen_ai.usage.input_tokens"].AsInt64(), w.in)
		check("output tokens", a["gen_ai.usage.output_tokens"].AsInt64(), w.out)
		if fr := a["gen_ai.response.finish_reasons"].AsStringSlice(); len(fr) != 1 || fr[0] != w.finish {
			t.Errorf("chat %d finish reasons %v, want [%s]", i, fr, w.finish)
		}
		wantCost, err := llm.Cost("gpt-4o-mini", llm.Usage{PromptTokens: int(w.in), CompletionTokens: int(w.out)})
		if err != nil {
			t.Fatal(err)
		}
		if c := a["jedisos.usage.cost"].AsFloat64(); c != wantCost || c <= 0 {
			t.Errorf("chat %d cost %v, want %v", i, c, wantCost)
		}
	}

	tool := attrs(named(tr.spans, "execute_tool get_weather")[0])
	if tool["gen_ai.operation.name"].AsString() != "execute_tool" || tool["gen_ai.tool.name"].AsString() != "get_weather" ||
		tool["gen_ai.tool.call.id"].AsString() != "call_1" {
		t.Errorf("tool attributes %v", tool)
	}
	rec := named(tr.spans, "retrieval mina")[0]
	ra := attrs(rec)
	if ra["gen_ai.operation.name"].AsString() != "retrieval" || ra["gen_ai.data_source.id"].AsString() != "mina" {
		t.Errorf("recall attributes %v", ra)
	}
	if ra["jedisos.memory.hits"].AsInt64() != 1 || ra["jedisos.memory.candidates"].AsInt64() != 1 {
		t.Errorf("recall counts %v", ra)
	}
	var arms int64
	for _, arm := range []string{"semantic", "keyword", "entity", "temporal"} {
		v, ok := ra[attribute.Key("jedisos.memory.arm."+arm+".candidates")]
		if !ok {
			t.Errorf("no %s arm count", arm)
		}
		arms += v.AsInt64()
	}
	if ra["jedisos.memory.arm.keyword.candidates"].AsInt64() != 1 || arms < 1 {
		t.Errorf("no arm found the fact: %v", ra)
	}
	t.Logf("span tree:\n%s", tree(tr.spans))
	t.Logf("recall: %v", ra)
}

// everything recorded: names, attribute values, status texts, events
func texts(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name, s.Status.Description)
		for _, kv := range s.Attributes {
			out = append(out, string(kv.Key)+"="+kv.Value.Emit())
		}
		for _, e := range s.Events {
			out = append(out, e.Name)
			for _, kv := range e.Attributes {
				out = append(out, kv.Value.Emit())
			}
		}
	}
	return out
}

func TestNoContentOrKeysByDefault(t *testing.T) {
	tr := runTurn(t, false)
	for _, s := range texts(tr.spans) {
		for _, bad := range []string{keyA, keyB, "sk-test", question, system, "Seoul", "celsius", "15 degrees"} {
			if strings.Contains(s, bad) {
				t.Errorf("recorded %q contains %q", s, bad)
			}
		}
	}
}

func TestContentWithCaptureOn(t *testing.T) {
	tr := runTurn(t, true)
	all := strings.Join(texts(tr.spans), "\n")
	for _, k := range []string{keyA, keyB} {
		if strings.Contains(all, k) {
			t.Fatalf("key %q recorded", k)
		}
	}
	chat := attrs(named(tr.spans, "chat gpt-4o-mini")[1])
	in := chat["gen_ai.input.messages"].AsString()
	for _, want := range []string{question, `"type":"tool_call_response"`, `"id":"call_1"`} {
		if !strings.Contains(in, want) {
			t.Errorf("gen_ai.input.messages lacks %q: %s", want, in)
		}
	}
	if sys := chat["gen_ai.system_instructions"].AsString(); !strings.Contains(sys, system) || !strings.Contains(sys, fact) {
		t.Errorf("gen_ai.system_instructions = %s", sys)
	}
	if out := chat["gen_ai.output.messages"].AsString(); !strings.Contains(out, "Seoul: 15 degrees.") || !strings.Contains(out, `"finish_reason":"stop"`) {
		t.Errorf("gen_ai.output.messages = %s", out)
	}
	first := attrs(named(tr.spans, "chat gpt-4o-mini")[0])
	if out := first["gen_ai.output.messages"].AsString(); !strings.Contains(out, `"name":"get_weather"`) || !strings.Contains(out, `"arguments":{"location":"Seoul","unit":"celsius"}`) {
		t.Errorf("tool call output = %s", out)
	}
	tool := attrs(named(tr.spans, "execute_tool get_weather")[0])
	if got := tool["gen_ai.tool.call.arguments"].AsString(); got != `{"location":"Seoul","unit":"celsius"}` {
		t.Errorf("tool arguments %q", got)
	}
	if got := tool["gen_ai.tool.call.result"].AsString(); got != `{"location":"Seoul","temp":15}` {
		t.Errorf("tool result %q", got)
	}
	if q := attrs(named(tr.spans, "retrieval mina")[0])["gen_ai.retrieval.query.text"].AsString(); q != question {
		t.Errorf("query text %q", q)
	}
}

func TestMetrics(t *testing.T) {
	tr := runTurn(t, false)
	ms := map[string]metricdata.Metrics{}
	for _, sm := range tr.metrics.ScopeMetrics {
		for _, m := range sm.Metrics {
			ms[m.Name] = m
		}
	}
	tok, ok := ms["gen_ai.client.token.usage"].Data.(metricdata.Histogram[int64])
	if !ok || ms["gen_ai.client.token.usage"].Unit != "{token}" {
		t.Fatalf("token usage %+v", ms["gen_ai.client.token.usage"])
	}
	sums := map[string]int64{}
	counts := map[string]uint64{}
	for _, dp := range tok.DataPoints {
		tt, _ := dp.Attributes.Value("gen_ai.token.type")
		m, _ := dp.Attributes.Value("gen_ai.request.model")
		p, _ := dp.Attributes.Value("gen_ai.provider.name")
		if m.AsString() != "gpt-4o-mini" || p.AsString() != "openai" {
			t.Errorf("token data point attributes %v", dp.Attributes.ToSlice())
		}
		sums[tt.AsString()] += dp.Sum
		counts[tt.AsString()] += dp.Count
	}
	if sums["input"] != 320 || sums["output"] != 42 || counts["input"] != 2 || counts["output"] != 2 {
		t.Errorf("token sums %v counts %v, want input 320/2, output 42/2", sums, counts)
	}
	dur, ok := ms["gen_ai.client.operation.duration"].Data.(metricdata.Histogram[float64])
	if !ok || ms["gen_ai.client.operation.duration"].Unit != "s" {
		t.Fatalf("duration %+v", ms["gen_ai.client.operation.duration"])
	}
	var okCalls, failed uint64
	for _, dp := range dur.DataPoints {
		if et, has := dp.Attributes.Value("error.type"); has {
			if et.AsString() != "RateLimitError" {
				t.Errorf("error.type %v", et.AsString())
			}
			failed += dp.Count
		} else {
			okCalls += dp.Count
		}
		if !slices.Equal(dp.Bounds[:3], []float64{0.01, 0.02, 0.04}) {
			t.Errorf("duration buckets %v", dp.Bounds)
		}
	}
	if okCalls != 2 || failed != 1 {
		t.Errorf("durations: %d ok, %d failed; want 2, 1", okCalls, failed)
	}
	cd, ok := ms["jedisos.router.cooldowns"].Data.(metricdata.Sum[int64])
	if !ok || len(cd.DataPoints) != 1 || cd.DataPoints[0].Value != 1 {
		t.Fatalf("cooldowns %+v", ms["jedisos.router.cooldowns"])
	}
	if d, _ := cd.DataPoints[0].Attributes.Value("jedisos.router.deployment"); d.AsString() != "a" {
		t.Errorf("cooldown of %q, want a", d.AsString())
	}
	if et, _ := cd.DataPoints[0].Attributes.Value("error.type"); et.AsString() != "RateLimitError" {
		t.Errorf("cooldown error.type %q", et.AsString())
	}
	// the first model call falls back after the 429; the second finds
	// the primary cooling down and falls back again
	fb, ok := ms["jedisos.router.fallbacks"].Data.(metricdata.Sum[int64])
	if !ok || len(fb.DataPoints) != 1 || fb.DataPoints[0].Value != 2 {
		t.Fatalf("fallbacks %+v", ms["jedisos.router.fallbacks"])
	}
}

func TestRouterCacheHitsAndFallbacks(t *testing.T) {
	sr := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sr))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tel := telemetry.New(telemetry.Options{TracerProvider: tp, MeterProvider: mp})
	srv := llmtest.NewOpenAI(t)
	srv.SetDefault(llmtest.Reply{Text: "cached answer", Usage: llmtest.Usage{Prompt: 5, Completion: 2}})
	rt, err := router.New(router.Config{
		Deployments:      []router.Deployment{{Group: "g", ID: "d", Params: llm.Params{Model: "gpt-4o-mini", APIBase: srv.APIBase(), APIKey: keyA}}},
		Cache:            router.NewMemoryCache(router.MemoryCacheConfig{}),
		Callbacks:        []llm.Callback{tel.LLM()},
		ServiceCallbacks: []router.ServiceCallback{tel.Router()},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "caller")
	for i := range 3 {
		resp, err := rt.Complete(ctx, &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
		if err != nil || resp.CacheHit != (i > 0) {
			t.Fatalf("call %d: %+v, %v", i, resp, err)
		}
	}
	parent.End()
	if srv.Count() != 1 {
		t.Fatalf("%d provider calls, want 1", srv.Count())
	}
	spans := tracetest.SpanStubsFromReadOnlySpans(sr.Ended())
	if n := len(named(spans, "chat gpt-4o-mini")); n != 1 {
		t.Errorf("%d chat spans, want 1", n)
	}
	hits := 0
	for _, e := range named(spans, "caller")[0].Events {
		if e.Name == "jedisos.router.cache_hit" {
			hits++
		}
	}
	if hits != 2 {
		t.Errorf("%d cache-hit events, want 2", hits)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "jedisos.router.cache.hits" {
				continue
			}
			d := m.Data.(metricdata.Sum[int64])
			if len(d.DataPoints) != 1 || d.DataPoints[0].Value != 2 {
				t.Fatalf("cache hits %+v", d.DataPoints)
			}
			g, _ := d.DataPoints[0].Attributes.Value("jedisos.router.group")
			if g.AsString() != "g" {
				t.Errorf("cache hit group %q", g.AsString())
			}
			return
		}
	}
	t.Fatal("no jedisos.router.cache.hits metric")
}

// An input callback after telemetry's rejects the call: the chat span
// telemetry opened in OnInput is still ended, with error status, the
// rejection's message and error.type "rejected", on a Router attempt and
// on a single model.
func TestRejectedCallEndsChatSpan(t *testing.T) {
	policy := errors.New("blocked by policy: the prompt names a customer")
	reject := llm.CallbackFuncs{Input: func(context.Context, *llm.CallInfo) error { return policy }}
	for _, tc := range []struct {
		name string
		make func(tel *telemetry.Telemetry, srv *llmtest.Server) (llm.Completer, error)
		want string
	}{
		{"router", func(tel *telemetry.Telemetry, srv *llmtest.Server) (llm.Completer, error) {
			return router.New(router.Config{
				Deployments: []router.Deployment{{Group: "g", ID: "d", Params: llm.Params{Model: "gpt-4o-mini", APIBase: srv.APIBase(), APIKey: keyA}}},
				Callbacks:   []llm.Callback{tel.LLM(), reject},
			})
		}, "router: input callback rejected the call to deployment d: " + policy.Error()},
		{"model", func(tel *telemetry.Telemetry, srv *llmtest.Server) (llm.Completer, error) {
			return llm.New("gpt-4o-mini", llm.WithAPIBase(srv.APIBase()), llm.WithAPIKey(keyA),
				llm.WithCallbacks(tel.LLM(), reject))
		}, "BadRequestError (openai gpt-4o-mini): rejected by an input callback: " + policy.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
			tel := telemetry.New(telemetry.Options{TracerProvider: tp})
			srv := llmtest.NewOpenAI(t)
			m, err := tc.make(tel, srv)
			if err != nil {
				t.Fatal(err)
			}
			_, err = m.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}})
			if !errors.Is(err, policy) || !errors.Is(err, llm.ErrRejected) {
				t.Fatalf("err %v", err)
			}
			if srv.Count() != 0 {
				t.Fatal("a rejected call reached the provider")
			}
			spans := exp.GetSpans()
			if len(spans) != 1 || spans[0].Name != "chat gpt-4o-mini" {
				t.Fatalf("exported spans %v, want the one chat span", texts(spans))
			}
			sp := spans[0]
			if sp.EndTime.IsZero() || sp.Status.Code != codes.Error || sp.Status.Description != tc.want {
				t.Fatalf("span status %+v (end %v), want error %q", sp.Status, sp.EndTime, tc.want)
			}
			if et := attrs(sp)["error.type"]; et.AsString() != "rejected" {
				t.Fatalf("error.type %q", et.AsString())
			}
		})
	}
}
