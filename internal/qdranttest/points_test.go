package qdranttest

import (
	"math"
	"strconv"
	"testing"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

func TestUpsertAndGet(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	id := "5C56C793-69F3-4FBF-87E6-C4BF54C28C26" // upper case on purpose
	payload := qdrant.NewValueMap(map[string]any{
		"null":   nil,
		"bool":   true,
		"int":    int64(-7),
		"float":  2.5,
		"string": "안녕하세요",
		"list":   []any{"a", int64(1), false},
		"nested": map[string]any{"deep": map[string]any{"x": 1.5}, "arr": []any{map[string]any{"k": "v"}}},
	})
	res, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Wait: qdrant.PtrOf(true), Points: []*qdrant.PointStruct{{
		Id: qdrant.NewID(id),
		Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{
			"dense": qdrant.NewVector(3, 0, 4, 0),
			"bm25":  qdrant.NewVectorSparse([]uint32{9, 2}, []float32{0.5, 1.5}),
		}),
		Payload: payload,
	}}})
	must(t, err)
	if res.GetStatus() != qdrant.UpdateStatus_Completed {
		t.Fatalf("status %v", res.GetStatus())
	}

	got, err := c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewID(id), qdrant.NewIDNum(42)},
		WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true)})
	must(t, err)
	if len(got) != 1 {
		t.Fatalf("Get returned %d points, want 1", len(got))
	}
	p := got[0]
	if p.GetId().GetUuid() != "5c56c793-69f3-4fbf-87e6-c4bf54c28c26" {
		t.Fatalf("uuid not canonicalised: %q", p.GetId().GetUuid())
	}
	if len(p.GetPayload()) != len(payload) {
		t.Fatalf("payload has %d keys, want %d", len(p.GetPayload()), len(payload))
	}
	for k, v := range payload {
		if !proto.Equal(p.GetPayload()[k], v) {
			t.Fatalf("payload[%q] = %v, want %v", k, p.GetPayload()[k], v)
		}
	}
	vs := p.GetVectors().GetVectors().GetVectors()
	d := vs["dense"].GetDenseVector().GetData()
	if len(d) != 4 || math.Abs(float64(d[0])-0.6) > 1e-6 || math.Abs(float64(d[2])-0.8) > 1e-6 {
		t.Fatalf("cosine vector should come back normalised, got %v", d)
	}
	sp := vs["bm25"].GetSparseVector()
	if len(sp.GetIndices()) != 2 || sp.GetIndices()[0] != 2 || sp.GetValues()[0] != 1.5 || sp.GetIndices()[1] != 9 {
		t.Fatalf("sparse vector came back as %v", sp)
	}

	// Without selectors, Get returns the payload but no vectors.
	got, err = c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewID(id)}})
	must(t, err)
	if got[0].GetVectors() != nil || len(got[0].GetPayload()) == 0 {
		t.Fatalf("default Get: vectors %v payload keys %d", got[0].GetVectors(), len(got[0].GetPayload()))
	}
	// include / exclude
	got, err = c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewID(id)},
		WithPayload: qdrant.NewWithPayloadInclude("int", "nested.deep.x"), WithVectors: qdrant.NewWithVectorsInclude("bm25")})
	must(t, err)
	pl := got[0].GetPayload()
	if len(pl) != 2 || pl["int"].GetIntegerValue() != -7 || pl["nested"].GetStructValue().GetFields()["deep"].GetStructValue().GetFields()["x"].GetDoubleValue() != 1.5 {
		t.Fatalf("include payload = %v", pl)
	}
	if _, ok := pl["nested"].GetStructValue().GetFields()["arr"]; ok {
		t.Fatal("include of nested.deep.x leaked nested.arr")
	}
	if vv := got[0].GetVectors().GetVectors().GetVectors(); len(vv) != 1 || vv["bm25"] == nil {
		t.Fatalf("include vectors = %v", vv)
	}
	got, err = c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewID(id)},
		WithPayload: qdrant.NewWithPayloadExclude("list", "nested")})
	must(t, err)
	if len(got[0].GetPayload()) != len(payload)-2 || got[0].GetPayload()["list"] != nil {
		t.Fatalf("exclude payload = %v", got[0].GetPayload())
	}
}

