package router_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm/router"
)

// A key placed in the wrong field is never quoted by a configuration
// error: the error names the field and the line instead. Values that do not
// look like secrets are still quoted.
func TestConfigErrorsNeverQuoteSecrets(t *testing.T) {
	secrets := []string{
		"sk-proj-Abc123Def456Ghi789Jkl0",
		"sk-ant-api03-abcdefghijklmnopqrstuvwx",
		"AIzaSyA1234567890abcdefghijklmnopqrstu",
		"zQ8vTm3LpWx6NcR2aa91",
		"ya29.a0AfH6SMBx1234567890abcdef",
		"AKIAIOSFODNN7EXAMPLE",
		"gsk_abcdefghijklmnopqrstuvwxyz0123",
		"hf_abcdefghijklmnopqrstuvwxyz01",
	}
	cases := []struct {
		name, yaml, field string
		line              int
	}{
		{"temperature", "models:\n  primary: gpt-4o\nsettings:\n  temperature: %s\n", "settings.temperature", 4},
		{"max_tokens", "models:\n  primary: gpt-4o\nsettings:\n  max_tokens: %s\n", "settings.max_tokens", 4},
		{"settings timeout", "models:\n  primary: gpt-4o\nsettings:\n  timeout: %s\n", "settings.timeout", 4},
		{"rpm", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\n      rpm: %s\n", "model_list[0].litellm_params.rpm", 5},
		{"weight", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\n      weight: %s\n", "model_list[0].litellm_params.weight", 5},
		{"input cost", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\n      input_cost_per_token: %s\n", "model_list[0].litellm_params.input_cost_per_token", 5},
		{"deployment timeout", "model_list:\n  - model_name: a\n    timeout: %s\n    litellm_params:\n      model: gpt-4o\n", "model_list[0].timeout", 3},
		{"routing strategy", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\nrouter_settings:\n  routing_strategy: %s\n", "router_settings.routing_strategy", 6},
		{"num_retries", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\nrouter_settings:\n  num_retries: %s\n", "router_settings.num_retries", 6},
		{"enable_pre_call_checks", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\nrouter_settings:\n  enable_pre_call_checks: %s\n", "router_settings.enable_pre_call_checks", 6},
		{"max_budget", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\nrouter_settings:\n  max_budget: %s\n", "router_settings.max_budget", 6},
		{"fallback group", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\nrouter_settings:\n  fallbacks: [{a: [%s]}]\n", "router_settings.fallbacks[0].a[0]", 6},
		{"default group", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\nrouter_settings:\n  default_group: %s\n", "router_settings.default_group", 6},
		{"mapping expected", "model_list:\n  - model_name: a\n    litellm_params: %s\n", "model_list[0].litellm_params", 3},
		{"list expected", "model_list: %s\n", "model_list", 1},
		{"key as a field name", "model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\n      %s: 1\n", "model_list[0].litellm_params.<not shown", 5},
		{"key as a section", "%s: 1\nmodels:\n  primary: gpt-4o\n", "<not shown", 1},
	}
	dir := t.TempDir()
	n := 0
	for _, c := range cases {
		for _, secret := range secrets {
			n++
			file := filepath.Join(dir, fmt.Sprintf("c%d.yaml", n))
			os.WriteFile(file, []byte(fmt.Sprintf(c.yaml, secret)), 0o600)
			_, err := router.LoadConfig(file)
			if err == nil {
				t.Fatalf("%s: no error for %q", c.name, secret)
			}
			msg := err.Error()
			if strings.Contains(msg, secret) {
				t.Fatalf("%s: the secret is quoted: %s", c.name, msg)
			}
			var ce *router.ConfigError
			if !errors.As(err, &ce) || !strings.Contains(msg, fmt.Sprintf("c%d.yaml:%d:", n, c.line)) || !strings.Contains(ce.Field, c.field) {
				t.Fatalf("%s: error does not name the field %s and line %d: %s", c.name, c.field, c.line, msg)
			}
		}
	}
	// the model string: refused by New, not quoted
	for _, secret := range secrets {
		file := filepath.Join(dir, "model.yaml")
		os.WriteFile(file, []byte("models:\n  primary: "+secret+"\n"), 0o600)
		_, err := router.NewFromFile(file)
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Fatalf("model string %q: %v", secret, err)
		}
	}
	// ordinary values are still quoted, to help
	file := filepath.Join(dir, "plain.yaml")
	os.WriteFile(file, []byte("models:\n  primary: gpt-4o\nsettings:\n  temperature: hot\n"), 0o600)
	if _, err := router.LoadConfig(file); err == nil || !strings.Contains(err.Error(), `settings.temperature: expected a number, got "hot"`) {
		t.Fatalf("err = %v", err)
	}
	// a secret-looking field never shows its value, whatever it is
	os.WriteFile(file, []byte("model_list:\n  - model_name: a\n    litellm_params:\n      model: gpt-4o\n      headers:\n        Authorization: [Bearer, short]\n"), 0o600)
	if _, err := router.LoadConfig(file); err == nil || strings.Contains(err.Error(), "short") ||
		!strings.Contains(err.Error(), "litellm_params.headers.Authorization: expected a single value, got a list") {
		t.Fatalf("err = %v", err)
	}
}
