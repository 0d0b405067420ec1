package nodes_test

import (
	"fmt"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
)

// The graph's default retry filter retries the transient llm kinds and
// nothing else: a node around a model call retries rate limits and 5xx,
// not bad requests or authentication failures.
func TestDefaultRetryIfLLMKinds(t *testing.T) {
	transient := map[llm.Kind]bool{
		llm.ErrRateLimit: true, llm.ErrTimeout: true, llm.ErrAPIConnection: true,
		llm.ErrInternalServer: true, llm.ErrBadGateway: true, llm.ErrServiceUnavailable: true,
	}
	for _, k := range []llm.Kind{
		llm.ErrBadRequest, llm.ErrContextWindowExceeded, llm.ErrContentPolicyViolation, llm.ErrUnsupportedParams,
		llm.ErrAuthentication, llm.ErrPermissionDenied, llm.ErrNotFound, llm.ErrUnprocessableEntity,
		llm.ErrRateLimit, llm.ErrTimeout, llm.ErrInternalServer, llm.ErrBadGateway, llm.ErrServiceUnavailable,
		llm.ErrAPIConnection, llm.ErrBudgetExceeded, llm.ErrStreamInterrupted, llm.ErrAPI, llm.ErrResponseTooLarge,
	} {
		err := fmt.Errorf("node call: %w", &llm.Error{Kind: k, Provider: "openai"})
		if got := graph.DefaultRetryIf(err); got != transient[k] {
			t.Errorf("DefaultRetryIf(%s) = %v, want %v", k, got, transient[k])
		}
	}
}
