package tools

import (
	"context"
	"sync"
	"time"
)

// callContext is the context of one call run on the caller's goroutine
// (Tool.Execute, Registry.Execute). It behaves as
// context.WithTimeout(parent, timeout) followed by its cancel function at
// the end of the call, but starts no timer until the tool asks for Done:
// until then Err reads the clock and the parent, so a tool that never
// waits on its context costs no timer.
type callContext struct {
	parent   context.Context
	deadline time.Time
	// parentDeadline reports that deadline is the parent's own.
	parentDeadline bool

	mu   sync.Mutex
	err  error
	done chan struct{} // made by the first Done
	// ownErr reports that err is this context's (its deadline, or the
	// end of the call) rather than the parent's.
	ownErr     bool
	timer      *time.Timer
	stopParent func() bool
	// after holds the functions AfterFunc arranged, not yet run.
	after map[*func()]struct{}
}

// newCallContext returns the context of a call started at start.
func newCallContext(parent context.Context, start time.Time, timeout time.Duration) *callContext {
	c := &callContext{parent: parent, deadline: start.Add(timeout)}
	if d, ok := parent.Deadline(); ok && !d.After(c.deadline) {
		c.deadline, c.parentDeadline = d, true
	}
	return c
}

// Deadline returns the sooner of the call's and the parent's deadlines.
func (c *callContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Value returns the parent's value for key. Asked by context.Cause for the
// innermost canceled context, it hides the parent when this context ended
// on its own, so that the cause is this context's error.
func (c *callContext) Value(key any) any {
	if key == cancelCtxKey {
		c.mu.Lock()
		own := c.ownErr
		c.mu.Unlock()
		if own {
			return nil
		}
	}
	return c.parent.Value(key)
}

// Done returns a channel closed when the call's context ends, starting the
// timer and the watch on the parent the first time.
func (c *callContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err == nil {
		c.check()
	}
	if c.err != nil {
		close(c.done)
		return c.done
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded, !c.parentDeadline) })
	if c.parent.Done() != nil {
		c.stopParent = context.AfterFunc(c.parent, func() { c.end(c.parent.Err(), false) })
	}
	return c.done
}

// Err returns why the context ended, or nil.
func (c *callContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.check()
		if c.err != nil {
			c.closeDone()
		}
	}
	return c.err
}

// AfterFunc arranges for f to run in its own goroutine once the context
// ends and returns a function that stops it, as context.AfterFunc does.
// The context package uses it for contexts derived from this one, which so
// need no goroutine of their own.
func (c *callContext) AfterFunc(f func()) (stop func() bool) {
	c.Done() // starts the timer and the watch on the parent
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	if c.after == nil {
		c.after = make(map[*func()]struct{})
	}
	key := &f
	c.after[key] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if _, ok := c.after[key]; !ok {
			return false
		}
		delete(c.after, key)
		return true
	}
}

// String names the context for debugging.
func (c *callContext) String() string { return "tools call context" }

// check records an end that the parent or the clock shows. c.mu is held.
func (c *callContext) check() {
	if err := c.parent.Err(); err != nil {
		c.err = err
		return
	}
	if !time.Now().Before(c.deadline) {
		c.err, c.ownErr = context.DeadlineExceeded, !c.parentDeadline
	}
}

// end ends the context with err unless it has ended already.
func (c *callContext) end(err error, own bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err, c.ownErr = err, own
	c.closeDone()
}

// closeDone closes the Done channel, if made, starts the functions
// AfterFunc arranged and stops the watchers. c.mu is held and c.err set.
func (c *callContext) closeDone() {
	if c.done != nil {
		close(c.done)
	}
	for f := range c.after {
		go (*f)()
	}
	c.after = nil
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.stopParent != nil {
		c.stopParent()
	}
}

// cancel ends the context at the end of the call, as a cancel function
// does.
func (c *callContext) cancel() { c.end(context.Canceled, true) }

// cancelCtxKey is the key context.Cause looks up to find the innermost
// canceled context; it is found by asking a probe context.
var cancelCtxKey = func() any {
	p := &causeProbe{Context: context.Background()}
	_ = context.Cause(p)
	return p.key
}()

type causeProbe struct {
	context.Context
	key any
}

func (p *causeProbe) Err() error { return context.Canceled }

func (p *causeProbe) Value(key any) any {
	p.key = key
	return nil
}
