package router

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// hybridClock waits on a manual clock (so backoffs are recorded, not
// slept) but runs timers for real (so deadlines cut real HTTP calls).
type hybridClock struct{ *fakeClock }

func (h hybridClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

var flavorModel = map[llmtest.Flavor]string{
	llmtest.OpenAI:    "gpt-4o-mini",
	llmtest.Anthropic: "claude-3-5-haiku-20241022",
	llmtest.Gemini:    "gemini/gemini-2.0-flash",
	llmtest.Ollama:    "ollama/llama3",
}

func serverDep(t *testing.T, group, id string, s *llmtest.Server, base string) Deployment {
	t.Helper()
	if base == "" {
		base = s.APIBase()
	}
	return Deployment{Group: group, ID: id, Params: llm.Params{Model: flavorModel[s.Flavor()], APIKey: "sk-test-" + id, APIBase: base}}
}

type matrixRow struct {
	name    string
	flavor  llmtest.Flavor
	fail    llmtest.Reply
	refused bool
	timeout time.Duration
	stream  bool

	// group of two deployments (d1 first by order, d2 healthy) with
	// fallbacks to "backup", context-window fallbacks to "big" and
	// content-policy fallbacks to "safe"
	kind     llm.Kind      // kind of d1's failure
	status   int           // its HTTP status (0: none)
	retryAft time.Duration // Retry-After it carried (0: none; -1: any > 0)
	cooled   bool          // d1 cooled down afterwards
	next     string        // who answered next ("" when the call failed)
	attempts int
	callKind llm.Kind // the call's error kind when next == ""
	cause    llm.Kind // the cause of a stream interruption

	// the same failure on a group of one deployment, no fallbacks
	soloCalls int             // calls to the deployment (1 = not retried)
	soloWaits []time.Duration // waits before the retries
	soloKind  llm.Kind        // "" when the retry answered
}

func matrixRows() []matrixRow {
	text := "The answer is forty-two."
	return []matrixRow{
		{name: "500", flavor: llmtest.OpenAI, fail: llmtest.Reply{Status: 500},
			kind: llm.ErrInternalServer, status: 500, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "502", flavor: llmtest.OpenAI, fail: llmtest.Reply{Status: 502},
			kind: llm.ErrBadGateway, status: 502, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "503", flavor: llmtest.Gemini, fail: llmtest.Reply{Status: 503, ErrorType: "UNAVAILABLE"},
			kind: llm.ErrServiceUnavailable, status: 503, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "529 overloaded (Anthropic)", flavor: llmtest.Anthropic, fail: llmtest.Reply{Status: 529, ErrorType: "overloaded_error", ErrorMessage: "Overloaded"},
			kind: llm.ErrRateLimit, status: 529, cooled: true, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "429 Retry-After seconds", flavor: llmtest.OpenAI, fail: llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", Header: map[string]string{"Retry-After": "7"}},
			kind: llm.ErrRateLimit, status: 429, retryAft: 7 * time.Second, cooled: true, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{7 * time.Second}},
		{name: "429 Retry-After date", flavor: llmtest.Anthropic, fail: llmtest.Reply{Status: 429, ErrorType: "rate_limit_error",
			Header: map[string]string{"Retry-After": time.Now().Add(30 * time.Second).UTC().Format(http.TimeFormat)}},
			kind: llm.ErrRateLimit, status: 429, retryAft: -1, cooled: true, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{-1}},
		{name: "429 RESOURCE_EXHAUSTED with retryDelay (Gemini)", flavor: llmtest.Gemini, fail: llmtest.Reply{Status: 429, ErrorType: "RESOURCE_EXHAUSTED",
			ErrorMessage: "Quota exceeded", RetryDelay: "12s"},
			kind: llm.ErrRateLimit, status: 429, retryAft: 12 * time.Second, cooled: true, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{12 * time.Second}},
		{name: "401", flavor: llmtest.OpenAI, fail: llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorMessage: "Incorrect API key"},
			kind: llm.ErrAuthentication, status: 401, cooled: true, next: "d2", attempts: 2,
			soloCalls: 1, soloKind: llm.ErrAuthentication},
		{name: "404", flavor: llmtest.Gemini, fail: llmtest.Reply{Status: 404, ErrorType: "NOT_FOUND", ErrorMessage: "model not found"},
			kind: llm.ErrNotFound, status: 404, cooled: true, next: "backup", attempts: 2,
			soloCalls: 1, soloKind: llm.ErrNotFound},
		{name: "400 context length", flavor: llmtest.OpenAI, fail: llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "context_length_exceeded",
			ErrorMessage: "This model's maximum context length is 128000 tokens."},
			kind: llm.ErrContextWindowExceeded, status: 400, next: "big", attempts: 2,
			soloCalls: 1, soloKind: llm.ErrContextWindowExceeded},
		{name: "400 content filter", flavor: llmtest.OpenAI, fail: llmtest.Reply{Status: 400, ErrorType: "invalid_request_error", ErrorCode: "content_policy_violation",
			ErrorMessage: "Your request was rejected as a result of our safety system."},
			kind: llm.ErrContentPolicyViolation, status: 400, next: "safe", attempts: 2,
			soloCalls: 1, soloKind: llm.ErrContentPolicyViolation},
		{name: "deadline", flavor: llmtest.OpenAI, fail: llmtest.Reply{Delay: 2 * time.Second}, timeout: 50 * time.Millisecond,
			kind: llm.ErrTimeout, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "connection refused", flavor: llmtest.OpenAI, refused: true,
			kind: llm.ErrAPIConnection, next: "d2", attempts: 2,
			soloCalls: 3, soloWaits: []time.Duration{375 * time.Millisecond, 750 * time.Millisecond}, soloKind: llm.ErrAPIConnection},
		{name: "malformed JSON", flavor: llmtest.OpenAI, fail: llmtest.Reply{Body: `{"id": "x", "choices": [ not json`},
			kind: llm.ErrAPI, status: 200, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "stream cut before any content", flavor: llmtest.OpenAI, stream: true, fail: llmtest.Reply{Text: text, CutAfter: 1},
			kind: llm.ErrAPIConnection, next: "d2", attempts: 2,
			soloCalls: 2, soloWaits: []time.Duration{375 * time.Millisecond}},
		{name: "stream cut after 2 chunks", flavor: llmtest.OpenAI, stream: true, fail: llmtest.Reply{Text: text, CutAfter: 3},
			kind: llm.ErrStreamInterrupted, cause: llm.ErrAPIConnection, attempts: 1, callKind: llm.ErrStreamInterrupted,
			soloCalls: 1, soloKind: llm.ErrStreamInterrupted},
		{name: "in-band stream error", flavor: llmtest.Anthropic, stream: true, fail: llmtest.Reply{Text: text, CutAfter: 5, StreamError: "overloaded_error", ErrorMessage: "Overloaded"},
			kind: llm.ErrStreamInterrupted, cause: llm.ErrRateLimit, cooled: true, attempts: 1, callKind: llm.ErrStreamInterrupted,
			soloCalls: 1, soloKind: llm.ErrStreamInterrupted},
		{name: "malformed stream chunk", flavor: llmtest.OpenAI, stream: true, fail: llmtest.Reply{Text: text, Malformed: 4},
			kind: llm.ErrStreamInterrupted, cause: llm.ErrAPI, attempts: 1, callKind: llm.ErrStreamInterrupted,
			soloCalls: 1, soloKind: llm.ErrStreamInterrupted},
	}
}

