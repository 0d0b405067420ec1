package router

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/jedisos/jedisos/llm"
)

// LoadConfig reads a YAML configuration file. Two shapes are understood,
// alone or together:
//
// The llm_config.yaml shape: "models:" maps names (primary, fallback1, ...,
// local) to model strings, in priority order, and "settings:" sets
// temperature, max_tokens and timeout (seconds). Each name becomes a group
// with one deployment; the first group falls back to the others in order,
// with least-busy routing, allowed_fails 2 and a 30 s cooldown unless
// router_settings say otherwise.
//
// LiteLLM's shape: "model_list:" (model_name, litellm_params, model_info;
// litellm_params may also bound responses with max_event_bytes,
// max_response_bytes and max_output_bytes, see llm.Limits, and set the
// deployment's prices with input_cost_per_token, output_cost_per_token,
// cache_read_input_token_cost, cache_creation_input_token_cost and the
// long-context forms of these four such as
// input_cost_per_token_above_200k_tokens, see llm.Params)
// and "router_settings:" (or "litellm_settings:") with routing_strategy,
// routing_strategy_args, num_retries, retry_policy, retry_after,
// retry_after_cap, allowed_fails, allowed_fails_policy, cooldown_time,
// disable_cooldowns, disable_fallbacks, fallbacks,
// context_window_fallbacks, content_policy_fallbacks, default_fallbacks,
// max_fallbacks, enable_pre_call_checks, timeout (each request to a
// deployment), call_timeout (a whole call with its retries and fallbacks),
// stream_timeout, wait_for_cooldown, default_group, cache and cache_params
// (type local, ttl, max_entries: a MemoryCache), max_budget,
// budget_duration and provider_budget_config.
//
// A string value "os.environ/NAME" is read from the environment variable
// NAME. Durations are seconds, or strings such as "30s", "5m", "1h", "1d".
// Every problem is reported, each as a *ConfigError with file, line, column
// and field.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, &ConfigError{File: path, Msg: "cannot read the file: " + err.Error(), Err: err}
	}
	return ParseConfig(path, data)
}

