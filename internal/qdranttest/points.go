package qdranttest

import (
	"context"
	"fmt"
	"time"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

type pointsService struct {
	qdrant.UnimplementedPointsServer
	s *Server
}

// read runs fn on a collection under the read lock.
func (s *Server) read(name string, fn func(c *collection) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c, ok := s.collections[name]
	if !ok {
		return notFound(name)
	}
	return fn(c)
}

// write runs fn on a collection under the write lock and reports the new
// operation id.
func (s *Server) write(name string, fn func(c *collection, op uint64) error) (*qdrant.PointsOperationResponse, error) {
	start := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.collections[name]
	if !ok {
		return nil, notFound(name)
	}
	s.opID++
	op := s.opID
	if err := fn(c, op); err != nil {
		return nil, err
	}
	return &qdrant.PointsOperationResponse{
		Result: &qdrant.UpdateResult{OperationId: proto.Uint64(op), Status: qdrant.UpdateStatus_Completed},
		Time:   elapsed(start),
	}, nil
}

// Upsert inserts or replaces points. The whole batch is validated before
// any point is applied, so a bad point leaves the collection unchanged.
func (ps *pointsService) Upsert(_ context.Context, req *qdrant.UpsertPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		if err := c.checkFilter(req.UpdateFilter, "update_filter"); err != nil {
			return err
		}
		pts := make([]*point, len(req.GetPoints()))
		for i, wp := range req.GetPoints() {
			p, err := c.decodePoint(wp, i)
			if err != nil {
				return err
			}
			p.version = op
			pts[i] = p
		}
		limit, stop := ps.s.takeStop()
		for i, p := range pts {
			if stop && i >= limit {
				return status.Errorf(codes.Unavailable, "qdranttest: server stopped mid-batch after %d of %d points", limit, len(pts))
			}
			old, exists := c.points[p.key]
			switch req.GetUpdateMode() {
			case qdrant.UpdateMode_InsertOnly:
				if exists {
					continue
				}
			case qdrant.UpdateMode_UpdateOnly:
				if !exists {
					continue
				}
			}
			if exists && req.UpdateFilter != nil && !c.matches(req.UpdateFilter, old) {
				continue
			}
			c.put(p)
		}
		if stop {
			return status.Errorf(codes.Unavailable, "qdranttest: server stopped after applying all %d points of the batch", len(pts))
		}
		return nil
	})
}

// selectKeys resolves a points selector to the keys of existing points.
// With requireAll, an id that does not exist is a NotFound error.
func (c *collection) selectKeys(sel *qdrant.PointsSelector, where string, requireAll bool) ([]pointKey, error) {
	switch x := sel.GetPointsSelectorOneOf().(type) {
	case *qdrant.PointsSelector_Points:
		var keys []pointKey
		for i, id := range x.Points.GetIds() {
			k, err := keyOf(id, fmt.Sprintf("%s.ids[%d]", where, i))
			if err != nil {
				return nil, err
			}
			if _, ok := c.points[k]; !ok {
				if requireAll {
					return nil, status.Errorf(codes.NotFound, "Not found: No point with id %s found", k)
				}
				continue
			}
			keys = append(keys, k)
		}
		return keys, nil
	case *qdrant.PointsSelector_Filter:
		if err := c.checkFilter(x.Filter, where+".filter"); err != nil {
			return nil, err
		}
		var keys []pointKey
		for _, p := range c.sorted {
			if c.matches(x.Filter, p) {
				keys = append(keys, p.key)
			}
		}
		return keys, nil
	default:
		return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s: a points selector (ids or filter) is required", where)
	}
}

// Delete removes points by ids or by filter.
func (ps *pointsService) Delete(_ context.Context, req *qdrant.DeletePoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, _ uint64) error {
		keys, err := c.selectKeys(req.GetPoints(), "points", false)
		if err != nil {
			return err
		}
		for _, k := range keys {
			c.remove(k)
		}
		return nil
	})
}

