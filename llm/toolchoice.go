package llm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/tmc/langchaingo/llms"
)

// ToolMode says whether and how the model may call tools.
type ToolMode string

// The tool modes.
const (
	// ToolAuto lets the model decide (the providers' default).
	ToolAuto ToolMode = "auto"
	// ToolRequired makes the model call at least one tool (Anthropic's and
	// Gemini's "any").
	ToolRequired ToolMode = "required"
	// ToolNone forbids tool calls.
	ToolNone ToolMode = "none"
	// ToolFunction makes the model call the function named by
	// ToolChoice.Name.
	ToolFunction ToolMode = "function"
)

// ToolChoice is a request's tool_choice: auto, required, none or one named
// function. The zero value leaves the provider's default (auto when tools
// are given). Its JSON form is OpenAI's ("auto", "required", "none" or
// {"type":"function","function":{"name":...}}); UnmarshalJSON and
// ParseToolChoice also accept Anthropic's and LiteLLM's spellings ("any",
// {"type":"tool","name":...}, {"type":"any"}, ...).
//
// Each provider receives its own shape: OpenAI-compatible servers the
// OpenAI one; Anthropic {"type":"auto"|"any"|"none"|"tool"}; Gemini
// toolConfig.functionCallingConfig with mode AUTO, ANY or NONE and
// allowedFunctionNames for a named function. A choice that cannot be
// expressed is an ErrUnsupportedParams error, never silently dropped.
type ToolChoice struct {
	// Mode is the choice; "" is unset.
	Mode ToolMode
	// Name is the function to call when Mode is ToolFunction.
	Name string
}

// UseTool returns the choice that makes the model call the named function.
func UseTool(name string) ToolChoice { return ToolChoice{Mode: ToolFunction, Name: name} }

// IsZero reports whether the choice is unset.
func (tc ToolChoice) IsZero() bool { return tc.Mode == "" && tc.Name == "" }

// String is the OpenAI spelling: "auto", "required", "none" or
// "function:NAME"; "" when unset.
func (tc ToolChoice) String() string {
	if tc.Mode == ToolFunction {
		return "function:" + tc.Name
	}
	return string(tc.Mode)
}

// Validate reports an unusable choice as an *Error of kind
// ErrUnsupportedParams: an unknown mode, a function choice without a name,
// or a name without the function mode.
func (tc ToolChoice) Validate() error {
	switch tc.Mode {
	case "":
		if tc.Name != "" {
			return unsupportedToolChoice(fmt.Sprintf("tool_choice names function %q but its Mode is unset (use llm.UseTool)", tc.Name))
		}
	case ToolAuto, ToolRequired, ToolNone:
		if tc.Name != "" {
			return unsupportedToolChoice(fmt.Sprintf("tool_choice mode %q does not take a function name (got %q)", tc.Mode, tc.Name))
		}
	case ToolFunction:
		if strings.TrimSpace(tc.Name) == "" {
			return unsupportedToolChoice("tool_choice mode \"function\" needs the function's name")
		}
	default:
		return unsupportedToolChoice(fmt.Sprintf("unknown tool_choice mode %q (want auto, required, none or function)", tc.Mode))
	}
	return nil
}

func unsupportedToolChoice(msg string) *Error {
	return &Error{Kind: ErrUnsupportedParams, Message: msg}
}

// OpenAI returns the OpenAI wire value: a string for the modes, the
// function object for a named function, nil when unset. langchaingo's
// providers accept the same shapes.
func (tc ToolChoice) OpenAI() any {
	switch tc.Mode {
	case "":
		return nil
	case ToolFunction:
		return map[string]any{"type": "function", "function": map[string]any{"name": tc.Name}}
	}
	return string(tc.Mode)
}

// MarshalJSON writes the OpenAI shape (null when unset).
func (tc ToolChoice) MarshalJSON() ([]byte, error) { return json.Marshal(tc.OpenAI()) }

