package graph_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
)

// A node may hand a context derived from its own to a goroutine that
// outlives the node (a worker that cancels its timer late). Later steps
// must not rewrite anything such a context reads: run with -race.
func TestDerivedContextsOutliveTheirStep(t *testing.T) {
	type S struct {
		N []int `reduce:"append"`
	}
	var wg sync.WaitGroup
	node := func(i int) graph.NodeFunc[S] {
		return func(ctx context.Context, s S) (S, error) {
			child, cancel := context.WithTimeout(ctx, time.Minute)
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Millisecond)
				<-child.Done()
			}()
			go cancel() // cancelled after the node has returned, maybe
			s.N = append(s.N, i)
			return s, nil
		}
	}
	g := graph.New[S]().
		AddNode("a", node(1)).AddNode("b", node(2)).AddNode("c", node(3)).
		AddEdge(graph.START, "a").AddEdge(graph.START, "b").
		AddJoin("c", "a", "b").
		AddConditionalEdges("c", func(s S) []string {
			if len(s.N) < 30 {
				return []string{"a", "b"}
			}
			return []string{graph.END}
		}, "a", "b", graph.END)
	c, err := g.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		out, err := c.Invoke(context.Background(), S{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.N) != 30 || out.N[0] != 1 || out.N[1] != 2 || out.N[2] != 3 {
			t.Fatalf("N = %v", out.N)
		}
	}
	wg.Wait()
}
