package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// Streaming (guide 5.1, 5.2, 5.4, 12.3): text arrives in several deltas,
// the final chunk carries finish_reason "stop" and the usage, and the last
// item the whole response. OpenAI is asked for include_usage.
func TestGuideStreamingTextAndUsage(t *testing.T) {
	for _, tc := range []struct {
		srv   *llmtest.Server
		model string
	}{
		{llmtest.NewOpenAI(t), "gpt-4"},
		{llmtest.NewAnthropic(t), "claude-3-opus-20240229"},
		{llmtest.NewGemini(t), "gemini/gemini-2.0-flash"},
		{llmtest.NewOllama(t), "ollama/llama3"},
	} {
		tc.srv.Enqueue(llmtest.Reply{Text: "1, 2, 3, 4, 5, 6, 7, 8, 9, 10", ChunkSize: 6, Usage: llmtest.Usage{Prompt: 12, Completion: 20}})
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(tc.srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		var deltas, usageChunks int
		var stopSeen bool
		var final *llm.Response
		var totalTokens int
		for c, err := range m.Stream(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("1부터 10까지 세어줘")}}) {
			if err != nil {
				t.Fatalf("%s: %v", tc.model, err)
			}
			if c.Response != nil {
				final = c.Response
				continue
			}
			if c.Text != "" {
				deltas++
				text.WriteString(c.Text)
			}
			if c.FinishReason == llm.FinishStop {
				stopSeen = true
			}
			if c.Usage != nil {
				usageChunks++
				totalTokens = c.Usage.TotalTokens
			}
		}
		if text.String() != "1, 2, 3, 4, 5, 6, 7, 8, 9, 10" || deltas < 3 || !stopSeen {
			t.Errorf("%s: text %q in %d deltas, stop seen %v", tc.model, text.String(), deltas, stopSeen)
		}
		if final == nil || final.Usage.TotalTokens != 32 || final.Message.Content != text.String() || final.FinishReason != llm.FinishStop {
			t.Errorf("%s: final %+v", tc.model, final)
		}
		if usageChunks == 0 || totalTokens != 32 {
			t.Errorf("%s: usage chunks %d, total tokens %d", tc.model, usageChunks, totalTokens)
		}
		if tc.model == "gpt-4" {
			last, _ := tc.srv.Last()
			so, _ := last.JSON["stream_options"].(map[string]any)
			if last.JSON["stream"] != true || so["include_usage"] != true {
				t.Errorf("openai body %v", last.JSON)
			}
		}
	}
}

// Breaking out after the first delta (the guide's "break" on stop) ends
// the stream as a success.
func TestGuideStreamingBreak(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "one two three four five six", ChunkSize: 4})
	var failures, successes int
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()),
		llm.WithCallbacks(llm.CallbackFuncs{
			Success: func(_ context.Context, _ *llm.CallInfo, r *llm.Response) {
				if r.FinishReason == llm.FinishStopped {
					successes++
				}
			},
			Failure: func(context.Context, *llm.CallInfo, error) { failures++ },
		}))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for c, err := range m.Stream(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("count")}}) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Text != "" {
			n++
			break
		}
	}
	if n != 1 || successes != 1 || failures != 0 {
		t.Fatalf("deltas %d successes %d failures %d", n, successes, failures)
	}
}

// Streaming with tools (guide 5.3): the tool call's name and argument
// fragments arrive as deltas with one index per call, and the final
// response holds the assembled calls.
func TestGuideStreamingToolCalls(t *testing.T) {
	for _, tc := range []struct {
		srv   *llmtest.Server
		model string
	}{
		{llmtest.NewOpenAI(t), "gpt-4"},
		{llmtest.NewAnthropic(t), "claude-3-opus-20240229"},
		{llmtest.NewGemini(t), "gemini/gemini-2.0-flash"},
	} {
		tc.srv.Enqueue(llmtest.Reply{Text: "조회할게요.", Interleave: true, ToolCalls: []llmtest.ToolCall{
			{ID: "call_a", Name: "get_weather", Arguments: `{"location":"Seoul"}`},
			{ID: "call_b", Name: "search_web", Arguments: `{"query":"부산 날씨"}`},
		}})
		m, err := llm.New(tc.model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(tc.srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		names := map[int]string{}
		args := map[int]string{}
		var text string
		var final *llm.Response
		for c, err := range m.Stream(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("날씨 조회해줘")}, Tools: agTools}) {
			if err != nil {
				t.Fatalf("%s: %v", tc.model, err)
			}
			if c.Response != nil {
				final = c.Response
			}
			text += c.Text
			if c.ToolCall != nil {
				names[c.ToolCall.Index] += c.ToolCall.Name
				args[c.ToolCall.Index] += c.ToolCall.Arguments
			}
		}
		if text != "조회할게요." || names[0] != "get_weather" || names[1] != "search_web" ||
			args[0] != `{"location":"Seoul"}` || args[1] != `{"query":"부산 날씨"}` {
			t.Errorf("%s: text %q names %v args %v", tc.model, text, names, args)
		}
		if final == nil || len(final.Message.ToolCalls) != 2 || final.Message.ToolCalls[1].Arguments != `{"query":"부산 날씨"}` ||
			final.FinishReason != llm.FinishToolCalls {
			t.Errorf("%s: final %+v", tc.model, final)
		}
	}
}

// A stream cut after output reached the caller is never a silent
// truncation: an error carrying the partial text.
func TestGuideStreamCutIsAnError(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "1, 2, 3, 4, 5, 6, 7, 8, 9, 10", ChunkSize: 3, CutAfter: 3})
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	var last error
	for c, err := range m.Stream(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("count")}}) {
		if err != nil {
			last = err
			break
		}
		got += c.Text
	}
	var e *llm.Error
	if !errors.Is(last, llm.ErrStreamInterrupted) || !errors.As(last, &e) || e.Partial == nil || e.Partial.Message.Content != got || got == "" {
		t.Fatalf("err %v, got %q", last, got)
	}
}
