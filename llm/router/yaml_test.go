package router

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

func TestLoadGuideConfig(t *testing.T) {
	cfg, err := LoadConfig("testdata/llm_config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var groups, models []string
	for _, d := range cfg.Deployments {
		groups = append(groups, d.Group)
		models = append(models, d.Params.Model)
	}
	if !reflect.DeepEqual(groups, []string{"primary", "fallback1", "fallback2", "local"}) ||
		!reflect.DeepEqual(models, []string{"claude-sonnet-5-20260203", "gpt-5.2", "gemini/gemini-3-flash", "ollama/llama4"}) {
		t.Fatalf("groups %v models %v", groups, models)
	}
	if cfg.Strategy != LeastBusy || *cfg.AllowedFails != 2 || cfg.CooldownTime != 30*time.Second ||
		!reflect.DeepEqual(cfg.Fallbacks, map[string][]string{"primary": {"fallback1", "fallback2", "local"}}) ||
		*cfg.Temperature != 0.7 || cfg.MaxTokens != 2000 || cfg.DeploymentTimeout != 30*time.Second || cfg.DefaultGroup != "primary" {
		t.Fatalf("cfg %+v", cfg)
	}
	if cfg.Deployments[0].Source != "testdata/llm_config.yaml:3" {
		t.Fatalf("source %q", cfg.Deployments[0].Source)
	}
}

// The guide's chain works from llm_config.yaml alone: keys and bases come
// from the environment, as the user's .env provides them.
func TestGuideChainFromFile(t *testing.T) {
	anthropic, openai, gemini, ollama := llmtest.NewAnthropic(t), llmtest.NewOpenAI(t), llmtest.NewGemini(t), llmtest.NewOllama(t)
	for k, v := range map[string]string{
		"ANTHROPIC_API_KEY": "sk-ant-test", "ANTHROPIC_API_BASE": anthropic.APIBase(),
		"OPENAI_API_KEY": "sk-openai-test", "OPENAI_API_BASE": openai.APIBase(),
		"GEMINI_API_KEY": "gemini-test", "GEMINI_API_BASE": gemini.APIBase(),
		"OLLAMA_API_BASE": ollama.APIBase(),
	} {
		t.Setenv(k, v)
	}
	anthropic.SetDefault(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"})
	openai.SetDefault(llmtest.Reply{Status: 500})
	gemini.SetDefault(llmtest.Reply{Text: "Gemini answers.", Usage: llmtest.Usage{Prompt: 9, Completion: 3}})

	clk := hybridClock{newFakeClock()}
	r, err := NewFromFile("testdata/llm_config.yaml", WithClock(clk), WithRand(seqRand(0.5)))
	if err != nil {
		t.Fatal(err)
	}
	log := &attemptLog{}
	r.callbacks = append(r.callbacks, log.callback())
	resp, err := r.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "gemini/gemini-3-flash" || resp.Message.Content != "Gemini answers." || resp.Usage.TotalTokens != 12 {
		t.Fatalf("resp %+v", resp)
	}
	// claude overloaded: throttled everywhere in its group and fallbacks
	// exist, so no retry; gpt 500 (retried twice after backoff); gemini
	want := []attemptRow{
		{"primary", r.Status()[0].ID, 1, 0, 0, llm.ErrRateLimit},
		{"fallback1", r.Status()[1].ID, 2, 1, 0, llm.ErrInternalServer},
		{"fallback1", r.Status()[1].ID, 3, 1, 375 * time.Millisecond, llm.ErrInternalServer},
		{"fallback1", r.Status()[1].ID, 4, 1, 750 * time.Millisecond, llm.ErrInternalServer},
		{"fallback2", r.Status()[2].ID, 5, 2, 0, ""},
	}
	if !reflect.DeepEqual(log.rows, want) {
		t.Fatalf("attempts\n%+v\nwant\n%+v", log.rows, want)
	}
	// the settings reached the wire
	last, _ := gemini.Last()
	gc, _ := last.JSON["generationConfig"].(map[string]any)
	if gc["temperature"] != 0.7 || gc["maxOutputTokens"] != 2000.0 {
		t.Fatalf("generationConfig %v", gc)
	}
	// allowed_fails 2: gpt failed 3 times in its window and cools down
	// 30s; claude failed once and does not
	st := r.Status()
	if !st[1].CooldownUntil.Equal(clk.Now().Add(30*time.Second)) || !st[0].CooldownUntil.IsZero() {
		t.Fatalf("status %+v", st)
	}
}

func TestLoadModelList(t *testing.T) {
	t.Setenv("ROUTER_TEST_OPENAI_KEY", "sk-openai-secret")
	t.Setenv("ROUTER_TEST_AZURE_KEY", "azure-secret")
	t.Setenv("ROUTER_TEST_ANTHROPIC_KEY", "sk-ant-secret")
	cfg, err := LoadConfig("testdata/model_list.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d0, d1 := cfg.Deployments[0], cfg.Deployments[1]
	if d0.Group != "gpt4-prod" || d0.ID != "gpt4-east" || d0.Params.APIKey != "sk-openai-secret" || d0.RPM != 500 || d0.TPM != 10000 ||
		d0.Weight != 2 || d0.Order != 1 || d0.Timeout != 30*time.Second || d0.StreamTimeout != 5*time.Second ||
		d0.MaxParallelRequests != 10 || !d0.DisableCooldowns || d0.BaseModel != "gpt-4o" {
		t.Fatalf("d0 %+v", d0)
	}
	if d1.Params.APIVersion != "2024-10-21" || d1.Params.InputCostPerToken != 2e-6 || *d1.NumRetries != 1 || d1.TPM != 90000 ||
		d1.RPM != 300 || d1.Timeout != 20*time.Second {
		t.Fatalf("d1 %+v", d1)
	}
	if cfg.Strategy != UsageBased || cfg.StrategyArgs.LatencyBuffer != 0.5 || cfg.StrategyArgs.LatencyWindow != 20 ||
		*cfg.NumRetries != 3 || cfg.RetryAfter != time.Second || *cfg.AllowedFails != 3 || cfg.CooldownTime != time.Minute ||
		cfg.MaxFallbacks != 3 || !cfg.EnablePreCallChecks || cfg.Timeout != 2*time.Minute || cfg.DeploymentTimeout != 45*time.Second || cfg.StreamTimeout != 10*time.Second ||
		!cfg.WaitForCooldown {
		t.Fatalf("settings %+v", cfg)
	}
	if !reflect.DeepEqual(cfg.RetryPolicy, map[llm.Kind]int{llm.ErrRateLimit: 5, llm.ErrTimeout: 1, llm.ErrContextWindowExceeded: 0}) ||
		!reflect.DeepEqual(cfg.AllowedFailsPolicy, map[llm.Kind]int{llm.ErrTimeout: 10}) {
		t.Fatalf("policies %v %v", cfg.RetryPolicy, cfg.AllowedFailsPolicy)
	}
	if !reflect.DeepEqual(cfg.Fallbacks, map[string][]string{"gpt4-prod": {"claude-prod", "local"}}) ||
		!reflect.DeepEqual(cfg.ContextWindowFallbacks, map[string][]string{"gpt4-prod": {"claude-prod"}}) ||
		!reflect.DeepEqual(cfg.ContentPolicyFallbacks, map[string][]string{"claude-prod": {"gpt4-prod"}}) ||
		!reflect.DeepEqual(cfg.DefaultFallbacks, []string{"local"}) {
		t.Fatalf("fallbacks %v %v %v %v", cfg.Fallbacks, cfg.ContextWindowFallbacks, cfg.ContentPolicyFallbacks, cfg.DefaultFallbacks)
	}
	if *cfg.Budget != (Budget{MaxBudget: 25, Period: 24 * time.Hour}) ||
		!reflect.DeepEqual(cfg.ProviderBudgets, map[string]Budget{"openai": {10, 24 * time.Hour}, "anthropic": {5, 12 * time.Hour}}) {
		t.Fatalf("budgets %+v %+v", cfg.Budget, cfg.ProviderBudgets)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Groups(), []string{"gpt4-prod", "claude-prod", "local"}) {
		t.Fatalf("groups %v", r.Groups())
	}
}

func TestConfigErrors(t *testing.T) {
	t.Setenv("ROUTER_TEST_SET", "42")
	t.Setenv("ROUTER_TEST_SECRETISH", "sk-not-a-number")
	src := `model_list:
  - model_name: a
    litellm_params:
      model: gpt-4o
      rpm: lots
      tpm: os.environ/ROUTER_TEST_SET
      api_key: os.environ/ROUTER_TEST_UNSET_VARIABLE
      temprature: 0.2
      weight: os.environ/ROUTER_TEST_SECRETISH
  - litellm_params:
      model: gpt-4o
router_settings:
  routing_strategy: fastest
  cooldown_time: soon
  fallbacks:
    - a: [b]
  retry_policy:
    SlowErrorRetries: 1
extra: 1
`
	_, err := ParseConfig("router.yaml", []byte(src))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		`router.yaml:5:12: model_list[0].litellm_params.rpm: expected an integer, got "lots"`,
		`router.yaml:7:16: model_list[0].litellm_params.api_key: environment variable ROUTER_TEST_UNSET_VARIABLE is not set`,
		`router.yaml:8:7: model_list[0].litellm_params.temprature: unknown or unsupported parameter`,
		`router.yaml:9:15: model_list[0].litellm_params.weight: expected a number, got the value of environment variable ROUTER_TEST_SECRETISH`,
		`router.yaml:10:5: model_list[1].model_name: missing`,
		`router.yaml:13:21: router_settings.routing_strategy: unknown routing strategy "fastest"`,
		`router.yaml:14:18: router_settings.cooldown_time: expected seconds or a duration`,
		`router.yaml:16:11: router_settings.fallbacks[0].a[0]: unknown model group "b" (known: a)`,
		`router.yaml:18:5: router_settings.retry_policy.SlowErrorRetries: unknown error kind`,
		`router.yaml:19:1: extra: unknown section`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.File != "router.yaml" || ce.Line == 0 {
		t.Fatalf("ConfigError %+v", ce)
	}
	if strings.Contains(err.Error(), "42") || strings.Contains(err.Error(), "sk-not-a-number") {
		t.Fatal("an environment value leaked into an error")
	}

	_, err = ParseConfig("bad.yaml", []byte("models: [oops"))
	if err == nil || !strings.Contains(err.Error(), "bad.yaml: invalid YAML") {
		t.Fatalf("err %v", err)
	}
	_, err = LoadConfig("testdata/missing.yaml")
	if err == nil || !strings.Contains(err.Error(), "testdata/missing.yaml: cannot read the file") {
		t.Fatalf("err %v", err)
	}
	_, err = ParseConfig("c.yaml", []byte("settings:\n  timeout: -3\n  top_k: 2\n"))
	if err == nil || !strings.Contains(err.Error(), "c.yaml:2:12: settings.timeout: must be >= 0") ||
		!strings.Contains(err.Error(), "c.yaml:3:3: settings.top_k: unknown setting") {
		t.Fatalf("err %v", err)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30": 30 * time.Second, "0.5": 500 * time.Millisecond, "90s": 90 * time.Second,
		"5m": 5 * time.Minute, "1d": 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1mo": 30 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("%q: %v %v", in, got, err)
		}
	}
	if _, err := parseDuration("soon"); err == nil {
		t.Error("soon parsed")
	}
}

func TestGuideShapeWithRouterSettings(t *testing.T) {
	cfg, err := ParseConfig("llm_config.yaml", []byte(`
models:
  primary:
    model: gpt-4o
    api_base: http://127.0.0.1:9/v1
    api_key: sk-inline
  local: ollama/llama3
router_settings:
  routing_strategy: simple-shuffle
  cooldown_time: 10s
  wait_for_cooldown: true
litellm_settings:
  num_retries: 4
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Strategy != SimpleShuffle || cfg.CooldownTime != 10*time.Second || *cfg.AllowedFails != 2 || !cfg.WaitForCooldown ||
		*cfg.NumRetries != 4 || cfg.Deployments[0].Params.APIBase != "http://127.0.0.1:9/v1" ||
		!reflect.DeepEqual(cfg.Fallbacks, map[string][]string{"primary": {"local"}}) {
		t.Fatalf("cfg %+v", cfg)
	}
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Groups(), []string{"primary", "local"}) {
		t.Fatalf("groups %v", r.Groups())
	}
}

// Without any key the guide's chain still starts: the three keyed
// deployments are unavailable (each naming its variable) and only the local
// ollama model can answer.
func TestGuideChainWithoutKeys(t *testing.T) {
	for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"} {
		t.Setenv(k, "")
	}
	r, err := NewFromFile("testdata/llm_config.yaml", WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"primary": "ANTHROPIC_API_KEY", "fallback1": "OPENAI_API_KEY", "fallback2": "GEMINI_API_KEY"}
	for _, s := range r.Status() {
		v, keyed := want[s.Group]
		if keyed != (s.Unavailable != nil) || keyed && !strings.Contains(s.Unavailable.Error(), v) {
			t.Errorf("%s (%s): unavailable = %v", s.Group, s.Model, s.Unavailable)
		}
	}
}

// Issue 13: cooldown_time: 0 disabled cooldowns in YAML but meant the 5s
// default in Go. Zero means the default in both; an explicit 0 in YAML is
// refused with the way to say "off", and the Disable options say it in
// both.
func TestZeroValuesMeanTheSameInGoAndYAML(t *testing.T) {
	base := "model_list:\n- model_name: g\n  litellm_params: {model: gpt-4o, api_key: k%s}\nrouter_settings:\n%s"
	for _, tc := range []struct{ params, settings, want string }{
		{"", "  cooldown_time: 0\n", "router_settings.cooldown_time: 0 is ambiguous (LiteLLM reads it as off, jedisos as the default 5s): write disable_cooldowns: true"},
		{", cooldown_time: 0", "  num_retries: 1\n", "litellm_params.cooldown_time: 0 is ambiguous"},
		{"", "  max_fallbacks: 0\n", "router_settings.max_fallbacks: 0 is ambiguous (LiteLLM reads it as no fallbacks, jedisos as the default 5): write disable_fallbacks: true"},
	} {
		_, err := ParseConfig("z.yaml", []byte(fmt.Sprintf(base, tc.params, tc.settings)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s%s: err %v, want %q", tc.params, tc.settings, err, tc.want)
		}
	}
	cfg, err := ParseConfig("z.yaml", []byte(fmt.Sprintf(base, ", disable_cooldowns: true", "  disable_cooldowns: true\n  disable_fallbacks: true\n  cooldown_time: 7\n")))
	if err != nil || !cfg.DisableCooldowns || !cfg.DisableFallbacks || !cfg.Deployments[0].DisableCooldowns || cfg.CooldownTime != 7*time.Second {
		t.Fatalf("cfg %+v err %v", cfg, err)
	}

	// Go: 0 is the default, negative is refused with the Disable option named.
	m := okModel("a", "x")
	_, err = New(Config{Deployments: []Deployment{dep("g", "a", m)}, CooldownTime: -1, MaxFallbacks: -1})
	if err == nil || !strings.Contains(err.Error(), "CooldownTime: must be >= 0 (0 is the default, 5s), got -1ns; set DisableCooldowns") ||
		!strings.Contains(err.Error(), "MaxFallbacks: must be >= 0 (0 is the default, 5), got -1; set DisableFallbacks") {
		t.Fatalf("negative values: %v", err)
	}
	clk := newFakeClock()
	fail := func() *fake { return script("a", httpErr(llm.ErrAuthentication, 401), nil) }
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", fail()), dep("g", "b", okModel("b", "fine"))}, Strategy: LeastBusy},
		clk, WithRand(seqRand(0.99)))
	if _, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil {
		t.Fatal(err)
	}
	if got := r.Status()[0].CooldownUntil.Sub(clk.Now()); got != DefaultCooldownTime {
		t.Fatalf("CooldownTime 0: a cooled for %s, want the default %s", got, DefaultCooldownTime)
	}
	r = newRouter(t, Config{Deployments: []Deployment{dep("g", "a", fail()), dep("g", "b", okModel("b", "fine"))}, Strategy: LeastBusy,
		DisableCooldowns: true}, clk, WithRand(seqRand(0.99)))
	if _, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Status() {
		if !s.CooldownUntil.IsZero() {
			t.Fatalf("DisableCooldowns: %s cooling", s.ID)
		}
	}
	r = newRouter(t, Config{Deployments: []Deployment{dep("p", "a", fail()), dep("f", "b", okModel("b", "fine"))},
		Fallbacks: map[string][]string{"p": {"f"}}, DisableFallbacks: true, NumRetries: Int(0)}, clk)
	if _, err := r.Complete(context.Background(), userReq("p", "hi")); errKind(err) != llm.ErrAuthentication {
		t.Fatalf("DisableFallbacks: %v", err)
	}
}
