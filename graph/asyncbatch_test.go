package graph_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// batchStore records the batches the background writer hands it. Its
// first batch closes started and waits until gate is closed, so the saves
// queued meanwhile reach it together; failStep, when set, makes the Put of
// the checkpoint of that step refused in the middle of its batch.
type batchStore struct {
	*state.Memory
	started, gate chan struct{}
	failStep      int

	mu      sync.Mutex
	batches [][]state.BatchOp
	calls   int // calls other than SaveBatch
}

func (s *batchStore) SaveBatch(ctx context.Context, ops []state.BatchOp) (int, error) {
	s.mu.Lock()
	first := len(s.batches) == 0
	s.batches = append(s.batches, append([]state.BatchOp(nil), ops...))
	s.mu.Unlock()
	if first && s.gate != nil {
		close(s.started)
		<-s.gate
	}
	if s.failStep > 0 {
		ops = append([]state.BatchOp(nil), ops...)
		for i := range ops {
			if ops[i].Kind == state.OpPut && ops[i].Checkpoint.Step == s.failStep {
				// Built on a checkpoint that is not the thread's latest.
				ops[i].Checkpoint.Base = "elsewhere"
			}
		}
	}
	return state.SaveBatch(ctx, s.Memory, ops)
}

func (s *batchStore) Put(ctx context.Context, cp state.Checkpoint) error {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	return s.Memory.Put(ctx, cp)
}

func (s *batchStore) PutWrites(ctx context.Context, thread, id string, w state.TaskWrites) error {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	return s.Memory.PutWrites(ctx, thread, id, w)
}

func (s *batchStore) PutStep(ctx context.Context, parent string, ws []state.TaskWrites, cp state.Checkpoint) error {
	s.mu.Lock()
	s.calls++
	s.mu.Unlock()
	return s.Memory.PutStep(ctx, parent, ws, cp)
}

// loopGraph counts to steps, one step at a time. With a batchStore, its
// first step waits until the store's first batch started (so that batch
// holds only the input checkpoint), and step at opens the store's gate.
func loopGraph(t *testing.T, store state.Checkpointer, mode graph.Durability, steps, at int) *graph.Compiled[U] {
	bs, _ := store.(*batchStore)
	g := graph.New[U]()
	g.AddNode("count", func(_ context.Context, s U) (U, error) {
		n := len(s.Log) + 1
		s.Count++
		s.Log = append(s.Log, fmt.Sprint("step", n))
		if bs != nil && bs.gate != nil {
			switch n {
			case 1:
				select {
				case <-bs.started:
				case <-time.After(10 * time.Second):
					return s, errors.New("the store's SaveBatch was never called")
				}
			case at:
				close(bs.gate)
			}
		}
		return s, nil
	})
	g.AddEdge(graph.START, "count")
	g.AddConditionalEdge("count", func(s U) string {
		if s.Count < steps {
			return "count"
		}
		return graph.END
	}, "count", graph.END)
	return mustCompile(t, g, graph.WithCheckpointer(store), graph.WithDurability(mode))
}

// Under DurabilityAsync the background writer saves everything queued
// while it was busy as one batch, in queue order, and the thread's history
// is the one a sync run saves.
func TestAsyncSavesCoalesce(t *testing.T) {
	ctx := context.Background()
	const steps = 12
	store := &batchStore{Memory: state.NewMemory(), started: make(chan struct{}), gate: make(chan struct{})}
	out, err := loopGraph(t, store, graph.DurabilityAsync, steps, 8).Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil || out.Count != steps || len(out.Log) != steps {
		t.Fatalf("async run: %+v, %v", out, err)
	}
	if store.calls != 0 {
		t.Fatalf("%d saves bypassed SaveBatch", store.calls)
	}
	// The first batch held the input checkpoint; the saves of the steps
	// that ran while it waited came together in the next one: at least
	// the writes and checkpoints of the 7 steps done before step 8 opened
	// the gate (step 8's own may come in time or not).
	if len(store.batches) < 2 || len(store.batches[0]) != 1 || len(store.batches[1]) < 2*(8-1) {
		sizes := []int{}
		for _, b := range store.batches {
			sizes = append(sizes, len(b))
		}
		t.Fatalf("batch sizes %v: want 1, then at least %d", sizes, 2*(8-1))
	}
	// In queue order: the input checkpoint, then each step's task writes
	// against its checkpoint and the next checkpoint.
	var ops []state.BatchOp
	for _, b := range store.batches {
		ops = append(ops, b...)
	}
	if len(ops) != 1+2*steps {
		t.Fatalf("%d ops saved, want %d", len(ops), 1+2*steps)
	}
	if ops[0].Kind != state.OpPut || ops[0].Checkpoint.Source != "input" {
		t.Fatalf("first op %v %s", ops[0].Kind, ops[0].Checkpoint.Source)
	}
	prev := ops[0].Checkpoint.ID
	for i := 1; i < len(ops); i += 2 {
		w, p := ops[i], ops[i+1]
		if w.Kind != state.OpPutWrites || w.CheckpointID != prev || len(w.Writes) != 1 || w.Writes[0].Node != "count" ||
			p.Kind != state.OpPut || p.Checkpoint.ParentID != prev || p.Checkpoint.Step != (i+1)/2 {
			t.Fatalf("ops %d, %d out of order: %v on %s, %v step %d on %s (want on %s)", i, i+1, w.Kind, w.CheckpointID, p.Kind, p.Checkpoint.Step, p.Checkpoint.ParentID, prev)
		}
		prev = p.Checkpoint.ID
	}

	syncStore := state.NewMemory()
	sout, err := loopGraph(t, syncStore, graph.DurabilitySync, steps, 0).Invoke(ctx, U{}, graph.Thread("t"))
	if err != nil || fmt.Sprint(sout) != fmt.Sprint(out) {
		t.Fatalf("sync run: %+v, %v; async %+v", sout, err, out)
	}
	sameHistory(t, syncStore, store.Memory, "t")
}

