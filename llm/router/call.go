package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// CallOptions adjust one call; attach them with WithCallOptions.
type CallOptions struct {
	// DisableFallbacks keeps the call inside the requested group.
	DisableFallbacks bool
	// NumRetries overrides the retries inside each group for this call.
	NumRetries *int
	// WaitForCooldown overrides Config.WaitForCooldown for this call.
	WaitForCooldown *bool
	// NoCache skips the response cache's lookup: the call is answered
	// fresh (and the fresh answer stored, unless NoStore). LiteLLM's
	// cache={"no-cache": True}.
	NoCache bool
	// NoStore keeps this call's answer out of the response cache.
	// LiteLLM's cache={"no-store": True}.
	NoStore bool
}

type callOptionsKey struct{}

// WithCallOptions returns a context carrying per-call options. A request's
// Metadata["disable_fallbacks"] = true also disables fallbacks.
func WithCallOptions(ctx context.Context, o CallOptions) context.Context {
	return context.WithValue(ctx, callOptionsKey{}, o)
}

// call is the state of one routed call.
type call struct {
	r        *Router
	req      *llm.Request
	opts     CallOptions
	start    time.Time
	deadline time.Time // in clock time; zero when none
	timeout  time.Duration
	attempts int
	first    string    // the first group run
	chain    []string  // the fallback chain being walked
	depth    int       // fallback depth of the group running
	tried    []string  // the other groups run
	end      time.Time // end of the last attempt
	hint     time.Time // a recent clock reading the next pick may use
	tokens   int
	counted  bool
	wait     bool // wait for cooldowns
	stream   *streamState
	capped   bool // the last failure's Retry-After was over the cap
	// sharedDown: the shared state failed during this call, which routes
	// on the local view from then on
	sharedDown bool
	// stop is set when the call must end now: the caller's stream callback
	// failed, an input callback rejected the call, a stream was interrupted,
	// the call's context ended or the router budget ran out.
	stop bool
}

// Complete routes req to the group named req.Model (the default group when
// empty). It implements llm.Completer. Errors are *llm.Error (or the error
// returned by the caller's own stream function or an input callback).
func (r *Router) Complete(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	if req == nil {
		return nil, &llm.Error{Kind: llm.ErrBadRequest, Message: "router: nil request"}
	}
	c := call{r: r, start: r.clock.Now(), wait: r.cfg.WaitForCooldown}
	c.hint = c.start
	if o, ok := ctx.Value(callOptionsKey{}).(CallOptions); ok {
		c.opts = o
		if o.WaitForCooldown != nil {
			c.wait = *o.WaitForCooldown
		}
	}
	if v, ok := req.Metadata["disable_fallbacks"].(bool); ok && v {
		c.opts.DisableFallbacks = true
	}
	c.req = r.applyDefaults(req)
	c.timeout = c.req.Timeout
	if c.timeout == 0 {
		c.timeout = r.cfg.Timeout
	}
	if c.timeout > 0 {
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		stop := r.clock.AfterFunc(c.timeout, func() { cancel(errCallTimeout) })
		defer cancel(nil)
		defer stop()
		c.deadline = c.start.Add(c.timeout)
	}
	if dl, ok := ctx.Deadline(); ok {
		if t := c.start.Add(time.Until(dl)); c.deadline.IsZero() || t.Before(c.deadline) {
			c.deadline = t
		}
	}
	if c.req.Stream != nil {
		c.stream = &streamState{r: r, user: c.req.Stream}
	}
	name := c.req.Model
	if name == "" {
		name = r.cfg.DefaultGroup
	}
	var cacheKey string
	if r.cache != nil && !(c.opts.NoCache && c.opts.NoStore) {
		cacheKey = CacheKey(name, c.req)
	}
	if cacheKey != "" && !c.opts.NoCache {
		resp, ok, err := c.fromCache(ctx, cacheKey)
		if err != nil {
			return nil, err
		}
		if ok {
			return c.finish(resp), nil
		}
	}
	if spent, reset, over := r.budget.exceeded(c.start); over {
		return nil, &llm.Error{Kind: llm.ErrBudgetExceeded, Message: "router budget exhausted before the call",
			Err: &BudgetError{Scope: "router", Spent: spent, Limit: r.budget.limit, ResetIn: reset}}
	}

	var (
		resp  *llm.Response
		err   error
		chain []string
	)
	if g := r.groups[name]; g != nil {
		resp, err = c.runGroup(ctx, g, 0)
		if err == nil {
			return c.answer(ctx, cacheKey, resp), nil
		}
		if c.stop || c.opts.DisableFallbacks {
			return nil, err
		}
		chain = r.fallbackChain(name, err)
	} else {
		err = &llm.Error{Kind: llm.ErrNotFound, Model: name,
			Message: fmt.Sprintf("model group %q does not exist (known: %s)", name, strings.Join(r.names, ", ")),
			Err:     ErrUnknownGroup}
		if c.opts.DisableFallbacks {
			return nil, err
		}
		chain = r.cfg.DefaultFallbacks
	}
	orig := err
	from := name
	var notes []string
	c.chain = chain
	for _, fb := range chain {
		if c.depth >= r.maxFallbacks {
			break
		}
		g := r.groups[fb]
		if g == nil || c.triedGroup(fb) {
			continue
		}
		c.depth++
		if len(r.services) > 0 {
			r.emit(ctx, &FallbackTaken{At: r.clock.Now(), From: from, To: fb, Depth: c.depth, Err: err})
		}
		from = fb
		resp, err = c.runGroup(ctx, g, c.depth)
		if err == nil {
			return c.answer(ctx, cacheKey, resp), nil
		}
		notes = append(notes, fmt.Sprintf("%s: %s", fb, kindOf(err)))
		if c.stop {
			return nil, err
		}
	}
	if len(notes) == 0 {
		return nil, orig
	}
	return nil, withFallbackNote(orig, notes)
}