// Get returns the requested points that exist, in request order.
func (ps *pointsService) Get(_ context.Context, req *qdrant.GetPoints) (*qdrant.GetResponse, error) {
	start := time.Now()
	out := &qdrant.GetResponse{}
	err := ps.s.read(req.GetCollectionName(), func(c *collection) error {
		if err := c.checkVectorSelector(req.WithVectors, "with_vectors"); err != nil {
			return err
		}
		seen := map[pointKey]bool{}
		for i, id := range req.GetIds() {
			k, err := keyOf(id, fmt.Sprintf("ids[%d]", i))
			if err != nil {
				return err
			}
			p, ok := c.points[k]
			if !ok || seen[k] {
				continue
			}
			seen[k] = true
			out.Result = append(out.Result, c.retrieved(p, req.GetWithPayload(), true, req.WithVectors, nil))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Time = elapsed(start)
	return out, nil
}

// Scroll pages through points matching a filter in id order (or payload
// order with order_by). Payload is returned unless with_payload disables it.
func (ps *pointsService) Scroll(_ context.Context, req *qdrant.ScrollPoints) (*qdrant.ScrollResponse, error) {
	start := time.Now()
	out := &qdrant.ScrollResponse{}
	err := ps.s.read(req.GetCollectionName(), func(c *collection) error {
		if err := c.checkFilter(req.GetFilter(), "filter"); err != nil {
			return err
		}
		if err := c.checkVectorSelector(req.WithVectors, "with_vectors"); err != nil {
			return err
		}
		limit := 10
		if req.Limit != nil {
			limit = int(req.GetLimit())
		}
		if req.OrderBy != nil {
			if req.Offset != nil {
				return status.Error(codes.InvalidArgument, "Wrong input: offset cannot be used together with order_by, use order_by.start_from")
			}
			var cands []*point
			for _, p := range c.sorted {
				if c.matches(req.GetFilter(), p) {
					cands = append(cands, p)
				}
			}
			res, err := orderPoints(cands, req.GetOrderBy(), "order_by")
			if err != nil {
				return err
			}
			if len(res) > limit {
				res = res[:limit]
			}
			for _, r := range res {
				out.Result = append(out.Result, c.retrieved(r.p, req.GetWithPayload(), true, req.WithVectors, r.order))
			}
			return nil
		}
		var from *pointKey
		if req.Offset != nil {
			k, err := keyOf(req.GetOffset(), "offset")
			if err != nil {
				return err
			}
			from = &k
		}
		for _, p := range c.sorted {
			if from != nil && p.key.less(*from) {
				continue
			}
			if !c.matches(req.GetFilter(), p) {
				continue
			}
			if len(out.Result) == limit {
				out.NextPageOffset = p.key.id()
				break
			}
			out.Result = append(out.Result, c.retrieved(p, req.GetWithPayload(), true, req.WithVectors, nil))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Time = elapsed(start)
	return out, nil
}

// Count counts the points matching a filter, always exactly.
func (ps *pointsService) Count(_ context.Context, req *qdrant.CountPoints) (*qdrant.CountResponse, error) {
	start := time.Now()
	var n uint64
	err := ps.s.read(req.GetCollectionName(), func(c *collection) error {
		if err := c.checkFilter(req.GetFilter(), "filter"); err != nil {
			return err
		}
		for _, p := range c.sorted {
			if c.matches(req.GetFilter(), p) {
				n++
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.CountResponse{Result: &qdrant.CountResult{Count: n}, Time: elapsed(start)}, nil
}

// SetPayload merges keys into the payload of the selected points (under
// key, when given).
func (ps *pointsService) SetPayload(_ context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.setPayload(req, op, false)
	})
}

// OverwritePayload replaces the payload of the selected points.
func (ps *pointsService) OverwritePayload(_ context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.setPayload(req, op, true)
	})
}

func (c *collection) setPayload(req *qdrant.SetPayloadPoints, op uint64, overwrite bool) error {
	keys, err := c.selectKeys(req.GetPointsSelector(), "points_selector", true)
	if err != nil {
		return err
	}
	var path []string
	if req.Key != nil {
		segs, err := parsePath(req.GetKey())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "Wrong input: key: %v", err)
		}
		for _, s := range segs {
			if s.all || s.index >= 0 {
				return status.Errorf(codes.Unimplemented, "qdranttest: key %q: array paths are not supported in set_payload", req.GetKey())
			}
			path = append(path, s.name)
		}
	}
	for _, k := range keys {
		p := c.points[k]
		np := *p
		np.version = op
		if overwrite && path == nil {
			np.payload = clonePayload(req.GetPayload())
		} else {
			np.payload = clonePayload(p.payload)
			target := np.payload
			for _, seg := range path {
				v, ok := target[seg]
				s, isObj := v.GetKind().(*qdrant.Value_StructValue)
				if !ok || !isObj {
					s = &qdrant.Value_StructValue{StructValue: &qdrant.Struct{Fields: map[string]*qdrant.Value{}}}
					target[seg] = &qdrant.Value{Kind: s}
				}
				if s.StructValue.Fields == nil {
					s.StructValue.Fields = map[string]*qdrant.Value{}
				}
				target = s.StructValue.Fields
			}
			if overwrite {
				for key := range target {
					delete(target, key)
				}
			}
			for key, v := range clonePayload(req.GetPayload()) {
				target[key] = v
			}
		}
		c.put(&np)
	}
	return nil
}

// DeletePayload removes keys from the payload of the selected points.
func (ps *pointsService) DeletePayload(_ context.Context, req *qdrant.DeletePayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		keys, err := c.selectKeys(req.GetPointsSelector(), "points_selector", true)
		if err != nil {
			return err
		}
		for _, k := range keys {
			np := *c.points[k]
			np.version = op
			np.payload = clonePayload(np.payload)
			for _, key := range req.GetKeys() {
				deletePath(np.payload, key)
			}
			c.put(&np)
		}
		return nil
	})
}

// ClearPayload removes the whole payload of the selected points.
func (ps *pointsService) ClearPayload(_ context.Context, req *qdrant.ClearPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		keys, err := c.selectKeys(req.GetPoints(), "points", true)
		if err != nil {
			return err
		}
		for _, k := range keys {
			np := *c.points[k]
			np.version = op
			np.payload = map[string]*qdrant.Value{}
			c.put(&np)
		}
		return nil
	})
}

