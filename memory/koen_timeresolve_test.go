package memory_test

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// Dates without a year resolve by the sentence's tense (ParseTimeWindow):
// future and present sentences look ahead or to the nearer date.
func TestKoEnYearlessDatesByTense(t *testing.T) {
	e := newKoEnEngine(t, memory.Config{})
	for _, c := range []struct{ content, want string }{
		{"I will visit Busan on May 3.", "2026-05-03"},
		{"5월 3일에 부산에 갈 거예요.", "2026-05-03"},
		{"Mina's wedding is on June 6.", "2026-06-06"},
		{"12월 3일에 운동했어.", "2025-12-03"},
		{"I ran 10k on April 2.", "2026-04-02"},
		{"4월 2일에 회식했다.", "2026-04-02"},
		{"다음 주 화요일에 치과 예약이 있다.", "2026-04-21"},
		{"next Friday I fly to Jeju.", "2026-04-17"},
		{"모레 민수 생일 파티가 있다.", "2026-04-17"},
		{"2주 전에 건강검진을 받았다.", "2026-03-30"},
	} {
		res, err := e.Retain(context.Background(), "dates", c.content, memory.RetainOptions{Timestamp: koEnNow})
		if err != nil {
			t.Fatal(err)
		}
		if got := res.Memories[0].OccurredStart.Format("2006-01-02"); got != c.want {
			t.Errorf("%q told %s: occurred %s, want %s", c.content, koEnNow.Format("2006-01-02"), got, c.want)
		}
	}
}
