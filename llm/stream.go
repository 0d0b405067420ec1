package llm

import (
	"context"
	"errors"
	"iter"
)

// ErrStopStream, returned by a StreamFunc (or wrapped in its error), stops
// a stream as a success: the call returns the response so far, with
// FinishReason FinishStopped unless the provider had already finished, and
// the success callbacks (not the failure ones) see it. The connection is
// closed. Breaking out of a Stream loop does the same.
var ErrStopStream = errors.New("stream stopped by the caller")

// stoppedByCaller returns the partial response of a stream the caller
// stopped with ErrStopStream, or nil when err is another failure.
func stoppedByCaller(err error) *Response {
	var ie *interrupted
	if !errors.As(err, &ie) || !errors.Is(ie.cause, ErrStopStream) {
		return nil
	}
	var st *stopped
	if !errors.As(ie.cause, &st) || ie.partial == nil {
		return nil
	}
	p := ie.partial
	if !ie.finished {
		p.FinishReason = FinishStopped
	}
	return p
}

// Stream calls m and yields the reply's chunks as they arrive; the last
// item carries the whole Response (Chunk.Response) with usage and cost. A
// failure is yielded once as the error, and ends the sequence: before any
// chunk it is the provider's error, after the first one an
// ErrStreamInterrupted carrying the partial reply. Breaking out of the loop
// stops the stream cleanly: the HTTP response is closed, no goroutine is
// left behind, and the call counts as a success (FinishStopped) for
// callbacks. A StreamFunc already set on req is called too, before each
// chunk is yielded.
func (m *Model) Stream(ctx context.Context, req *Request) iter.Seq2[Chunk, error] {
	return Stream(ctx, m, req)
}

// Stream runs any Completer as an iterator over its chunks, with the
// semantics of Model.Stream; a Router's Stream is this over the Router.
// A Completer that does not stream yields its reply as one chunk. The
// iterator runs the call on the caller's goroutine and starts none.
func Stream(ctx context.Context, c Completer, req *Request) iter.Seq2[Chunk, error] {
	return func(yield func(Chunk, error) bool) {
		if req == nil {
			yield(Chunk{}, &Error{Kind: ErrBadRequest, Message: "nil request"})
			return
		}
		r := *req
		user := req.Stream
		done, yielded := false, 0
		r.Stream = func(ctx context.Context, ch Chunk) error {
			if done {
				return ErrStopStream
			}
			if user != nil {
				if err := user(ctx, ch); err != nil {
					return err
				}
			}
			yielded++
			if !yield(ch, nil) {
				done = true
				return ErrStopStream
			}
			return nil
		}
		resp, err := c.Complete(ctx, &r)
		if done {
			return
		}
		if err != nil {
			yield(Chunk{}, err)
			return
		}
		last := Chunk{Response: resp}
		if yielded == 0 {
			// the Completer did not stream: its reply is the one chunk
			for i, tc := range resp.Message.ToolCalls {
				d := ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments}
				if !yield(Chunk{ToolCall: &d}, nil) {
					return
				}
			}
			u := resp.Usage
			last.Text, last.Reasoning, last.FinishReason, last.Usage = resp.Message.Content, resp.Message.ReasoningContent, resp.FinishReason, &u
		}
		yield(last, nil)
	}
}