var fieldTypeSchema = map[qdrant.FieldType]qdrant.PayloadSchemaType{
	qdrant.FieldType_FieldTypeKeyword:  qdrant.PayloadSchemaType_Keyword,
	qdrant.FieldType_FieldTypeInteger:  qdrant.PayloadSchemaType_Integer,
	qdrant.FieldType_FieldTypeFloat:    qdrant.PayloadSchemaType_Float,
	qdrant.FieldType_FieldTypeGeo:      qdrant.PayloadSchemaType_Geo,
	qdrant.FieldType_FieldTypeText:     qdrant.PayloadSchemaType_Text,
	qdrant.FieldType_FieldTypeBool:     qdrant.PayloadSchemaType_Bool,
	qdrant.FieldType_FieldTypeDatetime: qdrant.PayloadSchemaType_Datetime,
	qdrant.FieldType_FieldTypeUuid:     qdrant.PayloadSchemaType_Uuid,
}

func paramsSchema(p *qdrant.PayloadIndexParams) (qdrant.PayloadSchemaType, bool) {
	switch p.GetIndexParams().(type) {
	case *qdrant.PayloadIndexParams_KeywordIndexParams:
		return qdrant.PayloadSchemaType_Keyword, true
	case *qdrant.PayloadIndexParams_IntegerIndexParams:
		return qdrant.PayloadSchemaType_Integer, true
	case *qdrant.PayloadIndexParams_FloatIndexParams:
		return qdrant.PayloadSchemaType_Float, true
	case *qdrant.PayloadIndexParams_GeoIndexParams:
		return qdrant.PayloadSchemaType_Geo, true
	case *qdrant.PayloadIndexParams_TextIndexParams:
		return qdrant.PayloadSchemaType_Text, true
	case *qdrant.PayloadIndexParams_BoolIndexParams:
		return qdrant.PayloadSchemaType_Bool, true
	case *qdrant.PayloadIndexParams_DatetimeIndexParams:
		return qdrant.PayloadSchemaType_Datetime, true
	case *qdrant.PayloadIndexParams_UuidIndexParams:
		return qdrant.PayloadSchemaType_Uuid, true
	}
	return qdrant.PayloadSchemaType_UnknownType, false
}

// CreateFieldIndex records a payload index; it is reported in the
// collection info and a text index switches text matches to token matching.
func (ps *pointsService) CreateFieldIndex(_ context.Context, req *qdrant.CreateFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, _ uint64) error {
		key := req.GetFieldName()
		if key == "" {
			return status.Error(codes.InvalidArgument, "Wrong input: field_name must not be empty")
		}
		if _, err := parsePath(key); err != nil {
			return status.Errorf(codes.InvalidArgument, "Wrong input: field_name: %v", err)
		}
		var schema qdrant.PayloadSchemaType
		fromType, haveType := qdrant.PayloadSchemaType_UnknownType, req.FieldType != nil
		if haveType {
			t, ok := fieldTypeSchema[req.GetFieldType()]
			if !ok {
				return status.Errorf(codes.InvalidArgument, "Wrong input: field %q: unknown field_type %v", key, req.GetFieldType())
			}
			fromType = t
		}
		fromParams, haveParams := paramsSchema(req.GetFieldIndexParams())
		switch {
		case haveType && haveParams && fromType != fromParams:
			return status.Errorf(codes.InvalidArgument, "Wrong input: field %q: field_type %v does not match index params for %v", key, fromType, fromParams)
		case haveType:
			schema = fromType
		case haveParams:
			schema = fromParams
		default:
			return status.Errorf(codes.InvalidArgument, "Wrong input: field %q: field_type or field_index_params is required", key)
		}
		si := &qdrant.PayloadSchemaInfo{DataType: schema}
		if req.FieldIndexParams != nil {
			si.Params = proto.Clone(req.FieldIndexParams).(*qdrant.PayloadIndexParams)
		}
		c.indexes[key] = si
		c.textIndexd[key] = schema == qdrant.PayloadSchemaType_Text
		return nil
	})
}

// DeleteFieldIndex forgets a payload index.
func (ps *pointsService) DeleteFieldIndex(_ context.Context, req *qdrant.DeleteFieldIndexCollection) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, _ uint64) error {
		delete(c.indexes, req.GetFieldName())
		delete(c.textIndexd, req.GetFieldName())
		return nil
	})
}
