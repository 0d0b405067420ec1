package tools

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/tmc/langchaingo/llms"
)

// ExportOption configures how a tool is exported to langchaingo.
type ExportOption func(*exportOptions)

type exportOptions struct{ strict bool }

// Strict exports tools in strict mode, as OpenAI's structured function
// calling defines it: the function is marked strict, every object in the
// schema forbids additional properties and lists all its properties as
// required, and a property that was optional accepts null instead. A
// schema holding a free-form map cannot be expressed and is a
// *StrictError (ErrStrictUnsupported).
func Strict() ExportOption { return func(o *exportOptions) { o.strict = true } }

// LLMTool exports the tool as a langchaingo function tool. Parameters is a
// fresh map[string]any (the shape every langchaingo provider accepts,
// Gemini's included), without "$schema" or "$id", and with every property
// schema an object ({} where the tool's schema says true).
func (t *Tool) LLMTool(opts ...ExportOption) (llms.Tool, error) {
	var o exportOptions
	for _, opt := range opts {
		opt(&o)
	}
	params, err := t.Parameters()
	if err != nil {
		return llms.Tool{}, err
	}
	if o.strict {
		if err := strictify(t.name, params, ""); err != nil {
			return llms.Tool{}, err
		}
	}
	return llms.Tool{
		Type: "function",
		Function: &llms.FunctionDefinition{
			Name:        t.name,
			Description: t.description,
			Parameters:  params,
			Strict:      o.strict,
		},
	}, nil
}

// Parameters returns the tool's argument schema as a fresh map, as LLMTool
// exports it in non-strict mode.
func (t *Tool) Parameters() (map[string]any, error) {
	var params map[string]any
	if err := json.Unmarshal(t.schema, &params); err != nil {
		return nil, fmt.Errorf("%w: tool %q: decoding its schema: %w", ErrInvalidTool, t.name, err)
	}
	delete(params, "$schema")
	delete(params, "$id")
	openBoolSchemas(params)
	return params, nil
}

// openBoolSchemas replaces, in place, every property or items schema that
// is the boolean true (a Go interface or json.RawMessage field) by the
// equivalent empty schema {}: some providers' converters (langchaingo's
// Gemini one among them) accept only objects there.
func openBoolSchemas(m map[string]any) {
	if props, ok := m["properties"].(map[string]any); ok {
		for name, p := range props {
			switch p := p.(type) {
			case bool:
				if p {
					props[name] = map[string]any{}
				}
			case map[string]any:
				openBoolSchemas(p)
			}
		}
	}
	switch items := m["items"].(type) {
	case bool:
		if items {
			m["items"] = map[string]any{}
		}
	case map[string]any:
		openBoolSchemas(items)
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		openBoolSchemas(ap)
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf"} {
		if list, ok := m[k].([]any); ok {
			for _, s := range list {
				if sm, ok := s.(map[string]any); ok {
					openBoolSchemas(sm)
				}
			}
		}
	}
	if defs, ok := m["$defs"].(map[string]any); ok {
		for _, d := range defs {
			if dm, ok := d.(map[string]any); ok {
				openBoolSchemas(dm)
			}
		}
	}
}

// strictify rewrites the schema node m, at JSON Pointer path, for strict
// mode, in place.
func strictify(tool string, m map[string]any, path string) error {
	for _, k := range []string{"$defs", "definitions"} {
		if defs, ok := m[k].(map[string]any); ok {
			for name, d := range defs {
				if dm, ok := d.(map[string]any); ok {
					if err := strictify(tool, dm, path+"/"+k+"/"+escapeToken(name)); err != nil {
						return err
					}
				}
			}
		}
	}
	for _, k := range []string{"anyOf", "oneOf", "allOf", "prefixItems"} {
		if list, ok := m[k].([]any); ok {
			for i, s := range list {
				if sm, ok := s.(map[string]any); ok {
					if err := strictify(tool, sm, fmt.Sprintf("%s/%s/%d", path, k, i)); err != nil {
						return err
					}
				}
			}
		}
	}
	if items, ok := m["items"].(map[string]any); ok {
		if err := strictify(tool, items, path+"/items"); err != nil {
			return err
		}
	}
	if _, ok := m["patternProperties"]; ok {
		return &StrictError{Tool: tool, Path: path, Reason: "patternProperties (a map with integer keys) is not allowed"}
	}
	if ap, ok := m["additionalProperties"]; ok && ap != false {
		return &StrictError{Tool: tool, Path: path, Reason: "a free-form map (additionalProperties other than false) is not allowed"}
	}
	props, isObject := m["properties"].(map[string]any)
	if !isObject && m["type"] != "object" {
		return nil
	}
	if !isObject {
		props = map[string]any{}
		m["properties"] = props
	}
	m["additionalProperties"] = false
	required := map[string]bool{}
	var names []string
	if list, ok := m["required"].([]any); ok {
		for _, r := range list {
			if s, ok := r.(string); ok {
				required[s] = true
				names = append(names, s)
			}
		}
	}
	var optional []string
	for name := range props {
		if !required[name] {
			optional = append(optional, name)
		}
	}
	slices.Sort(optional)
	for _, name := range slices.Concat(names, optional) {
		p, ok := props[name].(map[string]any)
		if !ok {
			continue
		}
		if len(p) == 0 {
			return &StrictError{Tool: tool, Path: path + "/properties/" + escapeToken(name),
				Reason: "a property accepting any value (a Go interface or json.RawMessage) is not allowed"}
		}
		if err := strictify(tool, p, path+"/properties/"+escapeToken(name)); err != nil {
			return err
		}
		if !required[name] {
			props[name] = acceptNull(p)
		}
	}
	all := make([]any, 0, len(names)+len(optional))
	for _, n := range slices.Concat(names, optional) {
		all = append(all, n)
	}
	m["required"] = all
	return nil
}
