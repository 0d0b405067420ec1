package qdrant_test

import (
	"context"
	"testing"
	"time"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func ctxT(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// cfgFor points a store configuration at an in-process server.
func cfgFor(srv *qdranttest.Server) mq.Config {
	return mq.Config{
		Host: srv.Host(), Port: srv.Port(), SkipCompatibilityCheck: true,
		Dimension: memorytest.Dim, RetryBase: time.Millisecond, RetryMax: 4 * time.Millisecond,
	}
}

// open starts a server and opens a store on it; both close with the test.
func open(t testing.TB, opts ...func(*mq.Config)) (*mq.Store, *qdranttest.Server) {
	t.Helper()
	srv := qdranttest.Start(t)
	cfg := cfgFor(srv)
	for _, o := range opts {
		o(&cfg)
	}
	s, err := mq.Open(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, srv
}
