package llm

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// Wire names the protocol a provider speaks.
type Wire string

// The wire formats this package speaks.
const (
	// WireOpenAI is OpenAI's chat completions API, spoken also by Azure,
	// Groq, Ollama (/v1), Mistral, Together AI, Hugging Face's router,
	// Cohere's compatibility API and any OpenAI-compatible server.
	WireOpenAI Wire = "openai"
	// WireAnthropic is Anthropic's messages API.
	WireAnthropic Wire = "anthropic"
	// WireGemini is Google's generateContent API (AI Studio and Vertex AI).
	WireGemini Wire = "gemini"
	// WireBedrock is AWS Bedrock, through langchaingo's bedrock provider.
	WireBedrock Wire = "bedrock"
)

// ProviderSpec describes how a model-string prefix is served.
type ProviderSpec struct {
	// Name is the provider name used in errors, responses and the price table.
	Name string
	// Wire is the protocol spoken.
	Wire Wire
	// KeyEnv lists the environment variables read for the API key, in order.
	KeyEnv []string
	// BaseEnv lists the environment variables read for the API base.
	BaseEnv []string
	// DefaultBase is the API base used when none is configured.
	DefaultBase string
	// KeyOptional is true when the provider needs no key (local servers).
	KeyOptional bool
}

// providerPrefixes is the table of model-string prefixes ("gemini/...").
var providerPrefixes = map[string]ProviderSpec{
	"openai": {Name: "openai", Wire: WireOpenAI, KeyEnv: []string{"OPENAI_API_KEY"},
		BaseEnv: []string{"OPENAI_API_BASE", "OPENAI_BASE_URL"}, DefaultBase: "https://api.openai.com/v1"},
	"anthropic": {Name: "anthropic", Wire: WireAnthropic, KeyEnv: []string{"ANTHROPIC_API_KEY"},
		BaseEnv: []string{"ANTHROPIC_API_BASE", "ANTHROPIC_BASE_URL"}, DefaultBase: "https://api.anthropic.com"},
	"gemini": {Name: "gemini", Wire: WireGemini, KeyEnv: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"},
		BaseEnv: []string{"GEMINI_API_BASE"}, DefaultBase: "https://generativelanguage.googleapis.com"},
	"vertex_ai": {Name: "vertex_ai", Wire: WireGemini, KeyEnv: []string{"VERTEXAI_ACCESS_TOKEN"},
		BaseEnv: []string{"VERTEXAI_API_BASE"}},
	"groq": {Name: "groq", Wire: WireOpenAI, KeyEnv: []string{"GROQ_API_KEY"},
		BaseEnv: []string{"GROQ_API_BASE"}, DefaultBase: "https://api.groq.com/openai/v1"},
	"ollama": {Name: "ollama", Wire: WireOpenAI, KeyOptional: true,
		BaseEnv: []string{"OLLAMA_API_BASE", "OLLAMA_HOST"}, DefaultBase: "http://localhost:11434"},
	"azure": {Name: "azure", Wire: WireOpenAI, KeyEnv: []string{"AZURE_API_KEY", "AZURE_OPENAI_API_KEY"},
		BaseEnv: []string{"AZURE_API_BASE", "AZURE_OPENAI_ENDPOINT"}},
	"bedrock": {Name: "bedrock", Wire: WireBedrock, KeyEnv: []string{"AWS_ACCESS_KEY_ID"},
		BaseEnv: []string{"AWS_BEDROCK_RUNTIME_ENDPOINT"}},
	"huggingface": {Name: "huggingface", Wire: WireOpenAI, KeyEnv: []string{"HUGGINGFACE_API_KEY", "HF_TOKEN"},
		BaseEnv: []string{"HUGGINGFACE_API_BASE"}, DefaultBase: "https://router.huggingface.co/v1"},
	"cohere": {Name: "cohere", Wire: WireOpenAI, KeyEnv: []string{"COHERE_API_KEY", "CO_API_KEY"},
		BaseEnv: []string{"COHERE_API_BASE"}, DefaultBase: "https://api.cohere.ai/compatibility/v1"},
	"together_ai": {Name: "together_ai", Wire: WireOpenAI, KeyEnv: []string{"TOGETHERAI_API_KEY", "TOGETHER_API_KEY", "TOGETHER_AI_TOKEN"},
		BaseEnv: []string{"TOGETHERAI_API_BASE"}, DefaultBase: "https://api.together.xyz/v1"},
	"mistral": {Name: "mistral", Wire: WireOpenAI, KeyEnv: []string{"MISTRAL_API_KEY"},
		BaseEnv: []string{"MISTRAL_API_BASE"}, DefaultBase: "https://api.mistral.ai/v1"},
}

