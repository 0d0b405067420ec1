package memory

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// parseTimeEager is parseTime as it was before the tense was computed
// lazily: the tense of every text first, then the rules.
func parseTimeEager(text string, now time.Time) (TimeRange, string, bool) {
	if now.IsZero() {
		now = time.Now()
	}
	lower := strings.ToLower(text)
	f := featuresOf(lower)
	tn := tenseOf(lower)
	for _, r := range timeRules {
		if !hinted(r.hint, lower, &f) {
			continue
		}
		m := r.re.FindStringSubmatch(lower)
		if m == nil {
			continue
		}
		if w, ok := r.fn(m, now, tn); ok {
			return w, m[0], true
		}
	}
	return TimeRange{}, "", false
}

// The tense is computed only once a rule matched; the windows must be
// those of computing it first, for every time expression of the time
// parser's tests (read from their sources), alone and inside past,
// future and tenseless sentences in English and Korean, at several
// reference times.
func TestParseTimeLazyTenseSameWindows(t *testing.T) {
	lit := regexp.MustCompile(`\{("(?:[^"\\]|\\.)*")\s*,`)
	var texts []string
	for _, f := range []string{"timeparse_test.go", "timeparse_year_test.go"} {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lit.FindAllStringSubmatch(string(src), -1) {
			s, err := strconv.Unquote(m[1])
			if err != nil {
				t.Fatal(err)
			}
			texts = append(texts, s)
		}
	}
	if len(texts) < 50 {
		t.Fatalf("read only %d time expressions from the tests", len(texts))
	}
	frames := []string{"%s", "I met Mina %s.", "I will meet Mina %s.", "We are meeting %s at 3", "%s 민수를 만났다.",
		"%s 민수를 만날 거야.", "%s 회의 예정", "Note 15: the user visited Seoul %s", "User: what about %s?\nAssistant: sunny, 15 degrees."}
	nows := []time.Time{
		time.Date(2025, 4, 16, 15, 0, 0, 0, time.FixedZone("KST", 9*3600)),
		time.Date(2026, 12, 20, 15, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
	n, found := 0, 0
	for _, x := range append(texts, "", "nothing here", "Seoul is sunny, 15 degrees.", "민수는 부산에서 누구와 저녁을 먹었어?") {
		for _, fr := range frames {
			s := strings.Replace(fr, "%s", x, 1)
			for _, now := range nows {
				w1, m1, ok1 := parseTime(s, now)
				w2, m2, ok2 := parseTimeEager(s, now)
				if ok1 != ok2 || m1 != m2 || !w1.Start.Equal(w2.Start) || !w1.End.Equal(w2.End) {
					t.Fatalf("%q at %v: lazy %v %q %v, eager %v %q %v", s, now, w1, m1, ok1, w2, m2, ok2)
				}
				n++
				if ok1 {
					found++
				}
			}
		}
	}
	if found < n/2 {
		t.Fatalf("only %d of %d texts had a time expression", found, n)
	}
}