func kindOf(err error) string {
	var e *llm.Error
	if errors.As(err, &e) {
		return string(e.Kind)
	}
	return err.Error()
}

// withFallbackNote returns a copy of the original error that also names
// the fallback groups tried and how they failed.
func withFallbackNote(orig error, notes []string) error {
	var e *llm.Error
	if !errors.As(orig, &e) {
		return fmt.Errorf("%w (fallbacks tried: %s)", orig, strings.Join(notes, "; "))
	}
	cp := *e
	if cp.Message != "" {
		cp.Message += "; "
	}
	cp.Message += "fallbacks tried: " + strings.Join(notes, "; ")
	return &cp
}

func (c *call) triedGroup(name string) bool {
	if name == c.first {
		return true
	}
	for _, t := range c.tried {
		if t == name {
			return true
		}
	}
	return false
}

// applyDefaults fills the configured temperature and max tokens into a
// copy of req when it sets none.
func (r *Router) applyDefaults(req *llm.Request) *llm.Request {
	needT := req.Temperature == nil && r.cfg.Temperature != nil
	needM := req.MaxTokens == 0 && r.cfg.MaxTokens > 0
	if !needT && !needM {
		return req
	}
	cp := *req
	if needT {
		t := *r.cfg.Temperature
		cp.Temperature = &t
	}
	if needM {
		cp.MaxTokens = r.cfg.MaxTokens
	}
	return &cp
}

// fallbackChain returns the groups to try after group failed with err,
// following LiteLLM's precedence: a context-window or content-policy error
// uses its specific list when one is configured (and the original error
// stands when that list has no entry for the group); otherwise the general
// fallbacks of the group, else the default ("*") fallbacks.
func (r *Router) fallbackChain(group string, err error) []string {
	if errors.Is(err, llm.ErrContextWindowExceeded) && r.cfg.ContextWindowFallbacks != nil {
		return r.cfg.ContextWindowFallbacks[group]
	}
	if errors.Is(err, llm.ErrContentPolicyViolation) && r.cfg.ContentPolicyFallbacks != nil {
		return r.cfg.ContentPolicyFallbacks[group]
	}
	if fb, ok := r.cfg.Fallbacks[group]; ok {
		return fb
	}
	if fb, ok := r.cfg.Fallbacks["*"]; ok {
		return fb
	}
	return r.cfg.DefaultFallbacks
}

