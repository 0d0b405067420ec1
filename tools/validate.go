package tools

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// noLoader refuses every external reference: a tool's schema must be
// self-contained, and compiling it must never touch the network or disk.
type noLoader struct{}

// Load refuses to load url.
func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not supported (%s)", url)
}

// compileSchema compiles a tool's schema for validation. Optional
// properties also accept null, which strict-mode models send for "absent".
func compileSchema(name string, doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schema is not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("schema must be a JSON object, got %s", jsonKind(v))
	}
	if t, ok := obj["type"]; !ok || t != "object" {
		return nil, errors.New(`schema must have "type": "object": tool parameters are a JSON object`)
	}
	nullableOptionals(obj)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(noLoader{})
	loc := "file:///jedisos/tools/" + name + ".schema.json"
	if err := c.AddResource(loc, obj); err != nil {
		return nil, fmt.Errorf("adding schema: %w", err)
	}
	sch, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("schema does not compile: %w", err)
	}
	return sch, nil
}

// subschemaKeys name the keywords whose value is one schema; the
// keywords whose value is a map or list of schemas are handled apart.
var subschemaKeys = []string{
	"items", "additionalProperties", "not", "if", "then", "else", "contains",
	"propertyNames", "unevaluatedProperties", "unevaluatedItems", "additionalItems",
}

// nullableOptionals rewrites, in place, every property that its object does
// not require into anyOf [property, {"type": "null"}].
func nullableOptionals(n any) {
	m, ok := n.(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"} {
		if sub, ok := m[k].(map[string]any); ok {
			for _, s := range sub {
				nullableOptionals(s)
			}
		}
	}
	for _, k := range subschemaKeys {
		nullableOptionals(m[k])
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf", "prefixItems"} {
		if list, ok := m[k].([]any); ok {
			for _, s := range list {
				nullableOptionals(s)
			}
		}
	}
	props, ok := m["properties"].(map[string]any)
	if !ok {
		return
	}
	required := map[string]bool{}
	if list, ok := m["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required[s] = true
			}
		}
	}
	for name, p := range props {
		if !required[name] {
			props[name] = acceptNull(p)
		}
	}
}

// acceptNull returns schema p widened to accept null: by adding "null" to
// its type (and enum) where it has a type, which validates faster than
// anyOf; by anyOf [p, {"type": "null"}] otherwise.
func acceptNull(p any) any {
	m, ok := p.(map[string]any)
	if !ok {
		return p // a boolean schema: true accepts null already; false means "never"
	}
	_, hasConst := m["const"]
	switch t := m["type"].(type) {
	case string:
		if hasConst {
			break
		}
		if t != "null" {
			m["type"] = []any{t, "null"}
		}
		if enum, ok := m["enum"].([]any); ok && !slices.Contains(enum, nil) {
			m["enum"] = append(enum, nil)
		}
		return m
	case []any:
		if hasConst {
			break
		}
		if !slices.Contains(t, any("null")) {
			m["type"] = append(t, "null")
		}
		if enum, ok := m["enum"].([]any); ok && !slices.Contains(enum, nil) {
			m["enum"] = append(enum, nil)
		}
		return m
	}
	return map[string]any{"anyOf": []any{m, map[string]any{"type": "null"}}}
}

// violations flattens a validation error tree into a sorted list of
// violations, one per problem, each at the JSON Pointer of its value.
// schema is the tool's schema document; it names the allowed properties
// when the model sends an unknown one.
func violations(err error, schema map[string]any) []Violation {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Violation{{Message: err.Error()}}
	}
	var out []Violation
	collect(ve, schema, &out)
	if len(out) == 0 {
		out = append(out, Violation{Path: pointer(ve.InstanceLocation), Message: ve.ErrorKind.LocalizedString(printer)})
	}
	slices.SortFunc(out, func(a, b Violation) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	return slices.Compact(out)
}

func collect(e *jsonschema.ValidationError, schema map[string]any, out *[]Violation) {
	path := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		for _, m := range k.Missing {
			*out = append(*out, Violation{Path: path + "/" + escapeToken(m), Message: "required property is missing"})
		}
		return
	case *kind.AdditionalProperties:
		msg := "unknown property: the schema does not define it"
		if allowed := propertiesAt(schema, e.InstanceLocation); len(allowed) > 0 {
			msg = "unknown property; the allowed properties are " + strings.Join(allowed, ", ")
		}
		for _, p := range k.Properties {
			*out = append(*out, Violation{Path: path + "/" + escapeToken(p), Message: msg})
		}
		return
	case *kind.Type:
		if len(e.Causes) == 0 {
			want := k.Want
			if len(want) > 1 {
				// null stands for "absent" on optional properties; it
				// is no alternative worth offering.
				want = slices.DeleteFunc(slices.Clone(want), func(w string) bool { return w == "null" })
			}
			*out = append(*out, Violation{Path: path, Message: fmt.Sprintf("expected %s, got %s", strings.Join(want, " or "), k.Got)})
			return
		}
	case *kind.Format:
		msg := fmt.Sprintf("%s is not a valid %s: %v", display(k.Got), k.Want, k.Err)
		if k.Want == "date-time" {
			msg = fmt.Sprintf("%s is not a valid date-time; use RFC 3339, e.g. \"2025-03-01T09:30:00Z\"", display(k.Got))
		}
		*out = append(*out, Violation{Path: path, Message: msg})
		return
	case *kind.Enum:
		if len(e.Causes) == 0 {
			want := make([]string, 0, len(k.Want))
			for _, w := range k.Want {
				if w != nil || len(k.Want) == 1 {
					want = append(want, display(w))
				}
			}
			*out = append(*out, Violation{Path: path, Message: fmt.Sprintf("value must be one of %s; got %s", strings.Join(want, ", "), display(k.Got))})
			return
		}
	}
	if len(e.Causes) == 0 {
		*out = append(*out, Violation{Path: path, Message: leafMessage(e.ErrorKind)})
		return
	}
	causes := e.Causes
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
		// Drop the "want null" branch added for optional and nullable
		// properties: the model did not mean to send null.
		kept := slices.DeleteFunc(slices.Clone(causes), isNullBranch)
		if len(kept) > 0 {
			causes = kept
		}
	}
	for _, c := range causes {
		collect(c, schema, out)
	}
}

