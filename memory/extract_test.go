package memory

import (
	"context"
	"slices"
	"testing"
	"time"
)

func TestSplitSentences(t *testing.T) {
	got := SplitSentences("I met Dr. Kim at 3.5 km. Was it fun?  Yes!\n민수는 부산으로 이사했다. 정말 좋았다。次")
	want := []string{"I met Dr. Kim at 3.5 km.", "Was it fun?", "Yes!", "민수는 부산으로 이사했다.", "정말 좋았다。", "次"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestDetectEntities(t *testing.T) {
	cases := []struct {
		in    string
		known []string
		want  []string
	}{
		{"Yesterday Mina visited the Museum of Modern Art with Jun.", nil, []string{"Mina", "Museum of Modern Art", "Jun"}},
		{"I think Mina's sister works at Naver in Seoul.", nil, []string{"Mina", "Naver", "Seoul"}},
		{"민수는 어제 서울에서 지영이랑 회의를 했다.", nil, []string{"민수", "서울", "지영"}},
		{"we talked about the bori project", []string{"Bori"}, []string{"Bori"}},
		{"The weather was nice.", nil, nil},
	}
	for _, tc := range cases {
		if got := DetectEntities(tc.in, tc.known); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestOfflineExtractor(t *testing.T) {
	now := time.Date(2025, 4, 16, 10, 0, 0, 0, time.UTC)
	facts, err := OfflineExtractor{}.Extract(context.Background(), ExtractRequest{
		Content: "Mina flew to Paris yesterday. Where did she stay? I think she loved the Louvre. 민수는 3일 전에 부산으로 이사했다.",
		Now:     now,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 3 {
		t.Fatalf("got %d facts (%+v), want 3 (the question dropped)", len(facts), facts)
	}
	if f := facts[0]; f.Text != "Mina flew to Paris yesterday." || !slices.Equal(f.Entities, []string{"Mina", "Paris"}) ||
		!f.OccurredStart.Equal(time.Date(2025, 4, 15, 0, 0, 0, 0, time.UTC)) || f.Kind != "" {
		t.Errorf("fact 0 = %+v", f)
	}
	if f := facts[1]; f.Kind != KindOpinion || f.Confidence != 0.6 || !slices.Equal(f.Entities, []string{"Louvre"}) || !f.OccurredStart.IsZero() {
		t.Errorf("fact 1 = %+v", f)
	}
	if f := facts[2]; !slices.Equal(f.Entities, []string{"민수", "부산"}) || !f.OccurredStart.Equal(time.Date(2025, 4, 13, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("fact 2 = %+v", f)
	}
}
