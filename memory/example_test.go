package memory_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/tmc/langchaingo/llms"
)

// Retain a few facts and recall them with per-arm provenance.
func Example() {
	ctx := context.Background()
	at := time.Date(2025, 4, 16, 9, 0, 0, 0, time.UTC)
	e, _ := memory.New(memory.Config{Now: func() time.Time { return at }})
	defer e.Close()

	_, _ = e.Retain(ctx, "mina", "Mina adopted a cat named Bori. Yesterday Mina hiked Bukhansan with Jun.", memory.RetainOptions{})
	_, _ = e.Retain(ctx, "mina", "민수는 지난주에 부산으로 이사했다.", memory.RetainOptions{})

	res, _ := e.Recall(ctx, "mina", "What is the name of Mina's cat?", memory.RecallOptions{MaxResults: 1})
	fmt.Println(res.Hits[0].Memory.Text, "|", res.Hits[0].Provenance())

	res, _ = e.Recall(ctx, "mina", "어제 뭐 했어?", memory.RecallOptions{MaxResults: 1})
	fmt.Println(res.Window.Start.Format("2006-01-02"), res.Hits[0].Memory.Text)
	// Output:
	// Mina adopted a cat named Bori. | semantic#1 keyword#1 entity#1
	// 2025-04-15 Yesterday Mina hiked Bukhansan with Jun.
}

func ExampleParseTimeWindow() {
	now := time.Date(2025, 4, 16, 15, 0, 0, 0, time.UTC) // a Wednesday
	for _, q := range []string{"last week", "지난주", "3 days ago", "2025년 3월", "in March 2025", "어제"} {
		w, _ := memory.ParseTimeWindow(q, now)
		fmt.Printf("%s..%s %s\n", w.Start.Format("01-02"), w.End.Format("01-02"), q)
	}
	// Output:
	// 04-07..04-13 last week
	// 04-07..04-13 지난주
	// 04-13..04-13 3 days ago
	// 03-01..03-31 2025년 3월
	// 03-01..03-31 in March 2025
	// 04-15..04-15 어제
}

func ExampleTokenize() {
	fmt.Printf("%q\n", memory.Tokenize("Mina visited the meetings in 서울에서"))
	// Output:
	// ["mina" "visit" "meeting" "서울"]
}

// Entities match in one form whatever the script's width or the Hangul's
// composition: decomposed 민수 (as macOS writes it) and full-width ＡＷＳ
// are the same entities as 민수 and aws.
func ExampleEntityKey() {
	nfd := "\u1106\u1175\u11ab\u1109\u116e" // 민수, decomposed
	fmt.Println(memory.EntityKey(nfd) == memory.EntityKey("민수"), memory.EntityKey(" ＡＷＳ "))
	fmt.Println(memory.Tokenize("ＡＷＳ 청구서"), memory.Tokenize("서울까지 "+nfd+"랑"))
	// Output:
	// true aws
	// [aws 청구 구서] [서울 민수]
}

func ExampleBM25_Document() {
	v := memory.DefaultBM25.Document("cat cat dog")
	q := memory.DefaultBM25.Query("cat")
	fmt.Println(v.Len(), q.Len(), q.Indices[0] == memory.TermIndex("cat"))
	// Output:
	// 2 1 true
}

func ExampleOfflineExtractor() {
	facts, _ := memory.OfflineExtractor{}.Extract(context.Background(), memory.ExtractRequest{
		Content: "Jun moved to Busan last month. Is that right? 지영은 어제 서울에서 발표를 했다.",
		Now:     time.Date(2025, 4, 16, 0, 0, 0, 0, time.UTC),
	})
	for _, f := range facts {
		fmt.Println(f.Text, f.Entities, f.OccurredStart.Format("2006-01-02"))
	}
	// Output:
	// Jun moved to Busan last month. [Jun Busan] 2025-03-01
	// 지영은 어제 서울에서 발표를 했다. [지영 서울] 2025-04-15
}

