package memory

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// tense is the grammatical time of the sentence a date appears in; it
// decides which year a month or day given without one falls in.
type tense int

const (
	// tenseNone: no marker; the nearest occurrence (either side) wins.
	tenseNone tense = iota
	// tensePast: the latest occurrence not after now.
	tensePast
	// tenseFuture: the first occurrence not before today.
	tenseFuture
)

var enFutureRE = regexp.MustCompile(`\b(?:will|shall|going to|gonna|plan|plans|planning|planned to|scheduled|upcoming|tomorrow|next|intend to)\b|'ll\b|^plan:`)
var enPastRE = regexp.MustCompile(`\b(?:was|were|did|had|went|got|came|met|saw|ate|bought|took|told|said|made|ran|happened|[a-z]{2,}ed)\b`)

// tenseOf guesses the tense of lower-cased text. Korean future: a
// syllable ending in ㄹ before 거/것/게 (할 거야, 갈게), 예정, 기로 (하기로
// 했다), 려고, 겠, 내일, 모레, 다음, 내년. Korean past: a syllable with the
// final consonant ㅆ (했, 갔, 었, 았, 였) other than 있. English: will,
// going to, next, tomorrow, 'll; past: was, did, went, -ed and the like.
// Future markers win over past ones ("하기로 했어" is a plan).
func tenseOf(lower string) tense {
	if enFutureRE.MatchString(lower) || koFuture(lower) {
		return tenseFuture
	}
	if enPastRE.MatchString(lower) || koPast(lower) {
		return tensePast
	}
	return tenseNone
}

var koFutureWords = []string{"예정", "기로", "려고", "겠", "내일", "모레", "다음", "내년", "계획"}

func koFuture(s string) bool {
	for _, w := range koFutureWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	prevL := false // the previous syllable ends in ㄹ
	for _, r := range s {
		if prevL && (r == '거' || r == '것' || r == '게' || r == '께') {
			return true
		}
		if r == ' ' {
			continue
		}
		prevL = r >= 0xAC00 && r <= 0xD7A3 && (r-0xAC00)%28 == 8
	}
	return false
}

func koPast(s string) bool {
	for _, r := range s {
		if r >= 0xAC00 && r <= 0xD7A3 && (r-0xAC00)%28 == 20 && r != '있' {
			return true
		}
	}
	return false
}

// nearMonth places a month given without a year: the latest not after
// now in the past tense, the first not before now in the future tense,
// else the nearer of the two.
func nearMonth(m time.Month, now time.Time, tn tense) TimeRange {
	y := now.Year()
	past, future := y, y
	if m > now.Month() {
		past--
	}
	if m < now.Month() {
		future++
	}
	switch tn {
	case tensePast:
		return monthOf(past, m, now.Location())
	case tenseFuture:
		return monthOf(future, m, now.Location())
	}
	p, f := monthOf(past, m, now.Location()), monthOf(future, m, now.Location())
	if now.Sub(p.End) <= f.Start.Sub(now) {
		return p
	}
	return f
}

// nearDay places a month and day given without a year, as nearMonth.
func nearDay(m time.Month, d int, now time.Time, tn tense) (TimeRange, bool) {
	if d < 1 || d > 31 {
		return TimeRange{}, false
	}
	today := dayRange(now)
	y := now.Year()
	loc := now.Location()
	past, future := y, y
	if time.Date(y, m, d, 0, 0, 0, 0, loc).After(today.Start) {
		past--
	}
	if time.Date(y, m, d, 0, 0, 0, 0, loc).Before(today.Start) {
		future++
	}
	switch tn {
	case tensePast:
		return validDay(past, m, d, loc)
	case tenseFuture:
		return validDay(future, m, d, loc)
	}
	p, okp := validDay(past, m, d, loc)
	f, okf := validDay(future, m, d, loc)
	switch {
	case !okp:
		return f, okf
	case !okf:
		return p, okp
	case now.Sub(p.Start) <= f.Start.Sub(now):
		return p, true
	}
	return f, true
}

// soFar cuts a current period (this week, month, year) at now unless the
// sentence speaks of the future, when the whole period is meant.
func soFar(r TimeRange, now time.Time, tn tense) TimeRange {
	if tn == tenseFuture || now.Before(r.Start) || now.After(r.End) {
		return r
	}
	return TimeRange{Start: r.Start, End: now}
}

// yearWord maps a Korean or English year word to an offset from now's year.
var yearWord = map[string]int{"재작년": -2, "작년": -1, "지난해": -1, "지난 해": -1, "올해": 0, "금년": 0, "올": 0, "내년": 1, "다음 해": 1, "다음해": 1,
	"last year": -1, "this year": 0, "next year": 1}

