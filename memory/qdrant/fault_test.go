package qdrant_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

func mems(bank string, n int) []memory.Memory {
	out := make([]memory.Memory, n)
	for i := range out {
		out[i] = memorytest.Mem(bank, fmt.Sprintf("Fact number %d about the garden.", i), memorytest.Vec(i, i+1, 0.3))
	}
	return out
}

func idsOf(ms []memory.Memory) []string {
	out := make([]string, len(ms))
	for i := range ms {
		out[i] = ms[i].ID
	}
	return out
}

func count(t *testing.T, s memory.Store, bank string) int {
	t.Helper()
	n, err := s.Count(ctxT(t), bank, memory.Filter{})
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	return n
}

func TestRetryUnavailableTwiceThenSucceeds(t *testing.T) {
	s, srv := open(t)
	ms := mems("b", 3)
	if err := srv.FailNext(qdrant.Points_Upsert_FullMethodName, 2, codes.Unavailable); err != nil {
		t.Fatal(err)
	}
	before := s.RoundTrips()
	if err := s.Upsert(ctxT(t), ms); err != nil {
		t.Fatalf("Upsert after two transient failures: %v", err)
	}
	if got := srv.Calls(qdrant.Points_Upsert_FullMethodName); got != 3 {
		t.Fatalf("server saw %d upserts, want 3 (two failures, one success)", got)
	}
	if got := s.RoundTrips() - before; got != 3 {
		t.Fatalf("RoundTrips grew by %d, want 3", got)
	}
	if n := count(t, s, "b"); n != 3 {
		t.Fatalf("count %d, want 3", n)
	}
	// the same for a read: a fused search
	if err := srv.FailNext(qdrant.Points_Query_FullMethodName, 2, codes.DeadlineExceeded); err != nil {
		t.Fatal(err)
	}
	res, err := s.Search(ctxT(t), memory.SearchRequest{Bank: "b", Limit: 5, Dense: memorytest.Vec(0, 1, 0), Fused: true})
	if err != nil || len(res.Candidates) == 0 || !res.Fused {
		t.Fatalf("fused search after two DeadlineExceeded: %v, %+v", err, res)
	}
}

func TestPermanentErrorIsNotRetried(t *testing.T) {
	s, srv := open(t)
	if err := srv.FailNext(qdrant.Points_Upsert_FullMethodName, 1, codes.InvalidArgument); err != nil {
		t.Fatal(err)
	}
	ms := mems("b", 2)
	err := s.Upsert(ctxT(t), ms)
	var ue *mq.UpsertError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UpsertError", err)
	}
	if mq.Code(err) != codes.InvalidArgument || errors.Is(err, mq.ErrUnavailable) {
		t.Fatalf("err = %v: want code InvalidArgument and not ErrUnavailable", err)
	}
	if !slices.Equal(ue.NotStored, idsOf(ms)) || len(ue.Stored) != 0 {
		t.Fatalf("stored %v, not stored %v", ue.Stored, ue.NotStored)
	}
	if got := srv.Calls(qdrant.Points_Upsert_FullMethodName); got != 1 {
		t.Fatalf("a permanent failure was sent %d times, want 1", got)
	}
}

// TestServerDiesMidBatch: the server applies half of the second batch and
// goes away. The call must not acknowledge that batch (nor later ones),
// must say exactly which memories were not stored, and upserting those
// again once the server is back must complete the bank.
func TestServerDiesMidBatch(t *testing.T) {
	var srvp atomic.Pointer[qdranttest.Server]
	var upserts atomic.Int32
	stopper := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if method == qdrant.Points_Upsert_FullMethodName && upserts.Add(1) == 2 {
			srvp.Load().StopAfterPoints(2)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	s, srv := open(t, func(c *mq.Config) {
		c.BatchSize = 4
		c.MaxRetries = 3
		c.DialOptions = []grpc.DialOption{stopper}
	})
	srvp.Store(srv)
	ms := mems("b", 10)
	err := s.Upsert(ctxT(t), ms)
	var ue *mq.UpsertError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v, want *UpsertError", err)
	}
	if !errors.Is(err, mq.ErrUnavailable) || mq.Code(err) != codes.Unavailable {
		t.Fatalf("err = %v, want ErrUnavailable with code Unavailable", err)
	}
	if !slices.Equal(ue.Stored, idsOf(ms[:4])) {
		t.Fatalf("Stored = %v, want the first batch %v", ue.Stored, idsOf(ms[:4]))
	}
	if !slices.Equal(ue.NotStored, idsOf(ms[4:])) {
		t.Fatalf("NotStored = %v, want %v", ue.NotStored, idsOf(ms[4:]))
	}
	for _, id := range ue.NotStored[:4] {
		if !strings.Contains(err.Error(), id) {
			t.Fatalf("error %q does not name unstored memory %s", err, id)
		}
	}
	// 1 good batch + 1 + 3 retries of the failing one
	if got := srv.Calls(qdrant.Points_Upsert_FullMethodName); got != 5 {
		t.Fatalf("server saw %d upserts, want 5", got)
	}
	srv.Resume()
	// what was acknowledged is there; the half-applied batch may be too
	got, err := s.Get(ctxT(t), "b", ue.Stored)
	if err != nil || len(got) != 4 {
		t.Fatalf("acknowledged memories after restart: %d, %v", len(got), err)
	}
	if n := count(t, s, "b"); n != 6 {
		t.Fatalf("count after restart %d, want 6 (4 acknowledged + 2 applied unacknowledged)", n)
	}
	if err := s.Upsert(ctxT(t), ms[4:]); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "b"); n != 10 {
		t.Fatalf("count after re-upserting the unstored memories %d, want 10", n)
	}
}

