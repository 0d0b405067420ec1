package llm

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HTTPError is the failure of a provider HTTP call, as captured by this
// package's HTTP wrappers: status, headers and the (bounded) error body,
// both already redacted: credential headers and every secret the model
// knows are replaced by [REDACTED]. Classify turns it into an *Error.
type HTTPError struct {
	StatusCode int
	Header     http.Header
	Body       []byte

	by uint64 // the id of the redactor that built it, when this package did
}

// Error returns the status and the provider's message.
func (h *HTTPError) Error() string {
	msg, _, _ := providerMessage(h.Body)
	if msg == "" {
		msg = http.StatusText(h.StatusCode)
	}
	return "status " + strconv.Itoa(h.StatusCode) + ": " + msg
}

// StreamError is an error event received inside a stream (an SSE
// `event: error`, or a chunk carrying an "error" object). It is never a
// clean end of stream.
type StreamError struct {
	// Type is the provider's error type or code ("overloaded_error", ...).
	Type string
	// Message is the provider's message.
	Message string
	// StatusCode is the status the event carries, if any.
	StatusCode int
}

// Error describes the event.
func (s *StreamError) Error() string {
	if s.Type != "" {
		return "stream error event " + s.Type + ": " + s.Message
	}
	return "stream error event: " + s.Message
}

// Classify turns any failure into an *Error of the taxonomy; it is never nil
// for a non-nil err. An *Error is returned unchanged (its empty Provider and
// Model filled in). A deadline (of err or of ctx) is ErrTimeout even where a
// provider hid it in a string; a failure without an HTTP response is
// ErrAPIConnection; otherwise the HTTP status decides, then the body text.
func Classify(ctx context.Context, err error, provider, model string) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		if e.Provider == "" {
			e.Provider = provider
		}
		if e.Model == "" {
			e.Model = model
		}
		return e
	}
	var k Kind
	if errors.As(err, &k) {
		return &Error{Kind: k, Provider: provider, Model: model, Err: err}
	}
	mk := func(kind Kind, msg string) *Error {
		return &Error{Kind: kind, Provider: provider, Model: model, Message: msg, Err: err}
	}
	var he *HTTPError
	if errors.As(err, &he) {
		e := ClassifyHTTP(he.StatusCode, he.Header, he.Body, provider, model)
		e.Err = err
		return e
	}
	var se *StreamError
	if errors.As(err, &se) {
		kind := kindFromCode(se.Type)
		if se.StatusCode != 0 {
			kind = refineKind(kindFromStatus(se.StatusCode), strings.ToLower(se.Type+" "+se.Message))
		} else if kind == "" {
			kind = kindFromText(strings.ToLower(se.Message))
		} else {
			kind = refineKind(kind, strings.ToLower(se.Message))
		}
		ce := mk(kind, se.Error())
		ce.StatusCode = se.StatusCode
		return ce
	}
	if errors.Is(err, context.DeadlineExceeded) || (ctx != nil && errors.Is(ctx.Err(), context.DeadlineExceeded)) {
		e := mk(ErrTimeout, "deadline exceeded: "+err.Error())
		if !errors.Is(err, context.DeadlineExceeded) {
			// the transport reported the deadline in its own words
			e.Err = errors.Join(err, context.DeadlineExceeded)
		}
		return e
	}
	if errors.Is(err, context.Canceled) || (ctx != nil && errors.Is(ctx.Err(), context.Canceled)) {
		return mk(ErrAPIConnection, "request canceled: "+err.Error())
	}
	// Errors carrying a status code (AWS SDK, other clients).
	var sc interface{ HTTPStatusCode() int }
	if errors.As(err, &sc) && sc.HTTPStatusCode() >= 400 {
		st := sc.HTTPStatusCode()
		ce := mk(refineKind(kindFromStatus(st), strings.ToLower(err.Error())), err.Error())
		ce.StatusCode = st
		return ce
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return mk(ErrTimeout, err.Error())
	}
	if isConnectionError(err) {
		return mk(ErrAPIConnection, err.Error())
	}
	msg := err.Error()
	low := strings.ToLower(msg)
	if m := statusInText.FindStringSubmatch(low); m != nil {
		st, _ := strconv.Atoi(m[1])
		if st >= 400 && st < 600 {
			ce := mk(refineKind(kindFromStatus(st), low), msg)
			ce.StatusCode = st
			return ce
		}
	}
	return mk(kindFromText(low), msg)
}

var statusInText = regexp.MustCompile(`status(?: code)?:?\s*(\d{3})\b`)

