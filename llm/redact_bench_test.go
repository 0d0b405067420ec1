package llm_test

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// BenchmarkFailedCall is one call failing with a rate limit carrying
// OpenAI's usual headers and an error body: the cost of classifying and
// redacting a failure, around a loopback round trip.
func BenchmarkFailedCall(b *testing.B) {
	srv := llmtest.Start(llmtest.OpenAI)
	defer srv.Close()
	srv.SetDefault(llmtest.Reply{Status: 429, ErrorType: "requests", ErrorCode: "rate_limit_exceeded",
		ErrorMessage: "Rate limit reached for gpt-4o in organization org-abc on requests per min (RPM): Limit 500, Used 500, Requested 1.",
		Header: map[string]string{"Retry-After": "1", "X-Ratelimit-Limit-Requests": "500", "X-Ratelimit-Remaining-Requests": "0",
			"X-Ratelimit-Reset-Requests": "120ms", "X-Ratelimit-Limit-Tokens": "30000", "X-Ratelimit-Remaining-Tokens": "29000",
			"X-Request-Id": "req_0123456789abcdef0123456789abcdef", "Openai-Organization": "org-abc", "Openai-Processing-Ms": "12"}})
	m, err := llm.New("gpt-4o", llm.WithAPIKey(testKey), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		b.Fatal(err)
	}
	req := userReq("hi")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Complete(context.Background(), req); err == nil {
			b.Fatal("no error")
		}
	}
}
