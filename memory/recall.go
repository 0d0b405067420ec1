package memory

import (
	"context"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Budget sets how many candidates each arm may return.
type Budget int

// The budgets: 100, 300 and 1000 candidates per arm. They are ordered
// (low < mid < high) and none is the zero value: the zero Budget is
// BudgetDefault, which means mid.
const (
	// BudgetDefault is the zero value: the mid budget.
	BudgetDefault Budget = iota
	// BudgetLow is 100 candidates per arm.
	BudgetLow
	// BudgetMid is 300 candidates per arm.
	BudgetMid
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
	case BudgetMid, BudgetDefault:
		return "mid"
	}
	return "budget(" + strconv.Itoa(int(b)) + ")"
}

// RRFK is the Reciprocal Rank Fusion constant: a memory ranked r (1-based)
// by an arm scores 1/(RRFK + r) from it.
const RRFK = 60

// RecallOptions tune one recall. Every field is optional.
type RecallOptions struct {
	// Budget is the per-arm candidate count (the zero value means mid:
	// 300).
	Budget Budget
	// MaxTokens trims the result to this many tokens of returned text.
	// Zero means 4096 when MaxResults is zero too, and no token limit
	// when MaxResults is set (the caller chose a count).
	MaxTokens int
	// MaxResults caps the number of hits (0: none).
	MaxResults int
	// Facts returns the individual facts the arms found, each its own
	// hit. By default hits are whole retained contents: the facts of one
	// content are merged into one hit (the best one's rank) whose Text is
	// the whole content and whose Matched lists the facts found, and a
	// content that repeats an earlier hit's words is folded into it.
	Facts bool
	// Filter restricts every arm (kinds, tags any/all, time window,
	// document).
	Filter Filter
	// QueryTime is "now" for the query's relative dates and the recency
	// boost; default the engine clock.
	QueryTime time.Time
	// Window runs the temporal arm over this window; when nil, the window
	// is parsed from the query ("last week", "지난주").
	Window *TimeRange
	// Entities are entity names the entity arm starts from, used as given
	// (whether or not the query mentions them), in addition to those
	// detected in the query.
	Entities []string
	// Arms restricts recall to these arms (default all four).
	Arms []Arm
	// NoRecency disables the recency boost for this call.
	NoRecency bool
	// NoExpansion skips the model's query expansion for this call (see
	// Config.ExpandQueries).
	NoExpansion bool
	// NoLinks leaves the hits' memories without their Links, for a
	// caller that does not follow them: a retained fact links to up to
	// 3 x MaxLinksPerKind others, and copying those for each of a
	// result's hundreds of hits is most of what a recall allocates.
	NoLinks bool
}

