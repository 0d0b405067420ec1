// Package sqlite is the embedded default Checkpointer: checkpoints and task
// writes in one SQLite file, through modernc.org/sqlite (pure Go, no cgo).
//
// Every Put, PutWrites, PutStep and SaveBatch is one transaction in WAL
// mode, so a process killed at any moment leaves every checkpoint saved
// before it intact. The write path's statements are prepared once per
// connection and run on it through the driver, in the driver's own
// transaction: database/sql's transactions start a goroutine each to watch
// their context, and its statements check and convert every argument
// again, which together cost about a fifth of a small step.
//
// # Durability settings
//
// The file is opened with journal_mode=WAL and synchronous=NORMAL: a commit
// is written to the write-ahead log before Put returns, and the log is
// synced to disk at checkpoints of the log, not at every commit. What that
// guarantees: a process crash (panic, kill -9, OOM) loses nothing that was
// acknowledged, since the operating system still holds the written log; a
// power loss or kernel crash can lose the last commits before the log was
// synced (never corrupting the file or an older checkpoint). Where even
// that is not acceptable, open it with SyncEveryCommit (synchronous=FULL:
// every commit synced, one fsync per commit), or use the PostgreSQL store.
// PutStep saves a step's last writes and its checkpoint in one commit
// instead of two, and SaveBatch (the graph's background writer under
// DurabilityAsync) a whole batch of saves in one. A database locked by
// another writer for longer than the busy timeout, or opened read only,
// gives an error matching ErrLocked or ErrReadOnly and naming the file.
//
// The other settings are SQLite's defaults, kept on purpose:
// wal_autocheckpoint=1000 (the commit that brings the log past 1,000 pages
// copies it into the database file and syncs both, so about one step in a
// hundred pays for that), journal_size_limit=-1 (the log is not truncated
// after a checkpoint, so later commits overwrite it in place, which on
// ext4 costs a third of appending), 4 KiB pages, no mmap, the default page
// cache. Measured with one-task graph steps of 1 KB and 10 KB states, a
// larger cache, mmap, a ten times larger wal_autocheckpoint or none, 1 KiB
// or 8 KiB pages made no difference or were slower: a commit's cost is its
// statements and the write and lock system calls for the pages it dirties
// (two writes per page to the log, about six fcntl locks per transaction),
// not reads or checkpoints. The package's benchmarks SQLiteCommitFloor1KB
// (one 1 KB row committed into one table) and WALFrameWrite (the two
// writes of one page to the log) measure that floor on a given machine,
// beside SQLiteStep1KB. Files created by this version store the
// threads and written tables WITHOUT ROWID and number checkpoints without
// AUTOINCREMENT (a step's commit then writes about 8 pages instead of 10);
// files created before keep their layout and are read and written by the
// same code.
//
// # Many writers
//
// Each thread has a head row naming its latest checkpoint. Put reads it,
// compares it with the checkpoint's base and inserts the checkpoint and the
// new head in one write transaction (BEGIN IMMEDIATE), so two goroutines or
// two processes on one file never both extend the same checkpoint: the
// second gets a *state.StaleError (state.ErrConflict) and nothing it sent is
// saved. A store remembers the head its own last commit left (and the tasks
// with writes against it) for as long as the file's data version, which
// SQLite changes at every commit by any connection or process, says nothing
// was written since: a run's next step then compares with that instead of
// reading the head row again, and saves and counts its writes without
// looking the checkpoint up, which takes a fifth of the instructions out
// of a one-task step. A commit by anyone else, or a save that failed, makes
// the next save read the head as before.
//
// # Damage
//
// Every row carries a CRC-32C checksum (see state/internal/rowsum for why
// that one) over all its columns, and the thread's head row and a
// per-checkpoint count of task-writes rows let reads notice rows that went
// missing behind a damaged index: a row that fails its checksum, a history
// with a gap, or writes fewer than were saved give a *state.CorruptError
// (state.ErrCorrupt) naming the thread and the checkpoint. A file that is not
// a SQLite database or whose header, schema or pages are damaged gives an
// error matching state.ErrCorrupt at Open or at the read that meets the
// damage. In tests of 300 and 3,000 random single-bit flips of a 76 KB
// file (TestBitFlips) every read returned exactly what was saved or such an
// error, and so did 3,000 flips of the same data in the 64 KB file of the
// current layout (see Durability settings); the store without these checks
// returned a different state after 120 of 300 flips.
//
// # Older files
//
// A file written by an earlier version is migrated when it is opened for
// writing, in one transaction, and opening it again changes nothing: the
// missing tables and columns are added, each thread gets its head row, and
// rows already stored keep no checksum. Those rows (up to the row numbers
// recorded in the file's meta table at migration) are accepted as they are;
// a row written after the migration without a checksum is corrupt. Nothing
// stored is rewritten or dropped. Once migrated, a file must not be written
// by an older version of this package (it would write rows without
// checksums). Opened read-only, an older file is read as it is, without
// checks. A file of a newer schema version than SchemaVersion is refused.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	sqlite3 "modernc.org/sqlite"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/internal/batchtx"
	"github.com/jedisos/jedisos/state/internal/rowsum"
	"github.com/jedisos/jedisos/state/internal/timecol"
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
	syncFull bool
}

// SyncEveryCommit syncs the write-ahead log to disk at every commit
// (synchronous=FULL): a power loss then loses nothing acknowledged either,
// for one fsync per commit. The default (synchronous=NORMAL) already loses
// nothing acknowledged on a process crash.
func SyncEveryCommit() Option {
	return func(c *config) { c.syncFull = true }
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
	// st holds the statement that reads a thread's head, prepared once at
	// Open (nil for a store opened read-only); ws the write path's
	// statements, prepared on the connection (see inWrite).
	st *stmts
	ws writers
	// v1: a file of schema version 1 opened read-only (no checksums, no
	// head rows); memos: its writes table has the memos and running
	// columns.
	v1, memos bool
	// cpLegacy, wLegacy: rows with a seq up to these were written before
	// the file had checksums and are accepted without one.
	cpLegacy, wLegacy int64
}

var (
	_ state.Checkpointer = (*Store)(nil)
	_ state.StepSaver    = (*Store)(nil)
	_ state.BatchSaver   = (*Store)(nil)
)

// SchemaVersion is the version of the file layout this package writes, kept
// in the file's meta table. Version 1 is a file without a meta table, from
// before checksums; version 2 adds a checksum to every row, the threads'
// head rows and the count of each checkpoint's task writes. Open refuses a
// file of a newer version.
const SchemaVersion = 2

const schema = `
CREATE TABLE IF NOT EXISTS checkpoints (
	seq      INTEGER PRIMARY KEY,
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
	n        INTEGER,
	sum      INTEGER,
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
	sum        INTEGER,
	UNIQUE (thread, cp, task)
);
CREATE TABLE IF NOT EXISTS threads (
	thread TEXT PRIMARY KEY,
	head   TEXT NOT NULL,
	n      INTEGER NOT NULL,
	sum    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS written (
	thread TEXT NOT NULL,
	cp     TEXT NOT NULL,
	tasks  INTEGER NOT NULL,
	sum    INTEGER NOT NULL,
	PRIMARY KEY (thread, cp)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL,
	sum   INTEGER NOT NULL
);
`

