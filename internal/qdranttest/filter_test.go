package qdranttest

import (
	"strings"
	"testing"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// filterFixture stores five points whose payloads cover every value kind.
func filterFixture(t *testing.T) (*qdrant.Client, string) {
	t.Helper()
	c, coll := behaviour(t)
	f := coll("f")
	hybrid(t, c, f, qdrant.Distance_Cosine)
	dense := func(x float32) *qdrant.Vectors {
		return qdrant.NewVectorsMap(map[string]*qdrant.Vector{"dense": qdrant.NewVector(x, 1, 0, 0)})
	}
	pts := []*qdrant.PointStruct{
		{Id: qdrant.NewIDNum(1), Vectors: dense(1), Payload: qdrant.NewValueMap(map[string]any{
			"bank": "a", "kind": "world", "tags": []any{"x", "y"}, "n": int64(1), "score": 0.5, "ok": true,
			"when": "2024-01-01T00:00:00Z", "text": "The quick brown fox", "meta": map[string]any{"lang": "ko", "level": int64(2)},
			"ents":  []any{map[string]any{"name": "Alice", "role": "friend"}, map[string]any{"name": "Bob", "role": "boss"}},
			"maybe": nil,
		})},
		{Id: qdrant.NewIDNum(2), Vectors: dense(2), Payload: qdrant.NewValueMap(map[string]any{
			"bank": "a", "kind": "experience", "tags": []any{"y"}, "n": int64(2), "score": 1.5, "ok": false,
			"when": "2024-06-15T12:00:00+09:00", "text": "lazy dog sleeps", "meta": map[string]any{"lang": "en", "level": int64(5)},
			"ents":  []any{map[string]any{"name": "Bob", "role": "friend"}},
			"maybe": []any{},
		})},
		{Id: qdrant.NewIDNum(3), Payload: qdrant.NewValueMap(map[string]any{
			"bank": "b", "kind": "opinion", "tags": []any{}, "n": int64(3), "score": 2.5, "when": "2025-01-01",
			"text": "Quick thinking, quick acting", "maybe": []any{nil, int64(1)},
		})},
		{Id: qdrant.NewIDNum(4), Payload: qdrant.NewValueMap(map[string]any{"bank": "b", "n": 4.5})},
		{Id: qdrant.NewIDNum(5)},
	}
	_, err := c.Upsert(ctx(t), &qdrant.UpsertPoints{CollectionName: f, Wait: qdrant.PtrOf(true), Points: pts})
	must(t, err)
	return c, f
}

func ts(s string) *timestamppb.Timestamp {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return timestamppb.New(tm)
}

func all(conds ...*qdrant.Condition) *qdrant.Filter { return &qdrant.Filter{Must: conds} }

func fieldCond(fc *qdrant.FieldCondition) *qdrant.Condition {
	return &qdrant.Condition{ConditionOneOf: &qdrant.Condition_Field{Field: fc}}
}

func TestFilters(t *testing.T) {
	c, f := filterFixture(t)
	cases := []struct {
		name   string
		filter *qdrant.Filter
		want   []uint64
	}{
		{"keyword", all(qdrant.NewMatchKeyword("bank", "a")), []uint64{1, 2}},
		{"keyword on a number never matches", all(qdrant.NewMatchKeyword("n", "1")), nil},
		{"keywords IN", all(qdrant.NewMatchKeywords("kind", "world", "opinion")), []uint64{1, 3}},
		{"except keywords (missing field does not match)", all(qdrant.NewMatchExcept("kind", "world")), []uint64{2, 3}},
		{"integer", all(qdrant.NewMatchInt("n", 2)), []uint64{2}},
		{"integers IN", all(qdrant.NewMatchInts("n", 1, 3, 4)), []uint64{1, 3}},
		{"except integers (a float is not in the list)", all(qdrant.NewMatchExceptInts("n", 1)), []uint64{2, 3, 4}},
		{"bool", all(qdrant.NewMatchBool("ok", false)), []uint64{2}},
		{"keyword in an array", all(qdrant.NewMatchKeyword("tags", "x")), []uint64{1}},
		{"text substring without index", all(qdrant.NewMatchText("text", "quick")), []uint64{1, 3}},
		{"text substring is case sensitive", all(qdrant.NewMatchText("text", "Quick")), []uint64{3}},
		{"text any", all(qdrant.NewMatchTextAny("text", "dog fox")), []uint64{1, 2}},
		{"phrase", all(qdrant.NewMatchPhrase("text", "brown fox")), []uint64{1}},
		{"range", all(qdrant.NewRange("n", &qdrant.Range{Gte: qdrant.PtrOf(2.0), Lt: qdrant.PtrOf(4.5)})), []uint64{2, 3}},
		{"range on a float", all(qdrant.NewRange("n", &qdrant.Range{Gt: qdrant.PtrOf(4.0)})), []uint64{4}},
		{"range lte", all(qdrant.NewRange("score", &qdrant.Range{Lte: qdrant.PtrOf(1.5)})), []uint64{1, 2}},
		{"datetime gte (zones honoured, date only accepted)", all(qdrant.NewDatetimeRange("when", &qdrant.DatetimeRange{Gte: ts("2024-06-01T00:00:00Z")})), []uint64{2, 3}},
		{"datetime lt", all(qdrant.NewDatetimeRange("when", &qdrant.DatetimeRange{Lt: ts("2024-06-15T03:00:00Z")})), []uint64{1}},
		{"datetime lte", all(qdrant.NewDatetimeRange("when", &qdrant.DatetimeRange{Lte: ts("2024-06-15T03:00:00Z")})), []uint64{1, 2}},
		{"datetime gt and lt", all(qdrant.NewDatetimeRange("when", &qdrant.DatetimeRange{Gt: ts("2024-01-01T00:00:00Z"), Lt: ts("2025-01-01T00:00:00Z")})), []uint64{2}},
		{"is_null", all(qdrant.NewIsNull("maybe")), []uint64{1, 3}},
		{"not is_null", &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewIsNull("maybe")}}, []uint64{2, 4, 5}},
		{"is_empty", all(qdrant.NewIsEmpty("maybe")), []uint64{1, 2, 4, 5}},
		{"is_empty array", all(qdrant.NewIsEmpty("tags")), []uint64{3, 4, 5}},
		{"has_id", all(qdrant.NewHasID(qdrant.NewIDNum(5), qdrant.NewIDNum(2), qdrant.NewIDNum(77))), []uint64{2, 5}},
		{"has_vector", all(qdrant.NewHasVector("dense")), []uint64{1, 2}},
		{"values_count gte", all(qdrant.NewValuesCount("tags", &qdrant.ValuesCount{Gte: qdrant.PtrOf(uint64(2))})), []uint64{1}},
		{"values_count lt (missing counts 0)", all(qdrant.NewValuesCount("tags", &qdrant.ValuesCount{Lt: qdrant.PtrOf(uint64(1))})), []uint64{3, 4, 5}},
		{"dotted key", all(qdrant.NewMatchKeyword("meta.lang", "ko")), []uint64{1}},
		{"dotted key with range", all(qdrant.NewRange("meta.level", &qdrant.Range{Gt: qdrant.PtrOf(2.0)})), []uint64{2}},
		{"array of objects with []", all(qdrant.NewMatchKeyword("ents[].name", "Bob")), []uint64{1, 2}},
		{"array of objects without [] (in-process only)", all(qdrant.NewMatchKeyword("ents.name", "Alice")), []uint64{1}},
		{"array index", all(qdrant.NewMatchKeyword("ents[1].name", "Bob")), []uint64{1}},
		{"flat conditions cross objects", all(qdrant.NewMatchKeyword("ents[].name", "Bob"), qdrant.NewMatchKeyword("ents[].role", "friend")), []uint64{1, 2}},
		{"nested filter keeps objects apart", all(qdrant.NewNestedFilter("ents", all(qdrant.NewMatchKeyword("name", "Bob"), qdrant.NewMatchKeyword("role", "friend")))), []uint64{2}},
		{"should", &qdrant.Filter{Should: []*qdrant.Condition{qdrant.NewMatchKeyword("bank", "b"), qdrant.NewMatchBool("ok", true)}}, []uint64{1, 3, 4}},
		{"must_not", &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewMatchKeyword("bank", "a")}}, []uint64{3, 4, 5}},
		{"min_should", &qdrant.Filter{MinShould: &qdrant.MinShould{MinCount: 2, Conditions: []*qdrant.Condition{
			qdrant.NewMatchKeyword("bank", "a"), qdrant.NewMatchKeyword("tags", "y"), qdrant.NewMatchInt("n", 1), qdrant.NewMatchKeyword("bank", "b")}}}, []uint64{1, 2}},
		{"must and should together", &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword("bank", "a")},
			Should: []*qdrant.Condition{qdrant.NewMatchInt("n", 2), qdrant.NewMatchInt("n", 3)}}, []uint64{2}},
		{"filter as condition", all(qdrant.NewFilterAsCondition(&qdrant.Filter{Should: []*qdrant.Condition{qdrant.NewMatchInt("n", 1), qdrant.NewMatchInt("n", 3)}})), []uint64{1, 3}},
		{"empty filter", &qdrant.Filter{}, []uint64{1, 2, 3, 4, 5}},
		{"field is_empty", all(fieldCond(&qdrant.FieldCondition{Key: "maybe", IsEmpty: qdrant.PtrOf(true)})), []uint64{1, 2, 4, 5}},
		{"field is_empty false", all(fieldCond(&qdrant.FieldCondition{Key: "tags", IsEmpty: qdrant.PtrOf(false)})), []uint64{1, 2}},
		{"field is_null", all(fieldCond(&qdrant.FieldCondition{Key: "maybe", IsNull: qdrant.PtrOf(true)})), []uint64{1, 3}},
		{"field is_null false", all(fieldCond(&qdrant.FieldCondition{Key: "maybe", IsNull: qdrant.PtrOf(false)})), []uint64{2, 4, 5}},
		{"match or range in one condition", all(fieldCond(&qdrant.FieldCondition{Key: "n",
			Match: &qdrant.Match{MatchValue: &qdrant.Match_Integer{Integer: 1}}, Range: &qdrant.Range{Gt: qdrant.PtrOf(4.0)}})), []uint64{1, 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(tc.name, "in-process only") {
				inProcessOnly(t, "implicit descent into arrays without [] is a leniency of this server")
			}
			res, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: f, Filter: tc.filter, Limit: qdrant.PtrOf(uint32(100))})
			must(t, err)
			eqIDs(t, tc.name, rids(res), tc.want)
			n, err := c.Count(ctx(t), &qdrant.CountPoints{CollectionName: f, Filter: tc.filter})
			must(t, err)
			if n != uint64(len(tc.want)) {
				t.Fatalf("count %d, want %d", n, len(tc.want))
			}
		})
	}
}

