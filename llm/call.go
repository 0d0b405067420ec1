package llm

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Callbacks runs several callbacks in order. A panicking callback is
// recovered and skipped: it never breaks the call or the callbacks after it.
type Callbacks []Callback

// Input runs every OnInput in order and stops at the first error, which it
// returns. A panic in a callback is recovered and ignored.
func (cs Callbacks) Input(ctx context.Context, info *CallInfo) error {
	for _, c := range cs {
		if err := safeInput(ctx, c, info); err != nil {
			return err
		}
	}
	return nil
}

// Begin runs every OnInput in order, like Input. When one returns an
// error, Begin stops there and returns it together with the callbacks whose
// OnInput ran, the rejecting one included (ran is nil otherwise). The
// caller ends the rejected call for exactly those with ran.Failure, so
// that each OnInput gets its OnFailure and the callbacks after the
// rejecting one see nothing of the call.
func (cs Callbacks) Begin(ctx context.Context, info *CallInfo) (ran Callbacks, err error) {
	for i, c := range cs {
		if err := safeInput(ctx, c, info); err != nil {
			return cs[:i+1], err
		}
	}
	return nil, nil
}

func safeInput(ctx context.Context, c Callback, info *CallInfo) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = nil
		}
	}()
	return c.OnInput(ctx, info)
}

// Success runs every OnSuccess in order.
func (cs Callbacks) Success(ctx context.Context, info *CallInfo, resp *Response) {
	for _, c := range cs {
		func() {
			defer func() { _ = recover() }()
			c.OnSuccess(ctx, info, resp)
		}()
	}
}

// Failure runs every OnFailure in order.
func (cs Callbacks) Failure(ctx context.Context, info *CallInfo, err error) {
	for _, c := range cs {
		func() {
			defer func() { _ = recover() }()
			c.OnFailure(ctx, info, err)
		}()
	}
}

// Stream runs every OnStream in order.
func (cs Callbacks) Stream(ctx context.Context, info *CallInfo, ch Chunk) {
	for _, c := range cs {
		func() {
			defer func() { _ = recover() }()
			c.OnStream(ctx, info, ch)
		}()
	}
}

// ErrRejected is wrapped by the error a call returns when an input
// callback rejects it: errors.Is(err, ErrRejected) holds, and so does
// errors.Is with the callback's own error.
var ErrRejected = errors.New("rejected by an input callback")

type rejection struct{ err error }

func (r *rejection) Error() string   { return ErrRejected.Error() + ": " + r.err.Error() }
func (r *rejection) Unwrap() []error { return []error{ErrRejected, r.err} }

// caller holds what every Completer of this package shares: naming,
// prices, callbacks, timeout and redaction.
type caller struct {
	provider  string
	model     string
	info      ModelInfo
	hasInfo   bool
	costKnown bool // hasInfo, or a local model, which is free
	callbacks Callbacks
	timeout   time.Duration
	red       *redactor
	retry     *retryConfig // nil: no retries
}

// run makes the call, retrying failures as the retry policy allows.
func (c *caller) run(ctx context.Context, req *Request, do func(context.Context, *Request) (*Response, error)) (*Response, error) {
	start := time.Now()
	if c.retry == nil {
		return c.once(ctx, req, do, 1, 0, start)
	}
	sleep := c.retry.sleep
	if sleep == nil {
		sleep = SleepContext
	}
	var wait time.Duration
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, req, do, attempt, wait, start)
		if err == nil {
			return resp, nil
		}
		e, ok := err.(*Error)
		if !ok || attempt-1 >= c.retry.retries(e) {
			return nil, err
		}
		w, ok := Backoff(e, attempt-1, c.retry.floor, c.retry.rnd)
		if !ok {
			return nil, err
		}
		if dl, has := ctx.Deadline(); has && !time.Now().Add(w).Before(dl) {
			return nil, err // the wait would outlast the caller's deadline
		}
		if sleep(ctx, w) != nil {
			return nil, err
		}
		wait = w
	}
}

