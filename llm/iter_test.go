package llm_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"go.uber.org/goleak"
)

// bodyTracker is an HTTP transport that counts response bodies opened and
// closed.
type bodyTracker struct {
	base           *http.Transport
	mu             sync.Mutex
	opened, closed int
}

func newBodyTracker() *bodyTracker { return &bodyTracker{base: &http.Transport{}} }

func (b *bodyTracker) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.opened++
	b.mu.Unlock()
	resp.Body = &trackedBody{ReadCloser: resp.Body, t: b}
	return resp, nil
}

func (b *bodyTracker) counts() (int, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.opened, b.closed
}

type trackedBody struct {
	io.ReadCloser
	t    *bodyTracker
	once sync.Once
}

func (t *trackedBody) Close() error {
	t.once.Do(func() {
		t.t.mu.Lock()
		t.t.closed++
		t.t.mu.Unlock()
	})
	return t.ReadCloser.Close()
}

// events records the callbacks a call fired.
type events struct {
	mu                        sync.Mutex
	success, failure, streams int
	last                      *llm.Response
}

func (e *events) cb() llm.Callback {
	return llm.CallbackFuncs{
		Success: func(_ context.Context, _ *llm.CallInfo, r *llm.Response) {
			e.mu.Lock()
			e.success++
			e.last = r
			e.mu.Unlock()
		},
		Failure: func(context.Context, *llm.CallInfo, error) { e.mu.Lock(); e.failure++; e.mu.Unlock() },
		Stream:  func(context.Context, *llm.CallInfo, llm.Chunk) { e.mu.Lock(); e.streams++; e.mu.Unlock() },
	}
}

var streamFlavors = []struct {
	flavor llmtest.Flavor
	model  string
}{
	{llmtest.OpenAI, "gpt-4o"}, {llmtest.Anthropic, "claude-sonnet-4-5"}, {llmtest.Gemini, "gemini/gemini-2.0-flash"}, {llmtest.Ollama, "ollama/llama3"},
}

// TestModelStreamIterator: ranging over Model.Stream yields the same
// chunks as the callback form, then the whole response.
func TestModelStreamIterator(t *testing.T) {
	const text = "Seoul is sunny, Busan is rainy."
	for _, f := range streamFlavors {
		t.Run(string(f.flavor), func(t *testing.T) {
			srv := llmtest.New(t, f.flavor)
			reply := llmtest.Reply{Text: text, ChunkSize: 5, Usage: llmtest.Usage{Prompt: 20, Completion: 9}}
			srv.Enqueue(reply, reply)
			m := newModel(t, f.model, srv)

			var viaCallback collect
			req := userReq("weather?")
			req.Stream = viaCallback.fn
			want, err := m.Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}

			var got []llm.Chunk
			var final *llm.Response
			for c, err := range m.Stream(context.Background(), userReq("weather?")) {
				if err != nil {
					t.Fatal(err)
				}
				if c.Response != nil {
					final = c.Response
					continue
				}
				got = append(got, c)
			}
			if len(got) != len(viaCallback.chunks) || len(got) < 3 {
				t.Fatalf("%d chunks from the iterator, %d from the callback", len(got), len(viaCallback.chunks))
			}
			var b strings.Builder
			for i, c := range got {
				if c.Text != viaCallback.chunks[i].Text || c.FinishReason != viaCallback.chunks[i].FinishReason {
					t.Fatalf("chunk %d: %+v vs %+v", i, c, viaCallback.chunks[i])
				}
				b.WriteString(c.Text)
			}
			if b.String() != text || final == nil || final.Message.Content != text || final.Usage.TotalTokens != want.Usage.TotalTokens ||
				final.FinishReason != llm.FinishStop || final.Model != f.model || final.Cost != want.Cost {
				t.Fatalf("text %q final %+v", b.String(), final)
			}
		})
	}
}

// TestModelStreamBreak: breaking out of the loop ends the call as a
// success with the partial response: the success callback runs (no
// failure callback), the HTTP body is closed and no goroutine is left.
func TestModelStreamBreak(t *testing.T) {
	for _, f := range streamFlavors {
		t.Run(string(f.flavor), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			srv := llmtest.Start(f.flavor)
			defer srv.Close()
			srv.Enqueue(llmtest.Reply{Text: strings.Repeat("abcd", 200), ChunkSize: 4, Usage: llmtest.Usage{Prompt: 20, Completion: 200}})
			tr := newBodyTracker()
			defer tr.base.CloseIdleConnections()
			var ev events
			m, err := llm.New(f.model, llm.WithAPIKey(testKey), llm.WithAPIBase(srv.APIBase()),
				llm.WithHTTPClient(&http.Client{Transport: tr}), llm.WithCallbacks(ev.cb()))
			if err != nil {
				t.Fatal(err)
			}
			var seen strings.Builder
			n := 0
			for c, err := range m.Stream(context.Background(), userReq("count")) {
				if err != nil {
					t.Fatal(err)
				}
				seen.WriteString(c.Text)
				if n++; n == 3 {
					break
				}
			}
			if opened, closed := tr.counts(); opened != 1 || closed != 1 {
				t.Fatalf("bodies opened %d closed %d", opened, closed)
			}
			if ev.success != 1 || ev.failure != 0 {
				t.Fatalf("callbacks: %d successes, %d failures", ev.success, ev.failure)
			}
			p := ev.last
			if p.FinishReason != llm.FinishStopped || p.Message.Content != seen.String() || seen.Len() == 0 || p.Model != f.model {
				t.Fatalf("partial %+v (seen %q)", p, seen.String())
			}
		})
	}
}