// TestFaultInjectionMatrix runs every failure against real provider wire
// formats through llm.Models built from Params.
func TestFaultInjectionMatrix(t *testing.T) {
	var table []string
	for _, row := range matrixRows() {
		t.Run(row.name, func(t *testing.T) {
			got := runMatrixGroup(t, row)
			solo := runMatrixSolo(t, row)
			kind := string(row.kind)
			if row.cause != "" {
				kind += " (cause " + string(row.cause) + ")"
			}
			table = append(table, fmt.Sprintf("| %s | %s | %s | %v | %s | %d |", row.name, kind, solo, got.cooled, got.next, got.attempts))
		})
	}
	t.Log("\n| failure | kind | retried (group of one) | cooled down | next | attempts |\n|---|---|---|---|---|---|\n" + strings.Join(table, "\n"))
}

type groupResult struct {
	cooled   bool
	next     string
	attempts int
	wait     string
}

func runMatrixGroup(t *testing.T, row matrixRow) groupResult {
	s1 := llmtest.Start(row.flavor)
	defer s1.Close()
	s1.Enqueue(row.fail)
	s1.SetDefault(llmtest.Reply{Text: "d1 recovered", Usage: llmtest.Usage{Prompt: 10, Completion: 3}})
	s2 := llmtest.NewOpenAI(t)
	s2.SetDefault(llmtest.Reply{Text: "d2 answers", Usage: llmtest.Usage{Prompt: 12, Completion: 2}})
	backup, big, safe := llmtest.NewOllama(t), llmtest.NewGemini(t), llmtest.NewAnthropic(t)
	base := ""
	if row.refused {
		base = llmtest.ClosedURL(t)
	}
	d1 := serverDep(t, "primary", "d1", s1, base)
	d1.Timeout = row.timeout
	d2 := serverDep(t, "primary", "d2", s2, "")
	d2.Order = 2
	log := &attemptLog{}
	clk := hybridClock{newFakeClock()}
	r := newRouter(t, Config{
		Deployments: []Deployment{d1, d2, serverDep(t, "backup", "backup", backup, ""), serverDep(t, "big", "big", big, ""),
			serverDep(t, "safe", "safe", safe, "")},
		Fallbacks:              map[string][]string{"primary": {"backup"}},
		ContextWindowFallbacks: map[string][]string{"primary": {"big"}},
		ContentPolicyFallbacks: map[string][]string{"primary": {"safe"}},
		Callbacks:              []llm.Callback{log.callback()},
	}, clk, WithRand(seqRand(0.5)))

	var failure error
	r.callbacks = append(r.callbacks, llm.CallbackFuncs{Failure: func(_ context.Context, info *llm.CallInfo, err error) {
		if info.Deployment == "d1" && failure == nil {
			failure = err
		}
	}})
	req := userReq("primary", "What is the answer?")
	var streamed strings.Builder
	if row.stream {
		req.Stream = func(_ context.Context, c llm.Chunk) error { streamed.WriteString(c.Text); return nil }
	}
	resp, err := r.Complete(context.Background(), req)

	// d1's failure
	var fe *llm.Error
	if !errors.As(failure, &fe) {
		t.Fatalf("d1 failure = %v (call err %v)", failure, err)
	}
	if fe.Kind != row.kind {
		t.Errorf("kind = %s, want %s (%v)", fe.Kind, row.kind, fe)
	}
	if fe.Kind == llm.ErrStreamInterrupted {
		var cause *llm.Error
		if !errors.As(fe.Err, &cause) || cause.Kind == llm.ErrStreamInterrupted || cause.Kind != row.cause {
			t.Errorf("cause %v, want %s", fe.Err, row.cause)
		}
		if fe.Partial == nil || fe.Partial.Message.Content == "" || fe.Partial.Message.Content != streamed.String() ||
			!strings.HasPrefix("The answer is forty-two.", streamed.String()) {
			t.Errorf("partial %+v, streamed %q", fe.Partial, streamed.String())
		}
	} else if fe.StatusCode != row.status {
		t.Errorf("status = %d, want %d", fe.StatusCode, row.status)
	}
	switch {
	case row.retryAft > 0 && fe.RetryAfter != row.retryAft:
		t.Errorf("retry after = %v, want %v", fe.RetryAfter, row.retryAft)
	case row.retryAft < 0 && (fe.RetryAfter < 25*time.Second || fe.RetryAfter > 31*time.Second):
		t.Errorf("retry after (date) = %v, want about 30s", fe.RetryAfter)
	}
	if strings.Contains(fe.Error(), "sk-test-") {
		t.Errorf("the key leaked: %v", fe)
	}
	res := groupResult{cooled: cooling(r, "d1"), wait: fmt.Sprint(clk.Sleeps())}
	if res.cooled != row.cooled {
		t.Errorf("cooled = %v, want %v", res.cooled, row.cooled)
	}
	if len(clk.Sleeps()) != 0 {
		t.Errorf("slept %v although a healthy deployment or group existed", clk.Sleeps())
	}
	if row.next == "" {
		if errKind(err) != row.callKind {
			t.Errorf("call err = %v, want %s", err, row.callKind)
		}
		res.attempts = len(log.rows)
	} else {
		if err != nil {
			t.Fatalf("call failed: %v", err)
		}
		res.next, res.attempts = resp.Deployment, resp.Attempts
		if resp.Deployment != row.next {
			t.Errorf("answered by %s, want %s", resp.Deployment, row.next)
		}
		if resp.Usage.TotalTokens == 0 || resp.Provider == "" {
			t.Errorf("response usage/provider missing: %+v", resp)
		}
		if row.stream && streamed.String() != resp.Message.Content {
			t.Errorf("streamed %q, answer %q", streamed.String(), resp.Message.Content)
		}
	}
	if res.attempts != row.attempts {
		t.Errorf("attempts = %d, want %d (%+v)", res.attempts, row.attempts, log.rows)
	}
	if s1.Count() != 1 && !row.refused {
		t.Errorf("d1 called %d times", s1.Count())
	}
	return res
}

