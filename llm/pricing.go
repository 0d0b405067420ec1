package llm

import (
	"bytes"
	"cmp"
	_ "embed" // the price table is embedded
	"encoding/json"
	"fmt"
	"slices"
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
	// Tiers are the long-context prices, sorted by AboveTokens. A request
	// whose prompt (PromptTokens, cache reads and writes included) has more
	// tokens than a tier's AboveTokens is billed, all of it, at the prices of
	// the highest such tier; a price that tier leaves zero is taken from the
	// next lower tier, and so on down to the base prices above.
	Tiers []PriceTier `json:"tiers,omitempty"`
	// InputCostPerTokenAbove200k is the input price of the 200,000-token
	// tier. The price table sets it along with that tier in Tiers. When
	// non-zero it takes precedence over that tier's InputCostPerToken, and
	// acts as a 200,000-token tier of its own when Tiers has none.
	//
	// Deprecated: use Tiers, which also carries cache prices and other
	// thresholds.
	InputCostPerTokenAbove200k float64 `json:"input_cost_per_token_above_200k,omitempty"`
	// OutputCostPerTokenAbove200k is the output price of the 200,000-token
	// tier, with the same precedence as InputCostPerTokenAbove200k.
	//
	// Deprecated: use Tiers.
	OutputCostPerTokenAbove200k float64 `json:"output_cost_per_token_above_200k,omitempty"`

	// The Supports fields are the table's capability flags
	// (supports_function_calling, supports_parallel_function_calling,
	// supports_vision, supports_response_schema, supports_reasoning and
	// supports_prompt_caching).
	SupportsTools          bool `json:"supports_tools,omitempty"`
	SupportsParallelTools  bool `json:"supports_parallel_tools,omitempty"`
	SupportsVision         bool `json:"supports_vision,omitempty"`
	SupportsResponseSchema bool `json:"supports_response_schema,omitempty"`
	SupportsReasoning      bool `json:"supports_reasoning,omitempty"`
	SupportsPromptCaching  bool `json:"supports_prompt_caching,omitempty"`
}

// PriceTier is one long-context price tier of a model: the per-token prices
// of requests whose prompt has more than AboveTokens tokens. A zero price
// means "as the next lower tier", and for the lowest tier "as the base
// price" (see ModelInfo.Tiers).
type PriceTier struct {
	// AboveTokens is the threshold: the tier applies when the prompt has
	// more tokens than this, not when it has exactly this many.
	AboveTokens int `json:"above_tokens" yaml:"above_tokens"`
	// InputCostPerToken prices prompt tokens not read from or written to a
	// cache.
	InputCostPerToken float64 `json:"input_cost_per_token,omitempty" yaml:"input_cost_per_token,omitempty"`
	// OutputCostPerToken prices completion tokens.
	OutputCostPerToken float64 `json:"output_cost_per_token,omitempty" yaml:"output_cost_per_token,omitempty"`
	// CacheReadCostPerToken prices prompt tokens served from the cache.
	CacheReadCostPerToken float64 `json:"cache_read_cost_per_token,omitempty" yaml:"cache_read_cost_per_token,omitempty"`
	// CacheWriteCostPerToken prices prompt tokens written to the cache.
	CacheWriteCostPerToken float64 `json:"cache_write_cost_per_token,omitempty" yaml:"cache_write_cost_per_token,omitempty"`
}

// legacyTierTokens is the threshold of ModelInfo's InputCostPerTokenAbove200k
// and OutputCostPerTokenAbove200k.
const legacyTierTokens = 200_000

