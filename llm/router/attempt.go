package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// reasons counts why deployments of a group were skipped.
type reasons struct {
	total, cooling, small, budget, limit, busy int
	unavailable                                int
	nextUp                                     time.Time
	largest                                    int
	budgetErr                                  *BudgetError
	unavailableErr                             *llm.Error
}

// skip says why a deployment cannot take a call right now.
type skip int

const (
	skipNone skip = iota
	skipCooling
	skipSmall
	skipBudget
	skipLimit
	skipBusy
	skipUnavailable
)

// eligibleLocked checks one deployment for the call. Caller holds the
// group's mutex.
func (r *Router) eligibleLocked(d *deployment, c *call, now time.Time, rs *reasons) skip {
	if d.unavailable != nil {
		if rs.unavailableErr == nil {
			rs.unavailableErr = d.unavailable
		}
		return skipUnavailable
	}
	if d.cooldownUntil.After(now) {
		if rs.nextUp.IsZero() || d.cooldownUntil.Before(rs.nextUp) {
			rs.nextUp = d.cooldownUntil
		}
		return skipCooling
	}
	if d.maxInput > rs.largest {
		rs.largest = d.maxInput
	}
	if r.cfg.EnablePreCallChecks && d.maxInput > 0 && c.tokens > d.maxInput {
		return skipSmall
	}
	if b := r.providerBudgets[d.provider]; b != nil {
		if spent, reset, over := b.exceeded(now); over {
			rs.budgetErr = &BudgetError{Scope: "provider " + d.provider, Spent: spent, Limit: b.limit, ResetIn: reset}
			return skipBudget
		}
	}
	d.rollMinute(now.Unix() / 60)
	if (d.rpm > 0 && d.rpmUsed+1 > d.rpm) || (d.tpm > 0 && d.tpmUsed+c.tokens > d.tpm) {
		return skipLimit
	}
	if d.maxParallel > 0 && d.inFlight >= d.maxParallel {
		return skipBusy
	}
	return skipNone
}

// selectLocked picks a deployment for the call, skipping those that failed
// earlier in the call unless nothing else is left. Caller holds g.mu.
func (r *Router) selectLocked(g *group, c *call, failed []*deployment, now time.Time) (*deployment, reasons) {
	var buf [16]*deployment
	var rs reasons
	cands := buf[:0]
	for pass := 0; pass < 2; pass++ {
		rs = reasons{total: len(g.deps)}
		skipped := 0
		for _, d := range g.deps {
			if pass == 0 && len(failed) > 0 && slicesContains(failed, d) {
				skipped++
				continue
			}
			switch r.eligibleLocked(d, c, now, &rs) {
			case skipCooling:
				rs.cooling++
			case skipSmall:
				rs.small++
			case skipBudget:
				rs.budget++
			case skipLimit:
				rs.limit++
			case skipBusy:
				rs.busy++
			case skipUnavailable:
				rs.unavailable++
			default:
				cands = append(cands, d)
			}
		}
		if len(cands) > 0 || skipped == 0 {
			break
		}
	}
	if len(cands) == 0 {
		return nil, rs
	}
	// order: only the best (lowest) order present is eligible
	best := cands[0].order
	for _, d := range cands[1:] {
		best = min(best, d.order)
	}
	if best != cands[0].order || len(cands) > 1 {
		n := 0
		for _, d := range cands {
			if d.order == best {
				cands[n] = d
				n++
			}
		}
		cands = cands[:n]
	}
	return r.choose(cands, pickInput{tokens: c.tokens}), rs
}

