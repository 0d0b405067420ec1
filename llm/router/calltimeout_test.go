package router

import (
	"context"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// slowModel answers after d, or fails when its context ends first.
func slowModel(d time.Duration) *fake {
	return &fake{fn: func(ctx context.Context, _ *llm.Request, _ int) (*llm.Response, error) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return reply("slow but fine"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}}
}

// Issue 17.10: a caller's own short timeout (Request.Timeout 5ms against a
// healthy 20ms deployment; 1.5s here, to stay clear of a loaded machine)
// cooled the shared deployment down and failed the
// next normal caller. Only failures attributable to the deployment count.
func TestCallerTimeoutDoesNotCoolDeployment(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		ctx  func() (context.Context, context.CancelFunc)
		req  func(*llm.Request)
	}{
		{name: "Request.Timeout", req: func(r *llm.Request) { r.Timeout = 5 * time.Millisecond }},
		{name: "Config.Timeout", cfg: func(c *Config) { c.Timeout = 5 * time.Millisecond }},
		{name: "context deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 5*time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The model takes far longer than the callers' 5 ms, so a late
			// timer on a loaded machine cannot let a short call succeed.
			a := slowModel(1500 * time.Millisecond)
			cfg := Config{Deployments: []Deployment{dep("g", "a", a), dep("g", "b", slowModel(1500*time.Millisecond))},
				AllowedFails: Int(0), Strategy: LatencyBased}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			r := newRouter(t, cfg, nil)
			for i := 0; i < 6; i++ {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tc.ctx != nil {
					ctx, cancel = tc.ctx()
				}
				req := userReq("g", "hi")
				if tc.req != nil {
					tc.req(req)
				}
				_, err := r.Complete(ctx, req)
				cancel()
				if errKind(err) != llm.ErrTimeout {
					t.Fatalf("short call %d: %v, want a timeout", i, err)
				}
			}
			for _, s := range r.Status() {
				if !s.CooldownUntil.IsZero() || s.Failures != 0 || s.Latency != 0 {
					t.Fatalf("%s after callers' timeouts: %+v", s.ID, s)
				}
			}
			r.cfg.Timeout = 0
			if resp, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil || resp.Message.Content != "slow but fine" {
				t.Fatalf("normal caller: %+v %v", resp, err)
			}
		})
	}
	t.Run("the deployment's own timeout still counts", func(t *testing.T) {
		d := dep("g", "a", slowModel(50*time.Millisecond))
		d.Timeout = 5 * time.Millisecond
		r := newRouter(t, Config{Deployments: []Deployment{d, dep("g", "b", okModel("b", "fine"))}, AllowedFails: Int(0),
			NumRetries: Int(0), Strategy: LeastBusy}, nil, WithRand(seqRand(0.99)))
		if _, err := r.Complete(context.Background(), userReq("g", "hi")); errKind(err) != llm.ErrTimeout {
			t.Fatalf("err %v", err)
		}
		if !cooling(r, "a") {
			t.Fatal("a deployment past its own timeout is not cooled down")
		}
	})
}