// tableColumns lists every column of every table.
var tableColumns = map[string][]string{
	"checkpoints": {"seq", "thread", "id", "parent", "step", "source", "created", "snapshot", "delta", "next", "extra", "n", "sum"},
	"writes":      {"seq", "thread", "cp", "task", "node", "writes", "interrupts", "resumed", "created", "memos", "running", "sum"},
	"threads":     {"thread", "head", "n", "sum"},
	"written":     {"thread", "cp", "tasks", "sum"},
	"meta":        {"key", "value", "sum"},
}

// addColumns are the columns added to the first two tables after their
// first version, with their definitions; Open adds the missing ones to an
// older file.
var addColumns = []struct{ table, name, def string }{
	{"writes", "memos", "BLOB"},
	{"writes", "running", "INTEGER NOT NULL DEFAULT 0"},
	{"writes", "sum", "INTEGER"},
	{"checkpoints", "n", "INTEGER"},
	{"checkpoints", "sum", "INTEGER"},
}

// Meta keys.
const (
	metaVersion  = "version"
	metaCPLegacy = "checkpoints_unsummed_upto"
	metaWLegacy  = "writes_unsummed_upto"
)

// Open opens (creating if needed) the database file at path. A file that
// is damaged or not a SQLite database gives an error matching
// state.ErrCorrupt; a file written by a newer version of this package (see
// SchemaVersion) is refused with an error naming both versions.
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
		if cfg.syncFull {
			q.Add("_pragma", "synchronous(FULL)")
		} else {
			q.Add("_pragma", "synchronous(NORMAL)")
		}
		// Transactions take the write lock at BEGIN: a Put's check of the
		// head and its insert see no other writer in between, and no
		// transaction fails half way on a lock upgrade.
		q.Add("_txlock", "immediate")
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite checkpointer: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: path, busy: cfg.busy}
	if cfg.readOnly {
		err = s.inspect()
	} else {
		// Two processes creating one file at once can see SQLITE_BUSY
		// while the other turns on WAL mode, which the busy timeout does
		// not cover: retry within the timeout.
		deadline := time.Now().Add(cfg.busy)
		for {
			err = s.migrate()
			if err == nil || !errors.Is(err, ErrLocked) || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if err == nil && !s.v1 {
		err = s.prepare()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

type querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// tables returns the names of the file's tables.
func (s *Store) tables(q querier) (map[string]bool, error) {
	rows, err := q.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
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

// checkTables refuses a file whose set of tables no version wrote: a
// damaged schema must not be mistaken for an empty file.
func (s *Store) checkTables(have map[string]bool) error {
	if len(have) == 0 {
		return nil
	}
	for _, t := range []string{"checkpoints", "writes"} {
		if !have[t] {
			return fmt.Errorf("sqlite checkpointer: %s has tables but no %s table (its schema is damaged, or it is not a checkpoint file): %w", s.path, t, state.ErrCorrupt)
		}
	}
	if v2 := have["meta"] || have["threads"] || have["written"]; v2 && !(have["meta"] && have["threads"] && have["written"]) {
		return fmt.Errorf("sqlite checkpointer: %s lacks some of its meta, threads and written tables (its schema is damaged): %w", s.path, state.ErrCorrupt)
	}
	return nil
}

// checkColumns refuses a table that lacks a column every version has.
func (s *Store) checkColumns(q querier, table string, all bool) error {
	have, err := s.columns(q, table)
	if err != nil {
		return err
	}
	for _, c := range tableColumns[table] {
		if !have[c] && (all || !isAdded(table, c)) {
			return fmt.Errorf("sqlite checkpointer: %s: table %s has no column %s (its schema is damaged): %w", s.path, table, c, state.ErrCorrupt)
		}
	}
	return nil
}

func isAdded(table, col string) bool {
	for _, c := range addColumns {
		if c.table == table && c.name == col {
			return true
		}
	}
	return false
}

// migrate brings a writable file to SchemaVersion in one transaction: it
// creates what is missing, adds the columns an older file lacks and gives
// each thread its head row. It never drops or rewrites a stored row; rows
// written before checksums keep none.
func (s *Store) migrate() error {
	tx, err := s.db.Begin()
	if err != nil {
		return s.wrap("open", err)
	}
	defer tx.Rollback()
	have, err := s.tables(tx)
	if err != nil {
		return err
	}
	if err := s.checkTables(have); err != nil {
		return err
	}
	for t := range have {
		if _, ours := tableColumns[t]; ours {
			if err := s.checkColumns(tx, t, have["meta"]); err != nil {
				return err
			}
		}
	}
	if _, err := tx.Exec(schema); err != nil {
		return s.wrap("create the schema of", err)
	}
	for _, c := range addColumns {
		cols, err := s.columns(tx, c.table)
		if err != nil {
			return err
		}
		if cols[c.name] {
			continue
		}
		if _, err := tx.Exec(`ALTER TABLE ` + c.table + ` ADD COLUMN ` + c.name + ` ` + c.def); err != nil {
			return s.wrap("add column "+c.name+" to the "+c.table+" table of", err)
		}
	}
	meta, err := s.readMeta(tx)
	if err != nil {
		return err
	}
	if _, ok := meta[metaVersion]; !ok {
		// First open by this version: rows already stored have no checksum;
		// each thread gets its head row.
		var cpMax, wMax int64
		if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM checkpoints`).Scan(&cpMax); err != nil {
			return s.wrap("migrate", err)
		}
		if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM writes`).Scan(&wMax); err != nil {
			return s.wrap("migrate", err)
		}
		meta = map[string]int64{metaVersion: SchemaVersion, metaCPLegacy: cpMax, metaWLegacy: wMax}
		for _, k := range []string{metaVersion, metaCPLegacy, metaWLegacy} {
			if _, err := tx.Exec(`INSERT INTO meta (key, value, sum) VALUES (?, ?, ?)`, k, meta[k], rowsum.Meta(k, meta[k])); err != nil {
				return s.wrap("migrate", err)
			}
		}
		if err := s.addHeads(tx); err != nil {
			return err
		}
	}
	if err := s.useMeta(meta); err != nil {
		return err
	}
	s.memos = true
	if err := tx.Commit(); err != nil {
		return s.wrap("migrate", err)
	}
	return nil
}

// addHeads writes the head row of every thread of an older file.
func (s *Store) addHeads(tx *sql.Tx) error {
	rows, err := tx.Query(`SELECT thread, COUNT(*), MAX(seq) FROM checkpoints GROUP BY thread`)
	if err != nil {
		return s.wrap("migrate", err)
	}
	type head struct {
		thread string
		n, seq int64
	}
	var heads []head
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.thread, &h.n, &h.seq); err != nil {
			rows.Close()
			return s.wrap("migrate", err)
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s.wrap("migrate", err)
	}
	for _, h := range heads {
		var id string
		if err := tx.QueryRow(`SELECT id FROM checkpoints WHERE seq = ?`, h.seq).Scan(&id); err != nil {
			return s.wrap("migrate", err)
		}
		if _, err := tx.Exec(`INSERT INTO threads (thread, head, n, sum) VALUES (?, ?, ?, ?)`, h.thread, id, h.n, rowsum.Head(h.thread, id, h.n)); err != nil {
			return s.wrap("migrate", err)
		}
	}
	return nil
}

// inspect reads a file opened read-only as it is.
func (s *Store) inspect() error {
	if err := s.db.Ping(); err != nil {
		return s.wrap("open", err)
	}
	have, err := s.tables(s.db)
	if err != nil {
		return err
	}
	if err := s.checkTables(have); err != nil {
		return err
	}
	for t := range have {
		if _, ours := tableColumns[t]; ours {
			if err := s.checkColumns(s.db, t, have["meta"]); err != nil {
				return err
			}
		}
	}
	if !have["meta"] {
		s.v1 = true
		s.cpLegacy, s.wLegacy = math.MaxInt64, math.MaxInt64
		cols, err := s.columns(s.db, "writes")
		if err != nil {
			return err
		}
		s.memos = cols["memos"] || len(cols) == 0
		return nil
	}
	meta, err := s.readMeta(s.db)
	if err != nil {
		return err
	}
	s.memos = true
	return s.useMeta(meta)
}

// readMeta reads and checks the meta table.
func (s *Store) readMeta(q querier) (map[string]int64, error) {
	rows, err := q.Query(`SELECT key, value, sum FROM meta`)
	if err != nil {
		return nil, s.wrap("read the meta table of", err)
	}
	defer rows.Close()
	meta := map[string]int64{}
	for rows.Next() {
		var k string
		var v, sum int64
		if err := rows.Scan(&k, &v, &sum); err != nil {
			return nil, s.wrap("read the meta table of", err)
		}
		if sum != rowsum.Meta(k, v) {
			return nil, fmt.Errorf("sqlite checkpointer: %s: meta entry %q fails its checksum: %w", s.path, k, state.ErrCorrupt)
		}
		meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read the meta table of", err)
	}
	return meta, nil
}

func (s *Store) useMeta(meta map[string]int64) error {
	v, ok := meta[metaVersion]
	if !ok {
		return fmt.Errorf("sqlite checkpointer: %s: the meta table has no schema version: %w", s.path, state.ErrCorrupt)
	}
	if v > SchemaVersion {
		return fmt.Errorf("sqlite checkpointer: %s has schema version %d, newer than version %d, the newest this version of the package knows; open it with a newer version", s.path, v, SchemaVersion)
	}
	cp, ok1 := meta[metaCPLegacy]
	w, ok2 := meta[metaWLegacy]
	if !ok1 || !ok2 {
		return fmt.Errorf("sqlite checkpointer: %s: the meta table lacks its checksum bounds: %w", s.path, state.ErrCorrupt)
	}
	s.cpLegacy, s.wLegacy = cp, w
	return nil
}

// columns returns the names of a table's columns (none when the table does
// not exist).
func (s *Store) columns(q querier, table string) (map[string]bool, error) {
	rows, err := q.Query(`SELECT name FROM pragma_table_info(?)`, table)
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
func (s *Store) Close() error {
	s.ws.closeOn(s.db)
	if s.st != nil {
		s.st.close()
	}
	return s.db.Close()
}

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
		case 11, 26: // SQLITE_CORRUPT, SQLITE_NOTADB
			return fmt.Errorf("sqlite checkpointer: %s %s: the file is damaged or not a SQLite database: %w: %v", op, s.path, state.ErrCorrupt, err)
		}
	}
	msg := err.Error()
	if strings.Contains(msg, "readonly") || strings.Contains(msg, "read-only") {
		return fmt.Errorf("%w: %s %s: %v", ErrReadOnly, op, s.path, err)
	}
	if strings.Contains(msg, "malformed") || strings.Contains(msg, "not a database") {
		return fmt.Errorf("sqlite checkpointer: %s %s: the file is damaged or not a SQLite database: %w: %v", op, s.path, state.ErrCorrupt, err)
	}
	return fmt.Errorf("sqlite checkpointer: %s %s: %w", op, s.path, err)
}

