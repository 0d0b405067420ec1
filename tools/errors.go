package tools

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors, one per failure kind. Every error this package returns
// matches exactly one of them with errors.Is.
var (
	// ErrInvalidTool reports a tool declaration that cannot be used: a bad
	// name, a nil function or an input type that has no valid JSON Schema.
	ErrInvalidTool = errors.New("tools: invalid tool")
	// ErrInvalidConfig reports a Config with a negative or too small limit.
	ErrInvalidConfig = errors.New("tools: invalid config")
	// ErrDuplicateTool reports a second tool registered under a taken name.
	ErrDuplicateTool = errors.New("tools: duplicate tool name")
	// ErrUnknownTool reports a call or selection naming no registered tool.
	ErrUnknownTool = errors.New("tools: unknown tool")
	// ErrMalformedArguments reports arguments that are not valid JSON.
	ErrMalformedArguments = errors.New("tools: malformed arguments")
	// ErrArgumentsTooLarge reports arguments longer than the tool's limit
	// (Config.MaxArgumentBytes, WithMaxArgumentBytes).
	ErrArgumentsTooLarge = errors.New("tools: arguments too large")
	// ErrInvalidArguments reports arguments that violate the tool's schema
	// or cannot be decoded into its input type.
	ErrInvalidArguments = errors.New("tools: invalid arguments")
	// ErrToolFailed reports an error returned by the tool function itself,
	// or an output that could not be encoded.
	ErrToolFailed = errors.New("tools: tool failed")
	// ErrPanic reports a panic inside the tool function.
	ErrPanic = errors.New("tools: tool panicked")
	// ErrTimeout reports a tool that did not finish within its timeout.
	ErrTimeout = errors.New("tools: tool timed out")
	// ErrCanceled reports a call stopped or skipped because the caller's
	// context was done.
	ErrCanceled = errors.New("tools: call canceled")
	// ErrStrictUnsupported reports a schema that strict mode cannot express.
	ErrStrictUnsupported = errors.New("tools: schema not expressible in strict mode")
)

// DeclarationError reports why a tool could not be declared.
type DeclarationError struct {
	// Tool is the tool's name as given.
	Tool string
	// Reason says what is wrong, naming the offending field or keyword.
	Reason string
	// Err is the underlying cause, if any.
	Err error
}

// Error names the tool and what is wrong with its declaration.
func (e *DeclarationError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("tools: tool %q: %s: %v", e.Tool, e.Reason, e.Err)
	}
	return fmt.Sprintf("tools: tool %q: %s", e.Tool, e.Reason)
}

// Is reports whether target is ErrInvalidTool.
func (e *DeclarationError) Is(target error) bool { return target == ErrInvalidTool }

// Unwrap returns the underlying cause.
func (e *DeclarationError) Unwrap() error { return e.Err }

// DuplicateToolError reports a name registered twice.
type DuplicateToolError struct {
	// Name is the name already taken.
	Name string
}

// Error names the duplicate.
func (e *DuplicateToolError) Error() string {
	return fmt.Sprintf("tools: a tool named %q is already registered", e.Name)
}

// Is reports whether target is ErrDuplicateTool.
func (e *DuplicateToolError) Is(target error) bool { return target == ErrDuplicateTool }

// UnknownToolError reports a tool name that is not registered.
type UnknownToolError struct {
	// Names are the unknown names, in the order they were asked for.
	Names []string
	// Available are the registered names, in registration order.
	Available []string
}

// Error names the unknown tools and the registered ones.
func (e *UnknownToolError) Error() string {
	return fmt.Sprintf("tools: unknown tool %s (available: %s)", quoteList(e.Names), availableList(e.Available))
}

// Is reports whether target is ErrUnknownTool.
func (e *UnknownToolError) Is(target error) bool { return target == ErrUnknownTool }

