package qdranttest

import (
	"strings"

	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// checkVectorSelector rejects with_vectors names the collection lacks.
func (c *collection) checkVectorSelector(sel *qdrant.WithVectorsSelector, where string) error {
	inc, ok := sel.GetSelectorOptions().(*qdrant.WithVectorsSelector_Include)
	if !ok {
		return nil
	}
	for _, n := range inc.Include.GetNames() {
		_, d := c.dense[n]
		_, s := c.sparse[n]
		if !d && !s {
			return status.Errorf(codes.InvalidArgument, "Wrong input: %s: Not existing vector name error: %q; collection %q has %s", where, n, c.name, c.vectorNames())
		}
	}
	return nil
}

// retrieved builds a RetrievedPoint; payloadByDefault says what a nil
// with_payload means for the calling method.
func (c *collection) retrieved(p *point, wp *qdrant.WithPayloadSelector, payloadByDefault bool, wv *qdrant.WithVectorsSelector, order *qdrant.OrderValue) *qdrant.RetrievedPoint {
	return &qdrant.RetrievedPoint{
		Id:         p.key.id(),
		Payload:    selectPayload(p.payload, wp, payloadByDefault),
		Vectors:    c.vectorsOut(p, wv),
		OrderValue: order,
	}
}

func (c *collection) scoredPoint(r scored, wp *qdrant.WithPayloadSelector, wv *qdrant.WithVectorsSelector) *qdrant.ScoredPoint {
	return &qdrant.ScoredPoint{
		Id:         r.p.key.id(),
		Payload:    selectPayload(r.p.payload, wp, false),
		Score:      r.score,
		Version:    r.p.version,
		Vectors:    c.vectorsOut(r.p, wv),
		OrderValue: r.order,
	}
}

func selectPayload(payload map[string]*qdrant.Value, sel *qdrant.WithPayloadSelector, byDefault bool) map[string]*qdrant.Value {
	switch x := sel.GetSelectorOptions().(type) {
	case nil:
		if byDefault {
			return clonePayload(payload)
		}
		return nil
	case *qdrant.WithPayloadSelector_Enable:
		if x.Enable {
			return clonePayload(payload)
		}
		return nil
	case *qdrant.WithPayloadSelector_Include:
		out := map[string]*qdrant.Value{}
		for _, key := range x.Include.GetFields() {
			parts := strings.Split(key, ".")
			v, ok := getPath(payload, parts)
			if !ok {
				continue
			}
			setPath(out, parts, proto.Clone(v).(*qdrant.Value))
		}
		return out
	case *qdrant.WithPayloadSelector_Exclude:
		out := clonePayload(payload)
		for _, key := range x.Exclude.GetFields() {
			deletePath(out, key)
		}
		return out
	}
	return nil
}

func getPath(fields map[string]*qdrant.Value, parts []string) (*qdrant.Value, bool) {
	v, ok := fields[parts[0]]
	if !ok {
		return nil, false
	}
	if len(parts) == 1 {
		return v, true
	}
	s, isObj := v.GetKind().(*qdrant.Value_StructValue)
	if !isObj {
		return nil, false
	}
	return getPath(s.StructValue.GetFields(), parts[1:])
}

func setPath(fields map[string]*qdrant.Value, parts []string, v *qdrant.Value) {
	if len(parts) == 1 {
		fields[parts[0]] = v
		return
	}
	cur, ok := fields[parts[0]].GetKind().(*qdrant.Value_StructValue)
	if !ok {
		cur = &qdrant.Value_StructValue{StructValue: &qdrant.Struct{Fields: map[string]*qdrant.Value{}}}
		fields[parts[0]] = &qdrant.Value{Kind: cur}
	}
	setPath(cur.StructValue.Fields, parts[1:], v)
}

// deletePath removes a dotted key from a payload it owns.
func deletePath(fields map[string]*qdrant.Value, key string) {
	parts := strings.Split(key, ".")
	for len(parts) > 1 {
		s, ok := fields[parts[0]].GetKind().(*qdrant.Value_StructValue)
		if !ok {
			return
		}
		fields = s.StructValue.GetFields()
		parts = parts[1:]
	}
	delete(fields, parts[0])
}

func (c *collection) vectorsOut(p *point, sel *qdrant.WithVectorsSelector) *qdrant.VectorsOutput {
	var names map[string]bool
	switch x := sel.GetSelectorOptions().(type) {
	case nil:
		return nil
	case *qdrant.WithVectorsSelector_Enable:
		if !x.Enable {
			return nil
		}
	case *qdrant.WithVectorsSelector_Include:
		names = map[string]bool{}
		for _, n := range x.Include.GetNames() {
			names[n] = true
		}
	}
	if c.unnamed && (names == nil || names[""]) && len(c.sparse) == 0 {
		return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vector{Vector: denseOut(p.dense[""])}}
	}
	out := &qdrant.NamedVectorsOutput{Vectors: map[string]*qdrant.VectorOutput{}}
	for n, d := range p.dense {
		if names == nil || names[n] {
			out.Vectors[n] = denseOut(d)
		}
	}
	for n, s := range p.sparse {
		if names == nil || names[n] {
			out.Vectors[n] = &qdrant.VectorOutput{Vector: &qdrant.VectorOutput_Sparse{Sparse: &qdrant.SparseVector{
				Indices: append([]uint32(nil), s.idx...), Values: append([]float32(nil), s.val...)}}}
		}
	}
	return &qdrant.VectorsOutput{VectorsOptions: &qdrant.VectorsOutput_Vectors{Vectors: out}}
}

func denseOut(d []float32) *qdrant.VectorOutput {
	return &qdrant.VectorOutput{Vector: &qdrant.VectorOutput_Dense{Dense: &qdrant.DenseVector{Data: append([]float32(nil), d...)}}}
}
