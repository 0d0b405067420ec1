package state_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/state"
)

type Conv struct {
	Messages []string `reduce:"append"`
	Turns    int      `reduce:"sum"`
	Title    string
}

// Outer embeds Conv: its fields keep their reducers under their promoted
// names; Title is shadowed by Outer's own Title.
type Outer struct {
	Conv
	Title string
	Tags  []string
}

func TestEmbeddedStructFieldsAreFlattened(t *testing.T) {
	p, err := state.NewPlan[Outer]()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range p.Fields() {
		names = append(names, f.Name+":"+f.Reducer.String())
	}
	want := []string{"Messages:append", "Turns:sum", "Conv.Title:overwrite", "Title:overwrite", "Tags:overwrite"}
	if !slices.Equal(names, want) {
		t.Fatalf("fields = %v, want %v", names, want)
	}

	base := Outer{Conv: Conv{Messages: make([]string, 1, 8)}}
	base.Messages[0] = "hi"
	p.Isolate(&base)
	a, b := base, base
	a.Messages = append(a.Messages, "from a")
	a.Turns++
	b.Messages = append(b.Messages, "from b")
	b.Turns++
	b.Title = "b's title"
	out, err := p.Merge(base, []state.Write[Outer]{{Node: "a", In: &base, Out: &a}, {Node: "b", In: &base, Out: &b}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Messages, []string{"hi", "from a", "from b"}) || out.Turns != 2 || out.Title != "b's title" {
		t.Fatalf("merged = %+v", out)
	}
	// Isolation clipped the embedded slice, so the appends did not share memory.
	if a.Messages[1] != "from a" {
		t.Fatalf("node a's append was overwritten: %v", a.Messages)
	}

	// A field of the embedded struct without a reducer still conflicts, by its path.
	c, d := base, base
	c.Conv.Title, d.Conv.Title = "c", "d"
	_, err = p.Merge(base, []state.Write[Outer]{{Node: "c", In: &base, Out: &c}, {Node: "d", In: &base, Out: &d}})
	var ce *state.ConflictError
	if !errors.As(err, &ce) || ce.Field != "Conv.Title" {
		t.Fatalf("err = %v, want a conflict on Conv.Title", err)
	}

	// Writes of an embedded append field are stored as deltas.
	w, err := p.EncodeWrites(&base, &a)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(w); got != `{"set":{"Turns":1},"append":{"Messages":["from a"]}}` {
		t.Fatalf("writes = %s", got)
	}
	back, err := p.ApplyWrites(base, w)
	if err != nil || !slices.Equal(back.Messages, a.Messages) || back.Turns != 1 {
		t.Fatalf("applied = %+v, %v", back, err)
	}
}

func TestReducerRegisteredForPromotedField(t *testing.T) {
	p, err := state.NewPlan[Outer](state.WithReducer("Tags", func(acc, w []string) []string { return append(acc, w...) }),
		state.WithReducer("Conv.Title", func(acc, w string) string { return acc + w }))
	if err != nil {
		t.Fatal(err)
	}
	base := Outer{}
	a, b := base, base
	a.Conv.Title, b.Conv.Title = "x", "y"
	out, err := p.Merge(base, []state.Write[Outer]{{Node: "a", In: &base, Out: &a}, {Node: "b", In: &base, Out: &b}})
	if err != nil || out.Conv.Title != "xy" {
		t.Fatalf("out = %+v, err = %v", out, err)
	}
}
