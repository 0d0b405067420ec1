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

// previousLayout is the schema files of version 2 were created with
// before threads and written became WITHOUT ROWID tables and checkpoints
// lost AUTOINCREMENT.
const previousLayout = `
CREATE TABLE checkpoints (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, thread TEXT NOT NULL, id TEXT NOT NULL, parent TEXT NOT NULL,
	step INTEGER NOT NULL, source TEXT NOT NULL, created INTEGER NOT NULL,
	snapshot BLOB, delta BLOB, next BLOB, extra BLOB, n INTEGER, sum INTEGER, UNIQUE (thread, id));
CREATE INDEX checkpoints_thread_seq ON checkpoints (thread, seq);
CREATE TABLE writes (
	seq INTEGER PRIMARY KEY, thread TEXT NOT NULL, cp TEXT NOT NULL, task INTEGER NOT NULL, node TEXT NOT NULL,
	writes BLOB, interrupts BLOB, resumed BLOB, created INTEGER NOT NULL, memos BLOB,
	running INTEGER NOT NULL DEFAULT 0, sum INTEGER, UNIQUE (thread, cp, task));
CREATE TABLE threads (thread TEXT PRIMARY KEY, head TEXT NOT NULL, n INTEGER NOT NULL, sum INTEGER NOT NULL);
CREATE TABLE written (thread TEXT NOT NULL, cp TEXT NOT NULL, tasks INTEGER NOT NULL, sum INTEGER NOT NULL, PRIMARY KEY (thread, cp));
CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL, sum INTEGER NOT NULL);
`

// A file created with the previous layout of version 2 opens, keeps its
// layout and is written and read by the same code: steps, batches and
// single writes.
func TestPreviousLayout(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v2.db")
	db := writeSchema(t, path, previousLayout)
	for _, k := range []string{"version", "checkpoints_unsummed_upto", "writes_unsummed_upto"} {
		v := int64(0)
		if k == "version" {
			v = 2
		}
		if _, err := db.Exec(`INSERT INTO meta (key, value, sum) VALUES (?, ?, ?)`, k, v, sqlite.MetaSum(k, v)); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for round := range 2 {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		thread := fmt.Sprint("t", round)
		if err := s.Put(ctx, state.Checkpoint{ThreadID: thread, ID: "c0", Source: "input", Snapshot: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
		if err := s.PutStep(ctx, "c0", []state.TaskWrites{{Node: "a", Writes: []byte(`{"a":1}`)}}, state.Checkpoint{ThreadID: thread, ID: "c1", ParentID: "c0", Step: 1, Source: "loop"}); err != nil {
			t.Fatal(err)
		}
		k, err := s.SaveBatch(ctx, []state.BatchOp{
			{Kind: state.OpPutWrites, ThreadID: thread, CheckpointID: "c1", Writes: []state.TaskWrites{{Node: "a", Writes: []byte(`{"a":2}`)}}},
			{Kind: state.OpPut, Checkpoint: state.Checkpoint{ThreadID: thread, ID: "c2", ParentID: "c1", Step: 2, Source: "loop"}},
			{Kind: state.OpPutWrites, ThreadID: thread, CheckpointID: "c2", Writes: []state.TaskWrites{{Node: "a", Writes: []byte(`{"a":3}`)}, {Task: 1, Node: "b"}}},
		})
		if k != 3 || err != nil {
			t.Fatalf("SaveBatch = %d, %v", k, err)
		}
		if err := s.PutWrites(ctx, thread, "c2", state.TaskWrites{Task: 2, Node: "c"}); err != nil {
			t.Fatal(err)
		}
		l, err := s.List(ctx, thread, state.ListOptions{})
		if err != nil || len(l) != 3 || l[0].ID != "c2" || l[2].ID != "c0" {
			t.Fatalf("history %+v, %v", l, err)
		}
		for id, want := range map[string]int{"c0": 1, "c1": 1, "c2": 3} {
			if ws, err := s.Writes(ctx, thread, id); err != nil || len(ws) != want {
				t.Fatalf("writes of %s: %+v, %v; want %d", id, ws, err, want)
			}
		}
		var ddl string
		if err := s.DB().QueryRow(`SELECT group_concat(sql, ';') FROM sqlite_master WHERE name IN ('checkpoints', 'threads', 'written')`).Scan(&ddl); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(ddl, "AUTOINCREMENT") || strings.Contains(ddl, "WITHOUT ROWID") {
			t.Fatalf("the file's layout changed: %s", ddl)
		}
		s.Close()
	}
}
