package qdrant

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jedisos/jedisos/memory"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
)

// Store is a [memory.Store] over one Qdrant collection. It is safe for
// concurrent use.
type Store struct {
	client *qdrant.Client
	owned  bool
	cfg    Config
	dim    int
	trips  atomic.Uint64

	mu     sync.RWMutex // held for reading by every attempt, for writing by Close
	closed atomic.Bool
	stop   context.Context // cancelled by Close: aborts attempts in flight
	cancel context.CancelFunc
}

var _ memory.Store = (*Store)(nil)

// Open connects to the Qdrant server described by cfg, bootstraps the
// collection (see [NewWithClient]) and returns a store that owns the
// connection: Close closes it.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c, err := qdrant.NewClient(&qdrant.Config{
		Host:                   cfg.Host,
		Port:                   cfg.Port,
		APIKey:                 cfg.APIKey,
		UseTLS:                 cfg.UseTLS,
		TLSConfig:              cfg.TLSConfig,
		GrpcOptions:            cfg.DialOptions,
		SkipCompatibilityCheck: cfg.SkipCompatibilityCheck,
	})
	if err != nil {
		return nil, fmt.Errorf("qdrant: connect to %s:%d: %w", cfg.Host, cfg.Port, err)
	}
	s, err := newStore(ctx, c, cfg)
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// NewWithClient returns a store using an existing client, which the
// caller keeps and closes. Only the collection, dimension, batch and retry
// fields of cfg are used.
//
// Bootstrapping is idempotent: a missing collection is created with a
// named dense vector "dense" (cosine, cfg.Dimension) and the named sparse
// vectors "bm25" and "entities" with the IDF modifier; missing payload
// indexes are created
// (bank as the tenant keyword index; kind, tags, entities, document id
// and profile owner as keywords; occurred_start, mentioned_at, when_start
// and when_end as datetimes; when_mid as an integer). An existing
// collection whose vectors differ is an error wrapping [ErrSchema] (and
// [memory.ErrDimension] for a dimension mismatch) naming both values.
func NewWithClient(ctx context.Context, c *qdrant.Client, cfg Config) (*Store, error) {
	if c == nil {
		return nil, fmt.Errorf("%w: qdrant: client is nil", memory.ErrInvalid)
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return newStore(ctx, c, cfg)
}

func newStore(ctx context.Context, c *qdrant.Client, cfg Config) (*Store, error) {
	s := &Store{client: c, cfg: cfg, dim: cfg.Dimension}
	s.stop, s.cancel = context.WithCancel(context.Background())
	if err := s.bootstrap(ctx); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// Collection is the name of the store's collection.
func (s *Store) Collection() string { return s.cfg.Collection }

// Dim is the dimension of the collection's dense vector.
func (s *Store) Dim() int { return s.dim }

// RoundTrips is the number of gRPC calls the store has made, retries
// included. The difference across one call shows its cost in round trips.
func (s *Store) RoundTrips() uint64 { return s.trips.Load() }

// Client returns the underlying client, for operations the store does
// not offer. It must not be used after Close when the store owns it
// ([Open]): the go-client panics when used after closing.
func (s *Store) Client() *qdrant.Client { return s.client }

type index struct {
	key    string
	typ    qdrant.FieldType
	params *qdrant.PayloadIndexParams
}

var indexes = []index{
	{keyBank, qdrant.FieldType_FieldTypeKeyword, qdrant.NewPayloadIndexParamsKeyword(&qdrant.KeywordIndexParams{IsTenant: qdrant.PtrOf(true)})},
	{keyKind, qdrant.FieldType_FieldTypeKeyword, nil},
	{keyTags, qdrant.FieldType_FieldTypeKeyword, nil},
	{keyEntities, qdrant.FieldType_FieldTypeKeyword, nil},
	{keyDocument, qdrant.FieldType_FieldTypeKeyword, nil},
	{keyProfileOf, qdrant.FieldType_FieldTypeKeyword, nil},
	{keyStart, qdrant.FieldType_FieldTypeDatetime, nil},
	{keyMentioned, qdrant.FieldType_FieldTypeDatetime, nil},
	{keyWhenStart, qdrant.FieldType_FieldTypeDatetime, nil},
	{keyWhenEnd, qdrant.FieldType_FieldTypeDatetime, nil},
	{keyWhenMid, qdrant.FieldType_FieldTypeInteger, qdrant.NewPayloadIndexParamsInt(&qdrant.IntegerIndexParams{Lookup: qdrant.PtrOf(false), Range: qdrant.PtrOf(true)})},
}

func (s *Store) bootstrap(ctx context.Context) error {
	name := s.cfg.Collection
	var exists bool
	err := s.call(ctx, "bootstrap: collection exists", func(ctx context.Context) (err error) {
		exists, err = s.client.CollectionExists(ctx, name)
		return err
	})
	if err != nil {
		return err
	}
	if !exists {
		if s.dim == 0 {
			return fmt.Errorf("%w: qdrant: collection %q does not exist and config Dimension is 0: set it to the embedder's dimension", memory.ErrInvalid, name)
		}
		err = s.call(ctx, "bootstrap: create collection", func(ctx context.Context) error {
			return s.client.CreateCollection(ctx, &qdrant.CreateCollection{
				CollectionName: name,
				VectorsConfig: qdrant.NewVectorsConfigMap(map[string]*qdrant.VectorParams{
					DenseVector: {Size: uint64(s.dim), Distance: qdrant.Distance_Cosine},
				}),
				SparseVectorsConfig: qdrant.NewSparseVectorsConfig(map[string]*qdrant.SparseVectorParams{
					SparseVector: {Modifier: qdrant.Modifier_Idf.Enum()},
					EntityVector: {Modifier: qdrant.Modifier_Idf.Enum()},
				}),
			})
		})
		// Another process may have created it first: verify below.
		if err != nil && Code(err) != codes.AlreadyExists {
			return err
		}
	}
	var info *qdrant.CollectionInfo
	err = s.call(ctx, "bootstrap: collection info", func(ctx context.Context) (err error) {
		info, err = s.client.GetCollectionInfo(ctx, name)
		return err
	})
	if err != nil {
		return err
	}
	if err := s.checkSchema(info); err != nil {
		return err
	}
	have := info.GetPayloadSchema()
	for _, ix := range indexes {
		if _, ok := have[ix.key]; ok {
			continue
		}
		ix := ix
		err := s.call(ctx, "bootstrap: create index "+ix.key, func(ctx context.Context) error {
			_, err := s.client.CreateFieldIndex(ctx, &qdrant.CreateFieldIndexCollection{
				CollectionName: name, Wait: qdrant.PtrOf(true), FieldName: ix.key,
				FieldType: ix.typ.Enum(), FieldIndexParams: ix.params,
			})
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) checkSchema(info *qdrant.CollectionInfo) error {
	name := s.cfg.Collection
	params := info.GetConfig().GetParams()
	named := params.GetVectorsConfig().GetParamsMap().GetMap()
	dense := named[DenseVector]
	if dense == nil {
		var have []string
		for n := range named {
			have = append(have, fmt.Sprintf("%q", n))
		}
		sort.Strings(have)
		desc := "an unnamed vector"
		if params.GetVectorsConfig().GetParams() == nil {
			desc = "named vectors [" + strings.Join(have, ", ") + "]"
		}
		return fmt.Errorf("%w: collection %q has %s, want a named dense vector %q", ErrSchema, name, desc, DenseVector)
	}
	if s.dim != 0 && dense.GetSize() != uint64(s.dim) {
		return fmt.Errorf("%w: %w: collection %q has %d-dimensional %q vectors, config Dimension is %d",
			ErrSchema, memory.ErrDimension, name, dense.GetSize(), DenseVector, s.dim)
	}
	if dense.GetDistance() != qdrant.Distance_Cosine {
		return fmt.Errorf("%w: collection %q vector %q uses distance %s, want Cosine", ErrSchema, name, DenseVector, dense.GetDistance())
	}
	for _, vn := range []string{SparseVector, EntityVector} {
		sp := params.GetSparseVectorsConfig().GetMap()[vn]
		if sp == nil {
			return fmt.Errorf("%w: collection %q has no sparse vector %q (a collection made by an older version: copy its banks into a new collection with Migrate)", ErrSchema, name, vn)
		}
		if sp.GetModifier() != qdrant.Modifier_Idf {
			return fmt.Errorf("%w: collection %q sparse vector %q has modifier %s, want Idf", ErrSchema, name, vn, sp.GetModifier())
		}
	}
	s.dim = int(dense.GetSize())
	return nil
}

func (s *Store) check() error {
	if s.closed.Load() {
		return memory.ErrClosed
	}
	return nil
}

// PutBank implements [memory.Store]. The profile is a point of the same
// collection keyed by [ProfileID], found only by id.
func (s *Store) PutBank(ctx context.Context, b memory.Bank) error {
	if err := b.Validate(); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	// A placeholder unit vector keeps the point valid on servers that
	// want every dense vector present; no search can reach it, as every
	// memory request filters on the "bank" key a profile does not carry.
	placeholder := make([]float32, s.dim)
	placeholder[0] = 1
	p := &qdrant.PointStruct{
		Id:      qdrant.NewID(ProfileID(b.ID)),
		Vectors: qdrant.NewVectorsMap(map[string]*qdrant.Vector{DenseVector: qdrant.NewVectorDense(placeholder)}),
		Payload: profilePayload(&b),
	}
	return s.call(ctx, "put bank "+b.ID, func(ctx context.Context) error {
		return s.upsert(ctx, []*qdrant.PointStruct{p})
	})
}

// Bank implements [memory.Store].
func (s *Store) Bank(ctx context.Context, id string) (memory.Bank, error) {
	if id == "" {
		return memory.Bank{}, fmt.Errorf("%w: bank id is empty", memory.ErrInvalid)
	}
	if err := s.check(); err != nil {
		return memory.Bank{}, err
	}
	var pts []*qdrant.RetrievedPoint
	err := s.call(ctx, "get bank "+id, func(ctx context.Context) (err error) {
		pts, err = s.client.Get(ctx, &qdrant.GetPoints{
			CollectionName: s.cfg.Collection,
			Ids:            []*qdrant.PointId{qdrant.NewID(ProfileID(id))},
			WithPayload:    qdrant.NewWithPayload(true),
		})
		return err
	})
	if err != nil {
		return memory.Bank{}, err
	}
	if len(pts) == 0 || str(pts[0].GetPayload(), keyProfileOf) != id {
		return memory.Bank{}, fmt.Errorf("%w: bank %q", memory.ErrNotFound, id)
	}
	return decodeProfile(pts[0].GetPayload())
}

// DeleteBank implements [memory.Store]: one delete by filter removes the
// bank's memories and its profile.
func (s *Store) DeleteBank(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("%w: bank id is empty", memory.ErrInvalid)
	}
	if err := s.check(); err != nil {
		return err
	}
	f := &qdrant.Filter{Should: []*qdrant.Condition{
		qdrant.NewMatchKeyword(keyBank, id),
		qdrant.NewMatchKeyword(keyProfileOf, id),
	}}
	return s.call(ctx, "delete bank "+id, func(ctx context.Context) error {
		res, err := s.client.Delete(ctx, &qdrant.DeletePoints{
			CollectionName: s.cfg.Collection, Wait: qdrant.PtrOf(true),
			Points: qdrant.NewPointsSelectorFilter(f),
		})
		return completed(res, err)
	})
}

func completed(res *qdrant.UpdateResult, err error) error {
	if err != nil {
		return err
	}
	if st := res.GetStatus(); st != qdrant.UpdateStatus_Completed {
		return fmt.Errorf("update status %s, want Completed", st)
	}
	return nil
}

func (s *Store) upsert(ctx context.Context, pts []*qdrant.PointStruct) error {
	res, err := s.client.Upsert(ctx, &qdrant.UpsertPoints{
		CollectionName: s.cfg.Collection, Wait: qdrant.PtrOf(true), Points: pts,
	})
	return completed(res, err)
}

// Upsert implements [memory.Store]. Every memory is validated (fields,
// dimension) before anything is sent. Points go in batches of
// Config.BatchSize (fewer when the vectors of a batch would pass 2 MiB),
// each written with wait=true and retried on transient
// failures; a batch that still fails stops the call with an
// [*UpsertError] listing the memories not stored.
func (s *Store) Upsert(ctx context.Context, ms []memory.Memory) error {
	if len(ms) == 0 {
		return nil
	}
	if err := s.check(); err != nil {
		return err
	}
	pts := make([]*qdrant.PointStruct, len(ms))
	ids := make([]string, len(ms))
	for i := range ms {
		m := &ms[i]
		if err := m.Validate(); err != nil {
			return fmt.Errorf("upsert item %d: %w", i, err)
		}
		if len(m.Vector) != s.dim {
			return fmt.Errorf("upsert item %d: %w: memory %s has %d dimensions, collection %q has %d",
				i, memory.ErrDimension, m.ID, len(m.Vector), s.cfg.Collection, s.dim)
		}
		pts[i] = point(m)
		ids[i] = m.ID
	}
	batch := min(s.cfg.BatchSize, max(16, (2<<20)/(4*s.dim)))
	for start := 0; start < len(pts); start += batch {
		end := min(start+batch, len(pts))
		err := s.call(ctx, "upsert", func(ctx context.Context) error {
			return s.upsert(ctx, pts[start:end])
		})
		if err != nil {
			return &UpsertError{Stored: ids[:start:start], NotStored: append([]string(nil), ids[start:]...), Err: err}
		}
	}
	return nil
}

// Get implements [memory.Store]; the memories come with their dense
// (normalised) and sparse vectors.
func (s *Store) Get(ctx context.Context, bank string, ids []string) ([]memory.Memory, error) {
	if bank == "" {
		return nil, fmt.Errorf("%w: get: bank is empty", memory.ErrInvalid)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	out := make([]memory.Memory, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pids := make([]*qdrant.PointId, len(ids))
	for i, id := range ids {
		pids[i] = qdrant.NewID(PointID(bank, id))
	}
	byID := make(map[string]memory.Memory, len(ids))
	for start := 0; start < len(pids); start += s.page() {
		chunk := pids[start:min(start+s.page(), len(pids))]
		var pts []*qdrant.RetrievedPoint
		err := s.call(ctx, "get", func(ctx context.Context) (err error) {
			pts, err = s.client.Get(ctx, &qdrant.GetPoints{
				CollectionName: s.cfg.Collection, Ids: chunk,
				WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true),
			})
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, p := range pts {
			m, err := decode(p.GetPayload(), p.GetVectors())
			if err != nil {
				return nil, err
			}
			if m.Bank == bank {
				byID[m.ID] = m
			}
		}
	}
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m.Clone())
		}
	}
	return out, nil
}

// page is how many points with vectors one Get or scroll asks for: at
// most BatchSize, and few enough that the vectors stay near 1 MiB, well
// under gRPC's default 4 MiB message limit.
func (s *Store) page() int {
	return min(s.cfg.BatchSize, max(16, (1<<20)/(4*max(s.dim, 1))))
}

// Delete implements [memory.Store].
func (s *Store) Delete(ctx context.Context, bank string, ids []string) error {
	if bank == "" {
		return fmt.Errorf("%w: delete: bank is empty", memory.ErrInvalid)
	}
	if err := s.check(); err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	pids := make([]*qdrant.PointId, len(ids))
	for i, id := range ids {
		pids[i] = qdrant.NewID(PointID(bank, id))
	}
	return s.call(ctx, "delete", func(ctx context.Context) error {
		res, err := s.client.Delete(ctx, &qdrant.DeletePoints{
			CollectionName: s.cfg.Collection, Wait: qdrant.PtrOf(true),
			Points: qdrant.NewPointsSelector(pids...),
		})
		return completed(res, err)
	})
}

// DeleteMatching removes every memory of bank that passes f (all of them
// for the zero Filter) with one delete by filter; the bank's profile
// stays.
func (s *Store) DeleteMatching(ctx context.Context, bank string, f memory.Filter) error {
	if bank == "" {
		return fmt.Errorf("%w: delete: bank is empty", memory.ErrInvalid)
	}
	if err := f.Validate(); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := s.check(); err != nil {
		return err
	}
	return s.call(ctx, "delete by filter", func(ctx context.Context) error {
		res, err := s.client.Delete(ctx, &qdrant.DeletePoints{
			CollectionName: s.cfg.Collection, Wait: qdrant.PtrOf(true),
			Points: qdrant.NewPointsSelectorFilter(bankFilter(bank, &f)),
		})
		return completed(res, err)
	})
}

// Count implements [memory.Store] with an exact count.
func (s *Store) Count(ctx context.Context, bank string, f memory.Filter) (int, error) {
	if bank == "" {
		return 0, fmt.Errorf("%w: count: bank is empty", memory.ErrInvalid)
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	if err := s.check(); err != nil {
		return 0, err
	}
	var n uint64
	err := s.call(ctx, "count", func(ctx context.Context) (err error) {
		n, err = s.client.Count(ctx, &qdrant.CountPoints{
			CollectionName: s.cfg.Collection, Filter: bankFilter(bank, &f), Exact: qdrant.PtrOf(true),
		})
		return err
	})
	return int(n), err
}

// Scan calls fn with the memories of bank, with their vectors, in pages
// of up to Config.BatchSize (fewer for large vectors) in point id order.
// It stops at the first error fn returns.
func (s *Store) Scan(ctx context.Context, bank string, fn func([]memory.Memory) error) error {
	if bank == "" {
		return fmt.Errorf("%w: scan: bank is empty", memory.ErrInvalid)
	}
	if err := s.check(); err != nil {
		return err
	}
	var offset *qdrant.PointId
	for {
		var pts []*qdrant.RetrievedPoint
		var next *qdrant.PointId
		err := s.call(ctx, "scan", func(ctx context.Context) (err error) {
			pts, next, err = s.client.ScrollAndOffset(ctx, &qdrant.ScrollPoints{
				CollectionName: s.cfg.Collection, Filter: bankFilter(bank, &memory.Filter{}),
				Offset: offset, Limit: qdrant.PtrOf(uint32(s.page())),
				WithPayload: qdrant.NewWithPayload(true), WithVectors: qdrant.NewWithVectors(true),
			})
			return err
		})
		if err != nil {
			return err
		}
		page := make([]memory.Memory, 0, len(pts))
		for _, p := range pts {
			m, err := decode(p.GetPayload(), p.GetVectors())
			if err != nil {
				return err
			}
			page = append(page, m)
		}
		if len(page) > 0 {
			if err := fn(page); err != nil {
				return err
			}
		}
		if next == nil {
			return nil
		}
		offset = next
	}
}

// Close implements [memory.Store]. Calls in flight are aborted and fail
// with memory.ErrClosed, as do later calls. Close closes the connection
// when the store opened it ([Open]).
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.cancel()
	s.mu.Lock() // wait for aborted attempts to return
	defer s.mu.Unlock()
	if s.owned {
		if err := s.client.Close(); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("qdrant: close: %w", err)
		}
	}
	return nil
}
