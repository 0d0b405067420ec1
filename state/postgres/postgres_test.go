package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jedisos/jedisos/internal/twoproc"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/postgres"
	"github.com/jedisos/jedisos/state/statetest"
)

func TestContract(t *testing.T) {
	statetest.Run(t, func(t *testing.T) state.Checkpointer { return open(t) })
}

func exec(t *testing.T, dsn, sql string, args ...any) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatal(err)
	}
}

// TestOpenErrors checks the error for each way Open can fail: none holds
// the password.
func TestOpenErrors(t *testing.T) {
	dsn := need(t)
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	const pw = "Sekr1t-pw"
	cases := []struct {
		name, dsn string
		is        error
		want      string
	}{
		{"unparsable", "postgres://app:" + pw + "@127.0.0.1:99999999/x", nil, "cannot be parsed"},
		{"bad port", "host=127.0.0.1 port=notaport password=" + pw, nil, "cannot be parsed"},
		{"nothing listening", fmt.Sprintf("postgres://app:%s@127.0.0.1:1/x?sslmode=disable&connect_timeout=5", pw), nil, `cannot reach database "x" on 127.0.0.1:1`},
		{"missing database", fmt.Sprintf("postgres://%s:%s@%s:%d/no_such_db?sslmode=disable", cfg.User, pw, cfg.Host, cfg.Port), postgres.ErrNoDatabase, `database "no_such_db" on`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := postgres.Open(ctx, tc.dsn)
			if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
				t.Fatalf("Open: %v; want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// TestSchema checks that opening is idempotent and safe when many
// processes open at once, and that a newer schema is refused.
func TestSchema(t *testing.T) {
	dsn := need(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent open: %v", err)
		}
	}
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", Source: "input", Snapshot: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	var versions []int
	rows, err := s.Pool().Query(ctx, `SELECT version FROM jedisos_schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int
		rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	if fmt.Sprint(versions) != fmt.Sprint([]int{postgres.SchemaVersion}) {
		t.Fatalf("versions recorded after 9 opens: %v", versions)
	}
	exec(t, dsn, `INSERT INTO jedisos_schema_version (version) VALUES (7)`)
	_, err = postgres.Open(ctx, dsn)
	if !errors.Is(err, postgres.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 7") || !strings.Contains(err.Error(), fmt.Sprintf("version %d", postgres.SchemaVersion)) {
		t.Fatalf("newer schema: %v", err)
	}
	// Nothing was dropped.
	if got, err := s.Get(ctx, "t", ""); err != nil || got.ID != "c1" {
		t.Fatalf("after the refused open: %+v %v", got, err)
	}
}

// TestCorruptRow damages stored rows behind the store's back: reads report a
// *state.CorruptError naming the thread and checkpoint.
func TestCorruptRow(t *testing.T) {
	dsn := need(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c1", Source: "input", Snapshot: []byte(`{"A":1}`), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutWrites(ctx, "t", "c1", state.TaskWrites{Task: 0, Node: "a", Writes: []byte(`{"set":{"A":2}}`)}); err != nil {
		t.Fatal(err)
	}
	exec(t, dsn, `UPDATE jedisos_checkpoints SET snapshot = '{"A":7}'::bytea WHERE id = 'c1'`)
	exec(t, dsn, `UPDATE jedisos_writes SET writes = '{"set":{"A":3}}'::bytea WHERE cp = 'c1'`)
	var ce *state.CorruptError
	for name, read := range map[string]func() error{
		"get":    func() error { _, err := s.Get(ctx, "t", "c1"); return err },
		"latest": func() error { _, err := s.Get(ctx, "t", ""); return err },
		"list":   func() error { _, err := s.List(ctx, "t", state.ListOptions{}); return err },
		"writes": func() error { _, err := s.Writes(ctx, "t", "c1"); return err },
	} {
		err := read()
		if !errors.As(err, &ce) || !errors.Is(err, state.ErrCorrupt) || ce.ThreadID != "t" || ce.CheckpointID != "c1" {
			t.Errorf("%s of a damaged row: %v", name, err)
		}
	}
}

// TestTextRefused checks that strings a text column cannot hold are refused
// with an error naming the field, before anything is saved.
func TestTextRefused(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	err := s.Put(ctx, state.Checkpoint{ThreadID: "t\xff", ID: "c1", Source: "input"})
	if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), "thread id") {
		t.Fatalf("thread id with invalid UTF-8: %v", err)
	}
	err = s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "c\x001", Source: "input"})
	if err == nil || !strings.Contains(err.Error(), "checkpoint id") || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("checkpoint id with a NUL: %v", err)
	}
	if _, err := s.Get(ctx, "t", ""); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a refused put saved something: %v", err)
	}
}

// TestManyWriters runs 16 goroutines, each with its own pool, that build
// one thread's history on whatever they last read: the history stays a
// chain and every acknowledged Put is in it.
func TestManyWriters(t *testing.T) {
	dsn := need(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[string]bool{}
	conflicts := 0
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, dsn)
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			for i := 0; i < 20; {
				base := ""
				if cp, err := s.Get(ctx, "t", ""); err == nil {
					base = cp.ID
				}
				id := fmt.Sprintf("w%d-%d", w, i)
				err := s.Put(ctx, state.Checkpoint{ThreadID: "t", ID: id, ParentID: base, Source: "loop"})
				mu.Lock()
				switch {
				case err == nil:
					acked[id] = true
					i++
				case errors.Is(err, state.ErrConflict):
					conflicts++
				default:
					t.Error(err)
					mu.Unlock()
					return
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	check, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	cps, err := check.List(ctx, "t", state.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(cps); i++ {
		if cps[i].ParentID != cps[i+1].ID {
			t.Fatalf("history forks at %s", cps[i].ID)
		}
	}
	lost := 0
	have := map[string]bool{}
	for _, cp := range cps {
		have[cp.ID] = true
	}
	for id := range acked {
		if !have[id] {
			lost++
		}
	}
	t.Logf("16 writers x 20 puts: %d acknowledged, %d saved, %d lost, %d conflicts", len(acked), len(cps), lost, conflicts)
	if lost != 0 || len(cps) != 320 || len(acked) != 320 {
		t.Fatalf("%d acknowledged puts lost; %d saved", lost, len(cps))
	}
}

// TestTwoProcesses runs two OS processes that write one thread at once,
// first as bare Put chains, then as graph runs: no acknowledged write is
// lost or saved twice, the history stays a single chain, and every refused
// write was a conflict (or, for a graph run, the thread busy with the
// other process's run).
func TestTwoProcesses(t *testing.T) {
	for _, mode := range []string{twoproc.Puts, twoproc.Runs} {
		t.Run(mode, func(t *testing.T) {
			dsn := need(t)
			res := twoproc.Run(t, openDSN, dsn, mode, 300)
			t.Logf("%s: %d acknowledged, %d saved, %d lost, %d conflicts and %d busy threads retried", mode, res.Acked, res.Saved, res.Lost, res.Conflicts, res.Busy)
			want := 600
			if mode == twoproc.Runs {
				want = 1200 // each run saves its input entry and its node's
			}
			if res.Lost != 0 || res.Acked != want || res.Saved != want {
				t.Fatalf("%d of %d acknowledged writes lost (%d saved)", res.Lost, res.Acked, res.Saved)
			}
			if res.Conflicts+res.Busy == 0 {
				t.Fatal("the two processes never conflicted: the test did not overlap them")
			}
		})
	}
}