// once wraps one provider call with input callbacks, the timeout, error
// classification, cost, latency (since callStart) and the success/failure
// callbacks.
func (c *caller) once(ctx context.Context, req *Request, do func(context.Context, *Request) (*Response, error), attempt int, wait time.Duration, callStart time.Time) (*Response, error) {
	if req == nil {
		return nil, &Error{Kind: ErrBadRequest, Provider: c.provider, Model: c.model, Message: "nil request"}
	}
	start := time.Now()
	var info *CallInfo
	if len(c.callbacks) > 0 {
		r := *req
		info = &CallInfo{Model: c.model, Provider: c.provider, Attempt: attempt, Wait: wait, Request: &r, Start: start}
		if ran, err := c.callbacks.Begin(ctx, info); err != nil {
			e := &Error{Kind: ErrBadRequest, Provider: c.provider, Model: c.model,
				Message: c.red.scrub((&rejection{err}).Error()), Err: &rejection{err}}
			info.End = time.Now()
			ran.Failure(ctx, info, e)
			return nil, e
		}
		if info.Request != nil {
			req = info.Request
		}
		if req.Stream != nil {
			user := req.Stream
			r2 := *req
			r2.Stream = func(ctx context.Context, ch Chunk) error {
				c.callbacks.Stream(ctx, info, ch)
				return user(ctx, ch)
			}
			req = &r2
		}
	}
	if err := checkRequest(req); err != nil {
		e, ok := err.(*Error)
		if !ok {
			e = &Error{Kind: ErrBadRequest, Message: err.Error()}
		}
		e.Provider, e.Model = c.provider, c.model
		if info != nil {
			info.End = time.Now()
			c.callbacks.Failure(ctx, info, e)
		}
		return nil, e
	}
	timeout := req.Timeout
	if timeout <= 0 {
		timeout = c.timeout
	}
	callCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	resp, err := do(callCtx, req)
	end := time.Now()
	if err != nil {
		if p := stoppedByCaller(err); p != nil {
			resp, err = p, nil
		}
	}
	if err != nil {
		e := c.classify(callCtx, err, callStart, end)
		if e.Partial != nil {
			e.Partial.Attempts = attempt
		}
		if info != nil {
			info.End = end
			c.callbacks.Failure(ctx, info, e)
		}
		return nil, e
	}
	resp.Model = c.model
	resp.Provider = c.provider
	resp.Latency = end.Sub(callStart)
	resp.Attempts = attempt
	if resp.Usage.TotalTokens == 0 {
		resp.Usage.TotalTokens = resp.Usage.PromptTokens + resp.Usage.CompletionTokens
	}
	if c.hasInfo {
		resp.Cost = CostFor(c.info, resp.Usage)
	}
	resp.CostKnown = c.costKnown
	resp.Message.Role = RoleAssistant
	if resp.Message.Meta == nil {
		resp.Message.Meta = new(ResponseMeta)
	}
	*resp.Message.Meta = ResponseMeta{Model: c.model, Provider: c.provider, Usage: resp.Usage,
		Cost: resp.Cost, CostKnown: resp.CostKnown, Latency: resp.Latency}
	if info != nil {
		info.End = end
		c.callbacks.Success(ctx, info, resp)
	}
	return resp, nil
}

