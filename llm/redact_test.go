package llm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

const geminiKey = "AIzaSyD-gemini-SECRET-key-987654"

// leakCheck records everything callbacks and logs see.
func leakCheck(t *testing.T, secret string) (llm.Option, func()) {
	var logs bytes.Buffer
	var seen []string
	cb := llm.CallbackFuncs{
		Failure: func(_ context.Context, info *llm.CallInfo, err error) {
			seen = append(seen, err.Error())
			var e *llm.Error
			if errors.As(err, &e) && e.Err != nil {
				seen = append(seen, e.Err.Error())
				if u := errors.Unwrap(e.Err); u != nil {
					seen = append(seen, u.Error())
				}
			}
		},
	}
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return llm.WithCallbacks(cb, llm.LogCallback(logger)), func() {
		t.Helper()
		all := strings.Join(seen, "\n") + logs.String()
		if len(seen) == 0 || logs.Len() == 0 {
			t.Fatal("nothing observed")
		}
		if strings.Contains(all, secret) {
			t.Fatalf("secret leaked into callbacks/logs:\n%s", all)
		}
	}
}

func TestKeyRedactionGeminiURL(t *testing.T) {
	// Connection refused: the error names the URL, whose query holds the key.
	opt, check := leakCheck(t, geminiKey)
	m, err := llm.New("gemini/gemini-2.0-flash", llm.WithAPIKey(geminiKey), llm.WithAPIBase(llmtest.ClosedURL(t)), opt)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Complete(context.Background(), userReq("x"))
	if !errors.Is(err, llm.ErrAPIConnection) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), geminiKey) || !strings.Contains(err.Error(), "key=[REDACTED]") {
		t.Fatalf("error not redacted: %v", err)
	}
	var e *llm.Error
	errors.As(err, &e)
	for u := error(e); u != nil; u = errors.Unwrap(u) {
		if strings.Contains(u.Error(), geminiKey) {
			t.Fatalf("key in wrapped error %T: %v", u, u)
		}
	}
	check()

	// Timeout while the URL holds the key (the case langchaingo leaks).
	srv := llmtest.NewGemini(t)
	srv.SetDefault(llmtest.Reply{Text: "late", Delay: 2 * time.Second})
	opt2, check2 := leakCheck(t, geminiKey)
	m2 := newModel(t, "gemini/gemini-2.0-flash", srv, llm.WithAPIKey(geminiKey), llm.WithTimeout(40*time.Millisecond), opt2)
	_, err = m2.Complete(context.Background(), userReq("x"))
	if !errors.Is(err, llm.ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), geminiKey) {
		t.Fatalf("timeout err = %v", err)
	}
	check2()
}

func TestKeyRedactionHeaderKeyEchoed(t *testing.T) {
	// The provider echoes the (wrong) key in its error body, as OpenAI does.
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Status: 401, ErrorType: "invalid_request_error", ErrorCode: "invalid_api_key",
		ErrorMessage: "Incorrect API key provided: " + testKey + ". You can find your API key at your account page."})
	opt, check := leakCheck(t, testKey)
	m := newModel(t, "gpt-4o", srv, opt)
	_, err := m.Complete(context.Background(), userReq("x"))
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrAuthentication || e.StatusCode != 401 {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), testKey) || !strings.Contains(e.Message, "Incorrect API key provided: [REDACTED]") {
		t.Fatalf("not redacted: %q", e.Message)
	}
	var he *llm.HTTPError
	if !errors.As(err, &he) || he.StatusCode != 401 || bytes.Contains(he.Body, []byte(testKey)) {
		t.Fatalf("http error kept or leaked: %+v", he)
	}
	check()

	// Anthropic: key sent in x-api-key, echoed in an in-stream error.
	asrv := llmtest.NewAnthropic(t)
	asrv.Enqueue(llmtest.Reply{Text: "abcdefgh", StreamError: "authentication_error", ErrorMessage: "bad key " + testKey})
	opt2, check2 := leakCheck(t, testKey)
	am := newModel(t, "claude-sonnet-4-5", asrv, opt2)
	req := userReq("x")
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	_, err = am.Complete(context.Background(), req)
	if !errors.Is(err, llm.ErrAuthentication) || strings.Contains(err.Error(), testKey) {
		t.Fatalf("stream err = %v", err)
	}
	check2()
}

func TestRedactSecrets(t *testing.T) {
	in := `GET https://x.test/v1beta/models/m:generateContent?alt=sse&key=AIzaABC123&x=1 Authorization: Bearer sk-live-abcdefghijkl api_key=zzz999 mysecretvalue`
	out := llm.RedactSecrets(in, "mysecretvalue")
	for _, bad := range []string{"AIzaABC123", "sk-live-abcdefghijkl", "zzz999", "mysecretvalue"} {
		if strings.Contains(out, bad) {
			t.Fatalf("%q left in %q", bad, out)
		}
	}
	if !strings.Contains(out, "alt=sse&key=[REDACTED]&x=1") || !strings.Contains(out, "Bearer [REDACTED]") {
		t.Fatalf("out = %q", out)
	}
}
