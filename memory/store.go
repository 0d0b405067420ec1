package memory

import (
	"context"
	"fmt"
)

// Arm is one retrieval strategy of Recall.
type Arm int

// The four arms, in the order used by [Candidate.Ranks].
const (
	// ArmSemantic ranks by cosine similarity of dense vectors.
	ArmSemantic Arm = iota
	// ArmKeyword ranks by BM25 over [Tokenize]d text.
	ArmKeyword
	// ArmEntity returns memories sharing an entity with the query or with
	// the top semantic hits.
	ArmEntity
	// ArmTemporal returns memories whose time overlaps a window.
	ArmTemporal
	// NumArms is the number of arms.
	NumArms
)

var armNames = [NumArms]string{"semantic", "keyword", "entity", "temporal"}

// String returns "semantic", "keyword", "entity" or "temporal".
func (a Arm) String() string {
	if a < 0 || a >= NumArms {
		return fmt.Sprintf("arm(%d)", int(a))
	}
	return armNames[a]
}

// SeedEntityWeight is the weight, in the entity arm, of an entity found
// only through the semantic seeds (query entities weigh 1).
const SeedEntityWeight = 0.5

// SearchRequest carries every arm of one recall, so a server-side store
// can run them all in a single round trip (Qdrant: one prefetch per arm
// and RRF fusion in one Query call) and the embedded store can run them
// over one pass of its indexes. An arm whose input is empty does not run.
//
// Arm semantics every store implements:
//
//   - semantic: memories ranked by cosine(Dense, vector), those below
//     MinSimilarity dropped;
//   - keyword: memories sharing a term with Sparse, ranked by
//     sum over shared terms of query weight x document weight x IDF
//     (IDF as in [IDF], computed by the store);
//   - entity: memories whose Entities contain (case-insensitively) any of
//     Entities, or any entity of the top EntitySeeds semantic hits or the
//     top KeywordSeeds keyword hits; ranked by the sum over the entities
//     they carry of weight x IDF(entity), the weight being 1 for Entities
//     and [SeedEntityWeight] / r for an entity carried by the seed ranked
//     r (an entity seeded several ways counts with its largest weight),
//     IDF as in [IDF] over the bank's
//     memories carrying the entity; ties broken by cosine to Dense (the
//     embedded store visits only the newest [EntityWindow] memories of
//     an entity carried by more);
//   - temporal: memories whose [Memory.When] overlaps Window, ranked by
//     cosine to Dense (by closeness to the window's middle when Dense is
//     empty).
//
// Every arm applies Filter and returns at most Limit candidates; ties are
// broken by id so results are deterministic.
type SearchRequest struct {
	// Bank is the only bank searched. Required.
	Bank string
	// Filter applies to every arm.
	Filter Filter
	// Limit is the per-arm candidate count. Required, > 0.
	Limit int
	// Dense is the normalised query embedding (semantic arm, and the
	// order within the entity and temporal arms).
	Dense []float32
	// SkipSemantic leaves the semantic arm's own results out: Dense then
	// only orders the entity and temporal arms and seeds the entity arm.
	SkipSemantic bool
	// MinSimilarity drops semantic hits below this cosine.
	MinSimilarity float32
	// Sparse is the BM25 query vector from [BM25.Query] (keyword arm).
	Sparse SparseVector
	// MinKeywordScore drops keyword hits scoring below it (0: none).
	MinKeywordScore float64
	// Entities are the canonical entity names the query mentions.
	Entities []string
	// EntitySeeds expands Entities with the entities of that many top
	// semantic hits (0: no expansion).
	EntitySeeds int
	// KeywordSeeds expands Entities with the entities of that many top
	// keyword hits, weighted as semantic seeds are (0: no expansion). It
	// starts the entity arm from a query whose words name a memory's
	// entity even when no semantic hit does (a Korean query over the
	// offline embedder).
	KeywordSeeds int
	// MinEntityScore drops entity hits whose entity score (before the
	// cosine tie-break) is below it (0: none).
	MinEntityScore float64
	// Window, when set, runs the temporal arm.
	Window *TimeRange
	// Fused asks a store that fuses server-side to do so; stores that
	// cannot ignore it and report per-arm ranks.
	Fused bool
}

