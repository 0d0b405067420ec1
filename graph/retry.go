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
	// RetryIf decides which errors are retried (default DefaultRetryIf).
	// Panics, interrupts, ErrNoCheckpointer and the run's own cancellation
	// are never retried, whatever RetryIf says.
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
	var pc *parentCommand
	if errors.As(err, &pe) || isInterrupt(err) || errors.Is(err, ErrNoCheckpointer) || errors.As(err, &pc) {
		return false
	}
	if p.RetryIf != nil {
		return p.RetryIf(err)
	}
	return DefaultRetryIf(err)
}

// DefaultRetryIf is the retry filter of a RetryPolicy without RetryIf. It
// is conservative: it retries only failures that are likely to pass on a
// second try, and never programming errors. Retried are
//   - a node's own timeout (*TimeoutError) and a deadline inside the node
//     (an error matching context.DeadlineExceeded while the run goes on);
//   - an error marked with Retryable;
//   - an error with a Timeout() bool or Temporary() bool method that
//     returns true (net.Error, and the transient kinds of package llm:
//     rate limits, timeouts, connection failures, 5xx responses).
//
// Everything else fails the node at once: bad input, bad requests,
// authentication, panics, context.Canceled, ErrNoCheckpointer.
func DefaultRetryIf(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var re *retryableError
	if errors.As(err, &re) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var to interface{ Timeout() bool }
	if errors.As(err, &to) && to.Timeout() {
		return true
	}
	var tmp interface{ Temporary() bool }
	if errors.As(err, &tmp) && tmp.Temporary() {
		return true
	}
	return false
}

// Retryable marks err as transient, so DefaultRetryIf retries it. It
// returns nil for nil; the result unwraps to err.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryableError{err: err}
}

type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

func SleepContext(ctx context.Context, d time.Duration) error {
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
