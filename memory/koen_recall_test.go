package memory_test

import (
	"slices"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// wantTop checks that the first len(want) hits are exactly want, in order.
func wantTop(t *testing.T, s *koEnSet, q string, r memory.RecallResult, want ...string) {
	t.Helper()
	got := s.keys(r.Hits)
	if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
		t.Errorf("%q: top %d = %v, want %v\n%s", q, len(want), got[:min(len(got), len(want))], want, s.describe(r.Hits))
	}
}

// wantTopSet checks that the first len(want) hits are want in any order.
func wantTopSet(t *testing.T, s *koEnSet, q string, r memory.RecallResult, want ...string) {
	t.Helper()
	got := s.keys(r.Hits)
	if len(got) < len(want) {
		t.Errorf("%q: %d hits %v, want at least %d: %v\n%s", q, len(got), got, len(want), want, s.describe(r.Hits))
		return
	}
	top := slices.Clone(got[:len(want)])
	slices.Sort(top)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(top, w) {
		t.Errorf("%q: top %d = %v, want the set %v\n%s", q, len(want), got[:len(want)], want, s.describe(r.Hits))
	}
}

// Questions that share words with one memory find it first: English
// words, Korean words with particles and endings on either side, and
// mixed Korean/English memories.
func TestKoEnKeywordQuestions(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	cases := []struct{ q, want string }{
		{"oat milk", "k04"},
		{"Where do I get lattes?", "k04"},
		{"Wi-Fi password", "k37"},
		{"what's the wifi password at home", "k37"},
		{"평양냉면 어디서 먹었지?", "k28"},
		{"강아지 이름이 뭐야?", "k15"},
		{"만년필", "k03"},
		{"Jenkins 비밀번호", "k11"},
		{"젠킨스 말고 Jenkins 관리자 비밀번호 바꿨나?", "k11"},
		{"Kubernetes", "k32"},
		{"김치찌개", "k13"},
		{"알레르기", "k35"},
		{"peanuts", "k14"},
		{"Zoom 회의는 언제야?", "k12"},
		{"요가 말고 yoga class", "k21"},
		{"Hyundai", "k30"},
		{"half marathon", "k33"},
		{"망원동", "k38"},
		{"비타민", "k27"},
		{"화이트데이 초콜릿", "k10"},
		{"카카오 말고 Kakao", "k39"},
		{"간호사", "k22"},
	}
	for _, c := range cases {
		r := s.recall(t, c.q, memory.RecallOptions{MaxResults: 5})
		wantTop(t, s, c.q, r, c.want)
	}
}

// Entity questions: a name with any particle (는, 가, 에게, 랑, 이는, 이가)
// finds the memories of that person, and the entity recorded on the
// memory is the bare name.
func TestKoEnEntityQuestions(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	// the bare name is the entity, whatever particle the memory used
	for key, name := range map[string]string{"k01": "민수", "k02": "민수", "k03": "민수", "k36": "민수", "k22": "서연", "k23": "서연", "k20": "수진", "k40": "지훈", "k05": "Hana"} {
		if !slices.Contains(s.facts[key][0].Entities, name) {
			t.Errorf("%s %q: entities %q lack %q", key, itemText(key), s.facts[key][0].Entities, name)
		}
	}
	minsu := []string{"k01", "k02", "k03", "k18", "k19", "k36"}
	for _, q := range []string{"민수에 대해 알려줘", "민수는?", "민수가 뭐 했어?", "민수한테 뭐 줬지?", "민수랑 관련된 거"} {
		r := s.recall(t, q, memory.RecallOptions{MaxResults: 10})
		wantTopSet(t, s, q, r, minsu...)
	}
	// a person named only through RecallOptions.Entities
	r := s.recall(t, "가족", memory.RecallOptions{MaxResults: 10, Entities: []string{"서연"}})
	got := s.keys(r.Hits)
	for _, k := range []string{"k22", "k23"} {
		if !slices.Contains(got, k) {
			t.Errorf("Entities [서연]: %s missing from %v", k, got)
		}
	}
	for _, q := range []string{"서연이가 어디서 일해?", "서연이는 뭐 하는 사람이야?", "서연이랑 뭐 했지?"} {
		r := s.recall(t, q, memory.RecallOptions{MaxResults: 5})
		wantTopSet(t, s, q, r, "k22", "k23")
	}
	for _, q := range []string{"Tell me about Hana", "Who is Tom?", "Seattle"} {
		r := s.recall(t, q, memory.RecallOptions{MaxResults: 3})
		wantTop(t, s, q, r, "k05")
	}
	r = s.recall(t, "수진이 여행 언제 가?", memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "수진이 여행 언제 가?", r, "k20")
	r = s.recall(t, "도윤 팀장님이 뭘 미뤘지?", memory.RecallOptions{MaxResults: 3})
	wantTop(t, s, "도윤 팀장님이 뭘 미뤘지?", r, "k25")
	if !slices.Contains(r.Entities, "도윤") {
		t.Errorf("query entities %q lack 도윤", r.Entities)
	}
}

