package state_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/state"
)

type St struct {
	Log   []string       `reduce:"append"`
	N     int            `reduce:"sum"`
	F     float64        `reduce:"sum"`
	M     map[string]int `reduce:"merge"`
	Name  string
	Best  int
	Inner struct{ A []int }
}

func plan(t *testing.T, opts ...state.Option) *state.Plan[St] {
	t.Helper()
	p, err := state.NewPlan[St](opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMergeReducers(t *testing.T) {
	p := plan(t, state.WithReducer("Best", func(acc, w int) int { return max(acc, w) }))
	base := St{Log: []string{"x"}, N: 1, F: 0.5, M: map[string]int{"a": 1, "b": 2}, Best: 3}
	p.Isolate(&base)
	a, b := base, base
	a.Log = append(a.Log, "a")
	a.N += 2
	a.F += 0.25
	a.M = map[string]int{"a": 10, "b": 2}
	a.Best = 7
	b.Log = append(b.Log, "b1", "b2")
	b.N += 5
	b.M = map[string]int{"a": 1, "c": 3}
	b.Best = 5
	got, err := p.Merge(base, []state.Write[St]{{Node: "a", In: &base, Out: &a}, {Node: "b", In: &base, Out: &b}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Log, []string{"x", "a", "b1", "b2"}) || got.N != 8 || got.F != 0.75 || got.Best != 7 {
		t.Fatalf("merged %+v", got)
	}
	if fmt.Sprint(got.M) != fmt.Sprint(map[string]int{"a": 10, "c": 3}) {
		t.Fatalf("map %v", got.M)
	}
	if !slices.Equal(base.Log, []string{"x"}) || len(base.M) != 2 {
		t.Fatalf("base was modified: %+v", base)
	}
}

func TestMergeConflict(t *testing.T) {
	p := plan(t)
	base := St{}
	a, b, c := base, base, base
	a.Name, b.Name, c.Name = "a", "b", "c"
	_, err := p.Merge(base, []state.Write[St]{{Node: "na", In: &base, Out: &a}, {Node: "nb", In: &base, Out: &b}, {Node: "nc", In: &base, Out: &c}})
	var ce *state.ConflictError
	if !errors.As(err, &ce) || ce.Field != "Name" || !slices.Equal(ce.Nodes, []string{"na", "nb", "nc"}) {
		t.Fatalf("err = %v", err)
	}
}

func TestPlanErrors(t *testing.T) {
	type Bad struct {
		A int               `reduce:"append"`
		B []int             `reduce:"merge"`
		C string            `reduce:"sum"`
		D map[string]string `reduce:"zip"`
		E int
	}
	_, err := state.NewPlan[Bad](state.WithReducer("E", func(a, b string) string { return a }), state.WithReducer("Z", func(a, b int) int { return a }))
	var pe *state.PlanError
	if !errors.As(err, &pe) || len(pe.Problems) != 6 {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"field A", "field B", "field C", `unknown reducer "zip"`, "field E: registered reducer takes string", `unknown field "Z"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := state.NewPlan[int](); err == nil {
		t.Fatal("non-struct state accepted")
	}
}

func TestWritesRoundTrip(t *testing.T) {
	p := plan(t)
	in := St{Log: []string{"a", "b"}, N: 4, Name: "x"}
	out := in
	out.Log = append(out.Log, "c")
	out.Name = "y"
	b, err := p.EncodeWrites(&in, &out)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"set":{"Name":"y"},"append":{"Log":["c"]}}` {
		t.Fatalf("writes %s", b)
	}
	got, err := p.ApplyWrites(in, b)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Log, out.Log) || got.Name != "y" || got.N != 4 {
		t.Fatalf("applied %+v", got)
	}
	// A replaced slice is stored whole.
	out2 := in
	out2.Log = []string{"z"}
	b, _ = p.EncodeWrites(&in, &out2)
	if string(b) != `{"set":{"Log":["z"]}}` {
		t.Fatalf("writes %s", b)
	}
	fields, _ := state.WriteFields([]byte(`{"set":{"Name":"y"},"append":{"Log":["c"]}}`))
	if !slices.Equal(fields, []string{"Log", "Name"}) {
		t.Fatalf("fields %v", fields)
	}
	if _, err := p.ApplyWrites(in, []byte(`{"set":{"Nope":1}}`)); err == nil || !strings.Contains(err.Error(), `"Nope"`) {
		t.Fatalf("unknown field: %v", err)
	}
}

func TestEncodingProblems(t *testing.T) {
	type Leaf struct {
		Fn     func()
		hidden int
	}
	type Bad struct {
		OK    []string
		Ch    chan int
		Deep  []map[string]Leaf
		Any   any
		Skip  func() `json:"-"`
		Cmplx complex64
	}
	p, err := state.NewPlan[Bad]()
	if err != nil {
		t.Fatal(err)
	}
	got := p.EncodingProblems()
	want := []string{
		"Bad.Ch: type chan int cannot be encoded",
		"Bad.Deep[][key].Fn: type func() cannot be encoded",
		"Bad.Deep[][key].hidden: unexported field would be lost by a checkpoint",
		"Bad.Any: interface type interface {} cannot be decoded back (use a concrete type or implement json.Unmarshaler)",
		"Bad.Cmplx: type complex64 cannot be encoded",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func ExampleNewPlan() {
	type Chat struct {
		Messages []string `reduce:"append"`
		Tokens   int      `reduce:"sum"`
		Topic    string
	}
	p, _ := state.NewPlan[Chat]()
	base := Chat{Messages: []string{"hi"}, Tokens: 2}
	a, b := base, base
	a.Messages = append(a.Messages, "from a")
	a.Tokens += 3
	b.Messages = append(b.Messages, "from b")
	b.Tokens += 4
	b.Topic = "go"
	merged, err := p.Merge(base, []state.Write[Chat]{{Node: "a", In: &base, Out: &a}, {Node: "b", In: &base, Out: &b}})
	fmt.Println(merged.Messages, merged.Tokens, merged.Topic, err)
	// Output: [hi from a from b] 9 go <nil>
}
