package router

import (
	"sync"
	"time"
)

// budgetState tracks spend over fixed windows of period, aligned to the
// first spend. limit 0 means unlimited (spend is still tracked).
type budgetState struct {
	limit  float64
	period time.Duration

	mu    sync.Mutex
	start time.Time
	spent float64
}

// roll starts a new window when the current one is over. Caller holds mu.
func (b *budgetState) roll(now time.Time) {
	if b.start.IsZero() {
		b.start = now
		return
	}
	if b.period > 0 && !now.Before(b.start.Add(b.period)) {
		n := now.Sub(b.start) / b.period
		b.start = b.start.Add(n * b.period)
		b.spent = 0
	}
}

// current returns the spend of the current window and the time to its end
// (0 when the budget never resets).
func (b *budgetState) current(now time.Time) (float64, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	var reset time.Duration
	if b.period > 0 {
		reset = b.start.Add(b.period).Sub(now)
	}
	return b.spent, reset
}

// exceeded reports whether the budget is used up.
func (b *budgetState) exceeded(now time.Time) (spent float64, resetIn time.Duration, over bool) {
	if b.limit <= 0 {
		return 0, 0, false
	}
	spent, resetIn = b.current(now)
	return spent, resetIn, b.limit > 0 && spent >= b.limit
}

// add adds cost; reached reports whether this spend crossed the limit
// (once per window), with the spend and the time to the window's end.
func (b *budgetState) add(now time.Time, cost float64) (reached bool, spent float64, resetIn time.Duration) {
	if cost <= 0 {
		return false, 0, 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	before := b.spent
	b.spent += cost
	if b.limit > 0 && before < b.limit && b.spent >= b.limit {
		if b.period > 0 {
			resetIn = b.start.Add(b.period).Sub(now)
		}
		return true, b.spent, resetIn
	}
	return false, b.spent, 0
}
