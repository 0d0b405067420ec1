package memory

import (
	"slices"
	"sync/atomic"
	"time"
)

// entry is one memory slot of a bank index. Its Memory keeps the sparse
// vector (needed to unindex it) but not the dense one, which lives in the
// bank's flat vector array.
type entry struct {
	// m is never changed once stored (a replacement gets a new Memory),
	// so a search may hand out pointers to it that stay valid and
	// unchanged after the store's lock is released.
	m *Memory
	// aux is the engines' scratch for m (see memAux), beside it in one
	// storedMemory.
	aux     *atomic.Pointer[memAux]
	alive   bool
	hasTime bool
	// nanosExact says start and end stand for When() exactly in the
	// engine's arithmetic (see inNanosRange).
	nanosExact bool
	start, end int64 // unix nanoseconds of When()
	ents       []string
	// sp is the non-zero part of the vector when it has few (see
	// sparseVec), kept in banks that may get a graph: searches there score
	// slots one by one, and sp is a fraction of the row to read.
	sp []spDim
}

// spDim is one non-zero dimension of a vector.
type spDim struct {
	d uint32
	v float32
}

// sparseVec returns the non-zero dimensions of v, increasing, when they
// are at most a quarter of them; nil otherwise.
func sparseVec(v []float32) []spDim {
	n := 0
	for _, x := range v {
		if x != 0 {
			n++
		}
	}
	if n == 0 || n > len(v)/4 {
		return nil
	}
	sp := make([]spDim, 0, n)
	for d, x := range v {
		if x != 0 {
			sp = append(sp, spDim{uint32(d), x})
		}
	}
	return sp
}

// dotSparse is dot(q, v) for the vector v whose non-zero dimensions are
// sp, with the same bits: each product goes to dotGo's lane for its
// dimension, lanes sum in increasing dimension and reduce in dotGo's
// order; the products of zeros it skips change no sum.
func dotSparse(q []float32, sp []spDim) float32 {
	var s [8]float32
	main := uint32(len(q) - len(q)%8)
	for _, e := range sp {
		l := 0
		if e.d < main {
			l = int(e.d % 8)
		}
		s[l] += float32(q[e.d] * e.v)
	}
	return (s[0] + s[4]) + (s[1] + s[5]) + (s[2] + s[6]) + (s[3] + s[7])
}

type posting struct {
	slot int32
	w    float32
}

// bankIndex holds one bank's memories and indexes.
type bankIndex struct {
	entries []entry
	// keys holds each slot's memory id and its idKey, apart from the
	// entries so that the arms make hits and weigh ties without reading
	// them
	keys []slotKey
	vecs []float32 // slot-major, normalised
	// cols is a second copy of vecs, one column per dimension (see
	// setCol), that lets the exact semantic scan of a sparse query (the
	// offline embedder's) read only its non-zero dimensions. It is kept
	// only while the bank has no graph.
	cols  [][]float32
	byID  map[string]int32
	free  []int32
	terms map[uint32][]posting
	// ents lists, per entity key, the slots of the memories carrying it
	// in the order they were stored (newest last).
	ents  map[string][]int32
	graph annGraph
	// stale holds the slots of memories removed since the graph was
	// built: their nodes stay in the graph, as the HNSW package's Delete
	// and re-Add of a key can leave the graph unsearchable (a nil node
	// reached from a neighbour list). Searches skip them (their entries
	// are not alive), and the slots are reused only once a rebuild has
	// dropped their nodes.
	stale []int32
	// days indexes timed memories by the UTC days their span covers
	// (spans up to maxIndexedSpan days); longer spans sit in long.
	days map[int64][]dayRec
	long []int32
}

const (
	nsPerDay       = int64(24 * 60 * 60 * 1e9)
	maxIndexedSpan = 62
)

func dayNum(ns int64) int64 {
	d := ns / nsPerDay
	if ns%nsPerDay < 0 {
		d--
	}
	return d
}

// dayRec is a memory in a day bucket, with what the temporal arm reads
// of it, so that a bucket is read in order rather than slot by slot.
// A bucket is sorted by the middle of the spans (spanMid), so the arm's
// ranking by closeness to a window's middle reads only the records
// around it.
type dayRec struct {
	slot       int32
	start, end int64
	sp         []spDim // the entry's sp
}