func (e *UnknownToolError) modelText() string {
	name := ""
	if len(e.Names) > 0 {
		name = e.Names[0]
	}
	return fmt.Sprintf("Error: there is no tool named %q. Available tools: %s. Call one of them by its exact name.",
		name, availableList(e.Available))
}

// SyntaxError reports tool-call arguments that are not valid JSON.
type SyntaxError struct {
	// Tool is the called tool.
	Tool string
	// Offset is the byte offset in the arguments where parsing failed.
	Offset int64
	// Err is the JSON decoder's error.
	Err error
}

// Error names the tool and where the JSON breaks.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("tools: tool %q: arguments are not valid JSON at byte %d: %v", e.Tool, e.Offset, e.Err)
}

// Is reports whether target is ErrMalformedArguments.
func (e *SyntaxError) Is(target error) bool { return target == ErrMalformedArguments }

// Unwrap returns the JSON decoder's error.
func (e *SyntaxError) Unwrap() error { return e.Err }

func (e *SyntaxError) modelText() string {
	return fmt.Sprintf("Error: the arguments for tool %q are not valid JSON (%v, at byte %d). "+
		"Send the arguments as one JSON object that matches the tool's parameter schema.", e.Tool, e.Err, e.Offset)
}

// ArgumentsTooLargeError reports a call whose argument text is longer than
// the tool accepts. The text was not parsed.
type ArgumentsTooLargeError struct {
	// Tool is the called tool.
	Tool string
	// Size is the length of the argument text in bytes.
	Size int
	// Limit is the tool's limit in bytes.
	Limit int
}

// Error names the tool, the size and the limit.
func (e *ArgumentsTooLargeError) Error() string {
	return fmt.Sprintf("tools: tool %q: arguments of %d bytes exceed the limit of %d bytes (Config.MaxArgumentBytes or WithMaxArgumentBytes)", e.Tool, e.Size, e.Limit)
}

// Is reports whether target is ErrArgumentsTooLarge.
func (e *ArgumentsTooLargeError) Is(target error) bool { return target == ErrArgumentsTooLarge }

func (e *ArgumentsTooLargeError) modelText() string {
	return fmt.Sprintf("Error: the arguments for tool %q are %d bytes long, over the limit of %d bytes, and were not read. "+
		"Send shorter arguments: pass large content by reference (a path, id or URL) or split the work into several calls.", e.Tool, e.Size, e.Limit)
}

// Violation is one way in which arguments break a tool's schema.
type Violation struct {
	// Path is the JSON Pointer of the offending value ("/unit",
	// "/stops/0/city"); "" is the arguments object itself.
	Path string `json:"path"`
	// Message says what is wrong with the value.
	Message string `json:"message"`
}

// String formats the violation as "path: message", the root shown as "(root)".
func (v Violation) String() string {
	p := v.Path
	if p == "" {
		p = "(root)"
	}
	return p + ": " + v.Message
}

// ValidationError reports arguments that violate a tool's schema. It holds
// every violation found, sorted by path; its messages spell out the first
// 30.
type ValidationError struct {
	// Tool is the called tool.
	Tool string
	// Violations are the individual problems, never empty.
	Violations []Violation
}

