package qdrant

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jedisos/jedisos/memory"
	"github.com/qdrant/go-client/qdrant"
)

// Payload keys of a memory point.
const (
	keyBank        = "bank"         // keyword, tenant index
	keyID          = "id"           // the memory's own id
	keyKind        = "kind"         // keyword index
	keyText        = "text"         //
	keyContext     = "context"      //
	keyEntities    = "entities"     // keyword index: entity keys (trimmed, lower case)
	keyEntityNames = "entity_names" // entities as given
	keyTags        = "tags"         // keyword index
	keyStart       = "occurred_start"
	keyEnd         = "occurred_end"
	keyMentioned   = "mentioned_at"
	keyWhenStart   = "when_start" // datetime index: start of Memory.When
	keyWhenEnd     = "when_end"   // datetime index: end of Memory.When
	keyWhenMid     = "when_mid"   // integer index: middle of Memory.When, Unix µs
	keyDocument    = "document_id"
	keySource      = "source"    // the whole retained content, when it holds more than the fact
	keySourceID    = "source_id" // keyword index: the id shared by the facts of one content
	keyMetadata    = "metadata"
	keyConfidence  = "confidence"
	keyLinks       = "links"
)

// Payload keys of a bank profile point. Profiles carry no "bank" key, so
// no memory filter, search or count ever sees them.
const (
	keyProfileOf   = "profile_of" // keyword index
	keyName        = "name"
	keyBackground  = "background"
	keyDisposition = "disposition"
	keyCreatedAt   = "created_at"
)

// pointNamespace is the UUIDv5 namespace of point ids.
var pointNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/jedisos/jedisos/memory/qdrant"))

// PointID returns the Qdrant point id of a memory: a UUIDv5 over the bank
// and the memory id. Deriving it from both keeps banks isolated even when
// two banks use the same memory id, and accepts memory ids that are not
// UUIDs.
func PointID(bank, id string) string {
	return uuid.NewSHA1(pointNamespace, []byte("m\x00"+bank+"\x00"+id)).String()
}

// ProfileID returns the point id of a bank's profile.
func ProfileID(bank string) string {
	return uuid.NewSHA1(pointNamespace, []byte("b\x00"+bank)).String()
}

func entityKeys(es []string) []string {
	var out []string
	for _, e := range es {
		k := memory.EntityKey(e)
		if k == "" {
			continue
		}
		dup := false
		for _, x := range out {
			if x == k {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, k)
		}
	}
	return out
}

func strList(ss []string) *qdrant.Value {
	vs := make([]*qdrant.Value, len(ss))
	for i, s := range ss {
		vs[i] = qdrant.NewValueString(s)
	}
	return qdrant.NewValueFromList(vs...)
}

func timeValue(t time.Time) *qdrant.Value {
	return qdrant.NewValueString(t.UTC().Format(time.RFC3339Nano))
}

// whenMid is the middle of [s, e] in Unix microseconds, computed as the
// embedded store does (halves first, so it never overflows).
func whenMid(s, e time.Time) int64 {
	return (s.UnixNano()/2 + e.UnixNano()/2) / 1000
}

