package qdranttest

import (
	"context"
	"sort"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type collectionsService struct {
	qdrant.UnimplementedCollectionsServer
	s *Server
}

func elapsed(start time.Time) float64 { return time.Since(start).Seconds() }

// Create creates a collection; it fails with AlreadyExists if the name is taken.
func (cs *collectionsService) Create(_ context.Context, req *qdrant.CreateCollection) (*qdrant.CollectionOperationResponse, error) {
	start := time.Now()
	c, err := newCollection(req)
	if err != nil {
		return nil, err
	}
	s := cs.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.collections[c.name]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "Wrong input: Collection `%s` already exists!", c.name)
	}
	s.collections[c.name] = c
	return &qdrant.CollectionOperationResponse{Result: true, Time: elapsed(start)}, nil
}

// Delete removes a collection; Result is false if it did not exist.
func (cs *collectionsService) Delete(_ context.Context, req *qdrant.DeleteCollection) (*qdrant.CollectionOperationResponse, error) {
	start := time.Now()
	s := cs.s
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.collections[req.GetCollectionName()]
	delete(s.collections, req.GetCollectionName())
	return &qdrant.CollectionOperationResponse{Result: ok, Time: elapsed(start)}, nil
}

// List returns the collection names, sorted.
func (cs *collectionsService) List(context.Context, *qdrant.ListCollectionsRequest) (*qdrant.ListCollectionsResponse, error) {
	start := time.Now()
	s := cs.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.collections))
	for n := range s.collections {
		names = append(names, n)
	}
	sort.Strings(names)
	out := &qdrant.ListCollectionsResponse{}
	for _, n := range names {
		out.Collections = append(out.Collections, &qdrant.CollectionDescription{Name: n})
	}
	out.Time = elapsed(start)
	return out, nil
}

// CollectionExists reports whether a collection exists.
func (cs *collectionsService) CollectionExists(_ context.Context, req *qdrant.CollectionExistsRequest) (*qdrant.CollectionExistsResponse, error) {
	start := time.Now()
	s := cs.s
	s.mu.RLock()
	_, ok := s.collections[req.GetCollectionName()]
	s.mu.RUnlock()
	return &qdrant.CollectionExistsResponse{Result: &qdrant.CollectionExists{Exists: ok}, Time: elapsed(start)}, nil
}

// Get reports a collection's configuration exactly as created, its payload
// indexes and its point count.
func (cs *collectionsService) Get(_ context.Context, req *qdrant.GetCollectionInfoRequest) (*qdrant.GetCollectionInfoResponse, error) {
	start := time.Now()
	s := cs.s
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.collections[req.GetCollectionName()]
	if !ok {
		return nil, notFound(req.GetCollectionName())
	}
	return &qdrant.GetCollectionInfoResponse{Result: c.info(), Time: elapsed(start)}, nil
}

func (c *collection) info() *qdrant.CollectionInfo {
	cr := c.create
	params := &qdrant.CollectionParams{
		ShardNumber:            orDefault(cr.ShardNumber, 1),
		OnDiskPayload:          cr.GetOnDiskPayload(),
		ReplicationFactor:      proto.Uint32(orDefault(cr.ReplicationFactor, 1)),
		WriteConsistencyFactor: proto.Uint32(orDefault(cr.WriteConsistencyFactor, 1)),
		ShardingMethod:         cr.ShardingMethod,
	}
	if cr.VectorsConfig != nil {
		params.VectorsConfig = proto.Clone(cr.VectorsConfig).(*qdrant.VectorsConfig)
	}
	if cr.SparseVectorsConfig != nil {
		params.SparseVectorsConfig = proto.Clone(cr.SparseVectorsConfig).(*qdrant.SparseVectorConfig)
	}
	hnsw := &qdrant.HnswConfigDiff{M: proto.Uint64(16), EfConstruct: proto.Uint64(100), FullScanThreshold: proto.Uint64(10000), OnDisk: proto.Bool(false)}
	if cr.HnswConfig != nil {
		proto.Merge(hnsw, cr.HnswConfig)
	}
	opt := &qdrant.OptimizersConfigDiff{DeletedThreshold: proto.Float64(0.2), VacuumMinVectorNumber: proto.Uint64(1000), DefaultSegmentNumber: proto.Uint64(0), FlushIntervalSec: proto.Uint64(5)}
	if cr.OptimizersConfig != nil {
		proto.Merge(opt, cr.OptimizersConfig)
	}
	wal := &qdrant.WalConfigDiff{WalCapacityMb: proto.Uint64(32), WalSegmentsAhead: proto.Uint64(0)}
	if cr.WalConfig != nil {
		proto.Merge(wal, cr.WalConfig)
	}
	info := &qdrant.CollectionInfo{
		Status:              qdrant.CollectionStatus_Green,
		OptimizerStatus:     &qdrant.OptimizerStatus{Ok: true},
		SegmentsCount:       1,
		Config:              &qdrant.CollectionConfig{Params: params, HnswConfig: hnsw, OptimizerConfig: opt, WalConfig: wal, Metadata: clonePayload(cr.GetMetadata())},
		PayloadSchema:       map[string]*qdrant.PayloadSchemaInfo{},
		PointsCount:         proto.Uint64(uint64(len(c.points))),
		IndexedVectorsCount: proto.Uint64(0),
	}
	if cr.QuantizationConfig != nil {
		info.Config.QuantizationConfig = proto.Clone(cr.QuantizationConfig).(*qdrant.QuantizationConfig)
	}
	if cr.StrictModeConfig != nil {
		info.Config.StrictModeConfig = proto.Clone(cr.StrictModeConfig).(*qdrant.StrictModeConfig)
	}
	for key, schema := range c.indexes {
		si := proto.Clone(schema).(*qdrant.PayloadSchemaInfo)
		path := mustPath(key)
		n := uint64(0)
		for _, p := range c.points {
			if len(lookup(p.payload, path)) > 0 {
				n++
			}
		}
		si.Points = proto.Uint64(n)
		info.PayloadSchema[key] = si
	}
	return info
}

func orDefault(p *uint32, d uint32) uint32 {
	if p == nil || *p == 0 {
		return d
	}
	return *p
}
