package router

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm/llmtest"
)

// TestYAMLRequestParams: stop given as one string or a list, top_p 0, seed,
// drop_params and extra_body, per deployment and for all deployments, and
// what a Router built from them sends.
func TestYAMLRequestParams(t *testing.T) {
	oa, an := llmtest.NewOpenAI(t), llmtest.NewAnthropic(t)
	yml := `
model_list:
  - model_name: gpt
    litellm_params:
      model: gpt-4o
      api_key: sk-test
      api_base: ` + oa.APIBase() + `
      stop: "END"
      top_p: 0
      seed: 42
      temperature: 0.2
      max_tokens: 64
      extra_body: {service_tier: flex}
  - model_name: claude
    litellm_params:
      model: claude-sonnet-4-5
      api_key: sk-test
      api_base: ` + an.APIBase() + `
      stop: ["A", "B"]
litellm_settings:
  drop_params: true
  seed: 7
  stop: "ZZZ"
`
	cfg, err := ParseConfig("params.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	g, c := cfg.Deployments[0].Params, cfg.Deployments[1].Params
	if !reflect.DeepEqual(g.Stop, []string{"END"}) || g.TopP == nil || *g.TopP != 0 || *g.Seed != 42 || *g.Temperature != 0.2 ||
		g.MaxTokens != 64 || g.Extra["service_tier"] != "flex" || !g.DropParams {
		t.Fatalf("gpt params %+v", g)
	}
	if !reflect.DeepEqual(c.Stop, []string{"A", "B"}) || *c.Seed != 7 || !c.DropParams || c.TopP != nil {
		t.Fatalf("claude params %+v", c)
	}
	r := newRouter(t, cfg, nil)
	for _, group := range []string{"gpt", "claude"} {
		if _, err := r.Complete(context.Background(), userReq(group, "hi")); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := oa.Last()
	b, _ := json.Marshal(map[string]any{"stop": got.JSON["stop"], "top_p": got.JSON["top_p"], "seed": got.JSON["seed"], "service_tier": got.JSON["service_tier"]})
	if string(b) != `{"seed":42,"service_tier":"flex","stop":["END"],"top_p":0}` {
		t.Fatalf("openai got %s", got.Body)
	}
	got, _ = an.Last()
	if b, _ := json.Marshal(got.JSON["stop_sequences"]); string(b) != `["A","B"]` {
		t.Fatalf("anthropic got %s", got.Body)
	}
	if _, sent := got.JSON["seed"]; sent {
		t.Fatalf("seed sent to anthropic despite drop_params: %s", got.Body)
	}

	// The guide's llm_config.yaml shape: settings apply to every model.
	cfg, err = ParseConfig("llm_config.yaml", []byte("models:\n  primary: gpt-4o\n  local: ollama/llama4\nsettings:\n  stop: \"\\n\\n\"\n  top_p: 0.9\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range cfg.Deployments {
		if !reflect.DeepEqual(d.Params.Stop, []string{"\n\n"}) || *d.Params.TopP != 0.9 {
			t.Fatalf("%s params %+v", d.Group, d.Params)
		}
	}
}

// TestYAMLStopErrors: a stop that is neither a string nor a list of
// strings is reported with its place.
func TestYAMLStopErrors(t *testing.T) {
	for _, c := range []struct{ yml, want string }{
		{"model_list:\n  - model_name: g\n    litellm_params:\n      model: gpt-4o\n      stop: {a: b}\n",
			"x.yaml:5:13: model_list[0].litellm_params.stop: expected a string or a list of strings, got a mapping"},
		{"model_list:\n  - model_name: g\n    litellm_params:\n      model: gpt-4o\n      stop: [ok, [nested]]\n",
			"model_list[0].litellm_params.stop[1]: expected a string, got a list"},
		{"models:\n  p: gpt-4o\nsettings:\n  stop:\n    k: v\n", "settings.stop: expected a string or a list of strings"},
	} {
		_, err := ParseConfig("x.yaml", []byte(c.yml))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("err %v, want %q", err, c.want)
		}
	}
}
