package memory

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ParseTimeWindow finds the first time expression in text and returns the
// window it denotes, relative to now and in now's location. ok is false
// when the text names no time.
//
// English: "today", "yesterday", "the day before yesterday", "last/this
// week", "last weekend", "last/this month", "last/this year", "past N
// days", "N days/weeks/months/years ago" (also "a week ago", "two months
// ago"), "last Monday", "in March", "March 2025", "March 5, 2025",
// "5 March 2025", "March 5", "in 2024", "2025-03-05".
//
// Korean: "오늘", "어제", "그저께"/"그제", "지난주"/"저번 주", "이번 주",
// "지난 주말", "지난달", "이번 달", "작년"/"지난해", "올해", "N일 전",
// "N주 전", "N개월 전"/"N달 전", "N년 전", "지난 월요일", "2025년 3월 5일",
// "2025년 3월", "3월 5일", "3월", "2025년".
//
// Also: "tomorrow"/"내일", "모레", "next week/month/year"/"다음 주"/"다음
// 달"/"내년", "next Tuesday"/"다음 주 화요일", "the 5th of next month"/"다음
// 달 5일", "N일 후", "in 3 days", a year word with a month ("작년 12월",
// "내년 6월", "last December", "December last year"), holidays (설/설날/설
// 연휴, 추석, 부처님 오신 날 from the Korean lunisolar calendar, see
// [koreanLunarDay]; 크리스마스/Christmas (Eve), New Year's, Thanksgiving,
// 어린이날 and the other fixed public holidays) and seasons ("올여름",
// "지난 겨울", "this past summer", "last winter"; meteorological: winter is
// December to February).
//
// An explicit year wins. A month or day given without a year is placed by
// the sentence's tense: the latest one not after now in the past tense
// ("12월 3일에 운동했어"), the first one not before today in the future
// tense ("1월 5일에 이사할 거예요", "I will ..."), otherwise the nearer of
// the two ("12월 24일" said on 12-20 is four days ahead). "This
// week/month/year" ("이번 달") run from the period's start to now unless
// the sentence speaks of the future. Windows are whole calendar days,
// weeks (Monday to Sunday), months or years; the end is the last
// nanosecond of the period.
func ParseTimeWindow(text string, now time.Time) (TimeRange, bool) {
	r, _, ok := parseTime(text, now)
	return r, ok
}

type timeRule struct {
	// hint lists substrings of which one must occur for the rule to be
	// tried ("#": any ASCII digit; "#-": a digit and a hyphen; "#m": a
	// digit and an English month name); a cheap pre-check before the
	// regexp.
	hint []string
	re   *regexp.Regexp
	fn   func(m []string, now time.Time, tn tense) (TimeRange, bool)
}

const monthAlt = `(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)`
const weekdayAlt = `(monday|tuesday|wednesday|thursday|friday|saturday|sunday)`
const numAlt = `(\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)`

var monthNames = map[string]time.Month{
	"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
	"may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
	"september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
	"december": 12, "dec": 12,
}

var weekdayNames = map[string]time.Weekday{
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
	"일요일": 0, "월요일": 1, "화요일": 2, "수요일": 3, "목요일": 4, "금요일": 5, "토요일": 6,
}

var numWords = map[string]int{"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}

func atoi(s string) int {
	if n, ok := numWords[s]; ok {
		return n
	}
	n, _ := strconv.Atoi(s)
	return n
}

func dayOf(y int, m time.Month, d int, loc *time.Location) TimeRange {
	s := time.Date(y, m, d, 0, 0, 0, 0, loc)
	return TimeRange{Start: s, End: s.AddDate(0, 0, 1).Add(-time.Nanosecond)}
}

func dayRange(t time.Time) TimeRange { return dayOf(t.Year(), t.Month(), t.Day(), t.Location()) }

func monthOf(y int, m time.Month, loc *time.Location) TimeRange {
	s := time.Date(y, m, 1, 0, 0, 0, 0, loc)
	return TimeRange{Start: s, End: s.AddDate(0, 1, 0).Add(-time.Nanosecond)}
}

func yearOf(y int, loc *time.Location) TimeRange {
	s := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	return TimeRange{Start: s, End: s.AddDate(1, 0, 0).Add(-time.Nanosecond)}
}

// weekOf is the Monday-to-Sunday week containing t.
func weekOf(t time.Time) TimeRange {
	off := (int(t.Weekday()) + 6) % 7
	s := time.Date(t.Year(), t.Month(), t.Day()-off, 0, 0, 0, 0, t.Location())
	return TimeRange{Start: s, End: s.AddDate(0, 0, 7).Add(-time.Nanosecond)}
}

func validDay(y int, m time.Month, d int, loc *time.Location) (TimeRange, bool) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return TimeRange{}, false
	}
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	if t.Day() != d { // 31 April and the like
		return TimeRange{}, false
	}
	return dayOf(y, m, d, loc), true
}

