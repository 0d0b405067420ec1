package memory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// Config configures an [Engine]. Every field is optional.
type Config struct {
	// Store holds the memories; nil means a new in-memory EmbeddedStore,
	// which the engine then owns and closes.
	Store Store
	// Embedder embeds facts and queries; nil means OfflineEmbedder{}.
	Embedder Embedder
	// Extractor turns content into facts; nil means OfflineExtractor{}.
	Extractor Extractor
	// Model answers Reflect (any llms.Model, e.g. the llm Router).
	Model llms.Model
	// Reranker reorders fused candidates; nil skips reranking.
	Reranker Reranker
	// Tokens counts tokens for the MaxTokens budget; nil means CL100K.
	Tokens TokenCounter
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// RecencyAlpha is the weight of the recency boost: a hit's score is
	// multiplied by 1 + RecencyAlpha x r, r falling linearly from 1 (now)
	// to 0.1 (a year or more ago; also for memories with no time). 0
	// means 0.05, so two memories' boosts differ by at most 4.5%. That is
	// more than one rank is worth in fusion (ranks 1 and 2 of every arm
	// are 1.6% apart): a memory told months later comes before one that
	// each arm ranked one place higher, as a newer fact should before the
	// older one it updates, and also when the older one matched the words
	// of the question better. Set a smaller value where the arms' order
	// should win (0.01 keeps a memory that every arm ranks one place
	// higher, within the arms' first 30, above the other); a negative value or [RecallOptions].NoRecency disables the
	// boost.
	RecencyAlpha float64
	// TemporalBoost multiplies the score of memories inside the recall's
	// time window (parsed from the query or given) by 1 + TemporalBoost,
	// so a question that names a time is answered from that time; 0
	// means 2 and a negative value disables it.
	TemporalBoost float64
	// MinSimilarity is the semantic arm's cosine floor; 0 means 0.3 and a
	// negative value keeps everything.
	MinSimilarity float32
	// MinKeywordScore is the keyword arm's BM25 floor: a hit must share
	// informative terms with the query, not only words most memories of
	// the bank contain (a term in 90% of a bank adds about 0.1, a term in
	// 5% about 2.5). 0 means DefaultMinKeywordScore; negative disables.
	MinKeywordScore float64
	// MinEntityScore is the entity arm's floor on the weighted entity IDF
	// sum, for the same reason (the bank owner's own name is in most of
	// its memories). 0 means DefaultMinEntityScore; negative disables.
	MinEntityScore float64
	// EntitySeeds is how many top semantic hits seed the entity arm; 0
	// means 20 and a negative value disables seeding.
	EntitySeeds int
	// ServerFusion lets a store that can fuse the arms itself (Qdrant:
	// RRF over one prefetch per arm) do so in one query, and ranks by its
	// fused scores. Off by default: the store then returns every arm's
	// ranking (one batched round trip to Qdrant) and the engine fuses, so
	// hits carry per-arm ranks and every store orders them alike (a
	// server cannot break the entity arm's ties by cosine).
	ServerFusion bool
	// KeywordSeeds is how many top keyword hits seed the entity arm, so a
	// query naming a memory's entity in words the entity detector does
	// not mark ("한사랑내과 관련해서") still starts it; 0 means 10 and a
	// negative value disables seeding.
	KeywordSeeds int
	// NoEntityDetection turns the built-in entity detector off, at retain
	// (memories then carry only the extractor's and the caller's
	// entities) and at recall (the entity arm starts from
	// RecallOptions.Entities and the seeds only).
	NoEntityDetection bool
	// ExpandQueries has Model rewrite each recall query into a few
	// paraphrases and a keyword line ([Engine.Recall] runs the arms on
	// each and fuses them): one model call per recall, worth it when the
	// embedder is lexical (the offline one) and memories use other words
	// than questions. Needs Model; RecallOptions.NoExpansion skips it.
	ExpandQueries bool
	// NormalizeFacts has Model rewrite the facts the extractor found into
	// self-contained statements (pronouns resolved to names, relative
	// dates made absolute, canonical entity names), one call per retained
	// content; the whole content stays available as Memory.Source. Needs
	// Model.
	NormalizeFacts bool
	// MaxRetainBytes bounds the content one Retain or RetainBatch call
	// accepts, summed over its items; more is a [*LimitError] before any
	// extraction. 0 means [DefaultMaxRetainBytes]; negative: no limit.
	MaxRetainBytes int
	// MaxRetainFacts bounds the facts one Retain or RetainBatch call
	// stores; more is a [*LimitError] before anything is embedded. 0 means
	// [DefaultMaxRetainFacts]; negative: no limit.
	MaxRetainFacts int
	// Tracer, when set, observes every recall (see Tracer).
	Tracer Tracer
}