// Relative dates in memories resolve against the time the memory was
// told, and a question that is only a time returns exactly the memories
// inside its window first.
func TestKoEnTemporalQuestions(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	span := func(key string) string {
		m := s.facts[key][0]
		return m.OccurredStart.Format("2006-01-02") + ".." + m.OccurredEnd.Format("2006-01-02")
	}
	for key, want := range map[string]string{
		"k02": "2026-04-09..2026-04-09", // 어제, told 04-10
		"k06": "2026-04-14..2026-04-14", // last Tuesday, told Wednesday 04-15
		"k07": "2026-04-06..2026-04-12", // 지난주
		"k08": "2026-04-12..2026-04-12", // 3일 전
		"k09": "2026-03-01..2026-03-31", // In March 2026
		"k10": "2026-03-14..2026-03-14", // 2026년 3월 14일
		"k20": "2026-05-05..2026-05-05", // 다음 달 5일
		"k23": "2026-04-11..2026-04-12", // 지난 주말
		"k26": "2026-03-01..2026-03-31", // last month
		"k32": "2026-04-10..2026-04-10", // 지난 금요일
		"k33": "2025-10-26..2025-10-26", // October 26, 2025
		"k34": "2026-01-18..2026-01-18", // 2026-01-18
		"k36": "2026-04-25..2026-04-25", // 다음 주 토요일
		"k38": "2026-03-01..2026-03-31", // 지난달
	} {
		if got := span(key); got != want {
			t.Errorf("%s %q: occurred %s, want %s", key, itemText(key), got, want)
		}
	}

	r := s.recall(t, "지난주에 뭐 했지?", memory.RecallOptions{MaxResults: 10})
	if r.Window == nil || !r.Window.Start.Equal(time.Date(2026, 4, 6, 0, 0, 0, 0, koEnKST)) {
		t.Fatalf("지난주 window %v", r.Window)
	}
	// k29 says 이번 달 (04-01 to now), which overlaps last week too
	wantTopSet(t, s, "지난주에 뭐 했지?", r, "k02", "k07", "k08", "k23", "k29", "k32")

	r = s.recall(t, "what did I do in March 2026?", memory.RecallOptions{MaxResults: 10})
	wantTopSet(t, s, "what did I do in March 2026?", r, "k09", "k10", "k26", "k38")
	if got := s.keys(r.Hits); len(got) != 4 {
		t.Errorf("March 2026: %d hits %v, want only the 4 inside the window", len(got), got)
	}

	r = s.recall(t, "2026년 3월에 뭐 했어?", memory.RecallOptions{MaxResults: 10})
	wantTopSet(t, s, "2026년 3월에 뭐 했어?", r, "k09", "k10", "k26", "k38")

	r = s.recall(t, "어제 뭐 먹었지?", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "어제 뭐 먹었지?", r, "k28")

	// k28 was told on Tuesday, k29 covers this month up to now
	r = s.recall(t, "What happened last Tuesday?", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "What happened last Tuesday?", r, "k06")
	wantTopSet(t, s, "What happened last Tuesday?", r, "k06", "k28", "k29")

	r = s.recall(t, "3일 전에 누구랑 통화했어?", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "3일 전에 누구랑 통화했어?", r, "k08")

	r = s.recall(t, "지난 주말에 어디 갔었지?", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "지난 주말에 어디 갔었지?", r, "k23")

	r = s.recall(t, "다음 주 토요일 일정", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "다음 주 토요일 일정", r, "k36")

	r = s.recall(t, "What did I read last month?", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "What did I read last month?", r, "k26")

	// k16 was told on 2025-10-01 and k31 falls on 2025-10-03
	r = s.recall(t, "작년 10월에 뭐 했지?", memory.RecallOptions{MaxResults: 5})
	wantTopSet(t, s, "작년 10월에 뭐 했지?", r, "k16", "k31", "k33")

	// the temporal window restricts nothing by itself: a keyword match
	// outside the window is still found
	r = s.recall(t, "지난주 만년필", memory.RecallOptions{MaxResults: 10})
	if !slices.Contains(s.keys(r.Hits), "k03") {
		t.Errorf("지난주 만년필: k03 missing\n%s", s.describe(r.Hits))
	}
}

