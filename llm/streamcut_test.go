package llm_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// cutWire is one wire's stream: complete events carrying text, then the
// first part of one more event.
type cutWire struct {
	model    string
	complete []string
	half     string
	bad      string // a complete line that is not JSON
}

var cutWires = []cutWire{
	{model: "gpt-4o",
		complete: []string{`data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}` + "\n\n"},
		half:     `data: {"id":"c1","choices":[{"index":0,"delta":{"con`,
		bad:      "data: {\"id\":\"c1\",\"choices\": [ not json\n\n"},
	{model: "claude-sonnet-4-5",
		complete: []string{
			"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n",
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n"},
		half: "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_d",
		bad:  "event: content_block_delta\ndata: {\"type\": [ not json\n\n"},
	{model: "gemini/gemini-2.0-flash",
		complete: []string{`data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hel"}]}}],"responseId":"r1"}` + "\n\n"},
		half:     `data: {"candidates":[{"content":{"role":"model","parts":[{"te`,
		bad:      "data: {\"candidates\": [ not json\n\n"},
}

type cutMode int

const (
	cutDeadline cutMode = iota // the server stalls mid-event until the client's deadline
	cutClose                   // the server closes a close-delimited body mid-event
	cutAbort                   // the server aborts a chunked body mid-event
	badLine                    // a complete line that is not JSON, then the server stalls
)

// cutServer serves w's stream, cut as mode says. withOutput sends the
// complete events first.
func cutServer(t *testing.T, w cutWire, mode cutMode, withOutput bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		var body strings.Builder
		if withOutput {
			for _, e := range w.complete {
				body.WriteString(e)
			}
		}
		if mode == badLine {
			body.WriteString(w.bad)
		} else {
			body.WriteString(w.half)
		}
		if mode == cutClose {
			conn, buf, err := rw.(http.Hijacker).Hijack()
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n%s", body.String())
			buf.Flush()
			return
		}
		rw.Header().Set("Content-Type", "text/event-stream")
		rw.WriteHeader(200)
		rw.Write([]byte(body.String()))
		rw.(http.Flusher).Flush()
		if mode == cutAbort {
			panic(http.ErrAbortHandler)
		}
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func cutModel(t *testing.T, w cutWire, srv *httptest.Server, timeout time.Duration) *llm.Model {
	t.Helper()
	base := srv.URL
	if !strings.Contains(w.model, "/") && !strings.HasPrefix(w.model, "claude") {
		base += "/v1"
	}
	m, err := llm.New(w.model, llm.WithAPIKey(testKey), llm.WithAPIBase(base), llm.WithTimeout(timeout))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func streamReq() (*llm.Request, *strings.Builder) {
	var got strings.Builder
	req := userReq("hi")
	req.Stream = func(_ context.Context, c llm.Chunk) error { got.WriteString(c.Text); return nil }
	return req, &got
}

// A stream cut by a deadline in the middle of an event is a timeout that
// matches context.DeadlineExceeded, never a malformed chunk; a stream cut
// by the peer is a connection error; only a complete bad line is a
// malformed chunk. Each case runs 40 times on each wire.
func TestStreamCutClassification(t *testing.T) {
	const runs = 40
	for _, w := range cutWires {
		t.Run(w.model, func(t *testing.T) {
			t.Parallel()
			for _, withOutput := range []bool{true, false} {
				for _, tc := range []struct {
					name string
					mode cutMode
					kind llm.Kind
				}{
					{"deadline", cutDeadline, llm.ErrTimeout},
					{"peer-close", cutClose, llm.ErrAPIConnection},
					{"peer-abort", cutAbort, llm.ErrAPIConnection},
					{"bad-line", badLine, llm.ErrAPI},
				} {
					srv := cutServer(t, w, tc.mode, withOutput)
					timeout := 5 * time.Second // the server cuts, or fails, first
					if tc.mode == cutDeadline {
						timeout = 150 * time.Millisecond
					}
					m := cutModel(t, w, srv, timeout)
					early := 0
					for i := 0; i < runs; i++ {
						req, got := streamReq()
						ctx := context.Background()
						if tc.mode == cutDeadline && i%2 == 1 {
							// the caller's own deadline, not the model's timeout
							var cancel context.CancelFunc
							ctx, cancel = context.WithTimeout(ctx, timeout-10*time.Millisecond)
							defer cancel()
						}
						_, err := m.Complete(ctx, req)
						if tc.mode == cutDeadline && withOutput && got.Len() == 0 && errors.Is(err, llm.ErrTimeout) && early < runs {
							// the deadline passed before the stream began (a
							// loaded machine): not the case under test, run again
							early++
							i--
							continue
						}
						var e *llm.Error
						if !errors.As(err, &e) {
							t.Fatalf("%s output=%v run %d: err = %v", tc.name, withOutput, i, err)
						}
						malformed := strings.Contains(err.Error(), "malformed")
						if !errors.Is(err, tc.kind) || malformed != (tc.mode == badLine) {
							t.Fatalf("%s output=%v run %d: err = %v (kind %s), want %s", tc.name, withOutput, i, err, e.Kind, tc.kind)
						}
						if tc.mode == cutDeadline && !errors.Is(err, context.DeadlineExceeded) {
							t.Fatalf("%s run %d: %v does not match context.DeadlineExceeded", tc.name, i, err)
						}
						if tc.mode != cutDeadline && errors.Is(err, llm.ErrTimeout) {
							t.Fatalf("%s run %d: %v is a timeout", tc.name, i, err)
						}
						if withOutput {
							if e.Kind != llm.ErrStreamInterrupted || e.Partial == nil || e.Partial.Message.Content != "Hel" || got.String() != "Hel" {
								t.Fatalf("%s run %d: kind %s, partial %+v, streamed %q", tc.name, i, e.Kind, e.Partial, got.String())
							}
						} else if e.Kind != tc.kind {
							t.Fatalf("%s run %d: kind %s, want %s", tc.name, i, e.Kind, tc.kind)
						}
					}
				}
			}
		})
	}
}

// A stream whose reply is complete may end without the final newline: a
// last data line that is whole JSON, "[DONE]", or a comment cut short are
// not failures.
func TestStreamEndsWithoutFinalNewline(t *testing.T) {
	for _, tc := range []struct{ model, body string }{
		{"gpt-4o", `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]"},
		{"gpt-4o", `data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}`},
		{"gemini/gemini-2.0-flash", `data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]},"finishReason":"STOP"}]}` + "\n\n: keep-al"},
		{"claude-sonnet-4-5", "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			conn, buf, _ := rw.(http.Hijacker).Hijack()
			defer conn.Close()
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n%s", tc.body)
			buf.Flush()
		}))
		m := cutModel(t, cutWire{model: tc.model}, srv, 5*time.Second)
		req, got := streamReq()
		resp, err := m.Complete(context.Background(), req)
		srv.Close()
		if err != nil || resp.Message.Content != "Hi" || got.String() != "Hi" {
			t.Fatalf("%s %q: resp %+v, err %v", tc.model, tc.body, resp, err)
		}
	}
}