func TestUpsertValidationKeepsStoredData(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Dot)
	good := &qdrant.PointStruct{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(1, 2, 3, 4)}),
		Payload: qdrant.NewValueMap(map[string]any{"v": int64(1)})}
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: []*qdrant.PointStruct{good}})
	must(t, err)

	cases := []struct {
		name string
		pt   *qdrant.PointStruct
		code codes.Code
		msg  []string
	}{
		{"dimension", &qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(1, 2, 3)})},
			codes.InvalidArgument, []string{"expected dim: 4, got 3", "points[1] (id 2)", `vector "dense"`}},
		{"unknown name", &qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"other": qdrant.NewVector(1)})},
			codes.InvalidArgument, []string{`Not existing vector name error: "other"`}},
		{"sparse lengths", &qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"bm25": qdrant.NewVectorSparse([]uint32{1, 2}, []float32{1})})},
			codes.InvalidArgument, []string{"2 indices but 1 values"}},
		{"sparse duplicate", &qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"bm25": qdrant.NewVectorSparse([]uint32{3, 3}, []float32{1, 2})})},
			codes.InvalidArgument, []string{"index 3 appears more than once"}},
		{"dense into sparse", &qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"bm25": qdrant.NewVector(1)})},
			codes.InvalidArgument, []string{`vector "bm25" is sparse`}},
		{"bad uuid", &qdrant.PointStruct{Id: qdrant.NewID("not-a-uuid")}, codes.InvalidArgument, []string{"points[1]", "not-a-uuid"}},
		{"no id", &qdrant.PointStruct{}, codes.InvalidArgument, []string{"points[1]", "point id is missing"}},
		{"multi dense", &qdrant.PointStruct{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVectorMulti([][]float32{{1, 2, 3, 4}})})},
			codes.Unimplemented, []string{"multi-dense"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			overwrite := proto.Clone(good).(*qdrant.PointStruct)
			overwrite.Payload = qdrant.NewValueMap(map[string]any{"v": int64(99)})
			// The first point is valid and would overwrite id 1: the bad
			// second point must keep the whole batch from being applied.
			_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: []*qdrant.PointStruct{overwrite, tc.pt}})
			wantCode(t, err, tc.code, tc.msg...)
			got, err := c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}})
			must(t, err)
			if v := got[0].GetPayload()["v"].GetIntegerValue(); v != 1 {
				t.Fatalf("stored point changed to v=%d by a rejected batch", v)
			}
			n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
			must(t, err)
			if n != 1 {
				t.Fatalf("count %d after rejected batch", n)
			}
		})
	}
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "nope", Points: []*qdrant.PointStruct{good}})
	wantCode(t, err, codes.NotFound, "nope")
}

func TestUpsertModesAndUnnamedVector(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	must(t, c.CreateCollection(ctx(t), &qdrant.CreateCollection{CollectionName: "u",
		VectorsConfig: qdrant.NewVectorsConfig(&qdrant.VectorParams{Size: 2, Distance: qdrant.Distance_Euclid})}))
	pt := func(id uint64, v int64) *qdrant.PointStruct {
		return &qdrant.PointStruct{Id: qdrant.NewIDNum(id), Vectors: qdrant.NewVectors(float32(id), 0), Payload: qdrant.NewValueMap(map[string]any{"v": v})}
	}
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{pt(1, 1)}})
	must(t, err)
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "u", UpdateMode: qdrant.UpdateMode_InsertOnly.Enum(), Points: []*qdrant.PointStruct{pt(1, 2), pt(2, 2)}})
	must(t, err)
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "u", UpdateMode: qdrant.UpdateMode_UpdateOnly.Enum(), Points: []*qdrant.PointStruct{pt(2, 3), pt(3, 3)}})
	must(t, err)
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{pt(1, 4), pt(2, 4)},
		UpdateFilter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchInt("v", 3)}}})
	must(t, err)
	got, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "u", WithVectors: qdrant.NewWithVectors(true)})
	must(t, err)
	eqIDs(t, "scroll", rids(got), []uint64{1, 2})
	if a, b := got[0].GetPayload()["v"].GetIntegerValue(), got[1].GetPayload()["v"].GetIntegerValue(); a != 1 || b != 4 {
		t.Fatalf("v = %d, %d; want 1 (insert_only and update_filter kept it), 4", a, b)
	}
	if d := got[1].GetVectors().GetVector().GetDenseVector().GetData(); len(d) != 2 || d[0] != 2 {
		t.Fatalf("unnamed vector came back as %v", got[1].GetVectors())
	}
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{{Id: qdrant.NewIDNum(9)}}})
	wantCode(t, err, codes.InvalidArgument, "unnamed vector is missing")

	// Older clients fill the deprecated data field instead of the oneof.
	old := &qdrant.Vector{Data: []float32{7, 7}} //nolint:staticcheck // deprecated on purpose
	_, err = c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "u", Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(7), Vectors: &qdrant.Vectors{VectorsOptions: &qdrant.Vectors_Vector{Vector: old}}}}})
	must(t, err)
	res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "u", Query: qdrant.NewQueryDense([]float32{7, 7}), Limit: qdrant.PtrOf(uint64(1))})
	must(t, err)
	eqIDs(t, "deprecated vector form", ids(res), []uint64{7})
}

