// Command llm walks through the model layer offline: local servers speak
// the OpenAI, Anthropic, Gemini and Ollama wire formats, so no keys and no
// network are needed.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"strings"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/tmc/langchaingo/llms"
)

func main() {
	ctx := context.Background()
	openai := llmtest.Start(llmtest.OpenAI)
	defer openai.Close()
	anthropic := llmtest.Start(llmtest.Anthropic)
	defer anthropic.Close()
	gemini := llmtest.Start(llmtest.Gemini)
	defer gemini.Close()
	ollama := llmtest.Start(llmtest.Ollama)
	defer ollama.Close()

	// The environment the models read, instead of the process's own.
	env := map[string]string{
		"OPENAI_API_KEY": "sk-demo", "OPENAI_API_BASE": openai.APIBase(),
		"ANTHROPIC_API_KEY": "sk-ant-demo", "ANTHROPIC_API_BASE": anthropic.APIBase(),
		"GEMINI_API_KEY": "AIza-demo", "GEMINI_API_BASE": gemini.APIBase(),
		"OLLAMA_API_BASE": ollama.APIBase(),
	}
	getenv := llm.WithGetenv(func(k string) string { return env[k] })
	newModel := func(name string) *llm.Model {
		m, err := llm.New(name, getenv)
		if err != nil {
			log.Fatal(err)
		}
		return m
	}

	fmt.Println("== 1. completion (gpt-4o)")
	openai.Enqueue(llmtest.Reply{Text: "Quantum computers use qubits. They can explore many states at once.",
		Usage: llmtest.Usage{Prompt: 28, Completion: 14}})
	temp := 0.7
	resp, err := newModel("gpt-4o").Complete(ctx, &llm.Request{
		Messages: []llm.Message{
			llm.System("You are a helpful assistant."),
			llm.User("Explain quantum computing in 2 sentences."),
		},
		Temperature: &temp, MaxTokens: 200,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("model:", resp.Model, "provider:", resp.Provider)
	fmt.Println("text:", resp.Message.Content)
	fmt.Printf("tokens: %d prompt + %d completion = %d, cost $%.6f\n",
		resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Usage.TotalTokens, resp.Cost)

	fmt.Println("\n== 2. tool calling, one ReAct step (claude-sonnet-4-5)")
	weather := llms.Tool{Type: "function", Function: &llms.FunctionDefinition{
		Name: "get_weather", Description: "Current weather for a city",
		Parameters: map[string]any{"type": "object", "required": []string{"city"},
			"properties": map[string]any{"city": map[string]any{"type": "string"}}},
	}}
	anthropic.Enqueue(
		llmtest.Reply{Text: "I'll check both cities.", ToolCalls: []llmtest.ToolCall{
			{ID: "toolu_01", Name: "get_weather", Arguments: `{"city":"Seoul"}`},
			{ID: "toolu_02", Name: "get_weather", Arguments: `{"city":"Busan"}`}},
			Usage: llmtest.Usage{Prompt: 420, Completion: 96, CacheRead: 2000}},
		llmtest.Reply{Text: "Seoul is sunny (21°C); Busan is rainy (18°C).", Usage: llmtest.Usage{Prompt: 560, Completion: 20, CacheRead: 2000}},
	)
	claude := newModel("claude-sonnet-4-5")
	msgs := []llm.Message{llm.User("What's the weather in Seoul and Busan?")}
	var total float64
	for step := 1; ; step++ {
		resp, err := claude.Complete(ctx, &llm.Request{Messages: msgs, Tools: []llms.Tool{weather}})
		if err != nil {
			log.Fatal(err)
		}
		total += resp.Cost
		msgs = append(msgs, resp.Message)
		fmt.Printf("step %d: finish=%s text=%q\n", step, resp.FinishReason, resp.Message.Content)
		if resp.FinishReason != llm.FinishToolCalls {
			break
		}
		for _, tc := range resp.Message.ToolCalls {
			result := map[string]string{`{"city":"Seoul"}`: "sunny, 21°C", `{"city":"Busan"}`: "rain, 18°C"}[tc.Arguments]
			fmt.Printf("  tool %s %s(%s) -> %s\n", tc.ID, tc.Name, tc.Arguments, result)
			msgs = append(msgs, llm.ToolResult(tc.ID, tc.Name, result))
		}
	}
	fmt.Printf("conversation cost $%.6f (cache reads priced separately)\n", total)

	fmt.Println("\n== 3. streaming with usage on the last chunk (gemini/gemini-2.0-flash)")
	gemini.Enqueue(llmtest.Reply{Text: "Streams arrive piece by piece.", ChunkSize: 10, Usage: llmtest.Usage{Prompt: 9, Completion: 7}})
	var pieces []string
	_, err = newModel("gemini/gemini-2.0-flash").Complete(ctx, &llm.Request{
		Messages: []llm.Message{llm.User("Say something about streams.")},
		Stream: func(_ context.Context, c llm.Chunk) error {
			if c.Text != "" {
				pieces = append(pieces, c.Text)
			}
			if c.Usage != nil {
				fmt.Printf("chunks %q\nfinal chunk: finish=%s total_tokens=%d\n", pieces, c.FinishReason, c.Usage.TotalTokens)
			}
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println("\n== 4. local model (ollama/llama3.1), tools through its OpenAI-compatible endpoint")
	ollama.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Jeju"}`}},
		Usage: llmtest.Usage{Prompt: 80, Completion: 12}})
	resp, err = newModel("ollama/llama3.1").Complete(ctx, &llm.Request{Messages: []llm.Message{llm.User("Weather on Jeju?")},
		Tools: []llms.Tool{weather}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("tool call %s(%s), cost $%.2f\n", resp.Message.ToolCalls[0].Name, resp.Message.ToolCalls[0].Arguments, resp.Cost)

	fmt.Println("\n== 5. errors")
	openai.Enqueue(
		llmtest.Reply{Status: 429, Header: map[string]string{"Retry-After": "20"}, ErrorCode: "rate_limit_exceeded", ErrorMessage: "Rate limit reached for gpt-4o."},
		llmtest.Reply{Status: 400, ErrorCode: "context_length_exceeded", ErrorMessage: "This model's maximum context length is 128000 tokens."},
	)
	gpt := newModel("gpt-4o")
	for range 2 {
		_, err := gpt.Complete(ctx, &llm.Request{Messages: []llm.Message{llm.User("hello")}})
		var e *llm.Error
		switch {
		case errors.Is(err, llm.ErrRateLimit) && errors.As(err, &e):
			fmt.Printf("rate limited, retry after %s\n", e.RetryAfter)
		case errors.Is(err, llm.ErrContextWindowExceeded):
			fmt.Println("context window exceeded; also a BadRequest:", errors.Is(err, llm.ErrBadRequest))
		}
	}
	_, err = llm.New("groq/llama-3.3-70b-versatile", getenv)
	fmt.Println(err)
	anthropic.Enqueue(llmtest.Reply{Text: "This answer will be cut", ChunkSize: 5, CutAfter: 5,
		StreamError: "overloaded_error", ErrorMessage: "Overloaded"})
	var seen strings.Builder
	_, err = claude.Complete(ctx, &llm.Request{Messages: []llm.Message{llm.User("hi")},
		Stream: func(_ context.Context, c llm.Chunk) error { seen.WriteString(c.Text); return nil }})
	var e *llm.Error
	if errors.As(err, &e) && e.Kind == llm.ErrStreamInterrupted {
		fmt.Printf("stream interrupted (overloaded: %v); partial %q\n", errors.Is(err, llm.ErrRateLimit), e.Partial.Message.Content)
	}

	fmt.Println("\n== 6. prices and model info")
	c, _ := llm.CostByTokens("gpt-4", 50, 100)
	fmt.Printf("gpt-4, 50 prompt + 100 completion tokens: $%.6f\n", c)
	for _, name := range []string{"claude-sonnet-4-5", "gemini/gemini-2.0-flash", "groq/llama-3.3-70b-versatile"} {
		mi, _ := llm.LookupModel(name)
		fmt.Printf("%s: context %d, max output %d, $%.2f/$%.2f per 1M tokens, tools=%v vision=%v\n", name,
			mi.MaxInputTokens, mi.MaxOutputTokens, mi.InputCostPerToken*1e6, mi.OutputCostPerToken*1e6, mi.SupportsTools, mi.SupportsVision)
	}
}
