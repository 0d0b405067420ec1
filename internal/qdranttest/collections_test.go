package qdranttest

import (
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

func TestHealthCheck(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	r, err := c.HealthCheck(ctx(t))
	must(t, err)
	if r.GetVersion() != Version {
		t.Fatalf("version %q, want %q", r.GetVersion(), Version)
	}
	if srv.Host() != "127.0.0.1" || srv.Port() == 0 {
		t.Fatalf("bad address %q", srv.Addr())
	}

	// Without SkipCompatibilityCheck the client asks for the version once.
	srv.ResetCalls()
	cfg := srv.Config()
	cfg.SkipCompatibilityCheck = false
	checked, err := qdrant.NewClient(cfg)
	must(t, err)
	defer checked.Close()
	if n := srv.Calls(qdrant.Qdrant_HealthCheck_FullMethodName); n != 1 {
		t.Fatalf("HealthCheck calls %d, want 1", n)
	}
}

func TestCollectionLifecycle(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "memory", qdrant.Distance_Cosine)
	must(t, c.CreateCollection(ctx(t), &qdrant.CreateCollection{
		CollectionName: "plain",
		VectorsConfig:  qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 3, Distance: qdrant.Distance_Euclid}),
	}))

	ok, err := c.CollectionExists(ctx(t), "memory")
	must(t, err)
	if !ok {
		t.Fatal("memory should exist")
	}
	names, err := c.ListCollections(ctx(t))
	must(t, err)
	if len(names) != 2 || names[0] != "memory" || names[1] != "plain" {
		t.Fatalf("ListCollections = %v", names)
	}

	info, err := c.GetCollectionInfo(ctx(t), "memory")
	must(t, err)
	params := info.GetConfig().GetParams()
	dense := params.GetVectorsConfig().GetParamsMap().GetMap()["dense"]
	if dense.GetSize() != 4 || dense.GetDistance() != qdrant.Distance_Cosine {
		t.Fatalf("dense config reported as %v", dense)
	}
	if m := params.GetSparseVectorsConfig().GetMap()["bm25"].GetModifier(); m != qdrant.Modifier_Idf {
		t.Fatalf("bm25 modifier reported as %v", m)
	}
	if info.GetStatus() != qdrant.CollectionStatus_Green || info.GetPointsCount() != 0 {
		t.Fatalf("status %v points %d", info.GetStatus(), info.GetPointsCount())
	}
	plain, err := c.GetCollectionInfo(ctx(t), "plain")
	must(t, err)
	if p := plain.GetConfig().GetParams().GetVectorsConfig().GetParams(); p.GetSize() != 3 || p.GetDistance() != qdrant.Distance_Euclid {
		t.Fatalf("unnamed config reported as %v", p)
	}

	err = c.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "memory"})
	wantCode(t, err, codes.AlreadyExists, "memory")
	_, err = c.GetCollectionInfo(ctx(t), "missing")
	wantCode(t, err, codes.NotFound, "missing")

	must(t, c.DeleteCollection(ctx(t), "memory"))
	ok, err = c.CollectionExists(ctx(t), "memory")
	must(t, err)
	if ok {
		t.Fatal("memory should be gone")
	}
	if err := c.DeleteCollection(ctx(t), "memory"); err == nil {
		t.Fatal("deleting a missing collection should report failure")
	}
}

