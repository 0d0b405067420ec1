// Package postgres is a state.Checkpointer in PostgreSQL, for agents that
// run on several machines or processes and share their threads: checkpoints
// and task writes in three tables, reached through a pgx connection pool
// (github.com/jackc/pgx/v5/pgxpool).
//
//	store, err := postgres.Open(ctx, "postgres://app@db.internal:5432/agents")
//	...
//	c, err := g.Compile(graph.WithCheckpointer(store))
//
// The tables (jedisos_threads, jedisos_checkpoints, jedisos_writes and
// jedisos_schema_version) live in the first schema of the connection's
// search_path, which the DSN can set (search_path=agents). Pool settings
// such as pool_max_conns go in the DSN too.
//
// # Many writers
//
// Put is a compare-and-set on the thread's latest checkpoint, done by the
// server in one statement: the thread's head row is updated with
// UPDATE ... WHERE thread = $1 AND head = $base (or, for a thread's first
// checkpoint, inserted with ON CONFLICT DO NOTHING), and the checkpoint row
// is inserted from the rows that update returned, in the same statement and
// so the same transaction. Under PostgreSQL's row locking, a second writer
// whose UPDATE waits on the first re-reads the head after the first
// commits, finds it moved and updates nothing, so its insert inserts
// nothing either and Put returns a *state.StaleError (state.ErrConflict).
// This was chosen over SELECT ... FOR UPDATE (three round trips inside an
// explicit transaction) and over advisory locks (held per session or
// transaction, outside the data, and invisible to anyone reading the
// tables): the optimistic check costs one round trip, holds the row lock
// only for the statement, and keeps the rule in the data itself, so it also
// holds against writers that bypass this package's process.
//
// PutStep (state.StepSaver) saves a step's last task writes and its
// checkpoint in one statement too: the same compare-and-set, with the
// checkpoint and the writes both inserted from the head row it returned,
// so a step costs one round trip and one commit (one WAL flush), and a
// crash or a conflict leaves either both saved or neither. SaveBatch
// (state.BatchSaver, used by the graph's background writer under
// DurabilityAsync) sends the statements of a whole batch of saves in one
// round trip inside one transaction, so the batch costs one commit.
// Statements go through pgx's statement cache, so each is parsed and
// planned once per connection.
//
// # Storage
//
// The store keeps what the graph gives it: a full snapshot now and then and,
// in between, only the writes each step made (for an append field just the
// new elements), so a long conversation's storage grows linearly. Every
// checkpoint and task-writes row carries the same CRC-32C checksum over all
// its columns as the SQLite store; a row that fails it is reported as a
// *state.CorruptError naming the thread and the checkpoint. (A checkpoint's
// position in its thread is assigned by the server and is not covered.)
// Where the server has LZ4 (PostgreSQL 14 and later built with it), Open
// has the large columns compressed with it instead of the default pglz,
// which spends about 0.45 ms on a 10 KB value that does not compress;
// stored rows are not rewritten and read the same either way.
// Strings that PostgreSQL cannot store in a text column (invalid UTF-8, NUL
// bytes) are refused before anything is sent, naming the field.
//
// # Schema
//
// Open creates the tables when they are missing and migrates older ones in
// one transaction under an advisory lock, so several processes may open one
// database at once; the version is kept in jedisos_schema_version. A
// migration only adds: it never drops or rewrites stored rows. A database
// whose schema is newer than SchemaVersion is refused with an error naming
// both versions.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/internal/batchtx"
	"github.com/jedisos/jedisos/state/internal/rowsum"
	"github.com/jedisos/jedisos/state/internal/timecol"
)

// SchemaVersion is the version of the tables this package writes.
const SchemaVersion = 1

// ErrNoDatabase is matched (errors.Is) when the DSN names a database that
// does not exist on the server.
var ErrNoDatabase = errors.New("postgres checkpointer: database does not exist")

// ErrSchemaTooNew is matched (errors.Is) when the database holds tables of
// a newer schema version than this package knows.
var ErrSchemaTooNew = errors.New("postgres checkpointer: schema is newer than this version knows")

// Store is a state.Checkpointer in PostgreSQL. It is safe for concurrent use
// by many goroutines, and many processes may use one database at once.
type Store struct {
	pool *pgxpool.Pool
	// where names the server and database in errors (no password).
	where string
}

