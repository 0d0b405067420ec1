package memory

import (
	"hash/fnv"
	"math"
	"slices"
	"testing"
)

func TestTokenize(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"The cats were running to Mina's meetings!", []string{"cat", "run", "mina", "meeting"}},
		{"She visited Busan in 2025; it's 3.5km away.", []string{"visit", "busan", "2025", "3", "5km", "away"}},
		{"studies", []string{"study"}},
		{"민수는 서울에서", []string{"민수", "서울"}},
		{"집", []string{"집"}},
		{"東京タワー", []string{"東京", "京タ", "タワ", "ワー"}},
		{"Mina는 Naver에서", []string{"mina", "naver"}},
		{"Netflix로 영화 봤어", []string{"netflix", "영화", "봤어"}},
		{"비번은 4471이야.", []string{"비번", "4471"}},
		{"", nil},
		{"... !!", nil},
	}
	for _, tc := range cases {
		if got := Tokenize(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Tokenize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTermIndexIsFNV1a(t *testing.T) {
	for _, term := range []string{"cat", "서울", "", "meeting"} {
		h := fnv.New32a()
		h.Write([]byte(term))
		if TermIndex(term) != h.Sum32() || termIndex(term) != h.Sum32() {
			t.Fatalf("TermIndex(%q) is not FNV-1a", term)
		}
	}
	// frozen values: stored sparse vectors depend on them
	if TermIndex("cat") != 0x06745c07 {
		t.Fatalf("TermIndex(cat) = %#x changed", TermIndex("cat"))
	}
}

func TestBM25Encoding(t *testing.T) {
	p := BM25{K1: 1.2, B: 0.75, AvgLen: 16}
	v := p.Document("cat cat dog")
	if err := v.Validate(); err != nil {
		t.Fatal(err)
	}
	norm := 1.2 * (1 - 0.75 + 0.75*3.0/16)
	want := map[uint32]float32{
		TermIndex("cat"): float32(2 * 2.2 / (2 + norm)),
		TermIndex("dog"): float32(1 * 2.2 / (1 + norm)),
	}
	if v.Len() != 2 {
		t.Fatalf("len %d", v.Len())
	}
	for i, idx := range v.Indices {
		if v.Values[i] != want[idx] {
			t.Errorf("weight of %d = %v, want %v", idx, v.Values[i], want[idx])
		}
	}
	q := p.Query("dog cat dog")
	if q.Len() != 2 || q.Values[0] != 1 || q.Values[1] != 1 || q.Indices[0] >= q.Indices[1] {
		t.Fatalf("query %+v", q)
	}
	if got, w := IDF(1, 10), math.Log(1+(10-1+0.5)/(1+0.5)); got != w {
		t.Fatalf("IDF = %v, want %v", got, w)
	}
	if (SparseVector{Indices: []uint32{1, 1}, Values: []float32{1, 1}}).Validate() == nil {
		t.Fatal("duplicate index accepted")
	}
}

func TestMemoryIDNormalises(t *testing.T) {
	a := MemoryID("b", "Mina likes tea.")
	if a != MemoryID("b", "  mina   LIKES tea ") || a == MemoryID("c", "Mina likes tea.") || a == MemoryID("b", "Mina likes coffee.") {
		t.Fatal("MemoryID normalisation or bank scoping broken")
	}
	if len(a) != 36 || a[14] != '5' {
		t.Fatalf("%s is not a UUIDv5", a)
	}
}