func TestTextIndexSwitchesToTokenMatch(t *testing.T) {
	c, f := filterFixture(t)
	_, err := c.CreateFieldIndex(ctx(t), &qdrant.CreateFieldIndexCollection{CollectionName: f, Wait: qdrant.PtrOf(true), FieldName: "text", FieldType: qdrant.FieldType_FieldTypeText.Enum()})
	must(t, err)
	cases := []struct {
		cond *qdrant.Condition
		want []uint64
	}{
		{qdrant.NewMatchText("text", "QUICK"), []uint64{1, 3}},
		{qdrant.NewMatchText("text", "quick fox"), []uint64{1}}, // every token must be present
		{qdrant.NewMatchText("text", "qui"), nil},               // tokens, not substrings
		{qdrant.NewMatchTextAny("text", "fox dog"), []uint64{1, 2}},
		{qdrant.NewMatchPhrase("text", "quick brown"), []uint64{1}},
		{qdrant.NewMatchPhrase("text", "brown quick"), nil},
	}
	for _, tc := range cases {
		res, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: f, Filter: all(tc.cond)})
		must(t, err)
		eqIDs(t, tc.cond.String(), rids(res), tc.want)
	}
}

func TestFilterErrors(t *testing.T) {
	inProcessOnly(t, "error texts and Unimplemented geo conditions")
	c, f := filterFixture(t)
	cases := []struct {
		name   string
		filter *qdrant.Filter
		code   codes.Code
		msg    string
	}{
		{"geo", all(qdrant.NewGeoRadius("loc", 1, 2, 3)), codes.Unimplemented, `filter.must[0]: geo conditions on "loc"`},
		{"empty field condition", &qdrant.Filter{Should: []*qdrant.Condition{{ConditionOneOf: &qdrant.Condition_Field{Field: &qdrant.FieldCondition{Key: "a"}}}}}, codes.InvalidArgument, `filter.should[0]: field condition on "a" has no condition`},
		{"bad key", all(qdrant.NewMatchKeyword("a[x]", "v")), codes.InvalidArgument, `array index "x"`},
		{"bad has_id", &qdrant.Filter{MustNot: []*qdrant.Condition{qdrant.NewHasID(qdrant.NewID("zzz"))}}, codes.InvalidArgument, "filter.must_not[0].has_id[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Scroll(ctx(t), &qdrant.ScrollPoints{CollectionName: f, Filter: tc.filter})
			wantCode(t, err, tc.code, tc.msg)
		})
	}
}
