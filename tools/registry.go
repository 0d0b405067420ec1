package tools

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/tmc/langchaingo/llms"
)

// Config sets a Registry's limits. The zero value is usable.
type Config struct {
	// MaxConcurrency bounds how many calls of one turn run at once;
	// 0 means DefaultMaxConcurrency.
	MaxConcurrency int
	// Timeout bounds each call of a tool that sets no timeout of its own;
	// 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxOutputBytes bounds the content of each result of a tool that sets
	// no limit of its own; 0 means DefaultMaxOutputBytes. At least 64.
	MaxOutputBytes int
	// MaxArgumentBytes bounds the argument text of each call of a tool
	// that sets no limit of its own (WithMaxArgumentBytes); a larger call
	// is answered with an *ArgumentsTooLargeError, naming the limit to the
	// model, before the text is parsed. 0 means DefaultMaxArgumentBytes
	// (1 MiB). At least 2.
	MaxArgumentBytes int
	// Tracer, when set, observes every call (see Tracer).
	Tracer Tracer
}

func (c Config) withDefaults() (Config, error) {
	if c.MaxConcurrency < 0 {
		return c, fmt.Errorf("%w: Config.MaxConcurrency is %d; it must be 0 (default) or positive", ErrInvalidConfig, c.MaxConcurrency)
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("%w: Config.Timeout is %v; it must be 0 (default) or positive", ErrInvalidConfig, c.Timeout)
	}
	if c.MaxOutputBytes != 0 && c.MaxOutputBytes < 64 {
		return c, fmt.Errorf("%w: Config.MaxOutputBytes is %d; it must be 0 (default) or at least 64", ErrInvalidConfig, c.MaxOutputBytes)
	}
	if c.MaxArgumentBytes < 0 || c.MaxArgumentBytes == 1 {
		return c, fmt.Errorf("%w: Config.MaxArgumentBytes is %d; it must be 0 (default) or at least 2", ErrInvalidConfig, c.MaxArgumentBytes)
	}
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = DefaultMaxConcurrency
	}
	if c.MaxArgumentBytes == 0 {
		c.MaxArgumentBytes = DefaultMaxArgumentBytes
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxOutputBytes == 0 {
		c.MaxOutputBytes = DefaultMaxOutputBytes
	}
	return c, nil
}

// Registry holds tools by name and executes the model's calls to them. It
// is safe for concurrent use; tools may be registered while calls run. The
// zero Registry is empty and uses the default limits.
type Registry struct {
	cfg   Config
	mu    sync.RWMutex
	byKey map[string]*Tool
	order []*Tool
}

// NewRegistry returns a registry with the given limits holding tools. An
// invalid Config (ErrInvalidConfig) or a duplicate name (ErrDuplicateTool)
// is an error.
func NewRegistry(cfg Config, tools ...*Tool) (*Registry, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Registry{cfg: cfg, byKey: make(map[string]*Tool, len(tools))}
	if err := r.Register(tools...); err != nil {
		return nil, err
	}
	return r, nil
}

// Register adds tools. If any name is already taken, or given twice, it
// returns a *DuplicateToolError (ErrDuplicateTool) and registers none of
// them. A nil tool is an error too.
func (r *Registry) Register(tools ...*Tool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byKey == nil {
		r.byKey = make(map[string]*Tool, len(tools))
	}
	seen := make(map[string]bool, len(tools))
	for i, t := range tools {
		if t == nil {
			return fmt.Errorf("tools: Register: tool %d of %d is nil: %w", i+1, len(tools), ErrInvalidTool)
		}
		if r.byKey[t.name] != nil || seen[t.name] {
			return &DuplicateToolError{Name: t.name}
		}
		seen[t.name] = true
	}
	for _, t := range tools {
		r.byKey[t.name] = t
		r.order = append(r.order, t)
	}
	return nil
}

// config returns the limits, defaults filled in (for the zero Registry).
// Unregister removes the tools registered under names and returns how many
// it removed; names not registered are ignored.
func (r *Registry) Unregister(names ...string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.remove(names)
}

