package llm_test

import (
	"errors"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// Retry-After values that are not finite are ignored, and values too large
// for a time.Duration saturate instead of wrapping to a negative wait.
func TestRetryAfterOutOfRange(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name, value string
		want        time.Duration
	}{
		{"Retry-After", "NaN", 0},
		{"Retry-After", "Inf", 0},
		{"Retry-After", "-Inf", 0},
		{"Retry-After", "1e300", time.Duration(math.MaxInt64)},
		{"Retry-After", "9223372037", time.Duration(math.MaxInt64)},
		{"Retry-After-Ms", "NaN", 0},
		{"Retry-After-Ms", "1e300", time.Duration(math.MaxInt64)},
	}
	for _, c := range cases {
		h := http.Header{}
		h.Set(c.name, c.value)
		if got := llm.ParseRetryAfter(h, now); got != c.want {
			t.Errorf("%s: %s -> %v, want %v", c.name, c.value, got, c.want)
		}
	}
	// Gemini's retryDelay in the body.
	srv := llmtest.NewGemini(t)
	srv.Enqueue(llmtest.Reply{Status: 429, ErrorType: "RESOURCE_EXHAUSTED", RetryDelay: "99999999999999999999s"})
	_, err := newModel(t, "gemini/gemini-2.0-flash", srv).Complete(t.Context(), userReq("x"))
	var e *llm.Error
	if !errors.As(err, &e) || e.RetryAfter != time.Duration(math.MaxInt64) {
		t.Fatalf("err = %v (retry after %v)", err, e.RetryAfter)
	}
}
