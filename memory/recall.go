package memory

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Budget sets how many candidates each arm may return.
type Budget int

// The budgets: 100, 300 and 1000 candidates per arm.
const (
	// BudgetMid is 300 candidates per arm; the zero value, so the default.
	BudgetMid Budget = iota
	// BudgetLow is 100 candidates per arm.
	BudgetLow
	// BudgetHigh is 1000 candidates per arm.
	BudgetHigh
)

// PerArm is the per-arm candidate limit of the budget.
func (b Budget) PerArm() int {
	switch b {
	case BudgetLow:
		return 100
	case BudgetHigh:
		return 1000
	}
	return 300
}

// String returns "low", "mid" or "high".
func (b Budget) String() string {
	switch b {
	case BudgetLow:
		return "low"
	case BudgetHigh:
		return "high"
	case BudgetMid:
		return "mid"
	}
	return "budget(" + strconv.Itoa(int(b)) + ")"
}

// RRFK is the Reciprocal Rank Fusion constant: a memory ranked r (1-based)
// by an arm scores 1/(RRFK + r) from it.
const RRFK = 60

// RecallOptions tune one recall. Every field is optional.
type RecallOptions struct {
	// Budget is the per-arm candidate count (default mid: 300).
	Budget Budget
	// MaxTokens trims the result to this many tokens of memory text
	// (default 4096).
	MaxTokens int
	// MaxResults caps the number of hits before the token trim (0: none).
	MaxResults int
	// Filter restricts every arm (kinds, tags any/all, time window,
	// document).
	Filter Filter
	// QueryTime is "now" for the query's relative dates and the recency
	// boost; default the engine clock.
	QueryTime time.Time
	// Window runs the temporal arm over this window; when nil, the window
	// is parsed from the query ("last week", "지난주").
	Window *TimeRange
	// Entities adds entity names to those detected in the query.
	Entities []string
	// Arms restricts recall to these arms (default all four).
	Arms []Arm
	// NoRecency disables the recency boost for this call.
	NoRecency bool
}

// Hit is one recalled memory.
type Hit struct {
	// Memory is the stored fact (without vectors).
	Memory Memory
	// Score is the final score: fused (or reranked) score times the
	// recency boost. Hits are sorted by it, best first.
	Score float64
	// RRF is the Reciprocal Rank Fusion score.
	RRF float64
	// Ranks is the 1-based rank each arm gave the memory, 0 where it did
	// not find it (or the store fused server-side and did not say).
	Ranks [NumArms]int
	// Tokens is the token count of Memory.Text.
	Tokens int
}

// FoundBy lists the arms that found the hit, in arm order.
func (h Hit) FoundBy() []Arm {
	var out []Arm
	for a := Arm(0); a < NumArms; a++ {
		if h.Ranks[a] > 0 {
			out = append(out, a)
		}
	}
	return out
}

// Provenance formats the arms and ranks, e.g. "semantic#1 keyword#4".
func (h Hit) Provenance() string {
	var b strings.Builder
	for a := Arm(0); a < NumArms; a++ {
		if h.Ranks[a] > 0 {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(a.String())
			b.WriteByte('#')
			b.WriteString(strconv.Itoa(h.Ranks[a]))
		}
	}
	if b.Len() == 0 {
		return "fused"
	}
	return b.String()
}

// RecallResult is the outcome of a recall.
type RecallResult struct {
	// Hits are the memories kept, best first.
	Hits []Hit
	// Window is the temporal arm's window, nil when it did not run.
	Window *TimeRange
	// Entities are the entity names the entity arm started from.
	Entities []string
	// Candidates is how many distinct memories the arms returned.
	Candidates int
	// ArmCandidates is how many of them each arm found (indexed by Arm);
	// a store that fuses on its side may leave arms it cannot tell apart
	// at 0.
	ArmCandidates [NumArms]int
	// Tokens is the total token count of the hits' text.
	Tokens int
}

