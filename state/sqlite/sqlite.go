// Package sqlite is the embedded default Checkpointer: checkpoints and task
// writes in one SQLite file, through modernc.org/sqlite (pure Go, no cgo).
//
// Every Put and PutWrites is one transaction in WAL mode, so a process killed
// at any moment leaves every checkpoint saved before it intact. A database
// locked by another writer for longer than the busy timeout, or opened read
// only, gives an error matching ErrLocked or ErrReadOnly and naming the file.
// A file written by an earlier version gains the columns it lacks when it is
// opened for writing; opened read-only it is read as it is.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"

	"github.com/jedisos/jedisos/state"
)

// ErrLocked is matched (errors.Is) when the database stayed locked by
// another connection for longer than the busy timeout.
var ErrLocked = errors.New("sqlite checkpointer: database is locked")

// ErrReadOnly is matched (errors.Is) when the database cannot be written.
var ErrReadOnly = errors.New("sqlite checkpointer: database is read-only")

// Option configures Open.
type Option func(*config)

type config struct {
	busy     time.Duration
	readOnly bool
}

// BusyTimeout sets how long a write waits for another connection's lock
// before failing with ErrLocked (default 5s).
func BusyTimeout(d time.Duration) Option {
	return func(c *config) { c.busy = d }
}

// ReadOnly opens the database for reading only: Get, Writes and List work,
// Put and PutWrites fail with ErrReadOnly.
func ReadOnly() Option {
	return func(c *config) { c.readOnly = true }
}

// Store is a state.Checkpointer in a SQLite file. It is safe for concurrent
// use.
type Store struct {
	db   *sql.DB
	path string
	busy time.Duration
	// legacy: a read-only file whose writes table predates the memos and
	// running columns.
	legacy bool
}