func nullable(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// corrupt is a *state.CorruptError for a checkpoint of thread in this file.
func (s *Store) corrupt(thread, id, format string, args ...any) error {
	return &state.CorruptError{ThreadID: thread, CheckpointID: id, Err: fmt.Errorf("%s: "+format, append([]any{s.path}, args...)...)}
}

// head returns the thread's latest checkpoint and its number of
// checkpoints ("" and 0 for a thread that has none). One statement reads
// the head row and whether the thread has any checkpoint, so a thread whose
// head row is missing is told from one being created meanwhile.
func (s *Store) head(ctx context.Context, thread string) (string, int64, error) {
	if s.st != nil {
		return s.headRow(thread, s.st.head.QueryRowContext(ctx, thread, thread, thread, thread))
	}
	return s.headRow(thread, s.db.QueryRowContext(ctx, sqlHead, thread, thread, thread, thread))
}

// headRow reads and checks the result of sqlHead.
func (s *Store) headRow(thread string, row *sql.Row) (string, int64, error) {
	var id, any sql.NullString
	var n, sum sql.NullInt64
	err := s.scanErr(thread, "", row.Scan(&id, &n, &sum, &any))
	if err != nil {
		return "", 0, s.readErr(fmt.Sprintf("read the head of thread %q in", thread), err)
	}
	return s.headOf(thread, id, any, n, sum)
}

// headOf checks sqlHead's row: the head id, count and checksum, and the id
// of any checkpoint of the thread.
func (s *Store) headOf(thread string, id, any sql.NullString, n, sum sql.NullInt64) (string, int64, error) {
	switch {
	case !id.Valid && !any.Valid:
		return "", 0, nil
	case !id.Valid || !n.Valid || !sum.Valid:
		return "", 0, s.corrupt(thread, any.String, "the thread has checkpoints but no head row")
	case sum.Int64 != rowsum.Head(thread, id.String, n.Int64):
		return "", 0, s.corrupt(thread, id.String, "the head row of the thread fails its checksum")
	}
	return id.String, n.Int64, nil
}

// Put saves a checkpoint and makes it the thread's head in one
// transaction, if the head is still the checkpoint's base.
func (s *Store) Put(ctx context.Context, cp state.Checkpoint) error {
	return s.PutStep(ctx, "", nil, cp)
}

// PutStep saves the writes of the tasks that closed a step, against
// checkpoint parentID, and the checkpoint cp they lead to, in one
// transaction (one commit): all or nothing, with Put's compare-and-set on
// the thread's head. It implements state.StepSaver.
func (s *Store) PutStep(ctx context.Context, parentID string, writes []state.TaskWrites, cp state.Checkpoint) error {
	op := state.BatchOp{Kind: state.OpPutStep, CheckpointID: parentID, Writes: writes, Checkpoint: cp}
	var e encodedOp
	if err := s.encodeOp(&op, &e); err != nil {
		return err
	}
	if s.v1 {
		return fmt.Errorf("%w: %s %s: opened read-only", ErrReadOnly, e.name(), s.path)
	}
	return s.inWrite(ctx, e.name(), false, func(t *saveTx) error { return t.apply(&e) })
}

// SaveBatch applies ops in order in one transaction (one commit),
// stopping at the first that fails: the ops before it are saved, it and
// the ones after it are not (see state.BatchSaver). Each op gets the
// checks its own call makes, against the thread as the ops before it
// left it. It implements state.BatchSaver.
func (s *Store) SaveBatch(ctx context.Context, ops []state.BatchOp) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	enc := make([]encodedOp, len(ops))
	var failed error
	for i := range ops {
		if err := s.encodeOp(&ops[i], &enc[i]); err != nil {
			enc, failed = enc[:i], err
			break
		}
	}
	if s.v1 {
		if len(enc) == 0 {
			return 0, failed
		}
		return 0, fmt.Errorf("%w: %s %s: opened read-only", ErrReadOnly, enc[0].name(), s.path)
	}
	return batchtx.Save(enc, failed, func(enc []encodedOp) (int, error) { return s.batchTx(ctx, enc) })
}

