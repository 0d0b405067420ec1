package graph

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
)

// The queue of background saves holds at most asyncQueueBytes: a run that
// gets further ahead waits for the writer, and what it queued is saved in
// order once the writer runs.
func TestSaveQueueBounded(t *testing.T) {
	ctx := context.Background()
	store := state.NewMemory()
	dr := &durableRun[struct{}]{d: &durable[struct{}]{cp: store}, intrSrc: intrSrc{thread: "t"}, sctx: ctx, qdone: make(chan struct{})}
	q := &saveQueue{}
	q.wake.L, q.room.L = &q.mu, &q.mu
	dr.q = q
	big := make([]byte, 1<<20)
	const n = 20
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		prev := ""
		for i := range n {
			id := fmt.Sprintf("c%02d", i)
			dr.enqueue(state.BatchOp{Kind: state.OpPut, Checkpoint: state.Checkpoint{ThreadID: "t", ID: id, ParentID: prev, Step: i, Snapshot: big}})
			prev = id
		}
	}()
	// Without a writer, the run queues what fits and waits.
	fits := asyncQueueBytes / opBytes(&state.BatchOp{Checkpoint: state.Checkpoint{ID: "c00", Snapshot: big}})
	deadline := time.Now().Add(10 * time.Second)
	for {
		q.mu.Lock()
		k, bytes := len(q.ops), q.bytes
		q.mu.Unlock()
		if k == fits {
			break
		}
		if k > fits || bytes > asyncQueueBytes || time.Now().After(deadline) {
			t.Fatalf("%d saves (%d bytes) queued, want %d (at most %d bytes)", k, bytes, fits, asyncQueueBytes)
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	q.mu.Lock()
	k := len(q.ops)
	q.mu.Unlock()
	if k != fits {
		t.Fatalf("%d saves queued past the bound, want %d", k, fits)
	}
	go dr.drain(q)
	wg.Wait()
	dr.stopQueue()
	if err := dr.queueErr(); err != nil {
		t.Fatal(err)
	}
	h, err := store.List(ctx, "t", state.ListOptions{})
	if err != nil || len(h) != n || h[0].ID != fmt.Sprintf("c%02d", n-1) {
		t.Fatalf("saved %d checkpoints, %v", len(h), err)
	}
}