var _ state.Checkpointer = (*Store)(nil)

// migrations[i] brings the schema from version i to i+1. They only add.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS jedisos_threads (
		thread TEXT PRIMARY KEY,
		head   TEXT NOT NULL,
		n      BIGINT NOT NULL
	);
	CREATE TABLE IF NOT EXISTS jedisos_checkpoints (
		thread   TEXT NOT NULL,
		n        BIGINT NOT NULL,
		id       TEXT NOT NULL,
		parent   TEXT NOT NULL,
		step     BIGINT NOT NULL,
		source   TEXT NOT NULL,
		created  BIGINT NOT NULL,
		snapshot BYTEA,
		delta    BYTEA,
		next     BYTEA,
		extra    BYTEA,
		sum      BIGINT NOT NULL,
		PRIMARY KEY (thread, n),
		UNIQUE (thread, id)
	);
	CREATE TABLE IF NOT EXISTS jedisos_writes (
		thread     TEXT NOT NULL,
		cp         TEXT NOT NULL,
		task       INTEGER NOT NULL,
		node       TEXT NOT NULL,
		writes     BYTEA,
		interrupts BYTEA,
		resumed    BYTEA,
		created    BIGINT NOT NULL,
		memos      BYTEA,
		running    BOOLEAN NOT NULL,
		sum        BIGINT NOT NULL,
		PRIMARY KEY (thread, cp, task),
		FOREIGN KEY (thread, cp) REFERENCES jedisos_checkpoints (thread, id) ON DELETE CASCADE
	);`,
}

// migrateLock is the advisory lock key that serialises migrations.
const migrateLock = 0x6a656469736f73 // "jedisos"

// Open connects to the database named by dsn (a postgres:// URL or a
// key=value string, as pgx accepts) and creates or migrates its tables. A
// DSN that cannot be parsed, a server that cannot be reached or refuses the
// login, a missing database (ErrNoDatabase) and a newer schema
// (ErrSchemaTooNew) each give an error saying so; no error contains the
// password.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres checkpointer: the DSN cannot be parsed: %s", redact(err.Error(), dsn))
	}
	return openConfig(ctx, cfg, dsn)
}

func openConfig(ctx context.Context, cfg *pgxpool.Config, dsn string) (*Store, error) {
	cc := cfg.ConnConfig
	s := &Store{where: fmt.Sprintf("database %q on %s:%d", cc.Database, cc.Host, cc.Port)}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres checkpointer: %s: %s", s.where, redact(err.Error(), dsn))
	}
	s.pool = pool
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		var pe *pgconn.PgError
		if errors.As(err, &pe) {
			switch pe.Code {
			case "3D000":
				return nil, fmt.Errorf("%w: %s: create it (CREATE DATABASE %s) or name an existing one in the DSN", ErrNoDatabase, s.where, pgx.Identifier{cc.Database}.Sanitize())
			case "28P01", "28000":
				return nil, fmt.Errorf("postgres checkpointer: %s: the server refused the login of user %q: %s", s.where, cc.User, pe.Message)
			}
		}
		return nil, fmt.Errorf("postgres checkpointer: cannot reach %s: %s", s.where, redact(err.Error(), dsn))
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// redact removes the DSN's password from msg.
func redact(msg, dsn string) string {
	var pws []string
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			pws = append(pws, pw, url.QueryEscape(pw), url.PathEscape(pw))
		}
	}
	for _, f := range strings.Fields(dsn) {
		if v, ok := strings.CutPrefix(f, "password="); ok && v != "" {
			pws = append(pws, strings.Trim(v, "'"))
		}
	}
	for _, pw := range pws {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap("migrate", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrateLock)); err != nil {
		return s.wrap("migrate", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS jedisos_schema_version (
		version    INTEGER NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
	)`); err != nil {
		return s.wrap("create the version table in", err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM jedisos_schema_version`).Scan(&have); err != nil {
		return s.wrap("read the schema version of", err)
	}
	if have > SchemaVersion {
		return fmt.Errorf("%w: %s has checkpoint schema version %d, newer than version %d, the newest this version of the package knows; use a newer version", ErrSchemaTooNew, s.where, have, SchemaVersion)
	}
	for v := have; v < SchemaVersion; v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return s.wrap(fmt.Sprintf("migrate to schema version %d", v+1), err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO jedisos_schema_version (version) VALUES ($1)`, v+1); err != nil {
			return s.wrap("record the schema version of", err)
		}
	}
	if err := useLZ4(ctx, tx); err != nil {
		return s.wrap("set the column compression of", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap("migrate", err)
	}
	return nil
}