// Replace removes the tools registered under remove and registers add, as
// one change: a concurrent call sees either the old tools or the new ones.
// If a name of add is taken by a tool that stays, or given twice, it returns
// a *DuplicateToolError (ErrDuplicateTool) and changes nothing.
func (r *Registry) Replace(remove []string, add ...*Tool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	gone := make(map[string]bool, len(remove))
	for _, n := range remove {
		gone[n] = true
	}
	seen := make(map[string]bool, len(add))
	for i, t := range add {
		if t == nil {
			return fmt.Errorf("tools: Replace: tool %d of %d is nil: %w", i+1, len(add), ErrInvalidTool)
		}
		if (r.byKey[t.name] != nil && !gone[t.name]) || seen[t.name] {
			return &DuplicateToolError{Name: t.name}
		}
		seen[t.name] = true
	}
	r.remove(remove)
	if r.byKey == nil {
		r.byKey = make(map[string]*Tool, len(add))
	}
	for _, t := range add {
		r.byKey[t.name] = t
		r.order = append(r.order, t)
	}
	return nil
}

// remove drops the named tools; r.mu is held.
func (r *Registry) remove(names []string) int {
	n := 0
	for _, name := range names {
		if r.byKey[name] == nil {
			continue
		}
		delete(r.byKey, name)
		n++
	}
	if n > 0 {
		r.order = slices.DeleteFunc(r.order, func(t *Tool) bool { return r.byKey[t.name] != t })
	}
	return n
}

func (r *Registry) config() Config {
	c, _ := r.cfg.withDefaults()
	return c
}

// Lookup returns the tool registered under name.
func (r *Registry) Lookup(name string) (*Tool, bool) {
	r.mu.RLock()
	t, ok := r.byKey[name]
	r.mu.RUnlock()
	return t, ok
}

// Names returns the registered names in registration order.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, len(r.order))
	for i, t := range r.order {
		names[i] = t.name
	}
	return names
}

// Tools returns the registered tools in registration order.
func (r *Registry) Tools() []*Tool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.order)
}

// Len returns the number of registered tools.
func (r *Registry) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.order)
}

// Select returns a new registry with the same limits holding only the
// named tools, in the order given; it shares the tools, not the registry.
// Unknown names give an *UnknownToolError (ErrUnknownTool) listing all of
// them; a name given twice is a *DuplicateToolError.
func (r *Registry) Select(names ...string) (*Registry, error) {
	r.mu.RLock()
	picked := make([]*Tool, 0, len(names))
	var unknown []string
	for _, n := range names {
		if t, ok := r.byKey[n]; ok {
			picked = append(picked, t)
		} else {
			unknown = append(unknown, n)
		}
	}
	r.mu.RUnlock()
	if len(unknown) > 0 {
		return nil, &UnknownToolError{Names: unknown, Available: r.Names()}
	}
	return NewRegistry(r.config(), picked...)
}

// LLMTools exports the registered tools, in registration order, as
// langchaingo tools. See Tool.LLMTool for the options.
func (r *Registry) LLMTools(opts ...ExportOption) ([]llms.Tool, error) {
	tools := r.Tools()
	out := make([]llms.Tool, 0, len(tools))
	for _, t := range tools {
		lt, err := t.LLMTool(opts...)
		if err != nil {
			return nil, err
		}
		out = append(out, lt)
	}
	return out, nil
}

// Execute runs one tool call from the model, on the calling goroutine, and
// never panics. A call to an unknown tool, malformed or invalid arguments,
// the tool's error or panic, its timeout and the caller's cancellation all
// give a Result whose Err is set and whose Content tells the model what
// went wrong.
//
// The tool's context is canceled at its timeout or when ctx is done; a
// tool that honours it is answered at once. A tool that ignores its
// context holds Execute until it returns, and its late result is replaced
// by the timeout or cancellation error. RunTurn does not wait for such a
// tool, and also contains a tool that calls runtime.Goexit, which on
// Execute ends the calling goroutine as any function call would.
func (r *Registry) Execute(ctx context.Context, call llm.ToolCall) Result {
	t, ok := r.Lookup(call.Name)
	cfg := r.config()
	if cfg.Tracer != nil {
		return r.tracedExecute(ctx, cfg, t, call)
	}
	if !ok {
		return r.unknown(call, cfg.MaxOutputBytes)
	}
	return t.execute(ctx, call, cfg.Timeout, cfg.MaxOutputBytes, cfg.MaxArgumentBytes)
}