// A newer memory that contradicts an older one: both are kept, and the
// newer comes first for a question both answer equally well (the recency
// boost breaks near-ties, Config.RecencyAlpha).
func TestKoEnUpdatesPreferNewer(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	r := s.recall(t, "What is my phone number?", memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, "What is my phone number?", r, "k17", "k16")
	r = s.recall(t, "민수 산다", memory.RecallOptions{MaxResults: 10})
	got := s.keys(r.Hits)
	i19, i18 := slices.Index(got, "k19"), slices.Index(got, "k18")
	if i19 < 0 || i18 < 0 || i19 > i18 {
		t.Errorf("민수 산다: k19 (newer, 수원) at %d, k18 (older, 판교) at %d; want both, newer first\n%s", i19, i18, s.describe(r.Hits))
	}
	// the same fact told again is one memory, updated in place
	e := s.e
	before, _ := e.Store().Count(t.Context(), koEnBank, memory.Filter{})
	res, err := e.Retain(t.Context(), koEnBank, "민수는  판교에 산다", memory.RetainOptions{Timestamp: koEnNow})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := e.Store().Count(t.Context(), koEnBank, memory.Filter{})
	if before != after || res.Memories[0].ID != s.ids["k18"][0] {
		t.Errorf("retold fact: count %d -> %d, id %s vs %s; want one memory", before, after, res.Memories[0].ID, s.ids["k18"][0])
	}
	// now the retold fact is the newest
	r = s.recall(t, "민수 산다", memory.RecallOptions{MaxResults: 10})
	got = s.keys(r.Hits)
	if i19, i18 := slices.Index(got, "k19"), slices.Index(got, "k18"); i18 < 0 || i18 > i19 {
		t.Errorf("after retelling: k18 at %d, k19 at %d\n%s", i18, i19, s.describe(r.Hits))
	}
}

// Config.RecencyAlpha: every arm ranks k22 (which holds every word of the
// question, told 379 days ago) first and k40 (which shares only 일, told
// 155 days ago) second. The default boost (0.05: up to 4.5% between two
// memories) is worth more than a rank in every arm (1.6%), so k40 comes
// first, as documented; a boost of 0.01 keeps the arms' order, and so
// does NoRecency.
func TestKoEnRecencyAgainstUnanimousArms(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	const q = "서울대병원에서 일하는 사람"
	r := s.recall(t, q, memory.RecallOptions{MaxResults: 5, NoRecency: true})
	wantTop(t, s, q+" (no recency)", r, "k22", "k40")
	if h := r.Hits[0]; h.Ranks != [memory.NumArms]int{1, 1, 1, 0} {
		t.Fatalf("k22 ranks %v, want #1 in semantic, keyword and entity", h.Ranks)
	}
	if h := r.Hits[1]; h.Ranks != [memory.NumArms]int{2, 2, 2, 0} {
		t.Fatalf("k40 ranks %v, want #2 in semantic, keyword and entity", h.Ranks)
	}
	r = s.recall(t, q, memory.RecallOptions{MaxResults: 5})
	wantTop(t, s, q+" (default boost)", r, "k40", "k22")
	if h0, h1 := r.Hits[0], r.Hits[1]; !(h0.RRF < h1.RRF && h0.Score > h1.Score && h1.Score/h1.RRF < h0.Score/h0.RRF) {
		t.Errorf("default boost: k40 RRF %v score %v, k22 RRF %v score %v", h0.RRF, h0.Score, h1.RRF, h1.Score)
	}
	small := retainKoEnSet(t, newKoEnEngine(t, memory.Config{RecencyAlpha: 0.01}))
	r = small.recall(t, q, memory.RecallOptions{MaxResults: 5})
	wantTop(t, small, q+" (boost 0.01)", r, "k22", "k40")
}
