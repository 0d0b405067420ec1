package llm_test

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/tmc/langchaingo/llms"
)

// benchFake is an in-process langchaingo model answering instantly with a
// fixed reply, so the benchmark measures only the layer's own work.
type benchFake struct{ resp *llms.ContentResponse }

func (f *benchFake) GenerateContent(_ context.Context, _ []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	var o llms.CallOptions
	for _, opt := range options {
		opt(&o)
	}
	return f.resp, nil
}

func (f *benchFake) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, f, prompt, options...)
}

// BenchmarkCompletionOverhead compares one non-streaming completion through
// the layer (conversion to langchaingo, choice merging, usage
// normalisation, cost, classification wrapper) with calling the same fake
// model directly with pre-built langchaingo messages.
func BenchmarkCompletionOverhead(b *testing.B) {
	fake := &benchFake{resp: &llms.ContentResponse{Choices: []*llms.ContentChoice{{
		Content: "The capital of France is Paris.", StopReason: "stop",
		GenerationInfo: map[string]any{"PromptTokens": 24, "CompletionTokens": 8, "TotalTokens": 32},
	}}}}
	msgs := []llm.Message{llm.System("You are a helpful assistant."), llm.User("What is the capital of France?")}
	temp := 0.7
	ctx := context.Background()

	b.Run("direct", func(b *testing.B) {
		lcMsgs := llm.ToLangchain(msgs)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := fake.GenerateContent(ctx, lcMsgs, llms.WithTemperature(temp), llms.WithMaxTokens(200))
			if err != nil || resp.Choices[0].Content == "" {
				b.Fatal(err)
			}
		}
	})
	b.Run("layer", func(b *testing.B) {
		c := llm.FromLangchain(fake, "openai", "gpt-4o")
		req := &llm.Request{Messages: msgs, Temperature: &temp, MaxTokens: 200}
		b.ReportAllocs()
		for b.Loop() {
			resp, err := c.Complete(ctx, req)
			if err != nil || resp.Cost == 0 {
				b.Fatal(err)
			}
		}
	})
}