// byteaCols are the columns large values go into.
var byteaCols = [][2]string{
	{"jedisos_checkpoints", "snapshot"}, {"jedisos_checkpoints", "delta"},
	{"jedisos_checkpoints", "next"}, {"jedisos_checkpoints", "extra"},
	{"jedisos_writes", "writes"}, {"jedisos_writes", "interrupts"},
	{"jedisos_writes", "resumed"}, {"jedisos_writes", "memos"},
}

// useLZ4 has the server compress the large columns with LZ4 instead of its
// default pglz, where the server can (PostgreSQL 14 and later, built with
// LZ4). pglz spends about 40 µs per KB trying to compress a value that
// does not compress (0.45 ms of a 10 KB step); LZ4 gives up or succeeds
// about ten times faster. It only changes how new values are stored: rows
// already stored stay as they are and read the same, and any version of
// this package reads both, so it is a storage setting rather than a schema
// version. It runs inside the migration transaction, and only alters a
// column that is not set yet.
func useLZ4(ctx context.Context, tx pgx.Tx) error {
	var ok bool
	// attcompression exists from PostgreSQL 14; lz4 support is a build
	// option, visible in the default_toast_compression setting's values.
	err := tx.QueryRow(ctx, `SELECT current_setting('server_version_num')::int >= 140000
		AND EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals))`).Scan(&ok)
	if err != nil || !ok {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.oid IN ('jedisos_checkpoints'::regclass, 'jedisos_writes'::regclass) AND a.attnum > 0 AND NOT a.attisdropped AND a.attcompression = 'l'`)
	if err != nil {
		return err
	}
	set := map[[2]string]bool{}
	for rows.Next() {
		var k [2]string
		if err := rows.Scan(&k[0], &k[1]); err != nil {
			return err
		}
		set[k] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range byteaCols {
		if set[c] {
			continue
		}
		if _, err := tx.Exec(ctx, `ALTER TABLE `+c[0]+` ALTER COLUMN `+c[1]+` SET COMPRESSION lz4`); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Size returns the bytes the store's tables and their indexes take on disk.
func (s *Store) Size(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT pg_total_relation_size('jedisos_threads') + pg_total_relation_size('jedisos_checkpoints') + pg_total_relation_size('jedisos_writes')`).Scan(&n)
	if err != nil {
		return 0, s.wrap("size", err)
	}
	return n, nil
}

func (s *Store) wrap(op string, err error) error {
	return fmt.Errorf("postgres checkpointer: %s %s: %w", op, s.where, err)
}

// checkText refuses strings a text column cannot hold unchanged.
func checkText(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		what, v := fields[i], fields[i+1]
		if !utf8.ValidString(v) {
			return fmt.Errorf("postgres checkpointer: %s %q is not valid UTF-8: %w", what, v, state.ErrInvalidUTF8)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return fmt.Errorf("postgres checkpointer: %s %q contains a NUL byte, which PostgreSQL text cannot hold", what, v)
		}
	}
	return nil
}

func isCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// cpInsert is the compare-and-set on a thread's head and the checkpoint
// insert fed by it, for a WITH query: head is the query named h, insert
// reads from h, args are $1..$12.
type cpInsert struct {
	head, insert string
	args         []any
}

