package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
)

// TestHeadKnownFromOwnCommit: a chain of saves on one store reads the
// thread's head row once, and every commit by another store on the file
// (another connection, as another process would be) makes the next save
// read it again, so the compare-and-set and the count of a checkpoint's
// task writes stay exact: a save on a head the other store moved is
// refused, and writes the other store added are counted.
func TestHeadKnownFromOwnCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hot.db")
	a, b := openAt(t, path), openAt(t, path)
	now := time.Unix(1700000000, 0).UTC()
	cp := func(id, parent string, step int) state.Checkpoint {
		return state.Checkpoint{ThreadID: "t", ID: id, ParentID: parent, Step: step, Source: "loop", Delta: []byte(`{"n":1}`), CreatedAt: now}
	}
	w := func(task int, v string) state.TaskWrites {
		return state.TaskWrites{Task: task, Node: fmt.Sprint("n", task), Writes: []byte(v), CreatedAt: now}
	}
	if err := a.Put(ctx, cp("c1", "", 0)); err != nil {
		t.Fatal(err)
	}
	for i := 2; i <= 10; i++ {
		id, parent := fmt.Sprint("c", i), fmt.Sprint("c", i-1)
		if err := a.PutStep(ctx, parent, []state.TaskWrites{w(0, `{"i":1}`)}, cp(id, parent, i-1)); err != nil {
			t.Fatal(err)
		}
	}
	if n := a.HeadReads(); n != 1 {
		t.Fatalf("ten saves on one thread read its head %d times, want 1", n)
	}

	// b extends the thread: a's next save on c10 is stale.
	if err := b.Put(ctx, cp("b11", "c10", 10)); err != nil {
		t.Fatal(err)
	}
	err := a.PutStep(ctx, "c10", []state.TaskWrites{w(0, `{"i":2}`)}, cp("a11", "c10", 10))
	var se *state.StaleError
	if !errors.As(err, &se) || se.Latest != "b11" || se.Base != "c10" {
		t.Fatalf("save on a head another store moved = %v, want a StaleError naming b11", err)
	}
	if got, err := a.Writes(ctx, "t", "c10"); err != nil || len(got) != 0 {
		t.Fatalf("writes of c10 after the refused save = %+v, %v; want none", got, err)
	}

	// a extends b11 (reading the head again), then b adds writes of task
	// 1 against a's new head: a's step closing with task 0 counts both.
	if err := a.Put(ctx, cp("a12", "b11", 11)); err != nil {
		t.Fatal(err)
	}
	if err := b.PutWrites(ctx, "t", "a12", w(1, `{"from":"b"}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.PutStep(ctx, "a12", []state.TaskWrites{w(0, `{"from":"a"}`)}, cp("a13", "a12", 12)); err != nil {
		t.Fatal(err)
	}
	got, err := a.Writes(ctx, "t", "a12")
	if err != nil || len(got) != 2 || string(got[0].Writes) != `{"from":"a"}` || string(got[1].Writes) != `{"from":"b"}` {
		t.Fatalf("writes of a12 = %+v, %v; want task 0 from a and task 1 from b", got, err)
	}
	if got, err := b.Writes(ctx, "t", "a12"); err != nil || len(got) != 2 {
		t.Fatalf("the other store reads writes of a12 = %+v, %v; want 2", got, err)
	}

	// On a's own head: a running entry, the same task again, and a step
	// closing with it and a new task are counted as two tasks.
	running := w(0, "")
	running.Running = true
	for _, e := range []state.TaskWrites{running, w(0, `{"v":1}`)} {
		if err := a.PutWrites(ctx, "t", "a13", e); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.PutStep(ctx, "a13", []state.TaskWrites{w(0, `{"v":2}`), w(2, `{"v":3}`), w(2, `{"v":4}`)}, cp("a14", "a13", 13)); err != nil {
		t.Fatal(err)
	}
	got, err = a.Writes(ctx, "t", "a13")
	if err != nil || len(got) != 2 || got[0].Task != 0 || string(got[0].Writes) != `{"v":2}` || got[1].Task != 2 || string(got[1].Writes) != `{"v":4}` {
		t.Fatalf("writes of a13 = %+v, %v; want task 0 {v:2} and task 2 {v:4}", got, err)
	}
	reads := a.HeadReads()

	// A save that fails (writes against a checkpoint that does not exist)
	// rolls back and leaves nothing known: the next save reads the head.
	err = a.PutStep(ctx, "missing", []state.TaskWrites{w(0, `{}`)}, cp("a15", "a14", 14))
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("writes against a missing checkpoint = %v, want ErrNotFound", err)
	}
	if err := a.Put(ctx, cp("a15", "a14", 14)); err != nil {
		t.Fatal(err)
	}
	if n := a.HeadReads(); n != reads+1 {
		t.Fatalf("head reads after a failed save: %d, want %d", n, reads+1)
	}

	// The store's own delete: the thread starts again from nothing.
	if err := a.DeleteThread(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, cp("c1", "", 0)); err != nil {
		t.Fatalf("first checkpoint after deleting the thread: %v", err)
	}
	if h, err := b.Get(ctx, "t", ""); err != nil || h.ID != "c1" || h.Step != 0 {
		t.Fatalf("head after delete and save = %+v, %v; want c1", h, err)
	}
}

// TestHeadKnownInAnOlderFile: a file from before writes needed their
// checkpoint can hold writes of a checkpoint saved after them; a save on
// such a head after the migration counts them rather than assuming the
// new checkpoint has none.
func TestHeadKnownInAnOlderFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	writeSchema(t, path, oldSchema+`INSERT INTO writes (thread, cp, task, node, writes, created) VALUES ('t', 'c2', 0, 'a', '{"early":1}', 1);`).Close()
	s := openAt(t, path)
	now := time.Unix(1700000000, 0).UTC()
	c2 := state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop", Delta: []byte(`{}`), CreatedAt: now}
	if err := s.Put(ctx, c2); err != nil {
		t.Fatal(err)
	}
	c3 := state.Checkpoint{ThreadID: "t", ID: "c3", ParentID: "c2", Step: 2, Source: "loop", Delta: []byte(`{}`), CreatedAt: now}
	if err := s.PutStep(ctx, "c2", []state.TaskWrites{{Task: 1, Node: "b", Writes: []byte(`{"late":1}`), CreatedAt: now}}, c3); err != nil {
		t.Fatal(err)
	}
	got, err := s.Writes(ctx, "t", "c2")
	if err != nil || len(got) != 2 || string(got[0].Writes) != `{"early":1}` || string(got[1].Writes) != `{"late":1}` {
		t.Fatalf("writes of c2 = %+v, %v; want the older row and the new one", got, err)
	}
}
