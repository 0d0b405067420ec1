package memory_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The evaluation set is generated from the templates below by
//
//	go test ./memory -run TestEvalSetIsCurrent -update
//
// and committed as testdata/eval.json, so the evaluation reads a fixed
// file and any change to the generator shows up as a diff.

var update = flag.Bool("update", false, "regenerate testdata/eval.json")

// evalItem is one piece of content retained into a bank.
type evalItem struct {
	Bank    string    `json:"bank"`
	Content string    `json:"content"`
	At      time.Time `json:"at"`
}

// evalQuestion is one query with the contents (facts) that answer it.
type evalQuestion struct {
	Bank     string    `json:"bank"`
	Type     string    `json:"type"` // keyword, paraphrase, entity, temporal
	Lang     string    `json:"lang"` // en, ko
	Query    string    `json:"query"`
	At       time.Time `json:"at"`
	Evidence []string  `json:"evidence"`
}

type evalSet struct {
	Items     []evalItem     `json:"items"`
	Questions []evalQuestion `json:"questions"`
}

type evalPerson struct {
	name, relation string
	facts          []string
	question       string // asks about the person by relation only
}

type evalUser struct {
	bank, name, lang string
	people           []evalPerson
	keyword          [][2]string // fact, question
	paraphrase       [][2]string
	events           []string // "%s" receives the subject; no time words
	eventWithDay     string   // format with subject, activity, date phrase
	dayPhrase        func(time.Time) string
	yesterday        string
	temporalQs       []tq
}

type tq struct {
	query string
	span  func(at time.Time) (time.Time, time.Time) // window of evidence days [from, to]
}

func day(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }

func mondayOf(t time.Time) time.Time { return day(t).AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)) }

