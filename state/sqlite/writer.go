package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"

	sqlite3 "modernc.org/sqlite"
)

// Indexes of the write path's statements in writer.st.
const (
	stHead = iota
	stInsCheckpoint
	stUpHead
	stInsWrites
	stInsWritesKnown
	stCount
	stUpWritten
	nWriteStmts
)

// writeSQL is the text of each write statement, by index.
var writeSQL = [nWriteStmts]string{sqlHead, sqlInsCheckpoint, sqlUpHead, sqlInsWrites, sqlInsWritesKnown, sqlCount, sqlUpWritten}

// writer is the write path's statements, prepared on one driver
// connection, and that connection's transactions.
type writer struct {
	conn  any // the driver connection, as sql.Conn.Raw gives it
	begin driver.ConnBeginTx
	st    [nWriteStmts]stmt
	// fc reads the file's data version (nil if the driver cannot).
	fc sqlite3.FileControl
	// hot is what this connection's last commit left known (see
	// hotHead); spare is a buffer for the next one's tasks.
	hot   hotHead
	spare []int
	// headReads counts the head rows read in write transactions.
	headReads int
}

// hotHead is a thread's head as this connection's last commit left it,
// with the tasks that have writes against that head, known while the
// file's data version is still ver. SQLite changes that version at every
// commit to the file, by this connection or by any other (in another
// process too), so a version unchanged at the start of a write
// transaction, which holds the write lock, means the file is as that
// commit left it: the next save on the thread compares its base with hot
// instead of reading and checking the head row again, and writes against
// the head are saved without looking the checkpoint up and counted
// without counting the rows.
type hotHead struct {
	ok         bool
	ver        uint32
	thread, id string
	n          int64
	// tasks are the tasks with a writes row against checkpoint id, when
	// tasksKnown: the checkpoint was created by this connection (in a
	// file that has no writes rows from before their checkpoint).
	tasks      []int
	tasksKnown bool
}

// is reports whether h is known and is checkpoint cp of thread.
func (h *hotHead) is(thread, cp string) bool {
	return h.ok && h.thread == thread && h.id == cp
}

// version is the file's data version, or false if it cannot be read.
func (w *writer) version() (uint32, bool) {
	if w.fc == nil {
		return 0, false
	}
	v, err := w.fc.FileControlDataVersion("main")
	return v, err == nil
}

// stmt is a driver statement that runs with a context.
type stmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

// writers holds the writer of the store's connection; a new connection
// (the pool replaces one that broke) gets its statements prepared again.
type writers struct {
	mu sync.Mutex
	w  *writer
}

// of returns the writer of driver connection dc, preparing it if needed.
func (ws *writers) of(ctx context.Context, dc any) (*writer, error) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.w != nil && ws.w.conn == dc {
		return ws.w, nil
	}
	prep, ok := dc.(driver.ConnPrepareContext)
	begin, ok2 := dc.(driver.ConnBeginTx)
	if !ok || !ok2 {
		return nil, fmt.Errorf("the driver connection (%T) cannot prepare statements or begin transactions with a context", dc)
	}
	w := &writer{conn: dc, begin: begin}
	w.fc, _ = dc.(sqlite3.FileControl)
	for i, q := range writeSQL {
		ds, err := prep.PrepareContext(ctx, q)
		if err != nil {
			w.close()
			return nil, err
		}
		st, ok := ds.(stmt)
		if !ok {
			ds.Close()
			w.close()
			return nil, fmt.Errorf("the driver statement (%T) cannot run with a context", ds)
		}
		w.st[i] = st
	}
	ws.w = w
	return w, nil
}

// drop closes w's statements and forgets it, if it is the current writer.
func (ws *writers) drop(w *writer) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.w == w {
		w.close()
		ws.w = nil
	}
}

// closeOn closes the writer's statements, on the store's connection
// (Close of the store, before the connection is closed).
func (ws *writers) closeOn(db *sql.DB) {
	ws.mu.Lock()
	w := ws.w
	ws.mu.Unlock()
	if w == nil {
		return
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		return
	}
	defer conn.Close()
	conn.Raw(func(dc any) error {
		if dc == w.conn {
			ws.drop(w)
		}
		return nil
	})
}