const koYearAlt = `(재작년|작년|지난\s*해|올해|금년|내년|다음\s*해)`

func yearOffset(w string) int {
	w = strings.Join(strings.Fields(w), " ")
	return yearWord[w]
}

// leadRules run before the general rules: forms whose parts the general
// rules would split ("작년 12월" is December of last year, not last year).
var leadRules = []timeRule{
	{holidayHints, holidayRE, holidayRule},
	{[]string{"봄", "여름", "가을", "겨울", "spring", "summer", "autumn", "fall", "winter"}, seasonRE, seasonRule},
	// 작년 12월 24일, 내년 6월, 올해 3월
	{[]string{"년", "해"}, regexp.MustCompile(koYearAlt + `\s*(\d{1,2})월(?:\s*(\d{1,2})일)?`), func(m []string, now time.Time, _ tense) (TimeRange, bool) {
		y := now.Year() + yearOffset(m[1])
		mo := atoi(m[2])
		if mo < 1 || mo > 12 {
			return TimeRange{}, false
		}
		if m[3] != "" {
			return validDay(y, time.Month(mo), atoi(m[3]), now.Location())
		}
		return monthOf(y, time.Month(mo), now.Location()), true
	}},
	// December last year, June next year
	{[]string{"year"}, regexp.MustCompile(`\b` + monthAlt + `,? (last|this|next) year\b`), func(m []string, now time.Time, _ tense) (TimeRange, bool) {
		return monthOf(now.Year()+yearOffset(m[2]+" year"), monthNames[m[1]], now.Location()), true
	}},
	// last December (the latest before this month), next June, this March
	{[]string{"last", "next", "this", "past"}, regexp.MustCompile(`\b(last|this past|next|this coming|this) ` + monthAlt + `\b`), func(m []string, now time.Time, _ tense) (TimeRange, bool) {
		mo := monthNames[m[2]]
		y := now.Year()
		switch m[1] {
		case "last", "this past":
			if mo >= now.Month() {
				y--
			}
		case "next", "this coming":
			if mo <= now.Month() {
				y++
			}
		}
		return monthOf(y, mo, now.Location()), true
	}},
	// 다음 달 5일, the 5th of next month
	{[]string{"다음", "next"}, regexp.MustCompile(`다음\s*달\s*(\d{1,2})일|\b(?:the )?(\d{1,2})(?:st|nd|rd|th)? of next month\b`), func(m []string, now time.Time, _ tense) (TimeRange, bool) {
		d := m[1] + m[2]
		t := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, now.Location())
		return validDay(t.Year(), t.Month(), atoi(d), now.Location())
	}},
	// 다음 주 화요일, next Tuesday, this coming Friday
	{[]string{"다음", "next", "coming"}, regexp.MustCompile(`\b(?:next|this coming) ` + weekdayAlt + `\b|다음\s*주\s*(월요일|화요일|수요일|목요일|금요일|토요일|일요일)`), func(m []string, now time.Time, _ tense) (TimeRange, bool) {
		if m[1] != "" { // the first such weekday after today
			fwd := (int(weekdayNames[m[1]]) - int(now.Weekday()) + 7) % 7
			if fwd == 0 {
				fwd = 7
			}
			return dayRange(now.AddDate(0, 0, fwd)), true
		}
		w := weekOf(now.AddDate(0, 0, 7))
		off := (int(weekdayNames[m[2]]) + 6) % 7
		return dayRange(w.Start.AddDate(0, 0, off)), true
	}},
	{[]string{"tomorrow", "모레"}, regexp.MustCompile(`\bthe day after tomorrow\b|모레`), fixed(func(now time.Time) TimeRange { return dayRange(now.AddDate(0, 0, 2)) })},
	{[]string{"tomorrow", "내일"}, regexp.MustCompile(`\btomorrow\b|내일`), fixed(func(now time.Time) TimeRange { return dayRange(now.AddDate(0, 0, 1)) })},
	{[]string{"next", "다음"}, regexp.MustCompile(`\bnext week\b|다음\s*주`), fixed(func(now time.Time) TimeRange { return weekOf(now.AddDate(0, 0, 7)) })},
	{[]string{"next", "다음"}, regexp.MustCompile(`\bnext month\b|다음\s*달`), fixed(func(now time.Time) TimeRange {
		t := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, now.Location())
		return monthOf(t.Year(), t.Month(), now.Location())
	})},
	// N일 후, N주 뒤, in 3 days
	{[]string{"후", "뒤", "in "}, regexp.MustCompile(`(\d+)\s*(일|주|개월|달)\s*(?:후|뒤)|\bin ` + numAlt + ` (day|week|month)s?\b`), func(m []string, now time.Time, _ tense) (TimeRange, bool) {
		n, unit := atoi(m[1]), m[2]
		if m[1] == "" {
			n, unit = atoi(m[3]), m[4]
		}
		if n <= 0 || n > 1000 {
			return TimeRange{}, false
		}
		switch unit {
		case "일", "day":
			return dayRange(now.AddDate(0, 0, n)), true
		case "주", "week":
			return weekOf(now.AddDate(0, 0, 7*n)), true
		}
		t := time.Date(now.Year(), now.Month()+time.Month(n), 1, 0, 0, 0, 0, now.Location())
		return monthOf(t.Year(), t.Month(), now.Location()), true
	}},
	{[]string{"next", "내년"}, regexp.MustCompile(`\bnext year\b|내년`), fixed(func(now time.Time) TimeRange { return yearOf(now.Year()+1, now.Location()) })},
}

