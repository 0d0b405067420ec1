package memory_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

var now = time.Date(2025, 4, 16, 12, 0, 0, 0, time.UTC)

func newEngine(t *testing.T, cfg memory.Config) *memory.Engine {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return now }
	}
	e, err := memory.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func hitTexts(r memory.RecallResult) []string {
	out := make([]string, len(r.Hits))
	for i, h := range r.Hits {
		out[i] = h.Memory.Text
	}
	return out
}

func retain(t *testing.T, e *memory.Engine, bank, content string, ts time.Time) memory.RetainResult {
	t.Helper()
	r, err := e.Retain(context.Background(), bank, content, memory.RetainOptions{Timestamp: ts})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestRetainRecall(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	day := 24 * time.Hour
	r := retain(t, e, "mina", "Mina adopted a cat named Bori. Mina works at Naver in Seoul.", now.Add(-30*day))
	if len(r.Memories) != 2 || r.Memories[0].Kind != memory.KindWorld || !slices.Equal(r.Memories[0].Entities, []string{"Mina", "Bori"}) {
		t.Fatalf("retained %+v", r.Memories)
	}
	if !slices.Contains(r.Memories[1].Links, memory.Link{Target: r.Memories[0].ID, Kind: memory.LinkTemporal, Weight: 1}) {
		t.Errorf("same-time facts not temporally linked: %+v", r.Memories[1].Links)
	}
	retain(t, e, "mina", "Yesterday Mina and Jun hiked Bukhansan.", now)
	retain(t, e, "mina", "민수는 지난주에 부산으로 이사했다.", now)
	retain(t, e, "other", "Mina adopted a cat named Bori.", now)

	res, err := e.Recall(ctx, "mina", "What is the name of Mina's cat?", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Memory.Text != "Mina adopted a cat named Bori." {
		t.Fatalf("top hit: %q", hitTexts(res))
	}
	top := res.Hits[0]
	if top.Ranks[memory.ArmSemantic] != 1 || top.Ranks[memory.ArmKeyword] != 1 || top.Ranks[memory.ArmEntity] == 0 {
		t.Errorf("provenance %s", top.Provenance())
	}
	for _, h := range res.Hits {
		if h.Memory.Bank != "mina" {
			t.Fatalf("recall in bank mina returned bank %q", h.Memory.Bank)
		}
	}
	if want := 1/float64(61) + 1/float64(61) + 1/float64(60+top.Ranks[memory.ArmEntity]); abs(top.RRF-want) > 1e-12 {
		t.Errorf("RRF = %v, want %v", top.RRF, want)
	}

	// Korean query finds the Korean memory first.
	res, err = e.Recall(ctx, "mina", "민수는 어디로 이사했어?", memory.RecallOptions{})
	if err != nil || len(res.Hits) == 0 || res.Hits[0].Memory.Text != "민수는 지난주에 부산으로 이사했다." {
		t.Fatalf("korean recall: %q, %v", hitTexts(res), err)
	}

	// A temporal question is answered by the temporal arm.
	res, err = e.Recall(ctx, "mina", "what happened yesterday", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window == nil || !res.Window.Start.Equal(time.Date(2025, 4, 15, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("window = %v", res.Window)
	}
	if len(res.Hits) == 0 || res.Hits[0].Memory.Text != "Yesterday Mina and Jun hiked Bukhansan." || res.Hits[0].Ranks[memory.ArmTemporal] != 1 {
		t.Fatalf("temporal recall: %q", hitTexts(res))
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestRetainIsIdempotent(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	a := retain(t, e, "b", "Jun likes green tea.", now)
	b := retain(t, e, "b", "jun likes green tea", now)
	if a.IDs()[0] != b.IDs()[0] {
		t.Fatalf("ids differ: %v %v", a.IDs(), b.IDs())
	}
	if n, _ := e.Store().Count(ctx, "b", memory.Filter{}); n != 1 {
		t.Fatalf("count = %d, want 1", n)
	}
	if _, err := e.Store().Bank(ctx, "b"); err != nil {
		t.Fatalf("retain did not create the bank: %v", err)
	}
}

func TestRetainBatchAndOptions(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	r, err := e.RetainBatch(ctx, "b", []memory.RetainItem{
		{Content: "I booked the flight to Jeju.", Options: memory.RetainOptions{Kind: memory.KindExperience, Tags: []string{"travel"}, DocumentID: "d1", Metadata: map[string]string{"turn": "3"}, Context: "chat"}},
		{Content: "The bori project ships in May 2025.", Options: memory.RetainOptions{Entities: []string{"Bori"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Memories) != 2 {
		t.Fatalf("memories: %+v", r.Memories)
	}
	m0, m1 := r.Memories[0], r.Memories[1]
	if m0.Kind != memory.KindExperience || m0.Tags[0] != "travel" || m0.DocumentID != "d1" || m0.Metadata["turn"] != "3" || m0.Context != "chat" || !m0.MentionedAt.Equal(now) {
		t.Errorf("options not applied: %+v", m0)
	}
	if !slices.Contains(m1.Entities, "Bori") || !m1.OccurredStart.Equal(time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("entities/time: %+v", m1)
	}
	res, err := e.Recall(ctx, "b", "travel plans", memory.RecallOptions{Filter: memory.Filter{Kinds: []memory.Kind{memory.KindExperience}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.Memory.Kind != memory.KindExperience {
			t.Fatalf("kind filter leaked %q", h.Memory.Text)
		}
	}
	for name, items := range map[string][]memory.RetainItem{
		"empty content": {{Content: "  "}},
		"bad kind":      {{Content: "x y", Options: memory.RetainOptions{Kind: "gossip"}}},
	} {
		if _, err := e.RetainBatch(ctx, "b", items); !errors.Is(err, memory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := e.Retain(ctx, "", "text", memory.RetainOptions{}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("empty bank: %v", err)
	}
}

func TestRecallBudgetsAndTokenTrim(t *testing.T) {
	ctx := context.Background()
	// every note contains "garden": no keyword floor, or none would pass
	e := newEngine(t, memory.Config{MinKeywordScore: -1})
	var items []memory.RetainItem
	for i := 0; i < 150; i++ {
		items = append(items, memory.RetainItem{Content: "Note " + strings.Repeat("x", i%7+1) + " about the garden number " + strconv.Itoa(i) + "."})
	}
	if _, err := e.RetainBatch(ctx, "b", items); err != nil {
		t.Fatal(err)
	}
	low, err := e.Recall(ctx, "b", "garden", memory.RecallOptions{Budget: memory.BudgetLow, MaxTokens: 100000, Arms: []memory.Arm{memory.ArmKeyword}})
	if err != nil {
		t.Fatal(err)
	}
	mid, _ := e.Recall(ctx, "b", "garden", memory.RecallOptions{Budget: memory.BudgetMid, MaxTokens: 100000, Arms: []memory.Arm{memory.ArmKeyword}})
	if len(low.Hits) != 100 || len(mid.Hits) != 150 {
		t.Fatalf("low %d hits (want 100), mid %d (want 150)", len(low.Hits), len(mid.Hits))
	}
	trim, _ := e.Recall(ctx, "b", "garden", memory.RecallOptions{MaxTokens: 50})
	sum := 0
	for _, h := range trim.Hits {
		if h.Tokens != memory.CL100K.CountTokens(h.Memory.Text) {
			t.Fatalf("hit tokens %d, counter says %d", h.Tokens, memory.CL100K.CountTokens(h.Memory.Text))
		}
		sum += h.Tokens
	}
	if sum != trim.Tokens || sum > 50 || len(trim.Hits) == 0 || sum+trim.Hits[0].Tokens <= 50 {
		t.Fatalf("token trim: %d hits, %d tokens (reported %d)", len(trim.Hits), sum, trim.Tokens)
	}
	capped, _ := e.Recall(ctx, "b", "garden", memory.RecallOptions{MaxResults: 3})
	if len(capped.Hits) != 3 {
		t.Fatalf("MaxResults 3 gave %d hits", len(capped.Hits))
	}
	for name, o := range map[string]memory.RecallOptions{
		"budget":     {Budget: 7},
		"max tokens": {MaxTokens: -1},
		"arm":        {Arms: []memory.Arm{9}},
		"filter":     {Filter: memory.Filter{Kinds: []memory.Kind{"x"}}},
	} {
		if _, err := e.Recall(ctx, "b", "garden", o); !errors.Is(err, memory.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := e.Recall(ctx, "b", "  ", memory.RecallOptions{}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("empty query: %v", err)
	}
}

func TestRecencyBoost(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	// Same words, so RRF ties; recency decides.
	retain(t, e, "b", "Mina visited the old library downtown.", now.AddDate(-1, 0, 0))
	retain(t, e, "b", "Mina visited the new library downtown.", now.AddDate(0, 0, -2))
	res, err := e.Recall(ctx, "b", "Mina visited library downtown", memory.RecallOptions{Arms: []memory.Arm{memory.ArmKeyword}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 2 || res.Hits[0].Memory.Text != "Mina visited the new library downtown." {
		t.Fatalf("recency order: %q", hitTexts(res))
	}
	if res.Hits[0].Score <= res.Hits[0].RRF {
		t.Errorf("score %v not boosted above RRF %v", res.Hits[0].Score, res.Hits[0].RRF)
	}
	res, _ = e.Recall(ctx, "b", "Mina visited library downtown", memory.RecallOptions{Arms: []memory.Arm{memory.ArmKeyword}, NoRecency: true})
	if res.Hits[0].Score != res.Hits[0].RRF {
		t.Errorf("NoRecency still boosted: %v vs %v", res.Hits[0].Score, res.Hits[0].RRF)
	}
}

type reverseReranker struct{ calls int }

func (r *reverseReranker) Rerank(ctx context.Context, query string, docs []string) ([]float64, error) {
	r.calls++
	out := make([]float64, len(docs))
	for i := range docs {
		out[i] = float64(i) // the last becomes the best
	}
	return out, nil
}

func TestReranker(t *testing.T) {
	rr := &reverseReranker{}
	e := newEngine(t, memory.Config{Reranker: rr, RecencyAlpha: -1})
	retain(t, e, "b", "Alpha beta gamma. Alpha beta. Alpha.", now)
	plain := newEngine(t, memory.Config{RecencyAlpha: -1})
	retain(t, plain, "b", "Alpha beta gamma. Alpha beta. Alpha.", now)
	// facts: the three sentences of one content are three hits
	a, err := e.Recall(context.Background(), "b", "alpha beta gamma", memory.RecallOptions{Facts: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := plain.Recall(context.Background(), "b", "alpha beta gamma", memory.RecallOptions{Facts: true})
	want := hitTexts(b)
	slices.Reverse(want)
	if rr.calls != 1 || !slices.Equal(hitTexts(a), want) {
		t.Fatalf("reranked %q, want %q", hitTexts(a), want)
	}
}

// fusingStore wraps a store and fuses server-side, as Qdrant does: it
// returns candidates in RRF order with no per-arm ranks.
type fusingStore struct{ memory.Store }

func (f fusingStore) Search(ctx context.Context, req memory.SearchRequest) (memory.SearchResult, error) {
	res, err := f.Store.Search(ctx, req)
	if err != nil || !req.Fused {
		return res, err
	}
	score := func(c memory.Candidate) float64 {
		s := 0.0
		for _, r := range c.Ranks {
			if r > 0 {
				s += 1 / float64(60+r)
			}
		}
		return s
	}
	slices.SortStableFunc(res.Candidates, func(a, b memory.Candidate) int {
		switch sa, sb := score(a), score(b); {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return strings.Compare(a.Memory.ID, b.Memory.ID)
	})
	for i := range res.Candidates {
		res.Candidates[i].Fused = score(res.Candidates[i])
		res.Candidates[i].Ranks = [memory.NumArms]int{}
	}
	res.Fused = true
	return res, nil
}

func TestRecallOverServerFusedStore(t *testing.T) {
	plain := newEngine(t, memory.Config{RecencyAlpha: -1})
	fused := newEngine(t, memory.Config{Store: fusingStore{memory.NewEmbeddedStore()}, RecencyAlpha: -1, ServerFusion: true})
	t.Cleanup(func() { _ = fused.Store().Close() })
	for _, e := range []*memory.Engine{plain, fused} {
		retain(t, e, "b", "Mina adopted a cat named Bori. Jun has a dog. Mina likes cats and dogs. Seoul is busy.", now)
	}
	a, err := plain.Recall(context.Background(), "b", "Mina cat", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fused.Recall(context.Background(), "b", "Mina cat", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hitTexts(a), hitTexts(b)) {
		t.Fatalf("fused order %q differs from engine fusion %q", hitTexts(b), hitTexts(a))
	}
	if b.Hits[0].Provenance() != "fused" || a.Hits[0].Provenance() == "fused" {
		t.Errorf("provenance %q / %q", b.Hits[0].Provenance(), a.Hits[0].Provenance())
	}
	// the store's fused scores are kept, not replaced by positions
	for i := range a.Hits {
		if d := a.Hits[i].RRF - b.Hits[i].RRF; d > 1e-12 || d < -1e-12 {
			t.Errorf("hit %d: server-fused RRF %v, engine RRF %v", i, b.Hits[i].RRF, a.Hits[i].RRF)
		}
	}
}

func TestNewValidatesConfig(t *testing.T) {
	if _, err := memory.New(memory.Config{RecencyAlpha: 2}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("alpha 2: %v", err)
	}
	if _, err := memory.New(memory.Config{MinSimilarity: 1.5}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("min similarity 1.5: %v", err)
	}
	if _, err := memory.New(memory.Config{MinSimilarity: float32(math.NaN())}); !errors.Is(err, memory.ErrInvalid) || !strings.Contains(err.Error(), "MinSimilarity NaN") {
		t.Errorf("min similarity NaN: %v", err)
	}
}

func TestRecallHitsAreCopies(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	retain(t, e, "b", "Mina met Jun in Busan.", now)
	res, _ := e.Recall(ctx, "b", "Mina Busan", memory.RecallOptions{})
	res.Hits[0].Memory.Entities[0] = "Mallory"
	again, _ := e.Recall(ctx, "b", "Mina Busan", memory.RecallOptions{})
	if again.Hits[0].Memory.Entities[0] != "Mina" {
		t.Fatalf("changing a hit changed the store: %v", again.Hits[0].Memory.Entities)
	}
}

func TestRetainLinks(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	first := retain(t, e, "b", "Mina visited Busan.", now.Add(-6*time.Hour))
	far := retain(t, e, "b", "Jun sold his car.", now.Add(-72*time.Hour))
	r := retain(t, e, "b", "Mina met Sora in Busan. Sora lent Mina a book.", now)
	a, b := r.Memories[0], r.Memories[1]
	// temporal: 6 hours apart -> weight 1 - 6/24 = 0.75; same time -> 1
	if !slices.Contains(a.Links, memory.Link{Target: first.IDs()[0], Kind: memory.LinkTemporal, Weight: 0.75}) {
		t.Errorf("no temporal link to the fact 6 hours earlier: %+v", a.Links)
	}
	if !slices.Contains(a.Links, memory.Link{Target: b.ID, Kind: memory.LinkTemporal, Weight: 1}) {
		t.Errorf("no temporal link between same-turn facts: %+v", a.Links)
	}
	for _, l := range a.Links {
		if l.Target == far.IDs()[0] {
			t.Errorf("linked to a fact 72 hours away: %+v", l)
		}
	}
	// facts of one batch sharing an entity, too far apart in time for a
	// temporal link, get an entity link
	r2, err := e.RetainBatch(ctx, "b", []memory.RetainItem{
		{Content: "Dana plays cello.", Options: memory.RetainOptions{Timestamp: now.AddDate(0, 0, -40)}},
		{Content: "Dana moved to Lisbon.", Options: memory.RetainOptions{Timestamp: now.AddDate(0, 0, -20)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Memories[1].Links; !slices.Contains(got, memory.Link{Target: r2.Memories[0].ID, Kind: memory.LinkEntity, Weight: 1}) {
		t.Errorf("facts sharing Dana are not entity-linked: %+v", got)
	}
}
