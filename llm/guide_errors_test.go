package llm_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

var agFlavorModel = map[llmtest.Flavor]string{
	llmtest.OpenAI: "gpt-4", llmtest.Anthropic: "claude-3-opus-20240229",
	llmtest.Gemini: "gemini/gemini-2.0-flash", llmtest.Ollama: "ollama/llama3",
}

// The exception classes of guide 9.1 / 9.2 and what triggers them, as the
// providers send them; every one is also an APIError, the sub-kinds of a
// 400 also BadRequestError, and the provider is named.
func TestGuideExceptionClasses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flavor llmtest.Flavor
		reply  llmtest.Reply
		kind   llm.Kind
		parent llm.Kind
	}{
		{"openai 429", llmtest.OpenAI, llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "Rate limit reached for gpt-4"}, llm.ErrRateLimit, ""},
		{"anthropic 429", llmtest.Anthropic, llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "Number of request tokens has exceeded your per-minute rate limit"}, llm.ErrRateLimit, ""},
		{"gemini 429", llmtest.Gemini, llmtest.Reply{Status: 429, ErrorType: "RESOURCE_EXHAUSTED", ErrorMessage: "Resource has been exhausted (e.g. check quota)."}, llm.ErrRateLimit, ""},
		{"openai context", llmtest.OpenAI, llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded",
			ErrorMessage: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens."}, llm.ErrContextWindowExceeded, llm.ErrBadRequest},
		{"anthropic context", llmtest.Anthropic, llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "prompt is too long: 210000 tokens > 200000 maximum"}, llm.ErrContextWindowExceeded, llm.ErrBadRequest},
		{"gemini context", llmtest.Gemini, llmtest.Reply{Status: 400, ErrorType: "INVALID_ARGUMENT", ErrorMessage: "The input token count (1200000) exceeds the maximum number of tokens allowed (1048576)."}, llm.ErrContextWindowExceeded, llm.ErrBadRequest},
		{"openai 401", llmtest.OpenAI, llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorCode: "invalid_api_key", ErrorMessage: "Incorrect API key provided: sk-test-***123."}, llm.ErrAuthentication, ""},
		{"anthropic 401", llmtest.Anthropic, llmtest.Reply{Status: 401, ErrorType: "authentication_error", ErrorMessage: "invalid x-api-key"}, llm.ErrAuthentication, ""},
		// Gemini answers a bad key with 400 INVALID_ARGUMENT "API key not
		// valid."; LiteLLM maps it to AuthenticationError.
		{"gemini bad key", llmtest.Gemini, llmtest.Reply{Status: 400, ErrorType: "INVALID_ARGUMENT", ErrorMessage: "API key not valid. Please pass a valid API key."}, llm.ErrAuthentication, ""},
		{"openai 404", llmtest.OpenAI, llmtest.Reply{Status: 404, ErrorType: "invalid_request_error", ErrorCode: "model_not_found", ErrorMessage: "The model `gpt-9` does not exist"}, llm.ErrNotFound, ""},
		{"openai 400", llmtest.OpenAI, llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "Invalid 'temperature': decimal above maximum value."}, llm.ErrBadRequest, ""},
		{"openai content policy", llmtest.OpenAI, llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "content_policy_violation",
			ErrorMessage: "Your request was rejected as a result of our safety system."}, llm.ErrContentPolicyViolation, llm.ErrBadRequest},
		{"openai 503", llmtest.OpenAI, llmtest.Reply{Status: 503, ErrorMessage: "The engine is currently overloaded"}, llm.ErrServiceUnavailable, ""},
		{"anthropic 529", llmtest.Anthropic, llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"}, llm.ErrRateLimit, ""},
		{"openai 500", llmtest.OpenAI, llmtest.Reply{Status: 500, ErrorMessage: "The server had an error processing your request."}, llm.ErrInternalServer, ""},
		{"openai 403", llmtest.OpenAI, llmtest.Reply{Status: 403, ErrorMessage: "Country, region, or territory not supported"}, llm.ErrPermissionDenied, ""},
	} {
		srv := llmtest.New(t, tc.flavor)
		srv.Enqueue(tc.reply)
		model := agFlavorModel[tc.flavor]
		m, err := llm.New(model, llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
		var e *llm.Error
		if !errors.As(err, &e) {
			t.Errorf("%s: not an *llm.Error: %v", tc.name, err)
			continue
		}
		if e.Kind != tc.kind || !errors.Is(err, tc.kind) || !errors.Is(err, llm.ErrAPI) ||
			(tc.parent != "" && !errors.Is(err, tc.parent)) || e.StatusCode != tc.reply.Status || e.Provider != strings.SplitN(m.Provider(), "/", 2)[0] {
			t.Errorf("%s: kind %s status %d provider %q: %v", tc.name, e.Kind, e.StatusCode, e.Provider, err)
		}
	}
}

