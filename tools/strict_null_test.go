package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// In strict mode an optional property must accept null, the model's way
// to leave it out, including when its schema has a list of types with an
// enum, or a const.
func TestStrictOptionalAcceptsNull(t *testing.T) {
	schema := []byte(`{"type":"object","properties":{
		"id":{"type":"string"},
		"mode":{"type":["string","integer"],"enum":["fast",1]},
		"kind":{"type":"string","const":"x"}},
		"required":["id"]}`)
	tool, err := NewRaw("pick", "", schema, func(_ context.Context, a json.RawMessage) (string, error) { return string(a), nil })
	if err != nil {
		t.Fatal(err)
	}
	lt, err := tool.LLMTool(Strict())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(lt.Function.Parameters)
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("strict.json", v); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("strict.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range []string{
		`{"id":"a","mode":null,"kind":null}`,
		`{"id":"a","mode":"fast","kind":"x"}`,
		`{"id":"a","mode":1,"kind":null}`,
	} {
		inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(args)))
		if err := sch.Validate(inst); err != nil {
			t.Errorf("strict schema %s rejects %s: %v", doc, args, err)
		}
	}
	inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(`{"id":"a","mode":"slow","kind":null}`)))
	if sch.Validate(inst) == nil {
		t.Errorf("strict schema %s accepts a mode outside its enum", doc)
	}
}
