package router

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// abandonGrace is how long the Router still waits, once an attempt's
// context ended, for the Completer to return on its own (with its own
// error and partial usage) before abandoning the call.
const abandonGrace = 10 * time.Millisecond

// background tracks attempts whose Completer ignored the end of its
// context: the Router returned to its caller without them and they run
// on in their goroutines until the Completer returns.
type background struct {
	total atomic.Int64

	mu      sync.Mutex
	running int
	idle    chan struct{} // closed when running drops to 0
}

func (b *background) start() {
	b.total.Add(1)
	b.mu.Lock()
	b.running++
	b.mu.Unlock()
}

func (b *background) done() {
	b.mu.Lock()
	b.running--
	if b.running == 0 && b.idle != nil {
		close(b.idle)
		b.idle = nil
	}
	b.mu.Unlock()
}

// Abandoned reports the attempts the Router stopped waiting for because
// their Completer did not return when the attempt's context ended (the
// call's deadline, Config.Timeout, the deployment's Timeout or a stream
// timeout): total since New, and how many are still running. An abandoned
// attempt's late result is dropped (its cost still counts toward the
// budgets) and it keeps its deployment's in-flight slot until it returns.
// It still reads the request it was given: a caller should not change the
// request's messages in place while attempts are running.
func (r *Router) Abandoned() (total, running int) {
	r.bg.mu.Lock()
	defer r.bg.mu.Unlock()
	return int(r.bg.total.Load()), r.bg.running
}

// Drain waits until every abandoned attempt has returned, or ctx ends
// (then it returns ctx's error). A program that shuts down, or a test
// that checks for leaked goroutines, calls it after its last call.
func (r *Router) Drain(ctx context.Context) error {
	r.bg.mu.Lock()
	if r.bg.running == 0 {
		r.bg.mu.Unlock()
		return nil
	}
	if r.bg.idle == nil {
		r.bg.idle = make(chan struct{})
	}
	idle := r.bg.idle
	r.bg.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type invokeResult struct {
	resp  *llm.Response
	err   error
	panic any
}

// invoke calls d's Completer. An attempt that can end (its context has a
// Done channel) runs in its own goroutine so that the Router returns when
// the context ends even if the Completer ignores it: after abandonGrace
// the call is abandoned (abandoned is true and err the context's cause) and
// the goroutine drops the result when the Completer finally returns.
func (r *Router) invoke(ctx context.Context, g *group, d *deployment, req *llm.Request) (*llm.Response, bool, error) {
	if ctx.Done() == nil {
		// nothing can end this attempt: no goroutine needed
		resp, err := d.model.Complete(ctx, req)
		return resp, false, err
	}
	var state atomic.Int32 // 0 running, 1 returned, 2 abandoned
	done := make(chan invokeResult, 1)
	go func() {
		var res invokeResult
		defer func() {
			if p := recover(); p != nil {
				res = invokeResult{panic: p}
			}
			if state.CompareAndSwap(0, 1) {
				done <- res
				return
			}
			// abandoned: the caller is gone; drop the answer but keep
			// the books (its cost, the deployment's slot)
			if res.panic != nil {
				r.logger.Error("router: abandoned model call panicked", "deployment", d.id, "model", d.modelName,
					"panic", fmt.Sprint(res.panic))
			}
			now := r.clock.Now()
			if res.resp != nil {
				r.spend(context.Background(), d, now, d.cost(res.resp.Usage, res.resp.Cost))
			}
			g.mu.Lock()
			d.inFlight--
			r.signalLocked(g)
			g.mu.Unlock()
			r.bg.done()
		}()
		res.resp, res.err = d.model.Complete(ctx, req)
	}()
	var res invokeResult
	select {
	case res = <-done:
	case <-ctx.Done():
		t := time.NewTimer(abandonGrace)
		select {
		case res = <-done:
			t.Stop()
		case <-t.C:
			r.bg.start()
			if !state.CompareAndSwap(0, 2) {
				// it returned just now after all
				r.bg.done()
				res = <-done
				break
			}
			return nil, true, context.Cause(ctx)
		}
	}
	if res.panic != nil {
		panic(res.panic)
	}
	return res.resp, false, res.err
}
