package router

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// A call whose timeout ends while it waits for a free slot returns a
// timeout error that errors.Is and errors.As can walk safely.
func TestCallTimeoutWhileWaitingForASlot(t *testing.T) {
	hold := make(chan struct{})
	entered := make(chan struct{}, 1)
	slow := &fake{fn: func(ctx context.Context, req *llm.Request, _ int) (*llm.Response, error) {
		entered <- struct{}{}
		<-hold
		return reply("late"), nil
	}}
	d := dep("g", "a", slow)
	d.MaxParallelRequests = 1
	r := newRouter(t, Config{Deployments: []Deployment{d}}, nil)
	done := make(chan error, 1)
	go func() {
		_, err := r.Complete(context.Background(), userReq("g", "first"))
		done <- err
	}()
	<-entered
	req := userReq("g", "second")
	req.Timeout = 20 * time.Millisecond
	_, err := r.Complete(context.Background(), req)
	close(hold)
	if err := <-done; err != nil {
		t.Fatalf("first call: %v", err)
	}
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrTimeout {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, llm.ErrRateLimit) || errors.Is(err, ErrNoDeployments) {
		t.Fatalf("errors.Is chain wrong for %v", err)
	}
}