var evalUsers = []evalUser{
	{
		bank: "alice", name: "Alice", lang: "en",
		people: []evalPerson{
			{"Dana", "sister", []string{"Dana works as an architect in Lisbon.", "Dana is allergic to peanuts.", "Dana plays the cello in a community orchestra.", "Dana got engaged to Tomas last autumn."}, "Tell me about Alice's sister."},
			{"Raj", "manager", []string{"Raj prefers status reports on Friday mornings.", "Raj ran the Berlin marathon twice.", "Raj has two daughters who study in Toronto."}, "What do I know about Alice's manager?"},
			{"Priya", "college roommate", []string{"Priya opened a bakery called Crumb & Co.", "Priya is vegetarian.", "Priya lives near Brooklyn Bridge Park."}, "What is going on with Alice's old college roommate?"},
			{"Mateo", "landlord", []string{"Mateo fixes things only after three reminders.", "Mateo owns a vintage Vespa.", "Mateo raised the rent by four percent."}, "Anything to remember about Alice's landlord?"},
		},
		keyword: [][2]string{
			{"Alice's gym locker code is 4471.", "What is the code of the gym locker?"},
			{"Alice's frequent flyer number is KE907331.", "What is the frequent flyer number?"},
			{"The office wifi password is bluefinch88.", "office wifi password"},
			{"Alice's passport expires on 2027-08-14.", "When does the passport expire?"},
			{"Alice's blood type is O negative.", "What blood type does Alice have?"},
			{"The Hyundai Ioniq has plate number 12가3456.", "Which plate number does the Ioniq have?"},
		},
		paraphrase: [][2]string{
			{"Alice started taking violin lessons with a private teacher.", "Is Alice learning an instrument like the violin?"},
			{"Alice is training for the Chuncheon marathon.", "Which marathon is Alice preparing for?"},
			{"Alice dislikes cilantro and avoids dishes with it.", "Foods Alice dislikes"},
			{"Alice's favourite author is Ursula K. Le Guin.", "Which author does Alice love most?"},
			{"Alice wants to visit Patagonia someday.", "Places Alice wants to visit"},
			{"Alice switched from coffee to green tea for health reasons.", "Did Alice switch drinks?"},
		},
		events: []string{
			"%s went bouldering at the climbing gym.", "%s had dinner with Priya at a Thai restaurant.", "%s presented the quarterly roadmap to Raj.",
			"%s repaired the bathroom faucet.", "%s watched a documentary about octopuses.", "%s baked sourdough bread.",
			"%s called Dana about the wedding plans.", "%s attended a pottery workshop.", "%s cleaned out the garage.",
			"%s biked along the Han River.", "%s read half of a novel by Ishiguro.", "%s interviewed a candidate for the design team.",
			"%s visited the dentist for a checkup.", "%s volunteered at the animal shelter.", "%s planted tomatoes on the balcony.",
			"%s played board games with neighbours.", "%s fixed a bug in the billing service.", "%s went to a jazz concert.",
			"%s bought new running shoes.", "%s wrote a blog post about typography.", "%s hosted a study group on statistics.",
			"%s took the cat to the vet.", "%s tried a new ramen place near the office.", "%s practised violin scales for an hour.",
		},
		dayPhrase: func(t time.Time) string { return "On " + t.Format("January 2") + " " },
		yesterday: "Yesterday ",
		temporalQs: []tq{
			{"What did Alice do yesterday?", func(at time.Time) (time.Time, time.Time) { d := day(at).AddDate(0, 0, -1); return d, d }},
			{"What did Alice do last week?", func(at time.Time) (time.Time, time.Time) {
				m := mondayOf(at).AddDate(0, 0, -7)
				return m, m.AddDate(0, 0, 6)
			}},
			{"What happened 3 days ago?", func(at time.Time) (time.Time, time.Time) { d := day(at).AddDate(0, 0, -3); return d, d }},
		},
	},
	{
		bank: "ben", name: "Ben", lang: "en",
		people: []evalPerson{
			{"Oliver", "son", []string{"Oliver is in third grade at Maple Elementary.", "Oliver is obsessed with dinosaurs.", "Oliver takes swimming classes on Saturdays."}, "How is Ben's son doing?"},
			{"Hannah", "wife", []string{"Hannah teaches chemistry at a high school.", "Hannah is training to become a yoga instructor.", "Hannah's birthday dinner is always at Nobu."}, "Tell me about Ben's wife."},
			{"Victor", "business partner", []string{"Victor handles the investor relations.", "Victor is moving the company books to a new accountant.", "Victor lives in Austin with his partner."}, "What does Ben's business partner handle?"},
		},
		keyword: [][2]string{
			{"Ben's insurance policy number is HX-5521-09.", "insurance policy number"},
			{"The storage unit at Lakeside is number 218.", "Which storage unit number?"},
			{"Ben's Wi-Fi router admin password is tangerine42.", "router admin password"},
			{"Ben's shoe size is 11 wide.", "What is Ben's shoe size?"},
		},
		paraphrase: [][2]string{
			{"Ben is learning to cook Korean food from videos.", "Is Ben learning to cook anything?"},
			{"Ben's startup sells inventory software to breweries.", "What does Ben's startup sell?"},
			{"Ben is afraid of flying and prefers trains.", "Does Ben fear flying?"},
			{"Ben collects vinyl records of 1970s soul music.", "Which records does Ben collect?"},
		},
		events: []string{
			"%s pitched the product to a brewery in Portland.", "%s took Oliver to the natural history museum.", "%s fixed the fence in the backyard.",
			"%s had a long call with Victor about the budget.", "%s went fishing at the lake.", "%s cooked bulgogi for the family.",
			"%s shipped a new release of the inventory app.", "%s jogged five miles in the rain.", "%s attended a parent-teacher conference.",
			"%s bought a used record player.", "%s met an investor for coffee.", "%s repainted the kitchen cabinets.",
			"%s drove Hannah to the yoga retreat.", "%s read a book about supply chains.", "%s organised the garage shelves.",
			"%s watched the basketball playoffs with friends.",
		},
		dayPhrase: func(t time.Time) string { return "On " + t.Format("January 2") + " " },
		yesterday: "Yesterday ",
		temporalQs: []tq{
			{"What did Ben do yesterday?", func(at time.Time) (time.Time, time.Time) { d := day(at).AddDate(0, 0, -1); return d, d }},
			{"What did Ben do last week?", func(at time.Time) (time.Time, time.Time) {
				m := mondayOf(at).AddDate(0, 0, -7)
				return m, m.AddDate(0, 0, 6)
			}},
		},
	},
	{
		bank: "jiwoo", name: "지우", lang: "ko",
		people: []evalPerson{
			{"수진", "언니", []string{"수진은 판교에서 데이터 분석가로 일한다.", "수진은 고양이 두 마리를 키운다.", "수진은 내년 봄에 결혼할 예정이다."}, "지우의 언니에 대해 알려줘."},
			{"도윤", "팀장", []string{"도윤은 회의를 짧게 하는 것을 좋아한다.", "도윤은 매일 아침 자전거로 출근한다.", "도윤은 제주도 출신이다."}, "지우의 팀장은 어떤 사람이야?"},
			{"하린", "대학 동기", []string{"하린은 성수동에서 꽃집을 운영한다.", "하린은 채식주의자다.", "하린은 일본어를 유창하게 한다."}, "지우의 대학 동기는 요즘 뭐 해?"},
		},
		keyword: [][2]string{
			{"지우의 사물함 비밀번호는 5832이다.", "사물함 비밀번호가 뭐였지?"},
			{"지우의 차량 번호는 34나7789이다.", "차량 번호 알려줘"},
			{"회사 와이파이 비밀번호는 hanriver2025이다.", "와이파이 비밀번호"},
			{"지우의 혈액형은 AB형이다.", "지우 혈액형이 뭐야?"},
		},
		paraphrase: [][2]string{
			{"지우는 요즘 기타를 배우고 있다.", "지우가 배우는 악기가 기타야?"},
			{"지우는 매운 음식을 잘 못 먹는다.", "지우는 매운 음식 먹어?"},
			{"지우는 언젠가 아이슬란드에 가고 싶어 한다.", "지우가 가고 싶어 하는 곳은 어디야?"},
			{"지우는 커피 대신 보리차를 마신다.", "지우는 커피 마셔?"},
		},
		events: []string{
			"%s는 한강에서 자전거를 탔다.", "%s는 수진과 저녁을 먹었다.", "%s는 분기 보고서를 도윤에게 발표했다.",
			"%s는 헬스장에서 운동을 했다.", "%s는 하린의 꽃집에 들렀다.", "%s는 도서관에서 소설을 빌렸다.",
			"%s는 치과에서 정기 검진을 받았다.", "%s는 베란다에 상추를 심었다.", "%s는 친구들과 보드게임을 했다.",
			"%s는 결제 서비스의 버그를 고쳤다.", "%s는 재즈 공연을 보러 갔다.", "%s는 새 운동화를 샀다.",
			"%s는 기타 학원에서 연습을 했다.", "%s는 유기견 보호소에서 봉사를 했다.", "%s는 부모님 댁을 방문했다.",
			"%s는 요리 수업에서 김치찌개를 만들었다.",
		},
		dayPhrase: func(t time.Time) string { return fmt.Sprintf("%d월 %d일에 ", int(t.Month()), t.Day()) },
		yesterday: "어제 ",
		temporalQs: []tq{
			{"지우는 어제 뭐 했어?", func(at time.Time) (time.Time, time.Time) { d := day(at).AddDate(0, 0, -1); return d, d }},
			{"지우는 지난주에 뭐 했어?", func(at time.Time) (time.Time, time.Time) {
				m := mondayOf(at).AddDate(0, 0, -7)
				return m, m.AddDate(0, 0, 6)
			}},
			{"3일 전에 무슨 일이 있었어?", func(at time.Time) (time.Time, time.Time) { d := day(at).AddDate(0, 0, -3); return d, d }},
		},
	},
	{
		bank: "minho", name: "민호", lang: "ko",
		people: []evalPerson{
			{"서연", "아내", []string{"서연은 초등학교 음악 선생님이다.", "서연은 주말마다 테니스를 친다.", "서연은 새우 알레르기가 있다."}, "민호의 아내에 대해 알려줘."},
			{"준서", "아들", []string{"준서는 유치원에서 공룡 그림을 그린다.", "준서는 수영 강습을 받는다.", "준서는 브로콜리를 싫어한다."}, "민호 아들은 요즘 어때?"},
		},
		keyword: [][2]string{
			{"민호의 보험 증권 번호는 KB-7731-22이다.", "보험 증권 번호"},
			{"창고 보관함 번호는 412번이다.", "보관함 번호가 몇 번이지?"},
		},
		paraphrase: [][2]string{
			{"민호는 주말에 캠핑 가는 것을 좋아한다.", "민호가 좋아하는 주말 활동은?"},
			{"민호는 비행기 타는 것을 무서워한다.", "민호는 비행기 타는 거 괜찮아?"},
		},
		events: []string{
			"%s는 준서를 데리고 과학관에 갔다.", "%s는 서연과 테니스를 쳤다.", "%s는 거래처와 점심 미팅을 했다.",
			"%s는 캠핑 장비를 정리했다.", "%s는 자동차 엔진오일을 교체했다.", "%s는 낚시를 하러 저수지에 갔다.",
			"%s는 새 프로젝트 제안서를 썼다.", "%s는 부엌 찬장을 페인트칠했다.", "%s는 야구 경기를 보러 잠실에 갔다.",
			"%s는 중고 턴테이블을 샀다.",
		},
		dayPhrase: func(t time.Time) string { return fmt.Sprintf("%d월 %d일에 ", int(t.Month()), t.Day()) },
		yesterday: "어제 ",
		temporalQs: []tq{
			{"민호는 어제 뭐 했어?", func(at time.Time) (time.Time, time.Time) { d := day(at).AddDate(0, 0, -1); return d, d }},
			{"민호는 지난주에 뭐 했어?", func(at time.Time) (time.Time, time.Time) {
				m := mondayOf(at).AddDate(0, 0, -7)
				return m, m.AddDate(0, 0, 6)
			}},
		},
	},
}