func TestScrollPagingCountAndDelete(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	var pts []*qdrant.PointStruct
	// Insert out of order, with UUIDs that must sort after every number.
	for _, n := range []uint64{7, 3, 10, 1, 5, 2, 9, 4, 8, 6} {
		pts = append(pts, &qdrant.PointStruct{Id: qdrant.NewIDNum(n), Payload: qdrant.NewValueMap(map[string]any{"odd": n%2 == 1, "n": int64(n)})})
	}
	pts = append(pts,
		&qdrant.PointStruct{Id: qdrant.NewID("ffffffff-0000-0000-0000-000000000000"), Payload: qdrant.NewValueMap(map[string]any{"odd": false})},
		&qdrant.PointStruct{Id: qdrant.NewID("00000000-0000-0000-0000-000000000001"), Payload: qdrant.NewValueMap(map[string]any{"odd": false})})
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: pts})
	must(t, err)

	var pages [][]string
	var offset *qdrant.PointId
	for {
		res, next, err := c.ScrollAndOffset(ctx(t), &qdrant.ScrollPoints{CollectionName: "m", Limit: qdrant.PtrOf(uint32(5)), Offset: offset})
		must(t, err)
		var page []string
		for _, p := range res {
			page = append(page, keyString(p.GetId()))
		}
		pages = append(pages, page)
		if next == nil {
			break
		}
		offset = next
	}
	want := [][]string{{"1", "2", "3", "4", "5"}, {"6", "7", "8", "9", "10"}, {"00000000-0000-0000-0000-000000000001", "ffffffff-0000-0000-0000-000000000000"}}
	if len(pages) != len(want) {
		t.Fatalf("pages %v", pages)
	}
	for i := range want {
		if len(pages[i]) != len(want[i]) {
			t.Fatalf("page %d = %v, want %v", i, pages[i], want[i])
		}
		for j := range want[i] {
			if pages[i][j] != want[i][j] {
				t.Fatalf("page %d = %v, want %v", i, pages[i], want[i])
			}
		}
	}

	odd := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchBool("odd", true)}}
	n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m", Filter: odd, Exact: qdrant.PtrOf(true)})
	must(t, err)
	if n != 5 {
		t.Fatalf("odd count %d, want 5", n)
	}
	_, err = c.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: "m", Points: qdrant.NewPointsSelectorFilter(odd)})
	must(t, err)
	_, err = c.Delete(ctx(t), &qdrant.DeletePoints{CollectionName: "m", Points: qdrant.NewPointsSelector(qdrant.NewIDNum(2), qdrant.NewIDNum(404))})
	must(t, err)
	res, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "m", Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewRange("n", &qdrant.Range{Gte: qdrant.PtrOf(0.0)})}}})
	must(t, err)
	eqIDs(t, "after deletes", rids(res), []uint64{4, 6, 8, 10})
	total, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if total != 6 {
		t.Fatalf("total %d, want 6", total)
	}
}