// Providers returns the provider table: model-string prefix -> spec. The
// returned map is a copy.
func Providers() map[string]ProviderSpec {
	out := make(map[string]ProviderSpec, len(providerPrefixes))
	for k, v := range providerPrefixes {
		out[k] = v
	}
	return out
}

// bareProvider tells the provider of an unprefixed, lower-case model name
// from its shape: gpt-*, chatgpt-*, o1/o3/o4... -> openai; claude-* ->
// anthropic. It returns "" when the shape says nothing (a bare gemini-*
// name is ambiguous between AI Studio and Vertex AI and needs a prefix).
func bareProvider(name string) string {
	switch {
	case strings.HasPrefix(name, "gpt-"), strings.HasPrefix(name, "chatgpt-"),
		strings.HasPrefix(name, "ft:gpt-"), strings.HasPrefix(name, "text-embedding-"),
		strings.HasPrefix(name, "davinci"), strings.HasPrefix(name, "babbage"):
		return "openai"
	case len(name) >= 2 && name[0] == 'o' && name[1] >= '1' && name[1] <= '9':
		return "openai"
	case strings.HasPrefix(name, "claude"):
		return "anthropic"
	}
	return ""
}

// ResolveModel splits a model string into its provider prefix and the
// model name sent to the provider: "gpt-4o" -> ("openai", "gpt-4o"),
// "claude-sonnet-4-5" -> ("anthropic", ...), "gemini/gemini-2.0-flash" ->
// ("gemini", "gemini-2.0-flash"), "together_ai/meta-llama/Llama-3-70b" ->
// ("together_ai", "meta-llama/Llama-3-70b"). Bare names of other shapes are
// resolved through the price table's provider. An unresolvable string is an
// *Error of kind ErrBadRequest naming the accepted prefixes.
func ResolveModel(model string) (provider, name string, err error) {
	if strings.TrimSpace(model) == "" {
		return "", "", &Error{Kind: ErrBadRequest, Message: "empty model string"}
	}
	if prefix, rest, ok := strings.Cut(model, "/"); ok {
		if _, known := providerPrefixes[strings.ToLower(prefix)]; known {
			if rest == "" {
				return "", "", &Error{Kind: ErrBadRequest, Model: safeModel(model),
					Message: fmt.Sprintf("model string %s names provider %q but no model after the slash", quoteModel(model), prefix)}
			}
			return strings.ToLower(prefix), rest, nil
		}
	}
	if p := bareProvider(strings.ToLower(model)); p != "" {
		return p, model, nil
	}
	if mi, ok := LookupModel(model); ok {
		switch {
		case mi.Provider == "openai" || mi.Provider == "text-completion-openai":
			return "openai", model, nil
		case mi.Provider == "anthropic":
			return "anthropic", model, nil
		case mi.Provider == "gemini":
			return "gemini", strings.TrimPrefix(model, "gemini/"), nil
		case strings.HasPrefix(mi.Provider, "cohere"):
			return "cohere", model, nil
		case mi.Provider == "mistral":
			return "mistral", strings.TrimPrefix(model, "mistral/"), nil
		}
	}
	return "", "", &Error{Kind: ErrBadRequest, Model: safeModel(model),
		Message: fmt.Sprintf("cannot tell the provider of model %s: use a gpt-*/o*/claude-* name or a prefix (%s)",
			quoteModel(model), strings.Join(prefixList(), ", "))}
}

// safeModel is model, or "" when it looks like a key.
func safeModel(model string) string {
	if LooksLikeSecret(model) {
		return ""
	}
	return model
}

// quoteModel quotes a model string for an error, unless it looks like a
// key pasted in the wrong place.
func quoteModel(model string) string {
	if LooksLikeSecret(model) {
		return "(not shown: it looks like an API key)"
	}
	return strconv.Quote(model)
}

func prefixList() []string {
	return []string{"openai/", "anthropic/", "gemini/", "vertex_ai/", "groq/", "ollama/", "azure/",
		"bedrock/", "huggingface/", "cohere/", "together_ai/", "mistral/"}
}