// generateEvalSet builds the evaluation set: for each user, relation and
// person facts, identifiers, preferences and about 180 dated events over
// January to June 2025, with questions of four types.
func generateEvalSet() evalSet {
	r := rand.New(rand.NewPCG(7, 2025))
	var set evalSet
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 180
	for _, u := range evalUsers {
		add := func(content string, at time.Time) {
			set.Items = append(set.Items, evalItem{Bank: u.bank, Content: content, At: at})
		}
		profileAt := start.Add(10 * time.Hour)
		for _, p := range u.people {
			var rel string
			if u.lang == "ko" {
				rel = fmt.Sprintf("%s은 %s의 %s이다.", p.name, u.name, p.relation)
				if !hasBatchim(p.name) {
					rel = fmt.Sprintf("%s는 %s의 %s이다.", p.name, u.name, p.relation)
				}
			} else {
				rel = fmt.Sprintf("%s is %s's %s.", p.name, u.name, p.relation)
			}
			add(rel, profileAt)
			ev := []string{rel}
			for _, f := range p.facts {
				at := start.AddDate(0, 0, r.IntN(days)).Add(9 * time.Hour)
				add(f, at)
				ev = append(ev, f)
			}
			set.Questions = append(set.Questions, evalQuestion{Bank: u.bank, Type: "entity", Lang: u.lang, Query: p.question,
				At: start.AddDate(0, 0, days+5), Evidence: ev})
		}
		for _, kq := range u.keyword {
			add(kq[0], start.AddDate(0, 0, r.IntN(days)).Add(11*time.Hour))
			set.Questions = append(set.Questions, evalQuestion{Bank: u.bank, Type: "keyword", Lang: u.lang, Query: kq[1],
				At: start.AddDate(0, 0, days+5), Evidence: []string{kq[0]}})
		}
		for _, pq := range u.paraphrase {
			add(pq[0], start.AddDate(0, 0, r.IntN(days)).Add(12*time.Hour))
			set.Questions = append(set.Questions, evalQuestion{Bank: u.bank, Type: "paraphrase", Lang: u.lang, Query: pq[1],
				At: start.AddDate(0, 0, days+5), Evidence: []string{pq[0]}})
		}
		// Events: on most days one, sometimes two, phrased three ways. The
		// fact text is what the offline extractor keeps (one sentence).
		type event struct {
			text string
			on   time.Time
		}
		var events []event
		for d := 0; d < days; d++ {
			on := start.AddDate(0, 0, d)
			n := []int{0, 1, 1, 1, 2}[r.IntN(5)]
			for k := 0; k < n; k++ {
				act := fmt.Sprintf(u.events[r.IntN(len(u.events))], u.name)
				var text string
				var at time.Time
				switch r.IntN(3) {
				case 0: // told the next day: "Yesterday Alice ..."
					text, at = u.yesterday+lowerFirst(act, u.lang), on.AddDate(0, 0, 1).Add(20*time.Hour)
				case 1: // told later with the date
					text, at = u.dayPhrase(on)+lowerFirst(act, u.lang), on.AddDate(0, 0, 1+r.IntN(3)).Add(8*time.Hour)
				default: // told the same evening, no time words
					text, at = act, on.Add(21*time.Hour)
				}
				if slices.ContainsFunc(events, func(e event) bool { return e.text == text }) {
					continue
				}
				add(text, at)
				events = append(events, event{text, on})
			}
		}
		for i := 0; i < 6; i++ {
			for _, q := range u.temporalQs {
				at := start.AddDate(0, 0, 20+r.IntN(days-20)).Add(14 * time.Hour)
				from, to := q.span(at)
				var ev []string
				for _, e := range events {
					if !e.on.Before(from) && !e.on.After(to) {
						ev = append(ev, e.text)
					}
				}
				if len(ev) == 0 {
					continue
				}
				set.Questions = append(set.Questions, evalQuestion{Bank: u.bank, Type: "temporal", Lang: u.lang, Query: q.query, At: at, Evidence: ev})
			}
		}
	}
	return set
}

