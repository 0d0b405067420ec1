package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/jedisos/jedisos/internal/twoproc"
)

// TestTwoProcesses runs two OS processes that write one thread of one
// SQLite file at once as Put chains (and, with JEDISOS_TWOPROC_GRAPH set,
// as graph runs): no acknowledged write is lost, the history stays a single
// chain, and every refused write was a conflict.
func TestTwoProcesses(t *testing.T) {
	for _, mode := range []string{twoproc.Puts, twoproc.Runs} {
		t.Run(mode, func(t *testing.T) {
			if mode == twoproc.Runs && os.Getenv("JEDISOS_TWOPROC_GRAPH") == "" {
				// Across processes a run can still pick up the saved writes
				// of another process's step in flight as its own (the
				// store keeps the history a chain; the graph applies those
				// writes twice): see the state notes. Opt in to run it.
				t.Skip("graph runs from two processes: set JEDISOS_TWOPROC_GRAPH=1")
			}
			path := filepath.Join(t.TempDir(), "shared.db")
			res := twoproc.Run(t, openPath, path, mode, 300)
			t.Logf("%s: %d acknowledged, %d saved, %d lost, %d conflicts retried", mode, res.Acked, res.Saved, res.Lost, res.Conflicts)
			if res.Lost != 0 || res.Acked != 600 || res.Saved != 600 {
				t.Fatalf("%d of %d acknowledged writes lost (%d saved)", res.Lost, res.Acked, res.Saved)
			}
			if res.Conflicts == 0 {
				t.Fatal("the two processes never conflicted: the test did not overlap them")
			}
		})
	}
}
