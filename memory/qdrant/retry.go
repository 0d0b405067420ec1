package qdrant

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// call runs fn, retrying transient failures (Unavailable,
// DeadlineExceeded) with exponential backoff and full jitter. It stops
// when the context ends, when the retries are used up, or when the next
// delay would pass the context's deadline; the error then wraps
// ErrUnavailable and the last failure. Every attempt counts as one round
// trip in s.trips.
//
// Each attempt holds s.mu for reading and is cancelled by Close, which
// takes s.mu for writing before closing the client: the client is never
// used while or after it closes.
func (s *Store) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	delay := s.cfg.RetryBase
	for attempt := 1; ; attempt++ {
		err := s.attempt(ctx, fn)
		if err == nil {
			return nil
		}
		if errors.Is(err, memory.ErrClosed) {
			return fmt.Errorf("qdrant: %s: %w", op, err)
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
		case <-s.stop.Done():
			t.Stop()
			return fmt.Errorf("qdrant: %s: %w (last error: %v)", op, memory.ErrClosed, err)
		case <-t.C:
		}
		delay = min(2*delay, s.cfg.RetryMax)
	}
}

func (s *Store) attempt(ctx context.Context, fn func(ctx context.Context) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed.Load() {
		return memory.ErrClosed
	}
	var cancel context.CancelFunc
	if s.cfg.CallTimeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, s.cfg.CallTimeout)
	} else {
		ctx, cancel = context.WithCancel(ctx)
	}
	defer cancel()
	stop := context.AfterFunc(s.stop, cancel)
	defer stop()
	s.trips.Add(1)
	err := fn(ctx)
	if err != nil && s.closed.Load() {
		return fmt.Errorf("%w (call aborted: %v)", memory.ErrClosed, err)
	}
	return err
}
