package llmtest_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// Testing code that calls a model: script a rate limit then an answer,
// and check both what the model received and what the code got back.
func Example() {
	srv := llmtest.Start(llmtest.Anthropic) // in a test: llmtest.NewAnthropic(t)
	defer srv.Close()
	srv.RequireKey("sk-ant-test")
	srv.Enqueue(
		llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "slow down",
			Header: map[string]string{"Retry-After": "1"}},
		llmtest.Reply{Text: "서울은 맑습니다.", Usage: llmtest.Usage{Prompt: 30, Completion: 9}},
	)

	m, _ := llm.New("claude-sonnet-4-5", llm.WithAPIKey("sk-ant-test"), llm.WithAPIBase(srv.APIBase()))
	req := &llm.Request{Messages: []llm.Message{llm.System("Be brief."), llm.User("서울 날씨는?")}}

	_, err := m.Complete(context.Background(), req)
	var e *llm.Error
	fmt.Println(errors.As(err, &e), e.Kind, e.RetryAfter)

	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Message.Content, resp.Usage.TotalTokens)

	last, _ := srv.Last()
	fmt.Println(last.Path, last.JSON["system"], srv.Count())
	// Output:
	// true RateLimitError 1s
	// 서울은 맑습니다. 39
	// /v1/messages Be brief. 2
}

// Failure injection in a stream: the connection is cut after a few
// events, and the caller gets the partial output with a typed error.
func ExampleReply_cutStream() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: "one two three four five six", ChunkSize: 4, CutAfter: 3})

	m, _ := llm.New("gpt-4o", llm.WithAPIKey("sk-test"), llm.WithAPIBase(srv.APIBase()))
	var got string
	for c, err := range m.Stream(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("count")}}) {
		if err != nil {
			var e *llm.Error
			errors.As(err, &e)
			fmt.Printf("%s after %q\n", e.Kind, e.Partial.Message.Content)
			break
		}
		got += c.Text
	}
	fmt.Printf("received %q\n", got)
	// Output:
	// StreamInterruptedError after "one two "
	// received "one two "
}

// A Clock moves only when told: a sleep returns at once and a timer fires
// when the clock passes it.
func ExampleClock() {
	clk := llmtest.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	clk.AfterFunc(time.Minute, func() { fmt.Println("cooldown over") })
	_ = clk.Sleep(context.Background(), 30*time.Second)
	fmt.Println(clk.Now().Format("15:04:05"), clk.Sleeps())
	clk.Advance(30 * time.Second)
	fmt.Println(clk.Now().Format("15:04:05"))
	// Output:
	// 12:00:30 [30s]
	// cooldown over
	// 12:01:00
}
