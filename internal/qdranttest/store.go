package qdranttest

import (
	"bytes"
	"fmt"
	"math"
	"sort"

	"github.com/google/uuid"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// pointKey is a comparable, ordered form of a point id: numeric ids sort
// before UUIDs, numbers by value, UUIDs by their bytes.
type pointKey struct {
	isUUID bool
	num    uint64
	uuid   [16]byte
}

func (k pointKey) less(o pointKey) bool {
	if k.isUUID != o.isUUID {
		return !k.isUUID
	}
	if !k.isUUID {
		return k.num < o.num
	}
	return bytes.Compare(k.uuid[:], o.uuid[:]) < 0
}

// String formats the id as Qdrant prints it: a number or a UUID.
func (k pointKey) String() string {
	if k.isUUID {
		return uuid.UUID(k.uuid).String()
	}
	return fmt.Sprint(k.num)
}

func (k pointKey) id() *qdrant.PointId {
	if k.isUUID {
		return qdrant.NewID(uuid.UUID(k.uuid).String())
	}
	return qdrant.NewIDNum(k.num)
}

func keyOf(id *qdrant.PointId, where string) (pointKey, error) {
	switch v := id.GetPointIdOptions().(type) {
	case *qdrant.PointId_Num:
		return pointKey{num: v.Num}, nil
	case *qdrant.PointId_Uuid:
		u, err := uuid.Parse(v.Uuid)
		if err != nil {
			return pointKey{}, status.Errorf(codes.InvalidArgument, "Wrong input: %s: unable to parse UUID %q: %v", where, v.Uuid, err)
		}
		return pointKey{isUUID: true, uuid: u}, nil
	default:
		return pointKey{}, status.Errorf(codes.InvalidArgument, "Wrong input: %s: point id is missing (it must be an unsigned integer or a UUID)", where)
	}
}

type sparseVec struct {
	idx []uint32 // sorted ascending, unique
	val []float32
}

type point struct {
	key     pointKey
	dense   map[string][]float32
	sparse  map[string]sparseVec
	payload map[string]*qdrant.Value
	version uint64
}

type collection struct {
	name       string
	create     *qdrant.CreateCollection // as received, for reporting back
	unnamed    bool                     // dense config was a single unnamed vector
	dense      map[string]*qdrant.VectorParams
	sparse     map[string]*qdrant.SparseVectorParams
	points     map[pointKey]*point
	sorted     []*point // points ordered by id, kept in step with points
	indexes    map[string]*qdrant.PayloadSchemaInfo
	df         map[string]map[uint32]int // sparse name -> index -> points having it
	sparseN    map[string]int            // sparse name -> points having that vector
	textIndexd map[string]bool
}

func notFound(name string) error {
	return status.Errorf(codes.NotFound, "Not found: Collection `%s` doesn't exist!", name)
}

// newCollection validates a create request and builds the empty collection.
func newCollection(req *qdrant.CreateCollection) (*collection, error) {
	c := &collection{
		name:       req.GetCollectionName(),
		create:     proto.Clone(req).(*qdrant.CreateCollection),
		dense:      map[string]*qdrant.VectorParams{},
		sparse:     map[string]*qdrant.SparseVectorParams{},
		points:     map[pointKey]*point{},
		indexes:    map[string]*qdrant.PayloadSchemaInfo{},
		df:         map[string]map[uint32]int{},
		sparseN:    map[string]int{},
		textIndexd: map[string]bool{},
	}
	if c.name == "" {
		return nil, status.Error(codes.InvalidArgument, "Wrong input: collection_name must not be empty")
	}
	switch cfg := req.GetVectorsConfig().GetConfig().(type) {
	case nil:
	case *qdrant.VectorsConfig_Params:
		c.unnamed = true
		c.dense[""] = cfg.Params
	case *qdrant.VectorsConfig_ParamsMap:
		for name, p := range cfg.ParamsMap.GetMap() {
			if name == "" {
				return nil, status.Error(codes.InvalidArgument, "Wrong input: vectors_config: a named vector must have a non-empty name")
			}
			c.dense[name] = p
		}
	}
	for name, p := range c.dense {
		label := fmt.Sprintf("vector %q", name)
		if name == "" {
			label = "the unnamed vector"
		}
		if p == nil || p.GetSize() == 0 {
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: vectors_config: %s: size must be greater than 0", label)
		}
		switch p.GetDistance() {
		case qdrant.Distance_Cosine, qdrant.Distance_Dot, qdrant.Distance_Euclid, qdrant.Distance_Manhattan:
		default:
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: vectors_config: %s: unknown distance %v", label, p.GetDistance())
		}
		if p.MultivectorConfig != nil {
			return nil, status.Errorf(codes.Unimplemented, "qdranttest: vectors_config: %s: multivector_config is not supported", label)
		}
	}
	for name, p := range req.GetSparseVectorsConfig().GetMap() {
		if name == "" {
			return nil, status.Error(codes.InvalidArgument, "Wrong input: sparse_vectors_config: a sparse vector must have a non-empty name")
		}
		if _, clash := c.dense[name]; clash {
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: vector name %q is used by both a dense and a sparse vector", name)
		}
		if p == nil {
			p = &qdrant.SparseVectorParams{}
		}
		switch p.GetModifier() {
		case qdrant.Modifier_None, qdrant.Modifier_Idf:
		default:
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: sparse vector %q: unknown modifier %v", name, p.GetModifier())
		}
		c.sparse[name] = p
		c.df[name] = map[uint32]int{}
	}
	return c, nil
}

func vectorLabel(name string) string {
	if name == "" {
		return "the unnamed vector"
	}
	return fmt.Sprintf("vector %q", name)
}

// decodeVector turns one wire vector into a dense or sparse vector checked
// against the collection's configuration for name.
func (c *collection) decodeVector(name string, v *qdrant.Vector, where string) (dense []float32, sp *sparseVec, err error) {
	var d []float32
	var s *qdrant.SparseVector
	switch x := v.GetVector().(type) {
	case *qdrant.Vector_Dense:
		d = x.Dense.GetData()
		if d == nil {
			d = []float32{}
		}
	case *qdrant.Vector_Sparse:
		s = x.Sparse
		if s == nil {
			s = &qdrant.SparseVector{}
		}
	case nil:
		//nolint:staticcheck // deprecated fields still sent by older clients
		if v.GetIndices() != nil {
			s = &qdrant.SparseVector{Indices: v.GetIndices().GetData(), Values: v.GetData()}
		} else {
			d = v.GetData()
			if d == nil {
				d = []float32{}
			}
		}
	case *qdrant.Vector_MultiDense:
		return nil, nil, status.Errorf(codes.Unimplemented, "qdranttest: %s: %s: multi-dense vectors are not supported", where, vectorLabel(name))
	default:
		return nil, nil, status.Errorf(codes.Unimplemented, "qdranttest: %s: %s: inference inputs (document, image, object) are not supported", where, vectorLabel(name))
	}
	if p, ok := c.dense[name]; ok {
		if s != nil {
			return nil, nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s: %s is dense but a sparse vector was given", where, vectorLabel(name))
		}
		if uint64(len(d)) != p.GetSize() {
			return nil, nil, status.Errorf(codes.InvalidArgument, "Wrong input: Vector dimension error: expected dim: %d, got %d (%s, %s)", p.GetSize(), len(d), where, vectorLabel(name))
		}
		out := append([]float32(nil), d...)
		if p.GetDistance() == qdrant.Distance_Cosine {
			normalize(out)
		}
		return out, nil, nil
	}
	if _, ok := c.sparse[name]; ok {
		if s == nil {
			return nil, nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s: %s is sparse but a dense vector was given", where, vectorLabel(name))
		}
		sv, err := makeSparse(s.GetIndices(), s.GetValues(), fmt.Sprintf("%s, %s", where, vectorLabel(name)))
		if err != nil {
			return nil, nil, err
		}
		return nil, &sv, nil
	}
	return nil, nil, status.Errorf(codes.InvalidArgument, "Wrong input: Not existing vector name error: %q (%s); collection %q has %s", name, where, c.name, c.vectorNames())
}

func (c *collection) vectorNames() string {
	var names []string
	for n := range c.dense {
		if n == "" {
			names = append(names, "an unnamed dense vector")
		} else {
			names = append(names, fmt.Sprintf("dense %q", n))
		}
	}
	for n := range c.sparse {
		names = append(names, fmt.Sprintf("sparse %q", n))
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "no vectors"
	}
	return fmt.Sprint(names)
}

func makeSparse(idx []uint32, val []float32, where string) (sparseVec, error) {
	if len(idx) != len(val) {
		return sparseVec{}, status.Errorf(codes.InvalidArgument, "Wrong input: %s: sparse vector has %d indices but %d values", where, len(idx), len(val))
	}
	order := make([]int, len(idx))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return idx[order[a]] < idx[order[b]] })
	sv := sparseVec{idx: make([]uint32, len(idx)), val: make([]float32, len(idx))}
	for i, o := range order {
		sv.idx[i] = idx[o]
		sv.val[i] = val[o]
		if i > 0 && sv.idx[i] == sv.idx[i-1] {
			return sparseVec{}, status.Errorf(codes.InvalidArgument, "Wrong input: %s: sparse vector index %d appears more than once", where, sv.idx[i])
		}
	}
	return sv, nil
}

