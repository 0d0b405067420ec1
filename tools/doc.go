// Package tools turns typed Go functions into tools a model can call.
//
// A tool is declared from a function over a Go input struct:
//
//	type WeatherArgs struct {
//		Location string `json:"location" jsonschema:"description=City and country"`
//		Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
//	}
//	weather, err := tools.New("get_weather", "Look up the weather",
//		func(ctx context.Context, in WeatherArgs) (Report, error) { ... })
//
// The input type's JSON Schema is generated once, at declaration, with
// github.com/invopop/jsonschema and compiled with
// github.com/santhosh-tekuri/jsonschema/v6. Field names come from `json`
// tags; descriptions, enums and bounds from `jsonschema` tags; a field is
// required unless it is a pointer or tagged `omitempty`/`omitzero`; nested
// structs, slices and maps are expanded in place (no `$ref`); time.Time is a
// string with format date-time. A type that cannot be described (channels,
// functions, recursive structs, ...) is an error at declaration.
//
// A Registry holds tools by name, exports them as langchaingo llms.Tool
// values (optionally in strict mode) and executes a model's tool calls:
// arguments are parsed, validated against the schema, decoded into the input
// struct and passed to the function under the call's context and a per-tool
// timeout. Argument text longer than the tool's limit (Config.MaxArgumentBytes,
// WithMaxArgumentBytes; DefaultMaxArgumentBytes = 1 MiB) is refused before it
// is parsed, with an error that tells the model the limit. The output is passed through when it is a string and encoded as
// JSON otherwise, and truncated with a visible marker when it is too long.
//
// A bad call never stops a run. Malformed JSON, schema violations (each with
// its JSON path), unknown tool names, panics, timeouts and the tool's own
// errors all become a Result whose Content tells the model what went wrong,
// and whose Err is a typed error the caller can inspect with errors.Is and
// errors.As.
//
// RunTurn executes all calls of one assistant turn concurrently, up to a
// bound, and returns the results in call order. A call that outlives its
// timeout, or the caller's context, is answered at once with a timeout or
// cancellation error, even if the tool ignores its context. Execute runs a
// single call on the calling goroutine.
//
// Optional properties also accept null (what strict-mode models send for
// "absent"); it decodes as the field's zero value. Commas inside a
// `jsonschema` tag value must be escaped as `\\,`, or the text put in a
// `jsonschema_description` tag.
package tools