// batchTx applies enc in one transaction and commits it. It returns
// len(enc) and the commit's error, or the position of the op that failed
// and its error, having rolled everything back.
func (s *Store) batchTx(ctx context.Context, enc []encodedOp) (int, error) {
	at := len(enc) // the op that failed, or len(enc)
	err := s.inWrite(ctx, enc[len(enc)-1].name(), true, func(t *saveTx) error {
		for i := range enc {
			if err := t.apply(&enc[i]); err != nil {
				at = i
				return err
			}
		}
		if err := t.flush(); err != nil {
			at = 0
			return err
		}
		return nil
	})
	return at, err
}

// encodedOp is a BatchOp encoded for the store's tables.
type encodedOp struct {
	cp   *state.Checkpoint // nil: writes only
	next []byte
	rows []writesRow
}

// encodeOp checks and encodes op into e.
func (s *Store) encodeOp(op *state.BatchOp, e *encodedOp) error {
	thread := op.ThreadID
	switch op.Kind {
	case state.OpPutWrites:
	case state.OpPut, state.OpPutStep:
		cp := &op.Checkpoint
		if cp.ThreadID == "" || cp.ID == "" {
			return fmt.Errorf("sqlite checkpointer: checkpoint needs a thread id and an id (got %q, %q)", cp.ThreadID, cp.ID)
		}
		if len(cp.Next) > 0 {
			b, err := state.EncodeValue("the next tasks of checkpoint "+cp.ID, cp.Next)
			if err != nil {
				return fmt.Errorf("sqlite checkpointer: %w", err)
			}
			e.next = b
		}
		e.cp, thread = cp, cp.ThreadID
	default:
		return fmt.Errorf("sqlite checkpointer: batch op of unknown kind %d", uint8(op.Kind))
	}
	if op.Kind == state.OpPut {
		return nil
	}
	if len(op.Writes) > 0 {
		e.rows = make([]writesRow, len(op.Writes))
	}
	for i := range op.Writes {
		if err := e.rows[i].encode(thread, op.CheckpointID, op.Writes[i]); err != nil {
			return err
		}
	}
	return nil
}

// name names the op in errors.
func (e *encodedOp) name() string {
	switch {
	case e.cp != nil:
		return fmt.Sprintf("save checkpoint %s of thread %q in", e.cp.ID, e.cp.ThreadID)
	case len(e.rows) > 0:
		return e.rows[0].name()
	}
	return "save nothing in"
}

// saveTx is one write transaction: the write path's statements, bound to
// it when first used, and, for a batch, the heads and the counts of task
// writes its ops changed, written once at the end (flush) instead of once
// per op.
type saveTx struct {
	s     *Store
	w     *writer
	ctx   context.Context
	batch bool
	// nv holds a statement's arguments (see args).
	nv []driver.NamedValue

	// was is the head this connection's last commit left known, if the
	// file is still as it left it (not for a batch); now is what this
	// transaction leaves known, kept after its commit; moved: a
	// checkpoint was saved and now is its thread's new head.
	was, now hotHead
	moved    bool

	// heads are the threads' heads as the ops so far left them.
	heads []txHead
	// counts are the checkpoints whose count of task writes is to be
	// written, in the order first met (countAt: their positions); fresh
	// the checkpoints the batch created.
	counts  []txCount
	countAt map[cpKey]int
	fresh   map[cpKey]bool
}

// txCount is a checkpoint whose count of task writes a batch changed: the
// tasks it saved writes of, which are all the checkpoint has when the
// batch created it (fresh).
type txCount struct {
	key   cpKey
	fresh bool
	tasks []int
}

type txHead struct {
	thread, id string
	n          int64
}

type cpKey struct{ thread, cp string }

// apply saves one op in the transaction.
func (t *saveTx) apply(e *encodedOp) error {
	if e.cp != nil {
		if err := t.put(e); err != nil {
			return err
		}
	}
	return t.writes(e.rows)
}