// Holidays. Solar ones are fixed dates (Thanksgiving: the fourth Thursday
// of November); 설날 and 추석 (and 부처님 오신 날) follow the Korean lunisolar
// calendar, computed by [koreanLunarDay]; 설 and 추석 mean the three-day
// public holiday (the day before, the day, the day after).
type holiday struct {
	names []string
	// on returns the holiday's window in year y.
	on func(y int, loc *time.Location) TimeRange
}

func fixedDay(m time.Month, d int) func(int, *time.Location) TimeRange {
	return func(y int, loc *time.Location) TimeRange { return dayOf(y, m, d, loc) }
}

func lunarSpan(month, day, before, after int) func(int, *time.Location) TimeRange {
	return func(y int, loc *time.Location) TimeRange {
		t := koreanLunarDay(y, month, day)
		s := time.Date(t.Year(), t.Month(), t.Day()-before, 0, 0, 0, 0, loc)
		e := time.Date(t.Year(), t.Month(), t.Day()+after+1, 0, 0, 0, 0, loc).Add(-time.Nanosecond)
		return TimeRange{Start: s, End: e}
	}
}

var holidays = []holiday{
	{[]string{"christmas eve", "크리스마스 이브", "크리스마스이브"}, fixedDay(12, 24)},
	{[]string{"christmas", "크리스마스", "성탄절", "xmas"}, fixedDay(12, 25)},
	{[]string{"new year's eve", "new years eve", "섣달그믐", "연말"}, fixedDay(12, 31)},
	{[]string{"new year's day", "new years day", "new year's", "신정", "새해 첫날"}, fixedDay(1, 1)},
	{[]string{"설 연휴", "설연휴", "설날", "구정", "설"}, lunarSpan(1, 1, 1, 1)},
	{[]string{"추석 연휴", "추석연휴", "추석", "한가위"}, lunarSpan(8, 15, 1, 1)},
	{[]string{"부처님 오신 날", "부처님오신날", "석가탄신일"}, lunarSpan(4, 8, 0, 0)},
	{[]string{"어린이날"}, fixedDay(5, 5)},
	{[]string{"삼일절"}, fixedDay(3, 1)},
	{[]string{"현충일"}, fixedDay(6, 6)},
	{[]string{"광복절"}, fixedDay(8, 15)},
	{[]string{"개천절"}, fixedDay(10, 3)},
	{[]string{"한글날"}, fixedDay(10, 9)},
	{[]string{"halloween", "핼러윈", "할로윈"}, fixedDay(10, 31)},
	{[]string{"valentine's day", "valentines day", "밸런타인데이", "발렌타인데이"}, fixedDay(2, 14)},
	{[]string{"independence day", "fourth of july", "4th of july"}, fixedDay(7, 4)},
	{[]string{"thanksgiving"}, func(y int, loc *time.Location) TimeRange {
		first := time.Date(y, 11, 1, 0, 0, 0, 0, loc)
		off := (int(time.Thursday) - int(first.Weekday()) + 7) % 7
		return dayOf(y, 11, 1+off+21, loc)
	}},
}

var holidayHints, holidayRE = func() ([]string, *regexp.Regexp) {
	var hints, alts []string
	for _, h := range holidays {
		for _, n := range h.names {
			alts = append(alts, regexp.QuoteMeta(n))
			r, _ := utf8.DecodeRuneInString(n)
			if r < utf8.RuneSelf {
				hints = append(hints, n[:min(len(n), 6)])
			} else {
				hints = append(hints, string(r))
			}
		}
	}
	mod := `(?:(재작년|작년|지난\s*해|올해|금년|내년|지난|저번|이번|다음|last year's|last|this past|this|next)\s*)?`
	// 설 is one syllable: it must stand alone ("설에", "설 연휴"), not
	// inside a word (설명, 설치).
	re := `(?:^|[^\p{Hangul}])` + mod + `(` + strings.Join(alts, "|") + `)(?:[^\p{Hangul}]|$|에|엔|때|날|연휴|이|은|는|을|를|도|부터|까지|전|후|쯤|에는)`
	return hints, regexp.MustCompile(re)
}()

