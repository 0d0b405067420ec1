// Command mapreduce fans a list of documents out to one "count" branch each
// (graph.Send with a per-branch input), merges the branches' results through
// reducers in declaration order, and joins them in a "total" node.
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// Corpus is the state. When several branches write in the same step, Done
// is appended to, Words summed, and Counts added up key by key by the reducer
// registered at Compile.
type Corpus struct {
	Docs   []string
	Doc    string
	Counts map[string]int
	Done   []string `reduce:"append"`
	Words  int      `reduce:"sum"`
	Top    string
}

// build compiles the map-reduce graph.
func build() (*graph.Compiled[Corpus], error) {
	g := graph.New[Corpus]()
	g.AddNode("split", func(_ context.Context, s Corpus) (Corpus, error) { return s, nil })
	g.AddNode("count", func(_ context.Context, s Corpus) (Corpus, error) {
		counts := map[string]int{}
		words := strings.Fields(strings.ToLower(s.Doc))
		for _, w := range words {
			counts[w]++
		}
		s.Counts = counts
		s.Words += len(words)
		name, _, _ := strings.Cut(s.Doc, " ")
		s.Done = append(s.Done, name)
		return s, nil
	})
	g.AddNode("total", func(_ context.Context, s Corpus) (Corpus, error) {
		keys := make([]string, 0, len(s.Counts))
		for k := range s.Counts {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if s.Counts[keys[i]] != s.Counts[keys[j]] {
				return s.Counts[keys[i]] > s.Counts[keys[j]]
			}
			return keys[i] < keys[j]
		})
		if len(keys) > 0 {
			s.Top = keys[0]
		}
		return s, nil
	})
	g.AddEdge(graph.START, "split")
	g.AddFanOut("split", func(s Corpus) []graph.Send[Corpus] {
		sends := make([]graph.Send[Corpus], len(s.Docs))
		for i, d := range s.Docs {
			sends[i] = graph.Send[Corpus]{Node: "count", State: Corpus{Doc: d}}
		}
		return sends
	}, "count")
	g.AddEdge("count", "total").AddEdge("total", graph.END)
	addCounts := func(acc, w map[string]int) map[string]int {
		out := make(map[string]int, len(acc)+len(w))
		for k, v := range acc {
			out[k] = v
		}
		for k, v := range w {
			out[k] += v
		}
		return out
	}
	return g.Compile(graph.WithStateOptions(state.WithReducer("Counts", addCounts)))
}

func main() {
	c, err := build()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := c.Invoke(context.Background(), Corpus{Docs: []string{
		"alpha go graphs run in steps",
		"beta steps merge in declaration order",
		"gamma go go go",
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("branches merged in order:", out.Done)
	fmt.Println("words:", out.Words)
	fmt.Println("go:", out.Counts["go"], "in:", out.Counts["in"], "steps:", out.Counts["steps"])
	fmt.Println("most frequent:", out.Top)
}
