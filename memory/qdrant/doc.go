// Package qdrant is a [memory.Store] backed by a Qdrant server, through
// github.com/qdrant/go-client over gRPC. It behaves like the embedded
// store (it passes the same contract suite, memory/memorytest) and
// scales with Qdrant, including its distributed mode.
//
// Choosing it is one line; the engine is configured as with the
// embedded store:
//
//	store, err := qdrant.Open(ctx, qdrant.Config{Host: "localhost", Port: 6334, APIKey: key, UseTLS: true, Dimension: 1536})
//	engine, err := memory.New(memory.Config{Store: store, Embedder: emb})
//
// [Migrate] copies a bank (profile and memories, ids and vectors
// unchanged) from one store to another, e.g. from the embedded store into
// Qdrant.
//
// # Layout in Qdrant
//
// One collection (Config.Collection, default "jedisos_memory") holds every
// bank. It has a named dense vector "dense" (cosine, the embedder's
// dimension) and two named sparse vectors with the IDF modifier. "bm25"
// holds memory.DefaultBM25 document vectors (the same tokenizer, term
// hashing and saturated term frequencies as the embedded store); Qdrant
// multiplies query weights by the IDF at query time, with the formula of
// [memory.IDF], ln(1 + (N - n + 0.5) / (n + 0.5)). "entities" holds, with
// value 1, one index per entity key the memory carries, hashed together
// with its bank ([memory.TermIndex] of bank, NUL, key), plus a per-bank
// marker index every memory holds: the document frequency Qdrant keeps
// for an index is then the number of the bank's memories carrying that
// entity, and every memory counts in N. Open creates the collection and
// its payload indexes when missing and checks an existing one: a
// different dimension or distance, a missing sparse vector (a collection
// made before the entity vector existed: copy its banks into a new
// collection with [Migrate]) or another modifier is an [ErrSchema] error
// naming both values.
//
// A memory is a point whose id is [PointID] (a UUIDv5 of bank and memory
// id), with a payload of the bank id (the tenant index every request
// filters on), kind, text, context, entity keys (trimmed, lower case) and
// names, tags, occurred_start/occurred_end/mentioned_at (RFC 3339), the
// derived when_start/when_end/when_mid of [memory.Memory.When], document
// id, metadata, confidence and links. A bank's profile is a point keyed by
// [ProfileID] (with a placeholder vector) whose payload names the bank
// under "profile_of" instead of "bank": no memory filter, count or search
// ever matches it, and DeleteBank removes memories and profile with one delete
// by filter. Nothing is kept only in process memory.
//
// # Search and round trips
//
// Every arm runs under the bank/kind/tag/document/time filter:
//
//   - semantic: nearest "dense" with score_threshold MinSimilarity;
//   - keyword: nearest "bm25" with the query's BM25 vector, score_threshold
//     MinKeywordScore (the score is BM25 with Qdrant's IDF);
//   - entity: memories whose "entities" payload holds any of the query's
//     entity keys or those of the top EntitySeeds semantic hits (a keyword
//     payload filter), scored by a sparse query over "entities" whose
//     weights are the entities' weights (1 for a query entity,
//     SeedEntityWeight / r for one first carried by the seed ranked r):
//     Qdrant's IDF turns that into package memory's entity score, the sum
//     of weight x IDF over the entities a memory carries, and
//     score_threshold MinEntityScore drops those below the floor;
//   - temporal: nearest "dense" among memories whose time overlaps the
//     window (datetime ranges on when_start and when_end).
//
// With SearchRequest.Fused (what the memory engine's Recall asks for with
// Config.ServerFusion) and a query vector, the arms are the prefetches of ONE Query call fused by
// Qdrant with RRF, K = 61 (k = 60 with 1-based ranks), and the result is
// already in fused order; the entity prefetch is nested: the Limit
// memories with the best entity scores above the floor, ordered by
// cosine. A recall therefore takes one round trip, or two when the entity
// arm is seeded from semantic hits (EntitySeeds > 0, the engine's
// default): a small query for the seeds' entity keys (and one more for
// keyword seeds, KeywordSeeds > 0), then the fused query; each point's
// fused score comes back as Candidate.Fused. Both floors are applied by the server inside these calls: they
// cost no round trip and no Count call.
//
// Without Fused (the engine's default), one QueryBatch call carries one
// query per arm and the store reports each arm's ranks: again one round
// trip, two with entity seeds (a second QueryBatch with the entity queries
// follows once the semantic and keyword results are known). The entity arm is two queries of the same
// batch: its members by entity score, and the same members by cosine (ids
// only), so it ranks as package memory does: entity score, then 1e-3 x
// cosine, then memory id. Without a query vector the temporal arm orders
// by closeness to the window's middle (two order_by queries in the same
// batch), scored as the embedded store scores it (minus the distance in
// nanoseconds); a Fused request without a query vector is answered in
// this per-arm mode.
//
// Every arm ranks its memories as the embedded store does: score
// descending, then memory id ascending, whatever order Qdrant gives
// equal scores (it orders them by point id). Each arm query asks for
// one memory more than Limit; when that memory scores below the last
// one kept, the arm is complete and costs nothing more. When it ties,
// the cut may fall inside a tie Qdrant split its own way: the arm asks
// again, in one QueryBatch with every other arm in that case (and with
// the seeded entity arm when the seeds score above the tie), for the
// ids of all memories scoring at least the tied score (four times the
// first limit, growing fourfold while the answer fills it, up to 8192),
// keeps the tied memories with the smallest ids, and reads those not yet
// seen with one Get. A tie across the cut thus costs one or two more
// round trips (more only for a tie many times Limit); no tie, none. The
// entity arm asks again for the members whose entity score lies within
// the cosine tie-break's reach of the cut, at most Limit x the number of
// entity keys + 1 of them, unless an entity key is carried by more than
// Limit of the members seen: the embedded store then visits only the
// newest [memory.EntityWindow] memories of that entity, which no choice
// among this store's members reproduces, and the first answer's ranking
// is kept.
//
// Differences from the embedded store: Qdrant keeps IDF statistics per
// collection, so the keyword arm's IDF counts documents of every bank, and
// the entity arm's N is the number of memories in the collection (its
// document frequencies are per bank); with one bank per collection both
// equal the embedded store's. When an entity is carried by more than
// Limit memories, the embedded store's entity arm visits only the newest
// of them ([memory.EntityWindow]) and this store's visits all. In a
// fused search Qdrant orders and cuts every prefetch itself, ties by
// point id (the entity seeds are still chosen by memory id), and the
// fused entity prefetch orders its members by cosine, not by entity
// score.
//
// # Failures
//
// Every call is retried on Unavailable and DeadlineExceeded with
// exponential backoff and jitter (Config.MaxRetries, RetryBase, RetryMax),
// never past the caller's deadline; other codes surface at once. Upserts
// go in batches with wait=true, so a batch is acknowledged only when
// Qdrant applied every point; a batch that still fails ends the call with
// an [*UpsertError] naming the memories that were not stored. Ids are
// deterministic, so upserting them again is always safe. The API key is
// sent as gRPC metadata and never appears in errors or in a formatted
// [Config].
//
// # Testing
//
// The package's tests use a real qdrant.NewClient against the in-process
// gRPC server of internal/qdranttest (this is what CI runs). Set
// QDRANT_ADDR=host:port (plus QDRANT_API_KEY, QDRANT_TLS=1 if needed) to
// also run the contract suite against a real server, e.g. one started with
// docker run -p 6334:6334 qdrant/qdrant.
package qdrant
