package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
)

// TestPutStep checks PutStep's all-or-nothing save: on success the writes
// (the later entry of a task winning, nil and empty kept apart) and the
// checkpoint are there; on a stale base, an existing id or a missing
// parent nothing is.
func TestPutStep(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	now := time.Unix(1700000000, 5).UTC()
	c1 := state.Checkpoint{ThreadID: "t", ID: "c1", Step: 0, Source: "input", CreatedAt: now, Snapshot: []byte(`{"n":0}`), Next: []state.Task{{Node: "a"}, {Node: "b"}}}
	if err := s.Put(ctx, c1); err != nil {
		t.Fatal(err)
	}
	ws := []state.TaskWrites{
		{Task: 0, Node: "a", Writes: []byte(`{"n":1}`), CreatedAt: now},
		{Task: 1, Node: "b", Writes: []byte{}, Memos: []state.Memo{{Key: "k", Value: []byte(`"v"`)}}, CreatedAt: now},
		{Task: 0, Node: "a", Writes: []byte(`{"n":2}`), Interrupts: []state.Interrupt{{ID: "i", Node: "a", Payload: []byte(`"q"`)}}, CreatedAt: now},
	}
	c2 := state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop", CreatedAt: now, Next: []state.Task{{Node: "a"}}}
	if err := s.PutStep(ctx, "c1", ws, c2); err != nil {
		t.Fatal(err)
	}
	got, err := s.Writes(ctx, "t", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Task != 0 || string(got[0].Writes) != `{"n":2}` || len(got[0].Interrupts) != 1 || got[0].Interrupts[0].ID != "i" ||
		got[1].Task != 1 || got[1].Writes == nil || len(got[1].Writes) != 0 || len(got[1].Memos) != 1 || string(got[1].Memos[0].Value) != `"v"` {
		t.Fatalf("writes %+v", got)
	}
	latest, err := s.Get(ctx, "t", "")
	if err != nil || latest.ID != "c2" || latest.ParentID != "c1" || latest.Snapshot != nil || len(latest.Next) != 1 {
		t.Fatalf("latest %+v, %v", latest, err)
	}

	// Stale base: c3 builds on c1, the head is c2.
	before, _ := s.Writes(ctx, "t", "c2")
	s3 := state.Checkpoint{ThreadID: "t", ID: "c3", ParentID: "c1", Step: 1, Source: "loop", CreatedAt: now}
	err = s.PutStep(ctx, "c1", []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{"n":9}`)}}, s3)
	var se *state.StaleError
	if !errors.Is(err, state.ErrConflict) || !errors.As(err, &se) || se.Latest != "c2" || se.Base != "c1" {
		t.Fatalf("stale PutStep: %v", err)
	}
	if got, _ := s.Writes(ctx, "t", "c1"); string(got[0].Writes) != `{"n":2}` {
		t.Fatalf("a refused PutStep changed the writes: %+v", got)
	}
	if _, err := s.Get(ctx, "t", "c3"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a refused PutStep saved its checkpoint: %v", err)
	}
	// Existing id with the right base.
	dup := state.Checkpoint{ThreadID: "t", ID: "c1", ParentID: "c2", Step: 2, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "c2", []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{}`)}}, dup); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("PutStep of an existing id: %v", err)
	}
	if after, _ := s.Writes(ctx, "t", "c2"); len(after) != len(before) {
		t.Fatalf("a refused PutStep saved writes: %+v", after)
	}
	// Missing parent: nothing saved, the head unchanged.
	c4 := state.Checkpoint{ThreadID: "t", ID: "c4", ParentID: "nope", Base: "c2", Step: 2, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "nope", []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{}`)}}, c4); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("PutStep against a missing parent: %v", err)
	}
	if latest, _ := s.Get(ctx, "t", ""); latest.ID != "c2" {
		t.Fatalf("head %q after a failed PutStep", latest.ID)
	}
	// A running task's entry (no writes, nil) next to a finished one.
	c6 := state.Checkpoint{ThreadID: "t", ID: "c6", ParentID: "c2", Step: 2, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "c2", []state.TaskWrites{{Task: 1, Node: "b", Running: true, Memos: []state.Memo{{Key: "m", Value: []byte(`1`)}}}, {Task: 0, Node: "a", Writes: []byte(`{"n":3}`)}}, c6); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Writes(ctx, "t", "c2"); err != nil || len(got) != 2 || got[0].Task != 0 || string(got[0].Writes) != `{"n":3}` || got[1].Writes != nil || !got[1].Running || len(got[1].Memos) != 1 {
		t.Fatalf("writes of c2 %+v, %v", got, err)
	}
	// No writes is a Put.
	c5 := state.Checkpoint{ThreadID: "t", ID: "c5", ParentID: "c6", Step: 3, Source: "update", CreatedAt: now, Delta: []byte(`{}`)}
	if err := s.PutStep(ctx, "c6", nil, c5); err != nil {
		t.Fatal(err)
	}
	if latest, _ := s.Get(ctx, "t", ""); latest.ID != "c5" || !bytes.Equal(latest.Delta, []byte(`{}`)) {
		t.Fatalf("head %+v", latest)
	}
}

// TestPutStepConcurrent runs 16 writers saving steps on one thread from
// the same base: exactly one wins each round, the others get ErrConflict,
// and the thread holds exactly the winners' writes.
func TestPutStepConcurrent(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c000", Source: "input", Snapshot: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	head := "c000"
	for round := 1; round <= 20; round++ {
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cp := state.Checkpoint{ThreadID: "t", ID: fmt.Sprintf("c%03d-%02d", round, i), ParentID: head, Step: round, Source: "loop"}
				errs[i] = s.PutStep(ctx, head, []state.TaskWrites{{Task: 0, Node: "n", Writes: fmt.Appendf(nil, `{"w":%d}`, i)}}, cp)
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if winner >= 0 {
					t.Fatalf("round %d: writers %d and %d both saved", round, winner, i)
				}
				winner = i
			case !errors.Is(err, state.ErrConflict):
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody saved", round)
		}
		ws, err := s.Writes(ctx, "t", head)
		if err != nil || len(ws) != 1 || string(ws[0].Writes) != fmt.Sprintf(`{"w":%d}`, winner) {
			t.Fatalf("round %d: writes of %s %+v, %v (winner %d)", round, head, ws, err, winner)
		}
		head = fmt.Sprintf("c%03d-%02d", round, winner)
		if latest, err := s.Get(ctx, "t", ""); err != nil || latest.ID != head {
			t.Fatalf("round %d: head %q, %v; want %s", round, latest.ID, err, head)
		}
	}
}