func keyString(id *qdrant.PointId) string {
	if u := id.GetUuid(); u != "" {
		return u
	}
	return strconv.FormatUint(id.GetNum(), 10)
}

func TestPayloadUpdates(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Cosine)
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Payload: qdrant.NewValueMap(map[string]any{"a": int64(1), "b": "x"})},
		{Id: qdrant.NewIDNum(2), Payload: qdrant.NewValueMap(map[string]any{"a": int64(2), "b": "y"})},
	}})
	must(t, err)
	get := func(id uint64) map[string]*qdrant.Value {
		t.Helper()
		r, err := c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewIDNum(id)}})
		must(t, err)
		return r[0].GetPayload()
	}
	_, err = c.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "m", Payload: qdrant.NewValueMap(map[string]any{"c": true}),
		PointsSelector: qdrant.NewPointsSelectorFilter(all(qdrant.NewMatchKeyword("b", "x")))})
	must(t, err)
	if p := get(1); len(p) != 3 || !p["c"].GetBoolValue() || p["a"].GetIntegerValue() != 1 {
		t.Fatalf("after set: %v", p)
	}
	if p := get(2); len(p) != 2 {
		t.Fatalf("point 2 touched: %v", p)
	}
	_, err = c.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "m", Payload: qdrant.NewValueMap(map[string]any{"z": "deep"}),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(2)), Key: qdrant.PtrOf("nest.inner")})
	must(t, err)
	if v := get(2)["nest"].GetStructValue().GetFields()["inner"].GetStructValue().GetFields()["z"].GetStringValue(); v != "deep" {
		t.Fatalf("set under key: %v", get(2))
	}
	_, err = c.OverwritePayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "m", Payload: qdrant.NewValueMap(map[string]any{"only": int64(9)}),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1))})
	must(t, err)
	if p := get(1); len(p) != 1 || p["only"].GetIntegerValue() != 9 {
		t.Fatalf("after overwrite: %v", p)
	}
	_, err = c.DeletePayload(ctx(t), &qdrant.DeletePayloadPoints{CollectionName: "m", Keys: []string{"a", "nest.inner"},
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(2))})
	must(t, err)
	if p := get(2); len(p) != 2 || p["a"] != nil || len(p["nest"].GetStructValue().GetFields()) != 0 {
		t.Fatalf("after delete payload: %v", p)
	}
	_, err = c.ClearPayload(ctx(t), &qdrant.ClearPayloadPoints{CollectionName: "m", Points: qdrant.NewPointsSelector(qdrant.NewIDNum(2))})
	must(t, err)
	if p := get(2); len(p) != 0 {
		t.Fatalf("after clear: %v", p)
	}
	_, err = c.SetPayload(ctx(t), &qdrant.SetPayloadPoints{CollectionName: "m", Payload: qdrant.NewValueMap(map[string]any{"c": true}),
		PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1), qdrant.NewIDNum(404))})
	wantCode(t, err, codes.NotFound, "No point with id 404")
	if p := get(1); len(p) != 1 {
		t.Fatalf("a failed set_payload changed point 1: %v", p)
	}
}

