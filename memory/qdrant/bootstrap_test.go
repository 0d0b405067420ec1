package qdrant_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory"
	mq "github.com/jedisos/jedisos/memory/qdrant"
	"github.com/qdrant/go-client/qdrant"
)

func rawClient(t *testing.T, srv *qdranttest.Server) *qdrant.Client {
	t.Helper()
	c, err := qdrant.NewClient(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestBootstrapCreatesCollectionAndIndexes(t *testing.T) {
	s, srv := open(t)
	info, err := rawClient(t, srv).GetCollectionInfo(ctxT(t), mq.DefaultCollection)
	if err != nil {
		t.Fatal(err)
	}
	p := info.GetConfig().GetParams()
	dense := p.GetVectorsConfig().GetParamsMap().GetMap()[mq.DenseVector]
	if dense.GetSize() != 8 || dense.GetDistance() != qdrant.Distance_Cosine {
		t.Fatalf("dense vector = %v", dense)
	}
	for _, n := range []string{mq.SparseVector, mq.EntityVector} {
		if m := p.GetSparseVectorsConfig().GetMap()[n].GetModifier(); m != qdrant.Modifier_Idf {
			t.Fatalf("sparse vector %q modifier = %v, want Idf", n, m)
		}
	}
	want := map[string]qdrant.PayloadSchemaType{
		"bank": qdrant.PayloadSchemaType_Keyword, "kind": qdrant.PayloadSchemaType_Keyword,
		"tags": qdrant.PayloadSchemaType_Keyword, "entities": qdrant.PayloadSchemaType_Keyword,
		"document_id": qdrant.PayloadSchemaType_Keyword, "profile_of": qdrant.PayloadSchemaType_Keyword,
		"occurred_start": qdrant.PayloadSchemaType_Datetime, "mentioned_at": qdrant.PayloadSchemaType_Datetime,
		"when_start": qdrant.PayloadSchemaType_Datetime, "when_end": qdrant.PayloadSchemaType_Datetime,
		"when_mid": qdrant.PayloadSchemaType_Integer,
	}
	schema := info.GetPayloadSchema()
	if len(schema) != len(want) {
		t.Fatalf("payload indexes %v, want %d", schema, len(want))
	}
	for k, typ := range want {
		if schema[k].GetDataType() != typ {
			t.Errorf("index %s: %v, want %v", k, schema[k].GetDataType(), typ)
		}
	}
	if !schema["bank"].GetParams().GetKeywordIndexParams().GetIsTenant() {
		t.Errorf("bank index is not a tenant index: %v", schema["bank"])
	}
	if s.Dim() != 8 || s.Collection() != mq.DefaultCollection {
		t.Fatalf("Dim %d, Collection %q", s.Dim(), s.Collection())
	}
}

func TestBootstrapIsIdempotent(t *testing.T) {
	_, srv := open(t)
	srv.ResetCalls()
	cfg := cfgFor(srv)
	cfg.Dimension = 0 // adopt the existing collection's dimension
	s2, err := mq.Open(ctxT(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Dim() != 8 {
		t.Fatalf("adopted dimension %d, want 8", s2.Dim())
	}
	for _, m := range []string{qdrant.Collections_Create_FullMethodName, qdrant.Points_CreateFieldIndex_FullMethodName} {
		if n := srv.Calls(m); n != 0 {
			t.Errorf("second bootstrap called %s %d times", m, n)
		}
	}
}

func TestBootstrapMismatch(t *testing.T) {
	srv := qdranttest.Start(t)
	c := rawClient(t, srv)
	createSparse := func(name string, size uint64, d qdrant.Distance, sparse map[string]qdrant.Modifier) {
		sp := map[string]*qdrant.SparseVectorParams{}
		for n, m := range sparse {
			sp[n] = &qdrant.SparseVectorParams{Modifier: m.Enum()}
		}
		err := c.CreateCollection(ctxT(t), &qdrant.CreateCollection{CollectionName: name,
			VectorsConfig:       qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"dense": {Size: size, Distance: d}}),
			SparseVectorsConfig: qdrant.NewSparseVectorsConfig(sp),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	create := func(name string, size uint64, d qdrant.Distance, mod qdrant.Modifier) {
		createSparse(name, size, d, map[string]qdrant.Modifier{"bm25": mod, "entities": qdrant.Modifier_Idf})
	}
	create("dim4", 4, qdrant.Distance_Cosine, qdrant.Modifier_Idf)
	create("dot", 8, qdrant.Distance_Dot, qdrant.Modifier_Idf)
	create("noidf", 8, qdrant.Distance_Cosine, qdrant.Modifier_None)
	createSparse("old", 8, qdrant.Distance_Cosine, map[string]qdrant.Modifier{"bm25": qdrant.Modifier_Idf})
	createSparse("entnoidf", 8, qdrant.Distance_Cosine, map[string]qdrant.Modifier{"bm25": qdrant.Modifier_Idf, "entities": qdrant.Modifier_None})
	try := func(name string) error {
		cfg := cfgFor(srv)
		cfg.Collection = name
		s, err := mq.Open(ctxT(t), cfg)
		if err == nil {
			s.Close()
		}
		return err
	}
	err := try("dim4")
	if !errors.Is(err, mq.ErrSchema) || !errors.Is(err, memory.ErrDimension) ||
		!strings.Contains(err.Error(), "4-dimensional") || !strings.Contains(err.Error(), "Dimension is 8") {
		t.Fatalf("dimension mismatch: %v", err)
	}
	if err := try("dot"); !errors.Is(err, mq.ErrSchema) || !strings.Contains(err.Error(), "Dot") || !strings.Contains(err.Error(), "Cosine") {
		t.Fatalf("distance mismatch: %v", err)
	}
	if err := try("noidf"); !errors.Is(err, mq.ErrSchema) || !strings.Contains(err.Error(), `"bm25" has modifier None, want Idf`) {
		t.Fatalf("modifier mismatch: %v", err)
	}
	if err := try("old"); !errors.Is(err, mq.ErrSchema) || !strings.Contains(err.Error(), `no sparse vector "entities"`) || !strings.Contains(err.Error(), "Migrate") {
		t.Fatalf("collection without the entity vector: %v", err)
	}
	if err := try("entnoidf"); !errors.Is(err, mq.ErrSchema) || !strings.Contains(err.Error(), `"entities" has modifier None, want Idf`) {
		t.Fatalf("entity vector without IDF: %v", err)
	}
	cfg := cfgFor(srv)
	cfg.Collection, cfg.Dimension = "fresh", 0
	if _, err := mq.Open(ctxT(t), cfg); !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), "Dimension") {
		t.Fatalf("new collection without a dimension: %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	for name, cfg := range map[string]mq.Config{
		"port":       {Port: 70000, Dimension: 8},
		"dimension":  {Dimension: -1},
		"batch":      {Dimension: 8, BatchSize: -5},
		"collection": {Dimension: 8, Collection: "a/b"},
		"timeout":    {Dimension: 8, CallTimeout: -1},
	} {
		if _, err := mq.Open(ctxT(t), cfg); !errors.Is(err, memory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := mq.NewWithClient(ctxT(t), nil, mq.Config{Dimension: 8}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("nil client: %v", err)
	}
}

func TestNewWithClientKeepsTheClient(t *testing.T) {
	srv := qdranttest.Start(t)
	c := rawClient(t, srv)
	s, err := mq.NewWithClient(ctxT(t), c, mq.Config{Dimension: 8, Collection: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.CollectionExists(ctxT(t), "shared"); err != nil || !ok {
		t.Fatalf("client unusable after the store closed: %v %v", ok, err)
	}
}