func lastWeekday(wd time.Weekday, now time.Time) TimeRange {
	back := (int(now.Weekday()) - int(wd) + 7) % 7
	if back == 0 {
		back = 7
	}
	return dayRange(now.AddDate(0, 0, -back))
}

func ago(n int, unit string, now time.Time) (TimeRange, bool) {
	if n <= 0 || n > 1000 {
		return TimeRange{}, false
	}
	switch unit {
	case "day", "일":
		return dayRange(now.AddDate(0, 0, -n)), true
	case "week", "주":
		return weekOf(now.AddDate(0, 0, -7*n)), true
	case "month", "개월", "달":
		t := time.Date(now.Year(), now.Month()-time.Month(n), 1, 0, 0, 0, 0, now.Location())
		return monthOf(t.Year(), t.Month(), now.Location()), true
	case "year", "년":
		return yearOf(now.Year()-n, now.Location()), true
	}
	return TimeRange{}, false
}

func fixed(f func(now time.Time) TimeRange) func([]string, time.Time, tense) (TimeRange, bool) {
	return func(_ []string, now time.Time, _ tense) (TimeRange, bool) { return f(now), true }
}

func lastMonth(now time.Time) TimeRange {
	t := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, now.Location())
	return monthOf(t.Year(), t.Month(), now.Location())
}

func lastWeekend(now time.Time) TimeRange {
	w := weekOf(now.AddDate(0, 0, -7))
	return TimeRange{Start: w.Start.AddDate(0, 0, 5), End: w.End}
}

// Rules are tried in order; the first rule that matches anywhere wins, so
// specific forms ("March 5, 2025") come before general ones ("March").
var timeRules = append(leadRules, baseRules...)

var baseRules = []timeRule{
	{[]string{"#-"}, regexp.MustCompile(`\b(\d{4})-(\d{2})-(\d{2})\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		mo, _ := strconv.Atoi(m[2])
		return validDay(atoi(m[1]), time.Month(mo), atoi(m[3]), now.Location())
	}},
	{[]string{"년"}, regexp.MustCompile(`(\d{4})년\s*(\d{1,2})월\s*(\d{1,2})일`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return validDay(atoi(m[1]), time.Month(atoi(m[2])), atoi(m[3]), now.Location())
	}},
	{[]string{"#m"}, regexp.MustCompile(`\b` + monthAlt + `\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return validDay(atoi(m[3]), monthNames[m[1]], atoi(m[2]), now.Location())
	}},
	{[]string{"#m"}, regexp.MustCompile(`\b(\d{1,2})(?:st|nd|rd|th)? (?:of )?` + monthAlt + `,? (\d{4})\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return validDay(atoi(m[3]), monthNames[m[2]], atoi(m[1]), now.Location())
	}},
	{[]string{"년"}, regexp.MustCompile(`(\d{4})년\s*(\d{1,2})월`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		mo := atoi(m[2])
		if mo < 1 || mo > 12 {
			return TimeRange{}, false
		}
		return monthOf(atoi(m[1]), time.Month(mo), now.Location()), true
	}},
	{[]string{"#m"}, regexp.MustCompile(`\b` + monthAlt + `,? (?:of )?(\d{4})\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return monthOf(atoi(m[2]), monthNames[m[1]], now.Location()), true
	}},
	{[]string{"일"}, regexp.MustCompile(`(\d{1,2})월\s*(\d{1,2})일`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return nearDay(time.Month(atoi(m[1])), atoi(m[2]), now, tn)
	}},
	{[]string{"#m"}, regexp.MustCompile(`\b` + monthAlt + `\.? (\d{1,2})(?:st|nd|rd|th)?\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return nearDay(monthNames[m[1]], atoi(m[2]), now, tn)
	}},
	{[]string{"past", "last"}, regexp.MustCompile(`\b(?:past|last) (\d+|two|three|four|five|six|seven|ten) (day|week|month|year)s\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		n := atoi(m[1])
		s := now
		switch m[2] {
		case "day":
			s = now.AddDate(0, 0, -n)
		case "week":
			s = now.AddDate(0, 0, -7*n)
		case "month":
			s = now.AddDate(0, -n, 0)
		case "year":
			s = now.AddDate(-n, 0, 0)
		}
		return TimeRange{Start: s, End: now}, n > 0
	}},
	{[]string{"ago"}, regexp.MustCompile(`\b` + numAlt + ` (day|week|month|year)s? ago\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return ago(atoi(m[1]), m[2], now)
	}},
	{[]string{"전"}, regexp.MustCompile(`(\d+)\s*(일|주|개월|달|년)\s*전`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return ago(atoi(m[1]), m[2], now)
	}},
	{[]string{"yesterday", "그저께", "그제"}, regexp.MustCompile(`\bthe day before yesterday\b|그저께|그제`), fixed(func(now time.Time) TimeRange { return dayRange(now.AddDate(0, 0, -2)) })},
	{[]string{"yesterday", "어제"}, regexp.MustCompile(`\byesterday\b|어제`), fixed(func(now time.Time) TimeRange { return dayRange(now.AddDate(0, 0, -1)) })},
	{[]string{"today", "tonight", "this ", "오늘"}, regexp.MustCompile(`\b(?:today|tonight|this morning|this afternoon|this evening)\b|오늘`), fixed(dayRange)},
	{[]string{"weekend", "주말"}, regexp.MustCompile(`\blast weekend\b|지난\s*주말|저번\s*주말`), fixed(lastWeekend)},
	{[]string{"last", "previous", "지난", "저번"}, regexp.MustCompile(`\b(?:last|previous) ` + weekdayAlt + `\b|(?:지난|저번)\s*(월요일|화요일|수요일|목요일|금요일|토요일|일요일)`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		name := m[1]
		if name == "" {
			name = m[2]
		}
		return lastWeekday(weekdayNames[name], now), true
	}},
	{[]string{"week", "주"}, regexp.MustCompile(`\b(?:last|previous) week\b|지난\s*주|저번\s*주`), fixed(func(now time.Time) TimeRange { return weekOf(now.AddDate(0, 0, -7)) })},
	{[]string{"this week", "이번"}, regexp.MustCompile(`\bthis week\b|이번\s*주`), func(_ []string, now time.Time, tn tense) (TimeRange, bool) {
		return soFar(weekOf(now), now, tn), true
	}},
	{[]string{"month", "달"}, regexp.MustCompile(`\b(?:last|previous) month\b|지난\s*달|저번\s*달`), fixed(lastMonth)},
	{[]string{"this month", "이번"}, regexp.MustCompile(`\bthis month\b|이번\s*달`), func(_ []string, now time.Time, tn tense) (TimeRange, bool) {
		return soFar(monthOf(now.Year(), now.Month(), now.Location()), now, tn), true
	}},
	{[]string{"last year", "작년", "해"}, regexp.MustCompile(`\blast year\b|작년|지난\s*해`), fixed(func(now time.Time) TimeRange { return yearOf(now.Year()-1, now.Location()) })},
	{[]string{"this year", "올해"}, regexp.MustCompile(`\bthis year\b|올해`), func(_ []string, now time.Time, tn tense) (TimeRange, bool) {
		return soFar(yearOf(now.Year(), now.Location()), now, tn), true
	}},
	{[]string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}, regexp.MustCompile(`\b(?:in|during|since|last|this|of|early|late) ` + monthAlt + `\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return nearMonth(monthNames[m[1]], now, tn), true
	}},
	{[]string{"년"}, regexp.MustCompile(`(\d{4})년`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return yearOf(atoi(m[1]), now.Location()), true
	}},
	{[]string{"월"}, regexp.MustCompile(`(?:^|[^\d])(\d{1,2})월(?:[^요]|$)`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		mo := atoi(m[1])
		if mo < 1 || mo > 12 {
			return TimeRange{}, false
		}
		return nearMonth(time.Month(mo), now, tn), true
	}},
	{[]string{"#"}, regexp.MustCompile(`\b(?:in|during|since|of) ((?:19|20)\d{2})\b`), func(m []string, now time.Time, tn tense) (TimeRange, bool) {
		return yearOf(atoi(m[1]), now.Location()), true
	}},
}