// checkpointInsert checks and encodes cp.
func (s *Store) checkpointInsert(cp state.Checkpoint) (cpInsert, string, error) {
	if cp.ThreadID == "" || cp.ID == "" {
		return cpInsert{}, "", fmt.Errorf("postgres checkpointer: checkpoint needs a thread id and an id (got %q, %q)", cp.ThreadID, cp.ID)
	}
	if err := checkText("thread id", cp.ThreadID, "checkpoint id", cp.ID, "parent id", cp.ParentID, "base id", cp.Base, "source", cp.Source); err != nil {
		return cpInsert{}, "", err
	}
	var next []byte
	if len(cp.Next) > 0 {
		b, err := state.EncodeValue("the next tasks of checkpoint "+cp.ID, cp.Next)
		if err != nil {
			return cpInsert{}, "", fmt.Errorf("postgres checkpointer: %w", err)
		}
		next = b
	}
	created := timecol.UnixNano(cp.CreatedAt)
	sum := rowsum.Checkpoint(cp.ThreadID, cp.ID, 0, cp.ParentID, int64(cp.Step), cp.Source, created, cp.Snapshot, cp.Delta, next, cp.Extra)
	base := state.ExpectedBase(cp)
	ins := cpInsert{
		head: `UPDATE jedisos_threads SET head = $2, n = n + 1 WHERE thread = $1 AND head = $12 RETURNING n`,
		insert: `INSERT INTO jedisos_checkpoints (thread, n, id, parent, step, source, created, snapshot, delta, next, extra, sum)
		SELECT $1, h.n, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 FROM h`,
		args: []any{cp.ThreadID, cp.ID, cp.ParentID, int64(cp.Step), cp.Source, created, cp.Snapshot, cp.Delta, next, cp.Extra, sum, base},
	}
	if base == "" {
		ins.head = `INSERT INTO jedisos_threads (thread, head, n) VALUES ($1, $2, 1) ON CONFLICT (thread) DO NOTHING RETURNING n, $12::text`
	}
	return ins, base, nil
}

// stale reports a refused save of cp with the thread's current head.
func (s *Store) stale(ctx context.Context, cp state.Checkpoint, base string) error {
	var latest string
	if err := s.pool.QueryRow(ctx, `SELECT head FROM jedisos_threads WHERE thread = $1`, cp.ThreadID).Scan(&latest); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return s.wrap(fmt.Sprintf("read the head of thread %q in", cp.ThreadID), err)
	}
	return &state.StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
}

// save is one save as one statement, and what its outcome means.
type save struct {
	sql  string
	args []any
	// result is the save's error for the statement's outcome: a *refused
	// for a checkpoint the compare-and-set refused (see resolve).
	result func(tag pgconn.CommandTag, err error) error
}

// refused is a checkpoint save that the thread's head refused.
type refused struct {
	cp   state.Checkpoint
	base string
}

func (r *refused) Error() string { return "postgres checkpointer: checkpoint refused" }

// resolve turns a *refused into the *state.StaleError naming the thread's
// head as it is now.
func (s *Store) resolve(ctx context.Context, err error) error {
	var r *refused
	if errors.As(err, &r) {
		return s.stale(ctx, r.cp, r.base)
	}
	return err
}

// exec runs sv on the pool.
func (s *Store) exec(ctx context.Context, sv save) error {
	tag, err := s.pool.Exec(ctx, sv.sql, sv.args...)
	return s.resolve(ctx, sv.result(tag, err))
}

// Put saves a checkpoint as the thread's new head, in one statement that
// checks the head is still the checkpoint's base.
func (s *Store) Put(ctx context.Context, cp state.Checkpoint) error {
	sv, err := s.putSave(cp)
	if err != nil {
		return err
	}
	return s.exec(ctx, sv)
}

func (s *Store) putSave(cp state.Checkpoint) (save, error) {
	ins, base, err := s.checkpointInsert(cp)
	if err != nil {
		return save{}, err
	}
	return save{sql: `WITH h AS (` + ins.head + `) ` + ins.insert, args: ins.args, result: func(tag pgconn.CommandTag, err error) error {
		switch {
		case isCode(err, "23505"): // unique_violation: the id exists already
		case err != nil:
			return s.wrap(fmt.Sprintf("save checkpoint %s of thread %q in", cp.ID, cp.ThreadID), err)
		case tag.RowsAffected() == 1:
			return nil
		}
		return &refused{cp: cp, base: base}
	}}, nil
}

