package memory_test

import (
	"path/filepath"
	"testing"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
)

func TestEmbeddedContractInMemory(t *testing.T) {
	memorytest.RunStoreContract(t, func(t *testing.T) memory.Store { return memory.NewEmbeddedStore() })
}

func TestEmbeddedContractFile(t *testing.T) {
	memorytest.RunStoreContract(t, func(t *testing.T) memory.Store {
		s, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: filepath.Join(t.TempDir(), "mem.db"), NoSync: true})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestEmbeddedContractHNSW(t *testing.T) {
	memorytest.RunStoreContract(t, func(t *testing.T) memory.Store {
		s, err := memory.OpenEmbedded(memory.EmbeddedOptions{HNSWThreshold: 2})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