// UnmarshalJSON reads any shape ParseToolChoice accepts.
func (tc *ToolChoice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*tc = ToolChoice{}
		return nil
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	c, err := ParseToolChoice(v)
	if err != nil {
		return err
	}
	*tc = c
	return nil
}

// ParseToolChoice reads a tool choice given in any of the shapes LiteLLM
// users write: the strings "auto", "required", "none" and "any" (=
// required); OpenAI's object {"type":"function","function":{"name":...}}
// as a map[string]any or map[string]string; Anthropic's {"type":"auto"},
// {"type":"any"}, {"type":"none"}, {"type":"tool","name":...}; those
// shapes as JSON text ([]byte, json.RawMessage, or a string starting with
// "{"); langchaingo's llms.ToolChoice (or a pointer to one); a ToolChoice or
// *ToolChoice. nil and "" are unset. Anything else is an *Error of kind
// ErrUnsupportedParams saying what was given.
func ParseToolChoice(v any) (ToolChoice, error) {
	switch x := v.(type) {
	case nil:
		return ToolChoice{}, nil
	case ToolChoice:
		return x, x.Validate()
	case *ToolChoice:
		if x == nil {
			return ToolChoice{}, nil
		}
		return *x, x.Validate()
	case ToolMode:
		return ParseToolChoice(string(x))
	case string:
		s := strings.TrimSpace(x)
		if strings.HasPrefix(s, "{") {
			return ParseToolChoice(json.RawMessage(s))
		}
		switch strings.ToLower(s) {
		case "":
			return ToolChoice{}, nil
		case "auto":
			return ToolChoice{Mode: ToolAuto}, nil
		case "required", "any":
			return ToolChoice{Mode: ToolRequired}, nil
		case "none":
			return ToolChoice{Mode: ToolNone}, nil
		}
		return ToolChoice{}, unsupportedToolChoice(fmt.Sprintf(
			"tool_choice %q is not one of \"auto\", \"required\", \"none\" or \"any\"; to force one function use llm.UseTool(%q) or {\"type\":\"function\",\"function\":{\"name\":%q}}", x, x, x))
	case []byte:
		return ParseToolChoice(json.RawMessage(x))
	case json.RawMessage:
		var decoded any
		if err := json.Unmarshal(x, &decoded); err != nil {
			return ToolChoice{}, unsupportedToolChoice(fmt.Sprintf("tool_choice is not valid JSON: %v", err))
		}
		if _, isString := decoded.(string); isString || decoded == nil {
			return ParseToolChoice(decoded)
		}
		if _, isObject := decoded.(map[string]any); !isObject {
			return ToolChoice{}, unsupportedToolChoice(fmt.Sprintf("tool_choice JSON %s is neither a string nor an object", x))
		}
		return ParseToolChoice(decoded)
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, s := range x {
			m[k] = s
		}
		return ParseToolChoice(m)
	case map[string]any:
		return toolChoiceFromMap(x)
	case llms.ToolChoice:
		if x.Function != nil && x.Function.Name != "" {
			if x.Type != "" && x.Type != "function" && x.Type != "tool" {
				return ToolChoice{}, unsupportedToolChoice(fmt.Sprintf("llms.ToolChoice of type %q with a function; want type \"function\"", x.Type))
			}
			return UseTool(x.Function.Name), nil
		}
		if x.Type == "function" {
			return ToolChoice{}, unsupportedToolChoice("llms.ToolChoice of type \"function\" names no function")
		}
		return ParseToolChoice(x.Type)
	case *llms.ToolChoice:
		if x == nil {
			return ToolChoice{}, nil
		}
		return ParseToolChoice(*x)
	}
	return ToolChoice{}, unsupportedToolChoice(fmt.Sprintf("tool_choice of type %T is not supported (want a string, an OpenAI tool_choice object or llm.ToolChoice)", v))
}

