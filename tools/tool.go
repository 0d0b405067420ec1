package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jedisos/jedisos/llm"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Defaults used when neither the tool nor the Registry sets a limit.
const (
	// DefaultTimeout bounds one tool call.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxOutputBytes bounds the content returned to the model.
	DefaultMaxOutputBytes = 64 << 10
	// DefaultMaxConcurrency bounds the calls of one turn running at once.
	DefaultMaxConcurrency = 8
	// DefaultMaxArgumentBytes bounds the argument text of one call. Larger
	// arguments are refused before they are parsed: decoding JSON costs
	// many times its size in memory.
	DefaultMaxArgumentBytes = 1 << 20
)

// namePattern accepts names every supported provider takes: OpenAI allows
// [a-zA-Z0-9_-]{1,64}; Gemini also needs a letter or underscore first.
var namePattern = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$`)

// Tool is a declared tool: a name, a description, the JSON Schema of its
// arguments compiled for validation, and the function that runs it. A Tool
// is immutable and safe for concurrent use.
type Tool struct {
	name        string
	description string
	schema      []byte
	schemaDoc   map[string]any // schema decoded, read only
	validator   *jsonschema.Schema
	bind        binder
	timeout     time.Duration
	maxOutput   int
	maxArgs     int
}

// binder decodes a call's validated arguments for the tool function. text
// is the argument text; doc is its parse from parseArguments when fast is
// true.
type binder func(text string, doc any, fast bool) (invocation, error)

// invocation runs the bound tool function and encodes its output.
type invocation interface {
	run(ctx context.Context) (string, error)
}

// typedCall is a call of a typed tool function with its decoded input.
type typedCall[In, Out any] struct {
	fn func(context.Context, In) (Out, error)
	in In
}

func (c *typedCall[In, Out]) run(ctx context.Context) (string, error) {
	out, err := c.fn(ctx, c.in)
	if err != nil {
		return "", err
	}
	return encodeOutput(out)
}

// rawCall is a call of a raw-schema tool function with its argument text.
type rawCall[Out any] struct {
	fn   func(context.Context, json.RawMessage) (Out, error)
	args json.RawMessage
}

func (c *rawCall[Out]) run(ctx context.Context) (string, error) {
	out, err := c.fn(ctx, c.args)
	if err != nil {
		return "", err
	}
	return encodeOutput(out)
}

// Option configures a Tool at declaration.
type Option func(*toolOptions) error

type toolOptions struct {
	timeout   time.Duration
	maxOutput int
	maxArgs   int
}

// WithTimeout bounds each call of the tool; it overrides the Registry's
// default. d must be positive.
func WithTimeout(d time.Duration) Option {
	return func(t *toolOptions) error {
		if d <= 0 {
			return fmt.Errorf("WithTimeout(%v): the timeout must be positive", d)
		}
		t.timeout = d
		return nil
	}
}

// WithMaxOutputBytes bounds the content the model receives from the tool;
// longer output is cut with a visible marker. It overrides the Registry's
// default. n must be at least 64.
func WithMaxOutputBytes(n int) Option {
	return func(t *toolOptions) error {
		if n < 64 {
			return fmt.Errorf("WithMaxOutputBytes(%d): the limit must be at least 64 bytes", n)
		}
		t.maxOutput = n
		return nil
	}
}

// WithMaxArgumentBytes bounds the size of the argument text the tool
// accepts; a larger call is answered with an *ArgumentsTooLargeError
// before the text is parsed. It overrides the Registry's default
// (Config.MaxArgumentBytes). n must be at least 2, the size of "{}".
func WithMaxArgumentBytes(n int) Option {
	return func(t *toolOptions) error {
		if n < 2 {
			return fmt.Errorf("WithMaxArgumentBytes(%d): the limit must be at least 2 bytes", n)
		}
		t.maxArgs = n
		return nil
	}
}

// New declares a tool from a typed function. The JSON Schema of In, which
// must be a struct, is generated and compiled here, once; a type without a
// valid schema, an invalid name or a nil function is an error wrapping
// ErrInvalidTool. The function receives the call's context, which is
// canceled when the call times out or the run is canceled.
//
// The output is given to the model as is when Out is a string type and
// encoded as JSON otherwise.
func New[In, Out any](name, description string, fn func(context.Context, In) (Out, error), opts ...Option) (*Tool, error) {
	if fn == nil {
		return nil, &DeclarationError{Tool: name, Reason: "the function is nil"}
	}
	doc, err := reflectSchema(reflect.TypeFor[In]())
	if err != nil {
		return nil, &DeclarationError{Tool: name, Reason: "cannot describe the input type", Err: err}
	}
	dec := newTreeDecoder(reflect.TypeFor[In]())
	bind := func(text string, doc any, fast bool) (invocation, error) {
		c := &typedCall[In, Out]{fn: fn}
		if fast && dec != nil && dec(reflect.ValueOf(&c.in).Elem(), doc) {
			return c, nil
		}
		var zero In
		c.in = zero // the fast decoder may have set part of it
		if err := json.Unmarshal([]byte(text), &c.in); err != nil {
			return nil, err
		}
		return c, nil
	}
	return declare(name, description, doc, bind, opts)
}

// NewNoArgs declares a tool that takes no arguments. Its schema is an empty
// object; the model may send "{}" or nothing at all.
func NewNoArgs[Out any](name, description string, fn func(context.Context) (Out, error), opts ...Option) (*Tool, error) {
	if fn == nil {
		return nil, &DeclarationError{Tool: name, Reason: "the function is nil"}
	}
	return New(name, description, func(ctx context.Context, _ struct{}) (Out, error) { return fn(ctx) }, opts...)
}

// NewRaw declares a tool whose arguments are described by a JSON Schema
// given as text, for tools defined at run time. The schema must be an
// object schema ("type": "object") without external references; it is
// compiled here, and an invalid schema is an error wrapping ErrInvalidTool.
// The function receives the validated arguments as JSON text.
func NewRaw[Out any](name, description string, schema []byte, fn func(context.Context, json.RawMessage) (Out, error), opts ...Option) (*Tool, error) {
	if fn == nil {
		return nil, &DeclarationError{Tool: name, Reason: "the function is nil"}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, schema); err != nil {
		return nil, &DeclarationError{Tool: name, Reason: "the schema is not valid JSON", Err: err}
	}
	bind := func(text string, _ any, _ bool) (invocation, error) {
		return &rawCall[Out]{fn: fn, args: json.RawMessage(text)}, nil
	}
	return declare(name, description, compact.Bytes(), bind, opts)
}

func declare(name, description string, doc []byte, bind binder, opts []Option) (*Tool, error) {
	if !namePattern.MatchString(name) {
		return nil, &DeclarationError{Tool: name, Reason: "the name must be 1 to 64 letters, digits, '_' or '-', starting with a letter or '_'"}
	}
	var o toolOptions
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, &DeclarationError{Tool: name, Reason: "bad option", Err: err}
		}
	}
	t := &Tool{name: name, description: description, schema: doc, bind: bind, timeout: o.timeout, maxOutput: o.maxOutput, maxArgs: o.maxArgs}
	v, err := compileSchema(name, doc)
	if err != nil {
		return nil, &DeclarationError{Tool: name, Reason: "invalid parameter schema", Err: err}
	}
	t.validator = v
	if err := json.Unmarshal(doc, &t.schemaDoc); err != nil {
		return nil, &DeclarationError{Tool: name, Reason: "invalid parameter schema", Err: err}
	}
	return t, nil
}

// Name returns the tool's name.
func (t *Tool) Name() string { return t.name }

// Description returns the tool's description.
func (t *Tool) Description() string { return t.description }

// Schema returns a copy of the JSON Schema of the tool's arguments, as
// offered to models in non-strict mode.
func (t *Tool) Schema() json.RawMessage { return bytes.Clone(t.schema) }

// Execute runs one tool call against this tool, on the calling goroutine,
// with its own limits or the package defaults where it sets none. See
// Registry.Execute.
func (t *Tool) Execute(ctx context.Context, call llm.ToolCall) Result {
	return t.execute(ctx, call, DefaultTimeout, DefaultMaxOutputBytes, DefaultMaxArgumentBytes)
}

// Result is the outcome of one tool call.
type Result struct {
	// CallID is the id of the call answered.
	CallID string
	// Name is the tool's name as the model called it.
	Name string
	// Content is what the model reads: the tool's output, or a description
	// of what went wrong when Err is set.
	Content string
	// Err is nil on success; otherwise one of this package's typed errors
	// (*ArgumentsTooLargeError, *SyntaxError, *ValidationError, *UnknownToolError, *ExecError,
	// *PanicError, *TimeoutError, *CanceledError).
	Err error
	// Truncated reports that the output was cut to the size limit.
	Truncated bool
	// Duration is the wall time of the call, validation included.
	Duration time.Duration
}

// Message returns the result as a tool message answering its call.
func (r Result) Message() llm.Message { return llm.ToolResult(r.CallID, r.Name, r.Content) }

// Messages returns the results as tool messages, in order.
func Messages(results []Result) []llm.Message {
	out := make([]llm.Message, len(results))
	for i, r := range results {
		out[i] = r.Message()
	}
	return out
}

func (t *Tool) limits(timeout time.Duration, maxOutput, maxArgs int) (time.Duration, int, int) {
	if t.timeout > 0 {
		timeout = t.timeout
	}
	if t.maxOutput > 0 {
		maxOutput = t.maxOutput
	}
	if t.maxArgs > 0 {
		maxArgs = t.maxArgs
	}
	return timeout, maxOutput, maxArgs
}

var errGoexit = errors.New("the tool function called runtime.Goexit")

// execute runs one call on the calling goroutine.
func (t *Tool) execute(ctx context.Context, call llm.ToolCall, timeout time.Duration, maxOutput, maxArgs int) Result {
	start := time.Now()
	timeout, maxOutput, maxArgs = t.limits(timeout, maxOutput, maxArgs)
	inv, err := t.prepare(ctx, call, maxArgs)
	if err != nil {
		return t.finish(call, start, "", err, maxOutput)
	}
	callCtx := newCallContext(ctx, time.Now(), timeout)
	out, err := t.protect(callCtx, inv)
	// callContext.Err reads the clock: a late timer cannot hide the end.
	out, err = t.settle(ctx, callCtx.Err() != nil, timeout, out, err)
	callCtx.cancel()
	return t.finish(call, start, out, err, maxOutput)
}

// prepare parses, validates and decodes the call's arguments. Text over
// maxArgs bytes is refused before anything else. The text is parsed once,
// by parseArguments, for validation and decoding alike; text it does not
// take (invalid JSON among it) goes through encoding/json, which words
// the errors.
func (t *Tool) prepare(ctx context.Context, call llm.ToolCall, maxArgs int) (invocation, error) {
	if ctx.Err() != nil {
		return nil, &CanceledError{Tool: t.name, Err: context.Cause(ctx)}
	}
	if len(call.Arguments) > maxArgs {
		return nil, &ArgumentsTooLargeError{Tool: t.name, Size: len(call.Arguments), Limit: maxArgs}
	}
	text := argumentText(call.Arguments)
	doc, fast := parseArguments(text)
	if !fast {
		var err error
		if doc, err = t.parseSlow([]byte(text)); err != nil {
			return nil, err
		}
	}
	if err := t.validator.Validate(doc); err != nil {
		return nil, &ValidationError{Tool: t.name, Violations: violations(err, t.schemaDoc)}
	}
	inv, err := t.bind(text, doc, fast)
	if err != nil {
		return nil, &ValidationError{Tool: t.name, Violations: decodeViolations([]byte(text), err)}
	}
	return inv, nil
}

// parseSlow parses args with encoding/json and turns its errors into the
// call errors.
func (t *Tool) parseSlow(args []byte) (any, error) {
	var doc any
	if err := json.Unmarshal(args, &doc); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) { // valid JSON, but a number beyond float64
			// Decoding into any reports the offset one byte past the value.
			path, ok := pointerAt(args, te.Offset-1)
			if !ok {
				path, _ = pointerAt(args, te.Offset)
			}
			return nil, &ValidationError{Tool: t.name, Violations: []Violation{{Path: path,
				Message: strings.TrimPrefix(te.Value, "number ") + " is out of range: numbers must fit a 64-bit float"}}}
		}
		var off int64
		var se *json.SyntaxError
		if errors.As(err, &se) {
			off = se.Offset
		}
		return nil, &SyntaxError{Tool: t.name, Offset: off, Err: err}
	}
	return doc, nil
}

// protect runs inv, turning a panic into a *PanicError.
func (t *Tool) protect(ctx context.Context, inv invocation) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = "", &PanicError{Tool: t.name, Value: p, Stack: debug.Stack()}
		}
	}()
	return inv.run(ctx)
}

// settle decides the outcome of a finished call. A call whose context
// ended before it returned (ended) is a timeout or a cancellation,
// whatever it returned.
func (t *Tool) settle(parent context.Context, ended bool, timeout time.Duration, out string, err error) (string, error) {
	if _, ok := err.(*PanicError); ok {
		return "", err
	}
	if ended {
		return "", t.stopped(parent, timeout)
	}
	if err != nil {
		return "", &ExecError{Tool: t.name, Err: err}
	}
	return out, nil
}

// stopped names why a call's context ended: the caller's cancellation or
// the tool's own timeout.
func (t *Tool) stopped(parent context.Context, timeout time.Duration) error {
	if parent.Err() != nil {
		return &CanceledError{Tool: t.name, Err: context.Cause(parent)}
	}
	if expired(parent) {
		return &CanceledError{Tool: t.name, Err: context.DeadlineExceeded}
	}
	return &TimeoutError{Tool: t.name, Timeout: timeout}
}

// expired reports whether ctx's deadline has passed. A context's timer may
// fire late on a busy machine; the deadline itself is exact.
func expired(ctx context.Context) bool {
	d, ok := ctx.Deadline()
	return ok && !time.Now().Before(d)
}

// finish builds the Result of a call.
func (t *Tool) finish(call llm.ToolCall, start time.Time, out string, err error, maxOutput int) Result {
	res := Result{CallID: call.ID, Name: call.Name, Err: err, Duration: time.Since(start)}
	if res.Name == "" {
		res.Name = t.name
	}
	if err == nil {
		res.Content, res.Truncated = truncate(out, maxOutput)
	} else if mt, ok := err.(modelTexter); ok {
		res.Content, _ = truncate(mt.modelText(), maxOutput)
	} else {
		res.Content, _ = truncate("Error: "+err.Error(), maxOutput)
	}
	return res
}

// argumentText returns the call's arguments, an empty or blank text, or
// null, standing for an empty object (models send "" for tools without
// parameters).
func argumentText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return "{}"
	}
	return s
}

// encodeOutput passes strings through and encodes anything else as JSON.
func encodeOutput(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.RawMessage:
		if json.Valid(x) {
			return string(x), nil
		}
		return "", errors.New("the output is a json.RawMessage that is not valid JSON")
	case nil:
		return "null", nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.String {
		return rv.String(), nil
	}
	e := outputEncoders.Get().(*outputEncoder)
	defer e.release()
	// Encode writes what json.Marshal returns, and a newline.
	if err := e.enc.Encode(v); err != nil {
		return "", fmt.Errorf("encoding the output as JSON: %w", err)
	}
	return string(bytes.TrimSuffix(e.buf.Bytes(), []byte("\n"))), nil
}

// outputEncoder is a reusable JSON encoder of tool output.
type outputEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var outputEncoders = sync.Pool{New: func() any {
	e := new(outputEncoder)
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// release returns e to the pool unless its buffer grew large.
func (e *outputEncoder) release() {
	if e.buf.Cap() > 64<<10 {
		return
	}
	e.buf.Reset()
	outputEncoders.Put(e)
}

// truncate cuts s to at most max bytes including a marker saying how much
// was cut, on a UTF-8 boundary.
func truncate(s string, max int) (string, bool) {
	if len(s) <= max {
		return s, false
	}
	const marker = "\n[output truncated: %d of %d bytes shown]"
	// The count shown is at most max, so this bounds the marker's length.
	keep := max - len(fmt.Sprintf(marker, max, len(s)))
	if keep < 0 {
		keep = 0
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + fmt.Sprintf(marker, keep, len(s)), true
}