func (r *Registry) unknown(call llm.ToolCall, maxOutput int) Result {
	err := &UnknownToolError{Names: []string{call.Name}, Available: r.Names()}
	content, _ := truncate(err.modelText(), maxOutput)
	return Result{CallID: call.ID, Name: call.Name, Content: content, Err: err}
}

// RunTurn runs all tool calls of one assistant turn, at most
// Config.MaxConcurrency at a time, and returns one Result per call in call
// order, whatever the order in which they finish. Append them to the
// conversation with Result.Message or Messages.
//
// Failed calls do not stop the others. A call still running at its
// timeout, or when ctx is done, is answered with a *TimeoutError or
// *CanceledError at once: RunTurn does not wait for a tool that ignores
// its context (that tool goes on in the background until it returns, and
// its result is dropped). When ctx is done, calls not yet started are
// answered with a *CanceledError, and RunTurn returns the complete results
// together with an error wrapping ErrCanceled and the context's cause;
// otherwise the error is nil.
func (r *Registry) RunTurn(ctx context.Context, calls []llm.ToolCall) ([]Result, error) {
	tn := &turn{r: r, cfg: r.config(), ctx: ctx, calls: calls,
		results: make([]Result, len(calls)), done: make([]atomic.Bool, len(calls))}
	if tn.cfg.Tracer != nil {
		tn.spans = make([]Span, len(calls))
	}
	tn.pending.Add(len(calls))
	for range min(tn.cfg.MaxConcurrency, len(calls)) {
		go tn.work()
	}
	tn.pending.Wait()
	if ctx.Err() != nil {
		return tn.results, fmt.Errorf("%w: %w", ErrCanceled, context.Cause(ctx))
	}
	return tn.results, nil
}

// turn is one RunTurn. Workers take calls in order and run them. A call
// that outlives its context is answered by the context's callback, which
// also starts a new worker in place of the one held by the tool; whoever
// answers a call first wins, the other drops its result.
type turn struct {
	r       *Registry
	cfg     Config
	ctx     context.Context
	calls   []llm.ToolCall
	results []Result
	done    []atomic.Bool
	next    atomic.Int64
	pending sync.WaitGroup
	spans   []Span // with Config.Tracer only
}

// answer records the result of call i unless it is answered already.
func (tn *turn) answer(i int, res Result) bool {
	if !tn.done[i].CompareAndSwap(false, true) {
		return false
	}
	tn.results[i] = res
	if tn.spans != nil {
		tn.spans[i].End(res)
	}
	tn.pending.Done()
	return true
}

func (tn *turn) work() {
	for {
		i := int(tn.next.Add(1)) - 1
		if i >= len(tn.calls) || !tn.run(i) {
			return
		}
	}
}

// run runs call i and reports whether this worker should go on.
func (tn *turn) run(i int) (goOn bool) {
	call := tn.calls[i]
	ctx := tn.ctx
	if tn.spans != nil {
		ctx = tn.startSpan(ctx, i)
	}
	t, ok := tn.r.Lookup(call.Name)
	if !ok {
		tn.answer(i, tn.r.unknown(call, tn.cfg.MaxOutputBytes))
		return true
	}
	start := time.Now()
	timeout, maxOutput, maxArgs := t.limits(tn.cfg.Timeout, tn.cfg.MaxOutputBytes, tn.cfg.MaxArgumentBytes)
	inv, err := t.prepare(tn.ctx, call, maxArgs)
	if err != nil {
		tn.answer(i, t.finish(call, start, "", err, maxOutput))
		return true
	}
	callCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	stop := context.AfterFunc(callCtx, func() {
		if tn.answer(i, t.finish(call, start, "", t.stopped(tn.ctx, timeout), maxOutput)) {
			go tn.work()
		}
	})
	returned := false
	defer func() {
		if !returned { // runtime.Goexit inside the tool ends this worker
			if tn.answer(i, t.finish(call, start, "", &ExecError{Tool: t.name, Err: errGoexit}, maxOutput)) {
				go tn.work()
			}
		}
	}()
	out, err := t.protect(callCtx, inv)
	returned = true
	stop()
	// A context's timer may fire late on a busy machine; the deadline
	// itself is exact.
	out, err = t.settle(tn.ctx, callCtx.Err() != nil || expired(callCtx), timeout, out, err)
	return tn.answer(i, t.finish(call, start, out, err, maxOutput))
}
