package llm

import (
	_ "embed" // the price table is embedded
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// The price and context-window table of the LiteLLM project (MIT, see
// data/LICENSE). It is parsed once, on first use.
//
//go:embed data/model_prices_and_context_window.json
var priceTableJSON []byte

// ModelInfo is what the price table knows about one model: its provider,
// limits, per-token prices in US dollars and capabilities.
type ModelInfo struct {
	// Key is the table key the information was found under.
	Key string `json:"key"`
	// Provider is the table's provider name ("openai", "anthropic", "gemini", ...).
	Provider string `json:"provider"`
	// Mode is "chat", "embedding", "completion", ...
	Mode string `json:"mode,omitempty"`
	// MaxInputTokens is the context window; 0 when unknown.
	MaxInputTokens int `json:"max_input_tokens,omitempty"`
	// MaxOutputTokens is the longest completion; 0 when unknown.
	MaxOutputTokens int `json:"max_output_tokens,omitempty"`
	// InputCostPerToken prices prompt tokens not read from or written to a cache.
	InputCostPerToken float64 `json:"input_cost_per_token"`
	// OutputCostPerToken prices completion tokens.
	OutputCostPerToken float64 `json:"output_cost_per_token"`
	// CacheReadCostPerToken prices prompt tokens served from the cache; 0
	// means "same as InputCostPerToken".
	CacheReadCostPerToken float64 `json:"cache_read_cost_per_token,omitempty"`
	// CacheWriteCostPerToken prices prompt tokens written to the cache; 0
	// means "same as InputCostPerToken".
	CacheWriteCostPerToken float64 `json:"cache_write_cost_per_token,omitempty"`
	// ReasoningCostPerToken prices reasoning tokens; 0 means "same as
	// OutputCostPerToken".
	ReasoningCostPerToken float64 `json:"reasoning_cost_per_token,omitempty"`
	// InputCostPerTokenAbove200k and OutputCostPerTokenAbove200k, when set,
	// replace the base prices for requests whose prompt exceeds 200,000 tokens.
	InputCostPerTokenAbove200k  float64 `json:"input_cost_per_token_above_200k,omitempty"`
	OutputCostPerTokenAbove200k float64 `json:"output_cost_per_token_above_200k,omitempty"`

	SupportsTools          bool `json:"supports_tools,omitempty"`
	SupportsParallelTools  bool `json:"supports_parallel_tools,omitempty"`
	SupportsVision         bool `json:"supports_vision,omitempty"`
	SupportsResponseSchema bool `json:"supports_response_schema,omitempty"`
	SupportsReasoning      bool `json:"supports_reasoning,omitempty"`
	SupportsPromptCaching  bool `json:"supports_prompt_caching,omitempty"`
}

// flexNumber decodes a JSON number and ignores anything else (the table's
// sample entry holds prose where numbers belong).
type flexNumber float64

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	var v float64
	if err := json.Unmarshal(b, &v); err == nil {
		*f = flexNumber(v)
	}
	return nil
}

// flexBool decodes a JSON boolean and ignores anything else.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var v bool
	if err := json.Unmarshal(b, &v); err == nil {
		*f = flexBool(v)
	}
	return nil
}

type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err == nil {
		*f = flexString(v)
	}
	return nil
}

type rawPrice struct {
	Provider              flexString `json:"litellm_provider"`
	Mode                  flexString `json:"mode"`
	MaxInputTokens        flexNumber `json:"max_input_tokens"`
	MaxOutputTokens       flexNumber `json:"max_output_tokens"`
	MaxTokens             flexNumber `json:"max_tokens"`
	Input                 flexNumber `json:"input_cost_per_token"`
	Output                flexNumber `json:"output_cost_per_token"`
	CacheRead             flexNumber `json:"cache_read_input_token_cost"`
	CacheWrite            flexNumber `json:"cache_creation_input_token_cost"`
	Reasoning             flexNumber `json:"output_cost_per_reasoning_token"`
	InputAbove200k        flexNumber `json:"input_cost_per_token_above_200k_tokens"`
	OutputAbove200k       flexNumber `json:"output_cost_per_token_above_200k_tokens"`
	Tools                 flexBool   `json:"supports_function_calling"`
	ParallelTools         flexBool   `json:"supports_parallel_function_calling"`
	Vision                flexBool   `json:"supports_vision"`
	ResponseSchema        flexBool   `json:"supports_response_schema"`
	SupportsReasoning     flexBool   `json:"supports_reasoning"`
	SupportsPromptCaching flexBool   `json:"supports_prompt_caching"`
}