// Default arm floors; see [Config].
const (
	DefaultMinKeywordScore = 0.5
	DefaultMinEntityScore  = 0.5
)

// Default bounds of the work one Retain or RetainBatch call may do; see
// [Config]. A megabyte of prose is about 15,000 sentences, so the fact
// limit only stops content split into unusually many tiny facts.
const (
	DefaultMaxRetainBytes = 1 << 20
	DefaultMaxRetainFacts = 50_000
)

// MaxLinksPerKind is the most links of each kind (temporal, entity,
// causal) Retain gives one fact.
const MaxLinksPerKind = 20

// Engine runs retain, recall and reflect over a Store. It is safe for
// concurrent use.
type Engine struct {
	store                 Store
	owned                 bool
	emb                   Embedder
	ext                   Extractor
	model                 llms.Model
	rerank                Reranker
	tokens                TokenCounter
	now                   func() time.Time
	alpha                 float64
	tboost                float64
	minSim                float32
	seeds                 int
	minKeyword, minEntity float64
	serverFusion          bool
	kwSeeds               int
	noDetect              bool
	expand, normalize     bool
	maxBytes, maxFacts    int

	tokMu    sync.Mutex
	tokCache map[string]textInfo
	// auxOwner marks the memAux records this engine made.
	auxOwner *auxOwner
	tracer   Tracer
}

// New validates cfg and returns an engine.
func New(cfg Config) (*Engine, error) {
	e := &Engine{store: cfg.Store, emb: cfg.Embedder, ext: cfg.Extractor, model: cfg.Model,
		rerank: cfg.Reranker, tokens: cfg.Tokens, now: cfg.Now, alpha: cfg.RecencyAlpha,
		minSim: cfg.MinSimilarity, seeds: cfg.EntitySeeds, tboost: cfg.TemporalBoost, tracer: cfg.Tracer,
		serverFusion: cfg.ServerFusion, kwSeeds: cfg.KeywordSeeds, noDetect: cfg.NoEntityDetection,
		expand: cfg.ExpandQueries, normalize: cfg.NormalizeFacts, auxOwner: new(auxOwner)}
	if (e.expand || e.normalize) && e.model == nil {
		return nil, fmt.Errorf("%w: config ExpandQueries and NormalizeFacts need a Model", ErrInvalid)
	}
	if e.store == nil {
		e.store, e.owned = NewEmbeddedStore(), true
	}
	if e.emb == nil {
		e.emb = OfflineEmbedder{}
	}
	if e.ext == nil {
		e.ext = OfflineExtractor{}
	}
	if e.tokens == nil {
		e.tokens = CL100K
	}
	if e.now == nil {
		e.now = time.Now
	}
	switch {
	case e.alpha == 0:
		e.alpha = 0.05
	case e.alpha < 0:
		e.alpha = 0
	case e.alpha > 1:
		return nil, fmt.Errorf("%w: config RecencyAlpha %v must be <= 1", ErrInvalid, cfg.RecencyAlpha)
	}
	switch {
	case e.tboost == 0:
		e.tboost = 2
	case e.tboost < 0:
		e.tboost = 0
	}
	switch {
	case e.minSim == 0:
		e.minSim = 0.3
	case e.minSim < 0:
		e.minSim = -1
	case e.minSim > 1 || e.minSim != e.minSim:
		return nil, fmt.Errorf("%w: config MinSimilarity %v must be a number <= 1", ErrInvalid, cfg.MinSimilarity)
	}
	e.minKeyword, e.minEntity = cfg.MinKeywordScore, cfg.MinEntityScore
	switch {
	case e.minKeyword == 0:
		e.minKeyword = DefaultMinKeywordScore
	case e.minKeyword < 0:
		e.minKeyword = 0
	}
	switch {
	case e.minEntity == 0:
		e.minEntity = DefaultMinEntityScore
	case e.minEntity < 0:
		e.minEntity = 0
	}
	switch {
	case e.seeds == 0:
		e.seeds = 20
	case e.seeds < 0:
		e.seeds = 0
	}
	switch {
	case e.kwSeeds == 0:
		e.kwSeeds = 10
	case e.kwSeeds < 0:
		e.kwSeeds = 0
	}
	e.maxBytes = limitOrDefault(cfg.MaxRetainBytes, DefaultMaxRetainBytes)
	e.maxFacts = limitOrDefault(cfg.MaxRetainFacts, DefaultMaxRetainFacts)
	return e, nil
}