// featuresOf finds the cheap hints the rules are filtered by.
func featuresOf(lower string) features {
	var f features
	f.digit = strings.ContainsAny(lower, "0123456789")
	if f.digit {
		f.hyphen = strings.IndexByte(lower, '-') >= 0
		for _, m := range monthPrefixes {
			if strings.Contains(lower, m) {
				f.month = true
				break
			}
		}
	}
	return f
}

// parseTime returns the window and the matched text.
func parseTime(text string, now time.Time) (TimeRange, string, bool) {
	text = foldForm(text) // "４월 ３일" reads as "4월 3일"
	if now.IsZero() {
		now = time.Now()
	}
	lower := strings.ToLower(text)
	f := featuresOf(lower)
	// the tense (two regexps) only once a rule matched: most texts have
	// no time expression
	var tn tense
	tnSet := false
	for _, r := range timeRules {
		if !hinted(r.hint, lower, &f) {
			continue
		}
		m := r.re.FindStringSubmatch(lower)
		if m == nil {
			continue
		}
		if !tnSet {
			tn, tnSet = tenseOf(lower), true
		}
		if w, ok := r.fn(m, now, tn); ok {
			return w, m[0], true
		}
	}
	return TimeRange{}, "", false
}

type features struct{ digit, hyphen, month bool }

var monthPrefixes = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

func hinted(hint []string, lower string, f *features) bool {
	for _, h := range hint {
		switch h {
		case "#":
			if f.digit {
				return true
			}
		case "#-":
			if f.digit && f.hyphen {
				return true
			}
		case "#m":
			if f.month {
				return true
			}
		default:
			if strings.Contains(lower, h) {
				return true
			}
		}
	}
	return false
}