// put inserts checkpoint cp and moves the thread's head to it if the head
// is cp's base.
func (t *saveTx) put(e *encodedOp) error {
	s, cp, next := t.s, e.cp, e.next
	at := -1
	for i := range t.heads {
		if t.heads[i].thread == cp.ThreadID {
			at = i
			break
		}
	}
	var latest string
	var n int64
	if at >= 0 {
		latest, n = t.heads[at].id, t.heads[at].n
	} else if t.was.ok && t.was.thread == cp.ThreadID {
		latest, n = t.was.id, t.was.n
	} else {
		var err error
		if latest, n, err = t.head(cp.ThreadID); err != nil {
			return err
		}
	}
	base := state.ExpectedBase(*cp)
	if latest != base {
		return &state.StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	n++
	created := timecol.UnixNano(cp.CreatedAt)
	sum := rowsum.Checkpoint(cp.ThreadID, cp.ID, n, cp.ParentID, int64(cp.Step), cp.Source, created, cp.Snapshot, cp.Delta, next, cp.Extra)
	k, err := t.exec(stInsCheckpoint,
		cp.ThreadID, cp.ID, cp.ParentID, int64(cp.Step), cp.Source, created, nullable(cp.Snapshot), nullable(cp.Delta), nullable(next), nullable(cp.Extra), n, sum)
	if err != nil {
		return s.wrap(e.name(), err)
	}
	if k == 0 {
		// The id exists already.
		return &state.StaleError{ThreadID: cp.ThreadID, CheckpointID: cp.ID, Base: base, Latest: latest}
	}
	if t.batch {
		if at < 0 {
			t.heads = append(t.heads, txHead{thread: cp.ThreadID})
			at = len(t.heads) - 1
		}
		t.heads[at].id, t.heads[at].n = cp.ID, n
		if s.wLegacy == 0 {
			// No writes row can name a checkpoint before it exists (a
			// file with rows from before that rule counts them).
			if t.fresh == nil {
				t.fresh = map[cpKey]bool{}
			}
			t.fresh[cpKey{cp.ThreadID, cp.ID}] = true
		}
		return nil
	}
	if err := t.writeHead(cp.ThreadID, cp.ID, n); err != nil {
		return err
	}
	// No writes row names a new checkpoint (unless the file has rows from
	// before that rule).
	t.now = hotHead{ok: true, thread: cp.ThreadID, id: cp.ID, n: n, tasks: t.w.spare[:0], tasksKnown: s.wLegacy == 0}
	t.moved = true
	return nil
}

// head reads and checks the thread's head in the transaction (see
// Store.head).
func (t *saveTx) head(thread string) (string, int64, error) {
	s := t.s
	t.w.headReads++
	var row [4]driver.Value
	err := t.queryRow(stHead, row[:], thread, thread, thread, thread)
	var id, any sql.NullString
	var n, sum sql.NullInt64
	if err == nil {
		id, err = nullString(row[0])
	}
	if err == nil {
		n, err = nullInt(row[1])
	}
	if err == nil {
		sum, err = nullInt(row[2])
	}
	if err == nil {
		any, err = nullString(row[3])
	}
	if err = s.scanErr(thread, "", err); err != nil {
		return "", 0, s.readErr(fmt.Sprintf("read the head of thread %q in", thread), err)
	}
	return s.headOf(thread, id, any, n, sum)
}

func (t *saveTx) writeHead(thread, id string, n int64) error {
	if _, err := t.exec(stUpHead, thread, id, n, rowsum.Head(thread, id, n)); err != nil {
		return t.s.wrap(fmt.Sprintf("save checkpoint %s of thread %q in", id, thread), err)
	}
	return nil
}

// writes saves rows, then (at once, or at flush for a batch) the count of
// task writes of each checkpoint they belong to.
func (t *saveTx) writes(rows []writesRow) error {
	if len(rows) == 0 {
		return nil
	}
	s := t.s
	for i := range rows {
		r := &rows[i]
		vs := [13]any{r.thread, r.cp, int64(r.w.Task), r.w.Node, nullable(r.w.Writes), nullable(r.intr), nullable(r.res), r.created, nullable(r.memos), int64(r.running), r.sum}
		st, args := stInsWritesKnown, vs[:11]
		if !t.was.is(r.thread, r.cp) {
			// Not the head this connection saved (which exists): the
			// checkpoint's thread and id are bound again to look it up.
			vs[11], vs[12] = vs[0], vs[1]
			st, args = stInsWrites, vs[:]
		}
		n, err := t.exec(st, args...)
		if err != nil {
			return s.wrap(r.name(), err)
		}
		if n == 0 {
			return fmt.Errorf("sqlite checkpointer: writes for checkpoint %q of thread %q: %w", r.cp, r.thread, state.ErrNotFound)
		}
	}
	for i := range rows {
		r := &rows[i]
		if t.batch {
			t.noteWrite(r)
			continue
		}
		if i > 0 && r.thread == rows[i-1].thread && r.cp == rows[i-1].cp {
			continue
		}
		known := -1
		if t.was.is(r.thread, r.cp) && t.was.tasksKnown {
			known = t.knownTasks(rows)
		}
		if err := t.writeCount(r.thread, r.cp, known); err != nil {
			return err
		}
	}
	return nil
}

// knownTasks returns how many tasks have writes against the known head
// t.was once rows are saved; while that checkpoint is still the thread's
// head (t.now), it records the new ones there.
func (t *saveTx) knownTasks(rows []writesRow) int {
	h := &t.was
	same := t.now.is(h.thread, h.id)
	n := len(h.tasks)
	for i := range rows {
		r := &rows[i]
		if !h.is(r.thread, r.cp) || slices.Contains(h.tasks, r.w.Task) || savedBefore(rows[:i], r) {
			continue
		}
		n++
		if same && !slices.Contains(t.now.tasks, r.w.Task) {
			t.now.tasks = append(t.now.tasks, r.w.Task)
		}
	}
	return n
}

// savedBefore reports whether rows hold writes of r's task against r's
// checkpoint.
func savedBefore(rows []writesRow, r *writesRow) bool {
	for i := range rows {
		if p := &rows[i]; p.w.Task == r.w.Task && p.cp == r.cp && p.thread == r.thread {
			return true
		}
	}
	return false
}

// noteWrite records, for flush, that a batch saved r.
func (t *saveTx) noteWrite(r *writesRow) {
	k := cpKey{r.thread, r.cp}
	at, ok := t.countAt[k]
	if !ok {
		if t.countAt == nil {
			t.countAt = map[cpKey]int{}
		}
		at = len(t.counts)
		t.countAt[k] = at
		t.counts = append(t.counts, txCount{key: k, fresh: t.fresh[k]})
	}
	if c := &t.counts[at]; c.fresh && !slices.Contains(c.tasks, r.w.Task) {
		c.tasks = append(c.tasks, r.w.Task)
	}
}

// writeCount writes the count of checkpoint cp's task writes: known (when
// not negative), or counted.
func (t *saveTx) writeCount(thread, cp string, known int) error {
	tasks := int64(known)
	if known < 0 {
		var row [1]driver.Value
		err := t.queryRow(stCount, row[:], thread, cp)
		if err == nil {
			var c sql.NullInt64
			c, err = nullInt(row[0])
			tasks = c.Int64
		}
		if err != nil {
			return t.s.wrap(fmt.Sprintf("save writes of checkpoint %s (thread %q) in", cp, thread), err)
		}
	}
	if _, err := t.exec(stUpWritten, thread, cp, tasks, rowsum.Written(thread, cp, tasks)); err != nil {
		return t.s.wrap(fmt.Sprintf("save writes of checkpoint %s (thread %q) in", cp, thread), err)
	}
	return nil
}

// flush writes what a batch's ops left for the end: each thread's head and
// each checkpoint's count of task writes.
func (t *saveTx) flush() error {
	for _, h := range t.heads {
		if err := t.writeHead(h.thread, h.id, h.n); err != nil {
			return err
		}
	}
	for _, c := range t.counts {
		known := -1
		if c.fresh {
			known = len(c.tasks)
		}
		if err := t.writeCount(c.key.thread, c.key.cp, known); err != nil {
			return err
		}
	}
	return nil
}

// DeleteThread removes a thread's checkpoints and writes in one transaction.
func (s *Store) DeleteThread(ctx context.Context, threadID string) error {
	op := fmt.Sprintf("delete thread %q in", threadID)
	if s.v1 {
		return fmt.Errorf("%w: %s %s: opened read-only", ErrReadOnly, op, s.path)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrap(op, err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM writes WHERE thread = ?`,
		`DELETE FROM written WHERE thread = ?`,
		`DELETE FROM checkpoints WHERE thread = ?`,
		`DELETE FROM threads WHERE thread = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, threadID); err != nil {
			return s.wrap(op, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return s.wrap(op, err)
	}
	return nil
}

// PutWrites saves one task's writes, and the count of the checkpoint's
// task writes, in one transaction.
func (s *Store) PutWrites(ctx context.Context, threadID, checkpointID string, w state.TaskWrites) error {
	var row [1]writesRow
	if err := row[0].encode(threadID, checkpointID, w); err != nil {
		return err
	}
	if s.v1 {
		return fmt.Errorf("%w: %s %s: opened read-only", ErrReadOnly, row[0].name(), s.path)
	}
	return s.inWrite(ctx, row[0].name(), false, func(t *saveTx) error { return t.writes(row[:]) })
}

// writesRow is one task's writes, encoded for the writes table.
type writesRow struct {
	thread, cp       string
	w                state.TaskWrites
	intr, res, memos []byte
	running          int
	created, sum     int64
}

// name names the save of r in errors.
func (r *writesRow) name() string {
	return fmt.Sprintf("save writes of task %d of checkpoint %s (thread %q) in", r.w.Task, r.cp, r.thread)
}

// encode encodes w, saved against checkpoint cp of thread.
func (r *writesRow) encode(thread, cp string, w state.TaskWrites) error {
	var err error
	*r = writesRow{thread: thread, cp: cp, w: w}
	if len(w.Memos) > 0 {
		if r.memos, err = state.EncodeValue(fmt.Sprintf("the side-effect results of task %d", w.Task), w.Memos); err != nil {
			return fmt.Errorf("sqlite checkpointer: %w", err)
		}
	}
	if len(w.Interrupts) > 0 {
		if r.intr, err = state.EncodeValue(fmt.Sprintf("the interrupts of task %d", w.Task), w.Interrupts); err != nil {
			return fmt.Errorf("sqlite checkpointer: %w", err)
		}
	}
	if len(w.Resumed) > 0 {
		if r.res, err = state.EncodeValue(fmt.Sprintf("the resume values of task %d", w.Task), w.Resumed); err != nil {
			return fmt.Errorf("sqlite checkpointer: %w", err)
		}
	}
	if w.Running {
		r.running = 1
	}
	r.created = timecol.UnixNano(w.CreatedAt)
	r.sum = rowsum.Writes(thread, cp, int64(w.Task), w.Node, w.Writes, r.intr, r.res, r.created, r.memos, w.Running)
	return nil
}

// cpCols are the checkpoint columns scan reads, of table alias c.
func (s *Store) cpCols() string {
	if s.v1 {
		return `c.seq, c.id, c.parent, c.step, c.source, c.created, c.snapshot, c.delta, c.next, c.extra, NULL, NULL`
	}
	return `c.seq, c.id, c.parent, c.step, c.source, c.created, c.snapshot, c.delta, c.next, c.extra, c.n, c.sum`
}

// scan reads one checkpoint row of thread (after the columns pre points
// to) and checks its checksum; want is the id asked for ("" for any). It
// also returns the row's position in the thread (0 when the row predates
// positions).
func (s *Store) scan(thread, want string, row interface{ Scan(...any) error }, pre ...any) (state.Checkpoint, int64, error) {
	cp := state.Checkpoint{ThreadID: thread}
	var seq, created int64
	var n, sum sql.NullInt64
	var next []byte
	if err := row.Scan(append(pre, &seq, &cp.ID, &cp.ParentID, &cp.Step, &cp.Source, &created, &cp.Snapshot, &cp.Delta, &next, &cp.Extra, &n, &sum)...); err != nil {
		return cp, 0, s.scanErr(thread, want, err)
	}
	id := cp.ID
	if want != "" && id != want {
		return state.Checkpoint{}, 0, s.corrupt(thread, want, "the index led to checkpoint %q", id)
	}
	switch {
	case sum.Valid:
		if got := rowsum.Checkpoint(thread, cp.ID, n.Int64, cp.ParentID, int64(cp.Step), cp.Source, created, cp.Snapshot, cp.Delta, next, cp.Extra); !n.Valid || got != sum.Int64 {
			return state.Checkpoint{}, 0, s.corrupt(thread, id, "row %d fails its checksum", seq)
		}
	case seq > s.cpLegacy:
		return state.Checkpoint{}, 0, s.corrupt(thread, id, "row %d has no checksum", seq)
	}
	cp.CreatedAt = timecol.FromUnixNano(created)
	if len(next) > 0 {
		if err := json.Unmarshal(next, &cp.Next); err != nil {
			return state.Checkpoint{}, 0, &state.CorruptError{ThreadID: thread, CheckpointID: id, Err: fmt.Errorf("next tasks: %w", err)}
		}
	}
	return cp, n.Int64, nil
}

// readErr passes checksum failures through and wraps other errors.
func (s *Store) readErr(op string, err error) error {
	var ce *state.CorruptError
	if errors.As(err, &ce) {
		return err
	}
	return s.wrap(op, err)
}

// scanErr reports a row whose stored value has the wrong type (damage to
// the row's header) as corrupt.
func (s *Store) scanErr(thread, id string, err error) error {
	if err != nil && strings.Contains(err.Error(), "Scan error") {
		return s.corrupt(thread, id, "a stored value has the wrong type: %v", err)
	}
	return err
}

// Get returns a checkpoint, or the thread's latest for an empty id.
func (s *Store) Get(ctx context.Context, threadID, checkpointID string) (state.Checkpoint, error) {
	op := fmt.Sprintf("read thread %q from", threadID)
	if s.v1 {
		var row *sql.Row
		if checkpointID == "" {
			row = s.db.QueryRowContext(ctx, `SELECT `+s.cpCols()+` FROM checkpoints c WHERE c.thread = ? ORDER BY c.seq DESC LIMIT 1`, threadID)
		} else {
			row = s.db.QueryRowContext(ctx, `SELECT `+s.cpCols()+` FROM checkpoints c WHERE c.thread = ? AND c.id = ?`, threadID, checkpointID)
		}
		cp, _, err := s.scan(threadID, checkpointID, row)
		if errors.Is(err, sql.ErrNoRows) {
			return state.Checkpoint{}, s.notFound(threadID, checkpointID)
		}
		if err != nil {
			return state.Checkpoint{}, s.readErr(op, err)
		}
		return cp, nil
	}
	if checkpointID != "" {
		cp, _, found, err := s.byID(ctx, threadID, checkpointID)
		if err != nil {
			return state.Checkpoint{}, s.readErr(op, err)
		}
		if !found {
			return state.Checkpoint{}, s.notFound(threadID, checkpointID)
		}
		return cp, nil
	}
	for attempt := 0; ; attempt++ {
		// The head and its checkpoint in one statement, so one snapshot.
		var head string
		var headN, headSum int64
		cp, n, err := s.scan(threadID, "", s.db.QueryRowContext(ctx, `SELECT t.head, t.n, t.sum, `+s.cpCols()+`
			FROM threads t JOIN checkpoints c ON c.thread = t.thread AND c.id = t.head WHERE t.thread = ?`, threadID), &head, &headN, &headSum)
		if err == nil {
			switch {
			case headSum != rowsum.Head(threadID, head, headN):
				return state.Checkpoint{}, s.corrupt(threadID, head, "the head row of the thread fails its checksum")
			case cp.ID != head:
				return state.Checkpoint{}, s.corrupt(threadID, head, "the index led to checkpoint %q", cp.ID)
			case n != 0 && n != headN:
				return state.Checkpoint{}, s.corrupt(threadID, head, "the head is checkpoint %d of the thread, the row says %d", headN, n)
			}
			return cp, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return state.Checkpoint{}, s.readErr(op, err)
		}
		// No head, or a head whose checkpoint the join did not find.
		latest, headN, err := s.head(ctx, threadID)
		if err != nil {
			return state.Checkpoint{}, err
		}
		if latest == "" {
			return state.Checkpoint{}, s.notFound(threadID, "")
		}
		cp, n, found, err := s.byID(ctx, threadID, latest)
		switch {
		case err != nil:
			return state.Checkpoint{}, s.readErr(op, err)
		case found && n != 0 && n != headN:
			return state.Checkpoint{}, s.corrupt(threadID, latest, "the head is checkpoint %d of the thread, the row says %d", headN, n)
		case found:
			return cp, nil
		case attempt > 0:
			return state.Checkpoint{}, s.corrupt(threadID, latest, "the thread's head names a checkpoint that is not there")
		}
		// The thread changed between the two reads: read again.
	}
}

// byID reads checkpoint id of thread. When the (thread, id) index does not
// have it, the thread's rows are searched through the other index, so a
// damaged index is reported rather than taken for a missing checkpoint.
func (s *Store) byID(ctx context.Context, thread, id string) (state.Checkpoint, int64, bool, error) {
	cp, n, err := s.scan(thread, id, s.db.QueryRowContext(ctx, `SELECT `+s.cpCols()+` FROM checkpoints c WHERE c.thread = ? AND c.id = ?`, thread, id))
	if err == nil {
		return cp, n, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return state.Checkpoint{}, 0, false, err
	}
	var seq int64
	err = s.db.QueryRowContext(ctx, `SELECT seq FROM checkpoints INDEXED BY checkpoints_thread_seq WHERE thread = ? AND id = ?`, thread, id).Scan(&seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return state.Checkpoint{}, 0, false, nil
	case err != nil:
		return state.Checkpoint{}, 0, false, err
	}
	return state.Checkpoint{}, 0, false, s.corrupt(thread, id, "row %d is missing from the index", seq)
}

func (s *Store) notFound(thread, id string) error {
	if id == "" {
		return fmt.Errorf("sqlite checkpointer: thread %q: %w", thread, state.ErrNotFound)
	}
	return fmt.Errorf("sqlite checkpointer: checkpoint %q of thread %q: %w", id, thread, state.ErrNotFound)
}

// Writes returns the task writes saved against a checkpoint, by task.
func (s *Store) Writes(ctx context.Context, threadID, checkpointID string) ([]state.TaskWrites, error) {
	for attempt := 0; ; attempt++ {
		out, retry, err := s.writes(ctx, threadID, checkpointID, attempt > 0)
		if !retry {
			return out, err
		}
	}
}

// writes reads a checkpoint's task writes and, in the same statement, the
// count saved with them. retry reports a disagreement that a concurrent
// save may explain (only when !last).
func (s *Store) writes(ctx context.Context, threadID, checkpointID string, last bool) (out []state.TaskWrites, retry bool, err error) {
	cols := `w.memos, w.running, w.sum`
	count := `(SELECT tasks FROM written WHERE thread = ? AND cp = ?), (SELECT sum FROM written WHERE thread = ? AND cp = ?)`
	args := []any{threadID, checkpointID, threadID, checkpointID, threadID, checkpointID}
	switch {
	case s.v1 && s.memos:
		cols, count, args = `w.memos, w.running, NULL`, `NULL, NULL`, args[4:]
	case s.v1:
		cols, count, args = `NULL, 0, NULL`, `NULL, NULL`, args[4:]
	}
	op := fmt.Sprintf("read writes of checkpoint %s (thread %q) from", checkpointID, threadID)
	rows, err := s.db.QueryContext(ctx, `SELECT `+count+`, w.seq, w.cp, w.task, w.node, w.writes, w.interrupts, w.resumed, w.created, `+cols+` FROM writes w WHERE w.thread = ? AND w.cp = ? ORDER BY w.task`, args...)
	if err != nil {
		return nil, false, s.wrap(op, err)
	}
	defer rows.Close()
	summed := false
	var tasks, tasksSum sql.NullInt64
	for rows.Next() {
		var w state.TaskWrites
		var intr, res, memos []byte
		var seq, created, running int64
		var cp string
		var sum sql.NullInt64
		if err := rows.Scan(&tasks, &tasksSum, &seq, &cp, &w.Task, &w.Node, &w.Writes, &intr, &res, &created, &memos, &running, &sum); err != nil {
			return nil, false, s.readErr(op, s.scanErr(threadID, checkpointID, err))
		}
		switch {
		case cp != checkpointID:
			return nil, false, s.corrupt(threadID, checkpointID, "the index led to writes of checkpoint %q", cp)
		case sum.Valid:
			if rowsum.Writes(threadID, checkpointID, int64(w.Task), w.Node, w.Writes, intr, res, created, memos, running != 0) != sum.Int64 {
				return nil, false, s.corrupt(threadID, checkpointID, "writes row %d (task %d) fails its checksum", seq, w.Task)
			}
			summed = true
		case seq > s.wLegacy:
			return nil, false, s.corrupt(threadID, checkpointID, "writes row %d (task %d) has no checksum", seq, w.Task)
		}
		w.CreatedAt = timecol.FromUnixNano(created)
		w.Running = running != 0
		if len(memos) > 0 {
			if err := json.Unmarshal(memos, &w.Memos); err != nil {
				return nil, false, s.corrupt(threadID, checkpointID, "side-effect results of task %d: %v", w.Task, err)
			}
		}
		if len(intr) > 0 {
			if err := json.Unmarshal(intr, &w.Interrupts); err != nil {
				return nil, false, s.corrupt(threadID, checkpointID, "interrupts of task %d: %v", w.Task, err)
			}
		}
		if len(res) > 0 {
			if err := json.Unmarshal(res, &w.Resumed); err != nil {
				return nil, false, s.corrupt(threadID, checkpointID, "resume values of task %d: %v", w.Task, err)
			}
		}
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, false, s.wrap(op, err)
	}
	if s.v1 {
		return out, false, nil
	}
	if len(out) == 0 {
		// No row carried the count: read it on its own.
		err := s.scanErr(threadID, checkpointID, s.db.QueryRowContext(ctx, `SELECT tasks, sum FROM written WHERE thread = ? AND cp = ?`, threadID, checkpointID).Scan(&tasks, &tasksSum))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, false, s.readErr(op, err)
		}
	}
	// The count saved with the writes tells whether rows went missing.
	switch {
	case !tasks.Valid || !tasksSum.Valid:
		if summed {
			return nil, false, s.corrupt(threadID, checkpointID, "the count of the checkpoint's task writes is missing")
		}
	case tasksSum.Int64 != rowsum.Written(threadID, checkpointID, tasks.Int64):
		return nil, false, s.corrupt(threadID, checkpointID, "the count of the checkpoint's task writes fails its checksum")
	case tasks.Int64 != int64(len(out)):
		if len(out) == 0 && !last {
			return nil, true, nil // saved since the first read
		}
		return nil, false, s.corrupt(threadID, checkpointID, "%d task writes were saved, %d are readable", tasks.Int64, len(out))
	}
	return out, false, nil
}

// List returns a thread's checkpoints, newest first.
func (s *Store) List(ctx context.Context, threadID string, opts state.ListOptions) ([]state.Checkpoint, error) {
	for attempt := 0; ; attempt++ {
		out, retry, err := s.list(ctx, threadID, opts, attempt > 0)
		if !retry {
			return out, err
		}
	}
}

// list reads the thread's checkpoints and, in the same statement, its head
// (and the position of opts.Before), and checks the history has no gap.
// retry reports a disagreement that a concurrent save may explain (only
// when !last).
func (s *Store) list(ctx context.Context, threadID string, opts state.ListOptions, last bool) (out []state.Checkpoint, retry bool, err error) {
	op := fmt.Sprintf("list thread %q in", threadID)
	head := `(SELECT head FROM threads WHERE thread = ?), (SELECT n FROM threads WHERE thread = ?), (SELECT sum FROM threads WHERE thread = ?), `
	args := []any{threadID, threadID, threadID}
	if s.v1 {
		head, args = `NULL, NULL, NULL, `, nil
	}
	before := `NULL`
	if opts.Before != "" && !s.v1 {
		before = `(SELECT n FROM checkpoints WHERE thread = ? AND id = ?)`
		args = append(args, threadID, opts.Before)
	}
	q := `SELECT ` + head + before + `, ` + s.cpCols() + ` FROM checkpoints c WHERE c.thread = ?`
	args = append(args, threadID)
	if opts.Before != "" {
		q += ` AND c.seq < (SELECT seq FROM checkpoints WHERE thread = ? AND id = ?)`
		args = append(args, threadID, opts.Before)
	}
	q += ` ORDER BY c.seq DESC`
	if opts.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, opts.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, false, s.wrap(op, err)
	}
	defer rows.Close()
	// want is the position the next row must have (0: unknown).
	var want int64
	for rows.Next() {
		var headID sql.NullString
		var headN, headSum, beforeN sql.NullInt64
		cp, n, err := s.scan(threadID, "", rows, &headID, &headN, &headSum, &beforeN)
		if err != nil {
			return nil, false, s.readErr(op, err)
		}
		if len(out) == 0 && !s.v1 {
			if !headID.Valid || !headN.Valid || !headSum.Valid {
				return nil, false, s.corrupt(threadID, cp.ID, "the thread has checkpoints but no head row")
			}
			if headSum.Int64 != rowsum.Head(threadID, headID.String, headN.Int64) {
				return nil, false, s.corrupt(threadID, headID.String, "the head row of the thread fails its checksum")
			}
			want = headN.Int64
			if opts.Before != "" {
				want = 0
				if beforeN.Valid {
					want = beforeN.Int64 - 1
				}
			}
		}
		if want > 0 && n != 0 && n != want {
			return nil, false, s.corrupt(threadID, cp.ID, "the history has a gap: checkpoint %d of the thread follows where %d belongs", n, want)
		}
		if want > 0 {
			want--
		}
		out = append(out, cp)
	}
	if err := rows.Err(); err != nil {
		return nil, false, s.wrap(op, err)
	}
	if want > 0 && (opts.Limit == 0 || len(out) < opts.Limit) {
		return nil, false, s.corrupt(threadID, "", "the history ends %d checkpoints early", want)
	}
	if len(out) > 0 || s.v1 && opts.Before == "" {
		return out, false, nil
	}
	// No rows: is that what the thread holds?
	if opts.Before != "" {
		_, n, found, err := s.byID(ctx, threadID, opts.Before)
		switch {
		case err != nil:
			return nil, false, s.readErr(op, err)
		case !found:
			return nil, false, s.notFound(threadID, opts.Before)
		case n > 1:
			return nil, false, s.corrupt(threadID, opts.Before, "the %d checkpoints before it are missing", n-1)
		}
		return nil, false, nil
	}
	latest, _, err := s.head(ctx, threadID)
	switch {
	case err != nil:
		return nil, false, err
	case latest == "":
		return nil, false, nil
	case !last:
		return nil, true, nil // saved since the first read
	}
	return nil, false, s.corrupt(threadID, latest, "the thread has a head but no readable checkpoints")
}

// Statements of the write path, prepared once per connection (see
// writer): SQLite would otherwise parse each statement again on every
// call.
const (
	sqlHead = `SELECT (SELECT head FROM threads WHERE thread = ?), (SELECT n FROM threads WHERE thread = ?),
		(SELECT sum FROM threads WHERE thread = ?), (SELECT id FROM checkpoints WHERE thread = ? LIMIT 1)`
	sqlInsCheckpoint = `INSERT INTO checkpoints (thread, id, parent, step, source, created, snapshot, delta, next, extra, n, sum)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (thread, id) DO NOTHING`
	sqlUpHead = `INSERT INTO threads (thread, head, n, sum) VALUES (?, ?, ?, ?)
		ON CONFLICT (thread) DO UPDATE SET head = excluded.head, n = excluded.n, sum = excluded.sum`
	// sqlInsWrites saves a task's writes if their checkpoint exists;
	// sqlInsWritesKnown, for a checkpoint known to exist, without looking.
	sqlInsWrites = `INSERT INTO writes (thread, cp, task, node, writes, interrupts, resumed, created, memos, running, sum)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM checkpoints WHERE thread = ? AND id = ?)` + upWrites
	sqlInsWritesKnown = `INSERT INTO writes (thread, cp, task, node, writes, interrupts, resumed, created, memos, running, sum)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)` + upWrites
	upWrites = `
		ON CONFLICT (thread, cp, task) DO UPDATE SET node = excluded.node, writes = excluded.writes,
			interrupts = excluded.interrupts, resumed = excluded.resumed, created = excluded.created,
			memos = excluded.memos, running = excluded.running, sum = excluded.sum`
	sqlCount     = `SELECT COUNT(*) FROM writes WHERE thread = ? AND cp = ?`
	sqlUpWritten = `INSERT INTO written (thread, cp, tasks, sum) VALUES (?, ?, ?, ?)
		ON CONFLICT (thread, cp) DO UPDATE SET tasks = excluded.tasks, sum = excluded.sum`
)

// stmts are the statements prepared once per Store outside the write
// path: the head read of Get and List.
type stmts struct {
	head *sql.Stmt
}

// prepare prepares the store's statements.
func (s *Store) prepare() error {
	head, err := s.db.Prepare(sqlHead)
	if err != nil {
		return s.wrap("prepare the statements of", err)
	}
	s.st = &stmts{head: head}
	return nil
}

func (st *stmts) close() { st.head.Close() }