func (r rawPrice) info(key string) ModelInfo {
	mi := ModelInfo{
		Key:                         key,
		Provider:                    string(r.Provider),
		Mode:                        string(r.Mode),
		MaxInputTokens:              int(r.MaxInputTokens),
		MaxOutputTokens:             int(r.MaxOutputTokens),
		InputCostPerToken:           float64(r.Input),
		OutputCostPerToken:          float64(r.Output),
		CacheReadCostPerToken:       float64(r.CacheRead),
		CacheWriteCostPerToken:      float64(r.CacheWrite),
		ReasoningCostPerToken:       float64(r.Reasoning),
		InputCostPerTokenAbove200k:  float64(r.InputAbove200k),
		OutputCostPerTokenAbove200k: float64(r.OutputAbove200k),
		SupportsTools:               bool(r.Tools),
		SupportsParallelTools:       bool(r.ParallelTools),
		SupportsVision:              bool(r.Vision),
		SupportsResponseSchema:      bool(r.ResponseSchema),
		SupportsReasoning:           bool(r.SupportsReasoning),
		SupportsPromptCaching:       bool(r.SupportsPromptCaching),
	}
	if mi.MaxInputTokens == 0 {
		mi.MaxInputTokens = int(r.MaxTokens)
	}
	if mi.MaxOutputTokens == 0 {
		mi.MaxOutputTokens = int(r.MaxTokens)
	}
	return mi
}

// ParsePriceTable parses a table in the LiteLLM model_prices_and_context_window
// JSON shape. Entries that are not objects are skipped; the "sample_spec"
// entry is ignored.
func ParsePriceTable(data []byte) (map[string]ModelInfo, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("llm: price table: %w", err)
	}
	out := make(map[string]ModelInfo, len(raw))
	for k, v := range raw {
		if k == "sample_spec" {
			continue
		}
		var rp rawPrice
		if err := json.Unmarshal(v, &rp); err != nil {
			continue
		}
		out[k] = rp.info(k)
	}
	return out, nil
}

// Prices is a model-information registry: a base table plus run-time
// overrides. It is safe for concurrent use. The package functions
// LookupModel, RegisterModel and Cost use DefaultPrices.
type Prices struct {
	once     sync.Once
	load     func() map[string]ModelInfo
	base     map[string]ModelInfo
	mu       sync.RWMutex
	override map[string]ModelInfo
}

// NewPrices returns a registry over table (which it does not copy or modify).
// A nil table gives an empty registry to fill with Register.
func NewPrices(table map[string]ModelInfo) *Prices {
	return &Prices{load: func() map[string]ModelInfo { return table }}
}

var defaultPrices = &Prices{load: func() map[string]ModelInfo {
	t, err := ParsePriceTable(priceTableJSON)
	if err != nil {
		// The embedded table is checked by the package tests; an empty
		// registry still lets RegisterModel work.
		return map[string]ModelInfo{}
	}
	return t
}}

// DefaultPrices returns the package registry: the embedded LiteLLM table
// plus everything registered with RegisterModel.
func DefaultPrices() *Prices { return defaultPrices }

func (p *Prices) table() map[string]ModelInfo {
	p.once.Do(func() {
		if p.load != nil {
			p.base = p.load()
		}
	})
	return p.base
}

// Register adds or replaces the information for model, keyed by the
// model string as given. Lookup applies the same rules as to table keys,
// so a bare name registered ("my-model") is also found behind a provider
// prefix ("openai/my-model").
func (p *Prices) Register(model string, info ModelInfo) {
	if info.Key == "" {
		info.Key = model
	}
	p.mu.Lock()
	if p.override == nil {
		p.override = make(map[string]ModelInfo)
	}
	p.override[model] = info
	p.mu.Unlock()
}

func (p *Prices) get(key string) (ModelInfo, bool) {
	p.mu.RLock()
	mi, ok := p.override[key]
	p.mu.RUnlock()
	if ok {
		return mi, true
	}
	mi, ok = p.table()[key]
	return mi, ok
}

