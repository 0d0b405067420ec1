package memory_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// Budgets cap every arm at 100 / 300 / 1000 candidates (zero: mid), here
// over 1,200 memories that all share the query's words.
func TestKoEnBudgetPerArmCounts(t *testing.T) {
	e := newKoEnEngine(t, memory.Config{MinKeywordScore: -1, MinSimilarity: -1, MinEntityScore: -1})
	items := make([]memory.RetainItem, 1200)
	for i := range items {
		items[i] = memory.RetainItem{Content: fmt.Sprintf("라멘 맛집 %04d번 후기: ramen broth number %04d was rich.", i, i),
			Options: memory.RetainOptions{Timestamp: koEnNow}}
	}
	if _, err := e.RetainBatch(context.Background(), "ramen", items); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		b    memory.Budget
		want int
	}{{memory.BudgetLow, 100}, {memory.BudgetDefault, 300}, {memory.BudgetMid, 300}, {memory.BudgetHigh, 1000}} {
		if c.b.PerArm() != c.want && c.b != memory.BudgetDefault {
			t.Errorf("%v.PerArm() = %d", c.b, c.b.PerArm())
		}
		r, err := e.Recall(context.Background(), "ramen", "라멘 ramen broth", memory.RecallOptions{Budget: c.b, MaxResults: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if r.ArmCandidates[memory.ArmKeyword] != c.want || r.ArmCandidates[memory.ArmSemantic] != c.want {
			t.Errorf("budget %v: arm candidates %v, want %d for semantic and keyword", c.b, r.ArmCandidates, c.want)
		}
		if r.Candidates < c.want || r.Candidates > 3*c.want {
			t.Errorf("budget %v: %d candidates", c.b, r.Candidates)
		}
		if len(r.Hits) != r.Candidates {
			t.Errorf("budget %v: %d hits of %d candidates with MaxResults 5000 and no token limit", c.b, len(r.Hits), r.Candidates)
		}
	}
	// default trim: 4096 tokens of hit text when neither limit is set
	r, err := e.Recall(context.Background(), "ramen", "라멘 ramen broth", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, h := range r.Hits {
		sum += memory.CL100K.CountTokens(h.Text)
	}
	if r.Tokens != sum || sum > 4096 || sum+r.Hits[0].Tokens <= 4096 {
		t.Errorf("default trim: %d hits, Tokens %d, counted %d; want the most that fit in 4096", len(r.Hits), r.Tokens, sum)
	}
}

// MaxTokens keeps hits in order while their summed cl100k_base tokens
// fit, and stops at the first that would not fit; MaxResults is an exact
// count.
func TestKoEnTokenTrim(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	const q = "민수에 대해 알려줘"
	all := s.recall(t, q, memory.RecallOptions{MaxResults: 100})
	if len(all.Hits) < 5 {
		t.Fatalf("%d hits", len(all.Hits))
	}
	for _, h := range all.Hits {
		if h.Tokens != memory.CL100K.CountTokens(h.Text) {
			t.Errorf("%q: Tokens %d, cl100k %d", h.Text, h.Tokens, memory.CL100K.CountTokens(h.Text))
		}
	}
	prefix := 0
	for k := 1; k <= 4; k++ {
		prefix += all.Hits[k-1].Tokens
		r := s.recall(t, q, memory.RecallOptions{MaxTokens: prefix})
		if got := s.keys(r.Hits); len(got) != k || got[k-1] != s.keys(all.Hits)[k-1] || r.Tokens != prefix {
			t.Errorf("MaxTokens %d: %v (%d tokens), want the first %d of %v", prefix, got, r.Tokens, k, s.keys(all.Hits))
		}
		r = s.recall(t, q, memory.RecallOptions{MaxTokens: prefix - 1})
		if len(r.Hits) != k-1 {
			t.Errorf("MaxTokens %d: %d hits, want %d", prefix-1, len(r.Hits), k-1)
		}
		r = s.recall(t, q, memory.RecallOptions{MaxResults: k})
		if len(r.Hits) != k {
			t.Errorf("MaxResults %d: %d hits", k, len(r.Hits))
		}
	}
	// both limits: the tighter one wins
	r := s.recall(t, q, memory.RecallOptions{MaxResults: 2, MaxTokens: 100000})
	if len(r.Hits) != 2 {
		t.Errorf("MaxResults 2 with a large MaxTokens: %d hits", len(r.Hits))
	}
	r = s.recall(t, q, memory.RecallOptions{MaxResults: 5, MaxTokens: all.Hits[0].Tokens})
	if len(r.Hits) != 1 {
		t.Errorf("MaxResults 5, MaxTokens of one hit: %d hits", len(r.Hits))
	}
	// a budget smaller than the best hit returns nothing, without error
	r = s.recall(t, q, memory.RecallOptions{MaxTokens: 1})
	if len(r.Hits) != 0 || r.Tokens != 0 {
		t.Errorf("MaxTokens 1: %d hits", len(r.Hits))
	}
}

// A question about one sentence of a long retained document still gets
// an answer under the default budget: the reference counts the tokens of
// each fact's text (research/hindsight-memory.md, Trim).
func TestKoEnLongDocumentUnderDefaultBudget(t *testing.T) {
	e := newKoEnEngine(t, memory.Config{})
	var b strings.Builder
	for i := range 600 {
		fmt.Fprintf(&b, "Meeting note %d: the team reviewed item %d of the backlog. ", i, i)
	}
	b.WriteString("The office Wi-Fi password is marigold93.")
	doc := b.String()
	if _, err := e.Retain(context.Background(), "docs", doc, memory.RetainOptions{Timestamp: koEnNow}); err != nil {
		t.Fatal(err)
	}
	// found when the caller sets a count instead of a token budget
	r, err := e.Recall(context.Background(), "docs", "office Wi-Fi password", memory.RecallOptions{MaxResults: 1})
	if err != nil || len(r.Hits) != 1 || r.Hits[0].Matched[0] != "The office Wi-Fi password is marigold93." {
		t.Fatalf("MaxResults 1: %d hits, %v", len(r.Hits), err)
	}
	r, err = e.Recall(context.Background(), "docs", "office Wi-Fi password", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) == 0 {
		t.Fatalf("no hits for a sentence of a %d-token document (default MaxTokens 4096)", memory.CL100K.CountTokens(doc))
	}
	h := r.Hits[0]
	if m := h.Matched; len(m) == 0 || m[0] != "The office Wi-Fi password is marigold93." {
		t.Errorf("matched %q", m)
	}
	// the hit is the fact alone, counted alone
	const fact = "The office Wi-Fi password is marigold93."
	if !h.Excerpt || h.Text != fact || h.Tokens != memory.CL100K.CountTokens(fact) {
		t.Errorf("hit: Excerpt %v, Text %q, Tokens %d; want the fact alone (%d tokens)", h.Excerpt, h.Text, h.Tokens, memory.CL100K.CountTokens(fact))
	}
	if r.Tokens > 4096 {
		t.Errorf("result tokens %d over the default budget", r.Tokens)
	}
	// a whole content that fits is no excerpt
	if _, err := e.Retain(context.Background(), "docs", "Parking is on level B2. The code is 4471.", memory.RetainOptions{Timestamp: koEnNow}); err != nil {
		t.Fatal(err)
	}
	r, err = e.Recall(context.Background(), "docs", "parking level", memory.RecallOptions{})
	if err != nil || len(r.Hits) == 0 || r.Hits[0].Excerpt || r.Hits[0].Text != "Parking is on level B2. The code is 4471." {
		t.Fatalf("short content: %+v, %v", r.Hits, err)
	}
}