// limitOrDefault maps a Config limit to the one enforced: 0 is the
// default, a negative value no limit.
func limitOrDefault(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return math.MaxInt
	}
	return v
}

// Store returns the engine's store.
func (e *Engine) Store() Store { return e.store }

// Close closes the store if the engine created it.
func (e *Engine) Close() error {
	if e.owned {
		return e.store.Close()
	}
	return nil
}

// PutBank creates or replaces a bank profile (background, disposition).
func (e *Engine) PutBank(ctx context.Context, b Bank) error {
	if b.CreatedAt.IsZero() {
		b.CreatedAt = e.now()
	}
	return e.store.PutBank(ctx, b)
}

// ensureBank creates a default profile for a bank seen for the first time.
func (e *Engine) ensureBank(ctx context.Context, bank string) (Bank, error) {
	b, err := e.store.Bank(ctx, bank)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return Bank{}, err
	}
	b = Bank{ID: bank, CreatedAt: e.now()}
	return b, e.store.PutBank(ctx, b)
}

// RetainOptions qualifies retained content. Every field is optional.
type RetainOptions struct {
	// Kind of the facts the extractor leaves unset; default world.
	Kind Kind
	// Context describes the source ("chat with Mina").
	Context string
	// Timestamp is when the content was said or written; relative dates
	// resolve against it and it becomes the facts' mention time. Default
	// the engine clock.
	Timestamp time.Time
	// DocumentID groups the facts of one document.
	DocumentID string
	// Metadata is copied onto every fact.
	Metadata map[string]string
	// Entities are annotations: names attached to every fact of the
	// content whether or not its text spells them (a nickname, the
	// person a note is about), in addition to those detected.
	Entities []string
	// OccurredStart and OccurredEnd, when OccurredStart is set, say when
	// what the content tells happened (an instant when OccurredEnd is
	// zero); they win over dates found in the text.
	OccurredStart, OccurredEnd time.Time
	// Tags are copied onto every fact.
	Tags []string
}

// RetainItem is one entry of [Engine.RetainBatch].
type RetainItem struct {
	Content string
	Options RetainOptions
}

