package router_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
)

// A deployment's response limits are honoured through the Router; a reply
// over them is neither retried nor a reason to cool the deployment down,
// and the call falls back.
func TestRouterResponseLimits(t *testing.T) {
	big := llmtest.NewOpenAI(t)
	big.SetDefault(llmtest.Reply{Text: strings.Repeat("x", 4096)})
	small := llmtest.NewOpenAI(t)
	small.SetDefault(llmtest.Reply{Text: "short"})
	yaml := `model_list:
  - model_name: main
    litellm_params:
      model: openai/gpt-4o
      api_key: sk-test-limits-0000000000
      api_base: ` + big.APIBase() + `
      max_response_bytes: 1024
      max_output_bytes: 512
  - model_name: backup
    litellm_params:
      model: openai/gpt-4o-mini
      api_key: sk-test-limits-0000000000
      api_base: ` + small.APIBase() + `
router_settings:
  num_retries: 3
  allowed_fails: 0
  cooldown_time: 60
  fallbacks: [{main: [backup]}]
`
	file := filepath.Join(t.TempDir(), "cfg.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := router.LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	if l := cfg.Deployments[0].Params.Limits; l.MaxResponseBytes != 1024 || l.MaxOutputBytes != 512 || l.MaxEventBytes != 0 {
		t.Fatalf("limits = %+v", l)
	}
	var failures []error
	cfg.Callbacks = append(cfg.Callbacks, llm.CallbackFuncs{Failure: func(_ context.Context, _ *llm.CallInfo, err error) {
		failures = append(failures, err)
	}})
	r, err := router.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, stream := range []bool{false, true, false} {
		req := &llm.Request{Model: "main", Messages: []llm.Message{llm.User("hi")}}
		if stream {
			req.Stream = func(context.Context, llm.Chunk) error { return nil }
		}
		resp, err := r.Complete(context.Background(), req)
		if stream {
			// output reached the caller before the limit: no fallback
			var le *llm.LimitError
			if !errors.Is(err, llm.ErrStreamInterrupted) || !errors.As(err, &le) || le.Limit != "MaxOutputBytes" || le.Value != 512 {
				t.Fatalf("stream: err = %v", err)
			}
			continue
		}
		if err != nil || resp.Message.Content != "short" || resp.Model != "openai/gpt-4o-mini" {
			t.Fatalf("call %d: resp %+v, err %v", i, resp, err)
		}
	}
	if big.Count() != 3 || small.Count() != 2 {
		t.Fatalf("requests: main %d (want 3: no retries), backup %d", big.Count(), small.Count())
	}
	for _, st := range r.Status() {
		if !st.CooldownUntil.IsZero() {
			t.Fatalf("deployment %s cooled down until %v", st.ID, st.CooldownUntil)
		}
	}
	if len(failures) != 3 {
		t.Fatalf("%d failures seen by callbacks", len(failures))
	}
	for _, f := range failures {
		var le *llm.LimitError
		if !errors.Is(f, llm.ErrResponseTooLarge) || !errors.As(f, &le) {
			t.Fatalf("failure %v is not a limit error", f)
		}
	}
}