var _ state.Checkpointer = (*Store)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS checkpoints (
	seq      INTEGER PRIMARY KEY AUTOINCREMENT,
	thread   TEXT NOT NULL,
	id       TEXT NOT NULL,
	parent   TEXT NOT NULL,
	step     INTEGER NOT NULL,
	source   TEXT NOT NULL,
	created  INTEGER NOT NULL,
	snapshot BLOB,
	delta    BLOB,
	next     BLOB,
	extra    BLOB,
	UNIQUE (thread, id)
);
CREATE INDEX IF NOT EXISTS checkpoints_thread_seq ON checkpoints (thread, seq);
CREATE TABLE IF NOT EXISTS writes (
	seq        INTEGER PRIMARY KEY,
	thread     TEXT NOT NULL,
	cp         TEXT NOT NULL,
	task       INTEGER NOT NULL,
	node       TEXT NOT NULL,
	writes     BLOB,
	interrupts BLOB,
	resumed    BLOB,
	created    INTEGER NOT NULL,
	memos      BLOB,
	running    INTEGER NOT NULL DEFAULT 0,
	UNIQUE (thread, cp, task)
);
`

// writesColumns are the columns of the writes table added after its first
// version, with their definitions; Open adds the missing ones to an older
// file.
var writesColumns = [][2]string{{"memos", "BLOB"}, {"running", "INTEGER NOT NULL DEFAULT 0"}}

// Open opens (creating if needed) the database file at path.
func Open(path string, opts ...Option) (*Store, error) {
	cfg := config{busy: 5 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" {
		return nil, errors.New("sqlite checkpointer: empty database path")
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", cfg.busy.Milliseconds()))
	if cfg.readOnly {
		q.Add("mode", "ro")
	} else {
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite checkpointer: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, busy: cfg.busy}
	if !cfg.readOnly {
		if _, err := db.Exec(schema); err != nil {
			db.Close()
			return nil, s.wrap("create schema", err)
		}
	} else if err := db.Ping(); err != nil {
		db.Close()
		return nil, s.wrap("open", err)
	}
	have, err := s.columns()
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, col := range writesColumns {
		if have[col[0]] || !have["task"] {
			continue
		}
		if cfg.readOnly {
			s.legacy = true
			continue
		}
		if _, err := db.Exec(`ALTER TABLE writes ADD COLUMN ` + col[0] + ` ` + col[1]); err != nil {
			db.Close()
			return nil, s.wrap("add column "+col[0]+" to the writes table of", err)
		}
	}
	return s, nil
}

// columns returns the names of the writes table's columns (none when the
// table does not exist).
func (s *Store) columns() (map[string]bool, error) {
	rows, err := s.db.Query(`SELECT name FROM pragma_table_info('writes')`)
	if err != nil {
		return nil, s.wrap("read the schema of", err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, s.wrap("read the schema of", err)
		}
		have[name] = true
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read the schema of", err)
	}
	return have, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Size returns the bytes the database holds (pages in use times the page
// size, after folding the write-ahead log into the file).
func (s *Store) Size(ctx context.Context) (int64, error) {
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return 0, s.wrap("checkpoint the log", err)
	}
	var pages, size, free int64
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, s.wrap("size", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, s.wrap("size", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		return 0, s.wrap("size", err)
	}
	return (pages - free) * size, nil
}

func (s *Store) wrap(op string, err error) error {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return fmt.Errorf("%w: %s %s: another connection held the lock for more than %s (raise it with sqlite.BusyTimeout): %v", ErrLocked, op, s.path, s.busy, err)
		case 8: // SQLITE_READONLY
			return fmt.Errorf("%w: %s %s: %v", ErrReadOnly, op, s.path, err)
		}
	}
	if strings.Contains(err.Error(), "readonly") || strings.Contains(err.Error(), "read-only") {
		return fmt.Errorf("%w: %s %s: %v", ErrReadOnly, op, s.path, err)
	}
	return fmt.Errorf("sqlite checkpointer: %s %s: %w", op, s.path, err)
}

// zeroTime stands for the zero time.Time in the created columns, which hold
// nanoseconds since 1970 (the zero time is out of their range).
const zeroTime = math.MinInt64

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return zeroTime
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == zeroTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func nullable(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// Put saves a checkpoint in one transaction.
func (s *Store) Put(ctx context.Context, cp state.Checkpoint) error {
	if cp.ThreadID == "" || cp.ID == "" {
		return fmt.Errorf("sqlite checkpointer: checkpoint needs a thread id and an id (got %q, %q)", cp.ThreadID, cp.ID)
	}
	var next []byte
	if len(cp.Next) > 0 {
		b, err := json.Marshal(cp.Next)
		if err != nil {
			return fmt.Errorf("sqlite checkpointer: encode next tasks of %s: %w", cp.ID, err)
		}
		next = b
	}
	// One statement, so the check of the thread's latest checkpoint and the
	// insert are atomic, also against other processes on the same file.
	base := state.ExpectedBase(cp)
	var baseArg any
	if base != "" {
		baseArg = base
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO checkpoints (thread, id, parent, step, source, created, snapshot, delta, next, extra)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE (SELECT id FROM checkpoints WHERE thread = ? ORDER BY seq DESC LIMIT 1) IS ?
		ON CONFLICT (thread, id) DO NOTHING`,
		cp.ThreadID, cp.ID, cp.ParentID, cp.Step, cp.Source, unixNano(cp.CreatedAt), nullable(cp.Snapshot), nullable(cp.Delta), nullable(next), nullable(cp.Extra),
		cp.ThreadID, baseArg)
	if err != nil {
		return s.wrap(fmt.Sprintf("save checkpoint %s of thread %q in", cp.ID, cp.ThreadID), err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		var latest string
		if err := s.db.QueryRowContext(ctx, `SELECT id FROM checkpoints WHERE thread = ? ORDER BY seq DESC LIMIT 1`, cp.ThreadID).Scan(&latest); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return s.wrap(fmt.Sprintf("read the latest checkpoint of thread %q in", cp.ThreadID), err)
		}
		return &state.StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	return nil
}