// RateLimitError's retry-after (guide 9.1: e.response.headers.get('retry-after')).
func TestGuideRateLimitRetryAfter(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", Header: map[string]string{"Retry-After": "20"}})
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrRateLimit || e.RetryAfter != 20*time.Second {
		t.Fatalf("err %v", err)
	}
	var he *llm.HTTPError
	if !errors.As(err, &he) || he.Header.Get("Retry-After") != "20" {
		t.Fatalf("headers of %v", err)
	}
}

// APIConnectionError (refused connection) and Timeout (timeout=...),
// both still APIError.
func TestGuideConnectionAndTimeout(t *testing.T) {
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(llmtest.ClosedURL(t)+"/v1"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrAPIConnection) || !errors.Is(err, llm.ErrAPI) || errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("refused: %v", err)
	}
	srv := llmtest.NewOpenAI(t)
	srv.SetDefault(llmtest.Reply{Delay: 2 * time.Second, Text: "late"})
	m, err = llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}, Timeout: 50 * time.Millisecond})
	if !errors.Is(err, llm.ErrTimeout) || !errors.Is(err, llm.ErrAPI) || time.Since(start) > time.Second {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	// The per-model timeout (llm.Params timeout) does the same.
	m, err = llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()), llm.WithTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrTimeout) {
		t.Fatalf("model timeout: %v", err)
	}
}

// UnsupportedParamsError (guide 9.2): a parameter the provider cannot take
// fails before any request, unless drop_params.
func TestGuideUnsupportedParams(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	m, err := llm.New("claude-3-opus-20240229", llm.WithAPIKey("sk-ant-test-1"), llm.WithAPIBase(srv.APIBase()))
	if err != nil {
		t.Fatal(err)
	}
	seed := 7
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}, Seed: &seed})
	if !errors.Is(err, llm.ErrUnsupportedParams) || !errors.Is(err, llm.ErrBadRequest) || !strings.Contains(err.Error(), "seed") || srv.Count() != 0 {
		t.Fatalf("err %v, requests %d", err, srv.Count())
	}
	if _, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}, Seed: &seed, DropParams: true}); err != nil {
		t.Fatal(err)
	}
	last, _ := srv.Last()
	if _, ok := last.JSON["seed"]; ok {
		t.Fatalf("seed sent: %v", last.JSON)
	}
}

// No key in any error text, even when the provider echoes it back.
func TestGuideKeyNeverInErrors(t *testing.T) {
	const key = "sk-test-123abcDEF456ghiJKL789"
	for _, f := range []llmtest.Flavor{llmtest.OpenAI, llmtest.Anthropic, llmtest.Gemini} {
		srv := llmtest.New(t, f)
		srv.Enqueue(llmtest.Reply{Status: 401, ErrorType: "authentication_error", ErrorMessage: "Incorrect API key provided: " + key + "."})
		m, err := llm.New(agFlavorModel[f], llm.WithAPIKey(key), llm.WithAPIBase(srv.APIBase()))
		if err != nil {
			t.Fatal(err)
		}
		_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
		if err == nil || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "123abcDEF456") {
			t.Errorf("%s: %v", f, err)
		}
		var he *llm.HTTPError
		if errors.As(err, &he) && strings.Contains(string(he.Body), key) {
			t.Errorf("%s: key in body %s", f, he.Body)
		}
	}
}

type agSleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *agSleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// completion(max_retries=3) (guide 9.3): three retries, so four requests
// at most; the call succeeds when the fourth answers and fails after four
// failures. A bad request is never retried.
func TestGuideCompletionMaxRetries(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Status: 500}, llmtest.Reply{Status: 503}, llmtest.Reply{Status: 429}, llmtest.Reply{Text: "finally"})
	sl := &agSleeps{}
	m, err := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv.APIBase()), llm.WithRetries(3),
		llm.WithRetrySleep(sl.sleep, func() float64 { return 0.5 }))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}, Timeout: 30 * time.Second})
	if err != nil || resp.Message.Content != "finally" || resp.Attempts != 4 || srv.Count() != 4 {
		t.Fatalf("resp %+v err %v requests %d", resp, err, srv.Count())
	}
	// backoff 0.5s*2^n, half fixed, half random (0.5): 375ms, 750ms, 1.5s
	if want := []time.Duration{375 * time.Millisecond, 750 * time.Millisecond, 1500 * time.Millisecond}; !reflect.DeepEqual(sl.d, want) {
		t.Fatalf("waits %v want %v", sl.d, want)
	}
	srv2 := llmtest.NewOpenAI(t)
	srv2.SetDefault(llmtest.Reply{Status: 500})
	m2, _ := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv2.APIBase()), llm.WithRetries(3),
		llm.WithRetrySleep((&agSleeps{}).sleep, nil))
	_, err = m2.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrInternalServer) || srv2.Count() != 4 {
		t.Fatalf("err %v requests %d", err, srv2.Count())
	}
	srv3 := llmtest.NewOpenAI(t)
	srv3.SetDefault(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorMessage: "bad"})
	m3, _ := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(srv3.APIBase()), llm.WithRetries(3),
		llm.WithRetrySleep((&agSleeps{}).sleep, nil))
	_, err = m3.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrBadRequest) || srv3.Count() != 1 {
		t.Fatalf("err %v requests %d", err, srv3.Count())
	}
}

// The guide's per-kind retry policy on one model (9.3): RateLimitError 5,
// APIConnectionError 2, ContextWindowExceededError 0; retry_after 5 s is
// the minimum wait.
func TestGuideModelRetryPolicy(t *testing.T) {
	policy := map[llm.Kind]int{llm.ErrRateLimit: 5, llm.ErrAPIConnection: 2, llm.ErrContextWindowExceeded: 0}
	rl := llmtest.NewOpenAI(t)
	rl.SetDefault(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error"})
	sl := &agSleeps{}
	m, _ := llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(rl.APIBase()), llm.WithRetries(1),
		llm.WithRetryPolicy(policy), llm.WithRetryAfter(5*time.Second), llm.WithRetrySleep(sl.sleep, func() float64 { return 0.5 }))
	_, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrRateLimit) || rl.Count() != 6 {
		t.Fatalf("rate limit: err %v requests %d", err, rl.Count())
	}
	if want := []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 6 * time.Second}; !reflect.DeepEqual(sl.d, want) {
		t.Fatalf("waits %v want %v", sl.d, want)
	}

	var attempts int
	cb := llm.CallbackFuncs{Failure: func(context.Context, *llm.CallInfo, error) { attempts++ }}
	m, _ = llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(llmtest.ClosedURL(t)+"/v1"), llm.WithRetries(1),
		llm.WithRetryPolicy(policy), llm.WithRetrySleep((&agSleeps{}).sleep, nil), llm.WithCallbacks(cb))
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrAPIConnection) || attempts != 3 {
		t.Fatalf("connection: err %v attempts %d", err, attempts)
	}

	cw := llmtest.NewOpenAI(t)
	cw.SetDefault(llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded",
		ErrorMessage: "This model's maximum context length is 8192 tokens."})
	m, _ = llm.New("gpt-4", llm.WithAPIKey("sk-test-123"), llm.WithAPIBase(cw.APIBase()), llm.WithRetries(3),
		llm.WithRetryPolicy(policy), llm.WithRetrySleep((&agSleeps{}).sleep, nil))
	_, err = m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("Hello")}})
	if !errors.Is(err, llm.ErrContextWindowExceeded) || cw.Count() != 1 {
		t.Fatalf("context window: err %v requests %d", err, cw.Count())
	}
}