func (w *writer) close() {
	for _, st := range w.st {
		if st != nil {
			st.Close()
		}
	}
}

// inWrite runs fn in one write transaction on the store's connection and
// commits it; op names the save in errors. A failure of fn or of the
// commit rolls everything back; fn's own error is returned as it is.
func (s *Store) inWrite(ctx context.Context, op string, batch bool, fn func(t *saveTx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return s.wrap(op, err)
	}
	defer conn.Close()
	var failed error
	err = conn.Raw(func(dc any) (err error) {
		w, err := s.ws.of(ctx, dc)
		if err != nil {
			return s.wrap("prepare the statements of", err)
		}
		panicked := true
		defer func() {
			if panicked || errors.Is(err, driver.ErrBadConn) {
				// The pool discards the connection: its statements are
				// closed while it is still open.
				s.ws.drop(w)
			}
		}()
		failed, err = s.writeTx(ctx, w, op, batch, fn)
		panicked = false
		return err
	})
	if failed != nil {
		return failed
	}
	return err
}

// writeTx is inWrite's transaction on w's connection. It returns fn's
// error apart (err is then nil unless the connection broke, for the pool
// to discard it).
func (s *Store) writeTx(ctx context.Context, w *writer, op string, batch bool, fn func(t *saveTx) error) (failed, err error) {
	// What this transaction leaves known is kept only after its commit.
	hot := w.hot
	w.hot.ok = false
	tx, err := w.begin.BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return nil, s.wrap(op, err)
	}
	t := saveTx{s: s, w: w, ctx: ctx, batch: batch}
	if !batch && hot.ok {
		if v, ok := w.version(); ok && v == hot.ver {
			t.was = hot
			t.now = hot
		}
	}
	if ferr := fn(&t); ferr != nil {
		tx.Rollback()
		if errors.Is(ferr, driver.ErrBadConn) {
			return ferr, ferr
		}
		return ferr, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, s.wrap(op, err)
	}
	if t.now.ok {
		if v, ok := w.version(); ok {
			t.now.ver = v
			if t.moved {
				// The head moved to a checkpoint whose tasks are in
				// spare: the old head's buffer is the next spare.
				w.spare = hot.tasks[:0]
			}
			w.hot = t.now
		}
	}
	return nil, nil
}

// args returns vs as a statement's arguments, in t's buffer (the driver
// copies what it binds).
func (t *saveTx) args(vs []any) []driver.NamedValue {
	t.nv = t.nv[:0]
	for i, v := range vs {
		t.nv = append(t.nv, driver.NamedValue{Ordinal: i + 1, Value: v})
	}
	return t.nv
}

// exec runs write statement i with vs and returns the rows it changed.
func (t *saveTx) exec(i int, vs ...any) (int64, error) {
	res, err := t.w.st[i].ExecContext(t.ctx, t.args(vs))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// queryRow runs write statement i with vs and reads its one row into
// dest (which must be as long as the row).
func (t *saveTx) queryRow(i int, dest []driver.Value, vs ...any) error {
	rows, err := t.w.st[i].QueryContext(t.ctx, t.args(vs))
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := rows.Next(dest); err != nil {
		if err == io.EOF {
			return sql.ErrNoRows
		}
		return err
	}
	return nil
}

// nullString and nullInt read a driver value as database/sql scans it
// into sql.NullString and sql.NullInt64.
func nullString(v driver.Value) (sql.NullString, error) {
	switch x := v.(type) {
	case nil:
		return sql.NullString{}, nil
	case string:
		return sql.NullString{String: x, Valid: true}, nil
	case []byte:
		return sql.NullString{String: string(x), Valid: true}, nil
	}
	return sql.NullString{}, fmt.Errorf("a text column holds a %T", v)
}

func nullInt(v driver.Value) (sql.NullInt64, error) {
	switch x := v.(type) {
	case nil:
		return sql.NullInt64{}, nil
	case int64:
		return sql.NullInt64{Int64: x, Valid: true}, nil
	}
	return sql.NullInt64{}, fmt.Errorf("an integer column holds a %T", v)
}