func ExampleOpenEmbedded() {
	dir, _ := os.MkdirTemp("", "memory-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "memory.db")
	ctx := context.Background()

	s, _ := memory.OpenEmbedded(memory.EmbeddedOptions{Path: path})
	e, _ := memory.New(memory.Config{Store: s})
	_, _ = e.Retain(ctx, "u", "Sora plays the piano.", memory.RetainOptions{})
	_ = s.Close()

	s, _ = memory.OpenEmbedded(memory.EmbeddedOptions{Path: path}) // reopen
	defer s.Close()
	n, _ := s.Count(ctx, "u", memory.Filter{})
	fmt.Println(n)
	// Output:
	// 1
}

// cannedModel is an llms.Model that always replies with the same text.
type cannedModel string

func (c cannedModel) GenerateContent(ctx context.Context, _ []llms.MessageContent, _ ...llms.CallOption) (*llms.ContentResponse, error) {
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: string(c)}}}, nil
}

func (c cannedModel) Call(ctx context.Context, prompt string, _ ...llms.CallOption) (string, error) {
	return string(c), nil
}

func ExampleEngine_Reflect() {
	ctx := context.Background()
	model := cannedModel(`{"answer":"Bori.","used":[1],"opinion":"Mina is a devoted cat owner.","confidence":0.7}`)
	e, _ := memory.New(memory.Config{Model: model})
	defer e.Close()
	_ = e.PutBank(ctx, memory.Bank{ID: "mina", Background: "Mina's assistant.", Disposition: memory.Disposition{Empathy: 5}})
	_, _ = e.Retain(ctx, "mina", "Mina adopted a cat named Bori.", memory.RetainOptions{})

	r, _ := e.Reflect(ctx, "mina", "What is Mina's cat called?", memory.ReflectOptions{RetainOpinion: true})
	fmt.Println(r.Answer, len(r.Used), r.Retained.Kind, r.Retained.Confidence)
	// Output:
	// Bori. 1 opinion 0.7
}

func ExampleLLMExtractor() {
	model := cannedModel(`{"facts":[{"text":"Mina flew to Paris on 2025-04-15.","kind":"world","entities":["Mina","Paris"],"occurred_start":"2025-04-15"}]}`)
	x := &memory.LLMExtractor{Model: model}
	facts, _ := x.Extract(context.Background(), memory.ExtractRequest{Content: "Mina flew to Paris yesterday.", Now: time.Date(2025, 4, 16, 0, 0, 0, 0, time.UTC)})
	fmt.Println(facts[0].Text, facts[0].Entities, facts[0].OccurredStart.Format("2006-01-02"))
	// Output:
	// Mina flew to Paris on 2025-04-15. [Mina Paris] 2025-04-15
}

func ExampleEngine_RetainBatch() {
	ctx := context.Background()
	at := time.Date(2025, 4, 16, 9, 0, 0, 0, time.UTC)
	e, _ := memory.New(memory.Config{Now: func() time.Time { return at }})
	defer e.Close()
	r, _ := e.RetainBatch(ctx, "jun", []memory.RetainItem{
		{Content: "I booked the hotel in Jeju.", Options: memory.RetainOptions{Kind: memory.KindExperience, Tags: []string{"travel"}}},
		{Content: "Jun's flight KE1203 leaves on 2025-05-02.", Options: memory.RetainOptions{Tags: []string{"travel"}, DocumentID: "itinerary"}},
	})
	for _, m := range r.Memories {
		fmt.Println(m.Kind, m.Tags, m.Text)
	}
	// retaining the same fact again replaces it, it does not duplicate it
	_, _ = e.Retain(ctx, "jun", "i booked the hotel in jeju", memory.RetainOptions{})
	n, _ := e.Store().Count(ctx, "jun", memory.Filter{})
	fmt.Println(n)
	// Output:
	// experience [travel] I booked the hotel in Jeju.
	// world [travel] Jun's flight KE1203 leaves on 2025-05-02.
	// 2
}