// NewFromFile loads the configuration file at path and builds its Router.
func NewFromFile(path string, opts ...Option) (*Router, error) {
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	r, err := New(cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// ParseConfig parses YAML configuration (see LoadConfig); name is the file
// name used in errors.
func ParseConfig(name string, data []byte) (Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, &ConfigError{File: name, Msg: "invalid YAML: " + err.Error(), Err: err}
	}
	d := &decoder{file: name}
	var cfg Config
	if len(root.Content) == 0 {
		return cfg, &ConfigError{File: name, Msg: "empty configuration"}
	}
	top := root.Content[0]
	if !d.isMap(top, "") {
		return cfg, errors.Join(d.errs...)
	}
	var (
		chain    []string
		settings *yaml.Node
		rs       []*yaml.Node
		rsNames  []string
	)
	d.each(top, "", func(key string, k, v *yaml.Node) {
		switch key {
		case "models":
			chain = d.models(v, &cfg)
		case "settings":
			settings = v
		case "model_list":
			d.modelList(v, &cfg)
		case "router_settings", "litellm_settings":
			rs = append(rs, v)
			rsNames = append(rsNames, key)
		case "general_settings", "environment_variables":
			// proxy-server sections: nothing for a Router
		default:
			d.fail(k, join("", key), "unknown section (want models, settings, model_list, router_settings or litellm_settings)")
		}
	})
	if len(chain) > 0 {
		// the user's default chain (guide §6.5)
		cfg.Strategy = LeastBusy
		cfg.AllowedFails = Int(2)
		cfg.CooldownTime = 30 * time.Second
		if len(chain) > 1 {
			cfg.Fallbacks = map[string][]string{chain[0]: chain[1:]}
		}
		cfg.DefaultGroup = chain[0]
	}
	if settings != nil {
		d.settings(settings, &cfg)
	}
	for i, n := range rs {
		d.routerSettings(n, rsNames[i], &cfg)
	}
	applyParamDefaults(&cfg, d.all)
	d.checkRefs(&cfg)
	if len(d.errs) > 0 {
		return Config{}, errors.Join(d.errs...)
	}
	return cfg, nil
}

type groupRef struct {
	name  string
	node  *yaml.Node
	field string
}

type decoder struct {
	file string
	errs []error
	refs []groupRef
	all  llm.Params // request parameters for every deployment
}

func (d *decoder) fail(n *yaml.Node, field, format string, a ...any) {
	e := &ConfigError{File: d.file, Field: safeField(field), Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

func join(parent, key string) string {
	if llm.LooksLikeSecret(key) {
		key = "<not shown: looks like a secret>"
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// secretWords mark a field whose value is a credential.
var secretWords = []string{"key", "secret", "password", "passwd", "credential", "auth", "cookie", "signature"}

// secretField reports whether the last element of a field path names a
// credential (api_key, aws_secret_access_key, headers.Authorization,
// access_token, ...).
func secretField(field string) bool {
	name := field
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	if strings.HasSuffix(name, "Retries") || strings.HasSuffix(name, "AllowedFails") {
		return false // retry_policy / allowed_fails_policy kinds
	}
	name = strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(name, w) {
			return true
		}
	}
	return name == "token" || strings.HasSuffix(name, "_token") && !strings.HasSuffix(name, "per_token") ||
		strings.HasSuffix(name, "-token")
}

// hiddenValue stands for a value an error must not quote.
func hiddenValue(n *yaml.Node) string {
	if n != nil && n.Line > 0 {
		return fmt.Sprintf("the value on line %d (not shown: it may be a secret)", n.Line)
	}
	return "a value that may be a secret (not shown)"
}

// quoteValue quotes v for an error, unless it looks like a key or token.
func quoteValue(n *yaml.Node, v string) string {
	if llm.LooksLikeSecret(v) {
		return hiddenValue(n)
	}
	return strconv.Quote(v)
}

// safeField replaces the elements of a field path that look like secrets
// (a key pasted where a field name belongs).
func safeField(field string) string {
	if !llm.LooksLikeSecret(field) {
		return field
	}
	parts := strings.Split(field, ".")
	for i, p := range parts {
		if llm.LooksLikeSecret(p) {
			parts[i] = "<not shown: looks like a secret>"
		}
	}
	return strings.Join(parts, ".")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quoteValue(n, n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func (d *decoder) isMap(n *yaml.Node, field string) bool {
	if n.Kind != yaml.MappingNode {
		d.fail(n, field, "expected a mapping, got %s", kindName(n))
		return false
	}
	return true
}

// each calls f for every key of a mapping, in order.
func (d *decoder) each(n *yaml.Node, field string, f func(key string, k, v *yaml.Node)) {
	if !d.isMap(n, field) {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f(n.Content[i].Value, n.Content[i], n.Content[i+1])
	}
}

// scalar returns the value of a scalar, resolving os.environ/NAME, and
// how to quote it in an error: the value itself, or for a value read from
// the environment only the variable's name (it may be a secret).
func (d *decoder) scalar(n *yaml.Node, field string) (value, show string, ok bool) {
	if n.Kind != yaml.ScalarNode {
		d.fail(n, field, "expected a single value, got %s", kindName(n))
		return "", "", false
	}
	v := n.Value
	if name, ok := strings.CutPrefix(v, "os.environ/"); ok {
		env, set := os.LookupEnv(name)
		if !set {
			d.fail(n, field, "environment variable %s is not set", name)
			return "", "", false
		}
		return env, "the value of environment variable " + name, true
	}
	if secretField(field) {
		return v, hiddenValue(n), true
	}
	return v, quoteValue(n, v), true
}

func (d *decoder) str(n *yaml.Node, field string) string {
	v, _, _ := d.scalar(n, field)
	return v
}

func (d *decoder) int(n *yaml.Node, field string) int {
	v, show, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		// accept integral floats such as 1e6
		f, ferr := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if ferr != nil || f != float64(int(f)) {
			d.fail(n, field, "expected an integer, got %s", show)
			return 0
		}
		i = int(f)
	}
	if i < 0 {
		d.fail(n, field, "must be >= 0, got %s", show)
		return 0
	}
	return i
}

func (d *decoder) float(n *yaml.Node, field string) float64 {
	v, show, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		d.fail(n, field, "expected a number, got %s", show)
		return 0
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.fail(n, field, "expected a finite number, got %s", show)
		return 0
	}
	if f < 0 {
		d.fail(n, field, "must be >= 0, got %s", show)
		return 0
	}
	return f
}

func (d *decoder) bool(n *yaml.Node, field string) bool {
	v, show, ok := d.scalar(n, field)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		d.fail(n, field, "expected true or false, got %s", show)
	}
	return b
}

// duration reads seconds (a number) or a duration string ("30s", "5m",
// "1h", "1d", "1w", "1mo").
func (d *decoder) duration(n *yaml.Node, field string) time.Duration {
	v, show, ok := d.scalar(n, field)
	if !ok {
		return 0
	}
	dur, err := parseDuration(v)
	switch {
	case err != nil && strings.HasPrefix(strings.TrimSpace(v), "-"):
		d.fail(n, field, "must be >= 0, got %s", show)
	case err != nil:
		d.fail(n, field, "expected seconds or a duration such as 30s, 5m, 1h, 1d; got %s", show)
	}
	return dur
}

// positiveDuration reads a duration for which 0 would be ambiguous: in
// Go 0 is the default, in LiteLLM "off". An explicit 0 is refused with the
// way to say "off" (off).
func (d *decoder) positiveDuration(n *yaml.Node, field, off string) time.Duration {
	before := len(d.errs)
	dur := d.duration(n, field)
	if dur == 0 && len(d.errs) == before {
		d.fail(n, field, "0 is ambiguous (LiteLLM reads it as off, jedisos as the default %s): write %s to turn cooldowns off, or a positive duration", DefaultCooldownTime, off)
	}
	return dur
}

func parseDuration(v string) (time.Duration, error) {
	s := strings.TrimSpace(v)
	// scale converts f units to a Duration, refusing what no Duration holds.
	scale := func(f float64, unit time.Duration) (time.Duration, error) {
		switch {
		case f < 0:
			return 0, fmt.Errorf("must be >= 0, got %q", v)
		case math.IsNaN(f) || math.IsInf(f, 0) || f*float64(unit) >= math.MaxInt64:
			return 0, fmt.Errorf("expected seconds or a duration such as 30s, 5m, 1h, 1d; got %q (out of range)", v)
		}
		return time.Duration(f * float64(unit)), nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return scale(f, time.Second)
	}
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"mo", 30 * 24 * time.Hour}, {"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			if f, err := strconv.ParseFloat(num, 64); err == nil && f >= 0 {
				return scale(f, u.unit)
			}
		}
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur < 0 {
		return 0, fmt.Errorf("expected seconds or a duration such as 30s, 5m, 1h, 1d; got %q", v)
	}
	return dur, nil
}

func (d *decoder) strList(n *yaml.Node, field string) []string {
	if n.Kind == yaml.ScalarNode && n.Value != "" {
		return []string{d.str(n, field)}
	}
	if n.Kind != yaml.SequenceNode {
		d.fail(n, field, "expected a list of names, got %s", kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, it := range n.Content {
		f := fmt.Sprintf("%s[%d]", field, i)
		if s := d.str(it, f); s != "" {
			out = append(out, s)
			d.refs = append(d.refs, groupRef{name: s, node: it, field: f})
		}
	}
	return out
}

// models reads the llm_config.yaml "models:" mapping; it returns the group
// names in order.
func (d *decoder) models(n *yaml.Node, cfg *Config) []string {
	var chain []string
	d.each(n, "models", func(key string, k, v *yaml.Node) {
		field := join("models", key)
		dep := Deployment{Group: key, Source: fmt.Sprintf("%s:%d", d.file, k.Line)}
		switch v.Kind {
		case yaml.ScalarNode:
			dep.Params.Model = d.str(v, field)
		case yaml.MappingNode:
			d.params(v, field, &dep)
		default:
			d.fail(v, field, "expected a model string or a mapping of params, got %s", kindName(v))
			return
		}
		if dep.Params.Model == "" {
			d.fail(v, field, "empty model string")
			return
		}
		chain = append(chain, key)
		cfg.Deployments = append(cfg.Deployments, dep)
	})
	return chain
}

// settings reads llm_config.yaml's "settings:".
func (d *decoder) settings(n *yaml.Node, cfg *Config) {
	d.each(n, "settings", func(key string, k, v *yaml.Node) {
		field := join("settings", key)
		switch key {
		case "temperature":
			cfg.Temperature = Float(d.float(v, field))
		case "max_tokens":
			cfg.MaxTokens = d.int(v, field)
		case "timeout":
			// per model call, as the guide passes timeout= to each call
			cfg.DeploymentTimeout = d.duration(v, field)
		case "stream_timeout":
			cfg.StreamTimeout = d.duration(v, field)
		default:
			if !d.requestParam(key, v, field, &d.all) {
				d.fail(k, field, "unknown setting (want temperature, max_tokens, timeout, stream_timeout, top_p, stop, seed, drop_params or extra_body)")
			}
		}
	})
}

func (d *decoder) modelList(n *yaml.Node, cfg *Config) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, "model_list", "expected a list of deployments, got %s", kindName(n))
		return
	}
	for i, e := range n.Content {
		field := fmt.Sprintf("model_list[%d]", i)
		dep := Deployment{Source: fmt.Sprintf("%s:%d", d.file, e.Line)}
		var sawParams bool
		d.each(e, field, func(key string, k, v *yaml.Node) {
			f := join(field, key)
			switch key {
			case "model_name":
				dep.Group = d.str(v, f)
			case "litellm_params":
				sawParams = true
				d.params(v, f, &dep)
			case "model_info":
				d.modelInfo(v, f, &dep)
			case "tpm", "tpm_limit":
				dep.TPM = d.int(v, f)
			case "rpm", "rpm_limit":
				dep.RPM = d.int(v, f)
			case "timeout":
				dep.Timeout = d.duration(v, f)
			case "stream_timeout":
				dep.StreamTimeout = d.duration(v, f)
			default:
				d.fail(k, f, "unknown field (want model_name, litellm_params, model_info, tpm, rpm, timeout or stream_timeout)")
			}
		})
		if e.Kind != yaml.MappingNode {
			continue
		}
		if dep.Group == "" {
			d.fail(e, join(field, "model_name"), "missing: every deployment needs the model group it belongs to")
		}
		if !sawParams || dep.Params.Model == "" {
			d.fail(e, join(field, "litellm_params.model"), "missing: every deployment needs a model string")
		}
		cfg.Deployments = append(cfg.Deployments, dep)
	}
}

