package qdranttest

import (
	"context"
	"fmt"
	"strings"
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
		return c.upsert(req.GetPoints(), req.GetUpdateMode(), req.UpdateFilter, op, ps.s, "")
	})
}

// upsert applies a batch of points; srv, when not nil, may stop the server
// in the middle of the batch (see StopAfterPoints).
func (c *collection) upsert(wire []*qdrant.PointStruct, mode qdrant.UpdateMode, filter *qdrant.Filter, op uint64, srv *Server, where string) error {
	if err := c.checkFilter(filter, where+"update_filter"); err != nil {
		return err
	}
	pts := make([]*point, len(wire))
	for i, wp := range wire {
		p, err := c.decodePoint(wp, i, where)
		if err != nil {
			return err
		}
		p.version = op
		pts[i] = p
	}
	limit, stop := 0, false
	if srv != nil {
		limit, stop = srv.takeStop()
	}
	m := c.matcher()
	for i, p := range pts {
		if stop && i >= limit {
			return status.Errorf(codes.Unavailable, "qdranttest: server stopped mid-batch after %d of %d points", limit, len(pts))
		}
		old, exists := c.points[p.key]
		switch mode {
		case qdrant.UpdateMode_InsertOnly:
			if exists {
				continue
			}
		case qdrant.UpdateMode_UpdateOnly:
			if !exists {
				continue
			}
		}
		if exists && filter != nil && !m.matches(filter, old) {
			continue
		}
		c.put(p)
	}
	if stop {
		return status.Errorf(codes.Unavailable, "qdranttest: server stopped after applying all %d points of the batch", len(pts))
	}
	return nil
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
		m := c.matcher()
		for _, p := range c.sorted {
			if m.matches(x.Filter, p) {
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
		return c.deletePoints(req.GetPoints(), "points")
	})
}

func (c *collection) deletePoints(sel *qdrant.PointsSelector, where string) error {
	keys, err := c.selectKeys(sel, where, false)
	if err != nil {
		return err
	}
	for _, k := range keys {
		c.remove(k)
	}
	return nil
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
			m := c.matcher()
			for _, p := range c.sorted {
				if m.matches(req.GetFilter(), p) {
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
		first := 0
		if req.Offset != nil {
			k, err := keyOf(req.GetOffset(), "offset")
			if err != nil {
				return err
			}
			first = c.position(k)
		}
		m := c.matcher()
		for _, p := range c.sorted[first:] {
			if !m.matches(req.GetFilter(), p) {
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
		m := c.matcher()
		for _, p := range c.sorted {
			if m.matches(req.GetFilter(), p) {
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
		return c.setPayload(req.GetPayload(), req.GetPointsSelector(), req.Key, op, false, "")
	})
}

// OverwritePayload replaces the payload of the selected points.
func (ps *pointsService) OverwritePayload(_ context.Context, req *qdrant.SetPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.setPayload(req.GetPayload(), req.GetPointsSelector(), req.Key, op, true, "")
	})
}

func (c *collection) setPayload(payload map[string]*qdrant.Value, sel *qdrant.PointsSelector, key *string, op uint64, overwrite bool, where string) error {
	keys, err := c.selectKeys(sel, where+"points_selector", true)
	if err != nil {
		return err
	}
	var path []string
	if key != nil {
		segs, err := parsePath(*key)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %skey: %v", where, err)
		}
		for _, s := range segs {
			if s.all || s.index >= 0 {
				return unimplemented(where+"key", fmt.Sprintf("an array path (%q) in set_payload", *key))
			}
			path = append(path, s.name)
		}
	}
	for _, k := range keys {
		p := c.points[k]
		np := *p
		np.version = op
		if overwrite && path == nil {
			np.payload = clonePayload(payload)
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
				for k := range target {
					delete(target, k)
				}
			}
			for k, v := range clonePayload(payload) {
				target[k] = v
			}
		}
		c.put(&np)
	}
	return nil
}

// DeletePayload removes keys from the payload of the selected points.
func (ps *pointsService) DeletePayload(_ context.Context, req *qdrant.DeletePayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.deletePayload(req.GetKeys(), req.GetPointsSelector(), op, "")
	})
}

func (c *collection) deletePayload(keys []string, sel *qdrant.PointsSelector, op uint64, where string) error {
	sel2, err := c.selectKeys(sel, where+"points_selector", true)
	if err != nil {
		return err
	}
	for _, k := range sel2 {
		np := *c.points[k]
		np.version = op
		np.payload = clonePayload(np.payload)
		for _, key := range keys {
			deletePath(np.payload, key)
		}
		c.put(&np)
	}
	return nil
}

// ClearPayload removes the whole payload of the selected points.
func (ps *pointsService) ClearPayload(_ context.Context, req *qdrant.ClearPayloadPoints) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.clearPayload(req.GetPoints(), op, "")
	})
}

func (c *collection) clearPayload(sel *qdrant.PointsSelector, op uint64, where string) error {
	keys, err := c.selectKeys(sel, where+"points", true)
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
}

// UpdateVectors replaces the given named vectors of existing points and
// keeps their other vectors.
func (ps *pointsService) UpdateVectors(_ context.Context, req *qdrant.UpdatePointVectors) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.updateVectors(req.GetPoints(), req.UpdateFilter, op, "")
	})
}