func holidayRule(m []string, now time.Time, tn tense) (TimeRange, bool) {
	mod := strings.Join(strings.Fields(m[1]), " ")
	name := m[2]
	if name == "설" && strings.Contains(m[0], "설명") {
		return TimeRange{}, false
	}
	var h *holiday
	for i := range holidays {
		for _, n := range holidays[i].names {
			if n == name {
				h = &holidays[i]
			}
		}
	}
	if h == nil {
		return TimeRange{}, false
	}
	loc := now.Location()
	switch mod {
	case "재작년", "작년", "지난해", "지난 해", "last year's":
		return h.on(now.Year()+yearOffset(strings.TrimSuffix(mod, "'s")), loc), true
	case "올해", "금년", "이번", "this":
		if mod == "this" || mod == "이번" {
			break // this Christmas: the coming one, or today's
		}
		return h.on(now.Year(), loc), true
	case "내년":
		return h.on(now.Year()+1, loc), true
	case "지난", "저번", "last", "this past":
		tn = tensePast
	case "다음", "next":
		tn = tenseFuture
	}
	if mod == "this" || mod == "이번" {
		tn = tenseFuture
	}
	prev, cur, next := h.on(now.Year()-1, loc), h.on(now.Year(), loc), h.on(now.Year()+1, loc)
	latestPast, firstFuture := cur, cur
	if cur.Start.After(now) {
		latestPast = prev
	}
	if cur.End.Before(now) {
		firstFuture = next
	}
	switch tn {
	case tensePast:
		if latestPast.End.After(now) && mod != "" { // "last Christmas" on Christmas day: the one before
			return prev, true
		}
		return latestPast, true
	case tenseFuture:
		return firstFuture, true
	}
	if now.Sub(latestPast.End) <= firstFuture.Start.Sub(now) {
		return latestPast, true
	}
	return firstFuture, true
}

// Seasons are meteorological: spring March to May, summer June to
// August, autumn September to November, winter December to February
// (the winter of year y starts in December of y).
var seasonRE = regexp.MustCompile(`(?:(재작년|작년|지난\s*해|올해|금년|내년|지난|저번|이번|올|다음)\s*(봄|여름|가을|겨울))|(?:^|[^\p{Hangul}])(봄|여름|가을|겨울)(?:에|엔|이|은|는|방학|휴가|내내|동안|\s|$)|\b(?:(last|this past|this|next)\s+|(?:in|during|over|through) (?:the )?)(spring|summer|autumn|fall|winter)\b`)

func seasonOf(y int, s string, loc *time.Location) TimeRange {
	start := map[string]time.Month{"봄": 3, "spring": 3, "여름": 6, "summer": 6, "가을": 9, "autumn": 9, "fall": 9, "겨울": 12, "winter": 12}[s]
	st := time.Date(y, start, 1, 0, 0, 0, 0, loc)
	return TimeRange{Start: st, End: st.AddDate(0, 3, 0).Add(-time.Nanosecond)}
}

func seasonRule(m []string, now time.Time, tn tense) (TimeRange, bool) {
	mod, name := m[1], m[2]
	if name == "" {
		name = m[3]
	}
	if name == "" {
		mod, name = m[4], m[5]
	}
	mod = strings.Join(strings.Fields(mod), " ")
	loc := now.Location()
	// the season containing now, or the last one to start before it
	y := now.Year()
	if (name == "겨울" || name == "winter") && now.Month() <= 2 {
		y-- // January's winter started last December
	}
	cur := seasonOf(y, name, loc)
	switch mod {
	case "재작년", "작년", "지난해", "지난 해":
		return seasonOf(y+yearOffset(mod), name, loc), true
	case "내년":
		return seasonOf(y+1, name, loc), true
	case "올해", "금년", "올", "이번", "this":
		return cur, true
	case "지난", "저번", "last", "this past":
		if !cur.End.Before(now) {
			return seasonOf(y-1, name, loc), true
		}
		return cur, true
	case "다음", "next":
		if cur.Start.After(now) {
			return cur, true
		}
		return seasonOf(y+1, name, loc), true
	}
	switch {
	case tn == tenseFuture && !cur.Start.After(now):
		if cur.End.After(now) {
			return cur, true
		}
		return seasonOf(y+1, name, loc), true
	case tn == tenseFuture:
		return cur, true
	case cur.Start.After(now):
		return seasonOf(y-1, name, loc), true
	}
	return cur, true
}