// IsLocalProvider reports whether a provider's models cost nothing to call:
// ollama, which runs them on the user's own machine, and "scripted", the
// offline model of package llm/scripted. Their responses have CostKnown set
// and Cost 0 even when the price table does not list the model.
func IsLocalProvider(provider string) bool { return provider == "ollama" || provider == "scripted" }

// DefaultTimeout bounds a call when neither Params.Timeout nor the
// Request's Timeout is set, as LiteLLM's default of 600 seconds does.
const DefaultTimeout = 600 * time.Second

// Params are the connection parameters of one model, as in LiteLLM's
// litellm_params. Empty fields are filled from the provider's environment
// variables, then from its defaults.
type Params struct {
	// Model is the model string, e.g. "gpt-4o" or "ollama/llama3".
	Model string `json:"model" yaml:"model"`
	// APIKey overrides the provider's key variable.
	APIKey string `json:"api_key,omitempty" yaml:"api_key,omitempty"`
	// APIBase overrides the provider's base URL (required for azure/, and
	// for openai/ pointing at an OpenAI-compatible server).
	APIBase string `json:"api_base,omitempty" yaml:"api_base,omitempty"`
	// APIVersion is Azure's api-version (AZURE_API_VERSION) or Anthropic's
	// anthropic-version header.
	APIVersion string `json:"api_version,omitempty" yaml:"api_version,omitempty"`
	// Organization is OpenAI's organization header.
	Organization string `json:"organization,omitempty" yaml:"organization,omitempty"`
	// Timeout bounds every call; zero means DefaultTimeout (LiteLLM's 600 s).
	// A Request's own Timeout and the caller's context deadline also apply.
	Timeout time.Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	// Headers are extra HTTP headers sent with every request.
	Headers map[string]string `json:"headers,omitempty" yaml:"headers,omitempty"`
	// HTTPClient replaces the default client (whose own timeout is zero:
	// calls are bounded by Timeout and the context).
	HTTPClient *http.Client `json:"-" yaml:"-"`
	// Request defaults for every call of this model, as LiteLLM reads them
	// from litellm_params: each applies when the request leaves its own
	// field unset.
	Temperature *float64 `json:"temperature,omitempty" yaml:"temperature,omitempty"`
	MaxTokens   int      `json:"max_tokens,omitempty" yaml:"max_tokens,omitempty"`
	TopP        *float64 `json:"top_p,omitempty" yaml:"top_p,omitempty"`
	Stop        []string `json:"stop,omitempty" yaml:"stop,omitempty"`
	Seed        *int     `json:"seed,omitempty" yaml:"seed,omitempty"`
	// Extra is merged into every request body (litellm_params extra_body),
	// under the request's own Extra.
	Extra map[string]any `json:"extra_body,omitempty" yaml:"extra_body,omitempty"`
	// DropParams drops parameters the provider does not support instead
	// of failing with ErrUnsupportedParams (drop_params).
	DropParams bool `json:"drop_params,omitempty" yaml:"drop_params,omitempty"`
	// InputCostPerToken and OutputCostPerToken override the price table for
	// this model (both zero: use the table).
	InputCostPerToken  float64 `json:"input_cost_per_token,omitempty" yaml:"input_cost_per_token,omitempty"`
	OutputCostPerToken float64 `json:"output_cost_per_token,omitempty" yaml:"output_cost_per_token,omitempty"`
	// CacheReadCostPerToken prices prompt tokens read from the provider's
	// cache (LiteLLM's cache_read_input_token_cost). Like
	// CacheWriteCostPerToken and Tiers it refines the override
	// InputCostPerToken and OutputCostPerToken make: New and NewFromParams
	// refuse these three when both of those are zero. A model New builds
	// keeps the table's value of each one left unset (see ApplyPrices).
	CacheReadCostPerToken float64 `json:"cache_read_input_token_cost,omitempty" yaml:"cache_read_input_token_cost,omitempty"`
	// CacheWriteCostPerToken prices prompt tokens written to the provider's
	// cache (LiteLLM's cache_creation_input_token_cost); see
	// CacheReadCostPerToken.
	CacheWriteCostPerToken float64 `json:"cache_creation_input_token_cost,omitempty" yaml:"cache_creation_input_token_cost,omitempty"`
	// Tiers are long-context prices (see ModelInfo.Tiers), which LiteLLM's
	// litellm_params name input_cost_per_token_above_200k_tokens and so on
	// (see SetTierPrice). When set they replace all of the table's tiers;
	// see CacheReadCostPerToken.
	Tiers []PriceTier `json:"price_tiers,omitempty" yaml:"price_tiers,omitempty"`
	// Limits bound what is read from the provider's responses (zero fields
	// take the defaults: 8 MiB per stream event, 32 MiB per response body,
	// 16 MiB of streamed output).
	Limits Limits `json:"limits,omitempty" yaml:"limits,omitempty"`
}

