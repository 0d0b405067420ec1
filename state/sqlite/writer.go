package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Indexes of the write path's statements in writer.st.
const (
	stHead = iota
	stInsCheckpoint
	stUpHead
	stInsWrites
	stCount
	stUpWritten
	nWriteStmts
)

// writeSQL is the text of each write statement, by index.
var writeSQL = [nWriteStmts]string{sqlHead, sqlInsCheckpoint, sqlUpHead, sqlInsWrites, sqlCount, sqlUpWritten}

// writer is the write path's statements, prepared on one driver
// connection.
type writer struct {
	conn driver.Conn
	st   [nWriteStmts]driver.Stmt
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
	conn, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("the driver connection (%T) cannot prepare statements with a context", dc)
	}
	w := &writer{conn: dc.(driver.Conn)}
	for i, q := range writeSQL {
		st, err := conn.PrepareContext(ctx, q)
		if err != nil {
			w.close()
			return nil, err
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
		ok := false
		defer func() {
			if !ok || errors.Is(err, driver.ErrBadConn) {
				// A panic, or a connection the pool will discard: its
				// statements are closed while it is still open.
				s.ws.drop(w)
			}
		}()
		b, isB := dc.(driver.ConnBeginTx)
		if !isB {
			ok = true
			return fmt.Errorf("sqlite checkpointer: the driver connection (%T) cannot begin a transaction with a context", dc)
		}
		tx, err := b.BeginTx(ctx, driver.TxOptions{})
		if err != nil {
			ok = true
			return s.wrap(op, err)
		}
		t := saveTx{s: s, w: w, ctx: ctx, batch: batch}
		if ferr := fn(&t); ferr != nil {
			tx.Rollback()
			failed, ok = ferr, true
			if errors.Is(ferr, driver.ErrBadConn) {
				return ferr // for the pool to discard the connection
			}
			return nil
		}
		if err := tx.Commit(); err != nil {
			ok = true
			return s.wrap(op, err)
		}
		ok = true
		return nil
	})
	if failed != nil {
		return failed
	}
	return err
}

// args are a statement's arguments, in order.
func args(vs ...any) []driver.NamedValue {
	out := make([]driver.NamedValue, len(vs))
	for i, v := range vs {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
	}
	return out
}

// exec runs write statement i with vs and returns the rows it changed.
func (t *saveTx) exec(i int, vs ...any) (int64, error) {
	st, ok := t.w.st[i].(driver.StmtExecContext)
	if !ok {
		return 0, fmt.Errorf("the driver statement (%T) cannot run with a context", t.w.st[i])
	}
	res, err := st.ExecContext(t.ctx, args(vs...))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// queryRow runs write statement i with vs and reads its one row into
// dest (which must be as long as the row).
func (t *saveTx) queryRow(i int, dest []driver.Value, vs ...any) error {
	st, ok := t.w.st[i].(driver.StmtQueryContext)
	if !ok {
		return fmt.Errorf("the driver statement (%T) cannot run with a context", t.w.st[i])
	}
	rows, err := st.QueryContext(t.ctx, args(vs...))
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
