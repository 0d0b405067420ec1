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
