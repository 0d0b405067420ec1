package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// A tool-call delta whose index is negative or absurdly large is a
// malformed stream: the call fails with an error naming the index instead
// of panicking or allocating without bound.
func TestOpenAIStreamBadToolIndex(t *testing.T) {
	for _, idx := range []string{"-1", "2000000000"} {
		t.Run(idx, func(t *testing.T) {
			srv := llmtest.NewOpenAI(t)
			body := `data: {"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":` + idx +
				`,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]}}]}` + "\n\n" +
				`data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}` + "\n\n" +
				"data: [DONE]\n\n"
			srv.Enqueue(llmtest.Reply{Body: body, Header: map[string]string{"Content-Type": "text/event-stream"}})
			m := newModel(t, "gpt-4o", srv)
			var c collect
			req := userReq("x")
			req.Stream = c.fn
			_, err := m.Complete(context.Background(), req)
			var e *llm.Error
			if !errors.As(err, &e) || !strings.Contains(e.Message, "tool call index "+idx) {
				t.Fatalf("err = %v", err)
			}
			if len(c.chunks) != 0 {
				t.Fatalf("chunks delivered: %+v", c.chunks)
			}
		})
	}
}