// Hit is one recalled memory.
type Hit struct {
	// Memory is the stored fact (without vectors); when hits are whole
	// contents, the best-ranked fact of the content.
	Memory Memory
	// Text is what the hit returns: the whole retained content the fact
	// came from, or the fact's own text with RecallOptions.Facts or when
	// Excerpt.
	Text string
	// Excerpt reports a content longer than the recall's whole token
	// budget (RecallOptions.MaxTokens, 4096 by default): Text is then the
	// fact the arms found, alone, so a long document stays recallable;
	// each such fact of it is a hit of its own.
	Excerpt bool
	// Matched are the texts of the content's facts that the arms found,
	// best first (with RecallOptions.Facts, the fact itself).
	Matched []string
	// Duplicates are the ids of lower-ranked facts whose content repeats
	// this hit's (a near-duplicate retained separately), folded into it.
	Duplicates []string
	// Score is the final score: fused (or reranked) score times the
	// recency boost. Hits are sorted by it, best first.
	Score float64
	// RRF is the Reciprocal Rank Fusion score.
	RRF float64
	// Ranks is the 1-based rank each arm gave the memory, 0 where it did
	// not find it (or the store fused server-side and did not say).
	Ranks [NumArms]int
	// Tokens is the token count of Text.
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
	var buf [96]byte // four arms with ranks of up to 12 digits: one allocation
	b := buf[:0]
	for a := Arm(0); a < NumArms; a++ {
		if h.Ranks[a] > 0 {
			if len(b) > 0 {
				b = append(b, ' ')
			}
			b = append(b, a.String()...)
			b = append(b, '#')
			b = strconv.AppendInt(b, int64(h.Ranks[a]), 10)
		}
	}
	if len(b) == 0 {
		return "fused"
	}
	return string(b)
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
	if err := checkUTF8("recall: query", query); err != nil {
		return RecallResult{}, err
	}
	// Read in the form a memory's identity is decided in, as its terms,
	// entities and dates were (foldForm).
	query = foldForm(query)
	if opts.Budget < BudgetDefault || opts.Budget > BudgetHigh {
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
	// A time expression in the query chooses the temporal arm's window;
	// the other arms look for the rest of the query ("last December" is
	// no keyword). A query that is nothing but time ("작년 12월에 뭐
	// 했지?") leaves the window as its only evidence.
	var window *TimeRange
	content := query
	timeOnly := false
	if use[ArmTemporal] {
		switch {
		case opts.Window != nil:
			w := *opts.Window
			window = &w
		default:
			if w, matched, ok := parseTime(query, now); ok {
				window = &w
				lower := strings.ToLower(query)
				if k := strings.Index(lower, matched); k >= 0 && len(lower) == len(query) {
					content = query[:k] + " " + query[k+len(matched):]
				}
				timeOnly = len(Tokenize(content)) == 0
			}
		}
	}
	var out RecallResult
	if use[ArmTemporal] {
		out.Window = window
	}
	// The query, and with query expansion the model's rewrites of it: each
	// runs the arms, and a memory's RRF is summed over the variants (its
	// ranks are those of the first variant that found it).
	variants := []string{content}
	if e.expand && e.model != nil && !opts.NoExpansion {
		more, err := e.expandQuery(ctx, content)
		if err != nil {
			return RecallResult{}, fmt.Errorf("recall: expand query: %w", err)
		}
		variants = append(variants, more...)
	}
	// Candidates are scored as small records pointing at the stores'
	// results; a Hit (with its copy of the memory) is made only for
	// those returned.
	var store []cand
	var at map[string]int
	if len(variants) > 1 {
		at = map[string]int{}
	}
	cs, direct := e.store.(candSearcher)
	if direct {
		// the store's cands point at memories it never changes; the
		// slice goes back to the pool once the hits (copies) are made
		sp := candsPool.Get().(*[]cand)
		store = (*sp)[:0]
		defer func() {
			clear(store[:cap(store)]) // hold no memory the store dropped
			*sp = store[:0]
			candsPool.Put(sp)
		}()
	}
	// add scores the candidate h of a variant (its rank in the store's
	// fused order i) and appends it to store at n, or adds its RRF to the
	// earlier variant's candidate of the same memory; it returns the new
	// length of store.
	add := func(h cand, n int, fused bool, fusedScore float64, i int) int {
		for a := Arm(0); a < NumArms; a++ {
			if !use[a] {
				h.ranks[a] = 0
			}
		}
		if fused {
			// the store's fused score; its position only when it gave none
			h.rrf = fusedScore
			if h.rrf <= 0 {
				h.rrf = 1 / float64(RRFK+i+1)
			}
		} else {
			for a := Arm(0); a < NumArms; a++ {
				if h.ranks[a] > 0 {
					h.rrf += 1 / float64(RRFK+h.ranks[a])
				}
			}
			if h.rrf == 0 {
				return n // found only by an arm the caller switched off
			}
		}
		if at != nil {
			if j, ok := at[h.m.ID]; ok {
				store[j].rrf += h.rrf
				store[j].score = store[j].rrf
				return n
			}
			at[h.m.ID] = n
		}
		h.score = h.rrf
		if n == len(store) {
			store = append(store, h)
		} else {
			store[n] = h
		}
		return n + 1
	}
	for vi, v := range variants {
		req, ents, err := e.searchRequest(ctx, bank, v, vi == 0 && content != query, query, window, use, &opts)
		if err != nil {
			return RecallResult{}, err
		}
		if vi == 0 {
			out.Entities = ents
		}
		// Arms that ran only to serve another arm (seeding, ordering) do not vote.
		if direct {
			n := len(store)
			if store, err = cs.searchCands(ctx, req, store); err != nil {
				return RecallResult{}, fmt.Errorf("recall: %w", err)
			}
			end := len(store)
			for i := n; i < end; i++ {
				n = add(store[i], n, false, 0, i)
			}
			store = store[:n]
			continue
		}
		res, err := e.store.Search(ctx, req)
		if err != nil {
			return RecallResult{}, fmt.Errorf("recall: %w", err)
		}
		store = slices.Grow(store, len(res.Candidates))
		for i := range res.Candidates {
			c := &res.Candidates[i]
			add(cand{m: &c.Memory, ranks: c.Ranks}, len(store), res.Fused, c.Fused, i)
		}
	}
	hits := store
	for i := range hits {
		for a, rank := range hits[i].ranks {
			if rank > 0 {
				out.ArmCandidates[a]++
			}
		}
	}
	out.Candidates = len(hits)
	if e.rerank != nil && len(hits) > 0 {
		sortCands(hits)
		n := min(len(hits), 300)
		docs := make([]string, n)
		for i := range docs {
			docs[i] = hits[i].m.Text
		}
		scores, err := e.rerank.Rerank(ctx, query, docs)
		if err != nil {
			return RecallResult{}, fmt.Errorf("recall: rerank: %w", err)
		}
		if len(scores) != n {
			return RecallResult{}, fmt.Errorf("recall: reranker returned %d scores for %d documents", len(scores), n)
		}
		for i := range scores {
			hits[i].score = scores[i]
		}
		hits = hits[:n]
	}
	if e.alpha > 0 && !opts.NoRecency {
		ref := now
		if out.Window != nil && !out.Window.End.IsZero() && out.Window.End.Before(now) {
			ref = out.Window.End
		}
		refNanos, refExact := ref.UnixNano(), inNanosRange(ref)
		for i := range hits {
			h := &hits[i]
			r := 0.1
			switch {
			case h.timed == timeNone:
			case h.timed == timeNanos && refExact:
				r = recency(time.Duration(refNanos - h.end))
			default:
				if _, end, ok := h.m.When(); ok {
					r = recency(ref.Sub(end))
				}
			}
			if h.score >= 0 {
				h.score *= 1 + e.alpha*r
			} else {
				h.score *= 1 - e.alpha*r
			}
		}
	}
	if e.tboost > 0 && out.Window != nil {
		// The in-window boost is weighed by the other arms' evidence: a
		// memory that only falls inside the window keeps its temporal
		// rank but is not lifted over memories the query's words found,
		// unless the query is nothing but its time.
		// the window in unix nanoseconds, where they stand for it exactly
		wlo, whi := int64(math.MinInt64), int64(math.MaxInt64)
		wExact := true
		if w := out.Window; !w.Start.IsZero() {
			wlo, wExact = w.Start.UnixNano(), inNanosRange(w.Start)
		}
		if w := out.Window; !w.End.IsZero() {
			whi, wExact = w.End.UnixNano(), wExact && inNanosRange(w.End)
		}
		for i := range hits {
			h := &hits[i]
			if h.score <= 0 || h.timed == timeNone {
				continue
			}
			if h.timed == timeNanos && wExact {
				if h.start > whi || h.end < wlo {
					continue
				}
			} else if s, en, ok := h.m.When(); !ok || !out.Window.Overlaps(s, en) {
				continue
			}
			share := 1.0
			if !timeOnly {
				var other, all float64
				for a := Arm(0); a < NumArms; a++ {
					if h.ranks[a] > 0 {
						all += 1 / float64(RRFK+h.ranks[a])
						if a != ArmTemporal {
							other += 1 / float64(RRFK+h.ranks[a])
						}
					}
				}
				if all > 0 { // ranks unknown (server-fused): full boost
					share = other / all
				}
			}
			h.score *= 1 + e.tboost*share
		}
	}
	// Only the best are sorted now; collect sorts the rest if it gets
	// there.
	sortCandsTop(hits, collectSorted)
	maxTok := opts.MaxTokens
	if maxTok == 0 {
		maxTok = 4096
		if opts.MaxResults > 0 {
			maxTok = math.MaxInt
		}
	}
	out.Hits, out.Tokens = e.collect(hits, opts.Facts, !opts.NoLinks, opts.MaxResults, maxTok)
	return out, nil
}

// candsPool holds the engine's candidate slices between recalls.
var candsPool = sync.Pool{New: func() any { return new([]cand) }}

// cand is one fused candidate: the store's memory (read only) and its
// scores and ranks.
type cand struct {
	m          *Memory
	rrf, score float64
	ranks      [NumArms]int
	// aux, when not nil, is where collect keeps what it computed of m
	// for the recalls after this one (the embedded store's memories).
	aux *atomic.Pointer[memAux]
	// start and end are m.When() in unix nanoseconds when timed is
	// timeNanos (see inNanosRange), so scoring need not read m.
	start, end int64
	timed      uint8
}

// What a cand knows of its memory's time.
const (
	timeUnknown uint8 = iota // ask m.When()
	timeNone                 // m.When() is not ok
	timeNanos                // start and end hold it
)

// collect walks the sorted candidates and makes the hits returned: with
// facts, each candidate as it is; otherwise one hit per retained content
// (the facts of a content kept earlier are added to its Matched) and none
// whose terms are those of a kept hit (a near-duplicate: same words, other
// case, order, punctuation, particles or stop words). It stops at limit
// hits (0: none) or before maxTok tokens would be exceeded, and returns
// the hits and their tokens. With links, the hits' memories keep their
// Links.
func (e *Engine) collect(cands []cand, facts, links bool, limit, maxTok int) ([]Hit, int) {
	// First pass: which candidates are kept, with their text, tokens and
	// folded facts; the hits themselves are made once, at their number.
	sc := collectPool.Get().(*collectScratch)
	defer sc.done()
	kept := sc.kept[:0]
	bySource, byTerms := sc.bySource, sc.byTerms // index into kept
	total := 0
	full := false
	for ci := range cands {
		if ci == collectSorted {
			if full && !anySource(cands[ci:], facts) {
				break // nothing after a full result changes it
			}
			sortCands(cands[ci:])
		}
		c := &cands[ci]
		m := c.m
		text := m.Text
		key := m.ID
		if !facts {
			if m.SourceID != "" {
				key = m.SourceID
			}
			if m.Source != "" {
				text = m.Source
			}
		}
		// only a fact of a longer content can share its source with
		// another hit
		if m.Source != "" && !facts {
			if g, ok := bySource[key]; ok {
				kept[g].matched = append(kept[g].matched, m.Text)
				continue
			}
		}
		if full {
			continue
		}
		n, dk := e.candInfo(c, text, facts)
		if !facts && dk != "" {
			if g, ok := byTerms[dk]; ok {
				kept[g].duplicates = append(kept[g].duplicates, m.ID)
				if m.Source != "" {
					bySource[key] = g
				}
				continue
			}
		}
		if limit > 0 && len(kept) >= limit {
			full = true
			continue
		}
		if total+n > maxTok {
			if !facts && n > maxTok && text != m.Text {
				// A content longer than the whole budget could never be
				// returned whole: its fact the arms found stands for it
				// (Hit.Excerpt), when that fits.
				if fn, _ := e.candInfo(c, m.Text, true); total+fn <= maxTok {
					total += fn
					kept = append(kept, collectKeep{c: c, text: m.Text, tokens: fn, excerpt: true})
					continue
				}
			}
			full = true
			continue
		}
		total += n
		if m.Source != "" && !facts {
			bySource[key] = len(kept)
		}
		if !facts && dk != "" {
			byTerms[dk] = len(kept)
		}
		kept = append(kept, collectKeep{c: c, text: text, tokens: n})
	}
	sc.kept = kept
	// A hit's memory is a copy the caller owns, without vectors. The
	// hits' slices are cut from one allocation per element type,
	// each with its own capacity, so that every hit still owns its copy.
	var nstr, nlinks int
	for i := range kept {
		m := kept[i].c.m
		nstr += len(m.Entities) + len(m.Tags) + 1 + len(kept[i].matched)
		if links {
			nlinks += len(m.Links)
		}
	}
	strs := make([]string, 0, nstr)
	var linkSlab []Link
	if nlinks > 0 {
		linkSlab = make([]Link, 0, nlinks)
	}
	hits := make([]Hit, len(kept))
	for i := range kept {
		k := &kept[i]
		h := &hits[i]
		src := k.c.m
		h.Memory = *src
		h.Score, h.RRF, h.Ranks = k.c.score, k.c.rrf, k.c.ranks
		m := &h.Memory
		m.Vector, m.Sparse = nil, SparseVector{}
		m.Entities, strs = cut(strs, src.Entities)
		m.Tags, strs = cut(strs, src.Tags)
		if links {
			m.Links, linkSlab = cut(linkSlab, src.Links)
		} else {
			m.Links = nil
		}
		if src.Metadata != nil {
			m.Metadata = maps.Clone(src.Metadata)
		}
		h.Text, h.Tokens, h.Duplicates, h.Excerpt = k.text, k.tokens, k.duplicates, k.excerpt
		n := len(strs)
		strs = append(append(strs, src.Text), k.matched...)
		h.Matched = strs[n:len(strs):len(strs)]
	}
	return hits, total
}

// collectKeep is a candidate collect keeps.
type collectKeep struct {
	c          *cand
	text       string
	tokens     int
	matched    []string
	duplicates []string
	excerpt    bool
}

// collectScratch is what collect needs while it walks, kept between
// recalls.
type collectScratch struct {
	kept              []collectKeep
	bySource, byTerms map[string]int
}

var collectPool = sync.Pool{New: func() any {
	return &collectScratch{bySource: map[string]int{}, byTerms: map[string]int{}}
}}

// done empties sc (its kept lists now belong to hits) and pools it,
// unless it grew for a very large result.
func (sc *collectScratch) done() {
	if len(sc.kept) > 4096 {
		return
	}
	clear(sc.kept)
	sc.kept = sc.kept[:0]
	clear(sc.bySource)
	clear(sc.byTerms)
	collectPool.Put(sc)
}

// cut appends xs to slab, which has the room, and returns the copy (nil
// for nil, as slices.Clone) capped at its length, and the grown slab.
func cut[T any](slab, xs []T) ([]T, []T) {
	if xs == nil {
		return nil, slab
	}
	n := len(slab)
	slab = append(slab, xs...)
	return slab[n:len(slab):len(slab)], slab
}

// textInfo is what recall needs to know of a returned text, cached by
// text: the same memories come back recall after recall.
type textInfo struct {
	tokens int
	// key is the sorted, distinct terms: two texts with the same key say
	// the same thing in the same words (case, punctuation, word order,
	// particles and stop words aside). Computed on first use.
	key    string
	hasKey bool
}

// memAux is what an engine's collect computed of a stored memory's text
// (the whole content's with its term key, or the fact's own with
// Facts), kept with the memory so that the recalls after the first read
// it without looking the text up. A memory holds one, the last engine's
// to recall it, and drops it with itself when removed or replaced.
type memAux struct {
	owner       *auxOwner
	whole, fact textInfo
}

// auxOwner tells one engine's memAux records from another's: their
// token counters may differ.
type auxOwner struct{ _ byte }

// candInfo is info for c's text (text: see collect), from or into c's
// memAux when it has one.
func (e *Engine) candInfo(c *cand, text string, facts bool) (int, string) {
	if c.aux == nil {
		return e.info(text, !facts)
	}
	a := c.aux.Load()
	if a != nil && a.owner == e.auxOwner {
		if ti := &a.whole; !facts && ti.hasKey {
			return ti.tokens, ti.key
		}
		if ti := &a.fact; facts && ti.hasKey {
			return ti.tokens, ""
		}
	}
	n, k := e.info(text, !facts)
	na := &memAux{owner: e.auxOwner}
	if a != nil && a.owner == e.auxOwner {
		*na = *a
	}
	// hasKey marks a computed record (a fact's is kept without its key)
	if facts {
		na.fact = textInfo{tokens: n, hasKey: true}
	} else {
		na.whole = textInfo{tokens: n, key: k, hasKey: true}
	}
	// a lost race stores the same values
	c.aux.Store(na)
	return n, k
}

// info returns the token count of text and, when withKey, its term key.
func (e *Engine) info(text string, withKey bool) (int, string) {
	e.tokMu.Lock()
	ti, ok := e.tokCache[text]
	e.tokMu.Unlock()
	if ok && (ti.hasKey || !withKey) {
		return ti.tokens, ti.key
	}
	if !ok {
		ti.tokens = e.tokens.CountTokens(text)
	}
	if withKey {
		ts := Tokenize(text)
		slices.Sort(ts)
		ti.key, ti.hasKey = strings.Join(slices.Compact(ts), "\x00"), true
	}
	e.tokMu.Lock()
	if e.tokCache == nil || len(e.tokCache) >= tokenCacheSize {
		e.tokCache = make(map[string]textInfo, 1024)
	}
	e.tokCache[text] = ti
	e.tokMu.Unlock()
	return ti.tokens, ti.key
}

const tokenCacheSize = 1 << 17

func sortCands(cs []cand) { slices.SortFunc(cs, cmpCand) }

// cmpCand orders candidates best first: higher score, then smaller id.
func cmpCand(a, b cand) int {
	switch {
	case a.score > b.score:
		return -1
	case a.score < b.score:
		return 1
	}
	return strings.Compare(a.m.ID, b.m.ID)
}

// collectSorted is how many of the best candidates Recall sorts before
// collect (which sorts the rest only if it needs them): more than the
// hits a default 4096-token result holds.
const collectSorted = 384

// sortCandsTop moves the n best candidates to the front, sorted, leaving
// the rest after them in no order (all of cs sorted when n >= len(cs)).
// It orders small keys (score, index) rather than the candidates, with
// the arms' selection and sort (a key of 0 sends ties of score to the
// ids), and moves each candidate once.
func sortCandsTop(cs []cand, n int) {
	if len(cs) < 2 {
		return
	}
	sp := candSortPool.Get().(*candSortBufs)
	defer candSortPool.Put(sp)
	ks := slices.Grow(sp.keys[:0], len(cs))[:len(cs)]
	ids := slices.Grow(sp.ids[:0], len(cs))[:len(cs)]
	for i := range cs {
		ks[i] = sortKey{score: cs[i].score, i: int32(i)}
		ids[i] = cs[i].m.ID
	}
	depth := 2 * bits.Len(uint(len(ks)))
	top := ks
	if n < len(ks) {
		selectBest(ks, ids, n, depth)
		top = ks[:n]
	}
	sortKeys(top, ids, depth)
	tmp := append(sp.cands[:0], cs...)
	for i, k := range ks {
		cs[i] = tmp[k.i]
	}
	clear(tmp) // hold no memory
	clear(ids)
	sp.keys, sp.ids, sp.cands = ks[:0], ids[:0], tmp[:0]
}

type candSortBufs struct {
	keys  []sortKey
	ids   []string
	cands []cand
}

var candSortPool = sync.Pool{New: func() any { return new(candSortBufs) }}

// anySource reports whether collect, once full, still has work in cs: a
// fact of a longer content to add to its hit's Matched.
func anySource(cs []cand, facts bool) bool {
	if facts {
		return false
	}
	for i := range cs {
		if cs[i].m.Source != "" {
			return true
		}
	}
	return false
}

// searchRequest builds the store request for one query text. embedFull
// embeds full (the query with its time words) rather than text: a dense
// embedder reads the whole question.
func (e *Engine) searchRequest(ctx context.Context, bank, text string, embedFull bool, full string, window *TimeRange,
	use [NumArms]bool, opts *RecallOptions) (SearchRequest, []string, error) {
	req := SearchRequest{Bank: bank, Filter: opts.Filter, Limit: opts.Budget.PerArm(), MinSimilarity: e.minSim, Fused: e.serverFusion}
	if use[ArmSemantic] || use[ArmEntity] || use[ArmTemporal] {
		et := text
		if embedFull {
			et = full
		}
		q, err := e.emb.EmbedQuery(ctx, et)
		if err != nil {
			return req, nil, fmt.Errorf("recall: embed query: %w", err)
		}
		req.Dense = q
		req.SkipSemantic = !use[ArmSemantic]
	}
	if use[ArmKeyword] || (use[ArmEntity] && e.kwSeeds > 0 && !e.serverFusion) {
		// with the keyword arm off, its hits only seed the entity arm and
		// are dropped by the caller
		req.Sparse = DefaultBM25.Query(text)
		req.MinKeywordScore = e.minKeyword
	}
	if use[ArmEntity] {
		// the caller's entities are used as given; the query's own are
		// added unless detection is off
		var found []string
		if !e.noDetect {
			found = DetectEntities(text, nil)
		}
		req.Entities = mergeEntities(opts.Entities, found)
		req.EntitySeeds = e.seeds
		req.KeywordSeeds = e.kwSeeds
		req.MinEntityScore = e.minEntity
	}
	if use[ArmTemporal] {
		req.Window = window
	}
	return req, req.Entities, nil
}