// TestModelStreamErrors: a failure before the first chunk is yielded once
// as the provider's error; a cut stream yields its chunks, then one
// ErrStreamInterrupted carrying them.
func TestModelStreamErrors(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	var ev events
	m := newModel(t, "claude-sonnet-4-5", srv, llm.WithCallbacks(ev.cb()))
	srv.Enqueue(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "slow down", Header: map[string]string{"Retry-After": "7"}})
	var errs []error
	chunks := 0
	for c, err := range m.Stream(context.Background(), userReq("x")) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = c
		chunks++
	}
	var e *llm.Error
	if len(errs) != 1 || chunks != 0 || !errors.As(errs[0], &e) || e.Kind != llm.ErrRateLimit || e.RetryAfter.Seconds() != 7 {
		t.Fatalf("errors %v, %d chunks", errs, chunks)
	}

	srv.Enqueue(llmtest.Reply{Text: "a partial answer that is cut", ChunkSize: 4, CutAfter: 6})
	errs, chunks = nil, 0
	var text strings.Builder
	for c, err := range m.Stream(context.Background(), userReq("x")) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		chunks++
		text.WriteString(c.Text)
	}
	if len(errs) != 1 || !errors.As(errs[0], &e) || e.Kind != llm.ErrStreamInterrupted || chunks == 0 ||
		e.Partial == nil || e.Partial.Message.Content != text.String() {
		t.Fatalf("errors %v, %d chunks, text %q", errs, chunks, text.String())
	}
	if ev.failure != 2 || ev.success != 0 {
		t.Fatalf("callbacks: %d successes, %d failures", ev.success, ev.failure)
	}
}

// TestStreamFuncStop: in the callback form, returning llm.ErrStopStream
// stops the stream as a success; any other error still fails the call.
func TestStreamFuncStop(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	var ev events
	m := newModel(t, "gpt-4o", srv, llm.WithCallbacks(ev.cb()))
	srv.Enqueue(llmtest.Reply{Text: "one two three four five", ChunkSize: 4, Usage: llmtest.Usage{Prompt: 5, Completion: 5}})
	n := 0
	req := userReq("x")
	req.Stream = func(context.Context, llm.Chunk) error {
		if n++; n == 2 {
			return errors.Join(errors.New("enough"), llm.ErrStopStream)
		}
		return nil
	}
	resp, err := m.Complete(context.Background(), req)
	if err != nil || resp.FinishReason != llm.FinishStopped || resp.Message.Content != "one two " || ev.success != 1 || ev.failure != 0 {
		t.Fatalf("resp %+v err %v callbacks %d/%d", resp, err, ev.success, ev.failure)
	}
	srv.Enqueue(llmtest.Reply{Text: "one two three four five", ChunkSize: 4})
	boom := errors.New("boom")
	n = 0
	req.Stream = func(context.Context, llm.Chunk) error {
		if n++; n == 2 {
			return boom
		}
		return nil
	}
	_, err = m.Complete(context.Background(), req)
	if !errors.Is(err, llm.ErrStreamInterrupted) || !errors.Is(err, boom) || ev.failure != 1 {
		t.Fatalf("err %v, %d failures", err, ev.failure)
	}
}

// TestStreamNonStreamingCompleter: a Completer that ignores StreamFunc
// yields its reply as one chunk carrying the response.
func TestStreamNonStreamingCompleter(t *testing.T) {
	c := completerFunc(func(_ context.Context, req *llm.Request) (*llm.Response, error) {
		return &llm.Response{Message: llm.Message{Role: llm.RoleAssistant, Content: "whole",
			ToolCalls: []llm.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}}}, FinishReason: llm.FinishToolCalls}, nil
	})
	var got []llm.Chunk
	for ch, err := range llm.Stream(context.Background(), c, userReq("x")) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ch)
	}
	if len(got) != 2 || got[0].ToolCall == nil || got[0].ToolCall.Name != "f" || got[1].Text != "whole" ||
		got[1].Response == nil || got[1].FinishReason != llm.FinishToolCalls {
		t.Fatalf("chunks %+v", got)
	}
}

type completerFunc func(context.Context, *llm.Request) (*llm.Response, error)

func (f completerFunc) Complete(ctx context.Context, r *llm.Request) (*llm.Response, error) {
	return f(ctx, r)
}