// validateUTF8 rejects content or options that are not valid UTF-8: the
// facts made of them could not be stored unchanged.
func (it *RetainItem) validateUTF8(i int) error {
	pre := fmt.Sprintf("retain item %d: ", i)
	o := &it.Options
	for _, f := range [...]struct{ name, v string }{{"content", it.Content}, {"context", o.Context}, {"document id", o.DocumentID}} {
		if err := checkUTF8(pre+f.name, f.v); err != nil {
			return err
		}
	}
	for k, v := range o.Metadata {
		if err := checkUTF8(pre+"metadata key", k); err != nil {
			return err
		}
		if err := checkUTF8(fmt.Sprintf("%smetadata[%q]", pre, k), v); err != nil {
			return err
		}
	}
	for j, e := range o.Entities {
		if err := checkUTF8(fmt.Sprintf("%sentities[%d]", pre, j), e); err != nil {
			return err
		}
	}
	for j, t := range o.Tags {
		if err := checkUTF8(fmt.Sprintf("%stags[%d]", pre, j), t); err != nil {
			return err
		}
	}
	return nil
}

// RetainResult reports what Retain stored.
type RetainResult struct {
	// Memories are the stored facts (without vectors), in content order.
	Memories []Memory
}

// IDs returns the ids of the stored memories.
func (r RetainResult) IDs() []string {
	out := make([]string, len(r.Memories))
	for i := range r.Memories {
		out[i] = r.Memories[i].ID
	}
	return out
}

// Retain extracts facts from content and stores them in bank. A fact
// already in the bank (same normalised text) is replaced, not duplicated.
// Content, options and bank must be valid UTF-8 (an [ErrInvalid] naming
// the field otherwise): stores keep strings exactly and never rewrite
// them, so what cannot be stored unchanged is refused.
func (e *Engine) Retain(ctx context.Context, bank, content string, opts RetainOptions) (RetainResult, error) {
	return e.RetainBatch(ctx, bank, []RetainItem{{Content: content, Options: opts}})
}

