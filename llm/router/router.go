package router

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// Router routes completion requests over model groups with retries,
// cooldowns and fallbacks. It is safe for concurrent use and needs no
// Close. The only goroutines it starts run an attempt that has a deadline
// (one per attempt, ended with it); an attempt whose Completer ignores the
// end of its context is abandoned at the deadline and runs on until the
// Completer returns (see Abandoned and Drain).
type Router struct {
	cfg       Config
	groups    map[string]*group
	names     []string
	strategy  Strategy
	args      StrategyArgs
	clock     Clock
	rnd       *lockedRand
	callbacks llm.Callbacks

	numRetries    int
	allowedFails  int
	retryAfterCap time.Duration
	maxFallbacks  int
	needTokens    bool
	encoding      string

	budget          *budgetState
	providerBudgets map[string]*budgetState

	logger   *slog.Logger
	bg       background
	services []ServiceCallback
	cache    Cache
	shared   *shared
}

// New validates cfg and builds a Router. Deployments without a Model are
// built with llm.NewFromParams. All configuration problems are reported at
// once, each as a *ConfigError naming the field.
func New(cfg Config, opts ...Option) (*Router, error) {
	o := options{clock: systemClock{}}
	for _, f := range opts {
		if f != nil {
			f(&o)
		}
	}
	if o.clock == nil {
		o.clock = systemClock{}
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	r := &Router{
		cfg:          cfg,
		groups:       map[string]*group{},
		clock:        o.clock,
		rnd:          &lockedRand{f: o.rand},
		callbacks:    slices.DeleteFunc(slices.Clone(cfg.Callbacks), func(cb llm.Callback) bool { return cb == nil }),
		numRetries:   DefaultNumRetries,
		allowedFails: DefaultAllowedFails,
		maxFallbacks: DefaultMaxFallbacks,
		args:         cfg.StrategyArgs,
		budget:       &budgetState{},
		logger:       o.logger,
		cache:        cfg.Cache,
		services:     slices.DeleteFunc(slices.Clone(cfg.ServiceCallbacks), func(cb ServiceCallback) bool { return cb == nil }),
	}
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, &ConfigError{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	st, err := ParseStrategy(string(cfg.Strategy))
	if err != nil {
		bad("Strategy", "%v", err)
	}
	r.strategy = st
	if cfg.NumRetries != nil {
		if *cfg.NumRetries < 0 {
			bad("NumRetries", "must be >= 0, got %d", *cfg.NumRetries)
		}
		r.numRetries = *cfg.NumRetries
	}
	if cfg.AllowedFails != nil {
		if *cfg.AllowedFails < 0 {
			bad("AllowedFails", "must be >= 0, got %d", *cfg.AllowedFails)
		}
		r.allowedFails = *cfg.AllowedFails
	}
	for k, n := range cfg.RetryPolicy {
		if n < 0 {
			bad("RetryPolicy["+string(k)+"]", "must be >= 0, got %d", n)
		}
	}
	for k, n := range cfg.AllowedFailsPolicy {
		if n < 0 {
			bad("AllowedFailsPolicy["+string(k)+"]", "must be >= 0, got %d", n)
		}
	}
	switch {
	case cfg.MaxFallbacks < 0:
		bad("MaxFallbacks", "must be >= 0 (0 is the default, %d), got %d; set DisableFallbacks to turn fallbacks off", DefaultMaxFallbacks, cfg.MaxFallbacks)
	case cfg.MaxFallbacks > 0:
		r.maxFallbacks = cfg.MaxFallbacks
	}
	if cfg.DisableFallbacks {
		r.maxFallbacks = 0
	}
	if r.args.LatencyWindow < 0 || !finiteNonNeg(r.args.LatencyBuffer) || !finiteNonNeg(r.args.TimeoutPenalty) {
		bad("StrategyArgs", "values must be finite and >= 0")
	}
	if t := cfg.Temperature; t != nil && (math.IsNaN(*t) || math.IsInf(*t, 0)) {
		bad("Temperature", "must be a finite number, got %g", *t)
	}
	if r.args.LatencyWindow == 0 {
		r.args.LatencyWindow = DefaultLatencyWindow
	}
	if r.args.TimeoutPenalty == 0 {
		r.args.TimeoutPenalty = DefaultTimeoutPenalty
	}
	for name, d := range map[string]time.Duration{"Timeout": cfg.Timeout, "DeploymentTimeout": cfg.DeploymentTimeout,
		"StreamTimeout": cfg.StreamTimeout, "RetryAfter": cfg.RetryAfter, "RetryAfterCap": cfg.RetryAfterCap} {
		if d < 0 {
			bad(name, "must be >= 0, got %s", d)
		}
	}
	r.retryAfterCap = MaxRetryAfter
	if cfg.RetryAfterCap > 0 {
		r.retryAfterCap = cfg.RetryAfterCap
	}
	cooldown := DefaultCooldownTime
	switch {
	case cfg.CooldownTime < 0:
		bad("CooldownTime", "must be >= 0 (0 is the default, %s), got %s; set DisableCooldowns to turn cooldowns off", DefaultCooldownTime, cfg.CooldownTime)
	case cfg.CooldownTime > 0:
		cooldown = cfg.CooldownTime
	}
	if len(cfg.Deployments) == 0 {
		bad("Deployments", "no deployments: the model list is empty")
	}

	ids := map[string]int{}
	var unavailable []unavailableDep
	for i, dc := range cfg.Deployments {
		field := fmt.Sprintf("Deployments[%d]", i)
		where := ""
		if dc.Source != "" {
			where = " (declared at " + dc.Source + ")"
		}
		before := len(errs)
		if strings.TrimSpace(dc.Group) == "" {
			bad(field+".Group", "empty model group name%s", where)
		}
		if dc.Params.Model == "" && dc.Model == nil {
			bad(field+".Params.Model", "no model: set Params.Model or Model%s", where)
		}
		for fname, v := range map[string]int{"TPM": dc.TPM, "RPM": dc.RPM, "MaxParallelRequests": dc.MaxParallelRequests,
			"MaxInputTokens": dc.MaxInputTokens, "Order": dc.Order} {
			if v < 0 {
				bad(field+"."+fname, "must be >= 0, got %d%s", v, where)
			}
		}
		if !finiteNonNeg(dc.Weight) {
			bad(field+".Weight", "must be a finite number >= 0, got %g%s", dc.Weight, where)
		}
		if dc.CooldownTime < 0 {
			bad(field+".CooldownTime", "must be >= 0 (0 inherits the router's), got %s; set DisableCooldowns to turn cooldowns off%s", dc.CooldownTime, where)
		}
		if dc.Timeout < 0 || dc.StreamTimeout < 0 {
			bad(field+".Timeout", "timeouts must be >= 0%s", where)
		}
		if dc.NumRetries != nil && *dc.NumRetries < 0 {
			bad(field+".NumRetries", "must be >= 0, got %d%s", *dc.NumRetries, where)
		}
		if !finiteNonNeg(dc.Params.InputCostPerToken) || !finiteNonNeg(dc.Params.OutputCostPerToken) ||
			!finiteNonNeg(dc.Params.CacheReadCostPerToken) || !finiteNonNeg(dc.Params.CacheWriteCostPerToken) {
			bad(field+".Params", "per-token costs must be finite and >= 0%s", where)
		}
		for ti, t := range dc.Params.Tiers {
			if t.AboveTokens <= 0 || !finiteNonNeg(t.InputCostPerToken) || !finiteNonNeg(t.OutputCostPerToken) ||
				!finiteNonNeg(t.CacheReadCostPerToken) || !finiteNonNeg(t.CacheWriteCostPerToken) {
				bad(fmt.Sprintf("%s.Params.Tiers[%d]", field, ti), "a tier needs AboveTokens > 0 and per-token costs finite and >= 0%s", where)
			}
		}
		if !dc.Params.HasPrices() && (dc.Params.CacheReadCostPerToken != 0 || dc.Params.CacheWriteCostPerToken != 0 || len(dc.Params.Tiers) > 0) {
			bad(field+".Params", "cache and tier prices need input_cost_per_token or output_cost_per_token as well%s", where)
		}
		if len(errs) > before {
			continue
		}
		d, err := r.buildDeployment(dc, cooldown)
		if err != nil && !d.markUnavailable(dc, err) {
			errs = append(errs, &ConfigError{Field: field + ".Params", Msg: fmt.Sprintf("cannot build model %s%s: %v", quoteValue(nil, dc.Params.Model), where, err), Err: err})
			continue
		}
		if d.unavailable != nil {
			unavailable = append(unavailable, unavailableDep{field: field, where: where, d: d})
		}
		if j, dup := ids[d.id]; dup {
			if dc.ID != "" {
				bad(field+".ID", "duplicate deployment id %q (also Deployments[%d])%s", d.id, j, where)
				continue
			}
			for n := 2; ; n++ {
				id := fmt.Sprintf("%s-%d", d.id, n)
				if _, taken := ids[id]; !taken {
					d.id = id
					break
				}
			}
		}
		ids[d.id] = i
		g := r.groups[d.group]
		if g == nil {
			g = &group{name: d.group}
			r.groups[d.group] = g
			r.names = append(r.names, d.group)
		}
		g.deps = append(g.deps, d)
		if d.tpm > 0 {
			r.needTokens = true
		}
	}
	if cfg.EnablePreCallChecks {
		r.needTokens = true
	}
	if len(errs) == 0 && len(unavailable) > 0 && len(unavailable) == len(cfg.Deployments) {
		// a Router that can answer nothing is a configuration error
		for _, u := range unavailable {
			errs = append(errs, &ConfigError{Field: u.field + ".Params",
				Msg: fmt.Sprintf("no usable deployment: model %s%s is unavailable: %s", quoteValue(nil, u.d.modelName), u.where, u.d.unavailable.Message),
				Err: u.d.unavailable})
		}
	}
	if cfg.DefaultGroup != "" && r.groups[cfg.DefaultGroup] == nil && len(errs) == 0 {
		bad("DefaultGroup", "unknown model group %q (known: %s)", cfg.DefaultGroup, strings.Join(r.names, ", "))
	}
	if len(errs) == 0 {
		for _, fb := range []struct {
			name string
			m    map[string][]string
		}{{"Fallbacks", cfg.Fallbacks}, {"ContextWindowFallbacks", cfg.ContextWindowFallbacks}, {"ContentPolicyFallbacks", cfg.ContentPolicyFallbacks}} {
			for _, from := range sortedKeys(fb.m) {
				if from != "*" && r.groups[from] == nil {
					bad(fb.name+"["+from+"]", "unknown model group %q (known: %s)", from, strings.Join(r.names, ", "))
				}
				for _, to := range fb.m[from] {
					if r.groups[to] == nil {
						bad(fb.name+"["+from+"]", "fallback to unknown model group %q (known: %s)", to, strings.Join(r.names, ", "))
					}
				}
			}
		}
		for _, to := range cfg.DefaultFallbacks {
			if r.groups[to] == nil {
				bad("DefaultFallbacks", "fallback to unknown model group %q (known: %s)", to, strings.Join(r.names, ", "))
			}
		}
	}
	if cfg.Budget != nil {
		if !finiteNonNeg(cfg.Budget.MaxBudget) || cfg.Budget.MaxBudget == 0 || cfg.Budget.Period < 0 {
			bad("Budget", "MaxBudget must be finite and > 0, and Period >= 0")
		}
		r.budget = &budgetState{limit: cfg.Budget.MaxBudget, period: cfg.Budget.Period}
	}
	if len(cfg.ProviderBudgets) > 0 {
		r.providerBudgets = map[string]*budgetState{}
		for _, p := range sortedKeys(cfg.ProviderBudgets) {
			b := cfg.ProviderBudgets[p]
			if !finiteNonNeg(b.MaxBudget) || b.MaxBudget == 0 || b.Period < 0 {
				bad("ProviderBudgets["+p+"]", "MaxBudget must be finite and > 0, and Period >= 0")
			}
			r.providerBudgets[p] = &budgetState{limit: b.MaxBudget, period: b.Period}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if cfg.SharedState != nil {
		r.shared = &shared{s: cfg.SharedState}
	}
	if r.cfg.DefaultGroup == "" {
		r.cfg.DefaultGroup = r.names[0]
	}
	r.encoding = encodingFor(r.groups[r.cfg.DefaultGroup].deps[0].modelName)
	for _, u := range unavailable {
		d := u.d
		o.logger.Warn("router: deployment unavailable; calls fall back to other deployments",
			"group", d.group, "deployment", d.id, "model", d.modelName, "error", d.unavailable.Message)
		r.emit(context.Background(), &DeploymentUnavailable{At: r.clock.Now(), Group: d.group, Deployment: d.id,
			Model: d.modelName, Err: d.unavailable})
	}
	return r, nil
}

type unavailableDep struct {
	field, where string
	d            *deployment
}

// markUnavailable records a build failure that depends on the environment
// (a missing key, API base, project or credentials file) on d instead of
// failing New; it reports false for a failure of the configuration itself
// (an unknown model string), which stays an error.
func (d *deployment) markUnavailable(dc Deployment, err error) bool {
	var le *llm.Error
	if d == nil || !errors.As(err, &le) {
		return false
	}
	if _, _, rerr := llm.ResolveModel(dc.Params.Model); rerr != nil {
		return false
	}
	e := *le
	e.Provider, e.Model, e.Deployment = d.provider, d.modelName, d.id
	if e.Provider == "" {
		e.Provider = le.Provider
	}
	e.Message = "deployment unavailable since the Router was built: " + le.Message
	e.Err = ErrDeploymentUnavailable
	d.unavailable = &e
	return true
}

// finiteNonNeg reports whether f is a finite number >= 0.
func finiteNonNeg(f float64) bool { return f >= 0 && !math.IsInf(f, 1) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (r *Router) buildDeployment(dc Deployment, cooldown time.Duration) (*deployment, error) {
	d := &deployment{
		id:            dc.ID,
		group:         dc.Group,
		model:         dc.Model,
		modelName:     dc.Params.Model,
		provider:      dc.Provider,
		maxInput:      dc.MaxInputTokens,
		tpm:           dc.TPM,
		rpm:           dc.RPM,
		weight:        dc.Weight,
		order:         dc.Order,
		timeout:       dc.Timeout,
		streamTimeout: dc.StreamTimeout,
		maxParallel:   dc.MaxParallelRequests,
		cooldownTime:  cooldown,
		numRetries:    dc.NumRetries,
	}
	if d.order == 0 {
		d.order = 1
	}
	if dc.CooldownTime > 0 {
		d.cooldownTime = dc.CooldownTime
	}
	if dc.DisableCooldowns || r.cfg.DisableCooldowns {
		d.cooldownTime = 0
	}
	if d.timeout == 0 {
		d.timeout = dc.Params.Timeout
	}
	if d.timeout == 0 {
		d.timeout = r.cfg.DeploymentTimeout
	}
	if d.streamTimeout == 0 {
		d.streamTimeout = r.cfg.StreamTimeout
	}
	var buildErr error
	if d.model == nil {
		m, err := llm.NewFromParams(dc.Params)
		if err != nil {
			buildErr = err
		} else {
			d.model = m
			if d.provider == "" {
				d.provider = m.Provider()
			}
		}
	}
	if d.provider == "" {
		if p, ok := dc.Model.(interface{ Provider() string }); ok {
			d.provider = p.Provider()
		}
	}
	if d.provider == "" {
		d.provider = providerOf(dc.Params.Model)
	}
	if d.modelName == "" {
		if n, ok := dc.Model.(interface{ Name() string }); ok {
			d.modelName = n.Name()
		}
	}
	d.priceModel = dc.BaseModel
	if d.priceModel == "" {
		d.priceModel = d.modelName
	}
	info, known := llm.LookupModel(d.priceModel)
	d.info, d.hasInfo = info, known
	if d.maxInput == 0 && known {
		d.maxInput = info.MaxInputTokens
	}
	if dc.Params.InputCostPerToken > 0 || dc.Params.OutputCostPerToken > 0 {
		d.inCost, d.outCost, d.costOverride = dc.Params.InputCostPerToken, dc.Params.OutputCostPerToken, true
		d.overrideInfo = dc.Params.ApplyPrices(llm.ModelInfo{Key: d.priceModel, Provider: d.provider})
	} else if known {
		d.inCost, d.outCost = info.InputCostPerToken, info.OutputCostPerToken
	}
	if d.id == "" {
		d.id = deploymentID(dc)
	}
	return d, buildErr
}

// deploymentID derives a stable id from the deployment's identity; the key
// enters only through a hash.
func deploymentID(dc Deployment) string {
	h := sha256.New()
	key := sha256.Sum256([]byte(dc.Params.APIKey))
	for _, s := range []string{dc.Group, dc.Params.Model, dc.Params.APIBase, dc.Params.APIVersion, dc.Params.Organization, hex.EncodeToString(key[:])} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Groups returns the model group names in declaration order.
func (r *Router) Groups() []string { return slices.Clone(r.names) }

// DeploymentStatus is a snapshot of one deployment's state.
type DeploymentStatus struct {
	// ID, Group, Model and Provider identify the deployment.
	ID, Group, Model, Provider string
	// InFlight is the number of requests in flight.
	InFlight int
	// CooldownUntil is when the deployment leaves cooldown; zero when it is
	// not cooling down.
	CooldownUntil time.Time
	// Requests, Failures, RPM and TPM count the current minute.
	Requests, Failures, RPM, TPM int
	// Latency is the mean recent latency sample in seconds (per output
	// token; time to first token for streams).
	Latency float64
	// Unavailable is why New could not build the deployment (an
	// *llm.Error, usually llm.ErrAuthentication naming the missing
	// variable); nil for a usable deployment. An unavailable deployment
	// never takes a call.
	Unavailable error
}

// Status returns a snapshot of every deployment, in declaration order
// within groups, groups in declaration order.
func (r *Router) Status() []DeploymentStatus {
	now := r.clock.Now()
	minute := now.Unix() / 60
	var out []DeploymentStatus
	for _, name := range r.names {
		g := r.groups[name]
		g.mu.Lock()
		for _, d := range g.deps {
			out = append(out, d.statusLocked(now, minute))
		}
		g.mu.Unlock()
	}
	return out
}

// statusLocked snapshots d. Caller holds the group's mutex.
func (d *deployment) statusLocked(now time.Time, minute int64) DeploymentStatus {
	d.rollMinute(minute)
	s := DeploymentStatus{ID: d.id, Group: d.group, Model: d.modelName, Provider: d.provider,
		InFlight: d.inFlight, Requests: d.minuteReqs, Failures: d.minuteFails, RPM: d.rpmUsed, TPM: d.tpmUsed,
		Latency: d.latency()}
	if d.cooldownUntil.After(now) {
		s.CooldownUntil = d.cooldownUntil
	}
	if d.unavailable != nil {
		s.Unavailable = d.unavailable
	}
	return s
}

// Spend returns the spend of the whole router (in the current budget
// window when Config.Budget is set, else since New) and of each provider
// with a budget, in its current window.
func (r *Router) Spend() (total float64, byProvider map[string]float64) {
	now := r.clock.Now()
	total, _ = r.budget.current(now)
	if len(r.providerBudgets) > 0 {
		byProvider = map[string]float64{}
		for p, b := range r.providerBudgets {
			byProvider[p], _ = b.current(now)
		}
	}
	return total, byProvider
}