// parseTierKey splits the key of a long-context tier price into the base
// price key and the threshold in tokens; ok is false for any other key.
//
// Such keys are named <price>_above_<N>k_tokens in the table (and in
// LiteLLM's litellm_params), N thousand prompt tokens being the threshold;
// <price>_above_<N>_tokens, N tokens, is read as well. Tiers carry the four
// per-token prices CostFor uses at base: input_cost_per_token,
// output_cost_per_token, cache_read_input_token_cost and
// cache_creation_input_token_cost. The table's other tier keys are
// ignored, because the base prices they would replace are not used either:
//
//   - <price>_above_<N>k_tokens_priority: prices of OpenAI's priority
//     processing, which neither requests nor Usage record (the base
//     input_cost_per_token_priority and its kin are not read);
//   - cache_creation_input_token_cost_above_1hr_above_<N>k_tokens: one-hour
//     cache writes, which Usage does not tell apart from other cache writes
//     (the base cache_creation_input_token_cost_above_1hr is not read);
//   - input_cost_per_character_, output_cost_per_character_,
//     input_cost_per_image_, input_cost_per_audio_per_second_ and
//     input_cost_per_video_per_second_above_<N>k_tokens: prices per
//     character, image or second of media rather than per token.
func parseTierKey(key string) (base string, above int, ok bool) {
	i := strings.LastIndex(key, "_above_")
	if i < 0 {
		return "", 0, false
	}
	base = key[:i]
	switch base {
	case "input_cost_per_token", "output_cost_per_token", "cache_read_input_token_cost", "cache_creation_input_token_cost":
	default:
		return "", 0, false
	}
	num, found := strings.CutSuffix(key[i+len("_above_"):], "_tokens")
	if !found {
		return "", 0, false
	}
	mult, maxDigits := 1, 9 // at most 999,999,999 tokens: fits a 32-bit int
	if n, k := strings.CutSuffix(num, "k"); k {
		num, mult, maxDigits = n, 1000, 6
	}
	if num == "" || len(num) > maxDigits {
		return "", 0, false
	}
	n := 0
	for _, c := range []byte(num) {
		if c < '0' || c > '9' {
			return "", 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n == 0 {
		return "", 0, false
	}
	return base, n * mult, true
}

// SetTierPrice sets in tiers, which must be sorted by AboveTokens, the
// long-context price that key names the way LiteLLM does:
// "input_cost_per_token_above_200k_tokens" is the input price above
// 200,000 prompt tokens, and likewise for output_cost_per_token,
// cache_read_input_token_cost and cache_creation_input_token_cost with any
// "_above_<N>k_tokens" (N thousand tokens) or "_above_<N>_tokens" suffix.
// A tier is added for a new threshold. It returns the tiers, still sorted,
// and whether key names such a price; when it does not, tiers is returned
// unchanged. As with append, the result may share tiers' storage.
func SetTierPrice(tiers []PriceTier, key string, price float64) ([]PriceTier, bool) {
	base, above, ok := parseTierKey(key)
	if !ok {
		return tiers, false
	}
	i := sort.Search(len(tiers), func(i int) bool { return tiers[i].AboveTokens >= above })
	if i == len(tiers) || tiers[i].AboveTokens != above {
		tiers = slices.Insert(tiers, i, PriceTier{AboveTokens: above})
	}
	t := &tiers[i]
	switch base {
	case "input_cost_per_token":
		t.InputCostPerToken = price
	case "output_cost_per_token":
		t.OutputCostPerToken = price
	case "cache_read_input_token_cost":
		t.CacheReadCostPerToken = price
	case "cache_creation_input_token_cost":
		t.CacheWriteCostPerToken = price
	}
	return tiers, true
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
	Tools                 flexBool   `json:"supports_function_calling"`
	ParallelTools         flexBool   `json:"supports_parallel_function_calling"`
	Vision                flexBool   `json:"supports_vision"`
	ResponseSchema        flexBool   `json:"supports_response_schema"`
	SupportsReasoning     flexBool   `json:"supports_reasoning"`
	SupportsPromptCaching flexBool   `json:"supports_prompt_caching"`
}

func (r rawPrice) info(key string) ModelInfo {
	mi := ModelInfo{
		Key:                    key,
		Provider:               string(r.Provider),
		Mode:                   string(r.Mode),
		MaxInputTokens:         int(r.MaxInputTokens),
		MaxOutputTokens:        int(r.MaxOutputTokens),
		InputCostPerToken:      float64(r.Input),
		OutputCostPerToken:     float64(r.Output),
		CacheReadCostPerToken:  float64(r.CacheRead),
		CacheWriteCostPerToken: float64(r.CacheWrite),
		ReasoningCostPerToken:  float64(r.Reasoning),
		SupportsTools:          bool(r.Tools),
		SupportsParallelTools:  bool(r.ParallelTools),
		SupportsVision:         bool(r.Vision),
		SupportsResponseSchema: bool(r.ResponseSchema),
		SupportsReasoning:      bool(r.SupportsReasoning),
		SupportsPromptCaching:  bool(r.SupportsPromptCaching),
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
		mi := rp.info(k)
		if bytes.Contains(v, []byte("_above_")) {
			mi.Tiers = parseTiers(v)
			for _, t := range mi.Tiers {
				if t.AboveTokens == legacyTierTokens {
					mi.InputCostPerTokenAbove200k = t.InputCostPerToken
					mi.OutputCostPerTokenAbove200k = t.OutputCostPerToken
				}
			}
		}
		out[k] = mi
	}
	return out, nil
}

// parseTiers reads the long-context tier prices of one table entry (see
// parseTierKey). Prices that are zero or not numbers are left out, so a
// tier holding none is not made.
func parseTiers(entry []byte) []PriceTier {
	var fields map[string]json.RawMessage
	if json.Unmarshal(entry, &fields) != nil {
		return nil
	}
	var tiers []PriceTier
	for k, v := range fields {
		if _, _, ok := parseTierKey(k); !ok {
			continue
		}
		var price flexNumber
		if json.Unmarshal(v, &price) != nil || price <= 0 {
			continue
		}
		tiers, _ = SetTierPrice(tiers, k, float64(price))
	}
	return tiers
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
// prefix ("openai/my-model"). Register keeps a copy of info.Tiers, sorted
// by AboveTokens.
func (p *Prices) Register(model string, info ModelInfo) {
	if info.Key == "" {
		info.Key = model
	}
	if info.Tiers != nil {
		info.Tiers = sortedTiers(info.Tiers)
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
// without or with a provider prefix. The Tiers of the result are the
// caller's own copy.
func (p *Prices) Lookup(model string) (ModelInfo, bool) {
	mi, ok := p.lookup(model)
	mi.Tiers = slices.Clone(mi.Tiers)
	return mi, ok
}

// lookup is Lookup without the copy: the result's Tiers belong to p.
func (p *Prices) lookup(model string) (ModelInfo, bool) {
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
	mi, ok := p.lookup(model)
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
// reasoning price to the output price. When PromptTokens exceed the
// threshold of one of info.Tiers, the input, output and cache prices are
// those of the highest such tier, each falling back to the next lower tier
// and then to the base price when the tier lacks it (see ModelInfo.Tiers);
// a prompt of exactly the threshold is billed below it.
func CostFor(info ModelInfo, u Usage) float64 {
	in, out, cr, cw := info.tokenPrices(u.PromptTokens)
	rs := info.ReasoningCostPerToken
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

// tokenPrices returns the input, output, cache-read and cache-write prices
// of a request with prompt prompt tokens: each the non-zero price of the
// highest tier threshold the prompt exceeds that sets it, else the base
// price. A cache price may come out zero, meaning "as the input price".
// The order of info.Tiers does not matter; of tiers of one threshold the
// later wins, and the deprecated 200k fields come after every tier.
func (info *ModelInfo) tokenPrices(prompt int) (in, out, cr, cw float64) {
	p := [4]float64{info.InputCostPerToken, info.OutputCostPerToken, info.CacheReadCostPerToken, info.CacheWriteCostPerToken}
	from := [4]int{-1, -1, -1, -1} // the threshold each price came from
	take := func(t *PriceTier) {
		if prompt <= t.AboveTokens {
			return
		}
		for k, v := range [4]float64{t.InputCostPerToken, t.OutputCostPerToken, t.CacheReadCostPerToken, t.CacheWriteCostPerToken} {
			if v > 0 && t.AboveTokens >= from[k] {
				p[k], from[k] = v, t.AboveTokens
			}
		}
	}
	for i := range info.Tiers {
		take(&info.Tiers[i])
	}
	if info.InputCostPerTokenAbove200k > 0 || info.OutputCostPerTokenAbove200k > 0 {
		take(&PriceTier{AboveTokens: legacyTierTokens, InputCostPerToken: info.InputCostPerTokenAbove200k, OutputCostPerToken: info.OutputCostPerTokenAbove200k})
	}
	return p[0], p[1], p[2], p[3]
}

// sortedTiers returns a copy of ts sorted by AboveTokens (stable).
func sortedTiers(ts []PriceTier) []PriceTier {
	ts = slices.Clone(ts)
	slices.SortStableFunc(ts, func(a, b PriceTier) int { return cmp.Compare(a.AboveTokens, b.AboveTokens) })
	return ts
}

// HasPrices reports whether p overrides the price table, that is whether
// it sets InputCostPerToken or OutputCostPerToken.
func (p Params) HasPrices() bool { return p.InputCostPerToken != 0 || p.OutputCostPerToken != 0 }

// ApplyPrices returns info with p's prices in place of its own: the input
// and output prices, the cache prices p sets (non-zero) and p's Tiers,
// which, when p has any, replace all of info's tiers, the deprecated
// 200k fields included, and are copied. info is returned unchanged when p
// does not override the price table (see HasPrices).
func (p Params) ApplyPrices(info ModelInfo) ModelInfo {
	if !p.HasPrices() {
		return info
	}
	info.InputCostPerToken, info.OutputCostPerToken = p.InputCostPerToken, p.OutputCostPerToken
	if p.CacheReadCostPerToken != 0 {
		info.CacheReadCostPerToken = p.CacheReadCostPerToken
	}
	if p.CacheWriteCostPerToken != 0 {
		info.CacheWriteCostPerToken = p.CacheWriteCostPerToken
	}
	if len(p.Tiers) > 0 {
		info.Tiers = sortedTiers(p.Tiers)
		info.InputCostPerTokenAbove200k, info.OutputCostPerTokenAbove200k = 0, 0
	}
	return info
}
