package router

import (
	"context"
	"fmt"
	"strings"

	"github.com/jedisos/jedisos/llm"
)

// Pick returns the deployment that would serve req now, without calling
// it or reserving anything (LiteLLM's get_available_deployment). It
// applies what a call applies before its first attempt: the budgets,
// cooldowns, unavailable deployments, RPM/TPM limits, pre-call context
// checks, Order and the routing strategy, and, when the requested group
// cannot take the call, its fallback chain (the returned status's Group
// says which group answered). With a random strategy (simple-shuffle, ties
// of the others) the result is one draw: the call itself draws again.
// With a SharedState, Pick reads this Router's last view of it and makes
// no round trip; the call's reservation is what counts.
//
// When no deployment could serve, the error is the one the call would
// fail with before sending anything: llm.ErrRateLimit wrapping
// ErrNoDeployments with the wait (RetryAfter), llm.ErrContextWindowExceeded,
// llm.ErrAuthentication for unavailable deployments, llm.ErrBudgetExceeded,
// or llm.ErrNotFound wrapping ErrUnknownGroup.
func (r *Router) Pick(ctx context.Context, req *llm.Request) (DeploymentStatus, error) {
	if req == nil {
		return DeploymentStatus{}, &llm.Error{Kind: llm.ErrBadRequest, Message: "router: nil request"}
	}
	c := call{r: r, start: r.clock.Now()}
	if o, ok := ctx.Value(callOptionsKey{}).(CallOptions); ok {
		c.opts = o
	}
	if v, ok := req.Metadata["disable_fallbacks"].(bool); ok && v {
		c.opts.DisableFallbacks = true
	}
	c.req = r.applyDefaults(req)
	if spent, reset, over := r.budget.exceeded(c.start); over {
		return DeploymentStatus{}, &llm.Error{Kind: llm.ErrBudgetExceeded, Message: "router budget exhausted",
			Err: &BudgetError{Scope: "router", Spent: spent, Limit: r.budget.limit, ResetIn: reset}}
	}
	if r.needTokens {
		c.tokens = countTokens(r.encoding, c.req)
		c.counted = true
	}
	name := c.req.Model
	if name == "" {
		name = r.cfg.DefaultGroup
	}
	var chain []string
	var orig error
	if g := r.groups[name]; g != nil {
		st, err := c.peek(g)
		if err == nil {
			return st, nil
		}
		orig = err
		chain = r.fallbackChain(name, err)
	} else {
		orig = &llm.Error{Kind: llm.ErrNotFound, Model: name,
			Message: fmt.Sprintf("model group %q does not exist (known: %s)", name, strings.Join(r.names, ", ")),
			Err:     ErrUnknownGroup}
		chain = r.cfg.DefaultFallbacks
	}
	if c.opts.DisableFallbacks {
		return DeploymentStatus{}, orig
	}
	c.first = name
	var notes []string
	for _, fb := range chain {
		if c.depth >= r.maxFallbacks {
			break
		}
		g := r.groups[fb]
		if g == nil || c.triedGroup(fb) {
			continue
		}
		c.depth++
		c.tried = append(c.tried, fb)
		st, err := c.peek(g)
		if err == nil {
			return st, nil
		}
		notes = append(notes, fmt.Sprintf("%s: %s", fb, kindOf(err)))
	}
	if len(notes) == 0 {
		return DeploymentStatus{}, orig
	}
	return DeploymentStatus{}, withFallbackNote(orig, notes)
}

// peek selects a deployment of g for the call without reserving it.
func (c *call) peek(g *group) (DeploymentStatus, error) {
	now := c.r.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	d, rs := c.r.selectLocked(g, c, nil, now)
	if d == nil {
		return DeploymentStatus{}, c.noDeployment(g, rs, now)
	}
	return d.statusLocked(now, now.Unix()/60), nil
}
