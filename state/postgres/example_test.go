package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/postgres"
)

func ExampleOpen() {
	ctx := context.Background()
	// e.g. postgres://app:secret@db.internal:5432/agents?search_path=jedisos
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
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
	// Any process with the same DSN continues the same thread.
	for range 3 {
		if _, err := c.Invoke(ctx, Notes{}, graph.Thread("notebook")); err != nil {
			panic(err)
		}
	}
	sn, _ := c.State(ctx, "notebook")
	fmt.Println(sn.State.Lines, sn.Step)

	// Two writers that built on the same checkpoint: the second is refused.
	latest, _ := store.Get(ctx, "notebook", "")
	first := state.Checkpoint{ThreadID: "notebook", ID: "mine", ParentID: latest.ID, Source: "update"}
	second := state.Checkpoint{ThreadID: "notebook", ID: "theirs", ParentID: latest.ID, Source: "update"}
	fmt.Println(store.Put(ctx, first), errors.Is(store.Put(ctx, second), state.ErrConflict))

	// Retention: a thread is deleted with everything saved for it.
	if err := store.DeleteThread(ctx, "notebook"); err != nil {
		panic(err)
	}
	_, err = store.Get(ctx, "notebook", "")
	fmt.Println(errors.Is(err, state.ErrNotFound))
	// Output:
	// [note 1 note 2 note 3] 3
	// <nil> true
	// true
}

// PutStep saves what the last task of a step wrote and the checkpoint the
// step ends with in one statement: both or neither.
func ExampleStore_PutStep() {
	ctx := context.Background()
	store, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	defer store.DeleteThread(ctx, "putstep")

	start := state.Checkpoint{ThreadID: "putstep", ID: "0001", Source: "input", Snapshot: []byte(`{"n":0}`), Next: []state.Task{{Node: "count"}}}
	if err := store.Put(ctx, start); err != nil {
		panic(err)
	}
	writes := []state.TaskWrites{{Task: 0, Node: "count", Writes: []byte(`{"n":1}`)}}
	step := state.Checkpoint{ThreadID: "putstep", ID: "0002", ParentID: "0001", Step: 1, Source: "loop"}
	fmt.Println(store.PutStep(ctx, "0001", writes, step))

	// A second run that also built on 0001 saves nothing.
	other := state.Checkpoint{ThreadID: "putstep", ID: "0003", ParentID: "0001", Step: 1, Source: "loop"}
	err = store.PutStep(ctx, "0001", []state.TaskWrites{{Task: 0, Node: "count", Writes: []byte(`{"n":7}`)}}, other)
	saved, _ := store.Writes(ctx, "putstep", "0001")
	fmt.Println(errors.Is(err, state.ErrConflict), string(saved[0].Writes))
	// Output:
	// <nil>
	// true {"n":1}
}
