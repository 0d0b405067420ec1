package router

import (
	"math"
	"strings"
	"testing"
)

// Numbers that are not finite, and durations too long for a
// time.Duration, are configuration errors located at their value, not
// NaN weights, unlimited budgets or negative timeouts.
func TestConfigNonFiniteNumbers(t *testing.T) {
	src := `model_list:
  - model_name: a
    litellm_params:
      model: gpt-4o
      weight: NaN
      input_cost_per_token: Inf
      timeout: 1e20
router_settings:
  max_budget: inf
  cooldown_time: NaN
  call_timeout: 1e9w
`
	_, err := ParseConfig("r.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`r.yaml:5:15: model_list[0].litellm_params.weight: expected a finite number, got "NaN"`,
		`r.yaml:6:29: model_list[0].litellm_params.input_cost_per_token: expected a finite number, got "Inf"`,
		`r.yaml:7:16: model_list[0].litellm_params.timeout: expected seconds or a duration`,
		`r.yaml:9:15: router_settings.max_budget: expected a finite number, got "inf"`,
		`r.yaml:10:18: router_settings.cooldown_time: expected seconds or a duration`,
		`r.yaml:11:17: router_settings.call_timeout: expected seconds or a duration`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	for _, in := range []string{"NaN", "Inf", "1e20", "1e300d", "NaNw"} {
		if d, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) = %v, want an error", in, d)
		}
	}
}

// New rejects NaN and infinite numbers in a Config built in Go.
func TestNewRejectsNonFiniteNumbers(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	d := dep("g", "a", okModel("a", ""))
	d.Weight = nan
	d.Params.InputCostPerToken = inf
	_, err := New(Config{
		Deployments:     []Deployment{d},
		StrategyArgs:    StrategyArgs{LatencyBuffer: nan},
		Budget:          &Budget{MaxBudget: nan},
		ProviderBudgets: map[string]Budget{"openai": {MaxBudget: inf}},
		Temperature:     Float(nan),
	})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"Deployments[0].Weight: must be a finite number >= 0, got NaN",
		"Deployments[0].Params: per-token costs must be finite and >= 0",
		"StrategyArgs: values must be finite and >= 0",
		"Budget: MaxBudget must be finite and > 0",
		"ProviderBudgets[openai]: MaxBudget must be finite and > 0",
		"Temperature: must be a finite number, got NaN",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}
