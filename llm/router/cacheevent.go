package router

import "time"

// CacheHit: a call was answered from the response cache (Config.Cache)
// without calling a provider, so no attempt callback saw it.
type CacheHit struct {
	// At is when the cached answer was found.
	At time.Time
	// Group is the model group the call asked for.
	Group string
	// Model is the model string that produced the cached answer.
	Model string
}

// EventName is "cache_hit".
func (*CacheHit) EventName() string { return "cache_hit" }