// RetainBatch retains several contents with one embedding call and one
// store write.
//
// The work is bounded: the content may total at most Config.MaxRetainBytes
// and give at most Config.MaxRetainFacts facts (a [*LimitError] naming the
// limit otherwise, before anything is stored), each fact gets at most
// [MaxLinksPerKind] links of each kind, and linking costs O(n log n) in
// the n facts of the call. The context is checked between the stages and
// every few hundred facts within them, so a call returns its context's
// error soon after the deadline, storing nothing.
func (e *Engine) RetainBatch(ctx context.Context, bank string, items []RetainItem) (RetainResult, error) {
	if bank == "" {
		return RetainResult{}, fmt.Errorf("%w: retain: bank is empty", ErrInvalid)
	}
	if err := checkUTF8("retain: bank", bank); err != nil {
		return RetainResult{}, err
	}
	total := 0
	for i := range items {
		total += len(items[i].Content)
	}
	if total > e.maxBytes {
		return RetainResult{}, &LimitError{Op: "retain", Limit: "Config.MaxRetainBytes", Max: e.maxBytes, Got: total, Unit: "bytes of content"}
	}
	for i := range items {
		if err := items[i].validateUTF8(i); err != nil {
			return RetainResult{}, err
		}
	}
	var ms []Memory
	var causes [][]int // per memory: indices into ms
	for i, it := range items {
		if err := ctx.Err(); err != nil {
			return RetainResult{}, err
		}
		o := it.Options
		if o.Kind != "" && !o.Kind.Valid() {
			return RetainResult{}, fmt.Errorf("%w: retain item %d: kind %q is not a memory kind", ErrInvalid, i, o.Kind)
		}
		if strings.TrimSpace(it.Content) == "" {
			return RetainResult{}, fmt.Errorf("%w: retain item %d: content is empty", ErrInvalid, i)
		}
		if !o.OccurredEnd.IsZero() && (o.OccurredStart.IsZero() || o.OccurredEnd.Before(o.OccurredStart)) {
			return RetainResult{}, fmt.Errorf("%w: retain item %d: occurred end %s needs an occurred start not after it (start %s)", ErrInvalid, i,
				o.OccurredEnd.Format(time.RFC3339), o.OccurredStart.Format(time.RFC3339))
		}
		ts := o.Timestamp
		if ts.IsZero() {
			ts = e.now()
		}
		content := strings.TrimSpace(it.Content)
		srcID := SourceID(bank, content)
		facts, err := e.ext.Extract(ctx, ExtractRequest{Content: it.Content, Context: o.Context, Now: ts, Entities: o.Entities,
			NoEntityDetection: e.noDetect})
		if err != nil {
			return RetainResult{}, fmt.Errorf("retain item %d: %w", i, err)
		}
		if e.normalize && len(facts) > 0 {
			if facts, err = e.normalizeFacts(ctx, it.Content, ts, facts); err != nil {
				return RetainResult{}, fmt.Errorf("retain item %d: normalize facts: %w", i, err)
			}
		}
		// at[j] is the index in ms of fact j, -1 for a blank fact, which
		// is skipped: CausedBy numbers facts as the extractor returned them.
		at := make([]int, len(facts))
		for j, f := range facts {
			at[j] = -1
			if j%checkEvery == checkEvery-1 {
				if err := ctx.Err(); err != nil {
					return RetainResult{}, err
				}
			}
			if strings.TrimSpace(f.Text) == "" {
				continue
			}
			if len(ms) >= e.maxFacts {
				return RetainResult{}, &LimitError{Op: "retain", Limit: "Config.MaxRetainFacts", Max: e.maxFacts, Got: len(ms) + countFacts(facts[j:]), Unit: "facts"}
			}
			kind := f.Kind
			if kind == "" {
				kind = o.Kind
			}
			if kind == "" {
				kind = KindWorld
			}
			if !kind.Valid() {
				return RetainResult{}, fmt.Errorf("%w: retain item %d: fact %d: kind %q is not a memory kind", ErrExtract, i, j, kind)
			}
			conf := f.Confidence
			if conf < 0 || conf > 1 {
				return RetainResult{}, fmt.Errorf("%w: retain item %d: fact %d: confidence %v outside [0, 1]", ErrExtract, i, j, conf)
			}
			var found []string
			if !e.noDetect {
				found = DetectEntities(f.Text, o.Entities)
			}
			ents := mergeEntities(slices.Concat(f.Entities, found), o.Entities)
			m := Memory{ID: MemoryID(bank, f.Text), Bank: bank, Kind: kind, Text: strings.TrimSpace(f.Text),
				Context: o.Context, Entities: ents, Tags: append([]string(nil), o.Tags...),
				OccurredStart: f.OccurredStart, OccurredEnd: f.OccurredEnd, MentionedAt: ts,
				DocumentID: o.DocumentID, Confidence: conf, SourceID: srcID}
			if NormalizeText(content) != NormalizeText(m.Text) {
				m.Source = content
			}
			if !o.OccurredStart.IsZero() {
				m.OccurredStart, m.OccurredEnd = o.OccurredStart, o.OccurredEnd
				if m.OccurredEnd.IsZero() {
					m.OccurredEnd = m.OccurredStart
				}
			}
			if len(o.Metadata) > 0 {
				m.Metadata = make(map[string]string, len(o.Metadata))
				for k, v := range o.Metadata {
					m.Metadata[k] = v
				}
			}
			var cs []int
			for _, c := range f.CausedBy {
				if c < 0 || c >= j {
					return RetainResult{}, fmt.Errorf("%w: retain item %d: fact %d: caused_by %d is not an earlier fact", ErrExtract, i, j, c)
				}
				// A cause that was blank is not stored; a cause given
				// twice is linked once; at most MaxLinksPerKind.
				if at[c] >= 0 && len(cs) < MaxLinksPerKind && !slices.Contains(cs, at[c]) {
					cs = append(cs, at[c])
				}
			}
			at[j] = len(ms)
			ms = append(ms, m)
			causes = append(causes, cs)
		}
	}
	if len(ms) == 0 {
		return RetainResult{}, nil
	}
	if err := ctx.Err(); err != nil {
		return RetainResult{}, err
	}
	if _, err := e.ensureBank(ctx, bank); err != nil {
		return RetainResult{}, fmt.Errorf("retain: %w", err)
	}
	texts := make([]string, len(ms))
	for i := range ms {
		texts[i] = ms[i].Text
	}
	vecs, err := e.emb.EmbedDocuments(ctx, texts)
	if err != nil {
		return RetainResult{}, fmt.Errorf("retain: embed %d facts: %w", len(texts), err)
	}
	if len(vecs) != len(ms) {
		return RetainResult{}, fmt.Errorf("retain: embedder returned %d vectors for %d facts", len(vecs), len(ms))
	}
	toks := make([]string, 0, 32)
	for i := range ms {
		if i%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				return RetainResult{}, err
			}
		}
		ms[i].Vector = vecs[i]
		toks = AppendTokens(toks[:0], ms[i].Text)
		ms[i].Sparse = DefaultBM25.DocumentTokens(toks)
		for _, c := range causes[i] {
			ms[i].Links = append(ms[i].Links, Link{Target: ms[c].ID, Kind: LinkCausal, Weight: 1})
		}
	}
	if err := e.link(ctx, bank, ms); err != nil {
		return RetainResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return RetainResult{}, err
	}
	if err := e.store.Upsert(ctx, ms); err != nil {
		return RetainResult{}, fmt.Errorf("retain: %w", err)
	}
	for i := range ms {
		ms[i].Vector, ms[i].Sparse = nil, SparseVector{}
	}
	return RetainResult{Memories: ms}, nil
}

