package temporal_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/jedisos/jedisos/temporal/devserver"
)

// serverEnv names an external Temporal frontend ("host:port" or
// "host:port/namespace") to test against instead of the in-process one.
const serverEnv = "JEDISOS_TEST_TEMPORAL"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(childWorker(spec))
	}
	code := m.Run()
	if srv != nil {
		_ = srv.Stop()
	}
	os.Exit(code)
}

var (
	srvOnce  sync.Once
	srv      *devserver.Server
	srvErr   error
	hostPort string
	ns       string
)

// server returns the address and namespace of a running Temporal server:
// the one JEDISOS_TEST_TEMPORAL names, else one started in this process
// (SQLite in memory) on first use.
func server(t testing.TB) (string, string) {
	t.Helper()
	srvOnce.Do(func() {
		if v := os.Getenv(serverEnv); v != "" {
			hostPort, ns, _ = strings.Cut(v, "/")
			if ns == "" {
				ns = "default"
			}
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		srv, srvErr = devserver.Start(ctx, devserver.Options{})
		if srvErr == nil {
			hostPort, ns = srv.HostPort(), srv.Namespace()
		}
	})
	if srvErr != nil {
		t.Fatalf("starting the in-process Temporal server: %v", srvErr)
	}
	return hostPort, ns
}

// dial returns a client of the test server, closed when the test ends.
func dial(t testing.TB) client.Client {
	t.Helper()
	hp, n := server(t)
	c, err := client.Dial(client.Options{HostPort: hp, Namespace: n, Logger: quiet{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// startWorker runs a worker for g on a task queue of its own and returns
// the queue's name.
func startWorker(t testing.TB, c client.Client, register func(worker.Registry)) string {
	t.Helper()
	tq := fmt.Sprintf("%s-%d", strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()), time.Now().UnixNano())
	w := worker.New(c, tq, worker.Options{})
	register(w)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	return tq
}