func TestCreateCollectionValidation(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	cases := []struct {
		name string
		req  *qdrant.CreateCollection
		code codes.Code
		msg  string
	}{
		{"zero size", &qdrant.CreateCollection{CollectionName: "a", VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"d": {Size: 0, Distance: qdrant.Distance_Dot}})}, codes.InvalidArgument, `vector "d": size must be greater than 0`},
		{"no distance", &qdrant.CreateCollection{CollectionName: "a", VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 2})}, codes.InvalidArgument, "unknown distance"},
		{"name clash", &qdrant.CreateCollection{CollectionName: "a",
			VectorsConfig:       qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{"x": {Size: 2, Distance: qdrant.Distance_Dot}}),
			SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{"x": {}})}, codes.InvalidArgument, `"x" is used by both`},
		{"empty name", &qdrant.CreateCollection{}, codes.InvalidArgument, "collection_name"},
		{"multivector", &qdrant.CreateCollection{CollectionName: "a", VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 2, Distance: qdrant.Distance_Dot,
			MultivectorConfig: &qdrant.MultiVectorConfig{}})}, codes.Unimplemented, "multivector"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, c.CreateCollection(ctx(t), tc.req), tc.code, tc.msg)
		})
	}
	names, err := c.ListCollections(ctx(t))
	must(t, err)
	if len(names) != 0 {
		t.Fatalf("a rejected create left %v behind", names)
	}
}

func TestFieldIndexes(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Payload: qdrant.NewValueMap(map[string]any{"bank": "a", "tags": []any{"x"}})},
		{Id: qdrant.NewIDNum(2), Payload: qdrant.NewValueMap(map[string]any{"bank": "b"})},
	}})
	must(t, err)

	create := []*qdrant.CreateFieldIndexCollection{
		{CollectionName: "m", FieldName: "bank", FieldType: qdrant.FieldType_FieldTypeKeyword.Enum(),
			FieldIndexParams: qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)})},
		{CollectionName: "m", FieldName: "tags", FieldType: qdrant.FieldType_FieldTypeKeyword.Enum()},
		{CollectionName: "m", FieldName: "occurred_start", FieldType: qdrant.FieldType_FieldTypeDatetime.Enum()},
		{CollectionName: "m", FieldName: "text", FieldIndexParams: qdrant.NewPayloadIndexParamsText(&qdrant.TextIndexParams{Tokenizer: qdrant.TokenizerType_Word})},
	}
	for _, req := range create {
		_, err := c.CreateFieldIndex(ctx(t), req)
		must(t, err)
	}
	info, err := c.GetCollectionInfo(ctx(t), "m")
	must(t, err)
	ps := info.GetPayloadSchema()
	if len(ps) != 4 {
		t.Fatalf("payload_schema has %d entries: %v", len(ps), ps)
	}
	if ps["bank"].GetDataType() != qdrant.PayloadSchemaType_Keyword || !ps["bank"].GetParams().GetKeywordIndexParams().GetIsTenant() {
		t.Fatalf("bank index reported as %v", ps["bank"])
	}
	if ps["bank"].GetPoints() != 2 || ps["tags"].GetPoints() != 1 || ps["occurred_start"].GetPoints() != 0 {
		t.Fatalf("indexed point counts: bank %d tags %d occurred_start %d", ps["bank"].GetPoints(), ps["tags"].GetPoints(), ps["occurred_start"].GetPoints())
	}
	if ps["occurred_start"].GetDataType() != qdrant.PayloadSchemaType_Datetime || ps["text"].GetDataType() != qdrant.PayloadSchemaType_Text {
		t.Fatalf("types: %v %v", ps["occurred_start"].GetDataType(), ps["text"].GetDataType())
	}

	_, err = c.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: "m", FieldName: "x"})
	wantCode(t, err, codes.InvalidArgument, `field "x": field_type or field_index_params is required`)
	_, err = c.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: "m", FieldName: "x",
		FieldType: qdrant.FieldType_FieldTypeInteger.Enum(), FieldIndexParams: qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{})})
	wantCode(t, err, codes.InvalidArgument, "does not match")

	_, err = c.DeleteFieldIndex(ctx(t), &qdrant.DeleteFieldIndexCollection{CollectionName: "m", FieldName: "tags"})
	must(t, err)
	info, err = c.GetCollectionInfo(ctx(t), "m")
	must(t, err)
	if _, ok := info.GetPayloadSchema()["tags"]; ok || len(info.GetPayloadSchema()) != 3 {
		t.Fatalf("tags index still reported: %v", info.GetPayloadSchema())
	}
}
