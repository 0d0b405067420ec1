package router

import (
	"time"

	"github.com/jedisos/jedisos/llm"
)

// CooldownObserver is implemented by a callback in Config.Callbacks that
// wants to know when the router cools a deployment down (package
// telemetry counts them). The router finds such callbacks once, in New.
//
// OnCooldown is called with the deployment's group locked, right after the
// failure that cooled it: it must be quick and must not call the Router.
type CooldownObserver interface {
	OnCooldown(info CooldownInfo)
}

// CooldownInfo describes one cooldown.
type CooldownInfo struct {
	// Group, Deployment, Model and Provider identify the deployment.
	Group, Deployment, Model, Provider string
	// Until is when the deployment is used again; Duration is how long
	// that is from the failure.
	Until    time.Time
	Duration time.Duration
	// Kind and StatusCode classify the failure that cooled it.
	Kind       llm.Kind
	StatusCode int
}

func cooldownObservers(cbs llm.Callbacks) []CooldownObserver {
	var out []CooldownObserver
	for _, cb := range cbs {
		if o, ok := cb.(CooldownObserver); ok {
			out = append(out, o)
		}
	}
	return out
}

// notifyCooldown tells the observers about d's cooldown. Caller holds
// g.mu; a panicking observer is ignored.
func (r *Router) notifyCooldown(g *group, d *deployment, e *llm.Error, now time.Time, ttl time.Duration) {
	info := CooldownInfo{Group: g.name, Deployment: d.id, Model: d.modelName, Provider: d.provider,
		Until: now.Add(ttl), Duration: ttl, Kind: e.Kind, StatusCode: e.StatusCode}
	for _, o := range r.cooldownObs {
		func() {
			defer func() { _ = recover() }()
			o.OnCooldown(info)
		}()
	}
}
