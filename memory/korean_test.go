package memory_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

func TestKoreanStem(t *testing.T) {
	for in, want := range map[string]string{
		"서울에서": "서울", "운동했어요": "운동", "운동했었어": "운동", "수진이네": "수진", "수진이가": "수진", "수진이랑": "수진",
		"팀장님이": "팀장", "도서관에서": "도서관", "정형외과에서": "정형외과", "회의를": "회의", "회의": "회의", "고양이": "고양", "고양이를": "고양",
		"사과": "사과", "먹었어": "먹", "발표했습니다": "발표", "예약했잖아": "예약", "비밀번호는": "비밀번호", "한사랑내과는": "한사랑내과",
		"뭐였지": "", "알려줘": "", "이야": "", "로": "",
	} {
		if got := memory.KoreanStem(in); got != want {
			t.Errorf("KoreanStem(%q) = %q, want %q", in, got, want)
		}
	}
	// the terms no longer include grammar
	for _, bad := range []string{"있었", "었잖", "였지", "에서", "었지"} {
		for _, s := range []string{"회의가 있었잖아", "어제 수진이랑 영화 봤었지", "서울에서 뭐였지", "빌렸었지"} {
			if slices.Contains(memory.Tokenize(s), bad) {
				t.Errorf("Tokenize(%q) has the ending term %q", s, bad)
			}
		}
	}
}

// Issue 14, item 3: a memory that shares only verb endings with the query
// is not a keyword hit.
func TestKeywordArmIgnoresKoreanEndings(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{MinKeywordScore: -1})
	retain(t, e, "k", "헬스장에서 운동했었지.", now)
	retain(t, e, "k", "도서관에서 책 빌렸었지.", now)
	retain(t, e, "k", "회의가 길게 있었잖아.", now)
	res, err := e.Recall(ctx, "k", "헬스장 갔었지?", memory.RecallOptions{Arms: []memory.Arm{memory.ArmKeyword}})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitTexts(res); !slices.Equal(got, []string{"헬스장에서 운동했었지."}) {
		t.Fatalf("keyword hits %q, want only the gym", got)
	}
}
