package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// Every save runs in a transaction of its own on the store's connection:
// a save that fails half way (a stale checkpoint, writes for a checkpoint
// that does not exist, a cancelled context) must leave no transaction
// open, so another connection takes the write lock at once and the store
// goes on saving.
func TestFailedSavesReleaseTheWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "lock.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1700000000, 0).UTC()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", Snapshot: []byte(`{}`), CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(1)
	// lockFree takes and gives back the write lock from the other
	// connection, without waiting.
	lockFree := func(after string) {
		t.Helper()
		conn, err := other.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatalf("after %s the store still holds the write lock: %v", after, err)
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
	w := []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{"set":{"n":1}}`), CreatedAt: now}}

	stale := state.Checkpoint{ThreadID: "t", ID: "c9", ParentID: "c0", Step: 1, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "c1", w, stale); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("stale PutStep = %v, want ErrConflict", err)
	}
	lockFree("a stale PutStep")

	missing := state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "nope", w, missing); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("PutStep with writes for a missing checkpoint = %v, want ErrNotFound", err)
	}
	lockFree("writes for a missing checkpoint")
	if _, err := s.Get(ctx, "t", "c2"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("the checkpoint of a failed PutStep was saved: %v", err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.PutStep(cancelled, "c1", w, missing); !errors.Is(err, context.Canceled) {
		t.Fatalf("PutStep with a cancelled context = %v, want context.Canceled", err)
	}
	lockFree("a cancelled PutStep")

	if _, err := s.SaveBatch(ctx, []state.BatchOp{
		{Kind: state.OpPutStep, CheckpointID: "c1", Writes: w, Checkpoint: missing},
		{Kind: state.OpPut, Checkpoint: stale},
	}); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("a batch with a stale second op = %v, want ErrConflict", err)
	}
	lockFree("a batch that failed at its second op")

	// The saves before the failed op were kept, and the store goes on.
	got, err := s.Get(ctx, "t", "")
	if err != nil || got.ID != "c2" {
		t.Fatalf("head after the batch = %q, %v; want c2", got.ID, err)
	}
	ws, err := s.Writes(ctx, "t", "c1")
	if err != nil || len(ws) != 1 || string(ws[0].Writes) != `{"set":{"n":1}}` {
		t.Fatalf("writes of c1 = %+v, %v", ws, err)
	}
	c3 := state.Checkpoint{ThreadID: "t", ID: "c3", ParentID: "c2", Step: 2, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "c2", w, c3); err != nil {
		t.Fatal(err)
	}
	lockFree("a save")
}

// The store's statements survive a save that waited out another writer and
// failed: the next save, once the lock is free, succeeds on the same
// store.
func TestSaveAfterBusyFailure(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	s, err := sqlite.Open(path, sqlite.BusyTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Unix(1700000000, 0).UTC()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	c2 := state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop", CreatedAt: now}
	w := []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{}`), CreatedAt: now}}
	for range 3 {
		if err := s.PutStep(ctx, "c1", w, c2); !errors.Is(err, sqlite.ErrLocked) {
			t.Fatalf("PutStep while another connection writes = %v, want ErrLocked", err)
		}
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := s.PutStep(ctx, "c1", w, c2); err != nil {
		t.Fatalf("PutStep once the lock is free: %v", err)
	}
	if got, err := s.Get(ctx, "t", ""); err != nil || got.ID != "c2" {
		t.Fatalf("head = %q, %v; want c2", got.ID, err)
	}
}
