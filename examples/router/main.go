// Command router runs the fallback chain of the user's llm_config.yaml
// (claude -> gpt -> gemini -> local ollama) against local servers that
// speak each provider's wire format and fail in scripted ways. It prints
// every attempt, which model answered, the usage and the cost.
package main

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
)

//go:embed llm_config.yaml
var configYAML []byte

func main() {
	anthropic := llmtest.Start(llmtest.Anthropic)
	defer anthropic.Close()
	openai := llmtest.Start(llmtest.OpenAI)
	defer openai.Close()
	gemini := llmtest.Start(llmtest.Gemini)
	defer gemini.Close()
	ollama := llmtest.Start(llmtest.Ollama)
	defer ollama.Close()

	// What the user's .env provides; here the bases point at the local servers.
	for k, v := range map[string]string{
		"ANTHROPIC_API_KEY": "sk-ant-demo", "ANTHROPIC_API_BASE": anthropic.APIBase(),
		"OPENAI_API_KEY": "sk-demo", "OPENAI_API_BASE": openai.APIBase(),
		"GEMINI_API_KEY": "AIza-demo", "GEMINI_API_BASE": gemini.APIBase(),
		"OLLAMA_API_BASE": ollama.APIBase(),
	} {
		os.Setenv(k, v)
	}

	// claude-sonnet-5 is newer than the bundled price table: register its
	// prices (per token) so its calls are costed too.
	llm.RegisterModel("claude-sonnet-5-20260203", llm.ModelInfo{Provider: "anthropic", Mode: "chat",
		MaxInputTokens: 200000, MaxOutputTokens: 64000, InputCostPerToken: 3e-6, OutputCostPerToken: 15e-6, SupportsTools: true})

	cfg, err := router.ParseConfig("llm_config.yaml", configYAML)
	if err != nil {
		log.Fatal(err)
	}
	cfg.Callbacks = []llm.Callback{llm.CallbackFuncs{
		Success: func(_ context.Context, info *llm.CallInfo, resp *llm.Response) {
			fmt.Printf("  attempt %d  %-9s %-26s ok%s\n", info.Attempt, info.Group, info.Model, waited(info))
		},
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			var e *llm.Error
			errors.As(err, &e)
			status := ""
			if e.StatusCode != 0 {
				status = fmt.Sprintf(" (HTTP %d)", e.StatusCode)
			}
			fmt.Printf("  attempt %d  %-9s %-26s %s%s%s\n", info.Attempt, info.Group, info.Model, e.Kind, status, waited(info))
		},
	}}
	// A fixed jitter keeps the printed backoff the same on every run.
	r, err := router.New(cfg, router.WithRand(func() float64 { return 0 }))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("groups:", r.Groups(), "fallbacks of primary:", cfg.Fallbacks["primary"])
	ctx := context.Background()
	ask := func(title string, stream bool) {
		fmt.Println("\n" + title)
		req := &llm.Request{Messages: []llm.Message{llm.User("What is the capital of Korea?")}}
		if stream {
			req.Stream = func(_ context.Context, c llm.Chunk) error {
				if c.Text != "" {
					fmt.Printf("    chunk %q\n", c.Text)
				}
				return nil
			}
		}
		resp, err := r.Complete(ctx, req)
		var e *llm.Error
		switch {
		case errors.As(err, &e) && e.Kind == llm.ErrStreamInterrupted:
			fmt.Printf("  => stream interrupted on %s after output reached the caller; partial %q\n",
				e.Model, e.Partial.Message.Content)
		case err != nil:
			fmt.Println("  => failed:", err)
		default:
			fmt.Printf("  => %s answered %q\n     usage %d+%d tokens, cost $%.6f, %d attempts\n", resp.Model,
				resp.Message.Content, resp.Usage.PromptTokens, resp.Usage.CompletionTokens, resp.Cost, resp.Attempts)
		}
	}

	anthropic.Enqueue(llmtest.Reply{Text: "Seoul.", Usage: llmtest.Usage{Prompt: 14, Completion: 3}})
	ask("1. claude answers", false)

	anthropic.Enqueue(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"})
	openai.Enqueue(llmtest.Reply{Status: 500}, llmtest.Reply{Text: "Seoul is the capital.", Usage: llmtest.Usage{Prompt: 14, Completion: 5}})
	ask("2. claude overloaded -> gpt (one 500, retried after backoff)", false)

	anthropic.Enqueue(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "prompt is too long: 250000 tokens > 200000 maximum"})
	openai.Enqueue(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", Header: map[string]string{"Retry-After": "20"}})
	gemini.Enqueue(llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE"}, llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE"},
		llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE"})
	ollama.Enqueue(llmtest.Reply{Text: "Seoul (answered locally).", Usage: llmtest.Usage{Prompt: 14, Completion: 6}})
	ask("3. context too long for claude, gpt throttled, gemini down -> local ollama", false)

	anthropic.Enqueue(llmtest.Reply{Status: 503, ErrorType: "api_error"}, llmtest.Reply{Text: "Seoul, on the Han river.", ChunkSize: 8,
		Usage: llmtest.Usage{Prompt: 14, Completion: 7}})
	ask("4. streaming: a failure before the first chunk is retried", true)

	anthropic.Enqueue(llmtest.Reply{Text: "Seoul is the capital and largest city.", ChunkSize: 10, CutAfter: 5})
	ask("5. streaming: the connection drops mid-stream", true)

	fmt.Println("\ndeployments after the run:")
	for _, s := range r.Status() {
		state := "healthy"
		if !s.CooldownUntil.IsZero() {
			state = "cooling down"
		}
		fmt.Printf("  %-9s %-26s %s\n", s.Group, s.Model, state)
	}
}

func waited(info *llm.CallInfo) string {
	if info.Wait == 0 {
		return ""
	}
	return fmt.Sprintf(" (after waiting %s)", info.Wait.Round(time.Millisecond))
}
