// Package statetest is the contract every state.Checkpointer must pass. A
// store's tests call Run with a function that opens an empty store.
package statetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
)

// Run runs the contract against stores made by open (each call must return
// an empty store).
func Run(t *testing.T, open func(t *testing.T) state.Checkpointer) {
	ctx := context.Background()
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	cp := func(thread, id, parent string, step int) state.Checkpoint {
		return state.Checkpoint{ThreadID: thread, ID: id, ParentID: parent, Step: step, Source: "loop", CreatedAt: at.Add(time.Duration(step) * time.Second)}
	}

	t.Run("RoundTrip", func(t *testing.T) {
		s := open(t)
		in := cp("t", "c1", "", 0)
		in.Source = "input"
		in.Snapshot = []byte(`{"A":1}`)
		in.Extra = []byte(`{"j":[1]}`)
		in.Next = []state.Task{{Node: "a"}, {Node: "b", Input: []byte(`{"B":2}`)}}
		if err := s.Put(ctx, in); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "t", "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != "c1" || got.ThreadID != "t" || got.Source != "input" || got.Step != 0 || !got.CreatedAt.Equal(in.CreatedAt) ||
			string(got.Snapshot) != `{"A":1}` || got.Delta != nil || string(got.Extra) != `{"j":[1]}` ||
			len(got.Next) != 2 || got.Next[0].Node != "a" || got.Next[0].Input != nil || got.Next[1].Node != "b" || string(got.Next[1].Input) != `{"B":2}` {
			t.Fatalf("round trip: got %+v", got)
		}
		d := cp("t", "c2", "c1", 1)
		d.Delta = []byte(`{"set":{}}`)
		if err := s.Put(ctx, d); err != nil {
			t.Fatal(err)
		}
		got, err = s.Get(ctx, "t", "c2")
		if err != nil || got.Snapshot != nil || string(got.Delta) != `{"set":{}}` || got.ParentID != "c1" || len(got.Next) != 0 {
			t.Fatalf("delta checkpoint: %+v %v", got, err)
		}
		// A zero time reads back as the zero time.
		z := cp("t", "c3", "c2", 2)
		z.CreatedAt = time.Time{}
		if err := s.Put(ctx, z); err != nil {
			t.Fatal(err)
		}
		if err := s.PutWrites(ctx, "t", "c3", state.TaskWrites{Task: 0, Node: "a"}); err != nil {
			t.Fatal(err)
		}
		got, err = s.Get(ctx, "t", "c3")
		if err != nil || !got.CreatedAt.IsZero() {
			t.Fatalf("checkpoint with a zero time: created %v, %v", got.CreatedAt, err)
		}
		ws, err := s.Writes(ctx, "t", "c3")
		if err != nil || len(ws) != 1 || !ws[0].CreatedAt.IsZero() {
			t.Fatalf("writes with a zero time: %+v, %v", ws, err)
		}
	})

	t.Run("LatestAndNotFound", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "none", ""); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("missing thread: %v", err)
		}
		parent := ""
		for i, id := range []string{"z", "a", "m"} { // ids do not sort in creation order
			if err := s.Put(ctx, cp("t", id, parent, i)); err != nil {
				t.Fatal(err)
			}
			parent = id
		}
		got, err := s.Get(ctx, "t", "")
		if err != nil || got.ID != "m" {
			t.Fatalf("latest = %q, %v; want the last created, m", got.ID, err)
		}
		if _, err := s.Get(ctx, "t", "nope"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("missing checkpoint: %v", err)
		}
		if _, err := s.Get(ctx, "other", "m"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("threads must be separate: %v", err)
		}
	})

	t.Run("ConflictOnStaleBase", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, cp("t", "c1", "", 0)); err != nil {
			t.Fatal(err)
		}
		// A second first checkpoint of the same thread (two runs that both
		// saw no checkpoint) is refused.
		err := s.Put(ctx, cp("t", "other", "", 0))
		var se *state.StaleError
		if !errors.Is(err, state.ErrConflict) || !errors.As(err, &se) || se.ThreadID != "t" || se.CheckpointID != "other" || se.Base != "" || se.Latest != "c1" {
			t.Fatalf("second first checkpoint: %v (%+v)", err, se)
		}
		if err := s.Put(ctx, cp("t", "c2", "c1", 1)); err != nil {
			t.Fatal(err)
		}
		// Two runs built on c1; the one that saves second loses.
		err = s.Put(ctx, cp("t", "c2b", "c1", 1))
		if !errors.As(err, &se) || se.Base != "c1" || se.Latest != "c2" {
			t.Fatalf("stale parent: %v", err)
		}
		// Saving an existing id again is refused too, and leaves it as it was.
		again := cp("t", "c2", "c2", 2)
		again.Snapshot = []byte("new")
		if err := s.Put(ctx, again); !errors.Is(err, state.ErrConflict) {
			t.Fatalf("replace an existing checkpoint: %v", err)
		}
		got, _ := s.Get(ctx, "t", "c2")
		if got.Snapshot != nil || got.ParentID != "c1" {
			t.Fatalf("refused put changed c2: %+v", got)
		}
		// A fork from an older checkpoint names the latest as its Base.
		fork := cp("t", "f1", "c1", 1)
		fork.Source = "fork"
		fork.Base = "c1"
		if err := s.Put(ctx, fork); !errors.Is(err, state.ErrConflict) {
			t.Fatalf("fork with a stale base: %v", err)
		}
		fork.Base = "c2"
		if err := s.Put(ctx, fork); err != nil {
			t.Fatalf("fork on the latest: %v", err)
		}
		got, err = s.Get(ctx, "t", "")
		if err != nil || got.ID != "f1" || got.ParentID != "c1" {
			t.Fatalf("latest after the fork = %+v, %v", got, err)
		}
		all, _ := s.List(ctx, "t", state.ListOptions{})
		if len(all) != 3 {
			t.Fatalf("refused puts were saved: %d checkpoints", len(all))
		}
		// Other threads are independent.
		if err := s.Put(ctx, cp("u", "c1", "", 0)); err != nil {
			t.Fatalf("same id on another thread: %v", err)
		}
	})

	t.Run("ConcurrentPutsOneWins", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, cp("t", "root", "", 0)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.Put(ctx, cp("t", fmt.Sprintf("n%d", i), "root", 1))
			}()
		}
		wg.Wait()
		close(errs)
		won := 0
		for err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, state.ErrConflict):
				t.Fatalf("unexpected error: %v", err)
			}
		}
		all, _ := s.List(ctx, "t", state.ListOptions{})
		if won != 1 || len(all) != 2 {
			t.Fatalf("%d puts on one base won and %d checkpoints were saved; want exactly 1 and 2", won, len(all))
		}
	})

	t.Run("DeleteThread", func(t *testing.T) {
		s := open(t)
		for _, th := range []string{"t", "keep"} {
			if err := s.Put(ctx, cp(th, "c1", "", 0)); err != nil {
				t.Fatal(err)
			}
			if err := s.Put(ctx, cp(th, "c2", "c1", 1)); err != nil {
				t.Fatal(err)
			}
			if err := s.PutWrites(ctx, th, "c2", state.TaskWrites{Task: 0, Node: "a", Writes: []byte("w")}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteThread(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "t", ""); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("deleted thread still has a latest checkpoint: %v", err)
		}
		if _, err := s.Get(ctx, "t", "c1"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("deleted thread still has c1: %v", err)
		}
		if l, err := s.List(ctx, "t", state.ListOptions{}); err != nil || len(l) != 0 {
			t.Fatalf("deleted thread lists %d checkpoints, %v", len(l), err)
		}
		if ws, err := s.Writes(ctx, "t", "c2"); err != nil || len(ws) != 0 {
			t.Fatalf("deleted thread still has writes: %v %v", ws, err)
		}
		// The other thread is untouched.
		if got, err := s.Get(ctx, "keep", ""); err != nil || got.ID != "c2" {
			t.Fatalf("other thread: %+v %v", got, err)
		}
		if ws, err := s.Writes(ctx, "keep", "c2"); err != nil || len(ws) != 1 || string(ws[0].Writes) != "w" {
			t.Fatalf("other thread's writes: %v %v", ws, err)
		}
		// Deleting again, or a thread that never existed, is not an error;
		// the thread can start afresh.
		if err := s.DeleteThread(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteThread(ctx, "never"); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, cp("t", "c1", "", 0)); err != nil {
			t.Fatalf("new first checkpoint after delete: %v", err)
		}
		// So does the thread saved to last, deleted right after its save.
		if err := s.Put(ctx, cp("t", "c2", "c1", 1)); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteThread(ctx, "t"); err != nil {
			t.Fatal(err)
		}
		if err := s.PutWrites(ctx, "t", "c2", state.TaskWrites{Task: 0, Node: "a", Writes: []byte("w")}); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("writes for a deleted thread's checkpoint: %v, want ErrNotFound", err)
		}
		if err := s.Put(ctx, cp("t", "c1", "", 0)); err != nil {
			t.Fatalf("new first checkpoint after deleting the thread saved to last: %v", err)
		}
		if l, err := s.List(ctx, "t", state.ListOptions{}); err != nil || len(l) != 1 || l[0].ID != "c1" {
			t.Fatalf("thread started afresh lists %v, %v; want c1 alone", l, err)
		}
	})

	t.Run("List", func(t *testing.T) {
		s := open(t)
		for i := range 5 {
			parent := ""
			if i > 0 {
				parent = fmt.Sprintf("c%d", i-1)
			}
			if err := s.Put(ctx, cp("t", fmt.Sprintf("c%d", i), parent, i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Put(ctx, cp("u", "x", "", 0)); err != nil {
			t.Fatal(err)
		}
		ids := func(cps []state.Checkpoint) []string {
			var out []string
			for _, c := range cps {
				out = append(out, c.ID)
			}
			return out
		}
		all, err := s.List(ctx, "t", state.ListOptions{})
		if err != nil || !slices.Equal(ids(all), []string{"c4", "c3", "c2", "c1", "c0"}) {
			t.Fatalf("list = %v, %v", ids(all), err)
		}
		two, _ := s.List(ctx, "t", state.ListOptions{Limit: 2})
		if !slices.Equal(ids(two), []string{"c4", "c3"}) {
			t.Fatalf("limit = %v", ids(two))
		}
		before, _ := s.List(ctx, "t", state.ListOptions{Before: "c3", Limit: 2})
		if !slices.Equal(ids(before), []string{"c2", "c1"}) {
			t.Fatalf("before = %v", ids(before))
		}
		if _, err := s.List(ctx, "t", state.ListOptions{Before: "nope"}); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("before unknown: %v", err)
		}
		if _, err := s.List(ctx, "empty", state.ListOptions{Before: "c3"}); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("before a checkpoint of another thread: %v", err)
		}
		none, err := s.List(ctx, "empty", state.ListOptions{})
		if err != nil || len(none) != 0 {
			t.Fatalf("empty thread: %v %v", none, err)
		}
	})

	t.Run("Writes", func(t *testing.T) {
		s := open(t)
		if err := s.PutWrites(ctx, "t", "c1", state.TaskWrites{Task: 0, Node: "a"}); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("writes before checkpoint: %v", err)
		}
		if err := s.Put(ctx, cp("t", "c1", "", 0)); err != nil {
			t.Fatal(err)
		}
		w1 := state.TaskWrites{Task: 1, Node: "b", Writes: []byte(`{"set":{"A":1}}`), CreatedAt: at}
		w0 := state.TaskWrites{Task: 0, Node: "a", Interrupts: []state.Interrupt{{ID: "i1", Node: "a", Payload: []byte(`"ok?"`)}}, Resumed: []state.Interrupt{{ID: "i0", Node: "a", Payload: []byte(`true`)}}, CreatedAt: at}
		if err := s.PutWrites(ctx, "t", "c1", w1); err != nil {
			t.Fatal(err)
		}
		if err := s.PutWrites(ctx, "t", "c1", w0); err != nil {
			t.Fatal(err)
		}
		ws, err := s.Writes(ctx, "t", "c1")
		if err != nil || len(ws) != 2 {
			t.Fatalf("writes = %+v, %v", ws, err)
		}
		if ws[0].Task != 0 || ws[0].Node != "a" || ws[0].Writes != nil || len(ws[0].Interrupts) != 1 || ws[0].Interrupts[0].ID != "i1" || string(ws[0].Interrupts[0].Payload) != `"ok?"` ||
			len(ws[0].Resumed) != 1 || string(ws[0].Resumed[0].Payload) != "true" || !ws[0].CreatedAt.Equal(at) {
			t.Fatalf("task 0 = %+v", ws[0])
		}
		if ws[1].Task != 1 || string(ws[1].Writes) != `{"set":{"A":1}}` || len(ws[1].Interrupts) != 0 {
			t.Fatalf("task 1 = %+v", ws[1])
		}
		// Replacing a task's entry (an interrupted task that later finished).
		w0b := state.TaskWrites{Task: 0, Node: "a", Writes: []byte(`{}`), CreatedAt: at}
		if err := s.PutWrites(ctx, "t", "c1", w0b); err != nil {
			t.Fatal(err)
		}
		ws, _ = s.Writes(ctx, "t", "c1")
		if len(ws) != 2 || string(ws[0].Writes) != `{}` || len(ws[0].Interrupts) != 0 {
			t.Fatalf("after replace: %+v", ws)
		}
		// A running task's entry with the results of its side effects, then
		// its final entry.
		run := state.TaskWrites{Task: 1, Node: "b", Running: true, Memos: []state.Memo{{Key: "b@0.1/charge", Value: []byte(`{"id":7}`)}, {Key: "b@0.1/mail", Value: []byte(`"sent"`)}}, Resumed: []state.Interrupt{{ID: "i0", Node: "b", Payload: []byte(`1`)}}, CreatedAt: at}
		if err := s.PutWrites(ctx, "t", "c1", run); err != nil {
			t.Fatal(err)
		}
		ws, _ = s.Writes(ctx, "t", "c1")
		if len(ws) != 2 || !ws[1].Running || ws[1].Writes != nil || len(ws[1].Interrupts) != 0 || len(ws[1].Memos) != 2 ||
			ws[1].Memos[0].Key != "b@0.1/charge" || string(ws[1].Memos[0].Value) != `{"id":7}` || ws[1].Memos[1].Key != "b@0.1/mail" || string(ws[1].Memos[1].Value) != `"sent"` ||
			len(ws[1].Resumed) != 1 || string(ws[1].Resumed[0].Payload) != "1" || ws[0].Running || len(ws[0].Memos) != 0 {
			t.Fatalf("running entry: %+v", ws)
		}
		done := state.TaskWrites{Task: 1, Node: "b", Writes: []byte(`{"set":{"A":2}}`), Memos: run.Memos[:1], CreatedAt: at}
		if err := s.PutWrites(ctx, "t", "c1", done); err != nil {
			t.Fatal(err)
		}
		ws, _ = s.Writes(ctx, "t", "c1")
		if len(ws) != 2 || ws[1].Running || string(ws[1].Writes) != `{"set":{"A":2}}` || len(ws[1].Memos) != 1 || len(ws[1].Resumed) != 0 {
			t.Fatalf("finished entry after running one: %+v", ws[1])
		}
		other, err := s.Writes(ctx, "t", "c2")
		if err != nil || len(other) != 0 {
			t.Fatalf("writes of unknown checkpoint: %v %v", other, err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, cp("t", "c", "", 0)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.PutWrites(ctx, "t", "c", state.TaskWrites{Task: i, Node: fmt.Sprint(i), Writes: []byte(fmt.Sprint(i))})
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		ws, err := s.Writes(ctx, "t", "c")
		if err != nil || len(ws) != 16 {
			t.Fatalf("got %d writes, %v", len(ws), err)
		}
		for i, w := range ws {
			if w.Task != i || string(w.Writes) != fmt.Sprint(i) {
				t.Fatalf("write %d = %+v", i, w)
			}
		}
	})

	t.Run("TextExactOrRefused", func(t *testing.T) {
		// Strings that are not valid UTF-8 are either stored exactly or
		// refused with an error; never changed on the way.
		s := open(t)
		bad := "k\xffey"
		if err := s.Put(ctx, cp("t", "c1", "", 0)); err != nil {
			t.Fatal(err)
		}
		w := state.TaskWrites{Task: 0, Node: "a", Running: true, Memos: []state.Memo{{Key: bad, Value: []byte("1")}}, Interrupts: nil, Resumed: []state.Interrupt{{ID: bad, Node: "a"}}}
		if err := s.PutWrites(ctx, "t", "c1", w); err == nil {
			ws, err := s.Writes(ctx, "t", "c1")
			if err != nil || len(ws) != 1 || len(ws[0].Memos) != 1 || ws[0].Memos[0].Key != bad || len(ws[0].Resumed) != 1 || ws[0].Resumed[0].ID != bad {
				t.Fatalf("memo key / interrupt id with invalid UTF-8 changed: %+v, %v", ws, err)
			}
		}
		next := cp("t", "c2", "c1", 1)
		next.Next = []state.Task{{Node: bad}}
		if err := s.Put(ctx, next); err == nil {
			got, err := s.Get(ctx, "t", "c2")
			if err != nil || len(got.Next) != 1 || got.Next[0].Node != bad {
				t.Fatalf("task node with invalid UTF-8 changed: %+v, %v", got.Next, err)
			}
		}
		if err := s.Put(ctx, cp(bad, "c1", "", 0)); err == nil {
			got, err := s.Get(ctx, bad, "")
			if err != nil || got.ThreadID != bad || got.ID != "c1" {
				t.Fatalf("thread id with invalid UTF-8: %+v, %v", got, err)
			}
		}
	})

	t.Run("ReadsDuringWrites", func(t *testing.T) {
		// Readers of a thread that another goroutine keeps extending, and
		// of a checkpoint whose tasks keep saving, see a consistent store:
		// no error, the latest only moves forward, lists stay chains.
		s := open(t)
		if err := s.Put(ctx, cp("t", "c0", "", 0)); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= 60; i++ {
				id, parent := fmt.Sprintf("c%d", i), fmt.Sprintf("c%d", i-1)
				if err := s.Put(ctx, cp("t", id, parent, i)); err != nil {
					errs <- err
					return
				}
				for task := range 3 {
					if err := s.PutWrites(ctx, "t", id, state.TaskWrites{Task: task, Node: "n", Writes: []byte("w")}); err != nil {
						errs <- err
						return
					}
				}
			}
			close(stop)
		}()
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				last := -1
				for {
					select {
					case <-stop:
						return
					default:
					}
					got, err := s.Get(ctx, "t", "")
					if err != nil {
						errs <- fmt.Errorf("latest: %w", err)
						return
					}
					if got.Step < last {
						errs <- fmt.Errorf("latest went back from step %d to %d", last, got.Step)
						return
					}
					last = got.Step
					l, err := s.List(ctx, "t", state.ListOptions{Limit: 5})
					if err != nil {
						errs <- fmt.Errorf("list: %w", err)
						return
					}
					for i := 0; i+1 < len(l); i++ {
						if l[i].ParentID != l[i+1].ID {
							errs <- fmt.Errorf("list is not a chain: %s after %s", l[i+1].ID, l[i].ID)
							return
						}
					}
					if _, err := s.Writes(ctx, "t", got.ID); err != nil {
						errs <- fmt.Errorf("writes: %w", err)
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})

	t.Run("CallerBuffersNotRetained", func(t *testing.T) {
		s := open(t)
		c := cp("t", "c", "", 0)
		c.Snapshot = []byte("abc")
		if err := s.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
		c.Snapshot[0] = 'X'
		got, _ := s.Get(ctx, "t", "c")
		if string(got.Snapshot) != "abc" {
			t.Fatalf("store kept the caller's buffer: %q", got.Snapshot)
		}
		// The graph reuses its Next, Extra and writes buffers step to step.
		c2 := cp("t", "c2", "c", 1)
		next := []state.Task{{Node: "n1", Input: []byte(`{"A":1}`)}, {Node: "n2"}}
		c2.Next, c2.Extra = next, []byte(`{"s":1}`)
		if err := s.Put(ctx, c2); err != nil {
			t.Fatal(err)
		}
		w := state.TaskWrites{Task: 0, Node: "n1", Writes: []byte(`{"set":{"A":2}}`), CreatedAt: at}
		if err := s.PutWrites(ctx, "t", "c2", w); err != nil {
			t.Fatal(err)
		}
		next[0] = state.Task{Node: "XX", Input: []byte(`{"A":9}`)}
		next[1].Node = "YY"
		c2.Extra[2], w.Writes[2] = 'X', 'X'
		got, _ = s.Get(ctx, "t", "c2")
		if len(got.Next) != 2 || got.Next[0].Node != "n1" || string(got.Next[0].Input) != `{"A":1}` || got.Next[1].Node != "n2" || string(got.Extra) != `{"s":1}` {
			t.Fatalf("store kept the caller's Next or Extra: %+v", got)
		}
		ws, _ := s.Writes(ctx, "t", "c2")
		if len(ws) != 1 || string(ws[0].Writes) != `{"set":{"A":2}}` {
			t.Fatalf("store kept the caller's writes buffer: %+v", ws)
		}
	})

	t.Run("StepSaver", func(t *testing.T) {
		s := open(t)
		ss, ok := s.(state.StepSaver)
		if !ok {
			t.Skipf("%T does not implement state.StepSaver", s)
		}
		if err := s.Put(ctx, cp("t", "c1", "", 0)); err != nil {
			t.Fatal(err)
		}
		if err := s.PutWrites(ctx, "t", "c1", state.TaskWrites{Task: 1, Node: "b", Running: true, Memos: []state.Memo{{Key: "k", Value: []byte(`1`)}}, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		buf := []byte(`{"set":{"A":2}}`)
		ws := []state.TaskWrites{
			{Task: 1, Node: "b", Writes: buf, CreatedAt: at},
			{Task: 0, Node: "a", Writes: []byte(`{}`), CreatedAt: at},
		}
		c2 := cp("t", "c2", "c1", 1)
		c2.Next = []state.Task{{Node: "c", Input: []byte(`{"A":3}`)}}
		c2.Extra = []byte(`{"s":4}`)
		if err := ss.PutStep(ctx, "c1", ws, c2); err != nil {
			t.Fatal(err)
		}
		buf[0], c2.Next[0].Input[0] = 'X', 'X'
		got, err := s.Get(ctx, "t", "")
		if err != nil || got.ID != "c2" || got.ParentID != "c1" || got.Step != 1 || len(got.Next) != 1 || got.Next[0].Node != "c" || string(got.Next[0].Input) != `{"A":3}` || string(got.Extra) != `{"s":4}` {
			t.Fatalf("latest after PutStep = %+v, %v", got, err)
		}
		saved, err := s.Writes(ctx, "t", "c1")
		if err != nil || len(saved) != 2 || saved[0].Task != 0 || string(saved[0].Writes) != `{}` ||
			saved[1].Task != 1 || saved[1].Running || string(saved[1].Writes) != `{"set":{"A":2}}` || len(saved[1].Memos) != 0 {
			t.Fatalf("writes after PutStep = %+v, %v", saved, err)
		}
		// A step that does not build on the latest checkpoint saves nothing,
		// not even its writes.
		stale := cp("t", "c3", "c1", 2)
		err = ss.PutStep(ctx, "c1", []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{"set":{"A":9}}`), CreatedAt: at}}, stale)
		if !errors.Is(err, state.ErrConflict) {
			t.Fatalf("stale PutStep: %v, want ErrConflict", err)
		}
		saved, _ = s.Writes(ctx, "t", "c1")
		if len(saved) != 2 || string(saved[0].Writes) != `{}` {
			t.Fatalf("a refused PutStep changed the writes: %+v", saved)
		}
		if _, err := s.Get(ctx, "t", "c3"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("refused checkpoint readable: %v", err)
		}
		// An existing id is refused too.
		again := cp("t", "c2", "c2", 3)
		if err := ss.PutStep(ctx, "c2", nil, again); !errors.Is(err, state.ErrConflict) {
			t.Fatalf("PutStep with an existing id: %v, want ErrConflict", err)
		}
		// No writes: a plain Put.
		if err := ss.PutStep(ctx, "c2", nil, cp("t", "c4", "c2", 2)); err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(ctx, "t", ""); err != nil || got.ID != "c4" {
			t.Fatalf("latest = %+v, %v", got, err)
		}
	})

	t.Run("BatchSaver", func(t *testing.T) {
		s := open(t)
		bs, ok := s.(state.BatchSaver)
		if !ok {
			t.Skipf("%T does not implement state.BatchSaver", s)
		}
		if n, err := bs.SaveBatch(ctx, nil); n != 0 || err != nil {
			t.Fatalf("empty batch: %d, %v", n, err)
		}
		w := func(task int, node, writes string) state.TaskWrites {
			return state.TaskWrites{Task: task, Node: node, Writes: []byte(writes), CreatedAt: at}
		}
		buf := []byte(`{"set":{"A":1}}`)
		c2 := cp("t", "c2", "c1", 1)
		c2.Next = []state.Task{{Node: "b", Input: []byte(`{"B":1}`)}}
		// Each op builds on the ones before it in the same batch: c2 on c1,
		// writes against checkpoints the batch saved, a later entry for a
		// task replacing an earlier one.
		ops := []state.BatchOp{
			{Kind: state.OpPut, Checkpoint: cp("t", "c1", "", 0)},
			{Kind: state.OpPutWrites, ThreadID: "t", CheckpointID: "c1", Writes: []state.TaskWrites{w(1, "b", `{"run":1}`)}},
			{Kind: state.OpPut, Checkpoint: cp("u", "u1", "", 0)},
			{Kind: state.OpPutStep, CheckpointID: "c1", Writes: []state.TaskWrites{{Task: 0, Node: "a", Writes: buf, CreatedAt: at}, w(1, "b", `{"run":2}`)}, Checkpoint: c2},
			{Kind: state.OpPutWrites, ThreadID: "t", CheckpointID: "c2", Writes: []state.TaskWrites{w(0, "b", `{"x":1}`), w(0, "b", `{"x":2}`)}},
			{Kind: state.OpPutStep, CheckpointID: "c2", Checkpoint: cp("t", "c3", "c2", 2)},
		}
		n, err := bs.SaveBatch(ctx, ops)
		if n != len(ops) || err != nil {
			t.Fatalf("SaveBatch = %d, %v; want %d, nil", n, err, len(ops))
		}
		buf[0], c2.Next[0].Input[0] = 'X', 'X'
		list, err := s.List(ctx, "t", state.ListOptions{})
		if err != nil || len(list) != 3 || list[0].ID != "c3" || list[1].ID != "c2" || list[2].ID != "c1" {
			t.Fatalf("history after the batch: %+v, %v", list, err)
		}
		if string(list[1].Next[0].Input) != `{"B":1}` {
			t.Fatalf("store kept the caller's buffer: %+v", list[1].Next)
		}
		if got, err := s.Get(ctx, "u", ""); err != nil || got.ID != "u1" {
			t.Fatalf("other thread: %+v, %v", got, err)
		}
		ws, err := s.Writes(ctx, "t", "c1")
		if err != nil || len(ws) != 2 || ws[0].Task != 0 || string(ws[0].Writes) != `{"set":{"A":1}}` || ws[1].Task != 1 || string(ws[1].Writes) != `{"run":2}` {
			t.Fatalf("writes of c1: %+v, %v", ws, err)
		}
		ws, err = s.Writes(ctx, "t", "c2")
		if err != nil || len(ws) != 1 || string(ws[0].Writes) != `{"x":2}` {
			t.Fatalf("writes of c2: %+v, %v", ws, err)
		}

		// A failure in the middle: the ops before it are saved, it and the
		// ones after it are not, and its error is the one its own call
		// gives.
		ops = []state.BatchOp{
			{Kind: state.OpPutWrites, ThreadID: "t", CheckpointID: "c3", Writes: []state.TaskWrites{w(0, "a", `{"y":1}`)}},
			{Kind: state.OpPut, Checkpoint: cp("t", "c4", "c3", 3)},
			{Kind: state.OpPut, Checkpoint: cp("t", "stale", "c3", 3)},
			{Kind: state.OpPutWrites, ThreadID: "t", CheckpointID: "c4", Writes: []state.TaskWrites{w(0, "a", `{"z":1}`)}},
			{Kind: state.OpPut, Checkpoint: cp("t", "c5", "c4", 4)},
		}
		n, err = bs.SaveBatch(ctx, ops)
		var se *state.StaleError
		if n != 2 || !errors.Is(err, state.ErrConflict) || !errors.As(err, &se) || se.CheckpointID != "stale" || se.Latest != "c4" {
			t.Fatalf("batch with a stale op = %d, %v; want 2 and the stale op's conflict", n, err)
		}
		if got, err := s.Get(ctx, "t", ""); err != nil || got.ID != "c4" {
			t.Fatalf("latest after a failed batch = %+v, %v; want c4", got, err)
		}
		if ws, err := s.Writes(ctx, "t", "c3"); err != nil || len(ws) != 1 || string(ws[0].Writes) != `{"y":1}` {
			t.Fatalf("writes before the failure: %+v, %v", ws, err)
		}
		if ws, err := s.Writes(ctx, "t", "c4"); err != nil || len(ws) != 0 {
			t.Fatalf("writes after the failure were saved: %+v, %v", ws, err)
		}
		for _, id := range []string{"stale", "c5"} {
			if _, err := s.Get(ctx, "t", id); !errors.Is(err, state.ErrNotFound) {
				t.Fatalf("checkpoint %s of a failed batch readable: %v", id, err)
			}
		}

		// A PutStep whose writes name a missing checkpoint saves nothing of
		// itself: not its checkpoint either.
		ops = []state.BatchOp{
			{Kind: state.OpPut, Checkpoint: cp("v", "v1", "", 0)},
			{Kind: state.OpPutStep, CheckpointID: "missing", Writes: []state.TaskWrites{w(0, "a", `{}`)}, Checkpoint: cp("v", "v2", "v1", 1)},
		}
		n, err = bs.SaveBatch(ctx, ops)
		if n != 1 || !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("batch with writes for a missing checkpoint = %d, %v; want 1, ErrNotFound", n, err)
		}
		if got, err := s.Get(ctx, "v", ""); err != nil || got.ID != "v1" {
			t.Fatalf("latest of v = %+v, %v; want v1", got, err)
		}
		// An existing id is refused, and a first op's failure saves nothing.
		n, err = bs.SaveBatch(ctx, []state.BatchOp{
			{Kind: state.OpPut, Checkpoint: cp("v", "v1", "v1", 1)},
			{Kind: state.OpPut, Checkpoint: cp("v", "v3", "v1", 1)},
		})
		if n != 0 || !errors.Is(err, state.ErrConflict) {
			t.Fatalf("batch with an existing id = %d, %v; want 0, ErrConflict", n, err)
		}
		if _, err := s.Get(ctx, "v", "v3"); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("op after the failed first op saved: %v", err)
		}
		// What a batch saved is what the same calls one by one save.
		if got, err := s.Get(ctx, "t", "c2"); err != nil || got.ParentID != "c1" || got.Step != 1 || got.Source != "loop" || !got.CreatedAt.Equal(at.Add(time.Second)) {
			t.Fatalf("checkpoint saved by a batch: %+v, %v", got, err)
		}
	})
}