// leafMessage words the common keyword failures as instructions; other
// kinds keep the validator's own English text.
func leafMessage(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.MinLength:
		return fmt.Sprintf("must be at least %d characters long; got %d", k.Want, k.Got)
	case *kind.MaxLength:
		return fmt.Sprintf("must be at most %d characters long; got %d", k.Want, k.Got)
	case *kind.Pattern:
		return fmt.Sprintf("must match the pattern %s; got %s", k.Want, display(k.Got))
	case *kind.MinItems:
		return fmt.Sprintf("must have at least %d items; got %d", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("must have at most %d items; got %d", k.Want, k.Got)
	case *kind.Minimum:
		return fmt.Sprintf("must be >= %s; got %s", k.Want.RatString(), k.Got.RatString())
	case *kind.Maximum:
		return fmt.Sprintf("must be <= %s; got %s", k.Want.RatString(), k.Got.RatString())
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("must be > %s; got %s", k.Want.RatString(), k.Got.RatString())
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("must be < %s; got %s", k.Want.RatString(), k.Got.RatString())
	}
	return k.LocalizedString(printer)
}

// propertiesAt follows the instance location through the schema's
// properties, items and map values and returns the sorted property names
// of the object schema found there, or nil where the path is not that
// simple (anyOf, $ref, ...).
func propertiesAt(schema map[string]any, loc []string) []string {
	node := schema
	for _, tok := range loc {
		var next any
		if props, ok := node["properties"].(map[string]any); ok && props[tok] != nil {
			next = props[tok]
		} else if items, ok := node["items"].(map[string]any); ok {
			if _, err := strconv.Atoi(tok); err == nil {
				next = items
			}
		} else if ap, ok := node["additionalProperties"].(map[string]any); ok {
			next = ap
		}
		m, ok := next.(map[string]any)
		if !ok {
			return nil
		}
		node = m
	}
	props, ok := node["properties"].(map[string]any)
	if !ok {
		return nil
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func isNullBranch(e *jsonschema.ValidationError) bool {
	t, ok := e.ErrorKind.(*kind.Type)
	return ok && len(e.Causes) == 0 && len(t.Want) == 1 && t.Want[0] == "null"
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapeToken(t))
	}
	return b.String()
}

func escapeToken(t string) string {
	t = strings.ReplaceAll(t, "~", "~0")
	return strings.ReplaceAll(t, "/", "~1")
}

func display(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		n := 57
		for n > 0 && !utf8.RuneStart(b[n]) { // cut between characters
			n--
		}
		return string(b[:n]) + "..."
	}
	return string(b)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	default:
		return "object"
	}
}

// decodeViolations turns an error from decoding validated arguments into
// the input struct into violations. args are the arguments decoded.
func decodeViolations(args []byte, err error) []Violation {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		path, ok := pointerAt(args, te.Offset)
		if !ok && te.Field != "" {
			path = "/" + strings.Join(strings.Split(te.Field, "."), "/")
		}
		msg := fmt.Sprintf("%s does not fit the field's Go type %s", te.Value, te.Type)
		if strings.HasPrefix(te.Value, "number ") && strings.ContainsAny(te.Value, ".eE") {
			msg += "; send a whole number without a fraction or exponent"
		}
		return []Violation{{Path: path, Message: msg}}
	}
	return []Violation{{Message: err.Error()}}
}

// pointerAt returns the JSON Pointer of the scalar value of doc that ends
// at byte offset end.
func pointerAt(doc []byte, end int64) (string, bool) {
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int
	}
	var stack []*frame
	done := func() { // a value of the innermost container is complete
		if n := len(stack); n > 0 {
			if top := stack[n-1]; top.object {
				top.wantKey = true
			} else {
				top.index++
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if key, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = key, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{object: true, wantKey: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			done()
		default:
			if dec.InputOffset() == end {
				var b strings.Builder
				for _, f := range stack {
					b.WriteByte('/')
					if f.object {
						b.WriteString(escapeToken(f.key))
					} else {
						b.WriteString(strconv.Itoa(f.index))
					}
				}
				return b.String(), true
			}
			done()
		}
	}
}
