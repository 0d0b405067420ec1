package llm_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// Limits bound what is read from a provider; a reply over them fails with
// a *LimitError naming the limit.
func ExampleWithLimits() {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.Enqueue(llmtest.Reply{Text: strings.Repeat("very long answer ", 100)})

	m, err := llm.New("gpt-4o", llm.WithAPIKey("sk-example"), llm.WithAPIBase(srv.APIBase()),
		llm.WithLimits(llm.Limits{MaxResponseBytes: 1024}))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Tell me everything.")}})
	var le *llm.LimitError
	fmt.Println(errors.Is(err, llm.ErrResponseTooLarge), errors.As(err, &le))
	fmt.Println(le.Limit, le.Value)
	fmt.Println(err)
	// Output:
	// true true
	// MaxResponseBytes 1024
	// ResponseTooLargeError (openai gpt-4o): the response body exceeds Limits.MaxResponseBytes (1024 bytes)
}

// RedactSecrets removes keys, key-like query parameters, bearer and basic
// credentials in any letter case, and strings shaped like provider keys.
func ExampleRedactSecrets() {
	fmt.Println(llm.RedactSecrets("GET /v1/m?key=abc123&alt=sse with BeArEr opaque-token-123 and my-own-secret", "my-own-secret"))
	// Output:
	// GET /v1/m?key=[REDACTED]&alt=sse with BeArEr [REDACTED] and [REDACTED]
}