// hasFallbacks reports whether a failure of group could still go to a
// fallback group: for the requested group, its own fallback chain; inside
// a fallback group, the rest of the chain being walked.
func (c *call) hasFallbacks(group string, err error) bool {
	if c.opts.DisableFallbacks || c.depth >= c.r.maxFallbacks {
		return false
	}
	chain := c.chain
	if c.depth == 0 {
		chain = c.r.fallbackChain(group, err)
	}
	for _, fb := range chain {
		if c.r.groups[fb] != nil && !c.triedGroup(fb) {
			return true
		}
	}
	return false
}

// answer finishes a fresh answer and stores it in the cache under key
// (when key is set).
func (c *call) answer(ctx context.Context, key string, resp *llm.Response) *llm.Response {
	resp = c.finish(resp)
	// a stream the caller stopped is a partial answer: never stored
	if key != "" && !c.opts.NoStore && resp.FinishReason != llm.FinishStopped {
		c.toCache(ctx, key, resp)
	}
	return resp
}

// finish stamps the routed call's totals on the response.
func (c *call) finish(resp *llm.Response) *llm.Response {
	resp.Latency = c.end.Sub(c.start)
	resp.Attempts = c.attempts
	if resp.Message.Role == "" {
		resp.Message.Role = llm.RoleAssistant
	}
	if resp.Message.Meta == nil {
		resp.Message.Meta = &llm.ResponseMeta{}
	}
	m := resp.Message.Meta
	m.Model, m.Provider, m.Deployment = resp.Model, resp.Provider, resp.Deployment
	m.Usage, m.Cost, m.CostKnown, m.Latency = resp.Usage, resp.Cost, resp.CostKnown, resp.Latency
	return resp
}

// runGroup runs the retry cycle of one group.
func (c *call) runGroup(ctx context.Context, g *group, depth int) (*llm.Response, error) {
	if c.first == "" {
		c.first = g.name
	} else {
		c.tried = append(c.tried, g.name)
	}
	var failedBuf [4]*deployment
	failed := failedBuf[:0]
	var lastErr *llm.Error
	retries := 0
	var wait time.Duration
	for {
		d, now, err := c.acquire(ctx, g, failed)
		if err != nil {
			if lastErr != nil && !c.stop {
				// The retry found no deployment; the upstream failure is the
				// more useful error.
				return nil, lastErr
			}
			return nil, err
		}
		resp, err := c.attempt(ctx, g, d, depth, wait, now)
		if err == nil {
			return resp, nil
		}
		e, ok := err.(*llm.Error)
		if !ok || c.stop {
			return nil, err
		}
		lastErr = e
		if !slicesContains(failed, d) {
			failed = append(failed, d)
		}
		h := c.health(g, failed)
		n := c.retriesFor(g, d, e, h)
		if retries >= n {
			return nil, e
		}
		wait = c.backoff(e, retries, h)
		if wait < 0 {
			return nil, e
		}
		if wait > 0 {
			c.hint = time.Time{}
			if err := c.r.clock.Sleep(ctx, wait); err != nil {
				return nil, c.ctxError(ctx, e)
			}
		}
		retries++
	}
}

func slicesContains(s []*deployment, d *deployment) bool {
	for _, x := range s {
		if x == d {
			return true
		}
	}
	return false
}

// groupHealth summarises a group after a failure.
type groupHealth struct {
	// fresh: a deployment that could take the call (not cooling down, not
	// over its limits or budget, big enough) and has not failed in this
	// call exists.
	fresh bool
	// anyUp: a deployment that could take the call exists.
	anyUp bool
	// nextUp is when the first cooling deployment comes back.
	nextUp time.Time
}

func (c *call) health(g *group, failed []*deployment) groupHealth {
	r := c.r
	now := c.end
	var h groupHealth
	var rs reasons
	g.mu.Lock()
	for _, d := range g.deps {
		switch r.eligibleLocked(d, c, now, &rs) {
		case skipNone, skipBusy:
			// busy deployments free up on their own
			h.anyUp = true
			if !slicesContains(failed, d) {
				h.fresh = true
			}
		}
	}
	g.mu.Unlock()
	h.nextUp = rs.nextUp
	return h
}

// retryable is the retry rule shared with single models: llm.Retryable.
func retryable(e *llm.Error) bool { return llm.Retryable(e) }