func TestRetriesStopAtTheDeadline(t *testing.T) {
	s, srv := open(t, func(c *mq.Config) {
		c.MaxRetries = 1000
		c.RetryBase = 20 * time.Millisecond
		c.RetryMax = 20 * time.Millisecond
	})
	srv.SetDown(true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := s.Count(ctx, "b", memory.Filter{})
	if !errors.Is(err, mq.ErrUnavailable) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable or DeadlineExceeded", err)
	}
	if calls := srv.Calls(qdrant.Points_Count_FullMethodName); calls < 1 || calls > 10 {
		t.Fatalf("server saw %d counts within a 100ms deadline with 10-20ms backoff", calls)
	}
}

func TestAPIKeyNeverInErrors(t *testing.T) {
	const good, bad = "good-key-123", "sk-wrong-secret-456"
	srv := qdranttest.Start(t, qdranttest.WithAPIKey(good))
	cfg := cfgFor(srv)
	cfg.APIKey = bad
	_, err := mq.Open(ctxT(t), cfg)
	if err == nil || mq.Code(err) != codes.Unauthenticated {
		t.Fatalf("Open with a wrong key: %v, want Unauthenticated", err)
	}
	if got := srv.Calls(qdrant.Collections_CollectionExists_FullMethodName); got != 1 {
		t.Fatalf("an authentication failure was retried: %d calls", got)
	}
	for _, text := range []string{err.Error(), cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		if strings.Contains(text, bad) {
			t.Fatalf("API key leaked: %s", text)
		}
	}
	cfg.APIKey = good
	s, err := mq.Open(ctxT(t), cfg)
	if err != nil {
		t.Fatalf("Open with the right key: %v", err)
	}
	defer s.Close()
	if err := s.Upsert(ctxT(t), mems("b", 1)); err != nil {
		t.Fatal(err)
	}
}

func TestClosed(t *testing.T) {
	s, _ := open(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := s.Upsert(ctxT(t), mems("b", 1)); !errors.Is(err, memory.ErrClosed) {
		t.Fatalf("Upsert after Close: %v", err)
	}
	if _, err := s.Search(ctxT(t), memory.SearchRequest{Bank: "b", Limit: 1, Dense: memorytest.Vec(0, 1, 0)}); !errors.Is(err, memory.ErrClosed) {
		t.Fatalf("Search after Close: %v", err)
	}
}

// TestCallTimeoutRetriesAHungAttempt: the first Count hangs until its
// attempt times out (CallTimeout); the retry succeeds.
func TestCallTimeoutRetriesAHungAttempt(t *testing.T) {
	var counts atomic.Int32
	hang := grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if method == qdrant.Points_Count_FullMethodName && counts.Add(1) == 1 {
			<-ctx.Done() // a server that never answers
			return invoker(ctx, method, req, reply, cc, opts...)
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	})
	s, _ := open(t, func(c *mq.Config) {
		c.CallTimeout = 300 * time.Millisecond
		c.DialOptions = []grpc.DialOption{hang}
	})
	if err := s.Upsert(ctxT(t), mems("b", 2)); err != nil {
		t.Fatal(err)
	}
	n, err := s.Count(ctxT(t), "b", memory.Filter{})
	if err != nil || n != 2 {
		t.Fatalf("Count = %d, %v; want 2 after one timed-out attempt", n, err)
	}
	if counts.Load() != 2 {
		t.Fatalf("%d count attempts, want 2", counts.Load())
	}
}

// TestCloseDuringCalls closes the store while searches and upserts run:
// every call either succeeds or fails with memory.ErrClosed, and nothing
// panics or races.
func TestCloseDuringCalls(t *testing.T) {
	s, _ := open(t)
	corpus(t, s, "b", 30)
	errs := make(chan error, 64)
	start := make(chan struct{})
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func(w int) {
			defer func() { done <- struct{}{} }()
			<-start
			for i := 0; i < 20; i++ {
				var err error
				if i%2 == 0 {
					_, err = s.Search(context.Background(), fullRequest("b"))
				} else {
					err = s.Upsert(context.Background(), mems(fmt.Sprintf("w%d", w), 3))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	close(start)
	time.Sleep(5 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for w := 0; w < 4; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		if !errors.Is(err, memory.ErrClosed) {
			t.Errorf("call during Close: %v, want ErrClosed", err)
		}
	}
}

func TestOpenUnreachableServer(t *testing.T) {
	srv, err := qdranttest.New()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cfgFor(srv)
	srv.Close() // nothing listens on the port any more
	cfg.MaxRetries = 2
	_, err = mq.Open(ctxT(t), cfg)
	if !errors.Is(err, mq.ErrUnavailable) || !strings.Contains(err.Error(), "bootstrap") {
		t.Fatalf("Open of a stopped server: %v, want ErrUnavailable from the bootstrap", err)
	}
}
