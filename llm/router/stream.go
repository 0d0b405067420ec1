package router

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// streamState forwards one call's chunks to the caller and remembers what
// was delivered, so that a failure after the first chunk can carry the
// partial output. Attempts of a call run one after another; the state is
// reset by begin.
type streamState struct {
	r    *Router
	user llm.StreamFunc

	// mu serialises chunk delivery with the end of an attempt: once an
	// attempt ended (or was abandoned), gen moved on and chunks of the old
	// attempt are refused, so a Completer that keeps streaming in the
	// background never reaches the caller.
	mu  sync.Mutex
	gen uint64

	// per attempt
	d         *deployment
	info      *llm.CallInfo
	delivered int
	first     time.Time
	text      strings.Builder
	reasoning strings.Builder
	calls     []llm.ToolCall
	usage     *llm.Usage
	finish    llm.FinishReason
	userErr   error
	wd        *watchdog
	// provPartial is the partial reply the deployment itself reported
	// with its ErrStreamInterrupted, if any.
	provPartial *llm.Response
}

// begin resets the state for an attempt on d and returns the StreamFunc
// handed to the deployment for this attempt only.
func (s *streamState) begin(d *deployment, info *llm.CallInfo, cancel context.CancelCauseFunc, timeout time.Duration, start time.Time) llm.StreamFunc {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	gen := s.gen
	s.d, s.info = d, info
	s.delivered = 0
	s.first = time.Time{}
	s.text.Reset()
	s.reasoning.Reset()
	s.calls = nil
	s.usage = nil
	s.finish = ""
	s.wd = nil
	s.provPartial = nil
	if timeout > 0 && cancel != nil {
		s.wd = &watchdog{clock: s.r.clock, d: timeout, cancel: cancel, last: start}
		s.wd.arm(timeout)
	}
	return func(ctx context.Context, c llm.Chunk) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if gen != s.gen {
			return errAttemptOver
		}
		return s.forwardLocked(ctx, c)
	}
}

// end closes the attempt: later chunks from its Completer are refused.
func (s *streamState) end() {
	s.mu.Lock()
	s.gen++
	wd := s.wd
	s.mu.Unlock()
	if wd != nil {
		wd.stop()
	}
}

// maxToolCalls bounds the tool-call index a streamed delta may carry.
const maxToolCalls = 1024

func emptyChunk(c llm.Chunk) bool {
	return c.Text == "" && c.Reasoning == "" && c.ToolCall == nil && c.Usage == nil && c.FinishReason == ""
}

// forward delivers a chunk the Router itself produced (a whole response
// streamed as chunks).
func (s *streamState) forward(ctx context.Context, c llm.Chunk) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.forwardLocked(ctx, c)
}

// forwardLocked records a chunk and hands it to the caller. Caller holds mu.
func (s *streamState) forwardLocked(ctx context.Context, c llm.Chunk) error {
	if s.userErr != nil {
		return s.userErr
	}
	if s.wd != nil {
		if err := s.wd.kick(); err != nil {
			// the watchdog already ended this attempt: deliver nothing more
			return err
		}
	}
	if emptyChunk(c) {
		return nil
	}
	if tc := c.ToolCall; tc != nil && (tc.Index < 0 || tc.Index >= maxToolCalls) {
		// a malformed delta is the deployment's failure, not the caller's
		return &llm.StreamError{Type: "malformed_chunk",
			Message: fmt.Sprintf("tool call index %d out of range [0, %d)", tc.Index, maxToolCalls)}
	}
	if s.delivered == 0 {
		s.first = s.r.clock.Now()
	}
	s.delivered++
	s.text.WriteString(c.Text)
	s.reasoning.WriteString(c.Reasoning)
	if tc := c.ToolCall; tc != nil {
		for len(s.calls) <= tc.Index {
			s.calls = append(s.calls, llm.ToolCall{Type: "function"})
		}
		t := &s.calls[tc.Index]
		if tc.ID != "" {
			t.ID = tc.ID
		}
		if tc.Name != "" {
			t.Name = tc.Name
		}
		t.Arguments += tc.Arguments
	}
	if c.Usage != nil {
		u := *c.Usage
		s.usage = &u
	}
	if c.FinishReason != "" {
		s.finish = c.FinishReason
	}
	if s.info != nil {
		s.r.callbacks.Stream(ctx, s.info, c)
	}
	if err := s.user(ctx, c); err != nil {
		s.userErr = err
		return err
	}
	return nil
}