// spanMid is the middle of a span as the temporal arm computes it.
func spanMid(start, end int64) int64 { return start/2 + end/2 }

// dayAt returns the index of the first record of rs whose span middle
// is not below mid.
func dayAt(rs []dayRec, mid int64) int {
	lo, hi := 0, len(rs)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if spanMid(rs[h].start, rs[h].end) < mid {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}

func (b *bankIndex) indexTime(slot int32, e *entry) {
	d0, d1 := dayNum(e.start), dayNum(e.end)
	if d1-d0 > maxIndexedSpan {
		b.long = append(b.long, slot)
		return
	}
	mid := spanMid(e.start, e.end)
	r := dayRec{slot: slot, start: e.start, end: e.end, sp: e.sp}
	for d := d0; d <= d1; d++ {
		rs := b.days[d]
		// after the records of the same middle: memories stored in time
		// order are appended
		i := len(rs)
		if i > 0 && spanMid(rs[i-1].start, rs[i-1].end) > mid {
			i = dayAt(rs, mid+1)
		}
		b.days[d] = slices.Insert(rs, i, r)
	}
}

func (b *bankIndex) unindexTime(slot int32, e *entry) {
	d0, d1 := dayNum(e.start), dayNum(e.end)
	if d1-d0 > maxIndexedSpan {
		b.long = dropFirst(b.long, slot, slotOf)
		return
	}
	mid := spanMid(e.start, e.end)
	for d := d0; d <= d1; d++ {
		rs := b.days[d]
		for i := dayAt(rs, mid); i < len(rs) && spanMid(rs[i].start, rs[i].end) == mid; i++ {
			if rs[i].slot == slot {
				rs = slices.Delete(rs, i, i+1)
				break
			}
		}
		if len(rs) == 0 {
			delete(b.days, d)
		} else {
			b.days[d] = rs
		}
	}
}

func newBankIndex() *bankIndex {
	return &bankIndex{byID: map[string]int32{}, terms: map[uint32][]posting{}, ents: map[string][]int32{}, days: map[int64][]dayRec{}}
}

// inNanosRange reports whether t's unix nanoseconds can stand for t in
// the engine's time arithmetic with a stored time (which carries no
// monotonic reading, so comparisons and differences use the wall clock):
// t lies within [nanosMin, nanosMax), so differences of two such times
// neither overflow nor saturate.
func inNanosRange(t time.Time) bool { return !t.Before(nanosMin) && t.Before(nanosMax) }

var (
	nanosMin = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	nanosMax = time.Date(2150, 1, 1, 0, 0, 0, 0, time.UTC)
)

// storedMemory is a memory as the index holds it, with the engines'
// scratch for it.
type storedMemory struct {
	Memory
	aux atomic.Pointer[memAux]
}

// slotKey is a slot's memory id and its idKey.
type slotKey struct {
	key uint64
	id  string
}

// hit is slot's arm hit with this score.
func (b *bankIndex) hit(slot int32, score float64) scored {
	k := &b.keys[slot]
	return scored{slot: slot, score: score, id: k.id, key: k.key}
}

func (b *bankIndex) vec(slot int32, dim int) []float32 {
	return b.vecs[int(slot)*dim : int(slot+1)*dim]
}

// put inserts or replaces m; m.Vector must be normalised already. The
// index takes ownership of m's slices.
func (b *bankIndex) put(m *Memory, dim, hnswThreshold int) {
	if _, ok := b.byID[m.ID]; ok {
		b.remove(m.ID)
	}
	var slot int32
	if n := len(b.free); n > 0 {
		slot = b.free[n-1]
		b.free = b.free[:n-1]
	} else {
		slot = int32(len(b.entries))
		b.entries = append(b.entries, entry{})
		b.keys = append(b.keys, slotKey{})
		b.vecs = append(b.vecs, make([]float32, dim)...)
	}
	copy(b.vec(slot, dim), m.Vector)
	if b.graph == nil {
		b.setCol(slot, dim, m.Vector)
	}
	e := &b.entries[slot]
	sm := new(storedMemory)
	stored := &sm.Memory
	*stored = *m
	stored.Vector = nil
	// wall clock only, as a store file or Qdrant keeps them: a reading
	// of this process's monotonic clock means nothing to the next one
	stored.OccurredStart = stored.OccurredStart.Round(0)
	stored.OccurredEnd = stored.OccurredEnd.Round(0)
	stored.MentionedAt = stored.MentionedAt.Round(0)
	*e = entry{m: stored, aux: &sm.aux, alive: true}
	b.keys[slot] = slotKey{idKey(m.ID), m.ID}
	if hnswThreshold > 0 || b.graph != nil {
		e.sp = sparseVec(m.Vector)
	}
	if s, en, ok := stored.When(); ok {
		e.hasTime, e.start, e.end = true, s.UnixNano(), en.UnixNano()
		e.nanosExact = inNanosRange(s) && inNanosRange(en)
		b.indexTime(slot, e)
	}
	for _, name := range m.Entities {
		k := EntityKey(name)
		if k == "" || contains(e.ents, k) {
			continue
		}
		e.ents = append(e.ents, k)
		b.ents[k] = append(b.ents[k], slot)
	}
	for i, t := range m.Sparse.Indices {
		b.terms[t] = append(b.terms[t], posting{slot: slot, w: m.Sparse.Values[i]})
	}
	b.byID[m.ID] = slot
	switch {
	case b.graph != nil && len(b.stale) > len(b.byID)/2:
		b.buildGraph(dim) // drops the stale nodes; their slots are reused
	case b.graph != nil:
		b.graph.add(slot, append([]float32(nil), b.vec(slot, dim)...))
	case hnswThreshold > 0 && len(b.byID) >= hnswThreshold:
		b.buildGraph(dim)
	}
}

func (b *bankIndex) buildGraph(dim int) {
	slots := make([]int32, 0, len(b.byID))
	vecs := make([][]float32, 0, len(b.byID))
	for i := range b.entries {
		if b.entries[i].alive {
			slots = append(slots, int32(i))
			vecs = append(vecs, append([]float32(nil), b.vec(int32(i), dim)...))
		}
	}
	b.graph = newANNGraph(slots, vecs)
	b.cols = nil // searches of a bank with a graph do not scan columns
	b.free = append(b.free, b.stale...)
	b.stale = nil
}

// tidy rebuilds the graph once more than half as many removed memories
// as live ones linger in it.
func (b *bankIndex) tidy(dim int) {
	if b.graph != nil && len(b.stale) > len(b.byID)/2 {
		b.buildGraph(dim)
	}
}

func (b *bankIndex) remove(id string) {
	slot, ok := b.byID[id]
	if !ok {
		return
	}
	e := &b.entries[slot]
	for _, t := range e.m.Sparse.Indices {
		b.terms[t] = dropFirst(b.terms[t], slot, postingSlot)
		if len(b.terms[t]) == 0 {
			delete(b.terms, t)
		}
	}
	for _, k := range e.ents {
		b.ents[k] = dropSlotOrdered(b.ents[k], slot)
		if len(b.ents[k]) == 0 {
			delete(b.ents, k)
		}
	}
	if e.hasTime {
		b.unindexTime(slot, e)
	}
	*e = entry{}
	delete(b.byID, id)
	if b.graph != nil {
		b.stale = append(b.stale, slot) // see bankIndex.stale
	} else {
		b.free = append(b.free, slot)
	}
}

// dropFirst removes the first element of xs whose slot (as slotOf reads
// it) is slot, moving the last element into its place.
func dropFirst[T any](xs []T, slot int32, slotOf func(*T) int32) []T {
	for i := range xs {
		if slotOf(&xs[i]) == slot {
			xs[i] = xs[len(xs)-1]
			return xs[:len(xs)-1]
		}
	}
	return xs
}

func postingSlot(p *posting) int32 { return p.slot }
func slotOf(s *int32) int32        { return *s }

// dropSlotOrdered removes slot from ss keeping the others in order: the
// entity arm reads a posting list's tail as its newest memories.
func dropSlotOrdered(ss []int32, slot int32) []int32 {
	for i := len(ss) - 1; i >= 0; i-- {
		if ss[i] == slot {
			return append(ss[:i], ss[i+1:]...)
		}
	}
	return ss
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
