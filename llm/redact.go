package llm

import (
	"context"
	"errors"
	"regexp"
	"strings"
)

// redactor removes secrets from text: the configured key values themselves,
// key-like query parameters and bearer tokens. A nil *redactor still
// scrubs the patterns.
type redactor struct {
	secrets []string
}

const redacted = "[REDACTED]"

func newRedactor(secrets ...string) *redactor {
	r := &redactor{}
	for _, s := range secrets {
		if len(s) >= 4 {
			r.secrets = append(r.secrets, s)
		}
	}
	return r
}

var (
	keyParamRe = regexp.MustCompile(`(?i)((?:^|[?&\s"'])(?:key|api[_-]?key|access_token|token|sig)=)[^&\s"'#]+`)
	bearerRe   = regexp.MustCompile(`(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}`)
)

// RedactSecrets returns s with every given secret, every key-like query
// parameter (key=, api_key=, access_token=, ...) and every bearer token
// replaced by [REDACTED].
func RedactSecrets(s string, secrets ...string) string {
	return newRedactor(secrets...).scrub(s)
}

func (r *redactor) scrub(s string) string {
	if r != nil {
		for _, k := range r.secrets {
			if strings.Contains(s, k) {
				s = strings.ReplaceAll(s, k, redacted)
			}
		}
	}
	if strings.Contains(s, "=") {
		s = keyParamRe.ReplaceAllString(s, "${1}"+redacted)
	}
	if strings.Contains(s, "earer") || strings.Contains(s, "EARER") {
		s = bearerRe.ReplaceAllString(s, "${1}"+redacted)
	}
	return s
}

// scrubbedError replaces an error whose text held a secret. It keeps the
// context sentinels reachable through errors.Is.
type scrubbedError struct {
	msg      string
	sentinel error
	cause    error
}

func (s *scrubbedError) Error() string { return s.msg }

func (s *scrubbedError) Unwrap() error {
	if s.sentinel != nil {
		return s.sentinel
	}
	return s.cause
}

func (r *redactor) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := r.scrub(msg)
	if clean == msg {
		return err
	}
	se := &scrubbedError{msg: clean}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		se.sentinel = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		se.sentinel = context.Canceled
	}
	// Keep typed details that cannot hold a key.
	var he *HTTPError
	if se.sentinel == nil && errors.As(err, &he) {
		se.cause = &HTTPError{StatusCode: he.StatusCode, Body: []byte(r.scrub(string(he.Body)))}
	}
	return se
}

// scrubError removes secrets from e in place.
func (r *redactor) scrubError(e *Error) {
	if e == nil {
		return
	}
	e.Message = r.scrub(e.Message)
	e.Err = r.scrubErr(e.Err)
}
