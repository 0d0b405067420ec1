package memory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The personal memory set: one Korean-speaking user (지우) who also writes
// English, with family, work, places, preferences and dated events. Each
// item is said at its own time (at); relative dates in it resolve against
// that time. The query clock is koEnNow, a Wednesday.

var koEnKST = time.FixedZone("KST", 9*3600)

// koEnNow is 2026-04-15 10:00 KST, a Wednesday.
var koEnNow = time.Date(2026, 4, 15, 10, 0, 0, 0, koEnKST)

func koEnDay(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, koEnKST) }

type koEnItem struct {
	key, content string
	at           time.Time
}

const koEnBank = "jiwoo"

var koEnItems = []koEnItem{
	{"k01", "민수는 판교에 있는 네이버에서 백엔드 개발자로 일한다.", koEnDay(2025, 9, 1)},
	{"k02", "민수가 어제 부산으로 출장을 갔다.", koEnDay(2026, 4, 10)},
	{"k03", "민수에게 생일 선물로 만년필을 줬다.", koEnDay(2026, 2, 20)},
	{"k04", "I prefer oat milk lattes from Blue Bottle.", koEnDay(2025, 11, 3)},
	{"k05", "My sister Hana lives in Seattle with her husband Tom.", koEnDay(2025, 8, 10)},
	{"k06", "Last Tuesday I had a dentist appointment at Smile Dental.", koEnNow},
	{"k07", "지난주에 지수랑 한강에서 자전거를 탔다.", koEnNow},
	{"k08", "3일 전에 엄마와 통화했다.", koEnNow},
	{"k09", "In March 2026 I started learning Go at a coding bootcamp in Gangnam.", koEnDay(2026, 3, 5)},
	{"k10", "2026년 3월 14일에 화이트데이 선물로 초콜릿을 샀다.", koEnDay(2026, 3, 14)},
	{"k11", "Jenkins 빌드 서버의 관리자 비밀번호를 바꿨다.", koEnDay(2026, 4, 1)},
	{"k12", "팀 회의는 매주 월요일 오전 10시에 Zoom으로 한다.", koEnDay(2026, 1, 5)},
	{"k13", "My favorite food is 김치찌개, especially my mom's recipe.", koEnDay(2025, 12, 1)},
	{"k14", "I'm allergic to peanuts and shellfish.", koEnDay(2025, 7, 1)},
	{"k15", "우리 강아지 이름은 콩이고 푸들이다.", koEnDay(2025, 5, 5)},
	{"k16", "My phone number is 010-1234-5678.", koEnDay(2025, 10, 1)},
	{"k17", "My phone number changed to 010-9876-5432.", koEnDay(2026, 4, 1)},
	{"k18", "민수는 판교에 산다.", koEnDay(2025, 6, 1)},
	{"k19", "민수는 이제 수원에 산다.", koEnDay(2026, 4, 2)},
	{"k20", "수진이네 가족이 다음 달 5일에 제주도로 여행을 간다.", koEnNow},
	{"k21", "Yoga class is every Thursday at 7pm at the community center.", koEnDay(2026, 1, 10)},
	{"k22", "아내 서연이는 서울대병원 간호사로 일한다.", koEnDay(2025, 4, 1)},
	{"k23", "서연이랑 지난 주말에 성수동 카페에 갔다.", koEnNow},
	{"k24", "Booked flights to Tokyo for the Golden Week trip, departing April 29.", koEnDay(2026, 3, 20)},
	{"k25", "도윤 팀장님이 프로젝트 마감을 4월 30일로 미뤘다.", koEnDay(2026, 4, 13)},
	{"k26", "I read Project Hail Mary by Andy Weir last month.", koEnNow},
	{"k27", "비타민 D를 매일 아침 먹는다.", koEnDay(2026, 2, 1)},
	{"k28", "점심으로 을지로에서 평양냉면을 먹었다 🍜", koEnDay(2026, 4, 14)},
	{"k29", "ＡＷＳ 청구서가 이번 달에 12만원 나왔다.", koEnNow},
	{"k30", "My car is a 2019 Hyundai Ioniq.", koEnDay(2025, 3, 1)},
	{"k31", "아버지 생신은 10월 3일이다.", koEnDay(2025, 9, 1)},
	{"k32", "Kubernetes 클러스터 업그레이드를 지난 금요일에 끝냈다.", koEnNow},
	{"k33", "I ran a half marathon in Chuncheon on October 26, 2025.", koEnDay(2025, 10, 27)},
	{"k34", "Mom's birthday dinner was at a Korean BBQ place in Mapo on 2026-01-18.", koEnDay(2026, 1, 19)},
	{"k35", "고양이 알레르기가 있어서 고양이 카페는 피한다.", koEnDay(2025, 6, 15)},
	{"k36", "민수랑 다음 주 토요일에 등산 가기로 했다.", koEnNow},
	{"k37", "The Wi-Fi password at home is sunflower42.", koEnDay(2025, 12, 20)},
	{"k38", "지난달에 이사한 집은 마포구 망원동이다.", koEnNow},
	{"k39", "Started a new job at Kakao on 2026-02-02.", koEnDay(2026, 2, 2)},
	{"k40", "지훈은 광화문에서 일한다.", koEnDay(2025, 11, 11)},
}

// koEnSet is an engine holding koEnItems in koEnBank, with the ids of
// each item's memories.
type koEnSet struct {
	e     *memory.Engine
	ids   map[string][]string // item key -> memory ids
	byID  map[string]string   // memory id -> item key
	facts map[string][]memory.Memory
}

func newKoEnEngine(t testing.TB, cfg memory.Config) *memory.Engine {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return koEnNow }
	}
	e, err := memory.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func retainKoEnSet(t testing.TB, e *memory.Engine) *koEnSet {
	t.Helper()
	s := &koEnSet{e: e, ids: map[string][]string{}, byID: map[string]string{}, facts: map[string][]memory.Memory{}}
	for _, it := range koEnItems {
		r, err := e.Retain(context.Background(), koEnBank, it.content, memory.RetainOptions{Timestamp: it.at})
		if err != nil {
			t.Fatalf("Retain %s: %v", it.key, err)
		}
		if len(r.Memories) == 0 {
			t.Fatalf("Retain %s stored nothing", it.key)
		}
		for _, m := range r.Memories {
			s.ids[it.key] = append(s.ids[it.key], m.ID)
			s.byID[m.ID] = it.key
		}
		s.facts[it.key] = r.Memories
	}
	return s
}

// keys maps hits to item keys ("?" for a memory not in the set).
func (s *koEnSet) keys(hs []memory.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		k, ok := s.byID[h.Memory.ID]
		if !ok {
			k = "?" + h.Memory.ID
		}
		out[i] = k
	}
	return out
}

func (s *koEnSet) recall(t testing.TB, q string, o memory.RecallOptions) memory.RecallResult {
	t.Helper()
	r, err := s.e.Recall(context.Background(), koEnBank, q, o)
	if err != nil {
		t.Fatalf("Recall %q: %v", q, err)
	}
	return r
}

// describe formats hits as "key score provenance | text" lines.
func (s *koEnSet) describe(hs []memory.Hit) string {
	var b strings.Builder
	for i, h := range hs {
		k := s.byID[h.Memory.ID]
		fmt.Fprintf(&b, "  %d. %s %.5f %s | %s\n", i+1, k, h.Score, h.Provenance(), h.Text)
	}
	return b.String()
}

func itemText(key string) string {
	for _, it := range koEnItems {
		if it.key == key {
			return it.content
		}
	}
	return ""
}
