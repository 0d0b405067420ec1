package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// A batch is one transaction: its checkpoints share the pages a commit
// writes, where one commit per op writes at least two pages each.
func TestSaveBatchOneCommit(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "batch.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.DB().Exec("PRAGMA wal_autocheckpoint=0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c000", Source: "input", Snapshot: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	const n = 50
	var ops []state.BatchOp
	prev := "c000"
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("c%03d", i)
		ops = append(ops,
			state.BatchOp{Kind: state.OpPutWrites, ThreadID: "t", CheckpointID: prev, Writes: []state.TaskWrites{{Node: "a", Writes: []byte(`{"set":{}}`)}}},
			state.BatchOp{Kind: state.OpPut, Checkpoint: state.Checkpoint{ThreadID: "t", ID: id, ParentID: prev, Step: i, Source: "loop", CreatedAt: time.Now()}})
		prev = id
	}
	if k, err := s.SaveBatch(ctx, ops); k != len(ops) || err != nil {
		t.Fatalf("SaveBatch = %d, %v", k, err)
	}
	after, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	var page int64
	if err := s.DB().QueryRow("PRAGMA page_size").Scan(&page); err != nil {
		t.Fatal(err)
	}
	frames := (after.Size() - before.Size()) / (page + 24)
	if frames > 20 {
		t.Fatalf("the batch of %d ops wrote %d pages to the log: not one commit", len(ops), frames)
	}
	if got, err := s.Get(ctx, "t", ""); err != nil || got.ID != prev {
		t.Fatalf("latest %+v, %v", got, err)
	}
}

// New files number checkpoints without AUTOINCREMENT (a commit then does
// not rewrite sqlite_sequence): deleting the thread that holds the highest
// numbers does not disturb the order of another thread's history, nor of
// the deleted thread started again.
func TestHistoryOrderAfterDelete(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	put := func(thread, id, parent string, step int) {
		t.Helper()
		if err := s.Put(ctx, state.Checkpoint{ThreadID: thread, ID: id, ParentID: parent, Step: step, Source: "loop"}); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(thread string) string {
		t.Helper()
		l, err := s.List(ctx, thread, state.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, cp := range l {
			out = append(out, cp.ID)
		}
		return strings.Join(out, ",")
	}
	put("a", "z", "", 0)
	put("b", "y", "", 0)
	put("b", "x", "y", 1)
	if err := s.DeleteThread(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	put("a", "m", "z", 1)
	put("b", "w", "", 0)
	put("a", "b", "m", 2)
	put("b", "v", "w", 1)
	if got := ids("a"); got != "b,m,z" {
		t.Fatalf("history of a: %s, want b,m,z", got)
	}
	if got := ids("b"); got != "v,w" {
		t.Fatalf("history of b: %s, want v,w", got)
	}
	var sql string
	if err := s.DB().QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'checkpoints'`).Scan(&sql); err != nil || strings.Contains(sql, "AUTOINCREMENT") {
		t.Fatalf("checkpoints table of a new file: %q, %v", sql, err)
	}
}