// Validate checks the request and names the bad field.
func (r *SearchRequest) Validate() error {
	if r.Bank == "" {
		return fmt.Errorf("%w: search: bank is empty", ErrInvalid)
	}
	if r.Limit <= 0 {
		return fmt.Errorf("%w: search: limit %d must be > 0", ErrInvalid, r.Limit)
	}
	if r.MinKeywordScore < 0 || r.MinEntityScore < 0 {
		return fmt.Errorf("%w: search: minimum scores must be >= 0 (keyword %v, entity %v)", ErrInvalid, r.MinKeywordScore, r.MinEntityScore)
	}
	if r.EntitySeeds < 0 || r.KeywordSeeds < 0 {
		return fmt.Errorf("%w: search: entity seeds %d and keyword seeds %d must be >= 0", ErrInvalid, r.EntitySeeds, r.KeywordSeeds)
	}
	for i, x := range r.Dense {
		if !finite(x) {
			return fmt.Errorf("%w: search: query vector[%d] is %v; components must be finite", ErrInvalid, i, x)
		}
	}
	if err := r.Sparse.Validate(); err != nil {
		return fmt.Errorf("search: sparse query: %w", err)
	}
	if r.Window != nil && !r.Window.Start.IsZero() && !r.Window.End.IsZero() && r.Window.End.Before(r.Window.Start) {
		return fmt.Errorf("%w: search: window %s ends before it starts", ErrInvalid, r.Window)
	}
	return r.Filter.Validate()
}

// Candidate is one memory found by a search.
type Candidate struct {
	// Memory is the stored record (Vector and Sparse may be omitted).
	// Its slices and map may be shared with the store: treat them as
	// read-only (the Engine hands callers copies).
	Memory Memory
	// Ranks holds the 1-based rank of the memory in each arm's list, 0
	// where that arm did not return it or the store does not know.
	Ranks [NumArms]int
	// Scores holds each arm's raw score where known.
	Scores [NumArms]float64
	// Fused is the store's own fused score when the result is Fused
	// (Qdrant's RRF: the sum over arms of 1/(k + rank)); 0 otherwise.
	Fused float64
}

// SearchResult is what a store returns for a SearchRequest.
type SearchResult struct {
	// Candidates are the union of every arm's results. Unless Fused, the
	// order carries no meaning: the caller fuses by Ranks.
	Candidates []Candidate
	// Fused is true when the store already fused the arms (for example
	// with Qdrant's RRF): Candidates are then in fused order, best first,
	// and Ranks may be partly or entirely unknown.
	Fused bool
}

// Store persists memories and banks and runs searches. Implementations
// must be safe for concurrent use, keep banks strictly isolated, and treat
// Upsert of an existing id as a replacement (never a duplicate).
type Store interface {
	// PutBank creates or replaces a bank's profile.
	PutBank(ctx context.Context, b Bank) error
	// Bank returns a bank's profile, or an error wrapping ErrNotFound.
	Bank(ctx context.Context, id string) (Bank, error)
	// DeleteBank removes a bank and every memory in it.
	DeleteBank(ctx context.Context, id string) error
	// Upsert stores memories, replacing those with the same id. The call
	// is atomic per memory: a failure never leaves a half-written record.
	// Memories with an invalid field are rejected before anything is
	// written, with an error naming the memory and field.
	Upsert(ctx context.Context, ms []Memory) error
	// Get returns the memories of bank with these ids, in the order
	// given, skipping ids that do not exist.
	Get(ctx context.Context, bank string, ids []string) ([]Memory, error)
	// Delete removes memories of bank by id; unknown ids are ignored.
	Delete(ctx context.Context, bank string, ids []string) error
	// Count returns how many memories of bank pass the filter.
	Count(ctx context.Context, bank string, f Filter) (int, error)
	// Search runs the arms of req over one bank.
	Search(ctx context.Context, req SearchRequest) (SearchResult, error)
	// Close releases the store; later calls return ErrClosed.
	Close() error
}