func normalize(v []float32) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return
	}
	n = math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) / n)
	}
}

// decodePoint validates a wire point into a stored point (not yet inserted).
func (c *collection) decodePoint(ps *qdrant.PointStruct, i int, prefix string) (*point, error) {
	where := fmt.Sprintf("%spoints[%d]", prefix, i)
	k, err := keyOf(ps.GetId(), where)
	if err != nil {
		return nil, err
	}
	where = fmt.Sprintf("%spoints[%d] (id %s)", prefix, i, k)
	p := &point{key: k, dense: map[string][]float32{}, sparse: map[string]sparseVec{}, payload: clonePayload(ps.GetPayload())}
	switch vs := ps.GetVectors().GetVectorsOptions().(type) {
	case nil:
	case *qdrant.Vectors_Vector:
		d, s, err := c.decodeVector("", vs.Vector, where)
		if err != nil {
			return nil, err
		}
		if s != nil {
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s: a sparse vector needs a name", where)
		}
		p.dense[""] = d
	case *qdrant.Vectors_Vectors:
		for name, v := range vs.Vectors.GetVectors() {
			d, s, err := c.decodeVector(name, v, where)
			if err != nil {
				return nil, err
			}
			if s != nil {
				p.sparse[name] = *s
			} else {
				p.dense[name] = d
			}
		}
	}
	if c.unnamed {
		if _, ok := p.dense[""]; !ok {
			return nil, status.Errorf(codes.InvalidArgument, "Wrong input: %s: the collection's unnamed vector is missing", where)
		}
	}
	return p, nil
}