// checkRequest rejects requests no provider could serve, naming the
// offending message.
func checkRequest(req *Request) error {
	if len(req.Messages) == 0 {
		return fmt.Errorf("request has no messages")
	}
	if req.N < 0 {
		return fmt.Errorf("n must be >= 0, got %d", req.N)
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > 20 {
		return fmt.Errorf("top_logprobs must be in [0, 20], got %d", req.TopLogprobs)
	}
	for i := range req.Messages {
		m := &req.Messages[i]
		switch m.Role {
		case RoleSystem, RoleUser, RoleAssistant:
		case RoleTool:
			if m.ToolCallID == "" {
				return fmt.Errorf("message %d: tool message without tool_call_id", i)
			}
		default:
			return fmt.Errorf("message %d: unknown role %q (system, user, assistant or tool)", i, m.Role)
		}
		for j, tc := range m.ToolCalls {
			if tc.Name == "" {
				return fmt.Errorf("message %d: tool call %d has no name", i, j)
			}
		}
	}
	return checkToolChoice(req)
}

// LogCallback returns a callback that logs every call with slog: input at
// Debug, success at Info (model, provider, deployment, tokens, cost,
// cost_known, latency), failure at Warn (kind, status, error), stream
// events at Debug. The first success of a model whose price is unknown
// (Response.CostKnown false) also logs, once per model and provider, a Warn
// "llm cost unknown" saying to register the price with llm.RegisterModel.
// It never logs message contents or keys. A nil logger uses slog.Default.
func LogCallback(l *slog.Logger) Callback {
	if l == nil {
		l = slog.Default()
	}
	return &logCallback{l: l}
}

type logCallback struct {
	l       *slog.Logger
	unknown sync.Map // provider + "\x00" + model -> struct{}: warned of an unknown price
}

func (lc *logCallback) attrs(info *CallInfo) []slog.Attr {
	a := []slog.Attr{slog.String("model", info.Model), slog.String("provider", info.Provider)}
	if info.Group != "" {
		a = append(a, slog.String("group", info.Group))
	}
	if info.Deployment != "" {
		a = append(a, slog.String("deployment", info.Deployment))
	}
	if info.Attempt > 1 || info.FallbackDepth > 0 {
		a = append(a, slog.Int("attempt", info.Attempt), slog.Int("fallback_depth", info.FallbackDepth))
	}
	return a
}

func (lc *logCallback) OnInput(ctx context.Context, info *CallInfo) error {
	a := lc.attrs(info)
	if info.Request != nil {
		a = append(a, slog.Int("messages", len(info.Request.Messages)), slog.Int("tools", len(info.Request.Tools)))
	}
	lc.l.LogAttrs(ctx, slog.LevelDebug, "llm call", a...)
	return nil
}

func (lc *logCallback) OnSuccess(ctx context.Context, info *CallInfo, resp *Response) {
	a := lc.attrs(info)
	a = append(a,
		slog.Int("prompt_tokens", resp.Usage.PromptTokens),
		slog.Int("completion_tokens", resp.Usage.CompletionTokens),
		slog.Int("total_tokens", resp.Usage.TotalTokens),
		slog.Float64("cost", resp.Cost),
		slog.Bool("cost_known", resp.CostKnown),
		slog.Duration("latency", resp.Latency),
		slog.String("finish_reason", string(resp.FinishReason)))
	lc.l.LogAttrs(ctx, slog.LevelInfo, "llm success", a...)
	if !resp.CostKnown {
		model := resp.Model
		if model == "" {
			model = info.Model
		}
		if _, seen := lc.unknown.LoadOrStore(resp.Provider+"\x00"+model, struct{}{}); !seen {
			lc.l.LogAttrs(ctx, slog.LevelWarn, "llm cost unknown",
				slog.String("model", model), slog.String("provider", resp.Provider),
				slog.String("hint", "the model is not in the price table, so its cost is reported as 0; register its prices with llm.RegisterModel"))
		}
	}
}

func (lc *logCallback) OnFailure(ctx context.Context, info *CallInfo, err error) {
	a := lc.attrs(info)
	if e, ok := err.(*Error); ok {
		a = append(a, slog.String("kind", string(e.Kind)))
		if e.StatusCode != 0 {
			a = append(a, slog.Int("status", e.StatusCode))
		}
	}
	a = append(a, slog.String("error", err.Error()))
	if !info.End.IsZero() {
		a = append(a, slog.Duration("latency", info.End.Sub(info.Start)))
	}
	lc.l.LogAttrs(ctx, slog.LevelWarn, "llm failure", a...)
}

func (lc *logCallback) OnStream(ctx context.Context, info *CallInfo, c Chunk) {
	if !lc.l.Enabled(ctx, slog.LevelDebug) {
		return
	}
	a := lc.attrs(info)
	a = append(a, slog.Int("text_bytes", len(c.Text)))
	if c.ToolCall != nil {
		a = append(a, slog.Int("tool_call_index", c.ToolCall.Index))
	}
	if c.FinishReason != "" {
		a = append(a, slog.String("finish_reason", string(c.FinishReason)))
	}
	lc.l.LogAttrs(ctx, slog.LevelDebug, "llm stream", a...)
}

// classify turns a provider failure into the *Error returned to the caller.
func (c *caller) classify(ctx context.Context, err error, start, end time.Time) *Error {
	var ie *interrupted
	if !errors.As(err, &ie) {
		e := Classify(ctx, err, c.provider, c.model)
		c.red.scrubError(e)
		return e
	}
	p := ie.partial
	p.Model, p.Provider, p.Latency = c.model, c.provider, end.Sub(start)
	if c.hasInfo {
		p.Cost = CostFor(c.info, p.Usage)
	}
	p.CostKnown = c.costKnown
	e := &Error{Kind: ErrStreamInterrupted, Provider: c.provider, Model: c.model, Partial: p}
	var st *stopped
	if errors.As(ie.cause, &st) {
		e.Message = c.red.scrub(st.Error())
		e.Err = st
		return e
	}
	inner := Classify(ctx, ie.cause, c.provider, c.model)
	c.red.scrubError(inner)
	e.StatusCode, e.RetryAfter = inner.StatusCode, inner.RetryAfter
	e.Message = "stream failed after output reached the caller: " + string(inner.Kind) + ": " + inner.Message
	e.Err = inner
	return e
}

// newResponse allocates a Response together with its message's metadata.
func newResponse() *Response {
	rm := new(struct {
		r Response
		m ResponseMeta
	})
	rm.r.Message.Meta = &rm.m
	return &rm.r
}
