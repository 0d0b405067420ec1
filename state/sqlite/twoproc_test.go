package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/jedisos/jedisos/internal/twoproc"
)

// TestTwoProcesses runs two OS processes that write one thread of one
// SQLite file at once, first as bare Put chains, then as graph runs: no
// acknowledged write is lost or saved twice, the history stays a single
// chain, and every refused write was a conflict (or, for a graph run, the
// thread busy with the other process's run).
func TestTwoProcesses(t *testing.T) {
	for _, mode := range []string{twoproc.Puts, twoproc.Runs} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shared.db")
			res := twoproc.Run(t, openPath, path, mode, 300)
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
