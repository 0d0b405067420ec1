package qdranttest

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Version is the server version reported by HealthCheck.
const Version = "1.17.1"

// apiKeyHeader is the metadata key the go-client sends the API key in.
const apiKeyHeader = "api-key"

// ErrUnknownMethod is returned by FailNext and SetDelay for a method name
// the server does not serve.
var ErrUnknownMethod = errors.New("qdranttest: unknown gRPC method")

// Option configures a Server.
type Option func(*Server)

// WithAPIKey makes the server reject every call whose "api-key" metadata is
// missing or differs from key with codes.Unauthenticated.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKey = key }
}

// Server is an in-process Qdrant gRPC server over an in-memory index.
type Server struct {
	apiKey string

	lis  net.Listener
	grpc *grpc.Server
	done chan struct{}

	mu          sync.RWMutex
	collections map[string]*collection
	opID        uint64

	fmu       sync.Mutex
	calls     map[string]int
	faults    map[string]*fault
	down      bool
	stopAfter int // points of the next upsert to apply before going down; -1 when unarmed
	record    bool
	requests  map[string][]proto.Message
	delays    map[string]time.Duration

	closeOnce sync.Once
}

type fault struct {
	remaining int
	code      codes.Code
}

// New starts a server listening on 127.0.0.1 with a random port.
func New(opts ...Option) (*Server, error) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("qdranttest: listen: %w", err)
	}
	s := &Server{
		lis:         lis,
		done:        make(chan struct{}),
		collections: map[string]*collection{},
		calls:       map[string]int{},
		faults:      map[string]*fault{},
		stopAfter:   -1,
		requests:    map[string][]proto.Message{},
		delays:      map[string]time.Duration{},
	}
	for _, o := range opts {
		o(s)
	}
	s.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(s.intercept),
		// The go-client pings every 10 s even without active streams.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
	)
	qdrant.RegisterQdrantServer(s.grpc, healthService{s: s})
	qdrant.RegisterCollectionsServer(s.grpc, &collectionsService{s: s})
	qdrant.RegisterPointsServer(s.grpc, &pointsService{s: s})
	go func() {
		defer close(s.done)
		_ = s.grpc.Serve(lis)
	}()
	return s, nil
}

// Start starts a server for the test and closes it when the test ends.
// It fails the test if the server cannot start.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("qdranttest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Addr returns the "host:port" address the server listens on.
func (s *Server) Addr() string { return s.lis.Addr().String() }

// Host returns the host the server listens on (always "127.0.0.1").
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.Addr())
	return h
}

// Port returns the TCP port the server listens on.
func (s *Server) Port() int {
	_, p, _ := net.SplitHostPort(s.Addr())
	n, _ := strconv.Atoi(p)
	return n
}

// Config returns a client configuration pointing at the server, with the
// compatibility check skipped.
func (s *Server) Config() *qdrant.Config {
	return &qdrant.Config{Host: s.Host(), Port: s.Port(), SkipCompatibilityCheck: true}
}

// Close stops the server, aborting calls in flight. It is safe to call more
// than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.grpc.Stop()
		<-s.done
	})
}

// FailNext makes the next n calls of method (a full gRPC method name such as
// qdrant.Points_Upsert_FullMethodName) fail with code before doing anything.
// Calling it again for the same method replaces the previous setting; n <= 0
// clears it.
func (s *Server) FailNext(method string, n int, code codes.Code) error {
	if !knownMethod(method) {
		return fmt.Errorf("%w %q (use a qdrant.*_FullMethodName constant)", ErrUnknownMethod, method)
	}
	if code == codes.OK {
		return fmt.Errorf("qdranttest: FailNext(%q): code must not be OK", method)
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if n <= 0 {
		delete(s.faults, method)
		return nil
	}
	s.faults[method] = &fault{remaining: n, code: code}
	return nil
}

// SetDelay makes every call of method (a full gRPC method name) wait d
// before it is handled, or return codes.DeadlineExceeded / codes.Canceled
// if the caller's context ends first. d <= 0 removes the delay.
func (s *Server) SetDelay(method string, d time.Duration) error {
	if !knownMethod(method) {
		return fmt.Errorf("%w %q (use a qdrant.*_FullMethodName constant)", ErrUnknownMethod, method)
	}
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if d <= 0 {
		delete(s.delays, method)
	} else {
		s.delays[method] = d
	}
	return nil
}

// StopAfterPoints arms a mid-batch stop: the next valid Upsert call applies
// only its first k points (in request order), then the server goes down.
// That Upsert and every later call fail with codes.Unavailable until Resume
// is called. With k at least the batch size every point is applied but the
// call still fails, as when a server dies before acknowledging. UpdateBatch
// is not affected.
func (s *Server) StopAfterPoints(k int) {
	if k < 0 {
		k = 0
	}
	s.fmu.Lock()
	s.stopAfter = k
	s.fmu.Unlock()
}

// SetDown makes every call fail with codes.Unavailable (true) or serves
// normally again (false). Stored data is kept either way.
func (s *Server) SetDown(down bool) {
	s.fmu.Lock()
	s.down = down
	s.fmu.Unlock()
}

// Resume brings the server back after StopAfterPoints or SetDown(true) and
// disarms a pending mid-batch stop.
func (s *Server) Resume() {
	s.fmu.Lock()
	s.down = false
	s.stopAfter = -1
	s.fmu.Unlock()
}

// Calls returns how many calls of method (a full gRPC method name) the
// server received, including rejected and failed ones.
func (s *Server) Calls(method string) int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	return s.calls[method]
}

