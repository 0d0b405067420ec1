package router

import (
	"errors"
	"fmt"
	"time"
)

// ErrNoDeployments is wrapped by the error a call returns when no deployment
// of a group could take it (all cooling down, over their limits, busy or too
// small). The surrounding *llm.Error says why and, when known, how long to
// wait (RetryAfter).
var ErrNoDeployments = errors.New("no deployments available")

// ErrDeploymentUnavailable is wrapped by the error of a call that reached
// only deployments New could not build (a provider key or another
// environment setting is missing). The surrounding *llm.Error keeps the
// build failure's kind, usually llm.ErrAuthentication, and names the
// missing variable.
var ErrDeploymentUnavailable = errors.New("deployment unavailable")

// ErrUnknownGroup is wrapped by the error a call returns when it names a
// group that does not exist and no default fallbacks are configured.
var ErrUnknownGroup = errors.New("unknown model group")

// BudgetError is wrapped by an llm.ErrBudgetExceeded error: which budget was
// exhausted, how much was spent and when the window resets.
type BudgetError struct {
	// Scope is "router" or "provider <name>".
	Scope string
	// Spent and Limit are in US dollars.
	Spent, Limit float64
	// ResetIn is the time until the budget window resets; 0 if it never does.
	ResetIn time.Duration
}

// Error says which budget ran out, the spend and when it resets.
func (e *BudgetError) Error() string {
	s := fmt.Sprintf("%s budget exceeded: spent $%.6f of $%.6f", e.Scope, e.Spent, e.Limit)
	if e.ResetIn > 0 {
		s += fmt.Sprintf(", resets in %s", e.ResetIn.Round(time.Second))
	}
	return s
}

// ConfigError is a configuration problem, located as precisely as the
// source allows: the file, the line and column, and the field path.
type ConfigError struct {
	// File is the configuration file, "" for a Config built in Go.
	File string
	// Line and Column locate the offending value (1-based), 0 if unknown.
	Line, Column int
	// Field is the path of the offending field, e.g.
	// "model_list[2].litellm_params.rpm" or "Deployments[1].Group".
	Field string
	// Msg says what is wrong.
	Msg string
	// Err is the underlying cause, if any.
	Err error
}

// Error is "router config: file:line:column: field: message".
func (e *ConfigError) Error() string {
	var loc string
	switch {
	case e.File != "" && e.Line > 0:
		loc = fmt.Sprintf("%s:%d:%d: ", e.File, e.Line, e.Column)
	case e.File != "":
		loc = e.File + ": "
	}
	if e.Field != "" {
		loc += e.Field + ": "
	}
	return "router config: " + loc + e.Msg
}

// Unwrap returns the underlying cause.
func (e *ConfigError) Unwrap() error { return e.Err }

// internal causes used to recognise the Router's own timers.
var (
	errCallTimeout       = errors.New("call timeout")
	errAttemptTimeout    = errors.New("deployment timeout")
	errFirstChunkTimeout = errors.New("no first chunk within the stream timeout")
	errStreamStalled     = errors.New("stream stalled past the stream timeout")
	errAttemptOver       = errors.New("router: this attempt is over; the chunk was dropped")
)
