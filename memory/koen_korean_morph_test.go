package memory_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// A name keeps one keyword term and one entity whichever entity particle
// follows it, and the same name in a question matches it.
func TestKoEnKoreanNameParticles(t *testing.T) {
	for _, w := range []string{"민수는", "민수가", "민수에게", "민수랑", "민수한테", "민수의", "민수와", "민수께서", "민수하고", "민수도", "민수를", "민수만", "민수처럼"} {
		if got := memory.Tokenize(w); !slices.Equal(got, []string{"민수"}) {
			t.Errorf("Tokenize(%q) = %q, want [민수]", w, got)
		}
	}
	for _, w := range []string{"민수는", "민수가", "민수에게", "민수랑", "민수한테", "민수의", "민수와", "민수께서", "민수하고",
		"서연이는", "서연이가", "서연이랑", "서연이한테", "수진이네", "수진이네는"} {
		got := memory.DetectEntities(w+" 왔다.", nil)
		want := "민수"
		if w[:6] == "서연" {
			want = "서연"
		} else if w[:6] == "수진" {
			want = "수진"
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("DetectEntities(%q) = %q, want [%s]", w+" 왔다.", got, want)
		}
	}
}

// KoreanStem's particle list includes 까지, 마다 and 보다 ("then noun
// particles"); a noun followed by one of them keeps only the noun.
func TestKoEnKoreanStemTwoSyllableParticles(t *testing.T) {
	for w, want := range map[string]string{
		"서울까지": "서울", "집까지": "집", "친구보다": "친구", "주말마다": "주말", "아침마다": "아침",
		"서울에서": "서울", "집에서": "집", "회사부터": "회사", "학교처럼": "학교", "민수까지는": "민수",
	} {
		if got := memory.KoreanStem(w); got != want {
			t.Errorf("KoreanStem(%q) = %q, want %q", w, got, want)
		}
	}
}

// The consequence for recall: a one-syllable noun before 까지 is not the
// noun's term, so a question naming the noun misses the memory.
func TestKoEnKoreanParticleKkajiRecall(t *testing.T) {
	e := newKoEnEngine(t, memory.Config{})
	ctx := context.Background()
	for _, c := range []string{"회사에서 집까지 걸어서 30분 걸린다.", "사무실 근처 카페는 9시에 연다.", "지하철 2호선은 출근 시간에 붐빈다."} {
		if _, err := e.Retain(ctx, "walk", c, memory.RetainOptions{Timestamp: koEnNow}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.Recall(ctx, "walk", "집에서 얼마나 걸려?", memory.RecallOptions{MaxResults: 3, Arms: []memory.Arm{memory.ArmKeyword}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range r.Hits {
		got = append(got, h.Text)
	}
	if len(got) == 0 || got[0] != "회사에서 집까지 걸어서 30분 걸린다." {
		t.Errorf("keyword arm for 집에서: %q, want the 집까지 memory first (memory terms %q, query terms %q)",
			got, memory.Tokenize("회사에서 집까지 걸어서 30분 걸린다."), memory.Tokenize("집에서 얼마나 걸려?"))
	}
}

// Verb endings are not terms: two memories that share only grammar do
// not match each other's questions through the keyword arm.
func TestKoEnKoreanEndingsAreNotTerms(t *testing.T) {
	for w, want := range map[string][]string{
		"먹었어요":     {"먹"},
		"일했습니다":    {"일"},
		"갔었어":      {"갔"},
		"운동했어요":    {"운동"},
		"개발자예요":    {"개발", "발자"},
		"간호사로":     {"간호", "호사"},
		"을지로에서":    {"을지", "지로"},
		"제주도로":     {"제주", "주도"},
		"한사랑내과는":   {"한사", "사랑", "랑내", "내과"},
		"정형외과에서":   {"정형", "형외", "외과"},
		"Netflix로": {"netflix"},
	} {
		if got := memory.Tokenize(w); !slices.Equal(got, want) {
			t.Errorf("Tokenize(%q) = %q, want %q", w, got, want)
		}
	}
	e := newKoEnEngine(t, memory.Config{})
	ctx := context.Background()
	for _, c := range []string{"어제 운동했었어.", "작년에 여행했었어."} {
		if _, err := e.Retain(ctx, "gram", c, memory.RetainOptions{Timestamp: koEnNow}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.Recall(ctx, "gram", "공부했었어", memory.RecallOptions{Arms: []memory.Arm{memory.ArmKeyword}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) != 0 {
		t.Errorf("공부했었어 matched %d memories by grammar alone: %q", len(r.Hits), r.Hits[0].Text)
	}
}