// acquire picks a deployment and reserves it (in-flight, rpm, tpm). It
// waits for a free slot when deployments are at MaxParallelRequests, and
// for a cooldown to end when the call waits for cooldowns.
func (c *call) acquire(ctx context.Context, g *group, failed []*deployment) (*deployment, time.Time, error) {
	r := c.r
	if r.needTokens && !c.counted {
		c.tokens = countTokens(r.encoding, c.req)
		c.counted = true
	}
	sharedTries := 0
	for first := true; ; first = false {
		if ctx.Err() != nil {
			return nil, time.Time{}, c.ctxError(ctx, nil)
		}
		now := c.hint
		if !first || now.IsZero() {
			now = r.clock.Now()
		}
		c.hint = time.Time{}
		g.mu.Lock()
		d, rs := r.selectLocked(g, c, failed, now)
		if d != nil && r.shared != nil && !c.sharedDown {
			if sharedTries == 4 {
				g.mu.Unlock()
				return nil, time.Time{}, &llm.Error{Kind: llm.ErrRateLimit, Model: g.name, Err: ErrNoDeployments,
					Message: fmt.Sprintf("no deployments available for model group %q: the shared state refused every deployment (other replicas use their limits)", g.name)}
			}
			cands := r.sharedCandidatesLocked(g, c, failed, now, d)
			g.mu.Unlock()
			sharedTries++
			got, err := c.acquireShared(ctx, g, cands, now)
			if err == nil {
				r.shared.down.Store(false)
				if got != nil {
					return got, now, nil
				}
				continue // refused: look again with the shared view
			}
			if !r.shared.down.Swap(true) {
				r.logger.Warn("router: shared state unreachable; routing on the local view until it answers", "error", err)
			}
			c.sharedDown = true
			continue
		}
		if d != nil {
			d.inFlight++
			d.rpmUsed++
			d.tpmUsed += c.tokens
			d.minuteReqs++
			g.mu.Unlock()
			return d, now, nil
		}
		var released chan struct{}
		if rs.busy > 0 {
			if g.released == nil {
				g.released = make(chan struct{})
			}
			released = g.released
		}
		g.mu.Unlock()
		if released != nil {
			select {
			case <-released:
				continue
			case <-ctx.Done():
				return nil, time.Time{}, c.ctxError(ctx, nil)
			}
		}
		if rs.cooling > 0 && c.wait {
			w := rs.nextUp.Sub(now)
			if c.deadline.IsZero() || now.Add(w).Before(c.deadline) {
				if err := r.clock.Sleep(ctx, w); err != nil {
					return nil, time.Time{}, c.ctxError(ctx, nil)
				}
				continue
			}
		}
		return nil, time.Time{}, c.noDeployment(g, rs, now)
	}
}

// noDeployment explains why no deployment of g could take the call.
func (c *call) noDeployment(g *group, rs reasons, now time.Time) error {
	if rs.unavailable > 0 && rs.unavailable == rs.total {
		// nothing in the group could be built: the deployment's own error
		// (ErrAuthentication naming the missing variable, usually)
		e := *rs.unavailableErr
		if rs.total > 1 {
			e.Message = fmt.Sprintf("all %d deployments of model group %q are unavailable; %s: %s", rs.total, g.name, e.Deployment, e.Message)
		}
		return &e
	}
	if rs.small > 0 && rs.small+rs.budget == rs.total-rs.cooling-rs.unavailable && rs.cooling == 0 && rs.limit == 0 {
		return &llm.Error{Kind: llm.ErrContextWindowExceeded, Model: g.name,
			Message: fmt.Sprintf("pre-call check: the request has about %d tokens; the largest context window in model group %q is %d",
				c.tokens, g.name, rs.largest),
			Err: ErrNoDeployments}
	}
	if rs.budget > 0 && rs.cooling == 0 && rs.limit == 0 {
		return &llm.Error{Kind: llm.ErrBudgetExceeded, Model: g.name,
			Message: fmt.Sprintf("every deployment of model group %q is over its provider budget", g.name),
			Err:     errors.Join(ErrNoDeployments, rs.budgetErr)}
	}
	var parts []string
	var retry time.Duration
	if rs.cooling > 0 {
		retry = rs.nextUp.Sub(now)
		parts = append(parts, fmt.Sprintf("%d cooling down", rs.cooling))
	}
	if rs.limit > 0 {
		next := time.Unix((now.Unix()/60+1)*60, 0).Sub(now)
		if retry == 0 || next < retry {
			retry = next
		}
		parts = append(parts, fmt.Sprintf("%d at their rpm/tpm limit", rs.limit))
	}
	if rs.small > 0 {
		parts = append(parts, fmt.Sprintf("%d with a context window under %d tokens", rs.small, c.tokens))
	}
	if rs.budget > 0 {
		parts = append(parts, fmt.Sprintf("%d over budget", rs.budget))
	}
	if rs.unavailable > 0 {
		parts = append(parts, fmt.Sprintf("%d unavailable (%s)", rs.unavailable, rs.unavailableErr.Message))
	}
	if rs.busy > 0 {
		parts = append(parts, fmt.Sprintf("%d at their max_parallel_requests", rs.busy))
	}
	msg := fmt.Sprintf("no deployments available for model group %q: %s", g.name, strings.Join(parts, ", "))
	if retry > 0 {
		msg += fmt.Sprintf("; try again in %s", retry.Round(time.Millisecond))
	}
	return &llm.Error{Kind: llm.ErrRateLimit, Model: g.name, Message: msg, RetryAfter: retry, Err: ErrNoDeployments}
}