func lowerFirst(s, lang string) string {
	if lang == "ko" {
		return s
	}
	// names stay capitalised; only a leading article would change
	return s
}

// hasBatchim reports whether the last Hangul syllable has a final
// consonant (which picks 은 over 는).
func hasBatchim(s string) bool {
	rs := []rune(s)
	r := rs[len(rs)-1]
	return r >= 0xAC00 && r <= 0xD7A3 && (r-0xAC00)%28 != 0
}

func TestEvalSetIsCurrent(t *testing.T) {
	set := generateEvalSet()
	b, err := json.MarshalIndent(set, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	const path = "testdata/eval.json"
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./memory -run TestEvalSetIsCurrent -update)", err)
	}
	if string(got) != string(b) {
		t.Fatalf("%s is stale; regenerate with -update", path)
	}
	// sanity: every evidence text is retained exactly once in its bank
	seen := map[string]int{}
	for _, it := range set.Items {
		seen[it.Bank+"\x00"+memory.NormalizeText(it.Content)]++
	}
	for _, q := range set.Questions {
		for _, e := range q.Evidence {
			if seen[q.Bank+"\x00"+memory.NormalizeText(e)] != 1 {
				t.Fatalf("evidence %q of %q is retained %d times", e, q.Query, seen[q.Bank+"\x00"+memory.NormalizeText(e)])
			}
		}
	}
	if strings.Count(string(got), `"type": "temporal"`) < 20 {
		t.Fatalf("too few temporal questions")
	}
}