func ExampleEngine_Recall() {
	ctx := context.Background()
	at := time.Date(2025, 4, 16, 9, 0, 0, 0, time.UTC)
	e, _ := memory.New(memory.Config{Now: func() time.Time { return at }})
	defer e.Close()
	_, _ = e.Retain(ctx, "b", "Sora practised piano.", memory.RetainOptions{Timestamp: at.AddDate(0, 0, -8), Tags: []string{"music"}})
	_, _ = e.Retain(ctx, "b", "Sora bought a new piano bench.", memory.RetainOptions{Timestamp: at.AddDate(0, -3, 0), Tags: []string{"shopping"}})

	res, _ := e.Recall(ctx, "b", "Sora piano", memory.RecallOptions{
		Budget: memory.BudgetLow,
		Filter: memory.Filter{TagsAny: []string{"music"}},
	})
	for _, h := range res.Hits {
		fmt.Println(h.Memory.Text, h.FoundBy())
	}
	res, _ = e.Recall(ctx, "b", "piano last week", memory.RecallOptions{Arms: []memory.Arm{memory.ArmTemporal}})
	fmt.Println(res.Window.Start.Format("2006-01-02"), res.Hits[0].Memory.Text)
	// Output:
	// Sora practised piano. [semantic keyword]
	// 2025-04-07 Sora practised piano.
}

func ExampleOfflineEmbedder() {
	emb := memory.OfflineEmbedder{Dim: 64}
	v, _ := emb.EmbedDocuments(context.Background(), []string{"Mina visited Busan", "Mina visits Busan", "quarterly tax report"})
	cos := func(a, b []float32) (s float32) {
		for i := range a {
			s += a[i] * b[i]
		}
		return s
	}
	fmt.Println(len(v[0]), cos(v[0], v[1]) > 0.9, cos(v[0], v[2]) < 0.3)
	// Output:
	// 64 true true
}

// Recall returns the whole retained content, with the sentences that
// matched; RetainOptions.OccurredStart dates it explicitly.
func ExampleHit_whole() {
	ctx := context.Background()
	at := time.Date(2026, 12, 20, 15, 0, 0, 0, time.UTC)
	e, _ := memory.New(memory.Config{Now: func() time.Time { return at }})
	defer e.Close()
	_, _ = e.Retain(ctx, "jisoo", "수진이랑 을지로에서 저녁 먹었어. 노가리 골목이 엄청 붐비더라.",
		memory.RetainOptions{OccurredStart: time.Date(2025, 12, 24, 19, 0, 0, 0, time.UTC)})
	_, _ = e.Retain(ctx, "jisoo", "헬스장 사물함 비번은 4471이야.", memory.RetainOptions{})

	res, _ := e.Recall(ctx, "jisoo", "작년 12월에 수진이랑 뭐 했지?", memory.RecallOptions{MaxResults: 1})
	h := res.Hits[0]
	fmt.Println(res.Window.Start.Format("2006-01-02"), res.Entities)
	fmt.Println(h.Text)
	fmt.Printf("%q\n", h.Matched)
	// Output:
	// 2025-12-01 [수진]
	// 수진이랑 을지로에서 저녁 먹었어. 노가리 골목이 엄청 붐비더라.
	// ["수진이랑 을지로에서 저녁 먹었어." "노가리 골목이 엄청 붐비더라."]
}

// A langchaingo embedder behind a persistent cache: each distinct text is
// embedded once, across restarts.
func ExampleCachedEmbedder() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "emb")
	defer os.RemoveAll(dir)
	cache, _ := memory.OpenEmbeddingCache(filepath.Join(dir, "vectors.jsonl"))
	defer cache.Close()
	// any langchaingo embeddings.Embedder; the offline one stands in here
	emb := &memory.CachedEmbedder{Embedder: memory.OfflineEmbedder{}, Model: "offline-256", Cache: cache}
	e, _ := memory.New(memory.Config{Embedder: emb})
	defer e.Close()
	_, _ = e.Retain(ctx, "u", "Mina adopted a cat named Bori.", memory.RetainOptions{})
	_, _ = e.Retain(ctx, "u", "Mina adopted a cat named Bori.", memory.RetainOptions{})
	fmt.Println(cache.Len(), "vector cached")
	// Output:
	// 1 vector cached
}