// attempt makes one call to deployment d, which acquire reserved.
func (c *call) attempt(ctx context.Context, g *group, d *deployment, depth int, wait time.Duration, start time.Time) (*llm.Response, error) {
	r := c.r
	c.attempts++
	// The attempt's copy of the request comes from a pool and goes back to
	// it once the Completer has returned (Completer's contract: it does not
	// keep req). A copy callbacks can see (CallInfo.Request) or that an
	// abandoned call still holds is left to the garbage collector.
	req := attemptReqs.Get().(*llm.Request)
	*req = *c.req
	req.Model = d.modelName
	req.Timeout = 0
	var info *llm.CallInfo
	if len(r.callbacks) > 0 {
		info = &llm.CallInfo{Group: g.name, Deployment: d.id, Model: d.modelName, Provider: d.provider,
			Attempt: c.attempts, FallbackDepth: depth, Wait: wait, Request: req, Start: start}
		if ran, err := r.callbacks.Begin(ctx, info); err != nil {
			r.release(g, d, c.tokens, true)
			c.stop = true
			out := &rejected{deployment: d.id, err: err}
			// the callbacks that saw the attempt start see it end
			info.End = r.clock.Now()
			ran.Failure(ctx, info, out)
			return nil, out
		}
		if info.Request != req && info.Request != nil {
			// a callback replaced the request: send its version to this
			// deployment
			*req = *info.Request
			req.Model = d.modelName
			req.Timeout = 0
		}
	}
	actx := ctx
	var cancel context.CancelCauseFunc
	if d.timeout > 0 || (c.stream != nil && d.streamTimeout > 0) {
		actx, cancel = context.WithCancelCause(ctx)
	}
	var stopTimer func() bool
	if d.timeout > 0 {
		stopTimer = r.clock.AfterFunc(d.timeout, func() { cancel(errAttemptTimeout) })
	}
	if c.stream != nil {
		req.Stream = c.stream.begin(d, info, cancel, d.streamTimeout, start)
	}
	resp, abandoned, err := c.invoke(actx, g, d, req, info)
	if info == nil && !abandoned {
		*req = llm.Request{}
		attemptReqs.Put(req)
	}
	if stopTimer != nil {
		stopTimer()
	}
	if c.stream != nil {
		c.stream.end()
	}
	end := r.clock.Now()
	c.end, c.hint = end, end
	if err == nil && resp == nil {
		err = &llm.Error{Kind: llm.ErrAPI, Provider: d.provider, Model: d.modelName, Message: "the model returned neither a response nor an error"}
	}
	if err == nil && c.stream != nil {
		if err = c.stream.deliverWhole(ctx, resp); errors.Is(err, llm.ErrStopStream) {
			err = nil // the caller stopped reading, but the reply is whole
		}
	}
	if err != nil && c.stream != nil && errors.Is(c.stream.userErr, llm.ErrStopStream) {
		// the caller stopped reading: a success with what was delivered
		resp, err = c.stream.stopped(d, err), nil
	}
	if err == nil {
		if cancel != nil {
			cancel(nil)
		}
		r.succeeded(ctx, g, d, c, resp, start, end)
		if info != nil {
			info.End = end
			r.callbacks.Success(ctx, info, resp)
		}
		return resp, nil
	}
	out, cause := c.classify(ctx, actx, err, d)
	if cancel != nil {
		cancel(nil)
	}
	if abandoned {
		if oe, ok := out.(*llm.Error); ok {
			oe.Message += "; the model did not return after its context ended: its call was abandoned and finishes in the background"
		}
	}
	r.failed(ctx, g, d, c, cause, end, !abandoned)
	if oe, ok := out.(*llm.Error); ok && oe.Partial != nil {
		// tokens of a broken stream are billed too
		r.spend(ctx, d, end, oe.Partial.Cost)
	}
	if info != nil {
		info.End = end
		r.callbacks.Failure(ctx, info, out)
	}
	return nil, out
}

