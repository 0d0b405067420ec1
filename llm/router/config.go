package router

import (
	"fmt"
	"strings"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// Strategy names a routing strategy: how a deployment is picked among the
// healthy deployments of a group.
type Strategy string

// The routing strategies.
const (
	// SimpleShuffle picks at random, weighted by Weight, else RPM, else TPM,
	// else uniformly. It is the default.
	SimpleShuffle Strategy = "simple-shuffle"
	// LeastBusy picks the deployment with the fewest requests in flight; ties
	// are broken at random.
	LeastBusy Strategy = "least-busy"
	// UsageBased picks the deployment with the lowest token use in the
	// current minute, skipping those that would exceed their TPM or RPM.
	UsageBased Strategy = "usage-based-routing-v2"
	// LatencyBased picks at random among the deployments whose recent
	// latency (seconds per output token; time to first token for streams) is
	// within LatencyBuffer of the fastest.
	LatencyBased Strategy = "latency-based-routing"
	// CostBased picks the deployment with the lowest input+output price per
	// token; ties are broken at random.
	CostBased Strategy = "cost-based-routing"
)

// ParseStrategy accepts a strategy name as LiteLLM users write it
// ("simple-shuffle", "least-busy", "usage-based-routing", "usage-based-v2",
// "latency-based-routing", "cost-based", ...). The empty string is
// SimpleShuffle.
func ParseStrategy(s string) (Strategy, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "simple-shuffle", "shuffle":
		return SimpleShuffle, nil
	case "least-busy":
		return LeastBusy, nil
	case "usage-based-routing-v2", "usage-based-routing", "usage-based", "usage-based-v2":
		return UsageBased, nil
	case "latency-based-routing", "latency-based":
		return LatencyBased, nil
	case "cost-based-routing", "cost-based":
		return CostBased, nil
	}
	return "", fmt.Errorf("unknown routing strategy %q (want simple-shuffle, least-busy, usage-based-routing-v2, latency-based-routing or cost-based-routing)", s)
}

// Deployment is one concrete model behind a group: LiteLLM's model_list
// entry. Zero values mean "inherit the router's setting" unless noted.
type Deployment struct {
	// Group is the model group (LiteLLM's model_name) callers ask for.
	Group string
	// ID identifies the deployment (model_info.id). When empty, New derives
	// a stable id from the group and the params.
	ID string
	// Params build the model with llm.NewFromParams when Model is nil
	// (LiteLLM's litellm_params). Params.Timeout, when set, is also the
	// deployment's timeout.
	Params llm.Params
	// Model, when set, answers the deployment's calls instead of a model
	// built from Params. Params.Model still names it in responses, logs and
	// price lookups.
	Model llm.Completer
	// Provider names the provider for budgets and errors; derived from the
	// model string when empty.
	Provider string
	// BaseModel is the model name used for price and context-window lookups
	// when Params.Model is an alias (model_info.base_model).
	BaseModel string
	// MaxInputTokens overrides the context window from the price table for
	// pre-call checks; 0 looks it up.
	MaxInputTokens int
	// TPM and RPM limit tokens and requests per minute; 0 is unlimited.
	TPM, RPM int
	// Weight biases simple-shuffle; 0 leaves it unweighted.
	Weight float64
	// Order ranks deployments: a deployment is used only when no healthy
	// deployment of a lower Order exists. 0 is the same as 1.
	Order int
	// Timeout bounds each attempt on this deployment.
	Timeout time.Duration
	// StreamTimeout bounds the wait for the first chunk of a stream and any
	// gap between chunks.
	StreamTimeout time.Duration
	// MaxParallelRequests caps the requests in flight; 0 is unlimited.
	MaxParallelRequests int
	// CooldownTime overrides the router's cooldown for this deployment; 0
	// inherits it. It is never negative: DisableCooldowns turns cooldowns
	// off.
	CooldownTime time.Duration
	// DisableCooldowns never cools this deployment down (YAML
	// litellm_params.disable_cooldowns: true).
	DisableCooldowns bool
	// NumRetries, when set, overrides both the retry policy and the router's
	// NumRetries for calls to this deployment's group.
	NumRetries *int
	// Source says where the deployment was declared ("file:line"); it is
	// quoted in validation errors.
	Source string
}

// Budget caps spend over a period.
type Budget struct {
	// MaxBudget is the limit in US dollars.
	MaxBudget float64
	// Period is the length of a budget window (for example 24h); 0 means the
	// budget never resets.
	Period time.Duration
}

// StrategyArgs tunes the routing strategies.
type StrategyArgs struct {
	// LatencyWindow is how many recent samples latency-based routing keeps
	// per deployment (default 10).
	LatencyWindow int
	// LatencyBuffer widens the set of "fast" deployments: every deployment
	// within lowest*(1+LatencyBuffer) is a candidate (default 0).
	LatencyBuffer float64
	// TimeoutPenalty is the latency sample, in seconds, recorded when an
	// attempt times out (default 1000).
	TimeoutPenalty float64
}

