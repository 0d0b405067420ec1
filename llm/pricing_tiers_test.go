package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"regexp"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// wantCost fails unless got equals want up to floating-point rounding.
func wantCost(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-12*math.Max(1, math.Abs(want)) {
		t.Fatalf("%s: cost %.12g, want %.12g", what, got, want)
	}
}

func tableCost(t *testing.T, model string, u llm.Usage) float64 {
	t.Helper()
	c, err := llm.Cost(model, u)
	if err != nil {
		t.Fatalf("%s: %v", model, err)
	}
	return c
}

// claude-sonnet-4-5: base input 3e-6, output 1.5e-5, cache read 3e-7,
// cache write 3.75e-6; above 200k tokens input 6e-6, output 2.25e-5,
// cache read 6e-7, cache write 7.5e-6.
func TestTier200kWithCachePrices(t *testing.T) {
	u := llm.Usage{PromptTokens: 250_000, CacheReadTokens: 100_000, CacheWriteTokens: 10_000, CompletionTokens: 1_000}
	// 140,000*6e-6 + 100,000*6e-7 + 10,000*7.5e-6 + 1,000*2.25e-5
	// = 0.84 + 0.06 + 0.075 + 0.0225 = 0.9975
	wantCost(t, "250k prompt", tableCost(t, "claude-sonnet-4-5", u), 0.9975)

	// Exactly at the threshold the base prices apply:
	// 90,000*3e-6 + 100,000*3e-7 + 10,000*3.75e-6 + 1,000*1.5e-5
	// = 0.27 + 0.03 + 0.0375 + 0.015 = 0.3525
	u.PromptTokens = 200_000
	wantCost(t, "200k prompt", tableCost(t, "claude-sonnet-4-5", u), 0.3525)

	mi, ok := llm.LookupModel("claude-sonnet-4-5")
	want := []llm.PriceTier{{AboveTokens: 200_000, InputCostPerToken: 6e-6, OutputCostPerToken: 2.25e-5,
		CacheReadCostPerToken: 6e-7, CacheWriteCostPerToken: 7.5e-6}}
	if !ok || !reflect.DeepEqual(mi.Tiers, want) {
		t.Fatalf("tiers %+v", mi.Tiers)
	}
	// The older 200k fields are still filled from the table.
	if mi.InputCostPerTokenAbove200k != 6e-6 || mi.OutputCostPerTokenAbove200k != 2.25e-5 {
		t.Fatalf("200k fields %g %g", mi.InputCostPerTokenAbove200k, mi.OutputCostPerTokenAbove200k)
	}
}

// gpt-5.4: base input 2.5e-6, output 1.5e-5, cache read 2.5e-7; above
// 272k tokens input 5e-6, output 2.25e-5, cache read 5e-7.
func TestTier272k(t *testing.T) {
	// 300,000*5e-6 + 1,000*2.25e-5 = 1.5 + 0.0225 = 1.5225
	wantCost(t, "300k prompt", tableCost(t, "gpt-5.4", llm.Usage{PromptTokens: 300_000, CompletionTokens: 1_000}), 1.5225)
	// 250,000*5e-6 + 50,000*5e-7 + 1,000*2.25e-5 = 1.25 + 0.025 + 0.0225 = 1.2975
	wantCost(t, "300k prompt, 50k cached",
		tableCost(t, "gpt-5.4", llm.Usage{PromptTokens: 300_000, CacheReadTokens: 50_000, CompletionTokens: 1_000}), 1.2975)
	// 272,000*2.5e-6 + 1,000*1.5e-5 = 0.68 + 0.015 = 0.695
	wantCost(t, "272k prompt", tableCost(t, "gpt-5.4", llm.Usage{PromptTokens: 272_000, CompletionTokens: 1_000}), 0.695)
	// 272,001*5e-6 + 1,000*2.25e-5 = 1.360005 + 0.0225 = 1.382505
	wantCost(t, "272,001 prompt", tableCost(t, "gpt-5.4", llm.Usage{PromptTokens: 272_001, CompletionTokens: 1_000}), 1.382505)
	// A provider-prefixed form finds the same entry and tier.
	wantCost(t, "openai/gpt-5.4", tableCost(t, "openai/gpt-5.4", llm.Usage{PromptTokens: 300_000, CompletionTokens: 1_000}), 1.5225)
}

