package memory

import (
	"testing"
	"time"
)

func TestParseTimeWindow(t *testing.T) {
	// Wednesday 2025-04-16 15:00 KST
	kst := time.FixedZone("KST", 9*3600)
	now := time.Date(2025, 4, 16, 15, 0, 0, 0, kst)
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, kst) }
	end := func(t time.Time) time.Time { return t.Add(-time.Nanosecond) }
	cases := []struct {
		in         string
		start, end time.Time
	}{
		{"what did I eat yesterday?", d(2025, 4, 15), end(d(2025, 4, 16))},
		{"어제 뭐 먹었지?", d(2025, 4, 15), end(d(2025, 4, 16))},
		{"the day before yesterday", d(2025, 4, 14), end(d(2025, 4, 15))},
		{"그저께 만난 사람", d(2025, 4, 14), end(d(2025, 4, 15))},
		{"What happened last week?", d(2025, 4, 7), end(d(2025, 4, 14))},
		{"지난주에 무슨 일이 있었어?", d(2025, 4, 7), end(d(2025, 4, 14))},
		{"지난 주에", d(2025, 4, 7), end(d(2025, 4, 14))},
		{"this week", d(2025, 4, 14), now},
		{"last weekend", d(2025, 4, 12), end(d(2025, 4, 14))},
		{"3 days ago", d(2025, 4, 13), end(d(2025, 4, 14))},
		{"3일 전에", d(2025, 4, 13), end(d(2025, 4, 14))},
		{"two weeks ago", d(2025, 3, 31), end(d(2025, 4, 7))},
		{"2주 전", d(2025, 3, 31), end(d(2025, 4, 7))},
		{"a month ago", d(2025, 3, 1), end(d(2025, 4, 1))},
		{"2개월 전", d(2025, 2, 1), end(d(2025, 3, 1))},
		{"last month", d(2025, 3, 1), end(d(2025, 4, 1))},
		{"지난달", d(2025, 3, 1), end(d(2025, 4, 1))},
		{"in March 2025", d(2025, 3, 1), end(d(2025, 4, 1))},
		{"2025년 3월에", d(2025, 3, 1), end(d(2025, 4, 1))},
		{"in March", d(2025, 3, 1), end(d(2025, 4, 1))},
		{"in December", d(2024, 12, 1), end(d(2025, 1, 1))},
		{"12월에 뭐 했어", d(2024, 12, 1), end(d(2025, 1, 1))},
		{"on March 5, 2025", d(2025, 3, 5), end(d(2025, 3, 6))},
		{"5 March 2025", d(2025, 3, 5), end(d(2025, 3, 6))},
		{"2025년 3월 5일", d(2025, 3, 5), end(d(2025, 3, 6))},
		{"3월 5일", d(2025, 3, 5), end(d(2025, 3, 6))},
		{"2025-02-28", d(2025, 2, 28), end(d(2025, 3, 1))},
		{"last year", d(2024, 1, 1), end(d(2025, 1, 1))},
		{"작년", d(2024, 1, 1), end(d(2025, 1, 1))},
		{"올해", d(2025, 1, 1), now},
		{"in 2023", d(2023, 1, 1), end(d(2024, 1, 1))},
		{"2023년에", d(2023, 1, 1), end(d(2024, 1, 1))},
		{"last Monday", d(2025, 4, 14), end(d(2025, 4, 15))},
		{"지난 금요일", d(2025, 4, 11), end(d(2025, 4, 12))},
		{"today", d(2025, 4, 16), end(d(2025, 4, 17))},
		{"오늘", d(2025, 4, 16), end(d(2025, 4, 17))},
		{"past 7 days", now.AddDate(0, 0, -7), now},
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
	for _, in := range []string{"Where does Mina live?", "I may go to the park", "민수는 월요일마다 수영을 한다", "the 3 cats", "2025-13-45", "3개월 동안 배웠다"} {
		if w, ok := ParseTimeWindow(in, now); ok {
			t.Errorf("%q: unexpected window %s", in, w)
		}
	}
}
