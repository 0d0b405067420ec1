package router

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// Clock is the Router's source of time. The default is the system clock;
// tests inject a fake one with WithClock so that backoffs, cooldowns and
// per-minute windows are deterministic.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits d or until ctx is done, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
	// AfterFunc calls f in its own goroutine after d; stop cancels it and
	// reports whether it did so before f started.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type systemClock struct{}

// Now returns the system time.
func (systemClock) Now() time.Time { return time.Now() }

// Sleep waits on a timer or the context.
func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	return llm.SleepContext(ctx, d)
}

// AfterFunc uses time.AfterFunc.
func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Option configures a Router beyond its Config.
type Option func(*options)

type options struct {
	clock  Clock
	rand   func() float64
	logger *slog.Logger
}

// WithLogger sets where the Router logs what it reports once, such as a
// deployment that could not be built (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithClock sets the Router's clock.
func WithClock(c Clock) Option { return func(o *options) { o.clock = c } }

// WithRand sets the Router's source of randomness: f returns a float in
// [0, 1). The Router serialises its calls to f.
func WithRand(f func() float64) Option { return func(o *options) { o.rand = f } }

// lockedRand serialises an injected random source.
type lockedRand struct {
	mu sync.Mutex
	f  func() float64
}

func (l *lockedRand) float() float64 {
	if l.f == nil {
		return rand.Float64()
	}
	l.mu.Lock()
	v := l.f()
	l.mu.Unlock()
	if v < 0 || v >= 1 {
		v = 0
	}
	return v
}

// intn returns a random int in [0, n).
func (l *lockedRand) intn(n int) int {
	if n <= 1 {
		return 0
	}
	i := int(l.float() * float64(n))
	if i >= n {
		i = n - 1
	}
	return i
}