// gemini/gemini-1.5-flash: input 7.5e-8, above 128k tokens 1.5e-7;
// output 0 at both.
func TestTier128k(t *testing.T) {
	// 200,000*1.5e-7 + 1,000*0 = 0.03
	wantCost(t, "200k prompt", tableCost(t, "gemini/gemini-1.5-flash", llm.Usage{PromptTokens: 200_000, CompletionTokens: 1_000}), 0.03)
	// 128,000*7.5e-8 = 0.0096
	wantCost(t, "128k prompt", tableCost(t, "gemini/gemini-1.5-flash", llm.Usage{PromptTokens: 128_000, CompletionTokens: 1_000}), 0.0096)
}

// openrouter/qwen/qwen3.5-plus-02-15: input 4e-7, output 2.4e-6; above
// 256k tokens input 5e-7, output 3e-6.
func TestTier256k(t *testing.T) {
	// 300,000*5e-7 + 1,000*3e-6 = 0.15 + 0.003 = 0.153
	wantCost(t, "300k prompt", tableCost(t, "openrouter/qwen/qwen3.5-plus-02-15",
		llm.Usage{PromptTokens: 300_000, CompletionTokens: 1_000}), 0.153)
}

// gpt-4o has no tiers: long prompts keep the base prices (input 2.5e-6,
// output 1e-5, cache read 1.25e-6).
func TestNoTiers(t *testing.T) {
	mi, ok := llm.LookupModel("gpt-4o")
	if !ok || mi.Tiers != nil || mi.InputCostPerTokenAbove200k != 0 {
		t.Fatalf("gpt-4o %+v", mi)
	}
	// 200,000*2.5e-6 + 100,000*1.25e-6 + 1,000*1e-5 = 0.5 + 0.125 + 0.01 = 0.635
	wantCost(t, "300k prompt", tableCost(t, "gpt-4o",
		llm.Usage{PromptTokens: 300_000, CacheReadTokens: 100_000, CompletionTokens: 1_000}), 0.635)
}

// xai/grok-4-fast-reasoning: input 2e-7, output 5e-7, cache read 5e-8, no
// cache-write price; above 128k tokens input 4e-7 and output 1e-6 but no
// cache prices. Cache reads keep the base cache price; cache writes, priced
// nowhere, cost what plain input does in the tier.
func TestTierMissingCachePriceFallsBack(t *testing.T) {
	u := llm.Usage{PromptTokens: 150_000, CacheReadTokens: 50_000, CacheWriteTokens: 10_000, CompletionTokens: 2_000}
	// 90,000*4e-7 + 50,000*5e-8 + 10,000*4e-7 + 2,000*1e-6
	// = 0.036 + 0.0025 + 0.004 + 0.002 = 0.0445
	wantCost(t, "150k prompt", tableCost(t, "xai/grok-4-fast-reasoning", u), 0.0445)
}

// Several tiers: a price missing in the applicable tier comes from the next
// lower tier, then from the base price. Tiers given out of order are sorted.
func TestTiersFallBackThroughLowerTiers(t *testing.T) {
	info := llm.ModelInfo{InputCostPerToken: 1, OutputCostPerToken: 4, CacheReadCostPerToken: 0.1, CacheWriteCostPerToken: 1.5,
		Tiers: []llm.PriceTier{
			{AboveTokens: 300, InputCostPerToken: 3, OutputCostPerToken: 7},
			{AboveTokens: 100, InputCostPerToken: 2, CacheReadCostPerToken: 0.5},
		}}
	cases := []struct {
		name string
		u    llm.Usage
		want float64
	}{
		// tier 300: input 3, output 7, cache read 0.5 (tier 100), cache write 1.5 (base)
		// 250*3 + 100*0.5 + 50*1.5 + 10*7 = 750 + 50 + 75 + 70 = 945
		{"above 300", llm.Usage{PromptTokens: 400, CacheReadTokens: 100, CacheWriteTokens: 50, CompletionTokens: 10}, 945},
		// tier 100: input 2, output 4 (base), cache read 0.5, cache write 1.5 (base)
		// 50*2 + 100*0.5 + 50*1.5 + 10*4 = 100 + 50 + 75 + 40 = 265
		{"above 100", llm.Usage{PromptTokens: 200, CacheReadTokens: 100, CacheWriteTokens: 50, CompletionTokens: 10}, 265},
		// exactly 300 is tier 100: 250*2 + 50*1.5 + 10*4 = 500 + 75 + 40 = 615
		{"at 300", llm.Usage{PromptTokens: 300, CacheWriteTokens: 50, CompletionTokens: 10}, 615},
		// exactly 100 is base: 70*1 + 20*0.1 + 10*1.5 + 10*4 = 70 + 2 + 15 + 40 = 127
		{"at 100", llm.Usage{PromptTokens: 100, CacheReadTokens: 20, CacheWriteTokens: 10, CompletionTokens: 10}, 127},
	}
	prices := llm.NewPrices(nil)
	prices.Register("tiered", info)
	for _, c := range cases {
		wantCost(t, c.name+" (CostFor)", llm.CostFor(info, c.u), c.want)
		got, err := prices.Cost("tiered", c.u)
		if err != nil {
			t.Fatal(err)
		}
		wantCost(t, c.name+" (registered)", got, c.want)
	}
	mi, _ := prices.Lookup("tiered")
	if len(mi.Tiers) != 2 || mi.Tiers[0].AboveTokens != 100 || mi.Tiers[1].AboveTokens != 300 {
		t.Fatalf("registered tiers not sorted: %+v", mi.Tiers)
	}
	// Lookup hands out a copy: changing it leaves the registry alone.
	mi.Tiers[0].InputCostPerToken = 1000
	got, _ := prices.Cost("tiered", cases[1].u)
	wantCost(t, "after changing a looked-up copy", got, 265)
}