func runMatrixSolo(t *testing.T, row matrixRow) string {
	s := llmtest.Start(row.flavor)
	defer s.Close()
	s.Enqueue(row.fail)
	s.SetDefault(llmtest.Reply{Text: "recovered", Usage: llmtest.Usage{Prompt: 10, Completion: 3}})
	base := ""
	if row.refused {
		base = llmtest.ClosedURL(t)
	}
	d := serverDep(t, "solo", "solo", s, base)
	d.Timeout = row.timeout
	clk := hybridClock{newFakeClock()}
	log := &attemptLog{}
	r := newRouter(t, Config{Deployments: []Deployment{d}, Callbacks: []llm.Callback{log.callback()}}, clk, WithRand(seqRand(0.5)))
	req := userReq("solo", "What is the answer?")
	if row.stream {
		req.Stream = func(context.Context, llm.Chunk) error { return nil }
	}
	_, err := r.Complete(context.Background(), req)
	if errKind(err) != row.soloKind {
		t.Errorf("solo: err = %v, want kind %q", err, row.soloKind)
	}
	if len(log.rows) != row.soloCalls {
		t.Errorf("solo: %d attempts, want %d (%+v)", len(log.rows), row.soloCalls, log.rows)
	}
	waits := clk.Sleeps()
	if len(row.soloWaits) == 1 && row.soloWaits[0] < 0 {
		if len(waits) != 1 || waits[0] < 25*time.Second || waits[0] > 31*time.Second {
			t.Errorf("solo: waits %v, want about 30s", waits)
		}
	} else if !reflect.DeepEqual(waits, row.soloWaits) && !(len(waits) == 0 && len(row.soloWaits) == 0) {
		t.Errorf("solo: waits %v, want %v", waits, row.soloWaits)
	}
	if row.soloCalls == 1 {
		return "no"
	}
	var ws []string
	for _, w := range waits {
		ws = append(ws, w.Round(time.Millisecond).String())
	}
	return fmt.Sprintf("%d× after %s", row.soloCalls-1, strings.Join(ws, ", "))
}
