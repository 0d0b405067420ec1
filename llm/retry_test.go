package llm_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// sleeps records the waits between retries instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func half() float64 { return 0.5 }

type attemptRec struct {
	attempt int
	wait    time.Duration
	kind    llm.Kind
}

func attemptsCB(rows *[]attemptRec) llm.Callback {
	return llm.CallbackFuncs{
		Success: func(_ context.Context, i *llm.CallInfo, _ *llm.Response) {
			*rows = append(*rows, attemptRec{i.Attempt, i.Wait, ""})
		},
		Failure: func(_ context.Context, i *llm.CallInfo, err error) {
			*rows = append(*rows, attemptRec{i.Attempt, i.Wait, err.(*llm.Error).Kind})
		},
	}
}

// TestWithRetries: a single model retries transient failures with the
// Router's backoff, honouring Retry-After, and reports every attempt.
func TestWithRetries(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	var sl sleeps
	var rows []attemptRec
	m := newModel(t, "gpt-4o", srv, llm.WithRetries(3), llm.WithRetrySleep(sl.sleep, half), llm.WithCallbacks(attemptsCB(&rows)))
	srv.Enqueue(
		llmtest.Reply{Status: 429, ErrorMessage: "Rate limit reached", ErrorCode: "rate_limit_exceeded", Header: map[string]string{"Retry-After": "2"}},
		llmtest.Reply{Status: 500, ErrorMessage: "The server had an error"},
		llmtest.Reply{Status: 503, ErrorMessage: "unavailable"},
		llmtest.Reply{Text: "finally", Usage: llmtest.Usage{Prompt: 10, Completion: 2}},
	)
	resp, err := m.Complete(context.Background(), userReq("hi"))
	if err != nil {
		t.Fatal(err)
	}
	// Retry-After 2 s; then 0.5 s*2^1 and 2^2 halves plus half of the rest.
	want := []time.Duration{2 * time.Second, 750 * time.Millisecond, 1500 * time.Millisecond}
	if resp.Message.Content != "finally" || resp.Attempts != 4 || srv.Count() != 4 || !reflect.DeepEqual(sl.d, want) {
		t.Fatalf("resp %q attempts %d, %d requests, sleeps %v", resp.Message.Content, resp.Attempts, srv.Count(), sl.d)
	}
	wantRows := []attemptRec{{1, 0, llm.ErrRateLimit}, {2, 2 * time.Second, llm.ErrInternalServer},
		{3, 750 * time.Millisecond, llm.ErrServiceUnavailable}, {4, 1500 * time.Millisecond, ""}}
	if !reflect.DeepEqual(rows, wantRows) {
		t.Fatalf("attempts %+v", rows)
	}

	// Out of retries: the last failure is returned.
	srv.Enqueue(llmtest.Reply{Status: 500}, llmtest.Reply{Status: 500}, llmtest.Reply{Status: 502, Body: "bad gateway"}, llmtest.Reply{Status: 500})
	before := srv.Count()
	_, err = m.Complete(context.Background(), userReq("hi"))
	if !errors.Is(err, llm.ErrInternalServer) || srv.Count()-before != 4 {
		t.Fatalf("err %v after %d requests", err, srv.Count()-before)
	}
}