func toolChoiceFromMap(m map[string]any) (ToolChoice, error) {
	bad := func(why string) (ToolChoice, error) {
		b, _ := json.Marshal(m)
		return ToolChoice{}, unsupportedToolChoice(fmt.Sprintf("tool_choice %s: %s", b, why))
	}
	typ, _ := m["type"].(string)
	allowed := func(keys ...string) bool {
		for k := range m {
			found := false
			for _, a := range keys {
				found = found || k == a
			}
			if !found {
				return false
			}
		}
		return true
	}
	switch typ {
	case "function":
		if !allowed("type", "function") {
			return bad("unknown fields " + extraKeys(m, "type", "function") + " (want {\"type\":\"function\",\"function\":{\"name\":...}})")
		}
		var name string
		switch f := m["function"].(type) {
		case map[string]any:
			name, _ = f["name"].(string)
		case map[string]string:
			name = f["name"]
		}
		if strings.TrimSpace(name) == "" {
			return bad("the function has no name (want {\"type\":\"function\",\"function\":{\"name\":...}})")
		}
		return UseTool(name), nil
	case "tool":
		if !allowed("type", "name", "disable_parallel_tool_use") {
			return bad("unknown fields " + extraKeys(m, "type", "name", "disable_parallel_tool_use"))
		}
		name, _ := m["name"].(string)
		if strings.TrimSpace(name) == "" {
			return bad("the tool has no name (want {\"type\":\"tool\",\"name\":...})")
		}
		return UseTool(name), nil
	case "auto", "any", "required", "none":
		if !allowed("type", "disable_parallel_tool_use") {
			return bad("unknown fields " + extraKeys(m, "type", "disable_parallel_tool_use"))
		}
		return ParseToolChoice(typ)
	case "":
		return bad("no \"type\"")
	}
	return bad(fmt.Sprintf("unknown type %q (want function, tool, auto, any, required or none)", typ))
}

func extraKeys(m map[string]any, known ...string) string {
	var out []string
	for k := range m {
		ok := false
		for _, n := range known {
			ok = ok || k == n
		}
		if !ok {
			out = append(out, fmt.Sprintf("%q", k))
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// checkToolChoice validates a request's choice against its tools: a named
// function must be among them, and a choice that forces a call needs tools.
func checkToolChoice(req *Request) error {
	tc := req.ToolChoice
	if err := tc.Validate(); err != nil {
		return err
	}
	if tc.Mode == ToolRequired && len(req.Tools) == 0 {
		return unsupportedToolChoice("tool_choice \"required\" but the request offers no tools")
	}
	if tc.Mode != ToolFunction {
		return nil
	}
	var names []string
	for _, t := range req.Tools {
		if t.Function == nil {
			continue
		}
		if t.Function.Name == tc.Name {
			return nil
		}
		names = append(names, t.Function.Name)
	}
	if len(names) == 0 {
		return unsupportedToolChoice(fmt.Sprintf("tool_choice names function %q but the request offers no tools", tc.Name))
	}
	return unsupportedToolChoice(fmt.Sprintf("tool_choice names function %q, which is not among the request's tools (%s)", tc.Name, strings.Join(names, ", ")))
}

// anthropicToolChoice is the messages-API tool_choice.
func anthropicToolChoice(tc ToolChoice) map[string]any {
	switch tc.Mode {
	case ToolAuto:
		return map[string]any{"type": "auto"}
	case ToolRequired:
		return map[string]any{"type": "any"}
	case ToolNone:
		return map[string]any{"type": "none"}
	case ToolFunction:
		return map[string]any{"type": "tool", "name": tc.Name}
	}
	return nil
}

// geminiFunctionCalling is generateContent's functionCallingConfig.
func geminiFunctionCalling(tc ToolChoice) map[string]any {
	switch tc.Mode {
	case ToolAuto:
		return map[string]any{"mode": "AUTO"}
	case ToolRequired:
		return map[string]any{"mode": "ANY"}
	case ToolNone:
		return map[string]any{"mode": "NONE"}
	case ToolFunction:
		return map[string]any{"mode": "ANY", "allowedFunctionNames": []string{tc.Name}}
	}
	return nil
}
