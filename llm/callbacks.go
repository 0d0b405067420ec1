package llm

import (
	"context"
	"time"
)

// CallInfo describes one provider attempt to callbacks.
type CallInfo struct {
	// Group is the Router model group called, "" outside a Router.
	Group string
	// Deployment is the Router deployment id, "" outside a Router.
	Deployment string
	// Model is the model string of the attempt.
	Model string
	// Provider is the provider name.
	Provider string
	// Attempt counts attempts of one routed call from 1.
	Attempt int
	// FallbackDepth is 0 for the requested group, 1 for the first fallback...
	FallbackDepth int
	// Wait is how long the Router waited before this attempt.
	Wait time.Duration
	// Request is the request; an input callback may modify it.
	Request *Request
	// Start is when the attempt started; End is set for success and failure.
	Start, End time.Time
}

// Callback observes calls. Input runs before the call and may modify
// info.Request or reject the call by returning an error. The others observe.
// Several callbacks run in order; a panicking callback never breaks the call.
//
// Every OnInput is matched by exactly one OnSuccess or OnFailure with the
// same info, so a callback may open something in OnInput (a span, a
// timer) and close it there: when an input callback rejects the call, the
// callbacks before it and the rejecting one get OnFailure with the call's
// error, and the callbacks after it are not called at all. This holds for
// a single model and for each attempt of a Router.
type Callback interface {
	OnInput(ctx context.Context, info *CallInfo) error
	OnSuccess(ctx context.Context, info *CallInfo, resp *Response)
	OnFailure(ctx context.Context, info *CallInfo, err error)
	OnStream(ctx context.Context, info *CallInfo, c Chunk)
}

// CallbackFuncs adapts optional functions to a Callback; nil fields do nothing.
type CallbackFuncs struct {
	Input   func(ctx context.Context, info *CallInfo) error
	Success func(ctx context.Context, info *CallInfo, resp *Response)
	Failure func(ctx context.Context, info *CallInfo, err error)
	Stream  func(ctx context.Context, info *CallInfo, c Chunk)
}

// OnInput calls f.Input if set.
func (f CallbackFuncs) OnInput(ctx context.Context, info *CallInfo) error {
	if f.Input != nil {
		return f.Input(ctx, info)
	}
	return nil
}

// OnSuccess calls f.Success if set.
func (f CallbackFuncs) OnSuccess(ctx context.Context, info *CallInfo, resp *Response) {
	if f.Success != nil {
		f.Success(ctx, info, resp)
	}
}

// OnFailure calls f.Failure if set.
func (f CallbackFuncs) OnFailure(ctx context.Context, info *CallInfo, err error) {
	if f.Failure != nil {
		f.Failure(ctx, info, err)
	}
}

// OnStream calls f.Stream if set.
func (f CallbackFuncs) OnStream(ctx context.Context, info *CallInfo, c Chunk) {
	if f.Stream != nil {
		f.Stream(ctx, info, c)
	}
}
