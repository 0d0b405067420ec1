// Package qdranttest runs an in-process Qdrant gRPC server for tests.
//
// The server is built on the generated service definitions of
// github.com/qdrant/go-client (RegisterQdrantServer, RegisterCollectionsServer,
// RegisterPointsServer) and listens on 127.0.0.1 with a random port, so a
// test points a real qdrant.NewClient at it and exercises the whole wire
// mapping: vector names, modifiers, filters, prefetches, fusion parameters.
//
// It really executes what it receives over an in-memory index:
//
//   - collections with named (or one unnamed) dense vectors using Cosine,
//     Dot, Euclid or Manhattan distance, sizes checked on every write, and
//     named sparse vectors with the IDF modifier;
//   - payloads of every qdrant.Value kind, nested, with payload indexes
//     recorded and reported back in the collection info;
//   - filters (must, should, must_not, min_should, keyword / keywords /
//     except / integer / bool / text matches, numeric and datetime ranges,
//     is_null, is_empty, has_id, has_vector, values_count, nested filters,
//     dotted keys through objects and arrays);
//   - Query with dense and sparse nearest search, search by point id,
//     nested prefetches, RRF and DBSF fusion with Qdrant's formulas,
//     order_by, limit, offset, score_threshold, with_payload, with_vectors;
//   - Upsert, Delete, Get, Scroll, Count, payload updates and field indexes.
//
// Everything it does not support (formula queries, MMR, recommend, discover,
// geo conditions, multi-vectors, inference objects, ...) fails with
// codes.Unimplemented and a message naming the unsupported feature, so a test
// never silently gets a wrong answer.
//
// For failure tests a Server can make the next N calls of a method fail with a
// chosen gRPC code (FailNext), delay a method so callers hit their deadline
// (SetDelay), stop in the middle of an upsert batch after K points were
// applied (StopAfterPoints), and it counts every call it receives
// per method (Calls) so a caller can prove how many round trips an operation
// took. RecordRequests keeps copies of the requests received, for golden
// tests of the exact messages a client sends. All methods are safe for
// concurrent use.
//
// Scoring follows Qdrant: cosine vectors are normalised when stored, Euclid
// and Manhattan scores are distances (smaller is better, score_threshold is a
// maximum), sparse scores are dot products over shared indices, the IDF
// modifier multiplies each query weight by ln(1 + (N - n + 0.5) / (n + 0.5))
// where N is the number of points holding that sparse vector and n the number
// of them having the index, and RRF scores a point at 0-based position p of
// each prefetch with 1 / (K + p) (K defaults to 2; with weights w,
// 1 / ((p+1)/w + K - 1)). Ties are broken by point id so every result order
// is deterministic.
//
// Other details a test may rely on: the root filter of a Query also applies
// to its prefetches; a query by point id leaves that point out of the
// result; Get and Scroll return the payload unless with_payload disables it,
// Query and Search only when asked; Count is always exact; a text match is a
// substring match unless the field has a text index, then every lowercased
// word of the query must appear; order_by accepts numbers and datetime
// strings (order values of datetimes are Unix microseconds); dotted keys
// also descend into arrays of objects without "[]", which Qdrant may not.
package qdranttest
