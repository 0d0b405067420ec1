package memory_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// Empty, blank and oversized inputs fail with errors that match the
// package's sentinels and name what was wrong.
func TestKoEnInputErrors(t *testing.T) {
	e := newKoEnEngine(t, memory.Config{})
	ctx := context.Background()
	check := func(what string, err error, sentinel error, words ...string) {
		t.Helper()
		if !errors.Is(err, sentinel) {
			t.Errorf("%s: error %v, want %v", what, err, sentinel)
			return
		}
		for _, w := range words {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not name %q", what, err, w)
			}
		}
	}
	_, err := e.Retain(ctx, koEnBank, "", memory.RetainOptions{})
	check("empty content", err, memory.ErrInvalid, "content is empty")
	_, err = e.Retain(ctx, koEnBank, " \n\t　", memory.RetainOptions{})
	check("blank content", err, memory.ErrInvalid, "content is empty")
	_, err = e.Retain(ctx, "", "민수는 판교에 산다.", memory.RetainOptions{})
	check("empty bank", err, memory.ErrInvalid, "bank is empty")
	_, err = e.Retain(ctx, koEnBank, "민수는 판교에 산다.", memory.RetainOptions{Kind: "belief"})
	check("bad kind", err, memory.ErrInvalid, "belief")
	_, err = e.Retain(ctx, koEnBank, "민수는 판교에 산다.", memory.RetainOptions{OccurredStart: koEnNow, OccurredEnd: koEnDay(2026, 1, 1)})
	check("end before start", err, memory.ErrInvalid, "occurred end")
	_, err = e.Retain(ctx, koEnBank, "민수는\xff 판교에 산다.", memory.RetainOptions{})
	check("invalid UTF-8", err, memory.ErrInvalid, "content")

	big := strings.Repeat("가나다라마바사아자차카타파하. ", 1<<20/40+1)
	_, err = e.Retain(ctx, koEnBank, big, memory.RetainOptions{})
	check("over 1 MiB", err, memory.ErrLimit, "Config.MaxRetainBytes")
	var le *memory.LimitError
	if errors.As(err, &le) && (le.Max != memory.DefaultMaxRetainBytes || le.Got != len(big)) {
		t.Errorf("LimitError %+v, want Max %d Got %d", le, memory.DefaultMaxRetainBytes, len(big))
	}
	if n, _ := e.Store().Count(ctx, koEnBank, memory.Filter{}); n != 0 {
		t.Errorf("refused retains stored %d memories", n)
	}

	_, err = e.Recall(ctx, koEnBank, "", memory.RecallOptions{})
	check("empty query", err, memory.ErrInvalid, "query is empty")
	_, err = e.Recall(ctx, koEnBank, "　 \n", memory.RecallOptions{})
	check("blank query", err, memory.ErrInvalid, "query is empty")
	_, err = e.Recall(ctx, "", "민수", memory.RecallOptions{})
	check("empty recall bank", err, memory.ErrInvalid, "bank is empty")
	_, err = e.Recall(ctx, koEnBank, "민수", memory.RecallOptions{Budget: 9})
	check("unknown budget", err, memory.ErrInvalid, "budget")
	_, err = e.Recall(ctx, koEnBank, "민수", memory.RecallOptions{MaxResults: -1})
	check("negative MaxResults", err, memory.ErrInvalid, "MaxResults")
	_, err = e.Recall(ctx, koEnBank, "민수", memory.RecallOptions{Arms: []memory.Arm{7}})
	check("unknown arm", err, memory.ErrInvalid, "arm")
	_, err = e.Recall(ctx, koEnBank, "민수", memory.RecallOptions{Filter: memory.Filter{Kinds: []memory.Kind{"belief"}}})
	check("bad filter kind", err, memory.ErrInvalid, "belief")
}

// Long inputs below the limits work: a long query, a long single
// sentence, and a content of only questions (which the offline extractor
// drops: nothing is stored and nothing fails).
func TestKoEnLongAndQuestionOnlyInputs(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	ctx := context.Background()
	q := strings.Repeat("오늘 날씨가 좋네요 그런데 ", 4000) + "만년필"
	r, err := s.e.Recall(ctx, koEnBank, q, memory.RecallOptions{MaxResults: 3})
	if err != nil {
		t.Fatalf("long query (%d bytes): %v", len(q), err)
	}
	if len(r.Hits) == 0 || s.keys(r.Hits)[0] != "k03" {
		t.Errorf("long query ending in 만년필: %v", s.keys(r.Hits))
	}
	long := "민수의 노트북 비밀번호 힌트는 " + strings.Repeat("아주 ", 20000) + "긴 문장이다"
	res, err := s.e.Retain(ctx, "long", long, memory.RetainOptions{Timestamp: koEnNow})
	if err != nil || len(res.Memories) != 1 || res.Memories[0].Text != long {
		t.Fatalf("long sentence: %d memories, %v", len(res.Memories), err)
	}
	r, err = s.e.Recall(ctx, "long", "노트북 비밀번호 힌트", memory.RecallOptions{MaxResults: 1})
	if err != nil || len(r.Hits) != 1 {
		t.Errorf("long sentence recall: %d hits, %v", len(r.Hits), err)
	}
	res, err = s.e.Retain(ctx, "questions", "민수는 어디 살아? Where does Hana live?", memory.RetainOptions{})
	if err != nil || len(res.Memories) != 0 {
		t.Errorf("question-only content: %d memories, %v", len(res.Memories), err)
	}
}
