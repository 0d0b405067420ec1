package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// TestPutStep: the closing writes and the step's checkpoint are saved in
// one transaction; a stale base saves neither; a later entry for a task
// replaces an earlier one; the store reads both back.
func TestPutStep(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	now := time.Unix(1700000000, 0).UTC()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", Snapshot: []byte(`{"n":1}`), Next: []state.Task{{Node: "a"}, {Node: "b"}}, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	ws := []state.TaskWrites{
		{Task: 0, Node: "a", Writes: []byte(`{"n":2}`), CreatedAt: now},
		{Task: 1, Node: "b", Writes: []byte(`{"old":true}`), CreatedAt: now},
		{Task: 1, Node: "b", Writes: []byte(`{"n":3}`), CreatedAt: now},
	}
	c2 := state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop", CreatedAt: now}
	if err := s.PutStep(ctx, "c1", ws, c2); err != nil {
		t.Fatal(err)
	}
	got, err := s.Writes(ctx, "t", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Node != "a" || string(got[0].Writes) != `{"n":2}` || got[1].Node != "b" || string(got[1].Writes) != `{"n":3}` {
		t.Fatalf("writes of c1 = %+v, want a {n:2} and b {n:3}", got)
	}
	latest, err := s.Get(ctx, "t", "")
	if err != nil || latest.ID != "c2" || latest.ParentID != "c1" || latest.Step != 1 {
		t.Fatalf("latest = %+v, %v; want c2 after c1 at step 1", latest, err)
	}

	// Stale: c3 claims to build on c1, but the head is c2. Neither the
	// writes nor the checkpoint may be saved.
	stale := state.Checkpoint{ThreadID: "t", ID: "c3", ParentID: "c1", Step: 1, CreatedAt: now}
	err = s.PutStep(ctx, "c1", []state.TaskWrites{{Task: 0, Node: "a", Writes: []byte(`{"n":99}`), CreatedAt: now}}, stale)
	var se *state.StaleError
	if !errors.Is(err, state.ErrConflict) || !errors.As(err, &se) || se.Base != "c1" || se.Latest != "c2" {
		t.Fatalf("stale PutStep = %v, want a StaleError from base c1, latest c2", err)
	}
	got, _ = s.Writes(ctx, "t", "c1")
	if len(got) != 2 || string(got[0].Writes) != `{"n":2}` {
		t.Fatalf("a refused PutStep changed the writes of c1: %+v", got)
	}
	if _, err := s.Get(ctx, "t", "c3"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("Get(c3) after a refused PutStep = %v, want ErrNotFound", err)
	}

	// Writes against a checkpoint that does not exist: nothing saved,
	// not even the checkpoint.
	c4 := state.Checkpoint{ThreadID: "t", ID: "c4", ParentID: "c2", Step: 2, CreatedAt: now}
	err = s.PutStep(ctx, "missing", []state.TaskWrites{{Task: 0, Node: "a", CreatedAt: now}}, c4)
	if !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("PutStep with writes for a missing checkpoint = %v, want ErrNotFound", err)
	}
	if latest, _ := s.Get(ctx, "t", ""); latest.ID != "c2" {
		t.Fatalf("latest after a failed PutStep = %s, want c2", latest.ID)
	}
}

// TestSyncEveryCommit: the option reaches SQLite (synchronous=FULL is 2).
func TestSyncEveryCommit(t *testing.T) {
	for _, tc := range []struct {
		opts []sqlite.Option
		want int
	}{{nil, 1}, {[]sqlite.Option{sqlite.SyncEveryCommit()}, 2}} {
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "cp.db"), tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := s.DB().QueryRow("PRAGMA synchronous").Scan(&got); err != nil {
			t.Fatal(err)
		}
		s.Close()
		if got != tc.want {
			t.Fatalf("PRAGMA synchronous = %d, want %d", got, tc.want)
		}
	}
}