// Option configures New.
type Option func(*config)

type config struct {
	params    Params
	callbacks []Callback
	getenv    func(string) string
	prices    *Prices
	retry     *retryConfig
	debug     bool
	debugLog  *slog.Logger
}

// WithAPIKey sets the API key.
func WithAPIKey(key string) Option { return func(c *config) { c.params.APIKey = key } }

// WithAPIBase sets the API base URL.
func WithAPIBase(base string) Option { return func(c *config) { c.params.APIBase = base } }

// WithAPIVersion sets Azure's api-version or Anthropic's API version.
func WithAPIVersion(v string) Option { return func(c *config) { c.params.APIVersion = v } }

// WithOrganization sets OpenAI's organization.
func WithOrganization(org string) Option { return func(c *config) { c.params.Organization = org } }

// WithTimeout bounds every call.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.params.Timeout = d } }

// WithHeaders adds HTTP headers to every request.
func WithHeaders(h map[string]string) Option { return func(c *config) { c.params.Headers = h } }

// WithHTTPClient sets the HTTP client.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.params.HTTPClient = hc } }

// WithCost overrides the per-token prices of the model.
func WithCost(inputPerToken, outputPerToken float64) Option {
	return func(c *config) {
		c.params.InputCostPerToken, c.params.OutputCostPerToken = inputPerToken, outputPerToken
	}
}

// WithLimits bounds what is read from the provider's responses (see Limits).
func WithLimits(l Limits) Option { return func(c *config) { c.params.Limits = l } }

// WithCallbacks adds callbacks run, in order, around every call.
func WithCallbacks(cbs ...Callback) Option {
	return func(c *config) { c.callbacks = append(c.callbacks, cbs...) }
}

// WithPrices uses p instead of the default price registry.
func WithPrices(p *Prices) Option { return func(c *config) { c.prices = p } }

// WithGetenv replaces os.Getenv for reading keys and bases (for tests and
// for configuration sources other than the process environment).
func WithGetenv(getenv func(string) string) Option { return func(c *config) { c.getenv = getenv } }

func firstEnv(getenv func(string) string, names []string) (string, string) {
	for _, n := range names {
		if v := strings.TrimSpace(getenv(n)); v != "" {
			return v, n
		}
	}
	return "", ""
}

// New builds a model from a model string. Keys and bases come from the
// options, else from the provider's environment variables. A missing key is
// an *Error of kind ErrAuthentication naming the variable to set, returned
// before any network call.
func New(model string, opts ...Option) (*Model, error) {
	c := config{params: Params{Model: model}}
	for _, o := range opts {
		o(&c)
	}
	c.params.Model = model
	return newModel(c)
}

// NewFromParams builds a model from LiteLLM-style parameters.
func NewFromParams(p Params, opts ...Option) (*Model, error) {
	c := config{params: p}
	for _, o := range opts {
		o(&c)
	}
	return newModel(c)
}