// DeleteThread removes a thread's checkpoints and writes in one transaction.
func (s *Store) DeleteThread(ctx context.Context, threadID string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(fmt.Sprintf("delete thread %q in", threadID), err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM writes WHERE thread = ?`, threadID); err != nil {
		return s.wrap(fmt.Sprintf("delete the writes of thread %q in", threadID), err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM checkpoints WHERE thread = ?`, threadID); err != nil {
		return s.wrap(fmt.Sprintf("delete the checkpoints of thread %q in", threadID), err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(fmt.Sprintf("delete thread %q in", threadID), err)
	}
	return nil
}

// PutWrites saves one task's writes in one transaction.
func (s *Store) PutWrites(ctx context.Context, threadID, checkpointID string, w state.TaskWrites) error {
	var intr, res, memos []byte
	var err error
	if len(w.Memos) > 0 {
		if memos, err = json.Marshal(w.Memos); err != nil {
			return fmt.Errorf("sqlite checkpointer: encode side-effect results: %w", err)
		}
	}
	if len(w.Interrupts) > 0 {
		if intr, err = json.Marshal(w.Interrupts); err != nil {
			return fmt.Errorf("sqlite checkpointer: encode interrupts: %w", err)
		}
	}
	if len(w.Resumed) > 0 {
		if res, err = json.Marshal(w.Resumed); err != nil {
			return fmt.Errorf("sqlite checkpointer: encode resume values: %w", err)
		}
	}
	running := 0
	if w.Running {
		running = 1
	}
	res2, err := s.db.ExecContext(ctx, `INSERT INTO writes (thread, cp, task, node, writes, interrupts, resumed, created, memos, running)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM checkpoints WHERE thread = ? AND id = ?)
		ON CONFLICT (thread, cp, task) DO UPDATE SET node = excluded.node, writes = excluded.writes,
			interrupts = excluded.interrupts, resumed = excluded.resumed, created = excluded.created,
			memos = excluded.memos, running = excluded.running`,
		threadID, checkpointID, w.Task, w.Node, nullable(w.Writes), nullable(intr), nullable(res), unixNano(w.CreatedAt), nullable(memos), running, threadID, checkpointID)
	if err != nil {
		return s.wrap(fmt.Sprintf("save writes of task %d of checkpoint %s (thread %q) in", w.Task, checkpointID, threadID), err)
	}
	if n, err := res2.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("sqlite checkpointer: writes for checkpoint %q of thread %q: %w", checkpointID, threadID, state.ErrNotFound)
	}
	return nil
}

const cpCols = `id, parent, step, source, created, snapshot, delta, next, extra`

func (s *Store) scan(thread string, row interface{ Scan(...any) error }) (state.Checkpoint, error) {
	cp := state.Checkpoint{ThreadID: thread}
	var created int64
	var next []byte
	if err := row.Scan(&cp.ID, &cp.ParentID, &cp.Step, &cp.Source, &created, &cp.Snapshot, &cp.Delta, &next, &cp.Extra); err != nil {
		return cp, err
	}
	cp.CreatedAt = fromUnixNano(created)
	if len(next) > 0 {
		if err := json.Unmarshal(next, &cp.Next); err != nil {
			return cp, &state.CorruptError{ThreadID: thread, CheckpointID: cp.ID, Err: fmt.Errorf("next tasks: %w", err)}
		}
	}
	return cp, nil
}

