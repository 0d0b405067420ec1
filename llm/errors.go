package llm

import (
	"fmt"
	"strings"
	"time"
)

// Kind is a class of failure in LiteLLM's taxonomy. Each Kind is itself an
// error value, so it doubles as a sentinel: errors.Is(err, llm.ErrRateLimit).
type Kind string

// The error kinds. ContextWindowExceeded, ContentPolicyViolation and
// UnsupportedParams are sub-kinds of BadRequest: errors.Is(err, ErrBadRequest)
// is true for them too. ErrAPI is the catch-all, as LiteLLM's APIError is in
// a fallback loop: errors.Is(err, ErrAPI) is true for every *Error and every
// Kind, whatever its own kind.
const (
	ErrBadRequest             Kind = "BadRequestError"
	ErrContextWindowExceeded  Kind = "ContextWindowExceededError"
	ErrContentPolicyViolation Kind = "ContentPolicyViolationError"
	ErrUnsupportedParams      Kind = "UnsupportedParamsError"
	ErrAuthentication         Kind = "AuthenticationError"
	ErrPermissionDenied       Kind = "PermissionDeniedError"
	ErrNotFound               Kind = "NotFoundError"
	ErrUnprocessableEntity    Kind = "UnprocessableEntityError"
	ErrRateLimit              Kind = "RateLimitError"
	ErrTimeout                Kind = "Timeout"
	ErrInternalServer         Kind = "InternalServerError"
	ErrBadGateway             Kind = "BadGatewayError"
	ErrServiceUnavailable     Kind = "ServiceUnavailableError"
	ErrAPIConnection          Kind = "APIConnectionError"
	ErrBudgetExceeded         Kind = "BudgetExceededError"
	// ErrStreamInterrupted: a stream failed after output reached the caller.
	ErrStreamInterrupted Kind = "StreamInterruptedError"
	// ErrAPI is the generic kind for failures that fit nowhere else, and
	// the kind every other kind also matches with errors.Is.
	ErrAPI Kind = "APIError"
	// ErrResponseTooLarge: the provider's response exceeded one of the
	// Limits (the *LimitError it wraps names which). The deployment
	// answered, so the Router neither cools it down nor retries it (the
	// same request would likely produce the same reply); fallbacks apply.
	ErrResponseTooLarge Kind = "ResponseTooLargeError"
)

// Error implements error so a Kind can be used as a sentinel.
func (k Kind) Error() string { return string(k) }

// Is reports whether target is ErrAPI or one of k's parents, so that a bare
// Kind used as an error matches the same sentinels as an *Error of that
// kind (errors.Is compares k itself first).
func (k Kind) Is(target error) bool {
	t, ok := target.(Kind)
	if !ok {
		return false
	}
	return matchKind(k, t)
}

// matchKind reports whether an error of kind k matches the sentinel t: t is
// k, one of its parents, or ErrAPI (the catch-all every kind matches).
func matchKind(k, t Kind) bool {
	if t == ErrAPI && k != "" {
		return true
	}
	for c := k; c != ""; c = c.Parent() {
		if c == t {
			return true
		}
	}
	return false
}

// Parent returns the kind k is a sub-kind of, or "" if none.
func (k Kind) Parent() Kind {
	switch k {
	case ErrContextWindowExceeded, ErrContentPolicyViolation, ErrUnsupportedParams:
		return ErrBadRequest
	}
	return ""
}

// Error is every failure of the llm layer. Use errors.Is with a Kind and
// errors.As to read the details. It never contains an API key.
type Error struct {
	Kind Kind
	// Provider is the provider name ("openai", "anthropic", ...).
	Provider string
	// Model is the model string that failed.
	Model string
	// Deployment is the Router deployment id, when routed.
	Deployment string
	// StatusCode is the HTTP status, 0 when no response arrived.
	StatusCode int
	// RetryAfter is the wait the provider asked for (Retry-After header), or
	// the time until a deployment leaves cooldown; 0 when unknown.
	RetryAfter time.Duration
	// Message is a redacted, human-readable explanation.
	Message string
	// Partial is the output already streamed to the caller when Kind is
	// ErrStreamInterrupted.
	Partial *Response
	// Err is the underlying cause (redacted), if any.
	Err error
}

// Error formats the kind, provider, model, deployment, status, message and
// retry-after wait. It never contains an API key.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Kind))
	if e.Provider != "" || e.Model != "" {
		b.WriteString(" (")
		b.WriteString(e.Provider)
		if e.Model != "" {
			if e.Provider != "" {
				b.WriteString(" ")
			}
			b.WriteString(e.Model)
		}
		if e.Deployment != "" {
			b.WriteString(", deployment ")
			b.WriteString(e.Deployment)
		}
		b.WriteString(")")
	}
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": status %d", e.StatusCode)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether the failure is transient, so that a retry may
// succeed: rate limits, timeouts, connection failures, 500, 502 and 503
// responses. Generic retry filters (such as the graph package's default)
// read it.
func (e *Error) Temporary() bool {
	for k := e.Kind; k != ""; k = k.Parent() {
		switch k {
		case ErrRateLimit, ErrTimeout, ErrAPIConnection, ErrInternalServer, ErrBadGateway, ErrServiceUnavailable:
			return true
		}
	}
	return false
}

// Is reports whether target is e's Kind, one of its parents, or ErrAPI,
// which every *Error matches (LiteLLM's APIError catch-all).
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	if !ok {
		return false
	}
	if k == ErrAPI {
		return true
	}
	return matchKind(e.Kind, k)
}