// Lookup finds model's information. It accepts table keys, bare names
// ("gpt-4o", "claude-sonnet-4-5") and provider-prefixed model strings
// ("openai/gpt-4o", "gemini/gemini-2.0-flash", "ollama/llama3",
// "vertex_ai/gemini-2.0-flash"); the exact string wins over its forms
// without or with a provider prefix.
func (p *Prices) Lookup(model string) (ModelInfo, bool) {
	if model == "" {
		return ModelInfo{}, false
	}
	if mi, ok := p.get(model); ok {
		return mi, true
	}
	lower := strings.ToLower(model)
	if lower != model {
		if mi, ok := p.get(lower); ok {
			return mi, true
		}
	}
	prefix, rest, hasPrefix := strings.Cut(lower, "/")
	if hasPrefix {
		if _, known := providerPrefixes[prefix]; known {
			if mi, ok := p.get(rest); ok {
				return mi, true
			}
			// "vertex_ai/gemini-..." may be listed as "gemini/gemini-...".
			if prefix == "vertex_ai" && strings.HasPrefix(rest, "gemini") {
				if mi, ok := p.get("gemini/" + rest); ok {
					return mi, true
				}
			}
		}
		return ModelInfo{}, false
	}
	return ModelInfo{}, false
}

// Keys returns every model key known to p (table and overrides), sorted.
func (p *Prices) Keys() []string {
	t := p.table()
	seen := make(map[string]struct{}, len(t))
	keys := make([]string, 0, len(t))
	for k := range t {
		seen[k] = struct{}{}
		keys = append(keys, k)
	}
	p.mu.RLock()
	for k := range p.override {
		if _, ok := seen[k]; !ok {
			keys = append(keys, k)
		}
	}
	p.mu.RUnlock()
	sort.Strings(keys)
	return keys
}

// Cost prices usage u for model. An unknown model is an error of kind
// ErrNotFound, not a zero cost.
func (p *Prices) Cost(model string, u Usage) (float64, error) {
	mi, ok := p.Lookup(model)
	if !ok {
		return 0, &Error{Kind: ErrNotFound, Model: model,
			Message: fmt.Sprintf("no price for model %q: register one with RegisterModel or set InputCostPerToken/OutputCostPerToken", model)}
	}
	return CostFor(mi, u), nil
}

// LookupModel finds model in the default registry; see Prices.Lookup.
func LookupModel(model string) (ModelInfo, bool) { return defaultPrices.Lookup(model) }

// RegisterModel adds or overrides model in the default registry. It is
// safe for concurrent use.
func RegisterModel(model string, info ModelInfo) { defaultPrices.Register(model, info) }

// Cost prices u for model using the default registry. An unknown model is
// an error (kind ErrNotFound), never a silent 0.
func Cost(model string, u Usage) (float64, error) { return defaultPrices.Cost(model, u) }

// CostByTokens prices a call of model with the given prompt and completion
// token counts.
func CostByTokens(model string, promptTokens, completionTokens int) (float64, error) {
	return Cost(model, Usage{PromptTokens: promptTokens, CompletionTokens: completionTokens,
		TotalTokens: promptTokens + completionTokens})
}

// CostFor prices u with info's prices. Usage follows OpenAI's convention:
// PromptTokens include CacheReadTokens and CacheWriteTokens, and
// CompletionTokens include ReasoningTokens. So the cost is
//
//	(prompt - cacheRead - cacheWrite) * input + cacheRead * cacheRead price
//	+ cacheWrite * cacheWrite price
//	+ (completion - reasoning) * output + reasoning * reasoning price
//
// where a missing cache price falls back to the input price and a missing
// reasoning price to the output price. Prompts above 200k tokens use the
// above-200k prices when the table has them.
func CostFor(info ModelInfo, u Usage) float64 {
	in, out := info.InputCostPerToken, info.OutputCostPerToken
	if u.PromptTokens > 200_000 {
		if info.InputCostPerTokenAbove200k > 0 {
			in = info.InputCostPerTokenAbove200k
		}
		if info.OutputCostPerTokenAbove200k > 0 {
			out = info.OutputCostPerTokenAbove200k
		}
	}
	cr, cw, rs := info.CacheReadCostPerToken, info.CacheWriteCostPerToken, info.ReasoningCostPerToken
	if cr == 0 {
		cr = in
	}
	if cw == 0 {
		cw = in
	}
	if rs == 0 {
		rs = out
	}
	plain := u.PromptTokens - u.CacheReadTokens - u.CacheWriteTokens
	if plain < 0 {
		plain = 0
	}
	gen := u.CompletionTokens - u.ReasoningTokens
	if gen < 0 {
		gen = 0
	}
	return float64(plain)*in + float64(u.CacheReadTokens)*cr + float64(u.CacheWriteTokens)*cw +
		float64(gen)*out + float64(u.ReasoningTokens)*rs
}
