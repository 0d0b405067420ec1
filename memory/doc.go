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
//     memories and trims the result to a token budget.
//   - Reflect recalls and asks an llms.Model for an answer shaped by the
//     bank's background and disposition.
//
// Storage sits behind the [Store] interface. [EmbeddedStore] is the
// zero-setup default: pure Go, optionally persisted to one crash-safe file.
// The package memorytest holds the contract suite every Store must pass.
//
// The tokenizer ([Tokenize]) handles English and Korean/CJK text, and the
// BM25 sparse encoding ([BM25]) is exported so a server-side store (Qdrant)
// indexes exactly the same terms and weights as the embedded store.
package memory
