package nodes

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/state"
)

// e2e wires the whole product against wire-format servers: an Anthropic
// primary that is overloaded, an OpenAI fallback, typed tools and memory.
type e2e struct {
	anth, oai *llmtest.Server
	router    *router.Router
	log       *callLog
	eng       *memory.Engine
	cfg       ReActConfig
}

const memoryFact = "Mina lives in Seoul and prefers celsius."

func newE2E(t *testing.T) *e2e {
	t.Helper()
	e := &e2e{anth: llmtest.NewAnthropic(t), oai: llmtest.NewOpenAI(t), log: &callLog{}}
	// The primary is overloaded whenever it is asked.
	e.anth.SetDefault(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"})
	// The fallback first asks for two tools at once, one with bad
	// arguments; then it answers.
	e.oai.Enqueue(
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{
			{ID: "call_ok", Name: "get_weather", Arguments: `{"location":"Seoul","unit":"celsius"}`},
			{ID: "call_bad", Name: "get_weather", Arguments: `{"unit":"kelvin"}`},
		}, Usage: llmtest.Usage{Prompt: 120, Completion: 30}},
		llmtest.Reply{Text: "Seoul is sunny and 15 degrees celsius.", Usage: llmtest.Usage{Prompt: 200, Completion: 12}},
	)
	var err error
	zero := 0
	e.router, err = router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "primary", Params: llm.Params{Model: "claude-sonnet-4-5", APIBase: e.anth.APIBase(), APIKey: "sk-ant-test"}},
			{Group: "fallback1", Params: llm.Params{Model: "gpt-4o", APIBase: e.oai.APIBase(), APIKey: "sk-test"}},
		},
		Fallbacks:  map[string][]string{"primary": {"fallback1"}},
		NumRetries: &zero,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.eng, err = memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.eng.Close() })
	if _, err := e.eng.Retain(context.Background(), "mina", memoryFact, memory.RetainOptions{}); err != nil {
		t.Fatal(err)
	}
	e.cfg = ReActConfig{
		Model: e.router, ModelName: "primary", SystemPrompt: "You are a helpful assistant.",
		Tools: weatherRegistry(t, e.log), Memory: e.eng, Bank: "mina",
	}
	return e
}

// wantCost is what the answering deployment's usage costs by the price table.
func wantCost(t *testing.T) (float64, llm.Usage) {
	u1 := llm.Usage{PromptTokens: 120, CompletionTokens: 30, TotalTokens: 150}
	u2 := llm.Usage{PromptTokens: 200, CompletionTokens: 12, TotalTokens: 212}
	c1, err := llm.Cost("gpt-4o", u1)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := llm.Cost("gpt-4o", u2)
	return c1 + c2, u1.Add(u2)
}

