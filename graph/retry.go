package graph

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// RetryPolicy says how a node's failed attempts are retried. Zero fields take
// the defaults noted on them.
type RetryPolicy struct {
	// MaxAttempts is the total number of attempts, the first included
	// (default 3).
	MaxAttempts int
	// InitialInterval is the wait before the second attempt (default 500ms).
	InitialInterval time.Duration
	// Multiplier grows the wait after every attempt (default 2).
	Multiplier float64
	// MaxInterval caps the wait (default 128s).
	MaxInterval time.Duration
	// Jitter randomises each wait by up to this fraction of it, in [0, 1]
	// (default 0: no jitter).
	Jitter float64
	// RetryIf decides which errors are retried. The default retries every
	// error except panics, interrupts and cancellation of the run.
	RetryIf func(error) bool
}

func (p *RetryPolicy) attempts() int {
	if p.MaxAttempts <= 0 {
		return 3
	}
	return p.MaxAttempts
}

// Backoff returns the wait before attempt number attempt+1 (attempt >= 1),
// before jitter.
func (p *RetryPolicy) Backoff(attempt int) time.Duration {
	d := p.InitialInterval
	if d <= 0 {
		d = 500 * time.Millisecond
	}
	m := p.Multiplier
	if m <= 0 {
		m = 2
	}
	maxI := p.MaxInterval
	if maxI <= 0 {
		maxI = 128 * time.Second
	}
	f := float64(d)
	for i := 1; i < attempt; i++ {
		f *= m
		if f >= float64(maxI) {
			return maxI
		}
	}
	if time.Duration(f) > maxI {
		return maxI
	}
	return time.Duration(f)
}

func (p *RetryPolicy) wait(attempt int) time.Duration {
	d := p.Backoff(attempt)
	if p.Jitter > 0 {
		j := p.Jitter
		if j > 1 {
			j = 1
		}
		d = time.Duration(float64(d) * (1 - j + 2*j*rand.Float64()))
	}
	return d
}

func (p *RetryPolicy) retryable(err error) bool {
	var pe *PanicError
	if errors.As(err, &pe) || isInterrupt(err) {
		return false
	}
	if p.RetryIf != nil {
		return p.RetryIf(err)
	}
	return !errors.Is(err, context.Canceled)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
