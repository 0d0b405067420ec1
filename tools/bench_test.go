package tools

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

// benchIn is the small three-field input of the benchmarks.
type benchIn struct {
	Location string `json:"location" jsonschema:"description=City and country"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
	Days     int    `json:"days" jsonschema:"minimum=1,maximum=14"`
}

type benchOut struct {
	Location string  `json:"location"`
	Temp     float64 `json:"temp"`
	Unit     string  `json:"unit"`
}

func benchFn(_ context.Context, in benchIn) (benchOut, error) {
	return benchOut{Location: in.Location, Temp: 15.5, Unit: in.Unit}, nil
}

const benchArgs = `{"location":"Seoul, South Korea","unit":"celsius","days":3}`

// BenchmarkToolCall measures one call through a Registry: parse, validate,
// decode, run (under its timeout, panics contained) and encode.
func BenchmarkToolCall(b *testing.B) {
	tool, err := New("get_weather", "", benchFn)
	if err != nil {
		b.Fatal(err)
	}
	reg, err := NewRegistry(Config{}, tool)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	c := llm.ToolCall{ID: "call_1", Name: "get_weather", Arguments: benchArgs}
	b.ReportAllocs()
	for b.Loop() {
		res := reg.Execute(ctx, c)
		if res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

// BenchmarkToolCallBaseline is the same work written by hand with no
// validation, no timeout and no panic containment, for comparison.
func BenchmarkToolCallBaseline(b *testing.B) {
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var in benchIn
		if err := json.Unmarshal([]byte(benchArgs), &in); err != nil {
			b.Fatal(err)
		}
		out, err := benchFn(ctx, in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(out); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkToolCallParallel8 measures one assistant turn of eight calls.
func BenchmarkToolCallParallel8(b *testing.B) {
	tool, err := New("get_weather", "", benchFn)
	if err != nil {
		b.Fatal(err)
	}
	reg, err := NewRegistry(Config{}, tool)
	if err != nil {
		b.Fatal(err)
	}
	calls := make([]llm.ToolCall, 8)
	for i := range calls {
		calls[i] = llm.ToolCall{ID: fmt.Sprintf("call_%d", i), Name: "get_weather", Arguments: benchArgs}
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		results, err := reg.RunTurn(ctx, calls)
		if err != nil || results[7].Err != nil {
			b.Fatal(err, results[7].Err)
		}
	}
}

// BenchmarkToolCallValidation measures the schema validation step of
// BenchmarkToolCall alone, on arguments already parsed: the share of a call
// spent in the validator.
func BenchmarkToolCallValidation(b *testing.B) {
	tool, err := New("get_weather", "", benchFn)
	if err != nil {
		b.Fatal(err)
	}
	doc, ok := parseArguments(benchArgs)
	if !ok {
		b.Fatal("benchArgs do not parse")
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := tool.validator.Validate(doc); err != nil {
			b.Fatal(err)
		}
	}
}
