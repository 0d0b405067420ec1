package graph_test

import (
	"context"
	"fmt"

	"github.com/jedisos/jedisos/graph"
)

// A driver runs a graph step by step on encoded values: Start and Next are
// pure (a workflow can call them), RunTask runs the node (an activity or
// a worker does).
func ExampleStepper() {
	type T struct {
		Log []string `reduce:"append"`
	}
	g := graph.New[T]()
	for _, n := range []string{"plan", "search", "write"} {
		g.AddNode(n, func(_ context.Context, s T) (T, error) {
			s.Log = append(s.Log, n)
			return s, nil
		})
	}
	g.AddEdge(graph.START, "plan").AddEdge("plan", "search").AddEdge("plan", "write")
	g.AddEdge("search", graph.END).AddEdge("write", graph.END)
	c, err := g.Compile()
	if err != nil {
		panic(err)
	}
	st, err := c.Stepper()
	if err != nil {
		panic(err)
	}
	in, _ := st.Encode(T{})
	pos, err := st.Start(in, 0)
	if err != nil {
		panic(err)
	}
	for !pos.Done() {
		results := make([]graph.TaskResult, len(pos.Tasks))
		for i, task := range pos.Tasks {
			res, err := st.RunTask(context.Background(), st.Request("run-1", &pos, i))
			if err != nil {
				panic(err)
			}
			fmt.Printf("step %d: %s wrote %s\n", pos.Step, task.Node, res.Writes)
			results[i] = res
		}
		if pos, err = st.Next(pos, results); err != nil {
			panic(err)
		}
	}
	fmt.Println(string(pos.State))
	// Output:
	// step 0: plan wrote {"set":{"Log":["plan"]}}
	// step 1: search wrote {"append":{"Log":["search"]}}
	// step 1: write wrote {"append":{"Log":["write"]}}
	// {"Log":["plan","search","write"]}
}
