package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
	"github.com/jedisos/jedisos/state/statetest"
)

func open(t *testing.T) *sqlite.Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "cp.db"))
}

// openAt opens a store on the file at path, closed when the test ends.
func openAt(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Checkpointer { return open(t) })
}

func seed(t *testing.T, s *sqlite.Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", Source: "input", Snapshot: []byte(`{}`), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutWrites(ctx, "t", "c1", state.TaskWrites{Task: 0, Node: "a", Writes: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ro.db")
	rw, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	seed(t, rw)
	rw.Close()

	ro, err := sqlite.Open(path, sqlite.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ctx := context.Background()
	err = ro.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Source: "loop", CreatedAt: time.Now()})
	if !errors.Is(err, sqlite.ErrReadOnly) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "c2") {
		t.Fatalf("put on read-only: %v", err)
	}
	got, err := ro.Get(ctx, "t", "")
	if err != nil || got.ID != "c1" {
		t.Fatalf("saved checkpoint lost: %+v %v", got, err)
	}
	ws, err := ro.Writes(ctx, "t", "c1")
	if err != nil || len(ws) != 1 {
		t.Fatalf("saved writes lost: %v %v", ws, err)
	}
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "locked.db")
	s, err := sqlite.Open(path, sqlite.BusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed(t, s)

	// Another connection takes the write lock and holds it.
	other, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	err = s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Source: "loop", CreatedAt: time.Now()})
	if !errors.Is(err, sqlite.ErrLocked) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "BusyTimeout") {
		t.Fatalf("put while locked: %v", err)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	got, err := s.Get(ctx, "t", "")
	if err != nil || got.ID != "c1" {
		t.Fatalf("after the lock: %+v %v", got, err)
	}
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Source: "loop", CreatedAt: time.Now()}); err != nil {
		t.Fatalf("put after the lock is released: %v", err)
	}
}

func TestCorruptNextTasks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seed(t, s)
	raw, _ := sql.Open("sqlite", "file:"+path)
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE checkpoints SET next = x'7b6e6f' WHERE id = 'c1'`); err != nil {
		t.Fatal(err)
	}
	_, err = s.Get(context.Background(), "t", "c1")
	var ce *state.CorruptError
	if !errors.As(err, &ce) || ce.ThreadID != "t" || ce.CheckpointID != "c1" || !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("corrupt row: %v", err)
	}
}

// oldSchema is the writes table before the memos and running columns.
const oldSchema = `
CREATE TABLE checkpoints (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, thread TEXT NOT NULL, id TEXT NOT NULL, parent TEXT NOT NULL,
	step INTEGER NOT NULL, source TEXT NOT NULL, created INTEGER NOT NULL,
	snapshot BLOB, delta BLOB, next BLOB, extra BLOB, UNIQUE (thread, id));
CREATE TABLE writes (
	seq INTEGER PRIMARY KEY, thread TEXT NOT NULL, cp TEXT NOT NULL, task INTEGER NOT NULL, node TEXT NOT NULL,
	writes BLOB, interrupts BLOB, resumed BLOB, created INTEGER NOT NULL, UNIQUE (thread, cp, task));
INSERT INTO checkpoints (thread, id, parent, step, source, created, snapshot) VALUES ('t', 'c1', '', 0, 'input', 1, '{}');
INSERT INTO writes (thread, cp, task, node, writes, created) VALUES ('t', 'c1', 0, 'a', '{"set":{}}', 1);
`

// TestOlderFile opens a file written before the writes table had its memos
// and running columns: read-only it reads as before; writable it gains the
// columns, keeps its rows and stores side-effect results.
func TestOlderFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	writeSchema(t, path, oldSchema).Close()

	ro, err := sqlite.Open(path, sqlite.ReadOnly())
	if err != nil {
		t.Fatal(err)
	}
	ws, err := ro.Writes(ctx, "t", "c1")
	ro.Close()
	if err != nil || len(ws) != 1 || string(ws[0].Writes) != `{"set":{}}` || ws[0].Running || ws[0].Memos != nil {
		t.Fatalf("read-only older file: %+v, %v", ws, err)
	}

	rw, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	ws, err = rw.Writes(ctx, "t", "c1")
	if err != nil || len(ws) != 1 || string(ws[0].Writes) != `{"set":{}}` || ws[0].Running {
		t.Fatalf("older row after upgrade: %+v, %v", ws, err)
	}
	w := state.TaskWrites{Task: 1, Node: "b", Running: true, Memos: []state.Memo{{Key: "b@0.1/k", Value: []byte(`1`)}}}
	if err := rw.PutWrites(ctx, "t", "c1", w); err != nil {
		t.Fatal(err)
	}
	ws, err = rw.Writes(ctx, "t", "c1")
	if err != nil || len(ws) != 2 || !ws[1].Running || len(ws[1].Memos) != 1 || string(ws[1].Memos[0].Value) != "1" {
		t.Fatalf("after upgrade: %+v, %v", ws, err)
	}
	// The older thread continues where it was: its head row was made by
	// the migration, its row without a checksum is accepted.
	if err := rw.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", ParentID: "", Source: "input"}); !errors.Is(err, state.ErrConflict) {
		t.Fatalf("a second first checkpoint on the migrated thread: %v", err)
	}
	if err := rw.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c2", ParentID: "c1", Step: 1, Source: "loop", Delta: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	l, err := rw.List(ctx, "t", state.ListOptions{})
	if err != nil || len(l) != 2 || l[0].ID != "c2" || l[1].ID != "c1" || string(l[1].Snapshot) != "{}" {
		t.Fatalf("history after the migration: %+v, %v", l, err)
	}
	rw.Close()
	meta := func() string {
		raw, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		var out []string
		rows, err := raw.Query(`SELECT key, value FROM meta ORDER BY key`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var v int64
			rows.Scan(&k, &v)
			out = append(out, fmt.Sprintf("%s=%d", k, v))
		}
		var heads int
		raw.QueryRow(`SELECT COUNT(*) FROM threads`).Scan(&heads)
		return fmt.Sprint(out, " heads=", heads)
	}
	first := meta()
	if want := "[checkpoints_unsummed_upto=1 version=2 writes_unsummed_upto=1] heads=1"; first != want {
		t.Fatalf("meta after migration: %s, want %s", first, want)
	}
	// Opening again changes nothing.
	again, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Get(ctx, "t", "")
	again.Close()
	if err != nil || got.ID != "c2" {
		t.Fatalf("reopened: %+v %v", got, err)
	}
	if m := meta(); m != first {
		t.Fatalf("second open changed the meta table: %s, was %s", m, first)
	}
}

// writeSchema creates the database file at path with schema, as an older
// version of this package would have, and returns it open.
func writeSchema(t *testing.T, path, schema string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schema); err != nil {
		t.Fatal(err)
	}
	return db
}