// Config is a Router's configuration: plain data, validated by New.
type Config struct {
	// Deployments is the model list. Deployments sharing a Group form a
	// model group; groups keep the order of their first deployment.
	Deployments []Deployment
	// Strategy picks a deployment inside a group (default SimpleShuffle).
	Strategy Strategy
	// StrategyArgs tunes the strategy.
	StrategyArgs StrategyArgs
	// DefaultGroup is the group used by the llms.Model methods when the call
	// names no model; default the first group.
	DefaultGroup string

	// NumRetries is the number of retries inside a group (default 2).
	NumRetries *int
	// RetryPolicy sets the retries per error kind (LiteLLM's RetryPolicy,
	// e.g. llm.ErrRateLimit: 5). A sub-kind without an entry uses its
	// parent's; BadGateway and ServiceUnavailable use InternalServer's.
	RetryPolicy map[llm.Kind]int
	// RetryAfter is the minimum wait before a retry that has to wait.
	RetryAfter time.Duration
	// RetryAfterCap is the longest Retry-After the Router honours (default
	// MaxRetryAfter, 60s): a deployment that asks for more is cooled down
	// for RetryAfterCap only, and the call's error reports both the asked
	// wait and the cap. A Retry-After above the cap ends the group's
	// retries at once unless the call waits for cooldowns; one within it
	// is waited for inside the call when no other deployment is healthy.
	RetryAfterCap time.Duration

	// AllowedFails is how many failures a deployment may have inside its
	// cooldown window before it is cooled down (default 3).
	AllowedFails *int
	// AllowedFailsPolicy overrides AllowedFails per error kind.
	AllowedFailsPolicy map[llm.Kind]int
	// CooldownTime is how long a failing deployment is skipped; 0 is the
	// default, 5s. It is never negative: DisableCooldowns turns cooldowns
	// off. The same holds in YAML, where cooldown_time: 0 is refused rather
	// than guessed (LiteLLM reads it as "off").
	CooldownTime time.Duration
	// DisableCooldowns never cools any deployment down (YAML
	// disable_cooldowns: true).
	DisableCooldowns bool
	// WaitForCooldown makes a call wait, within its deadline, for the first
	// deployment to leave cooldown instead of failing with ErrNoDeployments.
	WaitForCooldown bool

	// Fallbacks maps a group to the groups tried, in order, when it fails.
	// The key "*" gives default fallbacks for every group.
	Fallbacks map[string][]string
	// ContextWindowFallbacks are used instead of Fallbacks when the group
	// fails with llm.ErrContextWindowExceeded.
	ContextWindowFallbacks map[string][]string
	// ContentPolicyFallbacks are used instead of Fallbacks when the group
	// fails with llm.ErrContentPolicyViolation.
	ContentPolicyFallbacks map[string][]string
	// DefaultFallbacks apply to every group without its own entry, and when
	// the requested group does not exist.
	DefaultFallbacks []string
	// MaxFallbacks caps the fallback groups tried per call; 0 is the
	// default, 5. It is never negative: DisableFallbacks turns fallbacks
	// off (in YAML too, where max_fallbacks: 0 is refused).
	MaxFallbacks int
	// DisableFallbacks keeps every call inside the group it asked for
	// (YAML disable_fallbacks: true); CallOptions.DisableFallbacks does the
	// same for one call.
	DisableFallbacks bool

	// EnablePreCallChecks skips deployments whose context window is smaller
	// than the request's token count.
	EnablePreCallChecks bool
	// Timeout bounds a whole call (all attempts) unless the request sets
	// its own; 0 is unbounded.
	Timeout time.Duration
	// DeploymentTimeout and StreamTimeout are the defaults for deployments
	// that set none.
	DeploymentTimeout, StreamTimeout time.Duration

	// Budget caps the spend of the whole router.
	Budget *Budget
	// ProviderBudgets caps the spend per provider ("openai", "anthropic", ...).
	ProviderBudgets map[string]Budget

	// Temperature is applied to requests that set none (llm_config.yaml's
	// settings.temperature).
	Temperature *float64
	// MaxTokens is applied to requests that set none (settings.max_tokens).
	MaxTokens int

	// Callbacks observe every attempt.
	Callbacks []llm.Callback
	// Cache, when set, answers repeated requests without calling a
	// provider (see Cache; NewMemoryCache, or routerredis.NewCache to share
	// answers across processes).
	Cache Cache

	// SharedState, when set, shares cooldowns and RPM/TPM usage with every
	// Router using the same store (see SharedState; NewMemoryState, or
	// routerredis.NewState for replicas in several processes).
	SharedState SharedState

	// ServiceCallbacks observe service events: cooldowns starting and
	// ending, deployments unavailable, budgets reached, fallbacks taken
	// (LiteLLM's service_callback).
	ServiceCallbacks []ServiceCallback
}

// Int returns a pointer to n, for the optional integer fields of Config and
// Deployment.
func Int(n int) *int { return &n }

// Float returns a pointer to f, for Config.Temperature.
func Float(f float64) *float64 { return &f }

// Defaults of the Router.
const (
	// DefaultNumRetries is the retries inside a group.
	DefaultNumRetries = 2
	// DefaultAllowedFails is the failures allowed in a cooldown window.
	DefaultAllowedFails = 3
	// DefaultCooldownTime is how long a failing deployment is skipped.
	DefaultCooldownTime = 5 * time.Second
	// DefaultMaxFallbacks caps the fallback groups tried per call.
	DefaultMaxFallbacks = 5
	// DefaultLatencyWindow is the latency samples kept per deployment.
	DefaultLatencyWindow = 10
	// DefaultTimeoutPenalty is the latency sample (seconds) of a timeout.
	DefaultTimeoutPenalty = 1000.0
	// MaxRetryAfter is the default of Config.RetryAfterCap: the longest
	// Retry-After the Router honours (llm.MaxRetryAfter, as LiteLLM, which
	// ignores longer ones when it backs off).
	MaxRetryAfter = llm.MaxRetryAfter
)
