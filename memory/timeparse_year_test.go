package memory

import (
	"testing"
	"time"
)

// Published 설날 and 추석 dates (Korean public holidays).
func TestKoreanLunarHolidays(t *testing.T) {
	seollal := map[int]string{2017: "2017-01-28", 2018: "2018-02-16", 2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12",
		2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29", 2026: "2026-02-17", 2027: "2027-02-07"}
	chuseok := map[int]string{2017: "2017-10-04", 2018: "2018-09-24", 2019: "2019-09-13", 2020: "2020-10-01", 2021: "2021-09-21",
		2022: "2022-09-10", 2023: "2023-09-29", 2024: "2024-09-17", 2025: "2025-10-06", 2026: "2026-09-25", 2027: "2027-09-15"}
	for y, want := range seollal {
		if got := koreanLunarDay(y, 1, 1).Format(time.DateOnly); got != want {
			t.Errorf("설날 %d = %s, want %s", y, got, want)
		}
	}
	for y, want := range chuseok {
		if got := koreanLunarDay(y, 8, 15).Format(time.DateOnly); got != want {
			t.Errorf("추석 %d = %s, want %s", y, got, want)
		}
	}
	// 부처님 오신 날 2025-05-05, 2026-05-24
	for y, want := range map[int]string{2025: "2025-05-05", 2026: "2026-05-24"} {
		if got := koreanLunarDay(y, 4, 8).Format(time.DateOnly); got != want {
			t.Errorf("부처님 오신 날 %d = %s, want %s", y, got, want)
		}
	}
}

// Issue 14, items 1 and 2: dates resolve to the right year, and query
// windows combine their parts.
func TestTimeYearResolution(t *testing.T) {
	kst := time.FixedZone("KST", 9*3600)
	now := time.Date(2026, 12, 20, 15, 0, 0, 0, kst) // a Sunday
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, kst) }
	end := func(t time.Time) time.Time { return t.Add(-time.Nanosecond) }
	cases := []struct {
		in         string
		start, end time.Time
	}{
		// a later date of this month said without tense: this year's
		{"12월 24일에 을지로에서 송년회 하기로 했어.", d(2026, 12, 24), end(d(2026, 12, 25))},
		{"12월 24일 송년회", d(2026, 12, 24), end(d(2026, 12, 25))},
		{"On December 24 we host the team dinner.", d(2026, 12, 24), end(d(2026, 12, 25))},
		// past tense goes back
		{"12월 3일에 헬스장에서 운동했어", d(2026, 12, 3), end(d(2026, 12, 4))},
		{"1월 5일에 이케아에서 책장 샀어요", d(2026, 1, 5), end(d(2026, 1, 6))},
		{"On January 5 I bought a bookshelf.", d(2026, 1, 5), end(d(2026, 1, 6))},
		// future tense goes forward
		{"1월 5일에 이사할 거예요", d(2027, 1, 5), end(d(2027, 1, 6))},
		{"I will fly to Jeju on January 5.", d(2027, 1, 5), end(d(2027, 1, 6))},
		{"내년 6월에 제주도 한 달 살기 할 거예요.", d(2027, 6, 1), end(d(2027, 7, 1))},
		{"Next June I will spend a month in Lisbon.", d(2027, 6, 1), end(d(2027, 7, 1))},
		{"다음 달 5일에 이사해요.", d(2027, 1, 5), end(d(2027, 1, 6))},
		{"I move on the 5th of next month.", d(2027, 1, 5), end(d(2027, 1, 6))},
		{"다음 달에 봐요", d(2027, 1, 1), end(d(2027, 2, 1))},
		{"next month", d(2027, 1, 1), end(d(2027, 2, 1))},
		{"다음 주 화요일에 만나", d(2026, 12, 22), end(d(2026, 12, 23))},
		{"next Tuesday", d(2026, 12, 22), end(d(2026, 12, 23))},
		{"내일 치과 갈 거야", d(2026, 12, 21), end(d(2026, 12, 22))},
		{"tomorrow", d(2026, 12, 21), end(d(2026, 12, 22))},
		{"3일 후에", d(2026, 12, 23), end(d(2026, 12, 24))},
		{"내년", d(2027, 1, 1), end(d(2028, 1, 1))},
		// an explicit year wins over tense
		{"2025년 12월 24일에 만날 거야", d(2025, 12, 24), end(d(2025, 12, 25))},
		// query windows
		{"작년 12월에 뭐 했지?", d(2025, 12, 1), end(d(2026, 1, 1))},
		{"재작년 3월", d(2024, 3, 1), end(d(2024, 4, 1))},
		{"What did I do last December?", d(2025, 12, 1), end(d(2026, 1, 1))},
		{"last March", d(2026, 3, 1), end(d(2026, 4, 1))},
		{"December last year", d(2025, 12, 1), end(d(2026, 1, 1))},
		{"이번 달에 뭐 했어?", d(2026, 12, 1), now},
		{"What have I done this month?", d(2026, 12, 1), now},
		{"이번 주", d(2026, 12, 14), now},
		{"올해 뭐 했지", d(2026, 1, 1), now},
		{"이번 달에 뭐 할 거야?", d(2026, 12, 1), end(d(2027, 1, 1))},
		// holidays
		{"지난 추석에 뭐 했더라?", d(2026, 9, 24), end(d(2026, 9, 27))},
		{"설 연휴에 뭐 했어요?", d(2026, 2, 16), end(d(2026, 2, 19))},
		{"작년 설날", d(2025, 1, 28), end(d(2025, 1, 31))},
		{"내년 추석", d(2027, 9, 14), end(d(2027, 9, 17))},
		{"작년 크리스마스에 뭐 했지?", d(2025, 12, 25), end(d(2025, 12, 26))},
		{"What did I do last Christmas?", d(2025, 12, 25), end(d(2025, 12, 26))},
		{"크리스마스에 뭐 할 거야?", d(2026, 12, 25), end(d(2026, 12, 26))},
		{"What happened over Thanksgiving?", d(2026, 11, 26), end(d(2026, 11, 27))},
		{"크리스마스 이브에 만나", d(2026, 12, 24), end(d(2026, 12, 25))},
		// seasons
		{"올여름에 뭐 했어?", d(2026, 6, 1), end(d(2026, 9, 1))},
		{"What did I do this past summer?", d(2026, 6, 1), end(d(2026, 9, 1))},
		{"지난 겨울에 뭐 했었지?", d(2025, 12, 1), end(d(2026, 3, 1))},
		{"What did I do last winter?", d(2025, 12, 1), end(d(2026, 3, 1))},
		{"작년 여름", d(2025, 6, 1), end(d(2025, 9, 1))},
		{"가을에 단풍 보러 갔어", d(2026, 9, 1), end(d(2026, 12, 1))},
		{"in the spring I moved", d(2026, 3, 1), end(d(2026, 6, 1))},
	}
	for _, tc := range cases {
		w, ok := ParseTimeWindow(tc.in, now)
		if !ok {
			t.Errorf("%q: no window", tc.in)
			continue
		}
		if !w.Start.Equal(tc.start) || !w.End.Equal(tc.end) {
			t.Errorf("%q: got %s, want [%s, %s]", tc.in, w, tc.start.Format(time.RFC3339), tc.end.Format(time.RFC3339))
		}
	}
	for _, in := range []string{"설명서를 읽었다", "소설을 빌렸어", "I fall asleep early", "설치했어", "Mina likes summer fruit"} {
		if w, ok := ParseTimeWindow(in, now); ok {
			t.Errorf("%q: unexpected window %s", in, w)
		}
	}
}
