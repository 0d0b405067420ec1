package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state/sqlite"
)

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "runs.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()

	type Notes struct {
		Lines []string `reduce:"append"`
	}
	g := graph.New[Notes]()
	g.AddNode("write", func(_ context.Context, s Notes) (Notes, error) {
		s.Lines = append(s.Lines, fmt.Sprintf("note %d", len(s.Lines)+1))
		return s, nil
	})
	g.AddEdge(graph.START, "write").AddEdge("write", graph.END)
	c, err := g.Compile(graph.WithCheckpointer(store))
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.Invoke(ctx, Notes{}, graph.Thread("notebook")); err != nil {
			panic(err)
		}
	}
	sn, _ := c.State(ctx, "notebook")
	fmt.Println(sn.State.Lines, sn.Step)
	// Output: [note 1 note 2 note 3] 3
}
