package state_test

import (
	"testing"

	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/statetest"
)

func TestMemoryContract(t *testing.T) {
	statetest.Run(t, func(*testing.T) state.Checkpointer { return state.NewMemory() })
}