// params reads litellm_params.
func (d *decoder) params(n *yaml.Node, field string, dep *Deployment) {
	d.each(n, field, func(key string, k, v *yaml.Node) {
		f := join(field, key)
		p := &dep.Params
		switch key {
		case "model":
			p.Model = d.str(v, f)
		case "api_key":
			p.APIKey = d.str(v, f)
		case "api_base", "base_url":
			p.APIBase = d.str(v, f)
		case "api_version":
			p.APIVersion = d.str(v, f)
		case "organization":
			p.Organization = d.str(v, f)
		case "headers", "extra_headers":
			p.Headers = map[string]string{}
			d.each(v, f, func(hk string, _, hv *yaml.Node) { p.Headers[hk] = d.str(hv, join(f, hk)) })
		case "timeout":
			dep.Timeout = d.duration(v, f)
		case "stream_timeout":
			dep.StreamTimeout = d.duration(v, f)
		case "rpm":
			dep.RPM = d.int(v, f)
		case "tpm":
			dep.TPM = d.int(v, f)
		case "weight":
			dep.Weight = d.float(v, f)
		case "order":
			dep.Order = d.int(v, f)
		case "max_parallel_requests":
			dep.MaxParallelRequests = d.int(v, f)
		case "cooldown_time":
			dep.CooldownTime = d.positiveDuration(v, f, "litellm_params.disable_cooldowns: true")
		case "disable_cooldowns":
			dep.DisableCooldowns = d.bool(v, f)
		case "num_retries":
			dep.NumRetries = Int(d.int(v, f))
		case "input_cost_per_token":
			p.InputCostPerToken = d.float(v, f)
		case "output_cost_per_token":
			p.OutputCostPerToken = d.float(v, f)
		case "cache_read_input_token_cost":
			p.CacheReadCostPerToken = d.float(v, f)
		case "cache_creation_input_token_cost":
			p.CacheWriteCostPerToken = d.float(v, f)
		case "custom_llm_provider":
			dep.Provider = d.str(v, f)
		case "max_event_bytes":
			p.Limits.MaxEventBytes = d.int(v, f)
		case "max_response_bytes":
			p.Limits.MaxResponseBytes = int64(d.int(v, f))
		case "max_output_bytes":
			p.Limits.MaxOutputBytes = d.int(v, f)
		case "max_retries":
			d.fail(k, f, "provider SDK retries are always disabled so that retries never multiply; use num_retries")
		case "temperature":
			p.Temperature = Float(d.float(v, f))
		case "max_tokens":
			p.MaxTokens = d.int(v, f)
		default:
			if strings.Contains(key, "_cost") && strings.Contains(key, "_above_") {
				tiers, ok := llm.SetTierPrice(p.Tiers, key, d.float(v, f))
				if !ok {
					d.fail(k, f, "unsupported tier price (want input_cost_per_token, output_cost_per_token, cache_read_input_token_cost or cache_creation_input_token_cost followed by _above_<N>k_tokens)")
				}
				p.Tiers = tiers
			} else if !d.requestParam(key, v, f, p) {
				d.fail(k, f, "unknown or unsupported parameter")
			}
		}
	})
}

