package graph_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/graph"
)

// Fan-out branches built from one state share its slices' spare capacity;
// each branch's appends must stay its own.
func TestFanOutBranchesDoNotShareSpareCapacity(t *testing.T) {
	g := graph.New[S]()
	g.AddNode("prep", func(_ context.Context, s S) (S, error) {
		s.Log = append(make([]string, 0, 8), "prep")
		return s, nil
	})
	g.AddNode("work", func(_ context.Context, s S) (S, error) {
		s.Log = append(s.Log, s.Item)
		return s, nil
	})
	g.AddEdge(graph.START, "prep")
	g.AddFanOut("prep", func(s S) []graph.Send[S] {
		var out []graph.Send[S]
		for _, it := range []string{"a", "b", "c"} {
			b := s
			b.Item = it
			out = append(out, graph.Send[S]{Node: "work", State: b})
		}
		return out
	}, "work")
	g.AddEdge("work", graph.END)
	c := mustCompile(t, g)
	out, err := c.Invoke(context.Background(), S{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"prep", "a", "b", "c"}; !slices.Equal(out.Log, want) {
		t.Fatalf("Log = %q, want %q", out.Log, want)
	}
}
