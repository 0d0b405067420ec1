package router

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

// A deployment streaming a tool-call delta with an impossible index fails
// the attempt with an error naming the index; it neither panics nor
// allocates without bound, and nothing reaches the caller.
func TestStreamBadToolIndexFailsTheAttempt(t *testing.T) {
	for _, idx := range []int{-1, 1 << 30} {
		bad := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
			if err := req.Stream(ctx, llm.Chunk{ToolCall: &llm.ToolCallDelta{Index: idx, ID: "c", Name: "f"}}); err != nil {
				return nil, err
			}
			return reply("unreachable"), nil
		}}
		r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", bad)}, NumRetries: Int(0)}, newFakeClock())
		delivered := 0
		req := userReq("p", "hi")
		req.Stream = func(context.Context, llm.Chunk) error { delivered++; return nil }
		_, err := r.Complete(context.Background(), req)
		var e *llm.Error
		if !errors.As(err, &e) || e.Kind == llm.ErrStreamInterrupted || !strings.Contains(err.Error(), "tool call index") {
			t.Fatalf("index %d: err = %v", idx, err)
		}
		if delivered != 0 {
			t.Fatalf("index %d: %d chunks delivered", idx, delivered)
		}
	}
}
