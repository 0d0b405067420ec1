package memory_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

var (
	benchPeople = []string{"Mina", "Jun", "Sora", "Dana", "Raj", "Priya", "Oliver", "Hannah", "Victor", "Mateo",
		"민수", "지영", "수진", "도윤", "하린", "서연", "준서", "현우", "예린", "태오"}
	benchPlaces = []string{"Seoul", "Busan", "Paris", "Lisbon", "Toronto", "Jeju", "Austin", "Berlin", "부산", "제주", "판교", "성수동"}
	benchVerbs  = []string{"visited", "called", "met", "emailed", "cooked for", "argued with", "hiked with", "studied with", "interviewed", "helped"}
	benchThings = []string{"the quarterly report", "a new bicycle", "the violin lesson", "a pottery class", "the billing bug",
		"a jazz concert", "the garden", "a marathon plan", "the wedding plans", "a design review", "the roadmap", "a ramen place"}
	benchKo = []string{"와 저녁을 먹었다", "에게 전화를 했다", "와 회의를 했다", "의 집에 들렀다", "와 등산을 했다", "에게 선물을 보냈다"}
)

var benchNow = time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC)

// synthCorpus builds n memories for bank "u" directly (no extractor), with
// offline embeddings, over one year, a fifth of them in Korean.
func synthCorpus(n int) []memory.Memory { return newCorpusGen(n).next(n) }

// corpusGen yields synthCorpus(n) in pieces (same memories, same order).
type corpusGen struct {
	r *rand.Rand
	i int
}

func newCorpusGen(n int) *corpusGen { return &corpusGen{r: rand.New(rand.NewPCG(uint64(n), 99))} }

func (g *corpusGen) next(k int) []memory.Memory {
	r := g.r
	emb := memory.OfflineEmbedder{}
	ms := make([]memory.Memory, k)
	texts := make([]string, k)
	for j := range ms {
		i := g.i
		g.i++
		p1, p2 := benchPeople[r.IntN(len(benchPeople))], benchPeople[r.IntN(len(benchPeople))]
		place := benchPlaces[r.IntN(len(benchPlaces))]
		var text string
		if i%5 == 4 {
			text = fmt.Sprintf("%s는 %s에서 %s%s. 메모 %d", p1, place, p2, benchKo[r.IntN(len(benchKo))], i)
		} else {
			text = fmt.Sprintf("%s %s %s in %s about %s, note %d.", p1, benchVerbs[r.IntN(len(benchVerbs))], p2, place,
				benchThings[r.IntN(len(benchThings))], i)
		}
		texts[j] = text
		at := benchNow.Add(-time.Duration(r.Int64N(int64(365 * 24 * time.Hour))))
		ms[j] = memory.Memory{ID: memory.MemoryID("u", text), Bank: "u", Kind: memory.KindWorld, Text: text,
			Entities: []string{p1, p2, place}, OccurredStart: at, OccurredEnd: at, MentionedAt: at,
			Sparse: memory.DefaultBM25.Document(text)}
	}
	vecs, _ := emb.EmbedDocuments(context.Background(), texts)
	for i := range ms {
		ms[i].Vector = vecs[i]
	}
	return ms
}

var benchEngines sync.Map // key "n/hnsw" -> *benchBank

// benchBank is a built engine and what building it cost.
type benchBank struct {
	e *memory.Engine
	// bytes is the live heap the store added, after a collection;
	// build is the wall time of generating and upserting the corpus.
	bytes int64
	build time.Duration
}

func benchEngine(b *testing.B, n, hnsw int) *memory.Engine { return benchBankOf(b, n, hnsw).e }

