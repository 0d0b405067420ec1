package llm

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
)

// CaptureClient returns an HTTP client for langchaingo providers (their
// WithHTTPClient options) that records the status, headers and error body
// of every failed response. FromLangchain reads the record of its own call
// to classify failures from the real status and Retry-After instead of
// langchaingo's error strings. The record is keyed to each request's
// context, so one client serves concurrent calls. A nil base uses a client
// with http.DefaultTransport.
func CaptureClient(base *http.Client) *http.Client {
	captureInUse.Store(true)
	c := &http.Client{}
	if base != nil {
		*c = *base
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = &captureTransport{base: rt}
	return c
}

type captureKey struct{}

// captureInUse is set once any CaptureClient exists; until then calls skip
// the capture slot.
var captureInUse atomic.Bool

// captureSlot holds the last failed response of one call. It is also the
// call's context (one allocation instead of two).
type captureSlot struct {
	context.Context
	mu  sync.Mutex
	err *HTTPError
}

// Value returns the slot itself for captureKey.
func (s *captureSlot) Value(key any) any {
	if key == (captureKey{}) {
		return s
	}
	return s.Context.Value(key)
}

func (s *captureSlot) get() *HTTPError {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

type captureTransport struct{ base http.RoundTripper }

func (t *captureTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	slot, _ := req.Context().Value(captureKey{}).(*captureSlot)
	if slot == nil {
		return resp, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(b))
	slot.mu.Lock()
	// redacted at once with the credentials the request itself carried
	slot.err = requestRedactor(req).httpError(resp.StatusCode, resp.Header, b, len(b) >= maxErrorBody)
	slot.mu.Unlock()
	return resp, nil
}

// withCapture gives ctx a fresh capture slot.
func withCapture(ctx context.Context) (context.Context, *captureSlot) {
	if !captureInUse.Load() {
		return ctx, nil
	}
	s := &captureSlot{Context: ctx}
	return s, s
}

// capturedError joins a provider library's error with the HTTP failure
// captured for the same call.
type capturedError struct {
	http *HTTPError
	err  error
}

func (c *capturedError) Error() string   { return c.err.Error() }
func (c *capturedError) Unwrap() []error { return []error{c.http, c.err} }