func TestVectorsUpdateAndBatch(t *testing.T) {
	srv := Start(t)
	c := client(t, srv)
	hybrid(t, c, "m", qdrant.Distance_Dot)
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: "m", Points: []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(1, 0, 0, 0), "bm25": qdrant.NewVectorSparse([]uint32{1}, []float32{1})})},
		{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(0, 1, 0, 0)})},
	}})
	must(t, err)
	_, err = c.UpdateVectors(ctx(t), &qdrant.UpdatePointVectors{CollectionName: "m", Points: []*qdrant.PointVectors{
		{Id: qdrant.NewIDNum(1), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(0, 0, 2, 0)})}}})
	must(t, err)
	got, err := c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewIDNum(1)}, WithVectors: qdrant.NewWithVectors(true)})
	must(t, err)
	vs := got[0].GetVectors().GetVectors().GetVectors()
	if vs["dense"].GetDenseVector().GetData()[2] != 2 || vs["bm25"] == nil {
		t.Fatalf("after update_vectors: %v", vs)
	}
	// update_filter: point 2 has no payload "k", so it keeps its vector.
	_, err = c.UpdateVectors(ctx(t), &qdrant.UpdatePointVectors{CollectionName: "m", UpdateFilter: all(qdrant.NewMatchKeyword("k", "v")), Points: []*qdrant.PointVectors{
		{Id: qdrant.NewIDNum(2), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(9, 9, 9, 9)})}}})
	must(t, err)
	got, err = c.Get(ctx(t), &qdrant.GetPoints{CollectionName: "m", Ids: []*qdrant.PointId{qdrant.NewIDNum(2)}, WithVectors: qdrant.NewWithVectors(true)})
	must(t, err)
	if d := got[0].GetVectors().GetVectors().GetVectors()["dense"].GetDenseVector().GetData(); d[0] != 0 || d[1] != 1 {
		t.Fatalf("filtered-out point was updated: %v", d)
	}
	_, err = c.UpdateVectors(ctx(t), &qdrant.UpdatePointVectors{CollectionName: "m", Points: []*qdrant.PointVectors{
		{Id: qdrant.NewIDNum(3), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(0, 0, 2, 0)})}}})
	wantCode(t, err, codes.NotFound, "No point with id 3")
	_, err = c.DeleteVectors(ctx(t), &qdrant.DeletePointVectors{CollectionName: "m", PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(1)),
		Vectors: &qdrant.VectorsSelector{Names: []string{"bm25"}}})
	must(t, err)
	res, err := c.Query(ctx(t), &qdrant.QueryPoints{CollectionName: "m", Using: qdrant.PtrOf("bm25"), Query: qdrant.NewQuerySparse([]uint32{1}, []float32{1})})
	must(t, err)
	if len(res) != 0 {
		t.Fatalf("deleted sparse vector still found: %v", ids(res))
	}

	batch, err := c.UpdateBatch(ctx(t), &qdrant.UpdateBatchPoints{CollectionName: "m", Operations: []*qdrant.PointsUpdateOperation{
		{Operation: &qdrant.PointsUpdateOperation_Upsert{Upsert: &qdrant.PointsUpdateOperation_PointStructList{Points: []*qdrant.PointStruct{
			{Id: qdrant.NewIDNum(3), Payload: qdrant.NewValueMap(map[string]any{"k": "v"})}}}}},
		{Operation: &qdrant.PointsUpdateOperation_SetPayload_{SetPayload: &qdrant.PointsUpdateOperation_SetPayload{
			Payload: qdrant.NewValueMap(map[string]any{"tag": "x"}), PointsSelector: qdrant.NewPointsSelector(qdrant.NewIDNum(2), qdrant.NewIDNum(3))}}},
		{Operation: &qdrant.PointsUpdateOperation_DeletePoints_{DeletePoints: &qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewIDNum(1))}}},
	}})
	must(t, err)
	if len(batch) != 3 {
		t.Fatalf("batch results %d", len(batch))
	}
	all, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: "m", Filter: &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("tag", "x")}}})
	must(t, err)
	eqIDs(t, "after batch", rids(all), []uint64{2, 3})

	// A failing operation names itself; earlier operations stay applied.
	_, err = c.UpdateBatch(ctx(t), &qdrant.UpdateBatchPoints{CollectionName: "m", Operations: []*qdrant.PointsUpdateOperation{
		{Operation: &qdrant.PointsUpdateOperation_DeletePoints_{DeletePoints: &qdrant.PointsUpdateOperation_DeletePoints{Points: qdrant.NewPointsSelector(qdrant.NewIDNum(3))}}},
		{Operation: &qdrant.PointsUpdateOperation_Upsert{Upsert: &qdrant.PointsUpdateOperation_PointStructList{Points: []*qdrant.PointStruct{
			{Id: qdrant.NewIDNum(4), Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(1)})}}}}},
	}})
	wantCode(t, err, codes.InvalidArgument, "operations[1].upsert.points[0] (id 4)", "expected dim: 4, got 1")
	n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: "m"})
	must(t, err)
	if n != 1 {
		t.Fatalf("count %d, want 1 (point 2)", n)
	}
}
