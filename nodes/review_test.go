package nodes

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
)

// Without memory_retain to reset it, Iterations still counts the model
// calls of the current turn only: later turns get their tools.
func TestIterationsCountPerTurnWithoutMemory(t *testing.T) {
	log := &callLog{}
	var replies []scripted.Reply
	for range 3 {
		replies = append(replies,
			scripted.Reply{ToolCalls: []llm.ToolCall{{ID: "c", Name: "get_weather", Arguments: `{"location":"Seoul"}`}}},
			scripted.Reply{Text: "Sunny."})
	}
	model := scripted.New(replies)
	agent, err := NewReAct(ReActConfig{Model: completer(model), Tools: weatherRegistry(t, log), MaxIterations: 3})
	if err != nil {
		t.Fatal(err)
	}
	st := AgentState{}
	for turn := 1; turn <= 3; turn++ {
		var ans string
		ans, st, err = Ask(context.Background(), agent, st, "Weather in Seoul?")
		if err != nil {
			t.Fatalf("turn %d: %v", turn, err)
		}
		if ans != "Sunny." || len(log.all()) != turn || st.Iterations != 2 {
			t.Fatalf("turn %d: answer %q, %d tool calls in all, %d iterations", turn, ans, len(log.all()), st.Iterations)
		}
	}
}