// The 200k fields of older code keep working, alone or over a 200k tier.
func TestLegacy200kFields(t *testing.T) {
	// 200,001*3 + 1*2 = 600,005
	old := llm.ModelInfo{InputCostPerToken: 1, OutputCostPerToken: 2, InputCostPerTokenAbove200k: 3}
	wantCost(t, "legacy only", llm.CostFor(old, llm.Usage{PromptTokens: 200_001, CompletionTokens: 1}), 600_005)
	// With a 200k tier as well, the legacy input price wins and the tier
	// supplies the output price: 200,001*3 + 1*5 = 600,008
	old.Tiers = []llm.PriceTier{{AboveTokens: 200_000, InputCostPerToken: 4, OutputCostPerToken: 5}}
	wantCost(t, "legacy over tier", llm.CostFor(old, llm.Usage{PromptTokens: 200_001, CompletionTokens: 1}), 600_008)
}

func TestSetTierPrice(t *testing.T) {
	var tiers []llm.PriceTier
	for _, kv := range []struct {
		key   string
		price float64
	}{
		{"output_cost_per_token_above_272k_tokens", 4},
		{"input_cost_per_token_above_128000_tokens", 1},
		{"cache_read_input_token_cost_above_272k_tokens", 3},
		{"cache_creation_input_token_cost_above_128k_tokens", 2},
	} {
		var ok bool
		if tiers, ok = llm.SetTierPrice(tiers, kv.key, kv.price); !ok {
			t.Fatalf("%s not accepted", kv.key)
		}
	}
	want := []llm.PriceTier{{AboveTokens: 128_000, InputCostPerToken: 1, CacheWriteCostPerToken: 2},
		{AboveTokens: 272_000, OutputCostPerToken: 4, CacheReadCostPerToken: 3}}
	if !reflect.DeepEqual(tiers, want) {
		t.Fatalf("tiers %+v", tiers)
	}
	for _, key := range []string{
		"input_cost_per_token",
		"input_cost_per_token_above_200k_tokens_priority",
		"cache_creation_input_token_cost_above_1hr_above_200k_tokens",
		"input_cost_per_character_above_128k_tokens",
		"input_cost_per_token_above_0k_tokens",
		"input_cost_per_token_above_-5k_tokens",
		"input_cost_per_token_above_k_tokens",
		"input_cost_per_token_above_1234567k_tokens",
	} {
		if got, ok := llm.SetTierPrice(tiers, key, 9); ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("%s accepted: %+v", key, got)
		}
	}
}

