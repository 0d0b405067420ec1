package state_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/state"
)

type inner struct {
	A int
	B string
}

type kinds struct {
	Str   string
	Slice []string
	Map   map[string]int
	Struc inner
	Ptr   *inner
	Iface any
	Arr   [2]string
	F     float64
	N     int
}

// A field counts as written by value, for every kind of field: an equal
// value built elsewhere is no write, a different one is.
func TestWroteByValue(t *testing.T) {
	p, err := state.NewPlan[kinds]()
	if err != nil {
		t.Fatal(err)
	}
	base := kinds{
		Str: "world", Slice: []string{"a", "b"}, Map: map[string]int{"k": 1}, Struc: inner{1, "x"},
		Ptr: &inner{2, "y"}, Iface: inner{3, "z"}, Arr: [2]string{"p", "q"}, F: 1.5, N: 7,
	}
	equal := kinds{
		Str: fmt.Sprintf("wor%s", "ld"), Slice: []string{strings.Clone("a"), "b"}, Map: map[string]int{"k": 1},
		Struc: inner{1, strings.Clone("x")}, Ptr: &inner{2, "y"}, Iface: inner{3, "z"},
		Arr: [2]string{strings.Clone("p"), "q"}, F: 1.5, N: 7,
	}
	for i, f := range p.Fields() {
		if p.Wrote(i, &base, &equal) {
			t.Errorf("field %s: an equal value counts as written", f.Name)
		}
	}
	changed := []func(k *kinds){
		func(k *kinds) { k.Str = "World" },
		func(k *kinds) { k.Slice = []string{"a", "c"} },
		func(k *kinds) { k.Map = map[string]int{"k": 2} },
		func(k *kinds) { k.Struc = inner{1, "y"} },
		func(k *kinds) { k.Ptr = &inner{2, "z"} },
		func(k *kinds) { k.Iface = inner{3, "w"} },
		func(k *kinds) { k.Arr = [2]string{"p", "r"} },
		func(k *kinds) { k.F = 2.5 },
		func(k *kinds) { k.N = 8 },
	}
	for i, change := range changed {
		out := equal
		change(&out)
		for j, f := range p.Fields() {
			if got := p.Wrote(j, &base, &out); got != (i == j) {
				t.Errorf("change of field %d: Wrote(%s) = %v", i, f.Name, got)
			}
		}
	}
	// nil and empty differ; -0 and +0 do not.
	a, b := kinds{Slice: nil, Map: nil}, kinds{Slice: []string{}, Map: map[string]int{}}
	if !p.Wrote(p.FieldIndex("Slice"), &a, &b) || !p.Wrote(p.FieldIndex("Map"), &a, &b) {
		t.Error("nil and empty slice or map compare equal")
	}
	negZero := kinds{F: -1 * 0.0}
	negZero.F = -negZero.F
	if p.Wrote(p.FieldIndex("F"), &kinds{}, &negZero) {
		t.Error("-0 counts as a write of +0")
	}
}

// The comparison costs no allocation on the common path: unchanged fields,
// numbers, strings, and slices that grew.
func TestWroteAllocs(t *testing.T) {
	p, _ := state.NewPlan[kinds]()
	in := kinds{Str: "a", Slice: []string{"x"}, N: 1, Struc: inner{1, "a"}}
	out := in
	out.Str = strings.Clone("b")
	out.Slice = append(out.Slice[:1:1], "y")
	out.N = 2
	same := in
	same.Struc = inner{1, strings.Clone("a")}
	n := testing.AllocsPerRun(100, func() {
		for i := range p.NumFields() {
			p.Wrote(i, &in, &out)
			p.Wrote(i, &in, &same)
		}
	})
	if n != 0 {
		t.Fatalf("%v allocations per comparison", n)
	}
}