// TestWithRetriesNotRetried: failures that another attempt cannot fix are
// returned at once.
func TestWithRetriesNotRetried(t *testing.T) {
	cases := []struct {
		name  string
		reply llmtest.Reply
		kind  llm.Kind
	}{
		{"bad request", llmtest.Reply{Status: 400, ErrorMessage: "Invalid value for 'temperature'"}, llm.ErrBadRequest},
		{"context window", llmtest.Reply{Status: 400, ErrorCode: "context_length_exceeded", ErrorMessage: "maximum context length is 8192 tokens"}, llm.ErrContextWindowExceeded},
		{"auth", llmtest.Reply{Status: 401, ErrorMessage: "Incorrect API key provided"}, llm.ErrAuthentication},
		{"not found", llmtest.Reply{Status: 404, ErrorMessage: "model not found"}, llm.ErrNotFound},
		{"retry-after too long", llmtest.Reply{Status: 429, ErrorMessage: "Rate limit reached", Header: map[string]string{"Retry-After": "120"}}, llm.ErrRateLimit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := llmtest.NewOpenAI(t)
			var sl sleeps
			m := newModel(t, "gpt-4o", srv, llm.WithRetries(3), llm.WithRetrySleep(sl.sleep, half))
			srv.Enqueue(c.reply, llmtest.Reply{Text: "would succeed"})
			_, err := m.Complete(context.Background(), userReq("hi"))
			if !errors.Is(err, c.kind) || srv.Count() != 1 || len(sl.d) != 0 {
				t.Fatalf("err %v, %d requests, sleeps %v", err, srv.Count(), sl.d)
			}
		})
	}
}

// TestWithRetriesDeadline: a wait that would outlast the caller's deadline
// is not taken.
func TestWithRetriesDeadline(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	var sl sleeps
	m := newModel(t, "claude-sonnet-4-5", srv, llm.WithRetries(2), llm.WithRetrySleep(sl.sleep, half))
	srv.Enqueue(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded", Header: map[string]string{"Retry-After": "30"}})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := m.Complete(ctx, userReq("hi"))
	if !errors.Is(err, llm.ErrRateLimit) || srv.Count() != 1 || len(sl.d) != 0 {
		t.Fatalf("err %v, %d requests, sleeps %v", err, srv.Count(), sl.d)
	}
	// A real sleep ends with the context.
	m2 := newModel(t, "claude-sonnet-4-5", srv, llm.WithRetries(2))
	srv.Enqueue(llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded", Header: map[string]string{"Retry-After": "30"}})
	ctx2, cancel2 := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel2)
	start := time.Now()
	_, err = m2.Complete(ctx2, userReq("hi"))
	if !errors.Is(err, llm.ErrRateLimit) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
}

// TestWithRetriesStream: a stream failing before its first chunk is
// retried; one cut after output reached the caller is not.
func TestWithRetriesStream(t *testing.T) {
	srv := llmtest.NewGemini(t)
	var sl sleeps
	m := newModel(t, "gemini/gemini-2.0-flash", srv, llm.WithRetries(2), llm.WithRetrySleep(sl.sleep, half))
	srv.Enqueue(llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE", ErrorMessage: "The model is overloaded."},
		llmtest.Reply{Text: "streamed fine", ChunkSize: 4})
	var text string
	for c, err := range m.Stream(context.Background(), userReq("hi")) {
		if err != nil {
			t.Fatal(err)
		}
		text += c.Text
		if c.Response != nil && c.Response.Attempts != 2 {
			t.Fatalf("attempts %d", c.Response.Attempts)
		}
	}
	if text != "streamed fine" || srv.Count() != 2 {
		t.Fatalf("text %q, %d requests", text, srv.Count())
	}
	srv.Enqueue(llmtest.Reply{Text: "cut after a few chunks", ChunkSize: 3, CutAfter: 3}, llmtest.Reply{Text: "never"})
	before := srv.Count()
	var errs []error
	for _, err := range m.Stream(context.Background(), userReq("hi")) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], llm.ErrStreamInterrupted) || srv.Count()-before != 1 {
		t.Fatalf("errs %v, %d requests", errs, srv.Count()-before)
	}
}

