package router

import (
	"context"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

// usageModel answers the n-th call with usages[n-1] (the last repeats).
func usageModel(usages ...llm.Usage) *fake {
	return &fake{name: "usage", fn: func(_ context.Context, _ *llm.Request, n int) (*llm.Response, error) {
		r := reply("ok")
		r.Usage = usages[min(n, len(usages))-1]
		return r, nil
	}}
}

// A deployment's litellm_params may set cache and long-context prices with
// its base prices, under LiteLLM's key names; the router bills with them.
func TestYAMLTierPrices(t *testing.T) {
	cfg, err := ParseConfig("tiers.yaml", []byte(`
model_list:
  - model_name: long
    litellm_params:
      model: openai/gpt-5.4
      api_key: sk-test
      input_cost_per_token: 0.000001
      output_cost_per_token: 0.000002
      cache_read_input_token_cost: 0.0000001
      input_cost_per_token_above_1k_tokens: 0.000003
      output_cost_per_token_above_1k_tokens: 0.000004
      cache_read_input_token_cost_above_2k_tokens: 0.0000005
`))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Deployments[0].Params
	want := []llm.PriceTier{{AboveTokens: 1_000, InputCostPerToken: 3e-6, OutputCostPerToken: 4e-6},
		{AboveTokens: 2_000, CacheReadCostPerToken: 5e-7}}
	if p.CacheReadCostPerToken != 1e-7 || !reflect.DeepEqual(p.Tiers, want) {
		t.Fatalf("params %+v", p)
	}
	cfg.Deployments[0].Model = usageModel(
		llm.Usage{PromptTokens: 2_500, CacheReadTokens: 500, CompletionTokens: 100},
		llm.Usage{PromptTokens: 1_500, CacheReadTokens: 500, CompletionTokens: 100},
		llm.Usage{PromptTokens: 1_000, CacheReadTokens: 500, CompletionTokens: 100},
	)
	r := newRouter(t, cfg, nil)
	for _, c := range []struct {
		name string
		want float64
	}{
		// above 2k: input 3e-6 and output 4e-6 (1k tier), cache read 5e-7
		// 2,000*3e-6 + 500*5e-7 + 100*4e-6 = 0.006 + 0.00025 + 0.0004 = 0.00665
		{"2,500 tokens", 0.00665},
		// above 1k: input 3e-6, output 4e-6, cache read 1e-7 (base)
		// 1,000*3e-6 + 500*1e-7 + 100*4e-6 = 0.003 + 0.00005 + 0.0004 = 0.00345
		{"1,500 tokens", 0.00345},
		// exactly 1k: base prices
		// 500*1e-6 + 500*1e-7 + 100*2e-6 = 0.0005 + 0.00005 + 0.0002 = 0.00075
		{"1,000 tokens", 0.00075},
	} {
		resp, err := r.Complete(context.Background(), userReq("long", "hi"))
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(resp.Cost-c.want) > 1e-15 || !resp.CostKnown {
			t.Fatalf("%s: cost %.12g known %v, want %.12g", c.name, resp.Cost, resp.CostKnown, c.want)
		}
	}
}

func TestYAMLTierPriceErrors(t *testing.T) {
	_, err := ParseConfig("tiers.yaml", []byte(`
model_list:
  - model_name: long
    litellm_params:
      model: openai/gpt-5.4
      input_cost_per_token: 0.000001
      input_cost_per_character_above_128k_tokens: 0.000003
`))
	if err == nil || !strings.Contains(err.Error(), "unsupported tier price") {
		t.Fatalf("err %v", err)
	}

	cfg, err := ParseConfig("tiers.yaml", []byte(`
model_list:
  - model_name: long
    litellm_params:
      model: openai/gpt-5.4
      input_cost_per_token_above_272k_tokens: 0.000003
`))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Deployments[0].Model = okModel("m", "hi")
	if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "need input_cost_per_token") {
		t.Fatalf("tier prices without base prices: %v", err)
	}
}