func newModel(c config) (*Model, error) {
	if c.getenv == nil {
		c.getenv = os.Getenv
	}
	if c.prices == nil {
		c.prices = defaultPrices
	}
	p := c.params
	prefix, name, err := ResolveModel(p.Model)
	if err != nil {
		return nil, err
	}
	spec := providerPrefixes[prefix]
	m := &Model{name: name, prefix: prefix, spec: spec, params: p, prices: c.prices}
	m.model = p.Model
	m.provider = spec.Name
	m.callbacks = Callbacks(c.callbacks)
	m.retry = c.retry
	m.timeout = p.Timeout
	if m.timeout <= 0 {
		m.timeout = DefaultTimeout
	}
	if p.APIKey == "" {
		p.APIKey, _ = firstEnv(c.getenv, spec.KeyEnv)
	}
	base := p.APIBase
	if base == "" {
		base, _ = firstEnv(c.getenv, spec.BaseEnv)
	}
	explicitBase := base != ""
	if base == "" {
		base = spec.DefaultBase
	}
	if base != "" && !strings.Contains(base, "://") {
		base = "http://" + base // OLLAMA_HOST style "host:port"
	}
	m.base = strings.TrimRight(base, "/")
	m.key = p.APIKey
	m.hc = p.HTTPClient
	if m.hc == nil {
		m.hc = &http.Client{}
	}
	m.limits = p.Limits.resolve()
	m.red = newRedactor(p.APIKey)
	m.red.addHeaders(p.Headers)
	mkErr := func(kind Kind, format string, args ...any) error {
		return &Error{Kind: kind, Provider: spec.Name, Model: p.Model, Message: fmt.Sprintf(format, args...)}
	}
	if !p.HasPrices() && (p.CacheReadCostPerToken != 0 || p.CacheWriteCostPerToken != 0 || len(p.Tiers) > 0) {
		return nil, mkErr(ErrBadRequest, "cache and tier prices override the price table only with InputCostPerToken or OutputCostPerToken: set those too")
	}
	// "openai/<name>" with an API base of its own is any OpenAI-compatible
	// server, which may need no key.
	keyOptional := spec.KeyOptional || (strings.HasPrefix(strings.ToLower(p.Model), "openai/") && explicitBase &&
		m.base != strings.TrimRight(spec.DefaultBase, "/"))
	switch prefix {
	case "azure":
		if m.base == "" {
			return nil, mkErr(ErrBadRequest, "azure needs an API base: set AZURE_API_BASE or Params.APIBase")
		}
		m.apiVersion = p.APIVersion
		if m.apiVersion == "" {
			m.apiVersion, _ = firstEnv(c.getenv, []string{"AZURE_API_VERSION", "OPENAI_API_VERSION"})
		}
		if m.apiVersion == "" {
			m.apiVersion = "2024-10-21"
		}
	case "gemini":
		m.base = strings.TrimSuffix(m.base, "/v1beta") // the path adds it
	case "ollama":
		if !strings.HasSuffix(m.base, "/v1") {
			m.base += "/v1"
		}
	case "anthropic":
		m.base = strings.TrimSuffix(m.base, "/v1") // the path adds it
		m.apiVersion = p.APIVersion
		if m.apiVersion == "" {
			m.apiVersion = "2023-06-01"
		}
	case "vertex_ai":
		m.project, _ = firstEnv(c.getenv, []string{"VERTEXAI_PROJECT", "VERTEX_PROJECT", "GOOGLE_CLOUD_PROJECT"})
		m.location, _ = firstEnv(c.getenv, []string{"VERTEXAI_LOCATION", "VERTEX_LOCATION", "GOOGLE_CLOUD_LOCATION"})
		if m.location == "" {
			m.location = "us-central1"
		}
		if m.project == "" {
			return nil, mkErr(ErrBadRequest, "vertex_ai needs a project: set VERTEXAI_PROJECT")
		}
		if m.key == "" {
			ts, err := vertexTokenSource(c.getenv, m.hc, m.red)
			if err != nil {
				return nil, mkErr(ErrAuthentication, "%s", err.Error())
			}
			m.token = ts
		}
		if m.base == "" {
			if m.location == "global" {
				m.base = "https://aiplatform.googleapis.com"
			} else {
				m.base = "https://" + m.location + "-aiplatform.googleapis.com"
			}
		}
		m.vertex = true
		if strings.HasPrefix(strings.ToLower(name), "claude") {
			// Claude on Vertex AI speaks the messages API.
			m.spec.Wire = WireAnthropic
			m.apiVersion = "vertex-2023-10-16"
		}
	case "bedrock":
		if err := m.initBedrock(c.getenv); err != nil {
			return nil, err
		}
	}
	if c.debug || debugFromEnv(c.getenv) {
		// after the Vertex AI token source took the plain client: token
		// responses are never logged
		m.hc = debugClient(m.hc, c.debugLog, m.red, spec.Name, p.Model)
	}
	if m.key == "" && m.token == nil && !keyOptional && prefix != "bedrock" {
		return nil, mkErr(ErrAuthentication, "missing API key: set %s or pass an API key", strings.Join(spec.KeyEnv, " or "))
	}
	if p.HasPrices() {
		mi, _ := m.prices.Lookup(p.Model)
		mi.Key = p.Model
		if mi.Provider == "" {
			mi.Provider = spec.Name
		}
		m.info, m.hasInfo = p.ApplyPrices(mi), true
	} else {
		m.info, m.hasInfo = m.prices.Lookup(p.Model)
	}
	m.costKnown = m.hasInfo || IsLocalProvider(spec.Name)
	return m, nil
}
