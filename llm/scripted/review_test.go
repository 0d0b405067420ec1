package scripted

import (
	"context"
	"testing"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

// Tool calls without an ID get the number of the call they came from,
// whether or not the Model records its requests.
func TestGeneratedToolCallIDsDistinctWithoutRecording(t *testing.T) {
	m := New([]Reply{
		{ToolCalls: []llm.ToolCall{{Name: "a", Arguments: `{}`}}},
		{ToolCalls: []llm.ToolCall{{Name: "a", Arguments: `{}`}}},
	}, NoRecord())
	var ids []string
	for range 2 {
		r, err := m.GenerateContent(context.Background(), []llms.MessageContent{user("go")})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.Choices[0].ToolCalls[0].ID)
	}
	if ids[0] != "call_1_0" || ids[1] != "call_2_0" {
		t.Fatalf("ids = %q, want call_1_0 and call_2_0", ids)
	}
}

func TestRemainingOfLoopingModel(t *testing.T) {
	m := New([]Reply{{Text: "a"}, {Text: "b"}}, Loop())
	var got []int
	for range 3 {
		if _, err := m.GenerateContent(context.Background(), []llms.MessageContent{user("go")}); err != nil {
			t.Fatal(err)
		}
		got = append(got, m.Remaining())
	}
	if got[0] != 1 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("Remaining after each call = %v, want [1 2 1]", got)
	}
}
