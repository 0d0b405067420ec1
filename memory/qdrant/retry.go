package qdrant

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// call runs fn, retrying transient failures (Unavailable,
// DeadlineExceeded) with exponential backoff and full jitter. It stops
// when the context ends, when the retries are used up, or when the next
// delay would pass the context's deadline; the error then wraps
// ErrUnavailable and the last failure. Every call counts as one round
// trip in s.trips.
func (s *Store) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	delay := s.cfg.RetryBase
	for attempt := 1; ; attempt++ {
		actx, cancel := ctx, context.CancelFunc(func() {})
		if s.cfg.CallTimeout > 0 {
			actx, cancel = context.WithTimeout(ctx, s.cfg.CallTimeout)
		}
		s.trips.Add(1)
		err := fn(actx)
		cancel()
		if err == nil {
			return nil
		}
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("qdrant: %s: %w (last error: %v)", op, cerr, err)
		}
		if !transient(err) {
			return fmt.Errorf("qdrant: %s: %w", op, err)
		}
		if attempt > s.cfg.MaxRetries {
			return fmt.Errorf("qdrant: %s: %w after %d attempts: %w", op, ErrUnavailable, attempt, err)
		}
		// full jitter in [delay/2, delay]
		d := delay/2 + rand.N(delay/2+1)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return fmt.Errorf("qdrant: %s: %w: next retry in %v would pass the deadline (after %d attempts): %w", op, ErrUnavailable, d, attempt, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("qdrant: %s: %w (last error: %v)", op, ctx.Err(), err)
		case <-t.C:
		}
		delay = min(2*delay, s.cfg.RetryMax)
	}
}