// modelInfo reads model_info; keys other than id, base_model and the
// context window are metadata and ignored.
func (d *decoder) modelInfo(n *yaml.Node, field string, dep *Deployment) {
	d.each(n, field, func(key string, k, v *yaml.Node) {
		f := join(field, key)
		switch key {
		case "id":
			dep.ID = d.str(v, f)
		case "base_model":
			dep.BaseModel = d.str(v, f)
		case "max_input_tokens":
			dep.MaxInputTokens = d.int(v, f)
		}
	})
}

// kindByName maps LiteLLM's exception names (with or without the
// "Retries"/"AllowedFails" suffix of RetryPolicy/AllowedFailsPolicy) to
// kinds.
func kindByName(s string) (llm.Kind, bool) {
	s = strings.TrimSuffix(strings.TrimSuffix(s, "Retries"), "AllowedFails")
	if s == "TimeoutError" {
		return llm.ErrTimeout, true
	}
	for _, k := range []llm.Kind{llm.ErrBadRequest, llm.ErrContextWindowExceeded, llm.ErrContentPolicyViolation,
		llm.ErrUnsupportedParams, llm.ErrAuthentication, llm.ErrPermissionDenied, llm.ErrNotFound,
		llm.ErrUnprocessableEntity, llm.ErrRateLimit, llm.ErrTimeout, llm.ErrInternalServer, llm.ErrBadGateway,
		llm.ErrServiceUnavailable, llm.ErrAPIConnection, llm.ErrAPI} {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

func (d *decoder) kindPolicy(n *yaml.Node, field string) map[llm.Kind]int {
	out := map[llm.Kind]int{}
	d.each(n, field, func(key string, k, v *yaml.Node) {
		kind, ok := kindByName(key)
		if !ok {
			d.fail(k, join(field, key), "unknown error kind (want e.g. RateLimitErrorRetries, TimeoutErrorRetries, InternalServerErrorRetries)")
			return
		}
		out[kind] = d.int(v, join(field, key))
	})
	return out
}

// fallbacks reads [{group: [fb, ...]}, ...], the guide's
// [{model_name: group, fallbacks: [...]}] or a plain mapping.
func (d *decoder) fallbacks(n *yaml.Node, field string) map[string][]string {
	out := map[string][]string{}
	add := func(k *yaml.Node, group string, v *yaml.Node, f string) {
		if group != "*" {
			d.refs = append(d.refs, groupRef{name: group, node: k, field: f})
		}
		out[group] = append(out[group], d.strList(v, f)...)
	}
	switch n.Kind {
	case yaml.MappingNode:
		d.each(n, field, func(key string, k, v *yaml.Node) { add(k, key, v, join(field, key)) })
	case yaml.SequenceNode:
		for i, e := range n.Content {
			f := fmt.Sprintf("%s[%d]", field, i)
			if !d.isMap(e, f) {
				continue
			}
			var nameNode, listNode *yaml.Node
			for j := 0; j+1 < len(e.Content); j += 2 {
				switch e.Content[j].Value {
				case "model_name":
					nameNode = e.Content[j+1]
				case "fallbacks":
					listNode = e.Content[j+1]
				}
			}
			if nameNode != nil && listNode != nil && len(e.Content) == 4 {
				add(nameNode, d.str(nameNode, f+".model_name"), listNode, f+".fallbacks")
				continue
			}
			d.each(e, f, func(key string, k, v *yaml.Node) { add(k, key, v, join(f, key)) })
		}
	default:
		d.fail(n, field, "expected a list such as [{group: [fallback1, fallback2]}], got %s", kindName(n))
	}
	return out
}

func (d *decoder) routerSettings(n *yaml.Node, section string, cfg *Config) {
	var budget Budget
	var budgetNode *yaml.Node
	var (
		cacheOn                bool
		cacheNode, cacheParams *yaml.Node
		cacheCfg               MemoryCacheConfig
	)
	d.each(n, section, func(key string, k, v *yaml.Node) {
		f := join(section, key)
		switch key {
		case "routing_strategy":
			name, show, _ := d.scalar(v, f)
			s, err := ParseStrategy(name)
			if err != nil {
				d.fail(v, f, "unknown routing strategy %s (want simple-shuffle, least-busy, usage-based-routing-v2, latency-based-routing or cost-based-routing)", show)
			}
			cfg.Strategy = s
		case "routing_strategy_args":
			d.each(v, f, func(ak string, akn, av *yaml.Node) {
				af := join(f, ak)
				switch ak {
				case "lowest_latency_buffer":
					cfg.StrategyArgs.LatencyBuffer = d.float(av, af)
				case "window_size", "max_latency_list_size":
					cfg.StrategyArgs.LatencyWindow = d.int(av, af)
				case "timeout_penalty":
					cfg.StrategyArgs.TimeoutPenalty = d.float(av, af)
				case "ttl":
					// LiteLLM's cache ttl: samples here live in a window
				default:
					d.fail(akn, af, "unknown strategy argument (want lowest_latency_buffer, window_size or timeout_penalty)")
				}
			})
		case "num_retries":
			cfg.NumRetries = Int(d.int(v, f))
		case "retry_policy":
			cfg.RetryPolicy = d.kindPolicy(v, f)
		case "retry_after":
			cfg.RetryAfter = d.duration(v, f)
		case "retry_after_cap", "max_retry_after":
			cfg.RetryAfterCap = d.duration(v, f)
		case "allowed_fails":
			cfg.AllowedFails = Int(d.int(v, f))
		case "allowed_fails_policy":
			cfg.AllowedFailsPolicy = d.kindPolicy(v, f)
		case "cooldown_time":
			cfg.CooldownTime = d.positiveDuration(v, f, "disable_cooldowns: true")
		case "disable_cooldowns":
			cfg.DisableCooldowns = d.bool(v, f)
		case "disable_fallbacks":
			cfg.DisableFallbacks = d.bool(v, f)
		case "fallbacks":
			cfg.Fallbacks = d.fallbacks(v, f)
		case "context_window_fallbacks":
			cfg.ContextWindowFallbacks = d.fallbacks(v, f)
		case "content_policy_fallbacks":
			cfg.ContentPolicyFallbacks = d.fallbacks(v, f)
		case "default_fallbacks":
			cfg.DefaultFallbacks = d.strList(v, f)
		case "max_fallbacks":
			before := len(d.errs)
			cfg.MaxFallbacks = d.int(v, f)
			if cfg.MaxFallbacks == 0 && len(d.errs) == before {
				d.fail(v, f, "0 is ambiguous (LiteLLM reads it as no fallbacks, jedisos as the default %d): write disable_fallbacks: true, or a positive number", DefaultMaxFallbacks)
			}
		case "enable_pre_call_checks":
			cfg.EnablePreCallChecks = d.bool(v, f)
		case "timeout", "request_timeout":
			// as in LiteLLM: the timeout of each request to a deployment
			cfg.DeploymentTimeout = d.duration(v, f)
		case "call_timeout":
			cfg.Timeout = d.duration(v, f)
		case "stream_timeout":
			cfg.StreamTimeout = d.duration(v, f)
		case "wait_for_cooldown":
			cfg.WaitForCooldown = d.bool(v, f)
		case "default_group", "default_model":
			cfg.DefaultGroup = d.str(v, f)
			d.refs = append(d.refs, groupRef{name: cfg.DefaultGroup, node: v, field: f})
		case "max_budget":
			budget.MaxBudget = d.float(v, f)
			budgetNode = v
		case "budget_duration":
			budget.Period = d.duration(v, f)
			budgetNode = v
		case "provider_budget_config":
			cfg.ProviderBudgets = map[string]Budget{}
			d.each(v, f, func(p string, _, pv *yaml.Node) {
				pf := join(f, p)
				var b Budget
				d.each(pv, pf, func(bk string, bkn, bv *yaml.Node) {
					switch bk {
					case "budget_limit", "max_budget":
						b.MaxBudget = d.float(bv, join(pf, bk))
					case "time_period", "budget_duration":
						b.Period = d.duration(bv, join(pf, bk))
					default:
						d.fail(bkn, join(pf, bk), "unknown budget field (want budget_limit and time_period)")
					}
				})
				if b.MaxBudget <= 0 {
					d.fail(pv, join(pf, "budget_limit"), "missing or zero: a provider budget needs a positive budget_limit")
				}
				cfg.ProviderBudgets[p] = b
			})
		case "temperature":
			cfg.Temperature = Float(d.float(v, f))
		case "max_tokens":
			cfg.MaxTokens = d.int(v, f)
		case "cache":
			cacheOn, cacheNode = d.bool(v, f), v
		case "cache_params":
			cacheParams = v
			d.each(v, f, func(ck string, ckn, cv *yaml.Node) {
				cf := join(f, ck)
				switch ck {
				case "type":
					if t := d.str(cv, cf); t != "local" && t != "memory" && t != "" {
						d.fail(cv, cf, "cache type %q is set up in Go (Config.Cache, e.g. routerredis.NewCache for redis); YAML builds the local cache only", t)
					}
				case "ttl":
					cacheCfg.TTL = d.duration(cv, cf)
				case "max_entries", "max_size":
					cacheCfg.MaxEntries = d.int(cv, cf)
				default:
					d.fail(ckn, cf, "unknown cache parameter (want type: local, ttl or max_entries)")
				}
			})
		default:
			if !d.requestParam(key, v, f, &d.all) {
				d.fail(k, f, "unknown router setting")
			}
		}
	})
	switch {
	case cacheOn:
		cfg.Cache = NewMemoryCache(cacheCfg)
	case cacheParams != nil && cacheNode == nil:
		d.fail(cacheParams, join(section, "cache"), "cache_params without cache: true")
	}
	if budgetNode != nil {
		if budget.MaxBudget <= 0 {
			d.fail(budgetNode, join(section, "max_budget"), "missing or zero: a router budget needs a positive max_budget")
		} else {
			cfg.Budget = &budget
		}
	}
}

// checkRefs reports fallback and default-group names that match no group.
func (d *decoder) checkRefs(cfg *Config) {
	known := map[string]bool{}
	var names []string
	for _, dep := range cfg.Deployments {
		if dep.Group != "" && !known[dep.Group] {
			known[dep.Group] = true
			names = append(names, dep.Group)
		}
	}
	for _, r := range d.refs {
		if !known[r.name] {
			d.fail(r.node, r.field, "unknown model group %s (known: %s)", quoteValue(r.node, r.name), strings.Join(names, ", "))
		}
	}
}
