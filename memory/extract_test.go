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

// Issue 14, item 4: what the entity detector keeps and drops.
func TestDetectEntitiesKoreanAndVerbs(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"정형외과에서 손목 엑스레이 찍었어.", []string{"정형외과"}},
		{"한사랑내과는 토요일에도 진료해요.", []string{"한사랑내과"}},
		{"한사랑내과에서 독감 주사 맞았어요.", []string{"한사랑내과"}},
		{"고수는 진짜 질색하는 편이야.", []string{"고수"}},
		{"가격이 올라갔다가 내렸어.", []string{"가격"}},
		{"수진이가 판교에서 일해.", []string{"수진", "판교"}},
		{"수진이네 집들이에 갔어.", []string{"수진"}},
		{"수진이네는 고양이를 키워.", []string{"수진"}},
		{"수진이랑 저녁 먹었어.", []string{"수진"}},
		{"도윤 팀장님이 회의를 짧게 하셨어.", []string{"팀장님", "도윤"}},
		{"Finished the birthday card for Dana.", []string{"Dana"}},
		{"Moved the cello lesson with Dana to Thursday.", []string{"Dana"}},
		{"Signed the offer letter Raj sent.", []string{"Raj"}},
		{"Yesterday: Had dinner with Priya.", []string{"Priya"}},
		{"Netflix로 영화 봤어.", []string{"Netflix"}},
		{"Naver에서 일하는 지영이가 왔어.", []string{"Naver", "지영"}},
		{"Jared called Mina.", []string{"Jared", "Mina"}},
	}
	for _, tc := range cases {
		if got := DetectEntities(tc.in, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
