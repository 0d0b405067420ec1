package llm

import (
	"context"
	"math/rand/v2"
	"time"
)

// The retry policy shared by a single Model (WithRetries) and the Router of
// package llm/router: which failures are retried, how many times per kind,
// and how long to wait.

// MaxRetryAfter is the longest Retry-After a retry waits for; a provider
// asking for longer ends the retries (the caller, or a Router's fallbacks,
// can do better than wait).
const MaxRetryAfter = 60 * time.Second

// Retryable reports whether a failure is worth another attempt by default:
// HTTP 408, 409, 429 and >= 500, failures without an HTTP response
// (connection errors, timeouts), and the kinds rate limit, timeout,
// internal server, bad gateway, service unavailable, connection and API.
// A stream interrupted after output reached the caller and an exhausted
// budget are never retried.
func Retryable(e *Error) bool {
	if e == nil || e.Kind == ErrStreamInterrupted || e.Kind == ErrBudgetExceeded {
		return false
	}
	switch e.StatusCode {
	case 408, 409, 429:
		return true
	case 0:
	default:
		if e.StatusCode >= 500 {
			return true
		}
	}
	switch e.Kind {
	case ErrRateLimit, ErrTimeout, ErrInternalServer, ErrBadGateway,
		ErrServiceUnavailable, ErrAPIConnection, ErrAPI:
		return true
	}
	return false
}

// PolicyFor looks kind k up in a per-kind retry (or allowed-fails) policy,
// as LiteLLM's RetryPolicy: the kind itself, then its parent; BadGateway and
// ServiceUnavailable fall back to InternalServer. ok is false when the
// policy says nothing about k.
func PolicyFor(p map[Kind]int, k Kind) (n int, ok bool) {
	if len(p) == 0 {
		return 0, false
	}
	for c := k; c != ""; c = c.Parent() {
		if n, ok := p[c]; ok {
			return n, true
		}
	}
	if k == ErrBadGateway || k == ErrServiceUnavailable {
		n, ok := p[ErrInternalServer]
		return n, ok
	}
	return 0, false
}

// Backoff returns the wait before retry number n+1 (n counts from 0) after
// failure e: the provider's Retry-After when it sent one, else 0.5 s * 2^n
// capped at 8 s, half of it fixed and half random (rnd returns [0, 1); nil
// uses math/rand/v2); never less than floor. ok is false when the provider
// asked to wait longer than MaxRetryAfter: the caller should stop retrying.
func Backoff(e *Error, n int, floor time.Duration, rnd func() float64) (wait time.Duration, ok bool) {
	var w time.Duration
	switch {
	case e != nil && e.RetryAfter > MaxRetryAfter:
		return 0, false
	case e != nil && e.RetryAfter > 0:
		w = e.RetryAfter
	default:
		base := 500 * time.Millisecond << min(max(n, 0), 5)
		if base > 8*time.Second {
			base = 8 * time.Second
		}
		if rnd == nil {
			rnd = rand.Float64
		}
		w = base/2 + time.Duration(rnd()*float64(base/2))
	}
	return max(w, floor), true
}

// retryConfig is a Model's own retry policy (WithRetries).
type retryConfig struct {
	n      int
	policy map[Kind]int
	floor  time.Duration
	sleep  func(ctx context.Context, d time.Duration) error
	rnd    func() float64
}

// retries is how many retries failure e allows.
func (rc *retryConfig) retries(e *Error) int {
	if e.Kind == ErrStreamInterrupted || e.Kind == ErrBudgetExceeded || e.Kind == ErrNotFound {
		return 0
	}
	if n, ok := PolicyFor(rc.policy, e.Kind); ok {
		return n
	}
	if !Retryable(e) {
		return 0
	}
	return rc.n
}

// SleepContext waits d, or until ctx ends (then it returns ctx.Err()). A
// d of zero or less returns at once. Package router waits this way too.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// WithRetries makes the model retry a failed call up to n times, as
// LiteLLM's completion(max_retries=n) does, with the Router's rules: only
// failures Retryable says are transient (rate limits, timeouts, server and
// connection errors; never bad requests, authentication, not found, or a
// stream that already delivered output), waiting the provider's Retry-After
// when it sent one (giving up when it is over MaxRetryAfter) or an
// exponential backoff with jitter otherwise, and never past the context's
// deadline. Every attempt runs the callbacks, with CallInfo.Attempt and
// Wait set; Response.Attempts counts them. Without this option a Model
// never retries.
func WithRetries(n int) Option {
	return func(c *config) {
		if c.retry == nil {
			c.retry = &retryConfig{}
		}
		c.retry.n = max(n, 0)
	}
}

// WithRetryPolicy sets the retries per error kind (LiteLLM's RetryPolicy,
// e.g. {llm.ErrRateLimit: 5, llm.ErrContextWindowExceeded: 0}); kinds it
// does not name use WithRetries' count. Looked up with PolicyFor.
func WithRetryPolicy(p map[Kind]int) Option {
	return func(c *config) {
		if c.retry == nil {
			c.retry = &retryConfig{}
		}
		c.retry.policy = p
	}
}

// WithRetryAfter sets the minimum wait before a retry (LiteLLM's
// retry_after).
func WithRetryAfter(d time.Duration) Option {
	return func(c *config) {
		if c.retry == nil {
			c.retry = &retryConfig{}
		}
		c.retry.floor = d
	}
}

// WithRetrySleep replaces how the model waits between retries (a fake
// clock in tests); sleep must return early with ctx's error when ctx ends.
// rnd, when not nil, replaces the backoff's random source.
func WithRetrySleep(sleep func(ctx context.Context, d time.Duration) error, rnd func() float64) Option {
	return func(c *config) {
		if c.retry == nil {
			c.retry = &retryConfig{}
		}
		c.retry.sleep, c.retry.rnd = sleep, rnd
	}
}
