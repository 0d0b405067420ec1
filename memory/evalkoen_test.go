package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The Korean/English evaluation set: two users (Emma, English; 지수,
// Korean in casual and polite registers), each with a main bank and a
// neighbour bank holding same-topic memories with other values (a recall
// that leaks across banks fails the test). Memories are identifiers, agent
// notes, tool outputs, people with name variants, dated events (told with
// relative or calendar dates, some ahead of time), near-duplicates and
// fillers over eighteen months. Questions are of five kinds: keyword,
// paraphrase, entity, temporal and multi (an entity or a keyword within a
// time window). The set is generated in code from a fixed seed.

// kItem is one retained content.
type kItem struct {
	bank, content string
	at            time.Time // when it was said
	on            time.Time // when it happened (zero: timeless)
	who           []string  // entity keys of the people in it
	nearDupOf     int       // index+1 of the item this is a near-duplicate of
}

// kQuestion's evidence is a list of groups of item indices; a group is
// found when any of its items is among the top hits.
type kQuestion struct {
	bank, kind, lang, query string
	at                      time.Time
	evidence                [][]int
}

type kSet struct {
	items     []kItem
	questions []kQuestion
}

var kst = time.FixedZone("KST", 9*3600)

type kPerson struct {
	key      string   // entity key
	variants []string // how the text names them ("수진이가", "수진이네")
	facts    []string // %s receives a variant
	query    string
}

type kLang struct {
	lang, bank, other string
	loc               *time.Location
	ids               [][3]string // fact, near-duplicate ("" none), keyword question
	otherIDs          []string    // same topic, other values, other bank
	para              [][2]string
	people            []kPerson
	acts              []string   // "%s" a companion phrase
	alone             []string   // activities without a companion
	with              [][]string // per person key index: companion phrase for acts
	dateSaid          func(on, at time.Time) string
	temporal          []kTemporal
	multi             []kMulti
}

type kTemporal struct {
	query    string
	from, to time.Time
}

type kMulti struct {
	query    string
	person   int // -1: none
	keyword  string
	from, to time.Time
}

func kDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

func kEnd(y int, m time.Month, d int, loc *time.Location) time.Time {
	return kDay(y, m, d, loc).AddDate(0, 0, 1).Add(-time.Nanosecond)
}

// kNow is when every question is asked.
var kNowEN = time.Date(2026, 12, 20, 15, 0, 0, 0, time.UTC)
var kNowKO = time.Date(2026, 12, 20, 15, 0, 0, 0, kst)

func koreanSet() kLang {
	l := kst
	return kLang{
		lang: "ko", bank: "jisoo", other: "jisoo-friend", loc: l,
		ids: [][3]string{
			{"헬스장 사물함 비번은 4471이야.", "헬스장 사물함 비번 4471이야!", "헬스장 사물함 비번 뭐였지?"},
			{"제 여권 번호는 M12345678입니다.", "", "여권 번호 알려 주세요"},
			{"회사 와이파이 비밀번호는 bluefinch88이에요.", "", "회사 와이파이 비밀번호가 뭐예요?"},
			{"차 번호는 12가3456이었지.", "", "내 차 번호 뭐였더라"},
			{"tool calendar.list → 2026-12-24 19:00 저녁 약속 @ 을지로 노가리골목", "", "을지로 약속 몇 시야?"},
			{"tool weather.get(서울) → 영하 3도, 눈 조금", "", "서울 날씨 어땠어?"},
			{"택배 송장번호 CJ7731022418 조회 결과: 배송 완료", "", "택배 송장번호 조회 결과"},
			{"보험 증권 번호는 KB-7731-22입니다.", "", "보험 증권 번호가 뭐였죠?"},
			{"지수는 혈액형이 AB형이래.", "", "지수 혈액형"},
			{"에이전트 메모: 지수는 회의록을 노션에 정리해 달라고 했다.", "", "회의록 어디에 정리해 달라고 했지?"},
			{"집 도어락 비밀번호를 0917로 바꿨어.", "", "도어락 비밀번호 바꾼 거 뭐야?"},
			{"넷플릭스 구독은 프리미엄 요금제로 바꿨어요.", "", "넷플릭스 요금제 뭐로 바꿨어요?"},
			{"에이전트 메모: 지수가 치과 예약을 옮겨 달라고 했다. 새 예약은 목요일 오후 3시, 밝은미소치과.", "", "밝은미소치과 새 예약 언제야?"},
			{"tool email.search → 결과 3건. 첫 번째: 집주인 마테오의 임대 갱신 메일, 금요일까지 서명 요청.", "", "임대 갱신 메일 내용이 뭐였지?"},
		},
		otherIDs: []string{"헬스장 사물함 비번은 1234야.", "제 여권 번호는 M99999999입니다.", "회사 와이파이 비밀번호는 redfox11이에요.",
			"차 번호는 98나7654였지.", "보험 증권 번호는 HN-0001-99입니다.", "집 도어락 비밀번호를 5555로 바꿨어.",
			"수진이가 정형외과에서 물리치료 받았대.", "설 연휴에 강릉 바다 보러 갔어.", "넷플릭스 구독은 베이식 요금제로 바꿨어요."},
		para: [][2]string{
			{"고수는 진짜 질색이야.", "내가 싫어하는 음식이 뭐였지?"},
			{"요즘 기타 배우고 있어요.", "지수가 배우는 악기는?"},
			{"언젠가 아이슬란드에 꼭 가 보고 싶어.", "가 보고 싶은 여행지"},
			{"커피 대신 보리차를 마시기 시작했어요.", "요즘 마시는 차"},
			{"비행기 타는 게 너무 무서워.", "비행 공포 있어?"},
			{"주말마다 한강에서 러닝해요.", "주말 운동 습관"},
		},
		people: []kPerson{
			{"수진", []string{"수진이", "수진이가", "수진이네", "수진", "수진은"}, []string{
				"%s 판교에서 데이터 분석가로 일해.", "%s 고양이 두 마리 키워요.", "%s 집들이 선물로 화분 사 갔어.",
				"%s 정형외과에서 물리치료 받았대.", "%s 내년 봄에 결혼한대요."}, "수진이 요즘 어때?"},
			{"도윤", []string{"도윤 팀장님", "도윤 팀장님이", "도윤 팀장님은"}, []string{
				"%s 회의는 짧게 하는 걸 좋아하세요.", "%s 매일 자전거로 출근하세요.", "%s 제주도 출신이에요."}, "도윤 팀장님은 어떤 분이야?"},
			{"하린", []string{"하린이", "하린이랑", "하린이는"}, []string{
				"%s 성수동에서 꽃집 해.", "%s 채식주의자야.", "%s 일본어를 엄청 잘해."}, "하린이에 대해 알려줘"},
			{"한사랑내과", []string{"한사랑내과", "한사랑내과에서", "한사랑내과는"}, []string{
				"%s 독감 주사 맞았어요.", "%s 토요일에도 진료해요.", "%s 건강검진 예약했어."}, "한사랑내과 관련해서 뭐 있었지?"},
			{"정형외과", []string{"정형외과", "정형외과에서", "정형외과는"}, []string{
				"%s 손목 엑스레이 찍었어.", "%s 다음 진료는 2주 뒤래."}, "정형외과 진료 기록"},
		},
		acts: []string{"%s 저녁 먹었어", "%s 영화 봤어요", "%s 등산 갔어", "%s 전화 통화 했어요", "%s 카페에서 수다 떨었어",
			"%s 전시회 갔었잖아", "%s 보드게임 했어요"},
		alone: []string{"헬스장에서 운동했어", "도서관에서 소설 빌렸어요", "베란다에 상추 심었어", "결제 서비스 버그 고쳤어요",
			"재즈 공연 보러 갔어", "새 운동화 샀어요", "부모님 댁에 다녀왔습니다", "요리 수업에서 김치찌개 만들었어", "자동차 엔진오일 교체했어요",
			"캠핑 장비 정리했어", "분기 보고서 발표했습니다", "치과 정기 검진 받았어요", "유기견 보호소 봉사 다녀왔어", "이케아에서 책장 샀어요"},
		with: [][]string{{"수진이랑", "수진이네 가족이랑"}, {"도윤 팀장님이랑"}, {"하린이랑"}},
		dateSaid: func(on, at time.Time) string {
			switch d := int(day(at).Sub(day(on)).Hours() / 24); {
			case d == 1:
				return "어제 "
			case d == 0:
				return ""
			case d == -1:
				return "내일 "
			}
			return fmt.Sprintf("%d월 %d일에 ", int(on.Month()), on.Day())
		},
		temporal: []kTemporal{
			{"작년 12월에 뭐 했지?", kDay(2025, 12, 1, l), kEnd(2025, 12, 31, l)},
			{"이번 달에 뭐 했어?", kDay(2026, 12, 1, l), kNowKO},
			{"지난 추석에 뭐 했더라?", kDay(2026, 9, 24, l), kEnd(2026, 9, 26, l)},
			{"설 연휴에 뭐 했어요?", kDay(2026, 2, 16, l), kEnd(2026, 2, 18, l)},
			{"작년 크리스마스에 뭐 했지?", kDay(2025, 12, 25, l), kEnd(2025, 12, 25, l)},
			{"올여름에 뭐 했어?", kDay(2026, 6, 1, l), kEnd(2026, 8, 31, l)},
			{"지난 겨울에 뭐 했었지?", kDay(2025, 12, 1, l), kEnd(2026, 2, 28, l)},
			{"지난주에 뭐 했어요?", kDay(2026, 12, 7, l), kEnd(2026, 12, 13, l)},
			{"올해 3월에 무슨 일 있었어?", kDay(2026, 3, 1, l), kEnd(2026, 3, 31, l)},
			{"어제 뭐 했지?", kDay(2026, 12, 19, l), kEnd(2026, 12, 19, l)},
		},
		multi: []kMulti{
			{"작년 12월에 수진이랑 뭐 했지?", 0, "", kDay(2025, 12, 1, l), kEnd(2025, 12, 31, l)},
			{"올여름에 하린이랑 뭐 했어?", 2, "", kDay(2026, 6, 1, l), kEnd(2026, 8, 31, l)},
			{"이번 달에 도윤 팀장님이랑 뭐 했어요?", 1, "", kDay(2026, 12, 1, l), kNowKO},
			{"올해 치과 검진 언제 받았지?", -1, "치과 정기 검진", kDay(2026, 1, 1, l), kNowKO},
			{"지난 겨울에 헬스장 운동 얼마나 했어?", -1, "헬스장에서 운동", kDay(2025, 12, 1, l), kEnd(2026, 2, 28, l)},
		},
	}
}

func englishSet() kLang {
	l := time.UTC
	return kLang{
		lang: "en", bank: "emma", other: "emma-coworker", loc: l,
		ids: [][3]string{
			{"My gym locker code is 4471.", "my gym locker code is 4471!", "what's my gym locker code?"},
			{"Emma's frequent flyer number is KE907331.", "", "frequent flyer number"},
			{"The office wifi password is bluefinch88.", "", "What is the office wifi password?"},
			{"Emma's passport expires on 2027-08-14.", "", "When does my passport expire?"},
			{"tool calendar.list -> 2026-12-24 19:00 dinner at Balthazar", "", "What time is dinner at Balthazar?"},
			{"tool weather.get(Boston) -> 28F, light snow", "", "weather in Boston"},
			{"Order 1Z999AA10123456784 status: delivered to the front desk.", "", "status of order 1Z999AA10123456784"},
			{"Agent note: Emma wants meeting notes filed in Notion.", "", "Where should meeting notes be filed?"},
			{"Emma's insurance policy number is HX-5521-09.", "", "insurance policy number"},
			{"I changed the door code to 0917.", "", "what did I change the door code to?"},
			{"Emma switched her Netflix plan to Premium.", "", "Which Netflix plan did Emma switch to?"},
			{"The storage unit at Lakeside is number 218.", "", "Lakeside storage unit number"},
			{"Agent note: Emma asked to move the dentist appointment. The new slot is Thursday at 3 pm at Bright Smiles.", "", "new dentist slot at Bright Smiles"},
			{"tool email.search -> 3 results. Top: Lease renewal from Mateo, asks to sign by Friday.", "", "What did the lease renewal email ask?"},
		},
		otherIDs: []string{"My gym locker code is 1234.", "The office wifi password is redfox11.", "Emma's insurance policy number is ZZ-0000-11.",
			"I changed the door code to 5555.", "Dana moved to Porto last spring.", "The storage unit at Lakeside is number 990.",
			"Emma switched her Netflix plan to Basic."},
		para: [][2]string{
			{"I can't stand cilantro.", "Which foods do I dislike?"},
			{"Emma started taking violin lessons.", "Is Emma learning an instrument?"},
			{"Someday I want to see Patagonia.", "travel wishlist"},
			{"Emma swapped coffee for green tea.", "What does Emma drink these days?"},
			{"Flying makes me really nervous.", "Am I afraid of planes?"},
			{"I run along the Charles every weekend.", "weekend exercise habit"},
		},
		people: []kPerson{
			{"dana", []string{"Dana", "my sister Dana", "Dana"}, []string{
				"%s works as an architect in Lisbon.", "Finished the birthday card for %s.", "%s is allergic to peanuts.",
				"Moved the cello lesson with %s to Thursday.", "%s got engaged to Tomas."}, "What do I know about Dana?"},
			{"raj", []string{"Raj", "my manager Raj", "Raj"}, []string{
				"%s prefers status reports on Friday mornings.", "Signed the offer letter %s sent.", "%s ran the Berlin marathon twice."}, "Tell me about Raj."},
			{"priya", []string{"Priya", "Priya", "my roommate Priya"}, []string{
				"%s opened a bakery called Crumb & Co.", "%s is vegetarian.", "%s lives near Brooklyn Bridge Park."}, "What's up with Priya?"},
			{"dr. kim", []string{"Dr. Kim", "Dr. Kim", "Dr. Kim"}, []string{
				"%s said my wrist X-ray looks fine.", "%s moved my follow-up to January.", "Booked a checkup with %s."}, "What did Dr. Kim say?"},
		},
		acts: []string{"Had dinner with %s.", "Watched a movie with %s.", "Went hiking with %s.", "Had a long call with %s.",
			"Grabbed coffee with %s.", "Went to a gallery with %s.", "Played board games with %s."},
		alone: []string{"Went bouldering at the climbing gym.", "Borrowed a novel from the library.", "Planted tomatoes on the balcony.",
			"Fixed a bug in the billing service.", "Went to a jazz concert.", "Bought new running shoes.", "Visited my parents.",
			"Cooked kimchi stew in a cooking class.", "Changed the car's engine oil.", "Sorted the camping gear.",
			"Presented the quarterly report.", "Got a dental checkup.", "Volunteered at the animal shelter.", "Bought a bookshelf at IKEA."},
		with: [][]string{{"Dana", "my sister Dana"}, {"Raj"}, {"Priya"}},
		dateSaid: func(on, at time.Time) string {
			switch d := int(day(at).Sub(day(on)).Hours() / 24); {
			case d == 1:
				return "Yesterday: "
			case d == 0:
				return ""
			case d == -1:
				return "Tomorrow: "
			}
			return "On " + on.Format("January 2") + ": "
		},
		temporal: []kTemporal{
			{"What did I do last December?", kDay(2025, 12, 1, l), kEnd(2025, 12, 31, l)},
			{"What have I done this month?", kDay(2026, 12, 1, l), kNowEN},
			{"What did I do last Christmas?", kDay(2025, 12, 25, l), kEnd(2025, 12, 25, l)},
			{"What did I do this past summer?", kDay(2026, 6, 1, l), kEnd(2026, 8, 31, l)},
			{"What did I do last winter?", kDay(2025, 12, 1, l), kEnd(2026, 2, 28, l)},
			{"What did I do last week?", kDay(2026, 12, 7, l), kEnd(2026, 12, 13, l)},
			{"What happened in March?", kDay(2026, 3, 1, l), kEnd(2026, 3, 31, l)},
			{"What did I do yesterday?", kDay(2026, 12, 19, l), kEnd(2026, 12, 19, l)},
			{"What did I do in October 2025?", kDay(2025, 10, 1, l), kEnd(2025, 10, 31, l)},
			{"What happened over Thanksgiving?", kDay(2026, 11, 26, l), kEnd(2026, 11, 26, l)},
		},
		multi: []kMulti{
			{"What did I do with Dana last December?", 0, "", kDay(2025, 12, 1, l), kEnd(2025, 12, 31, l)},
			{"What did I do with Priya this past summer?", 2, "", kDay(2026, 6, 1, l), kEnd(2026, 8, 31, l)},
			{"What did Raj and I do this month?", 1, "", kDay(2026, 12, 1, l), kNowEN},
			{"When was my dental checkup this year?", -1, "Got a dental checkup", kDay(2026, 1, 1, l), kNowEN},
			{"How often did I go bouldering last winter?", -1, "bouldering", kDay(2025, 12, 1, l), kEnd(2026, 2, 28, l)},
		},
	}
}

// generateKoEnSet builds the set. Everything happens between 2025-06-01
// and the question time 2026-12-20.
func generateKoEnSet() kSet {
	var set kSet
	for li, L := range []kLang{englishSet(), koreanSet()} {
		r := rand.New(rand.NewPCG(14, uint64(li)))
		now := kNowEN
		if L.lang == "ko" {
			now = kNowKO
		}
		start := kDay(2025, 6, 1, L.loc)
		add := func(it kItem) int {
			set.items = append(set.items, it)
			return len(set.items) - 1
		}
		timeless := func() time.Time { return start.AddDate(0, 0, r.IntN(500)).Add(10 * time.Hour) }
		ask := func(kind, q string, ev [][]int) {
			set.questions = append(set.questions, kQuestion{bank: L.bank, kind: kind, lang: L.lang, query: q, at: now, evidence: ev})
		}
		for _, id := range L.ids {
			i := add(kItem{bank: L.bank, content: id[0], at: timeless()})
			g := []int{i}
			if id[1] != "" {
				g = append(g, add(kItem{bank: L.bank, content: id[1], at: timeless(), nearDupOf: i + 1}))
			}
			ask("keyword", id[2], [][]int{g})
		}
		for _, o := range L.otherIDs {
			add(kItem{bank: L.other, content: o, at: timeless()})
		}
		for _, p := range L.para {
			i := add(kItem{bank: L.bank, content: p[0], at: timeless()})
			ask("paraphrase", p[1], [][]int{{i}})
		}
		var personItems = make([][]int, len(L.people))
		for pi, p := range L.people {
			for fi, f := range p.facts {
				v := p.variants[fi%len(p.variants)]
				text := fmt.Sprintf(f, v)
				if c := text[0]; c >= 'a' && c <= 'z' {
					text = string(c-'a'+'A') + text[1:]
				}
				i := add(kItem{bank: L.bank, content: text, at: timeless(), who: []string{p.key}})
				personItems[pi] = append(personItems[pi], i)
			}
		}
		// Dated events: about every fifth day one, told the same day, the
		// day after, with a calendar date a few days later, or announced
		// the day before.
		type ev struct {
			i   int
			on  time.Time
			who int
			act string
		}
		var evs []ev
		for d := 0; start.AddDate(0, 0, d).Before(now.Add(-24 * time.Hour)); d++ {
			on := start.AddDate(0, 0, d)
			// holidays always get an event so the holiday questions have evidence
			hol := (on.Month() == 12 && on.Day() == 25) || (on.Year() == 2026 && on.Month() == 2 && on.Day() == 17) ||
				(on.Year() == 2026 && on.Month() == 9 && on.Day() == 25) || (on.Year() == 2026 && on.Month() == 11 && on.Day() == 26)
			if !hol && r.IntN(5) != 0 {
				continue
			}
			who := -1
			var act string
			if r.IntN(3) == 0 {
				who = r.IntN(len(L.with))
				act = fmt.Sprintf(L.acts[r.IntN(len(L.acts))], L.with[who][r.IntN(len(L.with[who]))])
			} else {
				act = L.alone[r.IntN(len(L.alone))]
			}
			var at time.Time
			switch r.IntN(4) {
			case 0:
				at = on.Add(21 * time.Hour)
			case 1:
				at = on.AddDate(0, 0, 1).Add(9 * time.Hour)
			case 2:
				at = on.AddDate(0, 0, 2+r.IntN(4)).Add(9 * time.Hour)
			default:
				at = on.AddDate(0, 0, -1).Add(19 * time.Hour)
			}
			if L.lang == "ko" && day(at).Sub(day(on)) < 0 {
				// announced ahead: future tense
				act = strings.NewReplacer("었어요", "을 거예요", "았어요", "을 거예요", "했어요", "할 거예요", "했어", "할 거야", "갔어", "갈 거야",
					"봤어요", "볼 거예요", "샀어요", "살 거예요", "습니다", "을 예정입니다", "었잖아", "을 거야", "었어", "을 거야", "만들었어", "만들 거야").Replace(act)
			}
			if L.lang == "en" && day(at).Sub(day(on)) < 0 {
				act = "Plan: " + act
			}
			text := L.dateSaid(on, at) + act
			if L.lang == "en" && at.Sub(on) > 48*time.Hour {
				// told later with the date, the year left out
				text = L.dateSaid(on, at) + act
			}
			it := kItem{bank: L.bank, content: text, at: at, on: on}
			if who >= 0 {
				it.who = []string{L.people[who].key}
			}
			if slices.ContainsFunc(set.items, func(x kItem) bool { return x.bank == L.bank && x.content == text }) {
				continue
			}
			evs = append(evs, ev{add(it), on, who, act})
		}
		// Future references said earlier: "next month", "내년 6월", and a
		// date later in the same month.
		if L.lang == "ko" {
			evs = append(evs,
				ev{add(kItem{bank: L.bank, content: "12월 24일에 을지로에서 송년회 하기로 했어.", at: kDay(2026, 12, 10, L.loc).Add(20 * time.Hour), on: kDay(2026, 12, 24, L.loc)}), kDay(2026, 12, 24, L.loc), -1, ""},
				ev{add(kItem{bank: L.bank, content: "내년 6월에 제주도 한 달 살기 할 거예요.", at: kDay(2025, 12, 2, L.loc).Add(20 * time.Hour), on: kDay(2026, 6, 1, L.loc)}), kDay(2026, 6, 1, L.loc), -1, ""},
				ev{add(kItem{bank: L.bank, content: "다음 달 5일에 이사해요.", at: kDay(2026, 11, 10, L.loc).Add(20 * time.Hour), on: kDay(2026, 12, 5, L.loc)}), kDay(2026, 12, 5, L.loc), -1, ""},
			)
		} else {
			evs = append(evs,
				ev{add(kItem{bank: L.bank, content: "On December 24 we host the team dinner at Balthazar.", at: kDay(2026, 12, 10, L.loc).Add(20 * time.Hour), on: kDay(2026, 12, 24, L.loc)}), kDay(2026, 12, 24, L.loc), -1, ""},
				ev{add(kItem{bank: L.bank, content: "Next June I will spend a month in Lisbon.", at: kDay(2025, 12, 2, L.loc).Add(20 * time.Hour), on: kDay(2026, 6, 1, L.loc)}), kDay(2026, 6, 1, L.loc), -1, ""},
				ev{add(kItem{bank: L.bank, content: "I move to the new flat on the 5th of next month.", at: kDay(2026, 11, 10, L.loc).Add(20 * time.Hour), on: kDay(2026, 12, 5, L.loc)}), kDay(2026, 12, 5, L.loc), -1, ""},
			)
		}
		// Fillers in the neighbour bank: the same kind of events.
		for k := 0; k < 25; k++ {
			add(kItem{bank: L.other, content: L.alone[k%len(L.alone)], at: start.AddDate(0, 0, r.IntN(560)).Add(21 * time.Hour)})
		}
		in := func(e ev, from, to time.Time) bool { return !e.on.Before(from) && !e.on.After(to) }
		for pi := range L.people {
			var ev [][]int
			for _, i := range personItems[pi] {
				ev = append(ev, []int{i})
			}
			for _, e := range evs {
				if e.who == pi {
					ev = append(ev, []int{e.i})
				}
			}
			ask("entity", L.people[pi].query, ev)
		}
		for _, tq := range L.temporal {
			// every memory of the bank placed in the window: by its own
			// date, else by when it was told (as Memory.When places it)
			var g [][]int
			for i, it := range set.items {
				when := it.on
				if when.IsZero() {
					when = it.at
				}
				if it.bank == L.bank && !when.Before(tq.from) && !when.After(tq.to) {
					g = append(g, []int{i})
				}
			}
			if len(g) > 0 {
				ask("temporal", tq.query, g)
			}
		}
		for _, mq := range L.multi {
			var g [][]int
			for _, e := range evs {
				if !in(e, mq.from, mq.to) {
					continue
				}
				if (mq.person >= 0 && e.who == mq.person) || (mq.keyword != "" && strings.Contains(e.act, mq.keyword)) {
					g = append(g, []int{e.i})
				}
			}
			if len(g) > 0 {
				ask("multi", mq.query, g)
			}
		}
	}
	return set
}

// kScore accumulates recall@5 and @10 for a group of questions.
type kScore struct {
	at5, at10 [memory.NumArms + 1]float64
	n         int
}

// runKoEn retains the set into a fresh engine and scores every question
// per arm and fused. It returns the scores by group ("keyword/ko",
// "keyword", "lang:ko", "overall"), the fused misses, and the number of
// hits from another bank (which must be zero).
func runKoEn(t testing.TB, cfg memory.Config) (map[string]*kScore, []string, int) {
	set := generateKoEnSet()
	ctx := context.Background()
	e, err := memory.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	owner := map[string][]int{} // memory id -> items
	for i, it := range set.items {
		res, err := e.Retain(ctx, it.bank, it.content, memory.RetainOptions{Timestamp: it.at})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range res.Memories {
			owner[m.ID] = append(owner[m.ID], i)
		}
	}
	groups := map[string]*kScore{}
	var misses []string
	foreign := 0
	for _, q := range set.questions {
		var row5, row10 [memory.NumArms + 1]float64
		for col := 0; col <= int(memory.NumArms); col++ {
			opts := memory.RecallOptions{QueryTime: q.at, MaxResults: 10, MaxTokens: 1 << 20}
			if col < int(memory.NumArms) {
				opts.Arms = []memory.Arm{memory.Arm(col)}
			}
			res, err := e.Recall(ctx, q.bank, q.query, opts)
			if err != nil {
				t.Fatal(err)
			}
			var found []int // item indices in hit order
			for _, h := range res.Hits {
				if h.Memory.Bank != q.bank {
					foreign++
				}
				for _, i := range owner[h.Memory.ID] {
					if set.items[i].bank != q.bank {
						continue
					}
					found = append(found, i)
				}
			}
			score := func(k int) float64 {
				n := 0
				top := found
				if len(res.Hits) > k {
					// the items of the first k hits
					top = nil
					for _, h := range res.Hits[:k] {
						top = append(top, owner[h.Memory.ID]...)
					}
				}
				for _, g := range q.evidence {
					if slices.ContainsFunc(g, func(i int) bool { return slices.Contains(top, i) }) {
						n++
					}
				}
				return float64(n) / float64(min(len(q.evidence), k))
			}
			row5[col], row10[col] = score(5), score(10)
			if col == int(memory.NumArms) && row10[col] < 1 {
				misses = append(misses, fmt.Sprintf("%s/%s %q: %.2f", q.kind, q.lang, q.query, row10[col]))
			}
		}
		for _, key := range []string{q.kind + "/" + q.lang, q.kind, "lang:" + q.lang, "overall"} {
			g := groups[key]
			if g == nil {
				g = &kScore{}
				groups[key] = g
			}
			for i := range row10 {
				g.at5[i] += row5[i]
				g.at10[i] += row10[i]
			}
			g.n++
		}
	}
	return groups, misses, foreign
}

var kKinds = []string{"keyword", "paraphrase", "entity", "temporal", "multi"}

func kTable(groups map[string]*kScore) string {
	var b strings.Builder
	b.WriteString("\n| group | n | semantic @5/@10 | keyword @5/@10 | entity @5/@10 | temporal @5/@10 | fused @5/@10 |\n|---|---|---|---|---|---|---|\n")
	var keys []string
	for _, k := range kKinds {
		keys = append(keys, k+"/en", k+"/ko", k)
	}
	keys = append(keys, "lang:en", "lang:ko", "overall")
	for _, k := range keys {
		g := groups[k]
		if g == nil {
			continue
		}
		fmt.Fprintf(&b, "| %s | %d |", k, g.n)
		for col := 0; col <= int(memory.NumArms); col++ {
			fmt.Fprintf(&b, " %.3f / %.3f |", g.at5[col]/float64(g.n), g.at10[col]/float64(g.n))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRetrievalQualityKoEn runs the Korean/English set. Run with -v for
// the table.
func TestRetrievalQualityKoEn(t *testing.T) {
	set := generateKoEnSet()
	ko := 0
	for _, it := range set.items {
		if strings.IndexFunc(it.content, func(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }) >= 0 {
			ko++
		}
	}
	t.Logf("%d memories (%d with Hangul), %d questions", len(set.items), ko, len(set.questions))
	if len(set.items) < 300 || 2*ko < len(set.items)*9/10 {
		t.Fatalf("set too small or not half Korean: %d memories, %d Korean", len(set.items), ko)
	}
	groups, misses, foreign := runKoEn(t, memory.Config{})
	t.Log(kTable(groups))
	for _, m := range misses {
		t.Log("fused miss: " + m)
	}
	if foreign != 0 {
		t.Errorf("%d hits from another bank", foreign)
	}
	fused := int(memory.NumArms)
	for _, k := range kKinds {
		g := groups[k]
		for a := 0; a < int(memory.NumArms); a++ {
			if g.at10[fused] < g.at10[a]-1e-9 {
				t.Errorf("%s: fused recall@10 %.3f below the %s arm's %.3f", k, g.at10[fused]/float64(g.n), memory.Arm(a), g.at10[a]/float64(g.n))
			}
		}
		if k == "paraphrase" {
			continue
		}
		if r := g.at10[fused] / float64(g.n); r < 0.95 {
			t.Errorf("%s: fused recall@10 %.3f < 0.95", k, r)
		}
	}
}