// Error lists every violation on one line.
func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "tools: tool %q: invalid arguments: ", e.Tool)
	for i, v := range e.Violations {
		if i == maxListedViolations {
			fmt.Fprintf(&b, "; and %d more", len(e.Violations)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// maxListedViolations bounds the violations spelt out in messages; the
// Violations field keeps them all.
const maxListedViolations = 30

// Is reports whether target is ErrInvalidArguments.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidArguments }

func (e *ValidationError) modelText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Error: the arguments for tool %q do not match its parameter schema:", e.Tool)
	for i, v := range e.Violations {
		if i == maxListedViolations {
			fmt.Fprintf(&b, "\n- and %d more violations", len(e.Violations)-i)
			break
		}
		b.WriteString("\n- ")
		b.WriteString(v.String())
	}
	b.WriteString("\nFix the arguments and call the tool again.")
	return b.String()
}

// ExecError wraps an error returned by the tool function, or a failure to
// encode its output.
type ExecError struct {
	// Tool is the called tool.
	Tool string
	// Err is the tool's error.
	Err error
}

// Error names the tool and gives the tool's error.
func (e *ExecError) Error() string { return fmt.Sprintf("tools: tool %q failed: %v", e.Tool, e.Err) }

// Is reports whether target is ErrToolFailed.
func (e *ExecError) Is(target error) bool { return target == ErrToolFailed }

// Unwrap returns the tool's error.
func (e *ExecError) Unwrap() error { return e.Err }

func (e *ExecError) modelText() string {
	return fmt.Sprintf("Error: tool %q failed: %v", e.Tool, e.Err)
}

// PanicError reports a panic inside a tool function.
type PanicError struct {
	// Tool is the called tool.
	Tool string
	// Value is the value passed to panic.
	Value any
	// Stack is the goroutine's stack at the panic.
	Stack []byte
}

// Error names the tool and the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("tools: tool %q panicked: %v", e.Tool, e.Value)
}

// Is reports whether target is ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// Unwrap returns the panic value when it is an error.
func (e *PanicError) Unwrap() error {
	if err, ok := e.Value.(error); ok {
		return err
	}
	return nil
}

func (e *PanicError) modelText() string {
	return fmt.Sprintf("Error: tool %q crashed while running (panic: %v). "+
		"This is a fault in the tool, not in your arguments.", e.Tool, e.Value)
}

// TimeoutError reports a tool that did not finish in time. It unwraps to
// context.DeadlineExceeded.
type TimeoutError struct {
	// Tool is the called tool.
	Tool string
	// Timeout is the limit that was exceeded.
	Timeout time.Duration
}

// Error names the tool and its timeout.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("tools: tool %q did not finish within %v", e.Tool, e.Timeout)
}

// Is reports whether target is ErrTimeout.
func (e *TimeoutError) Is(target error) bool { return target == ErrTimeout }

// Unwrap returns context.DeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

func (e *TimeoutError) modelText() string {
	return fmt.Sprintf("Error: tool %q did not finish within %v and was stopped.", e.Tool, e.Timeout)
}

// CanceledError reports a call stopped, or never started, because the
// caller's context was done. It unwraps to the context's cause.
type CanceledError struct {
	// Tool is the called tool.
	Tool string
	// Err is the context's cause (context.Canceled unless set otherwise).
	Err error
}

// Error names the tool and the context's cause.
func (e *CanceledError) Error() string {
	return fmt.Sprintf("tools: tool %q: call canceled: %v", e.Tool, e.Err)
}

// Is reports whether target is ErrCanceled.
func (e *CanceledError) Is(target error) bool { return target == ErrCanceled }

// Unwrap returns the context's cause.
func (e *CanceledError) Unwrap() error { return e.Err }

func (e *CanceledError) modelText() string {
	return fmt.Sprintf("Error: tool %q was not completed because the run was canceled.", e.Tool)
}

// StrictError reports a schema that strict mode cannot express.
type StrictError struct {
	// Tool is the exported tool.
	Tool string
	// Path is the JSON Pointer of the offending schema node.
	Path string
	// Reason says what strict mode cannot express there.
	Reason string
}

// Error names the tool, the schema location and the reason.
func (e *StrictError) Error() string {
	p := e.Path
	if p == "" {
		p = "(root)"
	}
	return fmt.Sprintf("tools: tool %q: strict mode: schema at %s: %s", e.Tool, p, e.Reason)
}

// Is reports whether target is ErrStrictUnsupported.
func (e *StrictError) Is(target error) bool { return target == ErrStrictUnsupported }

// modelTexter is implemented by the call errors; the text is what the model
// reads as the tool's answer.
type modelTexter interface{ modelText() string }

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

func availableList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
