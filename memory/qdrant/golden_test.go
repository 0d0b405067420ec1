package qdrant_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/memory/memorytest"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// recorder captures every request the client sends.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
}

type recorded struct {
	method string
	msg    proto.Message
}

func (r *recorder) option() grpc.DialOption {
	return grpc.WithChainUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		r.mu.Lock()
		r.reqs = append(r.reqs, recorded{method, proto.Clone(req.(proto.Message))})
		r.mu.Unlock()
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

func (r *recorder) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

// of returns the captured requests of one method.
func (r *recorder) of(method string) []proto.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []proto.Message
	for _, x := range r.reqs {
		if x.method == method {
			out = append(out, x.msg)
		}
	}
	return out
}

// canonical renders messages as indented JSON with sorted keys, so the
// golden files are stable across protobuf versions.
func canonical(t *testing.T, msgs []proto.Message) []byte {
	t.Helper()
	var all []any
	for _, m := range msgs {
		b, err := protojson.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		all = append(all, v)
	}
	out, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

func golden(t *testing.T, name string, msgs []proto.Message) {
	t.Helper()
	got := canonical(t, msgs)
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the message sent:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

var day = 24 * time.Hour
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// goldenMemories are the memories of the golden tests: one with every
// field set, and plainer ones.
func goldenMemories() []memory.Memory {
	m := memorytest.Mem("mina", "Mina moved to Busan in March 2025.", memorytest.Vec(0, 1, 0.2))
	m.Kind = memory.KindOpinion
	m.Context = "chat with Mina"
	m.Entities = []string{"Mina", " Busan "}
	m.Tags = []string{"move", "personal"}
	m.OccurredStart = t0
	m.OccurredEnd = t0.Add(48 * time.Hour)
	m.MentionedAt = t0.Add(72 * time.Hour)
	m.DocumentID = "doc-1"
	m.Metadata = map[string]string{"source": "chat"}
	m.Confidence = 0.75
	m.Links = []memory.Link{{Target: memory.MemoryID("mina", "Mina likes the sea."), Kind: memory.LinkCausal, Weight: 0.5}}
	n := memorytest.Mem("mina", "Mina likes the sea.", memorytest.Vec(0, 2, 0.4))
	n.Entities = []string{"Mina"}
	n.MentionedAt = t0.Add(-day)
	o := memorytest.Mem("mina", "민수는 부산에서 일한다.", memorytest.Vec(3, 4, 0))
	o.Entities = []string{"민수", "부산"}
	return []memory.Memory{m, n, o}
}

func openRecorded(t *testing.T) (*mq.Store, *recorder) {
	rec := &recorder{}
	s, _ := open(t, func(c *mq.Config) { c.DialOptions = []grpc.DialOption{rec.option()} })
	rec.reset()
	return s, rec
}

func TestGoldenUpsert(t *testing.T) {
	s, rec := openRecorded(t)
	if err := s.Upsert(ctxT(t), goldenMemories()); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBank(ctxT(t), memory.Bank{ID: "mina", Name: "Mina", Background: "A designer in Seoul.",
		Disposition: memory.Disposition{Skepticism: 4, Literalism: 2, Empathy: 5}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	golden(t, "upsert.json", rec.of(qdrant.Points_Upsert_FullMethodName))
}

func TestGoldenFusedQuery(t *testing.T) {
	s, rec := openRecorded(t)
	if err := s.Upsert(ctxT(t), goldenMemories()); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	_, err := s.Search(ctxT(t), memory.SearchRequest{
		Bank: "mina", Limit: 5, Fused: true,
		Filter: memory.Filter{Kinds: []memory.Kind{memory.KindWorld, memory.KindOpinion}, TagsAll: []string{"move"}},
		Dense:  memorytest.Vec(0, 1, 0), MinSimilarity: 0.3,
		Sparse: memory.DefaultBM25.Query("Busan move"), MinKeywordScore: 0.5,
		Entities: []string{"Busan"}, EntitySeeds: 2, MinEntityScore: 0.25,
		Window: &memory.TimeRange{Start: t0.Add(-day), End: t0.Add(7 * day)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// the seed lookup, then the one fused query
	golden(t, "query_fused.json", rec.of(qdrant.Points_Query_FullMethodName))
	if n := len(rec.of(qdrant.Points_QueryBatch_FullMethodName)); n != 0 {
		t.Fatalf("fused search sent %d QueryBatch calls", n)
	}
}

func TestGoldenArmsQuery(t *testing.T) {
	s, rec := openRecorded(t)
	if err := s.Upsert(ctxT(t), goldenMemories()); err != nil {
		t.Fatal(err)
	}
	rec.reset()
	_, err := s.Search(ctxT(t), memory.SearchRequest{
		Bank: "mina", Limit: 5,
		Dense: memorytest.Vec(0, 1, 0), MinSimilarity: 0.3,
		Sparse: memory.DefaultBM25.Query("부산"), MinKeywordScore: 0.5,
		Entities: []string{"민수"}, MinEntityScore: 0.25,
		Window: &memory.TimeRange{Start: t0.Add(-day)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// Dense-less temporal arm: two order_by queries around the window's middle
	_, err = s.Search(ctxT(t), memory.SearchRequest{Bank: "mina", Limit: 3,
		Window: &memory.TimeRange{Start: t0.Add(-day), End: t0.Add(day)}})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "query_batch.json", rec.of(qdrant.Points_QueryBatch_FullMethodName))
	if n := len(rec.of(qdrant.Points_Query_FullMethodName)); n != 0 {
		t.Fatalf("per-arm searches without seeds sent %d extra Query calls", n)
	}
}