// DeleteThread removes a thread's head, checkpoints and writes in one
// transaction.
func (s *Store) DeleteThread(ctx context.Context, threadID string) error {
	op := fmt.Sprintf("delete thread %q in", threadID)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return s.wrap(op, err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	// Lock the head first, so a run saving on the thread waits and then
	// finds it gone.
	b.Queue(`SELECT 1 FROM jedisos_threads WHERE thread = $1 FOR UPDATE`, threadID)
	b.Queue(`DELETE FROM jedisos_checkpoints WHERE thread = $1`, threadID) // writes cascade
	b.Queue(`DELETE FROM jedisos_threads WHERE thread = $1`, threadID)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return s.wrap(op, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return s.wrap(op, err)
	}
	return nil
}

// writesRow is one task-writes row as stored.
type writesRow struct {
	task                    int32
	node                    string
	writes, intr, res, memo []byte
	created, sum            int64
	running                 bool
}

// encodeWrites checks and encodes w for checkpoint checkpointID.
func encodeWrites(threadID, checkpointID string, w state.TaskWrites) (writesRow, error) {
	r := writesRow{task: int32(w.Task), node: w.Node, writes: w.Writes, running: w.Running}
	if err := checkText("node", w.Node); err != nil {
		return r, err
	}
	var err error
	if len(w.Memos) > 0 {
		if r.memo, err = state.EncodeValue(fmt.Sprintf("the side-effect results of task %d", w.Task), w.Memos); err != nil {
			return r, fmt.Errorf("postgres checkpointer: %w", err)
		}
	}
	if len(w.Interrupts) > 0 {
		if r.intr, err = state.EncodeValue(fmt.Sprintf("the interrupts of task %d", w.Task), w.Interrupts); err != nil {
			return r, fmt.Errorf("postgres checkpointer: %w", err)
		}
	}
	if len(w.Resumed) > 0 {
		if r.res, err = state.EncodeValue(fmt.Sprintf("the resume values of task %d", w.Task), w.Resumed); err != nil {
			return r, fmt.Errorf("postgres checkpointer: %w", err)
		}
	}
	r.created = timecol.UnixNano(w.CreatedAt)
	r.sum = rowsum.Writes(threadID, checkpointID, int64(w.Task), w.Node, w.Writes, r.intr, r.res, r.created, r.memo, w.Running)
	return r, nil
}

const upsertWrites = ` ON CONFLICT (thread, cp, task) DO UPDATE SET node = EXCLUDED.node, writes = EXCLUDED.writes,
			interrupts = EXCLUDED.interrupts, resumed = EXCLUDED.resumed, created = EXCLUDED.created,
			memos = EXCLUDED.memos, running = EXCLUDED.running, sum = EXCLUDED.sum`

// PutWrites saves one task's writes, replacing an earlier entry of the task.
func (s *Store) PutWrites(ctx context.Context, threadID, checkpointID string, w state.TaskWrites) error {
	sv, err := s.writesSave(threadID, checkpointID, w)
	if err != nil {
		return err
	}
	return s.exec(ctx, sv)
}

func (s *Store) writesSave(threadID, checkpointID string, w state.TaskWrites) (save, error) {
	if err := checkText("thread id", threadID, "checkpoint id", checkpointID); err != nil {
		return save{}, err
	}
	r, err := encodeWrites(threadID, checkpointID, w)
	if err != nil {
		return save{}, err
	}
	return save{sql: `INSERT INTO jedisos_writes (thread, cp, task, node, writes, interrupts, resumed, created, memos, running, sum)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)` + upsertWrites,
		args: []any{threadID, checkpointID, r.task, r.node, r.writes, r.intr, r.res, r.created, r.memo, r.running, r.sum},
		result: func(_ pgconn.CommandTag, err error) error {
			if isCode(err, "23503") { // foreign_key_violation: no such checkpoint
				return fmt.Errorf("postgres checkpointer: writes for checkpoint %q of thread %q: %w", checkpointID, threadID, state.ErrNotFound)
			}
			if err != nil {
				return s.wrap(fmt.Sprintf("save writes of task %d of checkpoint %s (thread %q) in", w.Task, checkpointID, threadID), err)
			}
			return nil
		}}, nil
}

var _ state.StepSaver = (*Store)(nil)

// PutStep saves the writes of the tasks that closed the step of checkpoint
// parentID together with cp, the checkpoint they lead to, in one statement
// (one round trip, one transaction, one commit): the compare-and-set of Put
// on the thread's head, the checkpoint insert and the writes upsert are
// data-modifying parts of one WITH query, and the writes and the checkpoint
// are inserted only from the head row the compare-and-set returned. When
// the thread's latest checkpoint is not cp's base, or cp's id exists,
// nothing is saved and the error is a *state.StaleError (state.ErrConflict);
// when parentID does not exist, nothing is saved and the error matches
// state.ErrNotFound. Of two entries for one task the later one is kept, as
// two PutWrites calls would.
func (s *Store) PutStep(ctx context.Context, parentID string, writes []state.TaskWrites, cp state.Checkpoint) error {
	sv, err := s.stepSave(parentID, writes, cp)
	if err != nil {
		return err
	}
	return s.exec(ctx, sv)
}

func (s *Store) stepSave(parentID string, writes []state.TaskWrites, cp state.Checkpoint) (save, error) {
	if len(writes) == 0 {
		return s.putSave(cp)
	}
	if err := checkText("parent checkpoint id", parentID); err != nil {
		return save{}, err
	}
	if parentID == "" {
		return save{}, fmt.Errorf("postgres checkpointer: the writes of the step before checkpoint %q of thread %q need the id of the checkpoint they were made against", cp.ID, cp.ThreadID)
	}
	ins, base, err := s.checkpointInsert(cp)
	if err != nil {
		return save{}, err
	}
	// One row per task, the later entry winning: one statement cannot
	// update the same row twice.
	at := make(map[int]int, len(writes))
	var rows []writesRow
	for _, w := range writes {
		r, err := encodeWrites(cp.ThreadID, parentID, w)
		if err != nil {
			return save{}, err
		}
		if i, ok := at[w.Task]; ok {
			rows[i] = r
			continue
		}
		at[w.Task] = len(rows)
		rows = append(rows, r)
	}
	n := len(rows)
	task, node := make([]int32, n), make([]string, n)
	wr, intr, res, memo := make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
	created, sum, running := make([]int64, n), make([]int64, n), make([]bool, n)
	for i, r := range rows {
		task[i], node[i], wr[i], intr[i], res[i], memo[i] = r.task, r.node, r.writes, r.intr, r.res, r.memo
		created[i], sum[i], running[i] = r.created, r.sum, r.running
	}
	args := append(ins.args, parentID, task, node, wr, intr, res, created, memo, running, sum)
	return save{sql: `WITH h AS (` + ins.head + `), c AS (` + ins.insert + `)
		INSERT INTO jedisos_writes (thread, cp, task, node, writes, interrupts, resumed, created, memos, running, sum)
		SELECT $1, $13, w.* FROM h, unnest($14::integer[], $15::text[], $16::bytea[], $17::bytea[], $18::bytea[], $19::bigint[], $20::bytea[], $21::boolean[], $22::bigint[])
			AS w (task, node, writes, interrupts, resumed, created, memos, running, sum)` + upsertWrites, args: args,
		result: func(tag pgconn.CommandTag, err error) error {
			switch {
			case isCode(err, "23505"): // unique_violation: the id exists already
			case isCode(err, "23503"): // foreign_key_violation: no such parent
				return fmt.Errorf("postgres checkpointer: writes for checkpoint %q of thread %q: %w", parentID, cp.ThreadID, state.ErrNotFound)
			case err != nil:
				return s.wrap(fmt.Sprintf("save checkpoint %s of thread %q with the writes of its step in", cp.ID, cp.ThreadID), err)
			case tag.RowsAffected() == int64(n):
				return nil
			case tag.RowsAffected() != 0:
				// Cannot happen: the writes come from the one head row.
				return s.wrap(fmt.Sprintf("save checkpoint %s of thread %q: %d of %d writes saved in", cp.ID, cp.ThreadID, tag.RowsAffected(), n), errors.New("unexpected row count"))
			}
			return &refused{cp: cp, base: base}
		}}, nil
}

var _ state.BatchSaver = (*Store)(nil)

// SaveBatch applies ops in order in one transaction (one round trip for
// all the statements, one commit), stopping at the first that fails: the
// ops before it are saved, it and the ones after it are not (see
// state.BatchSaver). Each op is the statement its own call runs, so it
// gets the same checks against the thread as the ops before it left it.
// When an op fails the transaction is rolled back and the ops before it
// are saved again in a new one.
func (s *Store) SaveBatch(ctx context.Context, ops []state.BatchOp) (int, error) {
	saves := make([][]save, 0, len(ops))
	var failed error
	for i := range ops {
		sv, err := s.opSaves(&ops[i])
		if err != nil {
			failed = err
			break
		}
		saves = append(saves, sv)
	}
	n, err := batchtx.Save(saves, failed, func(saves [][]save) (int, error) { return s.batchTx(ctx, saves) })
	return n, s.resolve(ctx, err)
}

// opSaves is the statements of op.
func (s *Store) opSaves(op *state.BatchOp) ([]save, error) {
	switch op.Kind {
	case state.OpPutWrites:
		out := make([]save, 0, len(op.Writes))
		for _, w := range op.Writes {
			sv, err := s.writesSave(op.ThreadID, op.CheckpointID, w)
			if err != nil {
				return nil, err
			}
			out = append(out, sv)
		}
		return out, nil
	case state.OpPut:
		sv, err := s.putSave(op.Checkpoint)
		return []save{sv}, err
	case state.OpPutStep:
		sv, err := s.stepSave(op.CheckpointID, op.Writes, op.Checkpoint)
		return []save{sv}, err
	}
	return nil, fmt.Errorf("postgres checkpointer: batch op of unknown kind %d", uint8(op.Kind))
}

// batchTx runs saves in one transaction and commits it. It returns
// len(saves) and the commit's error, or the position of the op that failed
// and its error, having rolled everything back.
func (s *Store) batchTx(ctx context.Context, saves [][]save) (int, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return 0, s.wrap("save a batch in", err)
	}
	defer tx.Rollback(ctx)
	b := &pgx.Batch{}
	for _, op := range saves {
		for _, sv := range op {
			b.Queue(sv.sql, sv.args...)
		}
	}
	br := tx.SendBatch(ctx, b)
	for i, op := range saves {
		for _, sv := range op {
			tag, err := br.Exec()
			if err := sv.result(tag, err); err != nil {
				br.Close()
				return i, err
			}
		}
	}
	if err := br.Close(); err != nil {
		return len(saves), s.wrap("save a batch in", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return len(saves), s.wrap("save a batch in", err)
	}
	return len(saves), nil
}

const cpCols = `c.id, c.parent, c.step, c.source, c.created, c.snapshot, c.delta, c.next, c.extra, c.sum`

// scan reads one checkpoint row of thread and checks its checksum.
func (s *Store) scan(thread string, row pgx.Row) (state.Checkpoint, error) {
	cp := state.Checkpoint{ThreadID: thread}
	var step, created, sum int64
	var next []byte
	if err := row.Scan(&cp.ID, &cp.ParentID, &step, &cp.Source, &created, &cp.Snapshot, &cp.Delta, &next, &cp.Extra, &sum); err != nil {
		return cp, err
	}
	cp.Step = int(step)
	if rowsum.Checkpoint(thread, cp.ID, 0, cp.ParentID, step, cp.Source, created, cp.Snapshot, cp.Delta, next, cp.Extra) != sum {
		return state.Checkpoint{}, &state.CorruptError{ThreadID: thread, CheckpointID: cp.ID, Err: fmt.Errorf("%s: the row fails its checksum", s.where)}
	}
	cp.CreatedAt = timecol.FromUnixNano(created)
	if len(next) > 0 {
		if err := jsonUnmarshal(next, &cp.Next); err != nil {
			return state.Checkpoint{}, &state.CorruptError{ThreadID: thread, CheckpointID: cp.ID, Err: fmt.Errorf("next tasks: %w", err)}
		}
	}
	return cp, nil
}

func (s *Store) readErr(op string, err error) error {
	var ce *state.CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return s.wrap(op, err)
}

// Get returns a checkpoint, or the thread's latest for an empty id.
func (s *Store) Get(ctx context.Context, threadID, checkpointID string) (state.Checkpoint, error) {
	var row pgx.Row
	if checkpointID == "" {
		row = s.pool.QueryRow(ctx, `SELECT `+cpCols+` FROM jedisos_threads t JOIN jedisos_checkpoints c ON c.thread = t.thread AND c.id = t.head WHERE t.thread = $1`, threadID)
	} else {
		row = s.pool.QueryRow(ctx, `SELECT `+cpCols+` FROM jedisos_checkpoints c WHERE c.thread = $1 AND c.id = $2`, threadID, checkpointID)
	}
	cp, err := s.scan(threadID, row)
	if errors.Is(err, pgx.ErrNoRows) {
		if checkpointID == "" {
			return state.Checkpoint{}, fmt.Errorf("postgres checkpointer: thread %q: %w", threadID, state.ErrNotFound)
		}
		return state.Checkpoint{}, fmt.Errorf("postgres checkpointer: checkpoint %q of thread %q: %w", checkpointID, threadID, state.ErrNotFound)
	}
	if err != nil {
		return state.Checkpoint{}, s.readErr(fmt.Sprintf("read thread %q from", threadID), err)
	}
	return cp, nil
}

// Writes returns the task writes saved against a checkpoint, by task.
func (s *Store) Writes(ctx context.Context, threadID, checkpointID string) ([]state.TaskWrites, error) {
	op := fmt.Sprintf("read writes of checkpoint %s (thread %q) from", checkpointID, threadID)
	rows, err := s.pool.Query(ctx, `SELECT task, node, writes, interrupts, resumed, created, memos, running, sum FROM jedisos_writes WHERE thread = $1 AND cp = $2 ORDER BY task`, threadID, checkpointID)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []state.TaskWrites
	for rows.Next() {
		var w state.TaskWrites
		var task int32
		var intr, res, memos []byte
		var created, sum int64
		if err := rows.Scan(&task, &w.Node, &w.Writes, &intr, &res, &created, &memos, &w.Running, &sum); err != nil {
			return nil, s.wrap(op, err)
		}
		w.Task = int(task)
		corrupt := func(format string, args ...any) error {
			return &state.CorruptError{ThreadID: threadID, CheckpointID: checkpointID, Err: fmt.Errorf("%s: "+format, append([]any{s.where}, args...)...)}
		}
		if rowsum.Writes(threadID, checkpointID, int64(task), w.Node, w.Writes, intr, res, created, memos, w.Running) != sum {
			return nil, corrupt("the writes of task %d fail their checksum", w.Task)
		}
		w.CreatedAt = timecol.FromUnixNano(created)
		if len(memos) > 0 {
			if err := jsonUnmarshal(memos, &w.Memos); err != nil {
				return nil, corrupt("side-effect results of task %d: %v", w.Task, err)
			}
		}
		if len(intr) > 0 {
			if err := jsonUnmarshal(intr, &w.Interrupts); err != nil {
				return nil, corrupt("interrupts of task %d: %v", w.Task, err)
			}
		}
		if len(res) > 0 {
			if err := jsonUnmarshal(res, &w.Resumed); err != nil {
				return nil, corrupt("resume values of task %d: %v", w.Task, err)
			}
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}

// List returns a thread's checkpoints, newest first.
func (s *Store) List(ctx context.Context, threadID string, opts state.ListOptions) ([]state.Checkpoint, error) {
	op := fmt.Sprintf("list thread %q in", threadID)
	q := `SELECT ` + cpCols + ` FROM jedisos_checkpoints c WHERE c.thread = $1`
	args := []any{threadID}
	if opts.Before != "" {
		var n int64
		err := s.pool.QueryRow(ctx, `SELECT n FROM jedisos_checkpoints WHERE thread = $1 AND id = $2`, threadID, opts.Before).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, fmt.Errorf("postgres checkpointer: checkpoint %q of thread %q: %w", opts.Before, threadID, state.ErrNotFound)
		}
		if err != nil {
			return nil, s.wrap(op, err)
		}
		q += ` AND c.n < $2`
		args = append(args, n)
	}
	q += ` ORDER BY c.n DESC`
	if opts.Limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, opts.Limit)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(op, err)
	}
	defer rows.Close()
	var out []state.Checkpoint
	for rows.Next() {
		cp, err := s.scan(threadID, rows)
		if err != nil {
			return nil, s.readErr(op, err)
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap(op, err)
	}
	return out, nil
}