// put inserts or replaces a point and keeps the sparse statistics.
func (c *collection) put(p *point) {
	i := c.position(p.key)
	if old, ok := c.points[p.key]; ok {
		c.unindexSparse(old)
		c.sorted[i] = p
	} else {
		c.sorted = append(c.sorted, nil)
		copy(c.sorted[i+1:], c.sorted[i:])
		c.sorted[i] = p
	}
	c.points[p.key] = p
	c.indexSparse(p)
}

// position is the index of k in the id-ordered view, or where it would go.
func (c *collection) position(k pointKey) int {
	return sort.Search(len(c.sorted), func(i int) bool { return !c.sorted[i].key.less(k) })
}

func (c *collection) remove(k pointKey) bool {
	old, ok := c.points[k]
	if !ok {
		return false
	}
	c.unindexSparse(old)
	delete(c.points, k)
	i := c.position(k)
	c.sorted = append(c.sorted[:i], c.sorted[i+1:]...)
	return true
}

func (c *collection) indexSparse(p *point) {
	for name, sv := range p.sparse {
		c.sparseN[name]++
		for _, i := range sv.idx {
			c.df[name][i]++
		}
	}
}

func (c *collection) unindexSparse(p *point) {
	for name, sv := range p.sparse {
		c.sparseN[name]--
		for _, i := range sv.idx {
			c.df[name][i]--
			if c.df[name][i] == 0 {
				delete(c.df[name], i)
			}
		}
	}
}

// idf is Qdrant's inverse document frequency of a sparse index.
func (c *collection) idf(name string, index uint32) float64 {
	n := float64(c.sparseN[name])
	df := float64(c.df[name][index])
	return math.Log((n-df+0.5)/(df+0.5) + 1)
}

func clonePayload(in map[string]*qdrant.Value) map[string]*qdrant.Value {
	out := make(map[string]*qdrant.Value, len(in))
	for k, v := range in {
		if v == nil {
			v = qdrant.NewValueNull()
		}
		out[k] = proto.Clone(v).(*qdrant.Value)
	}
	return out
}
