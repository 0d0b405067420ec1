package memory_test

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/jedisos/jedisos/internal/qdranttest"
	"github.com/jedisos/jedisos/memory"
	mq "github.com/jedisos/jedisos/memory/qdrant"
)

var parityQueries = []string{
	"oat milk", "Wi-Fi password", "평양냉면 어디서 먹었지?", "강아지 이름이 뭐야?", "만년필", "Jenkins 비밀번호",
	"민수에 대해 알려줘", "민수 산다", "What is my phone number?", "지난주에 뭐 했지?", "what did I do in March 2026?",
	"어제 뭐 먹었지?", "What happened last Tuesday?", "3일 전에 누구랑 통화했어?", "Tell me about Hana", "서연이가 어디서 일해?",
	"수진이 여행 언제 가?", "도윤 팀장님이 뭘 미뤘지?", "서울대병원에서 일하는 사람", "작년 10월에 뭐 했지?", "다음 주 토요일 일정",
}

func openQdrantEngine(t *testing.T) *memory.Engine {
	t.Helper()
	srv := qdranttest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := mq.Open(ctx, mq.Config{Host: srv.Host(), Port: srv.Port(), SkipCompatibilityCheck: true, Dimension: memory.OfflineDim,
		RetryBase: time.Millisecond, RetryMax: 4 * time.Millisecond})
	if err != nil {
		t.Fatalf("qdrant Open: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return newKoEnEngine(t, memory.Config{Store: st})
}

// By default every store returns each arm's ranking and the engine fuses,
// so Qdrant and the embedded store give the same hits in the same order
// with the same arm ranks (README, Recall pipeline, step 4).
func TestKoEnEmbeddedQdrantParity(t *testing.T) {
	emb := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	qd := retainKoEnSet(t, openQdrantEngine(t))
	for k, ids := range emb.ids {
		if !slices.Equal(ids, qd.ids[k]) {
			t.Fatalf("%s: ids differ %v vs %v", k, ids, qd.ids[k])
		}
	}
	for _, q := range parityQueries {
		a := emb.recall(t, q, memory.RecallOptions{MaxResults: 10})
		b := qd.recall(t, q, memory.RecallOptions{MaxResults: 10})
		ka, kb := emb.keys(a.Hits), qd.keys(b.Hits)
		if !slices.Equal(ka, kb) {
			t.Errorf("%q: embedded %v, qdrant %v\nembedded:\n%sqdrant:\n%s", q, ka, kb, emb.describe(a.Hits), qd.describe(b.Hits))
			continue
		}
		for i := range a.Hits {
			if a.Hits[i].Ranks != b.Hits[i].Ranks || math.Abs(a.Hits[i].Score-b.Hits[i].Score) > 1e-9 {
				t.Errorf("%q hit %d (%s): embedded %v %.6f, qdrant %v %.6f", q, i+1, ka[i],
					a.Hits[i].Ranks, a.Hits[i].Score, b.Hits[i].Ranks, b.Hits[i].Score)
			}
		}
		if a.ArmCandidates != b.ArmCandidates || !slices.Equal(a.Entities, b.Entities) {
			t.Errorf("%q: arm candidates %v vs %v, entities %q vs %q", q, a.ArmCandidates, b.ArmCandidates, a.Entities, b.Entities)
		}
	}
	// deletes and bank isolation behave alike
	ctx := context.Background()
	for _, s := range []*koEnSet{emb, qd} {
		if err := s.e.Store().Delete(ctx, koEnBank, s.ids["k17"]); err != nil {
			t.Fatal(err)
		}
		if _, err := s.e.Retain(ctx, "neighbour", "My phone number is 010-5555-0000.", memory.RetainOptions{Timestamp: koEnNow}); err != nil {
			t.Fatal(err)
		}
	}
	a := emb.recall(t, "What is my phone number?", memory.RecallOptions{MaxResults: 10})
	b := qd.recall(t, "What is my phone number?", memory.RecallOptions{MaxResults: 10})
	if ka, kb := emb.keys(a.Hits), qd.keys(b.Hits); !slices.Equal(ka, []string{"k16"}) || !slices.Equal(kb, ka) {
		t.Errorf("after delete: embedded %v, qdrant %v; want [k16]", ka, kb)
	}
	ne, _ := emb.e.Store().Count(ctx, koEnBank, memory.Filter{})
	nq, _ := qd.e.Store().Count(ctx, koEnBank, memory.Filter{})
	if ne != nq || ne != len(koEnItems)-1 {
		t.Errorf("counts: embedded %d, qdrant %d, want %d", ne, nq, len(koEnItems)-1)
	}
	w := &memory.TimeRange{Start: time.Date(2026, 4, 6, 0, 0, 0, 0, koEnKST), End: time.Date(2026, 4, 12, 23, 59, 59, 0, koEnKST)}
	ne, _ = emb.e.Store().Count(ctx, koEnBank, memory.Filter{Window: w})
	nq, _ = qd.e.Store().Count(ctx, koEnBank, memory.Filter{Window: w})
	if ne != nq || ne != 6 {
		t.Errorf("window counts: embedded %d, qdrant %d, want 6", ne, nq)
	}
}