// payload encodes m. Lists are []*Value and times RFC 3339 strings, as
// Qdrant's datetime index requires.
func payload(m *memory.Memory) map[string]*qdrant.Value {
	p := map[string]*qdrant.Value{
		keyBank: qdrant.NewValueString(m.Bank),
		keyID:   qdrant.NewValueString(m.ID),
		keyKind: qdrant.NewValueString(string(m.Kind)),
		keyText: qdrant.NewValueString(m.Text),
	}
	if m.Context != "" {
		p[keyContext] = qdrant.NewValueString(m.Context)
	}
	if len(m.Entities) > 0 {
		p[keyEntityNames] = strList(m.Entities)
		p[keyEntities] = strList(entityKeys(m.Entities))
	}
	if len(m.Tags) > 0 {
		p[keyTags] = strList(m.Tags)
	}
	if !m.OccurredStart.IsZero() {
		p[keyStart] = timeValue(m.OccurredStart)
	}
	if !m.OccurredEnd.IsZero() {
		p[keyEnd] = timeValue(m.OccurredEnd)
	}
	if !m.MentionedAt.IsZero() {
		p[keyMentioned] = timeValue(m.MentionedAt)
	}
	if s, e, ok := m.When(); ok {
		p[keyWhenStart] = timeValue(s)
		p[keyWhenEnd] = timeValue(e)
		p[keyWhenMid] = qdrant.NewValueInt(whenMid(s, e))
	}
	if m.DocumentID != "" {
		p[keyDocument] = qdrant.NewValueString(m.DocumentID)
	}
	if m.Source != "" {
		p[keySource] = qdrant.NewValueString(m.Source)
	}
	if m.SourceID != "" {
		p[keySourceID] = qdrant.NewValueString(m.SourceID)
	}
	if len(m.Metadata) > 0 {
		f := make(map[string]*qdrant.Value, len(m.Metadata))
		for k, v := range m.Metadata {
			f[k] = qdrant.NewValueString(v)
		}
		p[keyMetadata] = qdrant.NewValueFromFields(f)
	}
	if m.Confidence != 0 {
		p[keyConfidence] = qdrant.NewValueDouble(m.Confidence)
	}
	if len(m.Links) > 0 {
		ls := make([]*qdrant.Value, len(m.Links))
		for i, l := range m.Links {
			ls[i] = qdrant.NewValueFromFields(map[string]*qdrant.Value{
				"target": qdrant.NewValueString(l.Target),
				"kind":   qdrant.NewValueString(string(l.Kind)),
				"weight": qdrant.NewValueDouble(float64(l.Weight)),
			})
		}
		p[keyLinks] = qdrant.NewValueFromList(ls...)
	}
	return p
}

// point encodes m with its dense vector, its entity vector and, when it
// has terms, its sparse BM25 vector.
func point(m *memory.Memory) *qdrant.PointStruct {
	vecs := map[string]*qdrant.Vector{DenseVector: qdrant.NewVectorDense(m.Vector)}
	if m.Sparse.Len() > 0 {
		vecs[SparseVector] = qdrant.NewVectorSparse(m.Sparse.Indices, m.Sparse.Values)
	}
	ev := map[uint32]float64{bankMarker(m.Bank): 1}
	for _, k := range entityKeys(m.Entities) {
		ev[entityIndex(m.Bank, k)] = 1
	}
	idx, vals := sparseOfMap(ev)
	vecs[EntityVector] = qdrant.NewVectorSparse(idx, vals)
	return &qdrant.PointStruct{
		Id:      qdrant.NewID(PointID(m.Bank, m.ID)),
		Vectors: qdrant.NewVectorsMap(vecs),
		Payload: payload(m),
	}
}

// entityIndex is the index of an entity key of bank in [EntityVector]:
// the FNV-1a hash of bank and key, so that Qdrant's document frequency of
// the index counts the memories of that bank carrying the entity.
func entityIndex(bank, key string) uint32 { return memory.TermIndex(bank + "\x00" + key) }

// bankMarker is the index every memory of bank holds in [EntityVector],
// so every memory point counts in the vector's IDF (its N). No query
// asks for it (entity keys are never empty).
func bankMarker(bank string) uint32 { return memory.TermIndex(bank + "\x00") }

// sparseOfMap lays out a sparse vector with indices increasing.
func sparseOfMap(m map[uint32]float64) ([]uint32, []float32) {
	idx := make([]uint32, 0, len(m))
	for i := range m {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	vals := make([]float32, len(idx))
	for k, i := range idx {
		vals[k] = float32(m[i])
	}
	return idx, vals
}

func str(p map[string]*qdrant.Value, k string) string { return p[k].GetStringValue() }

func strs(p map[string]*qdrant.Value, k string) []string {
	l := p[k].GetListValue().GetValues()
	if len(l) == 0 {
		return nil
	}
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = v.GetStringValue()
	}
	return out
}

func tm(p map[string]*qdrant.Value, k, id string) (time.Time, error) {
	v, ok := p[k]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v.GetStringValue())
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: qdrant: memory %s: payload %s: %v", memory.ErrCorrupt, id, k, err)
	}
	return t, nil
}

func number(v *qdrant.Value) float64 {
	switch k := v.GetKind().(type) {
	case *qdrant.Value_DoubleValue:
		return k.DoubleValue
	case *qdrant.Value_IntegerValue:
		return float64(k.IntegerValue)
	}
	return 0
}

