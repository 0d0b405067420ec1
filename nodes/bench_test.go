package nodes

import (
	"context"
	"fmt"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/tools"
)

var benchCities = []string{"Seoul", "Busan", "Tokyo", "Osaka", "Paris", "Berlin", "Lima", "Quito", "Oslo", "Cairo"}

// benchEngine returns an engine whose bank "bench" holds n memories.
func benchEngine(b *testing.B, n int) *memory.Engine {
	b.Helper()
	eng, err := memory.New(memory.Config{})
	if err != nil {
		b.Fatal(err)
	}
	items := make([]memory.RetainItem, 0, 500)
	flush := func() {
		if _, err := eng.RetainBatch(context.Background(), "bench", items); err != nil {
			b.Fatal(err)
		}
		items = items[:0]
	}
	for i := 0; i < n; i++ {
		c := benchCities[i%len(benchCities)]
		items = append(items, memory.RetainItem{Content: fmt.Sprintf("Note %d: the user visited %s on trip number %d and liked dish %d.", i, c, i/len(benchCities), i%97)})
		if len(items) == cap(items) {
			flush()
		}
	}
	if len(items) > 0 {
		flush()
	}
	return eng
}

func benchTools(b *testing.B) *tools.Registry {
	weather, err := tools.New("get_weather", "weather", func(_ context.Context, in weatherIn) (weatherOut, error) {
		return weatherOut{Location: in.Location, Weather: "sunny", Temp: 15, Unit: "celsius"}, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	reg, err := tools.NewRegistry(tools.Config{}, weather)
	if err != nil {
		b.Fatal(err)
	}
	return reg
}

var benchScript = []scripted.Reply{
	{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"location":"Seoul","unit":"celsius"}`}},
		Usage: llm.Usage{PromptTokens: 100, CompletionTokens: 10, TotalTokens: 110}},
	{Text: "Seoul is sunny, 15 degrees.", Usage: llm.Usage{PromptTokens: 150, CompletionTokens: 8, TotalTokens: 158}},
}

// BenchmarkReActTurn runs one full turn — recall over 10,000 memories,
// reason with one tool call, the tool, reason again, retain — against the
// scripted model and the embedded store.
func BenchmarkReActTurn(b *testing.B) {
	eng := benchEngine(b, 10_000)
	defer eng.Close()
	model := llm.FromLangchain(scripted.New(benchScript, scripted.Loop(), scripted.NoRecord()), "scripted", "scripted")
	agent, err := NewReAct(ReActConfig{Model: model, Tools: benchTools(b), Memory: eng, Bank: "bench", SystemPrompt: "Be brief."})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err := agent.Invoke(ctx, AgentState{Messages: []llm.Message{llm.User("What was the weather like in Seoul on my trips?")}})
		if err != nil {
			b.Fatal(err)
		}
		if out.Answer() != "Seoul is sunny, 15 degrees." || len(out.Memories) == 0 {
			b.Fatalf("answer %q, %d memories", out.Answer(), len(out.Memories))
		}
	}
}

// BenchmarkReActTurnModelOnly is the scripted model's own share of a turn:
// the same two calls, made directly, with the same conversation sizes.
func BenchmarkReActTurnModelOnly(b *testing.B) {
	model := llm.FromLangchain(scripted.New(benchScript, scripted.Loop(), scripted.NoRecord()), "scripted", "scripted")
	ctx := context.Background()
	first := []llm.Message{llm.System("Be brief."), llm.System("Relevant memories: ..."), llm.User("What was the weather like in Seoul on my trips?")}
	second := append(append([]llm.Message(nil), first...),
		llm.Message{Role: llm.RoleAssistant, ToolCalls: benchScript[0].ToolCalls},
		llm.ToolResult("c1", "get_weather", `{"location":"Seoul","weather":"sunny","temp":15,"unit":"celsius"}`))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := model.Complete(ctx, &llm.Request{Messages: first}); err != nil {
			b.Fatal(err)
		}
		if _, err := model.Complete(ctx, &llm.Request{Messages: second}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReActTurnRecallOnly is the memory recall's share of a turn.
func BenchmarkReActTurnRecallOnly(b *testing.B) {
	eng := benchEngine(b, 10_000)
	defer eng.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := eng.Recall(ctx, "bench", "What was the weather like in Seoul on my trips?", memory.RecallOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