// deliverWhole streams a response that arrived without chunks (a
// deployment that does not stream) as one chunk, so the caller's stream
// function always sees the output.
func (s *streamState) deliverWhole(ctx context.Context, resp *llm.Response) error {
	if s.delivered > 0 {
		return nil
	}
	s.wd = nil // the attempt is over; its watchdog no longer applies
	c := llm.Chunk{Text: resp.Message.Content, Reasoning: resp.Message.ReasoningContent, FinishReason: resp.FinishReason}
	if resp.Usage != (llm.Usage{}) {
		u := resp.Usage
		c.Usage = &u
	}
	for i, tc := range resp.Message.ToolCalls {
		tcd := llm.ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments}
		cc := llm.Chunk{ToolCall: &tcd}
		if err := s.forward(ctx, cc); err != nil {
			return err
		}
	}
	if emptyChunk(c) {
		return nil
	}
	return s.forward(ctx, c)
}

// partial is what reached the caller before the failure.
func (s *streamState) partial(d *deployment) *llm.Response {
	p := &llm.Response{
		Model:        d.modelName,
		Provider:     d.provider,
		Deployment:   d.id,
		Message:      llm.Message{Role: llm.RoleAssistant, Content: s.text.String(), ReasoningContent: s.reasoning.String()},
		FinishReason: s.finish,
	}
	if len(s.calls) > 0 {
		p.Message.ToolCalls = append([]llm.ToolCall(nil), s.calls...)
	}
	var reported float64
	var known bool
	switch {
	case s.usage != nil:
		p.Usage = *s.usage
	case s.provPartial != nil:
		p.Usage, reported, known = s.provPartial.Usage, s.provPartial.Cost, s.provPartial.CostKnown
	}
	p.Cost = d.cost(p.Usage, reported)
	p.CostKnown = d.costKnown(known)
	return p
}

// interrupted wraps a failure after the first chunk.
func (s *streamState) interrupted(d *deployment, cause *llm.Error) *llm.Error {
	return &llm.Error{
		Kind:       llm.ErrStreamInterrupted,
		Provider:   d.provider,
		Model:      d.modelName,
		Deployment: d.id,
		StatusCode: cause.StatusCode,
		Message:    fmt.Sprintf("stream interrupted after %d chunks (%d bytes of text): %v", s.delivered, s.text.Len(), cause),
		Partial:    s.partial(d),
		Err:        cause,
	}
}

// watchdog cancels an attempt when no chunk arrives within d: the first
// chunk (errFirstChunkTimeout) or any later one (errStreamStalled).
type watchdog struct {
	clock  Clock
	d      time.Duration
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	last    time.Time
	chunks  int
	fired   error
	stopped bool
	stopT   func() bool
}

func (w *watchdog) arm(after time.Duration) {
	w.stopT = w.clock.AfterFunc(after, w.fire)
}

func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		return
	}
	if rest := w.last.Add(w.d).Sub(w.clock.Now()); rest > 0 {
		w.arm(rest)
		return
	}
	w.fired = errStreamStalled
	if w.chunks == 0 {
		w.fired = errFirstChunkTimeout
	}
	w.stopped = true
	w.cancel(w.fired)
}

// kick records a chunk; it returns the watchdog's cause once it fired.
func (w *watchdog) kick() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fired != nil {
		return w.fired
	}
	w.chunks++
	w.last = w.clock.Now()
	return nil
}

func (w *watchdog) stop() {
	w.mu.Lock()
	w.stopped = true
	if w.stopT != nil {
		w.stopT()
	}
	w.mu.Unlock()
}