// decode rebuilds a memory from a point's payload and (optional) vectors.
func decode(p map[string]*qdrant.Value, vecs *qdrant.VectorsOutput) (memory.Memory, error) {
	m := memory.Memory{
		ID:         str(p, keyID),
		Bank:       str(p, keyBank),
		Kind:       memory.Kind(str(p, keyKind)),
		Text:       str(p, keyText),
		Context:    str(p, keyContext),
		Entities:   strs(p, keyEntityNames),
		Tags:       strs(p, keyTags),
		DocumentID: str(p, keyDocument),
		Source:     str(p, keySource),
		SourceID:   str(p, keySourceID),
		Confidence: number(p[keyConfidence]),
	}
	if m.ID == "" || m.Bank == "" {
		return memory.Memory{}, fmt.Errorf("%w: qdrant: point has no memory id or bank in its payload", memory.ErrCorrupt)
	}
	var err error
	if m.OccurredStart, err = tm(p, keyStart, m.ID); err != nil {
		return memory.Memory{}, err
	}
	if m.OccurredEnd, err = tm(p, keyEnd, m.ID); err != nil {
		return memory.Memory{}, err
	}
	if m.MentionedAt, err = tm(p, keyMentioned, m.ID); err != nil {
		return memory.Memory{}, err
	}
	if f := p[keyMetadata].GetStructValue().GetFields(); len(f) > 0 {
		m.Metadata = make(map[string]string, len(f))
		for k, v := range f {
			m.Metadata[k] = v.GetStringValue()
		}
	}
	for _, lv := range p[keyLinks].GetListValue().GetValues() {
		f := lv.GetStructValue().GetFields()
		m.Links = append(m.Links, memory.Link{
			Target: f["target"].GetStringValue(),
			Kind:   memory.LinkKind(f["kind"].GetStringValue()),
			Weight: float32(number(f["weight"])),
		})
	}
	if named := vecs.GetVectors().GetVectors(); named != nil {
		if d := named[DenseVector]; d != nil {
			m.Vector = denseOf(d)
		}
		if s := named[SparseVector]; s != nil {
			m.Sparse = sparseOf(s)
		}
	}
	return m, nil
}

func denseOf(v *qdrant.VectorOutput) []float32 {
	if d := v.GetDense(); d != nil {
		return d.GetData()
	}
	return v.GetData() //nolint:staticcheck // servers before 1.12 fill only the deprecated field
}

func sparseOf(v *qdrant.VectorOutput) memory.SparseVector {
	if s := v.GetSparse(); s != nil {
		return memory.SparseVector{Indices: s.GetIndices(), Values: s.GetValues()}
	}
	return memory.SparseVector{Indices: v.GetIndices().GetData(), Values: v.GetData()} //nolint:staticcheck // as above
}

func profilePayload(b *memory.Bank) map[string]*qdrant.Value {
	p := map[string]*qdrant.Value{
		keyProfileOf: qdrant.NewValueString(b.ID),
		keyDisposition: qdrant.NewValueFromFields(map[string]*qdrant.Value{
			"skepticism": qdrant.NewValueInt(int64(b.Disposition.Skepticism)),
			"literalism": qdrant.NewValueInt(int64(b.Disposition.Literalism)),
			"empathy":    qdrant.NewValueInt(int64(b.Disposition.Empathy)),
		}),
	}
	if b.Name != "" {
		p[keyName] = qdrant.NewValueString(b.Name)
	}
	if b.Background != "" {
		p[keyBackground] = qdrant.NewValueString(b.Background)
	}
	if !b.CreatedAt.IsZero() {
		p[keyCreatedAt] = timeValue(b.CreatedAt)
	}
	return p
}

func decodeProfile(p map[string]*qdrant.Value) (memory.Bank, error) {
	b := memory.Bank{ID: str(p, keyProfileOf), Name: str(p, keyName), Background: str(p, keyBackground)}
	d := p[keyDisposition].GetStructValue().GetFields()
	b.Disposition = memory.Disposition{
		Skepticism: int(number(d["skepticism"])),
		Literalism: int(number(d["literalism"])),
		Empathy:    int(number(d["empathy"])),
	}
	var err error
	if b.CreatedAt, err = tm(p, keyCreatedAt, "profile "+b.ID); err != nil {
		return memory.Bank{}, err
	}
	return b, nil
}
