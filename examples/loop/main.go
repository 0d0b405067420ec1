// Command loop runs a conditional loop: a "guess" node narrows a binary
// search until a "check" router sends the run to END, then prints the graph
// as Mermaid and each step's state as it streams.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jedisos/jedisos/graph"
)

// Search is the state: the interval still possible and the guesses made.
type Search struct {
	Secret  int
	Low     int
	High    int
	Guesses []int `reduce:"append"`
	Found   bool
}

func guess(_ context.Context, s Search) (Search, error) {
	g := (s.Low + s.High) / 2
	s.Guesses = append(s.Guesses, g)
	switch {
	case g == s.Secret:
		s.Found = true
	case g < s.Secret:
		s.Low = g + 1
	default:
		s.High = g - 1
	}
	return s, nil
}

func main() {
	g := graph.New[Search]()
	g.AddNode("guess", guess)
	g.AddNode("report", func(_ context.Context, s Search) (Search, error) { return s, nil })
	g.AddEdge(graph.START, "guess")
	g.AddConditionalEdge("guess", func(s Search) string {
		if s.Found {
			return "report"
		}
		return "guess"
	}, "guess", "report")
	g.AddEdge("report", graph.END)
	c, err := g.Compile(graph.WithStepLimit(64))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(c.Mermaid())
	for ev, err := range c.Stream(context.Background(), Search{Secret: 73, Low: 1, High: 100}, graph.Only(graph.EventState)) {
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("step %d: interval [%d, %d], guesses %v, found %v\n", ev.Step, ev.State.Low, ev.State.High, ev.State.Guesses, ev.State.Found)
	}
}
