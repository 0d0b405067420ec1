package scripted_test

import (
	"context"
	"fmt"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
)

// A scripted model asks for a tool, then answers.
func Example() {
	m := scripted.New([]scripted.Reply{
		{ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}}},
		{Text: "Seoul is sunny, 15°C."},
	})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		resp, _ := m.GenerateContent(ctx, []llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "Weather in Seoul?")})
		c := resp.Choices[0]
		if len(c.ToolCalls) > 0 {
			fmt.Println("tool call:", c.ToolCalls[0].FunctionCall.Name, c.ToolCalls[0].FunctionCall.Arguments)
			continue
		}
		fmt.Println("answer:", c.Content)
	}
	// Output:
	// tool call: get_weather {"location":"Seoul"}
	// answer: Seoul is sunny, 15°C.
}