// CallCounts returns a copy of the per-method call counters.
func (s *Server) CallCounts() map[string]int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}

// TotalCalls returns the number of calls received across all methods.
func (s *Server) TotalCalls() int {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	n := 0
	for _, v := range s.calls {
		n += v
	}
	return n
}

// ResetCalls sets every call counter back to zero.
func (s *Server) ResetCalls() {
	s.fmu.Lock()
	s.calls = map[string]int{}
	s.fmu.Unlock()
}

// RecordRequests turns recording of received requests on or off. While on,
// every request (including rejected ones) is kept for Requests.
func (s *Server) RecordRequests(on bool) {
	s.fmu.Lock()
	s.record = on
	s.fmu.Unlock()
}

// Requests returns copies of the recorded requests of method (a full gRPC
// method name), oldest first, so a test can compare the exact messages a
// client sent with golden values.
func (s *Server) Requests(method string) []proto.Message {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	out := make([]proto.Message, len(s.requests[method]))
	for i, m := range s.requests[method] {
		out[i] = proto.Clone(m)
	}
	return out
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.fmu.Lock()
	s.requests = map[string][]proto.Message{}
	s.fmu.Unlock()
}

// Methods returns the full gRPC method names the server serves, sorted.
func Methods() []string {
	var out []string
	for _, sd := range []grpc.ServiceDesc{qdrant.Qdrant_ServiceDesc, qdrant.Collections_ServiceDesc, qdrant.Points_ServiceDesc} {
		for _, m := range sd.Methods {
			out = append(out, "/"+sd.ServiceName+"/"+m.MethodName)
		}
	}
	sort.Strings(out)
	return out
}

func knownMethod(m string) bool {
	for _, x := range Methods() {
		if x == m {
			return true
		}
	}
	return false
}

func (s *Server) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	// A bug in this server must fail the call, not the whole test binary.
	defer func() {
		if r := recover(); r != nil {
			resp, err = nil, status.Errorf(codes.Internal, "qdranttest: internal error in %s: %v", info.FullMethod, r)
		}
	}()
	s.fmu.Lock()
	s.calls[info.FullMethod]++
	if m, ok := req.(proto.Message); ok && s.record {
		s.requests[info.FullMethod] = append(s.requests[info.FullMethod], proto.Clone(m))
	}
	down := s.down
	delay := s.delays[info.FullMethod]
	var injected *status.Status
	if f := s.faults[info.FullMethod]; f != nil && !down {
		injected = status.Newf(f.code, "qdranttest: injected %s failure for %s (%d more to come)", f.code, info.FullMethod, f.remaining-1)
		f.remaining--
		if f.remaining <= 0 {
			delete(s.faults, info.FullMethod)
		}
	}
	s.fmu.Unlock()

	if s.apiKey != "" {
		md, _ := metadata.FromIncomingContext(ctx)
		got := md.Get(apiKeyHeader)
		if len(got) == 0 {
			return nil, status.Error(codes.Unauthenticated, "Must provide an API key or an Authorization bearer token")
		}
		if subtle.ConstantTimeCompare([]byte(got[0]), []byte(s.apiKey)) != 1 {
			return nil, status.Error(codes.Unauthenticated, "Invalid API key or JWT")
		}
	}
	if delay > 0 {
		timer := time.NewTimer(delay)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
	if down {
		return nil, status.Error(codes.Unavailable, "qdranttest: server is down")
	}
	if injected != nil {
		return nil, injected.Err()
	}
	return handler(ctx, req)
}

// takeStop returns how many points the current upsert may apply before the
// server goes down, and whether a stop is armed. Arming is consumed.
func (s *Server) takeStop() (int, bool) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.stopAfter < 0 {
		return 0, false
	}
	k := s.stopAfter
	s.stopAfter = -1
	s.down = true
	return k, true
}

type healthService struct {
	qdrant.UnimplementedQdrantServer
	s *Server
}

// HealthCheck reports the server title and version.
func (healthService) HealthCheck(context.Context, *qdrant.HealthCheckRequest) (*qdrant.HealthCheckReply, error) {
	return &qdrant.HealthCheckReply{Title: "qdrant - vector search engine (qdranttest)", Version: Version}, nil
}
