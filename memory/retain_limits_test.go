package memory_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// countingExtractor counts calls to the offline extractor.
type countingExtractor struct{ calls int }

func (c *countingExtractor) Extract(ctx context.Context, req memory.ExtractRequest) ([]memory.Fact, error) {
	c.calls++
	return memory.OfflineExtractor{}.Extract(ctx, req)
}

// countingEmbedder counts calls to the offline embedder.
type countingEmbedder struct {
	memory.OfflineEmbedder
	calls int
}

func (c *countingEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	c.calls++
	return c.OfflineEmbedder.EmbedDocuments(ctx, texts)
}

func TestRetainLimits(t *testing.T) {
	ctx := context.Background()
	ext, emb := &countingExtractor{}, &countingEmbedder{}
	e, err := memory.New(memory.Config{Extractor: ext, Embedder: emb, Now: func() time.Time { return benchNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	big, _ := bigContent(memory.DefaultMaxRetainBytes + 1)
	_, err = e.Retain(ctx, "u", big, memory.RetainOptions{})
	var le *memory.LimitError
	if !errors.Is(err, memory.ErrLimit) || !errors.As(err, &le) || le.Limit != "Config.MaxRetainBytes" ||
		le.Max != memory.DefaultMaxRetainBytes || le.Got != len(big) || !strings.Contains(err.Error(), "Config.MaxRetainBytes") {
		t.Fatalf("retain of %d bytes: %v, want a LimitError naming Config.MaxRetainBytes", len(big), err)
	}
	// The limit is on the whole batch.
	half := big[:len(big)/2+1]
	_, err = e.RetainBatch(ctx, "u", []memory.RetainItem{{Content: half}, {Content: half}})
	if !errors.As(err, &le) || le.Limit != "Config.MaxRetainBytes" {
		t.Fatalf("batch of two halves: %v, want the byte limit", err)
	}
	if ext.calls != 0 || emb.calls != 0 {
		t.Fatalf("over the byte limit the extractor ran %d times and the embedder %d times, want 0", ext.calls, emb.calls)
	}

	e2, _ := memory.New(memory.Config{Extractor: ext, Embedder: emb, MaxRetainFacts: 10, MaxRetainBytes: 4000, Now: func() time.Time { return benchNow }})
	defer e2.Close()
	ten, n := bigContent(1000)
	if n <= 10 {
		t.Fatalf("fixture has %d sentences", n)
	}
	_, err = e2.Retain(ctx, "u", ten, memory.RetainOptions{})
	if !errors.As(err, &le) || le.Limit != "Config.MaxRetainFacts" || le.Max != 10 || le.Got != n {
		t.Fatalf("retain of %d facts: %v (%+v), want a LimitError naming Config.MaxRetainFacts with Got %d", n, err, le, n)
	}
	if emb.calls != 0 {
		t.Fatalf("over the fact limit the embedder ran %d times", emb.calls)
	}
	if c, _ := e2.Store().Count(ctx, "u", memory.Filter{}); c != 0 {
		t.Fatalf("a refused retain stored %d memories", c)
	}
	_, err = e2.Retain(ctx, "u", strings.Repeat("x", 4001), memory.RetainOptions{})
	if !errors.As(err, &le) || le.Limit != "Config.MaxRetainBytes" || le.Max != 4000 {
		t.Fatalf("custom byte limit: %v", err)
	}

	// Negative: no limit.
	e3, _ := memory.New(memory.Config{MaxRetainFacts: -1, MaxRetainBytes: -1, Extractor: oneFact{}, Now: func() time.Time { return benchNow }})
	defer e3.Close()
	res, err := e3.Retain(ctx, "u", big, memory.RetainOptions{})
	if err != nil || len(res.Memories) == 0 {
		t.Fatalf("unlimited engine: %d facts, %v", len(res.Memories), err)
	}
}

// oneFact extracts the first 40 bytes of any content as its one fact.
type oneFact struct{}

func (oneFact) Extract(ctx context.Context, req memory.ExtractRequest) ([]memory.Fact, error) {
	return []memory.Fact{{Text: req.Content[:min(40, len(req.Content))]}}, nil
}

// pollCtx is a context whose deadline passes at its after-th Err call. It
// counts the calls, so a test can see how often the work checks it.
type pollCtx struct {
	context.Context
	mu    sync.Mutex
	polls int
	after int
	done  chan struct{}
}

func newPollCtx(after int) *pollCtx {
	return &pollCtx{Context: context.Background(), after: after, done: make(chan struct{})}
}

func (c *pollCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.polls++
	if c.polls >= c.after {
		select {
		case <-c.done:
		default:
			close(c.done)
		}
		return context.DeadlineExceeded
	}
	return nil
}

func (c *pollCtx) Done() <-chan struct{} { return c.done }

func (c *pollCtx) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.polls
}

// TestRetainLargeHonoursDeadline retains 80 kB of text (about 1,200
// facts; BenchmarkRetainDeadline times a megabyte) under a context that
// expires at its k-th check, for k spread over every check a full retain
// makes: each returns
// context.DeadlineExceeded and stores nothing. The context is checked at
// least once per 256 facts of each stage, which bounds the work done
// past a deadline.
func TestRetainLargeHonoursDeadline(t *testing.T) {
	if testing.Short() {
		t.Skip("retains 80 kB")
	}
	content, facts := bigContent(80_000)
	ctx := context.Background()
	// A full run under a context that never expires counts the checks.
	free := newPollCtx(1 << 62)
	e, _ := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
	res, err := e.Retain(free, "u", content, memory.RetainOptions{Timestamp: benchNow})
	_ = e.Close()
	if err != nil || len(res.Memories) != facts {
		t.Fatalf("full retain: %d of %d facts, %v", len(res.Memories), facts, err)
	}
	total := free.count()
	// Extraction, tokenising, embedding and linking each visit every fact.
	if min := 4 * facts / 256; total < min {
		t.Fatalf("a retain of %d facts checked its context %d times, want at least %d (one per 256 facts per stage)", facts, total, min)
	}
	for _, k := range []int{1, total / 4, total / 2, 3 * total / 4, total} {
		e, _ := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
		pc := newPollCtx(k)
		_, err := e.Retain(pc, "u", content, memory.RetainOptions{Timestamp: benchNow})
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("deadline at check %d of %d: err = %v, want context.DeadlineExceeded", k, total, err)
		}
		if n, _ := e.Store().Count(ctx, "u", memory.Filter{}); n != 0 {
			t.Fatalf("deadline at check %d: %d memories stored", k, n)
		}
		if extra := pc.count() - k; extra > 2 {
			t.Fatalf("deadline at check %d: the context was checked %d more times after it expired", k, extra)
		}
		_ = e.Close()
	}
	t.Logf("%d facts, %d context checks (one per %d facts)", facts, total, facts*4/total)
}

// TestRetainLinksBounded: facts that all share a time and an entity get
// at most MaxLinksPerKind links of each kind, to their nearest
// neighbours, and never to themselves.
func TestRetainLinksBounded(t *testing.T) {
	e, _ := memory.New(memory.Config{Now: func() time.Time { return benchNow }})
	defer e.Close()
	var b strings.Builder
	for i := 0; i < 300; i++ {
		b.WriteString("Mina wrote note ")
		b.WriteString(strings.Repeat("a", i%7+1))
		b.WriteString(" number ")
		b.WriteString(string(rune('A' + i%26)))
		b.WriteString(strings.Repeat("z", i/26))
		b.WriteString(". ")
	}
	b.WriteString("Mina wrote note a number A. ") // a duplicate of fact 0
	res, err := e.Retain(context.Background(), "u", b.String(), memory.RetainOptions{Timestamp: benchNow})
	if err != nil {
		t.Fatal(err)
	}
	ms := res.Memories
	for i, m := range ms {
		kinds := map[memory.LinkKind]int{}
		for _, l := range m.Links {
			kinds[l.Kind]++
			if l.Target == m.ID {
				t.Fatalf("fact %d links to itself", i)
			}
		}
		if kinds[memory.LinkTemporal] > memory.MaxLinksPerKind || kinds[memory.LinkEntity] > memory.MaxLinksPerKind {
			t.Fatalf("fact %d has %v links", i, kinds)
		}
	}
	// Same time, same entity: fact 150 is linked in time to the 20
	// facts before it, and by entity to the first 20 facts.
	m := ms[150]
	var temporal, entity []string
	for _, l := range m.Links {
		switch l.Kind {
		case memory.LinkTemporal:
			temporal = append(temporal, l.Target)
		case memory.LinkEntity:
			entity = append(entity, l.Target)
		}
	}
	if len(temporal) != memory.MaxLinksPerKind || temporal[0] != ms[149].ID || temporal[19] != ms[130].ID {
		t.Fatalf("fact 150 temporal links %d, first %v", len(temporal), temporal[:min(2, len(temporal))])
	}
	// Entity links go to the first facts sharing Mina that it is not
	// already temporally linked to.
	if len(entity) != memory.MaxLinksPerKind || entity[0] != ms[0].ID || entity[19] != ms[19].ID {
		t.Fatalf("fact 150 entity links %d: %v", len(entity), entity)
	}
}