// attemptReqs holds the attempts' request copies for reuse.
var attemptReqs = sync.Pool{New: func() any { return new(llm.Request) }}

// rejected is the error of an attempt an input callback refused: it
// matches llm.ErrRejected and the callback's own error.
type rejected struct {
	deployment string
	err        error
}

func (e *rejected) Error() string {
	return "router: input callback rejected the call to deployment " + e.deployment + ": " + e.err.Error()
}

func (e *rejected) Unwrap() []error { return []error{llm.ErrRejected, e.err} }

// invoke runs the attempt's Completer through r.invoke. When the Completer
// panics, the attempt's deployment slot is released and the callbacks that
// saw the attempt start (info) get OnFailure before the panic goes on to
// the caller.
func (c *call) invoke(ctx context.Context, g *group, d *deployment, req *llm.Request, info *llm.CallInfo) (resp *llm.Response, abandoned bool, err error) {
	r := c.r
	returned := false
	defer func() {
		if returned {
			return
		}
		p := recover() // nil when the Completer called runtime.Goexit
		r.release(g, d, c.tokens, false)
		if info != nil {
			msg := "the model's goroutine exited"
			if p != nil {
				msg = fmt.Sprintf("the model panicked: %v", p)
			}
			info.End = r.clock.Now()
			r.callbacks.Failure(ctx, info, &llm.Error{Kind: llm.ErrAPI, Provider: d.provider, Model: d.modelName,
				Deployment: d.id, Message: msg})
		}
		if p != nil {
			panic(p)
		}
	}()
	resp, abandoned, err = r.invoke(ctx, g, d, req)
	returned = true
	return resp, abandoned, err
}

// classify turns an attempt's failure into the call's error and the
// upstream cause (nil when the failure is not the deployment's).
func (c *call) classify(ctx, actx context.Context, err error, d *deployment) (error, *llm.Error) {
	if c.stream != nil && c.stream.userErr != nil {
		c.stop = true
		return c.stream.userErr, nil
	}
	if c.stream != nil {
		// the provider layer's own partial reply carries the usage it counted
		var src *llm.Error
		if errors.As(err, &src) && src.Kind == llm.ErrStreamInterrupted {
			c.stream.provPartial = src.Partial
		}
	}
	if ctx.Err() != nil {
		// The call's own deadline (Request.Timeout, Config.Timeout, the
		// caller's context) ended the attempt: that says nothing about the
		// deployment, which is shared with other callers, so the failure
		// never counts toward its cooldown or latency. A slow deployment
		// is caught by its own Timeout.
		last := &llm.Error{Kind: llm.ErrTimeout, Provider: d.provider, Model: d.modelName, Deployment: d.id}
		if c.stream != nil && c.stream.delivered > 0 {
			c.stop = true
			return c.stream.interrupted(d, &llm.Error{Kind: llm.ErrTimeout, Provider: d.provider, Model: d.modelName,
				Deployment: d.id, Message: "call ended: " + context.Cause(ctx).Error(), Err: ctx.Err()}), nil
		}
		if !errors.Is(context.Cause(ctx), errCallTimeout) {
			last = nil
		}
		return c.ctxError(ctx, last), nil
	}
	var e *llm.Error
	cause := context.Cause(actx)
	switch {
	case actx != ctx && errors.Is(cause, errAttemptTimeout):
		e = &llm.Error{Kind: llm.ErrTimeout, Message: fmt.Sprintf("deployment timed out after %s", d.timeout), Err: context.DeadlineExceeded}
	case actx != ctx && errors.Is(cause, errFirstChunkTimeout):
		e = &llm.Error{Kind: llm.ErrTimeout, Message: fmt.Sprintf("no first chunk within the stream timeout %s", d.streamTimeout), Err: context.DeadlineExceeded}
	case actx != ctx && errors.Is(cause, errStreamStalled):
		e = &llm.Error{Kind: llm.ErrTimeout, Message: fmt.Sprintf("stream stalled: no chunk for %s", d.streamTimeout), Err: context.DeadlineExceeded}
	default:
		var src *llm.Error
		if errors.As(err, &src) {
			cp := *src // never modify the model's error value
			e = &cp
		} else {
			e = llm.Classify(actx, err, d.provider, d.modelName)
		}
	}
	if e.Kind == llm.ErrStreamInterrupted {
		// the provider layer already saw output reach the caller: classify
		// by the underlying failure; the partial output is tracked here
		var inner *llm.Error
		if errors.As(e.Err, &inner) {
			cp := *inner
			e = &cp
		}
	}
	if e.Provider == "" {
		e.Provider = d.provider
	}
	if e.Model == "" {
		e.Model = d.modelName
	}
	e.Deployment = d.id
	c.capped = false
	if limit := c.r.retryAfterCap; e.RetryAfter > limit {
		// never trust an upstream with a cooldown of hours
		e.Message += fmt.Sprintf(" (Retry-After %s exceeds the Router's cap of %s (RetryAfterCap): the deployment is cooled down for %s)",
			e.RetryAfter, limit, limit)
		e.RetryAfter = limit
		c.capped = true
	}
	if c.stream != nil && c.stream.delivered > 0 {
		c.stop = true
		return c.stream.interrupted(d, e), e
	}
	return e, e
}