func (c *collection) updateVectors(pvs []*qdrant.PointVectors, filter *qdrant.Filter, op uint64, where string) error {
	if err := c.checkFilter(filter, where+"update_filter"); err != nil {
		return err
	}
	updated := make([]*point, 0, len(pvs))
	for i, pv := range pvs {
		k, err := keyOf(pv.GetId(), fmt.Sprintf("%spoints[%d]", where, i))
		if err != nil {
			return err
		}
		old, ok := c.points[k]
		if !ok {
			return status.Errorf(codes.NotFound, "Not found: No point with id %s found (%spoints[%d])", k, where, i)
		}
		np, err := c.decodePoint(&qdrant.PointStruct{Id: pv.GetId(), Vectors: pv.GetVectors()}, i, where)
		if err != nil {
			return err
		}
		merged := *old
		merged.version = op
		merged.dense = map[string][]float32{}
		merged.sparse = map[string]sparseVec{}
		for n, v := range old.dense {
			merged.dense[n] = v
		}
		for n, v := range old.sparse {
			merged.sparse[n] = v
		}
		for n, v := range np.dense {
			merged.dense[n] = v
		}
		for n, v := range np.sparse {
			merged.sparse[n] = v
		}
		if filter != nil && !c.matches(filter, old) {
			continue
		}
		updated = append(updated, &merged)
	}
	for _, p := range updated {
		c.put(p)
	}
	return nil
}

// DeleteVectors removes named vectors from the selected points.
func (ps *pointsService) DeleteVectors(_ context.Context, req *qdrant.DeletePointVectors) (*qdrant.PointsOperationResponse, error) {
	return ps.s.write(req.GetCollectionName(), func(c *collection, op uint64) error {
		return c.deleteVectors(req.GetPointsSelector(), req.GetVectors().GetNames(), op, "")
	})
}

func (c *collection) deleteVectors(sel *qdrant.PointsSelector, names []string, op uint64, where string) error {
	for _, n := range names {
		_, d := c.dense[n]
		_, s := c.sparse[n]
		if !d && !s {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %svectors: Not existing vector name error: %q; collection %q has %s", where, n, c.name, c.vectorNames())
		}
		if n == "" && c.unnamed {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %svectors: the unnamed vector cannot be deleted", where)
		}
	}
	keys, err := c.selectKeys(sel, where+"points_selector", false)
	if err != nil {
		return err
	}
	for _, k := range keys {
		old := c.points[k]
		np := *old
		np.version = op
		np.dense = map[string][]float32{}
		np.sparse = map[string]sparseVec{}
		for n, v := range old.dense {
			np.dense[n] = v
		}
		for n, v := range old.sparse {
			np.sparse[n] = v
		}
		for _, n := range names {
			delete(np.dense, n)
			delete(np.sparse, n)
		}
		c.put(&np)
	}
	return nil
}

// UpdateBatch applies several write operations in order. Like Qdrant it
// is not a transaction: each operation is validated and applied whole,
// and when one fails the earlier ones stay applied; the error names the
// failing operation.
func (ps *pointsService) UpdateBatch(_ context.Context, req *qdrant.UpdateBatchPoints) (*qdrant.UpdateBatchResponse, error) {
	start := time.Now()
	var results []*qdrant.UpdateResult
	_, err := ps.s.write(req.GetCollectionName(), func(c *collection, _ uint64) error {
		for i, o := range req.GetOperations() {
			ps.s.opID++
			op := ps.s.opID
			where := fmt.Sprintf("operations[%d].", i)
			var err error
			switch x := o.GetOperation().(type) {
			case *qdrant.PointsUpdateOperation_Upsert:
				u := x.Upsert
				err = c.upsert(u.GetPoints(), u.GetUpdateMode(), u.UpdateFilter, op, nil, where+"upsert.")
			case *qdrant.PointsUpdateOperation_DeletePoints_:
				err = c.deletePoints(x.DeletePoints.GetPoints(), where+"delete_points.points")
			case *qdrant.PointsUpdateOperation_SetPayload_:
				sp := x.SetPayload
				err = c.setPayload(sp.GetPayload(), sp.GetPointsSelector(), sp.Key, op, false, where+"set_payload.")
			case *qdrant.PointsUpdateOperation_OverwritePayload_:
				sp := x.OverwritePayload
				err = c.setPayload(sp.GetPayload(), sp.GetPointsSelector(), sp.Key, op, true, where+"overwrite_payload.")
			case *qdrant.PointsUpdateOperation_DeletePayload_:
				err = c.deletePayload(x.DeletePayload.GetKeys(), x.DeletePayload.GetPointsSelector(), op, where+"delete_payload.")
			case *qdrant.PointsUpdateOperation_ClearPayload_:
				err = c.clearPayload(x.ClearPayload.GetPoints(), op, where+"clear_payload.")
			case *qdrant.PointsUpdateOperation_UpdateVectors_:
				err = c.updateVectors(x.UpdateVectors.GetPoints(), x.UpdateVectors.UpdateFilter, op, where+"update_vectors.")
			case *qdrant.PointsUpdateOperation_DeleteVectors_:
				err = c.deleteVectors(x.DeleteVectors.GetPointsSelector(), x.DeleteVectors.GetVectors().GetNames(), op, where+"delete_vectors.")
			case nil:
				err = status.Errorf(codes.InvalidArgument, "Wrong input: %s: empty operation", strings.TrimSuffix(where, "."))
			default:
				err = unimplemented(strings.TrimSuffix(where, "."), fmt.Sprintf("deprecated operation %T", x))
			}
			if err != nil {
				return err
			}
			results = append(results, &qdrant.UpdateResult{OperationId: proto.Uint64(op), Status: qdrant.UpdateStatus_Completed})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &qdrant.UpdateBatchResponse{Result: results, Time: elapsed(start)}, nil
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
