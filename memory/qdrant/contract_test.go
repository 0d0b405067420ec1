package qdrant_test

import (
	"testing"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
)

// TestContract runs the memory engine's contract suite, unchanged,
// through a real qdrant.NewClient against the in-process server.
func TestContract(t *testing.T) {
	memorytest.RunStoreContract(t, func(t *testing.T) memory.Store {
		s, _ := open(t)
		return s
	})
}