// benchBankOf builds the n-memory bank once per process (HNSW from hnsw
// memories on, 0 for exact search) and measures its heap.
func benchBankOf(b *testing.B, n, hnsw int) *benchBank {
	key := strconv.Itoa(n) + "/" + strconv.Itoa(hnsw)
	if e, ok := benchEngines.Load(key); ok {
		return e.(*benchBank)
	}
	start := time.Now()
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := memory.OpenEmbedded(memory.EmbeddedOptions{HNSWThreshold: hnsw})
	if err != nil {
		b.Fatal(err)
	}
	gen := newCorpusGen(n)
	for lo := 0; lo < n; lo += 50_000 {
		ms := gen.next(min(50_000, n-lo))
		for i := 0; i < len(ms); i += 5000 {
			if err := s.Upsert(context.Background(), ms[i:min(i+5000, len(ms))]); err != nil {
				b.Fatal(err)
			}
		}
	}
	e, err := memory.New(memory.Config{Store: s, Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	bb := &benchBank{e: e, build: time.Since(start)}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	bb.bytes = int64(after.HeapAlloc) - int64(before.HeapAlloc)
	benchEngines.Store(key, bb)
	return bb
}

var benchQueries = []string{
	"What did Mina do with Jun in Paris?",
	"Who talked about the billing bug last week?",
	"민수는 부산에서 누구와 저녁을 먹었어?",
	"Sora marathon plan",
	"What happened in March 2025?",
	"지난주에 지영은 뭐 했어?",
}

func benchRecall(b *testing.B, e *memory.Engine, budget memory.Budget) {
	ctx := context.Background()
	// warm the token counter and pools
	if _, err := e.Recall(ctx, "u", benchQueries[0], memory.RecallOptions{Budget: budget}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res, err := e.Recall(ctx, "u", benchQueries[i%len(benchQueries)], memory.RecallOptions{Budget: budget})
		if err != nil || len(res.Hits) == 0 {
			b.Fatalf("recall: %v, %d hits", err, len(res.Hits))
		}
		i++
	}
}

// BenchmarkRecall10k: 10,000 memories, mid budget (300 per arm), all four
// arms (the queries rotate through temporal, entity, Korean and keyword
// questions), embedded store, offline embedder, default 4096-token trim.
func BenchmarkRecall10k(b *testing.B) {
	benchRecall(b, benchEngine(b, 10_000, 0), memory.BudgetMid)
}

// BenchmarkRecallScaling is the scaling table: exact search at 1k, 10k and
// 100k memories (mid budget, all arms).
func BenchmarkRecallScaling(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchRecall(b, benchEngine(b, n, 0), memory.BudgetMid) })
	}
}

// BenchmarkRecallHNSW runs the 100k recall with the semantic arm on the
// HNSW index (building it takes about two minutes here), against the
// exact scan in the same run.
func BenchmarkRecallHNSW(b *testing.B) {
	b.Run("n=100000/exact", func(b *testing.B) { benchRecall(b, benchEngine(b, 100_000, 0), memory.BudgetMid) })
	b.Run("n=100000/hnsw", func(b *testing.B) { benchRecall(b, benchEngine(b, 100_000, 1), memory.BudgetMid) })
}

// benchRecallLarge recalls over n memories with the semantic arm on HNSW
// and reports the store's heap per memory and the build time.
func benchRecallLarge(b *testing.B, n int) {
	bb := benchBankOf(b, n, 1)
	benchRecall(b, bb.e, memory.BudgetMid)
	b.ReportMetric(float64(bb.bytes)/float64(n), "B/memory")
	b.ReportMetric(bb.build.Seconds(), "build-s")
}

// BenchmarkRecall100k: 100,000 memories, semantic arm on HNSW, mid
// budget, all arms; reports heap bytes per memory and the build time.
func BenchmarkRecall100k(b *testing.B) { benchRecallLarge(b, 100_000) }

// BenchmarkRecall1M: 1,000,000 memories, semantic arm on HNSW. Building
// the bank (corpus, embeddings, graph) takes tens of minutes on two busy
// cores and several GB (see README); it is built once per process and
// skipped under -short.
func BenchmarkRecall1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-memory bank; run without -short")
	}
	benchRecallLarge(b, 1_000_000)
}

// BenchmarkRecallBudgets compares the three budgets at 10k memories.
func BenchmarkRecallBudgets(b *testing.B) {
	for _, bu := range []memory.Budget{memory.BudgetLow, memory.BudgetMid, memory.BudgetHigh} {
		b.Run(bu.String(), func(b *testing.B) { benchRecall(b, benchEngine(b, 10_000, 0), bu) })
	}
}

// BenchmarkRetain retains conversation turns of three facts each with the
// offline extractor and embedder into an in-memory store, and reports
// facts per second.
func BenchmarkRetain(b *testing.B) {
	e, err := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	b.ReportAllocs()
	facts := 0
	i := 0
	for b.Loop() {
		p := benchPeople[i%len(benchPeople)]
		content := fmt.Sprintf("Yesterday %s met Jun in Seoul to discuss plan %d. %s thinks the budget for item %d is too small. 민수는 %d번 회의에서 발표를 했다.", p, i, p, i, i)
		res, err := e.Retain(ctx, "u", content, memory.RetainOptions{Timestamp: benchNow.Add(time.Duration(i) * time.Minute)})
		if err != nil {
			b.Fatal(err)
		}
		facts += len(res.Memories)
		i++
	}
	b.ReportMetric(float64(facts)/b.Elapsed().Seconds(), "facts/s")
}