func (e *e2e) check(t *testing.T, out AgentState) {
	t.Helper()
	if got := out.Answer(); got != "Seoul is sunny and 15 degrees celsius." {
		t.Fatalf("answer = %q", got)
	}
	// The valid call ran with decoded arguments; the invalid one did not.
	if calls := e.log.all(); len(calls) != 1 || calls[0] != (weatherIn{Location: "Seoul", Unit: "celsius"}) {
		t.Fatalf("tool calls = %+v", calls)
	}
	// The primary was tried and failed (529), the fallback answered twice.
	if e.anth.Count() < 1 || e.oai.Count() != 2 {
		t.Fatalf("anthropic got %d requests, openai %d", e.anth.Count(), e.oai.Count())
	}
	reqs := e.oai.Requests()
	// The recalled memory reached the model in the first request.
	if !strings.Contains(string(reqs[0].Body), memoryFact) {
		t.Fatalf("first request lacks the recalled memory: %s", reqs[0].Body)
	}
	// The correction for the bad call reached the model in the second.
	var body struct {
		Messages []struct {
			Role       string `json:"role"`
			Content    any    `json:"content"`
			ToolCallID string `json:"tool_call_id"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(reqs[1].Body, &body); err != nil {
		t.Fatal(err)
	}
	var okMsg, badMsg string
	for _, m := range body.Messages {
		if m.Role != "tool" {
			continue
		}
		text, _ := m.Content.(string)
		switch m.ToolCallID {
		case "call_ok":
			okMsg = text
		case "call_bad":
			badMsg = text
		}
	}
	if !strings.Contains(okMsg, "sunny") {
		t.Fatalf("tool result sent = %q", okMsg)
	}
	if !strings.Contains(badMsg, "location") || !strings.Contains(badMsg, "kelvin") {
		t.Fatalf("correction sent = %q; want it to name the missing location and the bad unit", badMsg)
	}
	cost, usage := wantCost(t)
	if out.Usage != usage {
		t.Fatalf("usage = %+v, want %+v", out.Usage, usage)
	}
	if math.Abs(out.Cost-cost) > 1e-12 || cost == 0 {
		t.Fatalf("cost = %g, want %g", out.Cost, cost)
	}
	last := out.Messages[len(out.Messages)-1]
	if last.Meta == nil || last.Meta.Model != "gpt-4o" || last.Meta.Deployment == "" || last.Meta.Latency <= 0 {
		t.Fatalf("answer meta = %+v", last.Meta)
	}
	if c2, _ := llm.Cost("gpt-4o", llm.Usage{PromptTokens: 200, CompletionTokens: 12, TotalTokens: 212}); math.Abs(last.Meta.Cost-c2) > 1e-12 || last.Meta.Usage.TotalTokens != 212 {
		t.Fatalf("answer meta cost %g usage %+v, want %g and 212 tokens", last.Meta.Cost, last.Meta.Usage, c2)
	}
}

func TestEndToEndFallbackToolsMemoryStream(t *testing.T) {
	e := newE2E(t)
	agent, err := NewReAct(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := AgentState{Messages: []llm.Message{llm.User("I'm Mina. What's the weather where I live?")}}
	var out AgentState
	var trace []string
	var tokens strings.Builder
	for ev, err := range agent.Stream(context.Background(), in, graph.Only(graph.EventNodeStart|graph.EventNodeEnd|graph.EventToken|graph.EventState)) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case graph.EventNodeStart:
			trace = append(trace, ev.Node)
		case graph.EventNodeEnd:
			trace = append(trace, "/"+ev.Node)
		case graph.EventToken:
			if tokens.Len() == 0 {
				trace = append(trace, "tokens")
			}
			tokens.WriteString(ev.Token)
		case graph.EventState:
			out = ev.State
		}
	}
	e.check(t, out)
	want := "memory_recall /memory_recall llm_reason /llm_reason tool_exec /tool_exec llm_reason tokens /llm_reason memory_retain /memory_retain"
	if got := strings.Join(trace, " "); got != want {
		t.Fatalf("node order = %s\nwant         %s", got, want)
	}
	if tokens.String() != out.Answer() {
		t.Fatalf("streamed tokens %q != answer %q", tokens.String(), out.Answer())
	}

	// memory_retain stored the turn: a second run recalls it.
	e.oai.Enqueue(llmtest.Reply{Text: "You asked about the weather in Seoul."})
	second, err := agent.Invoke(context.Background(), AgentState{Messages: []llm.Message{llm.User("What did the weather in Seoul look like?")}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := e.oai.Requests()
	if !strings.Contains(string(reqs[2].Body), "Seoul is sunny and 15 degrees celsius.") {
		t.Fatalf("the retained turn was not recalled into the next request: %s", reqs[2].Body)
	}
	if second.Answer() != "You asked about the weather in Seoul." {
		t.Fatalf("second answer = %q", second.Answer())
	}
}

func TestEndToEndInterruptBeforeToolsAndResume(t *testing.T) {
	e := newE2E(t)
	e.cfg.Checkpointer = state.NewMemory()
	e.cfg.CompileOptions = []graph.CompileOption{graph.WithInterruptBefore(NodeToolExec)}
	agent, err := NewReAct(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	in := AgentState{Messages: []llm.Message{llm.User("I'm Mina. What's the weather where I live?")}}
	_, err = agent.Invoke(ctx, in, graph.Thread("t1"))
	var intr *graph.InterruptedError
	if !errors.As(err, &intr) {
		t.Fatalf("first invoke: err = %v, want an interrupt before tool_exec", err)
	}
	if len(e.log.all()) != 0 {
		t.Fatal("a tool ran before the approval")
	}
	snap, err := agent.State(ctx, "t1")
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := snap.State.Last(); len(m.ToolCalls) != 2 {
		t.Fatalf("paused state's last message = %+v", m)
	}
	out, err := agent.Invoke(ctx, AgentState{}, graph.Thread("t1"))
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, out)
}
