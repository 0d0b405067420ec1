package nodes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/tools"
)

type weatherIn struct {
	Location string `json:"location" jsonschema_description:"City and country, e.g. Seoul, South Korea"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
}

type weatherOut struct {
	Location string `json:"location"`
	Weather  string `json:"weather"`
	Temp     int    `json:"temp"`
	Unit     string `json:"unit"`
}

type callLog struct {
	mu    sync.Mutex
	calls []weatherIn
}

func (l *callLog) all() []weatherIn {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]weatherIn(nil), l.calls...)
}

func weatherRegistry(t *testing.T, log *callLog) *tools.Registry {
	t.Helper()
	tool, err := tools.New("get_weather", "Look up the current weather of a place",
		func(_ context.Context, in weatherIn) (weatherOut, error) {
			log.mu.Lock()
			log.calls = append(log.calls, in)
			log.mu.Unlock()
			unit := in.Unit
			if unit == "" {
				unit = "celsius"
			}
			return weatherOut{Location: in.Location, Weather: "sunny", Temp: 15, Unit: unit}, nil
		})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := tools.NewRegistry(tools.Config{}, tool)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func completer(m *scripted.Model) llm.Completer { return llm.FromLangchain(m, "scripted", "scripted") }

func TestReActWithoutMemory(t *testing.T) {
	log := &callLog{}
	model := scripted.New([]scripted.Reply{
		{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}},
			Usage: llm.Usage{PromptTokens: 20, CompletionTokens: 5, TotalTokens: 25}},
		{Text: "Seoul is sunny, 15°C.", Usage: llm.Usage{PromptTokens: 40, CompletionTokens: 8, TotalTokens: 48}},
	})
	agent, err := NewReAct(ReActConfig{Model: completer(model), Tools: weatherRegistry(t, log), SystemPrompt: "Be brief."})
	if err != nil {
		t.Fatal(err)
	}
	ans, st, err := Ask(context.Background(), agent, AgentState{}, "Weather in Seoul?")
	if err != nil {
		t.Fatal(err)
	}
	if ans != "Seoul is sunny, 15°C." {
		t.Fatalf("answer = %q", ans)
	}
	if got := log.all(); len(got) != 1 || got[0].Location != "Seoul" {
		t.Fatalf("tool calls = %+v", got)
	}
	roles := []llm.Role{}
	for _, m := range st.Messages {
		roles = append(roles, m.Role)
	}
	want := []llm.Role{llm.RoleUser, llm.RoleAssistant, llm.RoleTool, llm.RoleAssistant}
	if len(roles) != len(want) {
		t.Fatalf("roles = %v, want %v", roles, want)
	}
	for i := range want {
		if roles[i] != want[i] {
			t.Fatalf("roles = %v, want %v", roles, want)
		}
	}
	if st.Messages[2].ToolCallID != "c1" || !strings.Contains(st.Messages[2].Content, `"weather":"sunny"`) {
		t.Fatalf("tool message = %+v", st.Messages[2])
	}
	if st.Usage.TotalTokens != 73 || st.Iterations != 2 {
		t.Fatalf("usage = %+v, iterations = %d", st.Usage, st.Iterations)
	}
	meta := st.Messages[3].Meta
	if meta == nil || meta.Model != "scripted" || meta.Usage.TotalTokens != 48 {
		t.Fatalf("meta = %+v", meta)
	}
	// The model saw the system prompt first and the tool result last.
	calls := model.Calls()
	if len(calls) != 2 || calls[1].Messages[0].Content != "Be brief." || calls[1].Messages[3].Role != llm.RoleTool {
		t.Fatalf("second request = %+v", calls[1].Messages)
	}
	if len(calls[0].Tools) != 1 || calls[0].Tools[0].Function.Name != "get_weather" {
		t.Fatalf("tools offered = %+v", calls[0].Tools)
	}
}

func TestMaxIterationsForcesAnAnswer(t *testing.T) {
	log := &callLog{}
	loop := scripted.NewFunc(func(msgs []llm.Message) scripted.Reply {
		// A model that always wants the tool, unless told to answer.
		if last := msgs[len(msgs)-1]; last.Role == llm.RoleSystem && strings.Contains(last.Content, "Answer the user now") {
			return scripted.Reply{Text: "Final: sunny.", ToolCalls: []llm.ToolCall{{Name: "get_weather", Arguments: `{"location":"X"}`}}}
		}
		return scripted.Reply{ToolCalls: []llm.ToolCall{{Name: "get_weather", Arguments: `{"location":"Seoul"}`}}}
	})
	agent, err := NewReAct(ReActConfig{Model: completer(loop), Tools: weatherRegistry(t, log), MaxIterations: 3})
	if err != nil {
		t.Fatal(err)
	}
	ans, st, err := Ask(context.Background(), agent, AgentState{}, "Weather?")
	if err != nil {
		t.Fatal(err)
	}
	if ans != "Final: sunny." || st.Iterations != 3 || len(log.all()) != 2 {
		t.Fatalf("answer %q after %d iterations and %d tool calls", ans, st.Iterations, len(log.all()))
	}
	calls := loop.Calls()
	if len(calls[2].Tools) != 0 {
		t.Fatalf("last call offered %d tools, want none", len(calls[2].Tools))
	}
}

func TestBadToolCallBecomesCorrection(t *testing.T) {
	log := &callLog{}
	model := scripted.New([]scripted.Reply{
		{ToolCalls: []llm.ToolCall{
			{ID: "ok", Name: "get_weather", Arguments: `{"location":"Busan","unit":"celsius"}`},
			{ID: "bad", Name: "get_weather", Arguments: `{"unit":"kelvin"}`},
			{ID: "unknown", Name: "search_web", Arguments: `{"query":"x"}`},
			{ID: "broken", Name: "get_weather", Arguments: `{"location":`},
		}},
		{Text: "done"},
	})
	agent, err := NewReAct(ReActConfig{Model: completer(model), Tools: weatherRegistry(t, log)})
	if err != nil {
		t.Fatal(err)
	}
	_, st, err := Ask(context.Background(), agent, AgentState{}, "Weather in Busan?")
	if err != nil {
		t.Fatal(err)
	}
	if got := log.all(); len(got) != 1 || got[0].Location != "Busan" {
		t.Fatalf("tool ran with %+v, want only the valid call", got)
	}
	toolMsgs := st.Messages[2:6]
	ids := []string{"ok", "bad", "unknown", "broken"}
	for i, m := range toolMsgs {
		if m.Role != llm.RoleTool || m.ToolCallID != ids[i] {
			t.Fatalf("tool message %d = %+v, want answer to %s", i, m, ids[i])
		}
	}
	if !strings.Contains(toolMsgs[1].Content, "location") || !strings.Contains(toolMsgs[1].Content, "unit") {
		t.Fatalf("schema violation message does not name the fields: %q", toolMsgs[1].Content)
	}
	if !strings.Contains(toolMsgs[2].Content, "get_weather") {
		t.Fatalf("unknown tool message does not list the available tools: %q", toolMsgs[2].Content)
	}
	if !strings.Contains(strings.ToLower(toolMsgs[3].Content), "json") {
		t.Fatalf("malformed JSON message: %q", toolMsgs[3].Content)
	}
}

func TestMemoryRecallAndRetain(t *testing.T) {
	ctx := context.Background()
	eng, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	if _, err := eng.Retain(ctx, "mina", "Mina lives in Busan. Mina prefers tea over coffee.", memory.RetainOptions{}); err != nil {
		t.Fatal(err)
	}
	model := scripted.NewFunc(func(msgs []llm.Message) scripted.Reply {
		for _, m := range msgs {
			if m.Role == llm.RoleSystem && strings.Contains(m.Content, "Busan") {
				return scripted.Reply{Text: "You live in Busan."}
			}
		}
		return scripted.Reply{Text: "I don't know."}
	})
	agent, err := NewReAct(ReActConfig{Model: completer(model), Memory: eng, Bank: "mina"})
	if err != nil {
		t.Fatal(err)
	}
	ans, st, err := Ask(ctx, agent, AgentState{}, "Where does Mina live?")
	if err != nil {
		t.Fatal(err)
	}
	if ans != "You live in Busan." {
		t.Fatalf("answer = %q (memories %+v)", ans, st.Memories)
	}
	if len(st.Memories) == 0 || !strings.Contains(st.Memories[0].Text, "Busan") || st.Memories[0].FoundBy == "" {
		t.Fatalf("memories = %+v", st.Memories)
	}
	if st.Iterations != 0 {
		t.Fatalf("iterations not reset by memory_retain: %d", st.Iterations)
	}
	res, err := eng.Recall(ctx, "mina", "You live in Busan", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, h := range res.Hits {
		if strings.Contains(h.Memory.Text, "You live in Busan") {
			found = true
		}
	}
	if !found {
		t.Fatalf("the turn was not retained; hits: %+v", res.Hits)
	}
}

func TestBackgroundRetainerFlushesOnClose(t *testing.T) {
	ctx := context.Background()
	eng, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var failed []string
	r := NewRetainer(eng, func(bank string, err error) { failed = append(failed, bank) })
	for i := 0; i < 20; i++ {
		if err := r.Enqueue("bank", "User: fact number "+string(rune('a'+i))+" is true.", memory.RetainOptions{Timestamp: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
	}
	// An invalid bank id fails and is reported, not dropped silently.
	if err := r.Enqueue("", "User: nowhere.", memory.RetainOptions{}); err != nil {
		t.Fatal(err)
	}
	err = r.Close(ctx)
	if err == nil || len(failed) != 1 {
		t.Fatalf("Close err = %v, failures %v; want the empty-bank failure reported", err, failed)
	}
	if err := r.Enqueue("bank", "late", memory.RetainOptions{}); !errors.Is(err, ErrRetainerClosed) {
		t.Fatalf("Enqueue after Close = %v", err)
	}
	n, err := eng.Store().Count(ctx, "bank", memory.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Fatalf("retained %d memories, want >= 20", n)
	}
}

func TestStreamEventsAndTokens(t *testing.T) {
	log := &callLog{}
	model := scripted.New([]scripted.Reply{
		{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}}},
		{Text: "Sunny in Seoul."},
	})
	agent, err := NewReAct(ReActConfig{Model: completer(model), Tools: weatherRegistry(t, log)})
	if err != nil {
		t.Fatal(err)
	}
	st := AgentState{Messages: []llm.Message{llm.User("Weather?")}}
	var trace []string
	var tokens strings.Builder
	for ev, err := range agent.Stream(context.Background(), st, graph.Only(graph.EventNodeStart|graph.EventToken|graph.EventCustom)) {
		if err != nil {
			t.Fatal(err)
		}
		switch ev.Kind {
		case graph.EventNodeStart:
			trace = append(trace, "start:"+ev.Node)
		case graph.EventToken:
			tokens.WriteString(ev.Token)
			if len(trace) == 0 || trace[len(trace)-1] != "tokens" {
				trace = append(trace, "tokens")
			}
		case graph.EventCustom:
			te, ok := ev.Payload.(ToolEvent)
			if !ok || te.Name != "get_weather" {
				t.Fatalf("custom event = %#v", ev.Payload)
			}
			trace = append(trace, "tool:"+te.CallID)
		}
	}
	want := "start:llm_reason start:tool_exec tool:c1 start:llm_reason tokens"
	if got := strings.Join(trace, " "); got != want {
		t.Fatalf("trace = %s\nwant    %s", got, want)
	}
	if tokens.String() != "Sunny in Seoul." {
		t.Fatalf("tokens = %q", tokens.String())
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := NewReAct(ReActConfig{}); !errors.Is(err, ErrNoModel) {
		t.Fatalf("no model: %v", err)
	}
	if _, err := ToolExec[AgentState](nil); !errors.Is(err, ErrNoTools) {
		t.Fatalf("no tools: %v", err)
	}
	if _, err := MemoryRecall[AgentState](RecallConfig{}); !errors.Is(err, ErrNoMemory) {
		t.Fatalf("no memory: %v", err)
	}
	eng, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	recall, _ := MemoryRecall[AgentState](RecallConfig{Engine: eng})
	_, err = recall(context.Background(), AgentState{Messages: []llm.Message{llm.User("hi")}})
	if !errors.Is(err, ErrNoBank) {
		t.Fatalf("no bank: %v", err)
	}
}

// A user state embedding AgentState works with the prebuilt nodes.
type myState struct {
	AgentState
	Topic string
}

func TestEmbeddedState(t *testing.T) {
	model := scripted.New([]scripted.Reply{{Text: "hello"}})
	agent, err := CompileReAct[myState](ReActConfig{Model: completer(model)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := agent.Invoke(context.Background(), myState{AgentState: AgentState{Messages: []llm.Message{llm.User("hi")}}, Topic: "greeting"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer() != "hello" || out.Topic != "greeting" {
		t.Fatalf("out = %+v", out)
	}
}

// The ReAct agent runs as a subgraph of a bigger workflow with its own state.
type ticket struct {
	Question string
	Answer   string
	Tokens   int
	Route    []string `reduce:"append"`
}

func TestReActAsSubgraph(t *testing.T) {
	log := &callLog{}
	model := scripted.New([]scripted.Reply{
		{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"location":"Busan"}`}}},
		{Text: "Busan: sunny.", Usage: llm.Usage{PromptTokens: 7, CompletionTokens: 3, TotalTokens: 10}},
	})
	agent, err := NewReAct(ReActConfig{Model: completer(model), Tools: weatherRegistry(t, log)})
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New[ticket]().
		AddNode("triage", func(_ context.Context, s ticket) (ticket, error) {
			s.Route = append(s.Route, "triage")
			return s, nil
		}).
		AddNode("agent", graph.Subgraph(agent,
			func(s ticket) AgentState { return AgentState{Messages: []llm.Message{llm.User(s.Question)}} },
			func(s ticket, a AgentState) ticket {
				s.Answer, s.Tokens = a.Answer(), a.Usage.TotalTokens
				s.Route = append(s.Route, "agent")
				return s
			})).
		AddEdge(graph.START, "triage").AddEdge("triage", "agent").AddEdge("agent", graph.END)
	wf, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	out, err := wf.Invoke(context.Background(), ticket{Question: "Weather in Busan?"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Answer != "Busan: sunny." || strings.Join(out.Route, ",") != "triage,agent" || len(log.all()) != 1 {
		t.Fatalf("out = %+v, tool calls %v", out, log.all())
	}
	if out.Tokens == 0 {
		t.Fatal("usage not carried out of the subgraph")
	}
}

// With a step budget nearly spent, the agent answers instead of failing.
func TestStepBudgetForcesAnAnswer(t *testing.T) {
	log := &callLog{}
	greedy := scripted.NewFunc(func(msgs []llm.Message) scripted.Reply {
		if last := msgs[len(msgs)-1]; last.Role == llm.RoleSystem && strings.Contains(last.Content, "Answer the user now") {
			return scripted.Reply{Text: "Answering within budget."}
		}
		return scripted.Reply{ToolCalls: []llm.ToolCall{{Name: "get_weather", Arguments: `{"location":"Seoul"}`}}}
	})
	agent, err := NewReAct(ReActConfig{Model: completer(greedy), Tools: weatherRegistry(t, log), MaxIterations: 50})
	if err != nil {
		t.Fatal(err)
	}
	in := AgentState{Messages: []llm.Message{llm.User("Weather?")}}
	// Without the reserve the model would loop until the limit.
	out, err := agent.Invoke(context.Background(), in, graph.StepLimit(6))
	if err != nil {
		t.Fatalf("run failed instead of answering: %v", err)
	}
	// Steps: reason(0) tool(1) reason(2) tool(3) reason(4, 1 step left: answer).
	if out.Answer() != "Answering within budget." || len(log.all()) != 2 || out.Iterations != 3 {
		t.Fatalf("answer %q after %d tool calls and %d iterations", out.Answer(), len(log.all()), out.Iterations)
	}
	ctxLeft := -1
	probe := graph.New[AgentState]().AddNode("p", func(ctx context.Context, s AgentState) (AgentState, error) {
		ctxLeft, _ = graph.StepsLeft(ctx)
		return s, nil
	}).AddEdge(graph.START, "p").AddEdge("p", graph.END)
	pc, err := probe.Compile(graph.WithStepLimit(10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pc.Invoke(context.Background(), AgentState{}); err != nil || ctxLeft != 9 {
		t.Fatalf("StepsLeft in step 0 of 10 = %d (%v), want 9", ctxLeft, err)
	}
}

// slowEmbedder delays every embedding so a retain is still running when a
// flush gives up.
type slowEmbedder struct {
	memory.OfflineEmbedder
	release chan struct{}
}

func (s slowEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	<-s.release
	return s.OfflineEmbedder.EmbedDocuments(ctx, texts)
}

func TestRetainerFlushGivesUpWithoutLeaking(t *testing.T) {
	release := make(chan struct{})
	eng, err := memory.New(memory.Config{Embedder: slowEmbedder{release: release}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	r := NewRetainer(eng, nil)
	if err := r.Enqueue("bank", "User: slow fact.", memory.RetainOptions{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Flush = %v, want the deadline", err)
	}
	close(release)
	if err := r.Close(context.Background()); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if n, _ := eng.Store().Count(context.Background(), "bank", memory.Filter{}); n != 1 {
		t.Fatalf("retained %d memories, want 1", n)
	}
}

// memory_retain in the background: the turn is stored once the Retainer
// is closed, and the node itself does not wait for it.
func TestReActBackgroundRetain(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	eng, err := memory.New(memory.Config{Embedder: slowEmbedder{release: release}})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	r := NewRetainer(eng, nil)
	model := scripted.New([]scripted.Reply{{Text: "Noted: your dog is called Kong."}})
	agent, err := NewReAct(ReActConfig{Model: completer(model), Memory: eng, Bank: "jun", Retainer: r,
		Recall: memory.RecallOptions{Arms: []memory.Arm{memory.ArmKeyword}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Ask(ctx, agent, AgentState{}, "My dog is called Kong."); err != nil {
		t.Fatal(err)
	}
	if n, _ := eng.Store().Count(ctx, "jun", memory.Filter{}); n != 0 {
		t.Fatalf("%d memories stored while the retain is still queued", n)
	}
	close(release)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := eng.Recall(ctx, "jun", "Kong", memory.RecallOptions{})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("turn not retained after Close: %v, %d hits", err, len(res.Hits))
	}
}

// The node's recall options (budget, token limit) bound what reaches the state.
func TestMemoryRecallTokenLimit(t *testing.T) {
	ctx := context.Background()
	eng, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	for i := 0; i < 20; i++ {
		if _, err := eng.Retain(ctx, "b", fmt.Sprintf("Seoul trip number %d was long and pleasant with many museum visits.", i), memory.RetainOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	in := AgentState{Messages: []llm.Message{llm.User("Tell me about the Seoul trips")}}
	all, _ := MemoryRecall[AgentState](RecallConfig{Engine: eng, Bank: "b"})
	few, _ := MemoryRecall[AgentState](RecallConfig{Engine: eng, Bank: "b", Options: memory.RecallOptions{Budget: memory.BudgetLow, MaxTokens: 40}})
	a, err := all(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	f, err := few(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Memories) < 10 || len(f.Memories) == 0 || len(f.Memories) > 3 {
		t.Fatalf("recalled %d memories without a limit and %d with 40 tokens", len(a.Memories), len(f.Memories))
	}
}
