package sqlite_test

import (
	"context"
	"testing"

	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/internal/twoproc"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

func openPath(_ context.Context, path string) (state.Checkpointer, func(), error) {
	s, err := sqlite.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return s, func() { s.Close() }, nil
}

func TestMain(m *testing.M) {
	twoproc.Child(openPath)
	goleak.VerifyTestMain(m)
}
