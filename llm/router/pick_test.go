package router

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// Pick says which deployment would serve now (LiteLLM's
// get_available_deployment), without calling or reserving it.
func TestPick(t *testing.T) {
	clk := newFakeClock()
	a := script("a", httpErr(llm.ErrAuthentication, 401), nil)
	b := okModel("b", "from b")
	da, db := dep("p", "a", a), dep("p", "b", b)
	da.Order, db.Order = 1, 2
	dl := dep("limited", "l", okModel("l", "x"))
	dl.RPM = 1
	t.Setenv("ANTHROPIC_API_KEY", "")
	cfg := Config{Deployments: []Deployment{da, db, dl,
		{Group: "nokey", ID: "claude", Params: llm.Params{Model: "claude-sonnet-4-5"}},
		dep("f", "f", okModel("f", "from f"))},
		Fallbacks: map[string][]string{"nokey": {"f"}}}
	r := newRouter(t, cfg, clk, WithLogger(slog.New(slog.DiscardHandler)))
	ctx := context.Background()

	st, err := r.Pick(ctx, userReq("p", "hi"))
	if err != nil || st.ID != "a" || st.Group != "p" {
		t.Fatalf("Pick = %+v %v, want a (order 1)", st, err)
	}
	if a.Calls() != 0 || r.Status()[0].InFlight != 0 || r.Status()[0].RPM != 0 {
		t.Fatalf("Pick called or reserved: calls %d status %+v", a.Calls(), r.Status()[0])
	}
	// a fails with 401 and is cooled down: now b would serve
	if resp, err := r.Complete(ctx, userReq("p", "hi")); err != nil || resp.Deployment != "b" {
		t.Fatalf("call: %+v %v", resp, err)
	}
	if st, err := r.Pick(ctx, userReq("p", "hi")); err != nil || st.ID != "b" {
		t.Fatalf("Pick while a cools down = %+v %v, want b", st, err)
	}
	clk.Advance(DefaultCooldownTime)
	if st, err := r.Pick(ctx, userReq("p", "hi")); err != nil || st.ID != "a" {
		t.Fatalf("Pick after the cooldown = %+v %v, want a", st, err)
	}

	// an unavailable group: its fallback would serve
	if st, err := r.Pick(ctx, userReq("nokey", "hi")); err != nil || st.ID != "f" || st.Group != "f" {
		t.Fatalf("Pick of a group without its key = %+v %v, want the fallback f", st, err)
	}
	_, err = r.Pick(WithCallOptions(ctx, CallOptions{DisableFallbacks: true}), userReq("nokey", "hi"))
	if !errors.Is(err, llm.ErrAuthentication) || !errors.Is(err, ErrDeploymentUnavailable) {
		t.Fatalf("Pick without fallbacks: %v", err)
	}

	// at its rpm limit: the error a call would get, with the wait
	if _, err := r.Complete(ctx, userReq("limited", "hi")); err != nil {
		t.Fatal(err)
	}
	_, err = r.Pick(ctx, userReq("limited", "hi"))
	var e *llm.Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNoDeployments) || e.Kind != llm.ErrRateLimit || e.RetryAfter <= 0 || e.RetryAfter > time.Minute {
		t.Fatalf("Pick at the rpm limit: %v", err)
	}
	if _, err := r.Pick(ctx, userReq("nosuch", "hi")); !errors.Is(err, ErrUnknownGroup) {
		t.Fatalf("unknown group: %v", err)
	}
}
