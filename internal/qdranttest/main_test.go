package qdranttest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"go.uber.org/goleak"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// behaviour returns the client the behaviour tests (filters, scores, fusion)
// run against and a function mapping a collection name to the one to use.
//
// By default that is a fresh in-process server. When QDRANT_ADDR is set
// ("host:port" of a real Qdrant's gRPC port, QDRANT_API_KEY optional) the
// same tests run against that server instead, in collections with a unique
// prefix that are deleted afterwards, to check the in-process server
// against the real one. Tests of behaviour only the in-process server has
// (fault hooks, its own error texts, Unimplemented answers) use Start
// directly and always run in process.
func behaviour(t *testing.T) (*qdrant.Client, func(string) string) {
	t.Helper()
	addr := os.Getenv("QDRANT_ADDR")
	if addr == "" {
		srv := Start(t)
		return client(t, srv), func(n string) string { return n }
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("QDRANT_ADDR=%q: want host:port: %v", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("QDRANT_ADDR=%q: bad port: %v", addr, err)
	}
	c, err := qdrant.NewClient(&qdrant.Config{Host: host, Port: p, APIKey: os.Getenv("QDRANT_API_KEY"), SkipCompatibilityCheck: true})
	if err != nil {
		t.Fatalf("connect to %s: %v", addr, err)
	}
	prefix := fmt.Sprintf("qdranttest_%d_%s_", time.Now().UnixNano(), strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()))
	var made []string
	t.Cleanup(func() {
		for _, n := range made {
			_ = c.DeleteCollection(context.Background(), n)
		}
		_ = c.Close()
	})
	return c, func(n string) string {
		full := prefix + n
		for _, m := range made {
			if m == full {
				return full
			}
		}
		made = append(made, full)
		return full
	}
}

// inProcessOnly skips a sub-test whose expectation is specific to the
// in-process server when the behaviour tests run against a real Qdrant.
func inProcessOnly(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("QDRANT_ADDR") != "" {
		t.Skip("in-process only: " + why)
	}
}

// client connects a real go-client to srv and closes it when the test ends.
func client(t testing.TB, srv *Server) *qdrant.Client {
	t.Helper()
	c, err := qdrant.NewClient(srv.Config())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// codeOf extracts the gRPC code from an error the go-client returned.
func codeOf(err error) codes.Code {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if s, ok := status.FromError(e); ok {
			return s.Code()
		}
	}
	return codes.Unknown
}

func wantCode(t *testing.T, err error, want codes.Code, contains ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %v error, got nil", want)
	}
	if got := codeOf(err); got != want {
		t.Fatalf("want code %v, got %v (%v)", want, got, err)
	}
	if os.Getenv("QDRANT_ADDR") != "" {
		return // a real server words its errors differently
	}
	for _, s := range contains {
		if !strings.Contains(err.Error(), s) {
			t.Fatalf("error %q does not mention %q", err, s)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// hybrid creates a collection with a 4-dim dense vector (distance d) and a
// sparse "bm25" vector with the IDF modifier.
func hybrid(t testing.TB, c *qdrant.Client, name string, d qdrant.Distance) {
	t.Helper()
	must(t, c.CreateCollection(ctx(t), &qdrant.CreateCollection{
		CollectionName: name,
		VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
			"dense": {Size: 4, Distance: d},
		}),
		SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
			"bm25": {Modifier: qdrant.Modifier_Idf.Enum()},
		}),
	}))
}

func ids(pts []*qdrant.ScoredPoint) []uint64 {
	out := make([]uint64, len(pts))
	for i, p := range pts {
		out[i] = p.GetId().GetNum()
	}
	return out
}

func rids(pts []*qdrant.RetrievedPoint) []uint64 {
	out := make([]uint64, len(pts))
	for i, p := range pts {
		out[i] = p.GetId().GetNum()
	}
	return out
}

func eqIDs(t *testing.T, what string, got, want []uint64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got ids %v, want %v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: got ids %v, want %v", what, got, want)
		}
	}
}

func near(t *testing.T, what string, got float32, want float64) {
	t.Helper()
	if d := float64(got) - want; d > 1e-5 || d < -1e-5 {
		t.Fatalf("%s: got %.7f, want %.7f", what, got, want)
	}
}
