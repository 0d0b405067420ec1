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
// dimension) and a named sparse vector "bm25" with the IDF modifier. The
// sparse vectors are memory.DefaultBM25 document vectors (the same
// tokenizer, term hashing and saturated term frequencies as the embedded
// store); Qdrant multiplies query weights by the IDF at query time. Open
// creates the collection and its payload indexes when missing and checks
// an existing one: a different dimension, distance or sparse modifier is
// an [ErrSchema] error naming both values.
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
//   - keyword: nearest "bm25" with the query's BM25 vector;
//   - entity: nearest "dense" among memories whose "entities" payload
//     holds any of the query's entity keys or those of the top EntitySeeds
//     semantic hits (a keyword payload filter);
//   - temporal: nearest "dense" among memories whose time overlaps the
//     window (datetime ranges on when_start and when_end).
//
// With SearchRequest.Fused (what the memory engine's Recall asks for) and
// a query vector, the arms are the prefetches of ONE Query call fused by
// Qdrant with RRF, K = 61 (k = 60 with 1-based ranks), and the result is
// already in fused order. A recall therefore takes one round trip, or two
// when the entity arm is seeded from semantic hits (EntitySeeds > 0, the
// engine's default): a small query for the seeds' entity keys, then the
// fused query.
//
// Without Fused, one QueryBatch call carries one query per arm and the
// store reports each arm's ranks: again one round trip, two with entity
// seeds (the entity query follows once the semantic results are known).
// In this mode the entity arm is re-ordered by the summed weight of the
// entities each memory shares (1 per query entity, SeedEntityWeight / r
// for an entity first carried by the seed ranked r), then by cosine. Without a query vector the temporal
// arm orders by closeness to the window's middle (two order_by queries in
// the same batch); a Fused request without a query vector is answered in
// this per-arm mode.
//
// Differences from the embedded store: Qdrant computes the keyword arm's
// IDF over the whole collection (every bank), not one bank; the entity arm
// has no IDF factor; a fused entity prefetch orders by cosine only; and in
// per-arm mode the entity weighting re-orders the top Limit memories by
// cosine rather than choosing them.
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
