package router

import (
	"context"
	"time"
)

// Event is a service event (LiteLLM's service_callback): something that
// happened to the Router's deployments or budgets rather than to one
// attempt. It is one of *CooldownStarted, *CooldownEnded,
// *DeploymentUnavailable, *BudgetReached and *FallbackTaken; switch on the
// type to read it.
type Event interface {
	// EventName is a short stable name: "cooldown_started",
	// "cooldown_ended", "deployment_unavailable", "budget_reached" or
	// "fallback_taken".
	EventName() string
}

// ServiceCallback receives service events. It is called synchronously,
// outside the Router's locks, from the goroutine where the event happened
// (a call's, a timer's, or New's), so it must be quick and safe for
// concurrent use. ctx is the call's context for events that arise in a
// call and context.Background() otherwise.
type ServiceCallback func(ctx context.Context, e Event)

// CooldownStarted: a deployment was cooled down after a failure.
type CooldownStarted struct {
	// At is when the cooldown started; Until when it ends.
	At, Until time.Time
	// Group, Deployment and Model identify the deployment.
	Group, Deployment, Model string
	// Cause is the failure that cooled it down (an *llm.Error).
	Cause error
}

// EventName is "cooldown_started".
func (*CooldownStarted) EventName() string { return "cooldown_started" }

// CooldownEnded: a deployment's cooldown ran out and it takes calls
// again. It is sent at the end of the cooldown by a timer of the Router's
// clock, once per cooldown (a cooldown extended before it ended ends
// once, at its new end).
type CooldownEnded struct {
	// At is when the cooldown ended.
	At time.Time
	// Group, Deployment and Model identify the deployment.
	Group, Deployment, Model string
}

// EventName is "cooldown_ended".
func (*CooldownEnded) EventName() string { return "cooldown_ended" }

// DeploymentUnavailable: New could not build a deployment (a missing key
// or other environment setting); the deployment never takes a call. Sent
// once, from New.
type DeploymentUnavailable struct {
	// At is when New found it.
	At time.Time
	// Group, Deployment and Model identify the deployment.
	Group, Deployment, Model string
	// Err is the build failure (an *llm.Error, usually
	// llm.ErrAuthentication naming the missing variable).
	Err error
}

// EventName is "deployment_unavailable".
func (*DeploymentUnavailable) EventName() string { return "deployment_unavailable" }

// BudgetReached: a spend crossed a budget's limit; calls that need the
// budget fail with llm.ErrBudgetExceeded until the window resets. Sent
// once per budget window.
type BudgetReached struct {
	// At is when the spend crossed the limit.
	At time.Time
	// Scope is "router" or "provider <name>".
	Scope string
	// Spent and Limit are in US dollars.
	Spent, Limit float64
	// ResetIn is the time until the window resets; 0 if it never does.
	ResetIn time.Duration
}

// EventName is "budget_reached".
func (*BudgetReached) EventName() string { return "budget_reached" }

// FallbackTaken: a call moved from a group that could not answer to a
// fallback group.
type FallbackTaken struct {
	// At is when the call moved on.
	At time.Time
	// From is the group that failed, To the fallback group tried next.
	From, To string
	// Depth is To's position in the fallback chain (1 for the first).
	Depth int
	// Err is why From failed.
	Err error
}

// EventName is "fallback_taken".
func (*FallbackTaken) EventName() string { return "fallback_taken" }

// emit delivers e to every service callback.
func (r *Router) emit(ctx context.Context, e Event) {
	for _, cb := range r.services {
		cb(ctx, e)
	}
}

// cooldownStarted reports a cooldown and arms the timer that reports its
// end. Called without the group's lock.
func (r *Router) cooldownStarted(ctx context.Context, g *group, d *deployment, ev *CooldownStarted) {
	r.emit(ctx, ev)
	until := ev.Until
	r.clock.AfterFunc(until.Sub(ev.At), func() {
		g.mu.Lock()
		ended := d.cooldownUntil.Equal(until)
		g.mu.Unlock()
		if ended {
			r.emit(context.Background(), &CooldownEnded{At: until, Group: d.group, Deployment: d.id, Model: d.modelName})
		}
	})
}