// Get returns a checkpoint, or the thread's latest for an empty id.
func (s *Store) Get(ctx context.Context, threadID, checkpointID string) (state.Checkpoint, error) {
	var row *sql.Row
	if checkpointID == "" {
		row = s.db.QueryRowContext(ctx, `SELECT `+cpCols+` FROM checkpoints WHERE thread = ? ORDER BY seq DESC LIMIT 1`, threadID)
	} else {
		row = s.db.QueryRowContext(ctx, `SELECT `+cpCols+` FROM checkpoints WHERE thread = ? AND id = ?`, threadID, checkpointID)
	}
	cp, err := s.scan(threadID, row)
	if errors.Is(err, sql.ErrNoRows) {
		if checkpointID == "" {
			return cp, fmt.Errorf("sqlite checkpointer: thread %q: %w", threadID, state.ErrNotFound)
		}
		return cp, fmt.Errorf("sqlite checkpointer: checkpoint %q of thread %q: %w", checkpointID, threadID, state.ErrNotFound)
	}
	if err != nil {
		var ce *state.CorruptError
		if errors.As(err, &ce) {
			return cp, err
		}
		return cp, s.wrap(fmt.Sprintf("read thread %q from", threadID), err)
	}
	return cp, nil
}

// Writes returns the task writes saved against a checkpoint, by task.
func (s *Store) Writes(ctx context.Context, threadID, checkpointID string) ([]state.TaskWrites, error) {
	cols := `memos, running`
	if s.legacy {
		cols = `NULL, 0`
	}
	rows, err := s.db.QueryContext(ctx, `SELECT task, node, writes, interrupts, resumed, created, `+cols+` FROM writes WHERE thread = ? AND cp = ? ORDER BY task`, threadID, checkpointID)
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("read writes of checkpoint %s (thread %q) from", checkpointID, threadID), err)
	}
	defer rows.Close()
	var out []state.TaskWrites
	for rows.Next() {
		var w state.TaskWrites
		var intr, res, memos []byte
		var created, running int64
		if err := rows.Scan(&w.Task, &w.Node, &w.Writes, &intr, &res, &created, &memos, &running); err != nil {
			return nil, s.wrap("read writes from", err)
		}
		w.CreatedAt = fromUnixNano(created)
		w.Running = running != 0
		if len(memos) > 0 {
			if err := json.Unmarshal(memos, &w.Memos); err != nil {
				return nil, &state.CorruptError{ThreadID: threadID, CheckpointID: checkpointID, Err: fmt.Errorf("side-effect results of task %d: %w", w.Task, err)}
			}
		}
		if len(intr) > 0 {
			if err := json.Unmarshal(intr, &w.Interrupts); err != nil {
				return nil, &state.CorruptError{ThreadID: threadID, CheckpointID: checkpointID, Err: fmt.Errorf("interrupts of task %d: %w", w.Task, err)}
			}
		}
		if len(res) > 0 {
			if err := json.Unmarshal(res, &w.Resumed); err != nil {
				return nil, &state.CorruptError{ThreadID: threadID, CheckpointID: checkpointID, Err: fmt.Errorf("resume values of task %d: %w", w.Task, err)}
			}
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read writes from", err)
	}
	return out, nil
}

// List returns a thread's checkpoints, newest first.
func (s *Store) List(ctx context.Context, threadID string, opts state.ListOptions) ([]state.Checkpoint, error) {
	q := `SELECT ` + cpCols + ` FROM checkpoints WHERE thread = ?`
	args := []any{threadID}
	if opts.Before != "" {
		var seq int64
		err := s.db.QueryRowContext(ctx, `SELECT seq FROM checkpoints WHERE thread = ? AND id = ?`, threadID, opts.Before).Scan(&seq)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqlite checkpointer: checkpoint %q of thread %q: %w", opts.Before, threadID, state.ErrNotFound)
		}
		if err != nil {
			return nil, s.wrap("list", err)
		}
		q += ` AND seq < ?`
		args = append(args, seq)
	}
	q += ` ORDER BY seq DESC`
	if opts.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, opts.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("list thread %q in", threadID), err)
	}
	defer rows.Close()
	var out []state.Checkpoint
	for rows.Next() {
		cp, err := s.scan(threadID, rows)
		if err != nil {
			return nil, s.wrap("list", err)
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list", err)
	}
	return out, nil
}