// Every long-context key of the embedded table is either read into Tiers
// or one of the kinds deliberately left out (see parseTierKey).
func TestTableTierKeysAccountedFor(t *testing.T) {
	data, err := os.ReadFile("data/model_prices_and_context_window.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	table := map[string]map[string]any{}
	for k, v := range raw {
		var e map[string]any
		if json.Unmarshal(v, &e) == nil { // entries that are not objects are skipped
			table[k] = e
		}
	}
	tierKey := regexp.MustCompile(`_above_\d+k_tokens`)
	used := regexp.MustCompile(`^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost)_above_(\d+)k_tokens$`)
	ignored := regexp.MustCompile(`_above_\d+k_tokens_priority$|^cache_creation_input_token_cost_above_1hr_above_\d+k_tokens$|` +
		`^(input|output)_cost_per_character_above_\d+k_tokens$|^input_cost_per_(image|audio_per_second|video_per_second)_above_\d+k_tokens$`)
	usedKeys := 0
	for model, entry := range table {
		if model == "sample_spec" {
			continue
		}
		mi, ok := llm.LookupModel(model)
		if !ok {
			t.Fatalf("%s not in the registry", model)
		}
		for k, v := range entry {
			if !tierKey.MatchString(k) {
				continue
			}
			m := used.FindStringSubmatch(k)
			if m == nil {
				if !ignored.MatchString(k) {
					t.Errorf("%s: tier key %s is neither read nor known to be ignored", model, k)
				}
				continue
			}
			usedKeys++
			want, _ := v.(float64)
			var th int
			for _, c := range m[2] {
				th = th*10 + int(c-'0')
			}
			th *= 1000
			var got float64
			for _, tr := range mi.Tiers {
				if tr.AboveTokens != th {
					continue
				}
				switch m[1] {
				case "input_cost_per_token":
					got = tr.InputCostPerToken
				case "output_cost_per_token":
					got = tr.OutputCostPerToken
				case "cache_read_input_token_cost":
					got = tr.CacheReadCostPerToken
				case "cache_creation_input_token_cost":
					got = tr.CacheWriteCostPerToken
				}
			}
			if got != want {
				t.Errorf("%s: %s = %g in the table, %g in Tiers %+v", model, k, want, got, mi.Tiers)
			}
		}
	}
	if usedKeys < 200 {
		t.Fatalf("only %d tier prices read", usedKeys)
	}
}

// Params prices (LiteLLM's litellm_params) may set cache and tier prices
// along with the base prices; their tiers replace the table's.
func TestParamsTierOverride(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	p := llm.Params{Model: "gpt-5.4", APIKey: "sk-test-123456", APIBase: srv.APIBase(),
		InputCostPerToken: 1e-6, OutputCostPerToken: 2e-6, CacheReadCostPerToken: 1e-7,
		Tiers: []llm.PriceTier{{AboveTokens: 100, InputCostPerToken: 3e-6, OutputCostPerToken: 4e-6}}}
	m, err := llm.NewFromParams(p)
	if err != nil {
		t.Fatal(err)
	}
	mi, ok := m.Info()
	if !ok || !reflect.DeepEqual(mi.Tiers, p.Tiers) || mi.InputCostPerTokenAbove200k != 0 || mi.CacheReadCostPerToken != 1e-7 {
		t.Fatalf("info %+v", mi)
	}
	srv.Enqueue(llmtest.Reply{Text: "long", Usage: llmtest.Usage{Prompt: 150, CacheRead: 50, Completion: 10}},
		llmtest.Reply{Text: "short", Usage: llmtest.Usage{Prompt: 100, CacheRead: 50, Completion: 10}})
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	// tier 100: 100*3e-6 + 50*1e-7 + 10*4e-6 = 3e-4 + 5e-6 + 4e-5 = 3.45e-4
	wantCost(t, "150-token prompt", resp.Cost, 3.45e-4)
	resp, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	// base: 50*1e-6 + 50*1e-7 + 10*2e-6 = 5e-5 + 5e-6 + 2e-5 = 7.5e-5
	wantCost(t, "100-token prompt", resp.Cost, 7.5e-5)

	// Base prices alone keep the table's tiers (gpt-5.4: above 272k).
	m, err = llm.NewFromParams(llm.Params{Model: "gpt-5.4", APIKey: "sk-test-123456", APIBase: srv.APIBase(),
		InputCostPerToken: 1e-6, OutputCostPerToken: 2e-6})
	if err != nil {
		t.Fatal(err)
	}
	if mi, _ := m.Info(); len(mi.Tiers) != 1 || mi.Tiers[0].AboveTokens != 272_000 {
		t.Fatalf("tiers %+v", mi.Tiers)
	}

	// Cache or tier prices without base prices are refused.
	_, err = llm.NewFromParams(llm.Params{Model: "gpt-5.4", APIKey: "sk-test-123456", Tiers: p.Tiers})
	if !errors.Is(err, llm.ErrBadRequest) {
		t.Fatalf("tiers without base prices: %v", err)
	}
}

// A registered model's tiers override the table's.
func TestRegisterModelTiers(t *testing.T) {
	prices := llm.NewPrices(nil)
	prices.Register("gpt-5.4", llm.ModelInfo{InputCostPerToken: 1e-6, OutputCostPerToken: 2e-6,
		Tiers: []llm.PriceTier{{AboveTokens: 1_000, InputCostPerToken: 2e-6, CacheReadCostPerToken: 5e-7}}})
	got, err := prices.Cost("openai/gpt-5.4", llm.Usage{PromptTokens: 2_000, CacheReadTokens: 1_000, CompletionTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	// 1,000*2e-6 + 1,000*5e-7 + 100*2e-6 = 0.002 + 0.0005 + 0.0002 = 0.0027
	wantCost(t, "registered tiers", got, 0.0027)
}
