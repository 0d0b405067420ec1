package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
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

// A driver of steps saves a step's last writes together with the
// checkpoint they lead to: one transaction, one commit.
func ExampleStore_PutStep() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(filepath.Join(dir, "runs.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	ctx := context.Background()
	first := state.Checkpoint{ThreadID: "t", ID: "c1", Snapshot: []byte(`{"n":0}`), Next: []state.Task{{Node: "add"}}}
	if err := store.Put(ctx, first); err != nil {
		panic(err)
	}
	w := state.TaskWrites{Task: 0, Node: "add", Writes: []byte(`{"n":1}`)}
	next := state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop"}
	if err := store.PutStep(ctx, "c1", []state.TaskWrites{w}, next); err != nil {
		panic(err)
	}
	// The same step saved again no longer builds on the thread's head.
	err = store.PutStep(ctx, "c1", []state.TaskWrites{w}, state.Checkpoint{ThreadID: "t", ID: "c2b", ParentID: "c1", Step: 1})
	latest, _ := store.Get(ctx, "t", "")
	writes, _ := store.Writes(ctx, "t", "c1")
	fmt.Println(latest.ID, len(writes), string(writes[0].Writes), errors.Is(err, state.ErrConflict))
	// Output: c2 1 {"n":1} true
}
