// Package memory is long-term memory for agents, organised the way
// Hindsight organises it: isolated banks, typed memories (world facts,
// experiences, opinions, observations), and three operations.
//
//   - Retain turns content (a conversation turn, a document) into facts with
//     entities and time ranges through an [Extractor], embeds them and stores
//     them under deterministic ids, so retaining the same fact twice never
//     duplicates it.
//   - Recall runs four retrieval arms (semantic, keyword/BM25, entity graph,
//     temporal) in one [SearchRequest], fuses them with Reciprocal Rank
//     Fusion (k = 60, 1-based ranks), optionally reranks, boosts recent
//     memories and memories inside the query's time window (weighed by the
//     other arms' evidence), and returns whole retained contents (the
//     matching facts marked, near-duplicates folded) within a result count
//     or token budget. A model, when configured, can expand queries
//     (Config.ExpandQueries) and normalise facts at retain
//     (Config.NormalizeFacts).
//   - Reflect recalls and asks an llms.Model for an answer shaped by the
//     bank's background and disposition.
//
// Storage sits behind the [Store] interface. [EmbeddedStore] is the
// zero-setup default: pure Go, optionally persisted to one crash-safe file.
// The package memorytest holds the contract suite every Store must pass.
//
// Dates in memories and queries ([ParseTimeWindow]) resolve by tense and
// know Korean and English holidays (설 and 추석 from a computed lunisolar
// calendar) and seasons. The tokenizer ([Tokenize]) handles English and
// Korean/CJK text (Korean words lose particles and endings first, see
// [KoreanStem]), and the
// BM25 sparse encoding ([BM25]) is exported so a server-side store (Qdrant)
// indexes exactly the same terms and weights as the embedded store.
package memory