// sameHistory checks that two stores hold the same history of thread, but
// for the checkpoint ids and times.
func sameHistory(t *testing.T, want, got state.Checkpointer, thread string) {
	t.Helper()
	ctx := context.Background()
	wl, err := want.List(ctx, thread, state.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gl, err := got.List(ctx, thread, state.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(wl) != len(gl) {
		t.Fatalf("%d checkpoints, want %d", len(gl), len(wl))
	}
	for i := range wl {
		w, g := wl[i], gl[i]
		if w.Step != g.Step || w.Source != g.Source || !bytes.Equal(w.Snapshot, g.Snapshot) || !bytes.Equal(w.Delta, g.Delta) ||
			!bytes.Equal(w.Extra, g.Extra) || fmt.Sprint(w.Next) != fmt.Sprint(g.Next) || (w.ParentID == "") != (g.ParentID == "") {
			t.Fatalf("checkpoint %d: %+v, want %+v", i, g, w)
		}
		if i+1 < len(gl) && g.ParentID != gl[i+1].ID {
			t.Fatalf("checkpoint %d's parent %s is not the one before it (%s)", i, g.ParentID, gl[i+1].ID)
		}
		ww, err := want.Writes(ctx, thread, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		gw, err := got.Writes(ctx, thread, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ww) != len(gw) {
			t.Fatalf("checkpoint %d: %d task writes, want %d", i, len(gw), len(ww))
		}
		for j := range ww {
			if ww[j].Task != gw[j].Task || ww[j].Node != gw[j].Node || !bytes.Equal(ww[j].Writes, gw[j].Writes) || ww[j].Running != gw[j].Running {
				t.Fatalf("checkpoint %d, writes %d: %+v, want %+v", i, j, gw[j], ww[j])
			}
		}
	}
}

// A save that fails in the middle of a batch: the saves before it are
// kept, it and every later one are not, and the run reports the failure.
func TestAsyncBatchFailureStopsLaterSaves(t *testing.T) {
	ctx := context.Background()
	const steps = 12
	store := &batchStore{Memory: state.NewMemory(), started: make(chan struct{}), gate: make(chan struct{}), failStep: 3}
	_, err := loopGraph(t, store, graph.DurabilityAsync, steps, 8).Invoke(ctx, U{}, graph.Thread("t"))
	if !errors.Is(err, state.ErrConflict) || !strings.Contains(err.Error(), `graph: background save for thread "t"`) {
		t.Fatalf("err %v, want the background save's conflict", err)
	}
	if len(store.batches) < 2 {
		t.Fatalf("%d batches", len(store.batches))
	}
	// The failing Put was in the middle of the second batch.
	second := store.batches[1]
	at := -1
	for i, op := range second {
		if op.Kind == state.OpPut && op.Checkpoint.Step == 3 {
			at = i
		}
	}
	if at < 1 || at == len(second)-1 {
		t.Fatalf("the failing op is at %d of a batch of %d, want the middle", at, len(second))
	}
	// Saved: the checkpoints up to step 2 and the writes against step 2's
	// (the op before the failed Put); nothing after it.
	h, err := store.List(ctx, "t", state.ListOptions{})
	if err != nil || len(h) != 3 || h[0].Step != 2 {
		t.Fatalf("history %+v, %v: want steps 0 to 2", h, err)
	}
	ws, err := store.Writes(ctx, "t", h[0].ID)
	if err != nil || len(ws) != 1 || ws[0].Node != "count" {
		t.Fatalf("writes of step 2: %+v, %v", ws, err)
	}
	if len(store.batches) > 2 {
		t.Fatalf("%d batches: the writer went on saving after the failure", len(store.batches))
	}
}
