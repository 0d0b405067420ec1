package postgres_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/internal/pgtest"
	"github.com/jedisos/jedisos/internal/twoproc"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/postgres"
)

var (
	server    *pgtest.Server
	serverErr error
	schemas   atomic.Int64
)

func openDSN(ctx context.Context, dsn string) (state.Checkpointer, func(), error) {
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	return s, s.Close, nil
}

func TestMain(m *testing.M) {
	twoproc.Child(openDSN)
	flag.Parse()
	server, serverErr = pgtest.Start(context.Background())
	if server != nil {
		fmt.Fprintln(os.Stderr, "postgres:", server.How)
		// The examples read DATABASE_URL, as a program would.
		dsn, err := server.Schema(context.Background(), "example")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Setenv("DATABASE_URL", dsn)
	} else if os.Getenv("CI") == "" && errors.Is(serverErr, pgtest.ErrNoServer) {
		// Examples cannot skip themselves: leave them out.
		fmt.Fprintln(os.Stderr, "postgres: examples skipped:", serverErr)
		flag.Set("test.skip", "^Example")
	}
	code := 0
	func() {
		defer server.Stop()
		code = m.Run()
	}()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// need returns a DSN for a fresh, empty schema, or skips the test (fails it
// under CI) when no server can be had.
func need(t testing.TB) string {
	t.Helper()
	if serverErr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("no PostgreSQL for the tests under CI: %v", serverErr)
		}
		if errors.Is(serverErr, pgtest.ErrNoServer) {
			t.Skipf("skipped: %v", serverErr)
		}
		t.Fatalf("could not start PostgreSQL: %v", serverErr)
	}
	name := fmt.Sprintf("t%d_%s", schemas.Add(1), strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())))
	if len(name) > 60 {
		name = name[:60]
	}
	dsn, err := server.Schema(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

func open(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), need(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}
