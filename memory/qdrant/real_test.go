package qdrant_test

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"strconv"
	"testing"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"github.com/qdrant/go-client/qdrant"
)

// realConfig returns a configuration for the Qdrant server at QDRANT_ADDR
// (host:port of the gRPC port), skipping the test when it is not set.
// QDRANT_API_KEY and QDRANT_TLS=1 are honoured.
func realConfig(t *testing.T) mq.Config {
	t.Helper()
	addr := os.Getenv("QDRANT_ADDR")
	if addr == "" {
		t.Skip("QDRANT_ADDR not set: the real-Qdrant tests run only against a server you start, e.g. docker run -p 6334:6334 qdrant/qdrant")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("QDRANT_ADDR=%q: want host:port: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("QDRANT_ADDR=%q: bad port: %v", addr, err)
	}
	return mq.Config{Host: host, Port: p, APIKey: os.Getenv("QDRANT_API_KEY"), UseTLS: os.Getenv("QDRANT_TLS") == "1",
		Dimension: memorytest.Dim}
}

// openReal opens a store on a fresh, uniquely named collection that is
// deleted when the test ends.
func openReal(t *testing.T) *mq.Store {
	t.Helper()
	cfg := realConfig(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	cfg.Collection = "jedisos_test_" + hex.EncodeToString(b[:])
	// The test keeps its own client: the contract suite closes the store
	// before this cleanup runs, and the collection must still be dropped.
	c, err := qdrant.NewClient(&qdrant.Config{Host: cfg.Host, Port: cfg.Port, APIKey: cfg.APIKey, UseTLS: cfg.UseTLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.DeleteCollection(ctxT(t), cfg.Collection)
		_ = c.Close()
	})
	s, err := mq.NewWithClient(ctxT(t), c, cfg)
	if err != nil {
		t.Fatalf("NewWithClient %s: %v", cfg, err)
	}
	return s
}

// TestRealQdrantContract runs the contract suite, per arm and fused,
// against a real Qdrant server.
func TestRealQdrantContract(t *testing.T) {
	realConfig(t)
	t.Run("PerArm", func(t *testing.T) {
		memorytest.RunStoreContract(t, func(t *testing.T) memory.Store { return openReal(t) })
	})
	t.Run("Fused", func(t *testing.T) {
		memorytest.RunStoreContract(t, func(t *testing.T) memory.Store { return fusedStore{openReal(t)} })
	})
}

// TestRealQdrantRoundTrips checks the round-trip counts on a real server.
func TestRealQdrantRoundTrips(t *testing.T) {
	s := openReal(t)
	distinctCorpus(t, s, "b", 40)
	for _, tc := range []struct {
		fused bool
		seeds int
		want  uint64
	}{{true, 0, 1}, {true, 5, 2}, {false, 0, 1}, {false, 5, 2}} {
		req := fullRequest("b")
		req.Fused, req.EntitySeeds = tc.fused, tc.seeds
		before := s.RoundTrips()
		res, err := s.Search(ctxT(t), req)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.RoundTrips() - before; got != tc.want || len(res.Candidates) == 0 {
			t.Errorf("fused=%v seeds=%d: %d round trips (want %d), %d candidates", tc.fused, tc.seeds, got, tc.want, len(res.Candidates))
		}
	}
}