// release undoes acquire's in-flight reservation (and, when the request
// was never sent, its rpm/tpm reservation).
func (r *Router) release(g *group, d *deployment, tokens int, unsent bool) {
	g.mu.Lock()
	d.inFlight--
	if unsent {
		d.rpmUsed--
		d.tpmUsed -= tokens
		d.minuteReqs--
	}
	minute := d.minute
	r.signalLocked(g)
	g.mu.Unlock()
	if unsent && r.shared != nil {
		r.shared.owe(StateUpdate{ID: d.id, Minute: minute, Requests: -1, Tokens: -tokens})
	}
}

// signalLocked wakes callers waiting for a free slot. Caller holds g.mu.
func (r *Router) signalLocked(g *group) {
	if g.released != nil {
		close(g.released)
		g.released = nil
	}
}

// succeeded records a success and completes the response's fields.
func (r *Router) succeeded(ctx context.Context, g *group, d *deployment, c *call, resp *llm.Response, start, end time.Time) {
	resp.Deployment = d.id
	if resp.Model == "" {
		resp.Model = d.modelName
	}
	if resp.Provider == "" {
		resp.Provider = d.provider
	}
	u := resp.Usage
	resp.Cost = d.cost(u, resp.Cost)
	resp.CostKnown = d.costKnown(resp.CostKnown)
	var sample float64
	if r.strategy == LatencyBased {
		if c.stream != nil && !c.stream.first.IsZero() {
			sample = c.stream.first.Sub(start).Seconds()
		} else {
			sample = end.Sub(start).Seconds() / float64(max(1, u.CompletionTokens))
		}
	}
	g.mu.Lock()
	d.inFlight--
	d.rollMinute(end.Unix() / 60)
	extra := u.CompletionTokens
	if u.PromptTokens > c.tokens {
		extra += u.PromptTokens - c.tokens
	}
	d.tpmUsed += extra
	if r.shared != nil && extra > 0 {
		r.shared.owe(StateUpdate{ID: d.id, Minute: d.minute, Tokens: extra})
	}
	if r.strategy == LatencyBased {
		d.addLatency(sample, r.args.LatencyWindow)
	}
	r.signalLocked(g)
	g.mu.Unlock()
	r.spend(ctx, d, end, resp.Cost)
}

