package router

import (
	"context"
	"errors"
	"iter"

	"github.com/jedisos/jedisos/llm"
)

// Stream routes req like Complete and yields the reply's chunks as they
// arrive; the last item carries the whole Response (llm.Chunk.Response).
// Retries and fallbacks happen only before the first chunk, as with a
// StreamFunc; a failure after it is yielded once as an
// llm.ErrStreamInterrupted error carrying the partial reply. Breaking out
// of the loop stops the stream cleanly: the deployment's HTTP response is
// closed, no goroutine is left, and the attempt counts as a success
// (llm.FinishStopped) for callbacks, cooldowns and budgets. See
// llm.Stream.
func (r *Router) Stream(ctx context.Context, req *llm.Request) iter.Seq2[llm.Chunk, error] {
	return llm.Stream(ctx, r, req)
}

// stopped is the response of an attempt whose caller stopped reading:
// what was delivered, with the usage the deployment reported for it.
func (s *streamState) stopped(d *deployment, err error) *llm.Response {
	var src *llm.Error
	if errors.As(err, &src) && src.Kind == llm.ErrStreamInterrupted && src.Partial != nil {
		s.provPartial = src.Partial
	}
	p := s.partial(d)
	if p.FinishReason == "" {
		p.FinishReason = llm.FinishStopped
	}
	return p
}
