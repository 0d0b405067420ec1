package llm

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// Checkpoints store messages as JSON: every field must survive a round trip.
func TestMessageJSONRoundTrip(t *testing.T) {
	in := []Message{
		System("be brief"),
		User("서울 날씨?"),
		{Role: RoleAssistant, Content: "checking", ReasoningContent: "need a tool",
			ToolCalls: []ToolCall{{ID: "c1", Type: "function", Name: "get_weather", Arguments: `{"location":"Seoul"}`}},
			Meta: &ResponseMeta{Model: "gpt-4o", Provider: "openai", Deployment: "d1",
				Usage: Usage{PromptTokens: 10, CompletionTokens: 3, TotalTokens: 13, CacheReadTokens: 2, ReasoningTokens: 1},
				Cost:  0.0001, Latency: 1500 * time.Millisecond}},
		ToolResult("c1", "get_weather", `{"weather":"sunny"}`),
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Fatalf("round trip changed messages:\n in  %+v\n out %+v", in, out)
	}
}