// spend adds cost to the router's budget and to d's provider budget.
func (r *Router) spend(ctx context.Context, d *deployment, now time.Time, cost float64) {
	if reached, spent, reset := r.budget.add(now, cost); reached {
		r.emit(ctx, &BudgetReached{At: now, Scope: "router", Spent: spent, Limit: r.budget.limit, ResetIn: reset})
	}
	if b := r.providerBudgets[d.provider]; b != nil {
		if reached, spent, reset := b.add(now, cost); reached {
			r.emit(ctx, &BudgetReached{At: now, Scope: "provider " + d.provider, Spent: spent, Limit: b.limit, ResetIn: reset})
		}
	}
}

// cooldownEligible: 429, 401, 408, 404, >= 500 and failures without an
// HTTP response. Other 4xx never cool a deployment down.
func cooldownEligible(e *llm.Error) bool {
	switch s := e.StatusCode; {
	case s == 429 || s == 401 || s == 408 || s == 404 || s >= 500:
		return true
	case s != 0 && s != 200:
		return false
	}
	switch e.Kind {
	case llm.ErrRateLimit, llm.ErrAuthentication, llm.ErrNotFound, llm.ErrTimeout, llm.ErrInternalServer,
		llm.ErrBadGateway, llm.ErrServiceUnavailable, llm.ErrAPIConnection, llm.ErrAPI:
		return true
	}
	return false
}

// failed records a failure of d and cools it down when the rules say so.
// release frees the in-flight slot; an abandoned attempt keeps it until
// its Completer returns.
func (r *Router) failed(ctx context.Context, g *group, d *deployment, c *call, e *llm.Error, now time.Time, release bool) {
	g.mu.Lock()
	ev := r.failedLocked(g, d, e, now, release)
	g.mu.Unlock()
	if ev == nil {
		return
	}
	if r.shared != nil {
		// every replica must skip it at once
		if err := r.shared.s.Update(ctx, []StateUpdate{{ID: d.id, Minute: now.Unix() / 60, CooldownUntil: ev.Until}}); err != nil {
			r.logger.Warn("router: cannot share a cooldown", "deployment", d.id, "error", err)
		}
	}
	if len(r.services) > 0 {
		r.cooldownStarted(ctx, g, d, ev)
	}
}

// failedLocked does failed's work under the group's lock; it returns the
// cooldown it started, if any.
func (r *Router) failedLocked(g *group, d *deployment, e *llm.Error, now time.Time, release bool) *CooldownStarted {
	if release {
		d.inFlight--
		r.signalLocked(g)
	}
	if e == nil {
		return nil
	}
	d.rollMinute(now.Unix() / 60)
	d.minuteFails++
	if r.strategy == LatencyBased && e.Kind == llm.ErrTimeout {
		d.addLatency(r.args.TimeoutPenalty, r.args.LatencyWindow)
	}
	if d.cooldownTime <= 0 || !cooldownEligible(e) {
		return nil
	}
	ttl := d.cooldownTime
	multi := len(g.deps) > 1
	cool := false
	switch {
	case (e.StatusCode == 429 || e.Kind == llm.ErrRateLimit) && (multi || e.RetryAfter > 0):
		// a single deployment is cooled only for the time its upstream
		// asked for: other calls then wait or fall back instead of
		// hammering it
		cool = true
		if e.RetryAfter > 0 {
			ttl = e.RetryAfter
		}
	case e.StatusCode == 401 || e.StatusCode == 404 || e.Kind == llm.ErrAuthentication || e.Kind == llm.ErrNotFound:
		cool = true
	default:
		cut := now.Add(-ttl)
		n := 0
		for _, t := range d.fails {
			if t.After(cut) {
				d.fails[n] = t
				n++
			}
		}
		d.fails = append(d.fails[:n], now)
		allowed := r.allowedFails
		if v, ok := policyFor(r.cfg.AllowedFailsPolicy, e.Kind); ok {
			allowed = v
		}
		switch {
		case multi && d.minuteReqs >= 5 && d.minuteFails*2 > d.minuteReqs:
			cool = true
		case len(d.fails) > allowed:
			cool = true
		}
	}
	if !cool {
		return nil
	}
	d.cooldownUntil = now.Add(ttl)
	d.fails = d.fails[:0]
	return &CooldownStarted{At: now, Until: d.cooldownUntil, Group: d.group, Deployment: d.id, Model: d.modelName, Cause: e}
}