// Reranker rescores fused candidates (a cross-encoder, an LLM judge). It
// returns one score per document, higher is better.
type Reranker interface {
	Rerank(ctx context.Context, query string, docs []string) ([]float64, error)
}

// Recall finds the memories of bank relevant to query. See the package
// documentation for the pipeline.
func (e *Engine) Recall(ctx context.Context, bank, query string, opts RecallOptions) (rres RecallResult, rerr error) {
	if e.tracer != nil {
		var sp Span
		ctx, sp = e.tracer.StartRecall(ctx, RecallInfo{Bank: bank, Query: query, Options: opts})
		defer func() { sp.End(rres, rerr) }()
	}
	if bank == "" {
		return RecallResult{}, fmt.Errorf("%w: recall: bank is empty", ErrInvalid)
	}
	if strings.TrimSpace(query) == "" {
		return RecallResult{}, fmt.Errorf("%w: recall: query is empty", ErrInvalid)
	}
	if opts.Budget < BudgetMid || opts.Budget > BudgetHigh {
		return RecallResult{}, fmt.Errorf("%w: recall: unknown budget %d", ErrInvalid, int(opts.Budget))
	}
	if opts.MaxTokens < 0 || opts.MaxResults < 0 {
		return RecallResult{}, fmt.Errorf("%w: recall: MaxTokens %d and MaxResults %d must be >= 0", ErrInvalid, opts.MaxTokens, opts.MaxResults)
	}
	if err := opts.Filter.Validate(); err != nil {
		return RecallResult{}, fmt.Errorf("recall: %w", err)
	}
	use := [NumArms]bool{true, true, true, true}
	if len(opts.Arms) > 0 {
		use = [NumArms]bool{}
		for _, a := range opts.Arms {
			if a < 0 || a >= NumArms {
				return RecallResult{}, fmt.Errorf("%w: recall: unknown arm %d", ErrInvalid, int(a))
			}
			use[a] = true
		}
	}
	now := opts.QueryTime
	if now.IsZero() {
		now = e.now()
	}
	req := SearchRequest{Bank: bank, Filter: opts.Filter, Limit: opts.Budget.PerArm(), MinSimilarity: e.minSim, Fused: true}
	var out RecallResult
	if use[ArmSemantic] || use[ArmEntity] || use[ArmTemporal] {
		q, err := e.emb.EmbedQuery(ctx, query)
		if err != nil {
			return RecallResult{}, fmt.Errorf("recall: embed query: %w", err)
		}
		req.Dense = q
		req.SkipSemantic = !use[ArmSemantic]
	}
	if use[ArmKeyword] {
		req.Sparse = DefaultBM25.Query(query)
		req.MinKeywordScore = e.minKeyword
	}
	if use[ArmEntity] {
		req.Entities = mergeEntities(DetectEntities(query, opts.Entities), nil)
		req.EntitySeeds = e.seeds
		req.MinEntityScore = e.minEntity
		out.Entities = req.Entities
	}
	if use[ArmTemporal] {
		switch {
		case opts.Window != nil:
			w := *opts.Window
			req.Window = &w
		default:
			if w, ok := ParseTimeWindow(query, now); ok {
				req.Window = &w
			}
		}
		out.Window = req.Window
	}
	res, err := e.store.Search(ctx, req)
	if err != nil {
		return RecallResult{}, fmt.Errorf("recall: %w", err)
	}
	// Arms that ran only to serve another arm (seeding, ordering) do not vote.
	store := make([]Hit, 0, len(res.Candidates))
	for i, c := range res.Candidates {
		h := Hit{Memory: c.Memory, Ranks: c.Ranks}
		for a := Arm(0); a < NumArms; a++ {
			if !use[a] {
				h.Ranks[a] = 0
			}
		}
		if res.Fused {
			h.RRF = 1 / float64(RRFK+i+1)
		} else {
			for a := Arm(0); a < NumArms; a++ {
				if h.Ranks[a] > 0 {
					h.RRF += 1 / float64(RRFK+h.Ranks[a])
				}
			}
			if h.RRF == 0 {
				continue // found only by an arm the caller switched off
			}
		}
		h.Memory.Vector, h.Memory.Sparse = nil, SparseVector{}
		h.Score = h.RRF
		for a, rank := range h.Ranks {
			if rank > 0 {
				out.ArmCandidates[a]++
			}
		}
		store = append(store, h)
	}
	// Sort pointers, not the (large) hits.
	hits := make([]*Hit, len(store))
	for i := range store {
		hits[i] = &store[i]
	}
	out.Candidates = len(hits)
	if e.rerank != nil && len(hits) > 0 {
		sortHits(hits)
		n := min(len(hits), 300)
		docs := make([]string, n)
		for i := range docs {
			docs[i] = hits[i].Memory.Text
		}
		scores, err := e.rerank.Rerank(ctx, query, docs)
		if err != nil {
			return RecallResult{}, fmt.Errorf("recall: rerank: %w", err)
		}
		if len(scores) != n {
			return RecallResult{}, fmt.Errorf("recall: reranker returned %d scores for %d documents", len(scores), n)
		}
		for i := range scores {
			hits[i].Score = scores[i]
		}
		hits = hits[:n]
	}
	if e.alpha > 0 && !opts.NoRecency {
		ref := now
		if req.Window != nil && !req.Window.End.IsZero() && req.Window.End.Before(now) {
			ref = req.Window.End
		}
		for _, h := range hits {
			r := 0.1
			if _, end, ok := h.Memory.When(); ok {
				r = recency(ref.Sub(end))
			}
			if h.Score >= 0 {
				h.Score *= 1 + e.alpha*r
			} else {
				h.Score *= 1 - e.alpha*r
			}
		}
	}
	if e.tboost > 0 && req.Window != nil {
		for _, h := range hits {
			if s, en, ok := h.Memory.When(); ok && req.Window.Overlaps(s, en) && h.Score > 0 {
				h.Score *= 1 + e.tboost
			}
		}
	}
	sortHits(hits)
	if opts.MaxResults > 0 && len(hits) > 2*opts.MaxResults {
		hits = hits[:2*opts.MaxResults]
	}
	maxTok := opts.MaxTokens
	if maxTok == 0 {
		maxTok = 4096
	}
	for i, h := range hits {
		n := e.countTokens(h.Memory.Text)
		if out.Tokens+n > maxTok {
			hits = hits[:i]
			break
		}
		h.Tokens = n
		out.Tokens += n
	}
	if opts.MaxResults > 0 && len(hits) > opts.MaxResults {
		for _, h := range hits[opts.MaxResults:] {
			out.Tokens -= h.Tokens
		}
		hits = hits[:opts.MaxResults]
	}
	out.Hits = make([]Hit, len(hits))
	for i, h := range hits {
		out.Hits[i] = *h
		// stores may share slices with their records; callers own hits
		out.Hits[i].Memory = h.Memory.Clone()
		out.Hits[i].Memory.Vector, out.Hits[i].Memory.Sparse = nil, SparseVector{}
	}
	return out, nil
}

// countTokens counts with the engine's counter through a bounded cache:
// the same memories come back recall after recall.
func (e *Engine) countTokens(text string) int {
	e.tokMu.Lock()
	n, ok := e.tokCache[text]
	e.tokMu.Unlock()
	if ok {
		return n
	}
	n = e.tokens.CountTokens(text)
	e.tokMu.Lock()
	if e.tokCache == nil || len(e.tokCache) >= tokenCacheSize {
		e.tokCache = make(map[string]int, 1024)
	}
	e.tokCache[text] = n
	e.tokMu.Unlock()
	return n
}

const tokenCacheSize = 1 << 17

func sortHits(hs []*Hit) {
	slices.SortFunc(hs, func(a, b *Hit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return strings.Compare(a.Memory.ID, b.Memory.ID)
	})
}