// policyFor looks a kind up in a per-kind policy: llm.PolicyFor.
func policyFor(p map[llm.Kind]int, k llm.Kind) (int, bool) { return llm.PolicyFor(p, k) }

// retriesFor is how many retries the group allows after failure e.
func (c *call) retriesFor(g *group, d *deployment, e *llm.Error, h groupHealth) int {
	r := c.r
	switch {
	case e.Kind == llm.ErrNotFound, e.Kind == llm.ErrStreamInterrupted, e.Kind == llm.ErrBudgetExceeded:
		return 0
	case e.Kind == llm.ErrContextWindowExceeded && r.cfg.ContextWindowFallbacks != nil:
		return 0
	case e.Kind == llm.ErrContentPolicyViolation && r.cfg.ContentPolicyFallbacks != nil:
		return 0
	case e.Kind == llm.ErrAuthentication && len(g.deps) <= 1:
		return 0
	case e.Kind == llm.ErrRateLimit && !h.fresh && c.hasFallbacks(g.name, e):
		// throttled everywhere: a fallback group answers sooner
		return 0
	}
	if c.opts.NumRetries != nil {
		if !retryable(e) && e.Kind != llm.ErrAuthentication {
			return 0
		}
		return *c.opts.NumRetries
	}
	if d.numRetries != nil {
		if !retryable(e) && e.Kind != llm.ErrAuthentication {
			return 0
		}
		return *d.numRetries
	}
	if n, ok := policyFor(r.cfg.RetryPolicy, e.Kind); ok {
		return n
	}
	if !retryable(e) && e.Kind != llm.ErrAuthentication {
		return 0
	}
	return r.numRetries
}

// backoff returns the wait before retry number n+1, or -1 when the group
// should give up (the wait is too long or would pass the call's deadline).
func (c *call) backoff(e *llm.Error, n int, h groupHealth) time.Duration {
	r := c.r
	if h.fresh {
		// a deployment that is really healthy exists: move now
		return 0
	}
	if c.capped && !c.wait {
		// the upstream asked for more than the cap: waiting the cap out
		// inside the call is only done when the call waits for cooldowns
		return -1
	}
	var w time.Duration
	if e.RetryAfter > 0 {
		// already within RetryAfterCap (classify clamps it)
		w = max(e.RetryAfter, r.cfg.RetryAfter)
	} else {
		// the wait itself is the policy shared with single models
		var ok bool
		if w, ok = llm.Backoff(e, n, r.cfg.RetryAfter, r.rnd.float); !ok {
			return -1
		}
	}
	now := r.clock.Now()
	if !h.anyUp && h.nextUp.IsZero() {
		// nothing is cooling down, yet nothing could take the call (limits,
		// budgets, context windows): waiting will not help
		return -1
	}
	if !h.anyUp {
		// everything is cooling down: waiting longer than the backoff for
		// the first deployment to come back is only done when the call
		// waits for cooldowns
		if up := h.nextUp.Sub(now); up > w {
			if !c.wait {
				return -1
			}
			w = up
		}
	}
	if !c.deadline.IsZero() && !now.Add(w).Before(c.deadline) {
		return -1
	}
	return w
}

// ctxError turns the end of the call's context into the call's error.
func (c *call) ctxError(ctx context.Context, last *llm.Error) error {
	c.stop = true
	cause := context.Cause(ctx)
	e := &llm.Error{Kind: llm.ErrTimeout, Err: ctx.Err()}
	if last != nil {
		e.Provider, e.Model, e.Deployment = last.Provider, last.Model, last.Deployment
	}
	switch {
	case errors.Is(cause, errCallTimeout):
		e.Message = fmt.Sprintf("call timed out after %s (%d attempts)", c.timeout, c.attempts)
		e.Err = context.DeadlineExceeded
		if last != nil {
			// a nil *llm.Error in the join would be a non-nil error value
			e.Err = errors.Join(context.DeadlineExceeded, last)
		}
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		e.Message = fmt.Sprintf("call deadline exceeded (%d attempts)", c.attempts)
	default:
		e.Kind = llm.ErrAPI
		e.Message = "call canceled"
	}
	return e
}