// TestWithRetryPolicy: per-kind counts as LiteLLM's RetryPolicy.
func TestWithRetryPolicy(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	var sl sleeps
	m := newModel(t, "gpt-4o", srv, llm.WithRetryPolicy(map[llm.Kind]int{llm.ErrRateLimit: 2}), llm.WithRetrySleep(sl.sleep, half),
		llm.WithRetryAfter(3*time.Second))
	rl := llmtest.Reply{Status: 429, ErrorMessage: "Rate limit reached"}
	srv.Enqueue(rl, rl, llmtest.Reply{Text: "ok"})
	resp, err := m.Complete(context.Background(), userReq("hi"))
	if err != nil || resp.Attempts != 3 || !reflect.DeepEqual(sl.d, []time.Duration{3 * time.Second, 3 * time.Second}) {
		t.Fatalf("resp %+v err %v sleeps %v", resp, err, sl.d)
	}
	// kinds the policy does not name use WithRetries' count: 0 here
	srv.Enqueue(llmtest.Reply{Status: 500}, llmtest.Reply{Text: "ok"})
	before := srv.Count()
	if _, err := m.Complete(context.Background(), userReq("hi")); !errors.Is(err, llm.ErrInternalServer) || srv.Count()-before != 1 {
		t.Fatalf("err %v, %d requests", err, srv.Count()-before)
	}
}

// TestBackoff: the shared policy's waits.
func TestBackoff(t *testing.T) {
	zero := func() float64 { return 0 }
	one := func() float64 { return 0.999999 }
	cases := []struct {
		e     *llm.Error
		n     int
		floor time.Duration
		rnd   func() float64
		want  time.Duration
		ok    bool
	}{
		{&llm.Error{Kind: llm.ErrRateLimit, RetryAfter: 7 * time.Second}, 0, 0, zero, 7 * time.Second, true},
		{&llm.Error{Kind: llm.ErrRateLimit, RetryAfter: 61 * time.Second}, 0, 0, zero, 0, false},
		{&llm.Error{Kind: llm.ErrRateLimit, RetryAfter: time.Second}, 0, 5 * time.Second, zero, 5 * time.Second, true},
		{&llm.Error{Kind: llm.ErrInternalServer}, 0, 0, zero, 250 * time.Millisecond, true},
		{&llm.Error{Kind: llm.ErrInternalServer}, 2, 0, zero, time.Second, true},
		{&llm.Error{Kind: llm.ErrInternalServer}, 9, 0, zero, 4 * time.Second, true},
		{&llm.Error{Kind: llm.ErrInternalServer}, 9, 0, one, 8*time.Second - 4*time.Microsecond, true},
	}
	for i, c := range cases {
		got, ok := llm.Backoff(c.e, c.n, c.floor, c.rnd)
		if ok != c.ok || got.Round(time.Millisecond) != c.want.Round(time.Millisecond) {
			t.Errorf("case %d: %s %v, want %s %v", i, got, ok, c.want, c.ok)
		}
	}
	for _, k := range []llm.Kind{llm.ErrRateLimit, llm.ErrTimeout, llm.ErrInternalServer, llm.ErrAPIConnection} {
		if !llm.Retryable(&llm.Error{Kind: k}) {
			t.Errorf("%s not retryable", k)
		}
	}
	for _, e := range []*llm.Error{{Kind: llm.ErrBadRequest, StatusCode: 400}, {Kind: llm.ErrAuthentication, StatusCode: 401},
		{Kind: llm.ErrStreamInterrupted, StatusCode: 500}, {Kind: llm.ErrBudgetExceeded}} {
		if llm.Retryable(e) {
			t.Errorf("%s (%d) retryable", e.Kind, e.StatusCode)
		}
	}
	if n, ok := llm.PolicyFor(map[llm.Kind]int{llm.ErrBadRequest: 1, llm.ErrInternalServer: 4}, llm.ErrContextWindowExceeded); !ok || n != 1 {
		t.Fatal("sub-kind should use its parent's entry")
	}
	if n, ok := llm.PolicyFor(map[llm.Kind]int{llm.ErrInternalServer: 4}, llm.ErrBadGateway); !ok || n != 4 {
		t.Fatal("bad gateway should use internal server's entry")
	}
}