func mergeEntities(a, b []string) []string {
	out := make([]string, 0, len(a)+len(b))
	seen := map[string]bool{}
	for _, s := range slices.Concat(a, b) {
		k := EntityKey(s)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, strings.TrimSpace(s))
	}
	return out
}

// temporalReach is how far apart in time two facts may be and still be
// temporally linked.
const temporalReach = 24 * time.Hour

// checkEvery is how many facts Retain handles between context checks.
const checkEvery = 256

// countFacts counts the non-blank facts.
func countFacts(fs []Fact) int {
	n := 0
	for i := range fs {
		if strings.TrimSpace(fs[i].Text) != "" {
			n++
		}
	}
	return n
}

// linkPoint is a fact placed in time: a new fact of the call (ord its
// index) or a stored neighbour (ord after every new fact).
type linkPoint struct {
	id  string
	at  time.Time
	ord int
}

func comparePoints(a, b linkPoint) int {
	if c := a.at.Compare(b.at); c != 0 {
		return c
	}
	return a.ord - b.ord
}

// link adds temporal and entity links to the new facts ms, at most
// [MaxLinksPerKind] of each per fact.
//
// Temporal: each fact with a time is linked to the facts nearest to it in
// time, new ones and those already stored, within 24 hours, with weight
// max(0.3, 1 - hours/24); equally near facts are taken in the order of
// the call (stored ones last). Entity: each fact is linked to the new
// facts sharing an entity with it (case-insensitively), in the order of
// the call, with weight 1.
//
// Both use an index (the facts sorted by time; a posting list per
// entity), so a call of n facts costs O(n log n), however many of them
// share a time or an entity.
func (e *Engine) link(ctx context.Context, bank string, ms []Memory) error {
	var lo, hi time.Time
	var pts []linkPoint
	mid := make([]time.Time, len(ms))
	timed := make([]bool, len(ms))
	for i := range ms {
		s, en, ok := ms[i].When()
		if !ok {
			continue
		}
		mid[i], timed[i] = s.Add(en.Sub(s)/2), true
		pts = append(pts, linkPoint{ms[i].ID, mid[i], i})
		if lo.IsZero() || s.Before(lo) {
			lo = s
		}
		if en.After(hi) {
			hi = en
		}
	}
	if len(pts) > 0 {
		res, err := e.store.Search(ctx, SearchRequest{Bank: bank, Limit: min(200, MaxLinksPerKind*len(pts)),
			Window: &TimeRange{Start: lo.Add(-temporalReach), End: hi.Add(temporalReach)}})
		if err != nil {
			return fmt.Errorf("retain: find temporal neighbours: %w", err)
		}
		for k, c := range res.Candidates {
			s, en, _ := c.Memory.When()
			pts = append(pts, linkPoint{c.Memory.ID, s.Add(en.Sub(s) / 2), len(ms) + k})
		}
	}
	// Each id once (its first place in the order), so the scans below
	// skip at most one point for the fact itself.
	slices.SortFunc(pts, func(a, b linkPoint) int { return a.ord - b.ord })
	seen := make(map[string]bool, len(pts))
	uniq := pts[:0]
	for _, p := range pts {
		if !seen[p.id] {
			seen[p.id] = true
			uniq = append(uniq, p)
		}
	}
	pts = uniq
	slices.SortFunc(pts, comparePoints)
	for i := range ms {
		if i%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if !timed[i] {
			continue
		}
		m := &ms[i]
		at := mid[i]
		// Walk outwards from the fact's place in time, nearest first.
		r, _ := slices.BinarySearchFunc(pts, linkPoint{at: at, ord: i}, comparePoints)
		l := r - 1
		dist := func(k int) time.Duration {
			d := pts[k].at.Sub(at)
			if d < 0 {
				d = -d
			}
			return d
		}
		for n := 0; n < MaxLinksPerKind; {
			okL, okR := l >= 0 && dist(l) <= temporalReach, r < len(pts) && dist(r) <= temporalReach
			var k int
			switch {
			case okL && okR:
				if dl, dr := dist(l), dist(r); dl < dr || dl == dr && pts[l].ord < pts[r].ord {
					k, l = l, l-1
				} else {
					k, r = r, r+1
				}
			case okL:
				k, l = l, l-1
			case okR:
				k, r = r, r+1
			default:
				n = MaxLinksPerKind
				continue
			}
			p := pts[k]
			if p.id == m.ID || hasLink(m.Links, p.id) {
				continue
			}
			m.Links = append(m.Links, Link{Target: p.id, Kind: LinkTemporal, Weight: float32(max(0.3, 1-dist(k).Hours()/24))})
			n++
		}
	}

	// Entity postings: per entity key, the facts carrying it, each id
	// once, in call order.
	keys := make([][]string, len(ms))
	post := map[string][]int{}
	first := make(map[string]bool, len(ms))
	for i := range ms {
		for _, en := range ms[i].Entities {
			if k := EntityKey(en); k != "" && !slices.Contains(keys[i], k) {
				keys[i] = append(keys[i], k)
			}
		}
		if first[ms[i].ID] {
			continue
		}
		first[ms[i].ID] = true
		for _, k := range keys[i] {
			post[k] = append(post[k], i)
		}
	}
	var lists [][]int
	for i := range ms {
		if i%checkEvery == checkEvery-1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		lists = lists[:0]
		for _, k := range keys[i] {
			lists = append(lists, post[k])
		}
		// Merge the fact's posting lists in call order.
		for n := 0; n < MaxLinksPerKind; {
			j := -1
			for _, l := range lists {
				if len(l) > 0 && (j < 0 || l[0] < j) {
					j = l[0]
				}
			}
			if j < 0 {
				break
			}
			for q, l := range lists {
				if len(l) > 0 && l[0] == j {
					lists[q] = l[1:]
				}
			}
			if ms[j].ID == ms[i].ID || hasLink(ms[i].Links, ms[j].ID) {
				continue
			}
			ms[i].Links = append(ms[i].Links, Link{Target: ms[j].ID, Kind: LinkEntity, Weight: 1})
			n++
		}
	}
	return nil
}

func hasLink(ls []Link, id string) bool {
	for _, l := range ls {
		if l.Target == id {
			return true
		}
	}
	return false
}

// recency maps an age to [0.1, 1]: linear decay over 365 days.
func recency(age time.Duration) float64 {
	d := age.Hours() / 24
	if d < 0 {
		d = 0
	}
	return math.Max(0.1, 1-d/365)
}
