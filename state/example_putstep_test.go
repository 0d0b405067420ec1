package state_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/state"
)

// PutStep saves the writes of the tasks that closed a step with the
// checkpoint they lead to, all or nothing; a graph compiled with a store
// that has it makes one save per step under sync durability.
func ExampleMemory_PutStep() {
	ctx := context.Background()
	m := state.NewMemory()
	_ = m.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", Snapshot: []byte(`{"N":0}`), Next: []state.Task{{Node: "add"}}})
	w := state.TaskWrites{Task: 0, Node: "add", Writes: []byte(`{"set":{"N":1}}`)}
	err := m.PutStep(ctx, "c1", []state.TaskWrites{w}, state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1})
	fmt.Println(err)
	ws, _ := m.Writes(ctx, "t", "c1")
	fmt.Println(ws[0].Node, string(ws[0].Writes))
	// A step that does not build on the latest checkpoint saves nothing.
	err = m.PutStep(ctx, "c1", []state.TaskWrites{w}, state.Checkpoint{ThreadID: "t", ID: "c3", ParentID: "c1", Step: 1})
	fmt.Println(errors.Is(err, state.ErrConflict))
	// Output:
	// <nil>
	// add {"set":{"N":1}}
	// true
}