func isConnectionError(err error) bool {
	var (
		op  *net.OpError
		dns *net.DNSError
		rec tls.RecordHeaderError
		cve *tls.CertificateVerificationError
	)
	switch {
	case errors.As(err, &op), errors.As(err, &dns), errors.As(err, &rec), errors.As(err, &cve):
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return true
	}
	low := strings.ToLower(err.Error())
	return strings.Contains(low, "connection refused") || strings.Contains(low, "connection reset") ||
		strings.Contains(low, "no such host") || strings.Contains(low, "broken pipe")
}

// ClassifyHTTP classifies an HTTP failure from its status first and its body
// text second, and reads Retry-After (seconds or HTTP date, or
// retry-after-ms, or Gemini's retryDelay in the body).
func ClassifyHTTP(status int, header http.Header, body []byte, provider, model string) *Error {
	msg, code, _ := providerMessage(body)
	if msg == "" {
		msg = strings.TrimSpace(string(body))
		if len(msg) > 500 {
			msg = msg[:500] + "..."
		}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	low := strings.ToLower(code + " " + msg)
	kind := refineKind(kindFromStatus(status), low)
	e := &Error{Kind: kind, Provider: provider, Model: model, StatusCode: status, Message: msg}
	e.RetryAfter = ParseRetryAfter(header, time.Now())
	if e.RetryAfter == 0 {
		e.RetryAfter = retryDelayInBody(body)
	}
	return e
}

func kindFromStatus(status int) Kind {
	switch {
	case status == 400, status == 413:
		return ErrBadRequest
	case status == 401:
		return ErrAuthentication
	case status == 403:
		return ErrPermissionDenied
	case status == 404:
		return ErrNotFound
	case status == 408, status == 504:
		return ErrTimeout
	case status == 422:
		return ErrUnprocessableEntity
	case status == 429, status == 529:
		return ErrRateLimit
	case status == 502:
		return ErrBadGateway
	case status == 503:
		return ErrServiceUnavailable
	case status >= 500:
		return ErrInternalServer
	case status == 409:
		return ErrAPI
	case status >= 400:
		return ErrBadRequest
	}
	return ErrAPI
}

// The message patterns of the taxonomy (lower case).
var (
	contextWindowPatterns = []string{
		"maximum context length", "context_length_exceeded", "exceed context limit", "context window",
		"is longer than the model's context length", "input tokens exceed the configured limit",
		"exceeds the maximum number of tokens allowed", "exceeds the available context size",
		"prompt is too long", "too many tokens", "context length exceeded", "reduce the length of the messages",
	}
	contentPolicyPatterns = []string{
		"content_policy_violation", "content policy", "responsibleaipolicyviolation", "safety system",
		"content_filter", "content management policy", "the response was blocked", "blocked due to safety",
	}
	rateLimitPattern   = regexp.MustCompile(`\b429\b|rate[\s_-]*limit|resource[\s_]exhausted|quota exceeded|insufficient_quota|overloaded|too many requests`)
	authPatterns       = []string{"api key not valid", "invalid api key", "incorrect api key", "invalid x-api-key", "api_key_invalid", "invalid_api_key", "authentication_error", "unauthenticated", "invalid authentication"}
	unsupportedPattern = regexp.MustCompile(`unsupported (parameter|value)|is not supported with this model|does not support (parameter|tools|tool|function)`)
)

func containsAny(s string, pats []string) bool {
	for _, p := range pats {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}

// refineKind sharpens a status-derived kind with the body text.
func refineKind(k Kind, low string) Kind {
	switch k {
	case ErrBadRequest, ErrAPI:
		switch {
		case containsAny(low, contextWindowPatterns):
			return ErrContextWindowExceeded
		case containsAny(low, contentPolicyPatterns):
			return ErrContentPolicyViolation
		case containsAny(low, authPatterns):
			return ErrAuthentication
		case unsupportedPattern.MatchString(low):
			return ErrUnsupportedParams
		}
		if k == ErrAPI && rateLimitPattern.MatchString(low) {
			return ErrRateLimit
		}
	case ErrPermissionDenied:
		if containsAny(low, contentPolicyPatterns) {
			return ErrContentPolicyViolation
		}
	case ErrInternalServer:
		if strings.Contains(low, "overloaded") {
			return ErrRateLimit
		}
	}
	return k
}

// kindFromCode maps providers' error type/code/status strings.
func kindFromCode(code string) Kind {
	switch strings.ToLower(code) {
	case "context_length_exceeded":
		return ErrContextWindowExceeded
	case "content_filter", "content_policy_violation":
		return ErrContentPolicyViolation
	case "rate_limit_exceeded", "rate_limit_error", "insufficient_quota", "resource_exhausted", "overloaded_error", "overloaded":
		return ErrRateLimit
	case "authentication_error", "invalid_api_key", "unauthenticated":
		return ErrAuthentication
	case "permission_error", "permission_denied":
		return ErrPermissionDenied
	case "not_found_error", "not_found", "model_not_found":
		return ErrNotFound
	case "api_error", "internal", "internal_server_error", "server_error":
		return ErrInternalServer
	case "unavailable", "service_unavailable":
		return ErrServiceUnavailable
	case "truncated":
		return ErrAPIConnection
	case "deadline_exceeded", "timeout":
		return ErrTimeout
	case "invalid_request_error", "invalid_argument", "request_too_large", "failed_precondition":
		return ErrBadRequest
	}
	return ""
}

// kindFromText classifies a failure with no status from its text alone.
func kindFromText(low string) Kind {
	switch {
	case containsAny(low, contextWindowPatterns):
		return ErrContextWindowExceeded
	case containsAny(low, contentPolicyPatterns):
		return ErrContentPolicyViolation
	case rateLimitPattern.MatchString(low):
		return ErrRateLimit
	case containsAny(low, authPatterns):
		return ErrAuthentication
	case strings.Contains(low, "timed out"), strings.Contains(low, "timeout"), strings.Contains(low, "deadline exceeded"):
		return ErrTimeout
	case strings.Contains(low, "service unavailable"):
		return ErrServiceUnavailable
	case strings.Contains(low, "bad gateway"):
		return ErrBadGateway
	case strings.Contains(low, "internal server error"), strings.Contains(low, "api_error"):
		return ErrInternalServer
	}
	return ErrAPI
}

// providerMessage extracts the message and type/code from the error bodies
// of OpenAI ({"error":{"message","type","code"}}), Anthropic
// ({"type":"error","error":{"type","message"}}), Gemini
// ({"error":{"code","message","status"}}) and Ollama ({"error":"..."}).
func providerMessage(body []byte) (msg, code string, ok bool) {
	if len(body) == 0 || body[0] != '{' && body[0] != '[' {
		b := strings.TrimSpace(string(body))
		if !strings.HasPrefix(b, "{") && !strings.HasPrefix(b, "[") {
			return "", "", false
		}
		body = []byte(b)
	}
	if body[0] == '[' { // Gemini sometimes wraps the error in an array
		var arr []json.RawMessage
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 {
			return "", "", false
		}
		body = arr[0]
	}
	var env struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  string          `json:"detail"`
	}
	if json.Unmarshal(body, &env) != nil {
		return "", "", false
	}
	if len(env.Error) > 0 {
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			return s, "", true
		}
		var obj struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Status  string          `json:"status"`
		}
		if json.Unmarshal(env.Error, &obj) == nil {
			code := obj.Type
			var cs string
			if json.Unmarshal(obj.Code, &cs) == nil && cs != "" {
				code = strings.TrimSpace(code + " " + cs)
			}
			if obj.Status != "" {
				code = strings.TrimSpace(code + " " + obj.Status)
			}
			return obj.Message, code, true
		}
	}
	if env.Message != "" {
		return env.Message, "", true
	}
	if env.Detail != "" {
		return env.Detail, "", true
	}
	return "", "", false
}

// ParseRetryAfter reads the wait a response asks for: the retry-after-ms
// header, else Retry-After as seconds (integer or decimal) or as an HTTP
// date relative to now. It returns 0 when absent, malformed or in the past.
func ParseRetryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := strings.TrimSpace(h.Get("Retry-After-Ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil {
			if d := toDuration(ms, time.Millisecond); d > 0 {
				return d
			}
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		return toDuration(s, time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

var retryDelayRe = regexp.MustCompile(`"retryDelay"\s*:\s*"([0-9.]+)s"`)

func retryDelayInBody(body []byte) time.Duration {
	m := retryDelayRe.FindSubmatch(body)
	if m == nil {
		return 0
	}
	s, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		return 0
	}
	return toDuration(s, time.Second)
}

// toDuration converts n units to a Duration: 0 for a value that is not
// positive or not finite, the largest Duration for one too large to hold.
func toDuration(n float64, unit time.Duration) time.Duration {
	if math.IsNaN(n) || math.IsInf(n, 0) || n <= 0 {
		return 0
	}
	d := n * float64(unit)
	if d >= math.MaxInt64 {
		return math.MaxInt64
	}
	return time.Duration(d)
}
