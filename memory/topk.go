package memory

import (
	"math"
	"math/bits"
	"slices"
	"sync"
)

// scored is one arm hit inside a store: a slot and its score.
type scored struct {
	slot  int32
	score float64
	id    string
	// key is idKey(id) (or 0, which only makes ties slower to break)
	key uint64
}

// better orders hits best first: higher score, then smaller id.
func better(a, b *scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.key != b.key && a.key != 0 && b.key != 0 {
		return a.key < b.key
	}
	return a.id < b.id
}

// idKey is the first eight bytes of id, big-endian, zero-padded: where
// two keys differ they order as the ids do, so ties of score are
// mostly broken without reading the ids.
func idKey(id string) uint64 {
	var k uint64
	for i := 0; i < 8; i++ {
		k <<= 8
		if i < len(id) {
			k |= uint64(id[i])
		}
	}
	return k
}

// topK keeps the k best hits of a stream (best by better). Hits are
// appended as they come; when the buffer is full, the floor is raised to
// the k-th best score so far and the buffer cut to the hits at or above
// it (and, when ties at the floor would leave it longer than 2k, sorted
// and cut to k, so a tie whose id sorts after the k-th is refused too).
// sorted then orders what is left and keeps the first k. That is the k
// best of every hit pushed, as a heap of k would keep, for an append per
// hit instead of a heap's sift: an arm whose own floor already turns away
// all but about k of its hits never raises.
type topK struct {
	k int
	// h is the buffer, taken from hitBufs at the first push and given
	// back by sorted; out the caller's storage for the result.
	h   []scored
	hp  *[]scored
	out []scored
	// floor is the k-th best score of the hits pushed before the last
	// raise (set once one happened); cut: the buffer was cut to k and
	// cutAt is the k-th hit then, whose ties on score are kept only with
	// an id key not after its own.
	floor float64
	set   bool
	cut   bool
	cutAt scored
	full  int // the length at which the floor is raised next
}

// newTopK returns a topK of k whose sorted result is put in buf.
func newTopK(k int, buf []scored) topK { return topK{k: k, out: buf[:0], full: 4*k + 64} }

// hitBufs are the buffers of topK, which holds more than its k hits
// between raises.
var hitBufs = sync.Pool{New: func() any { return new([]scored) }}

// wouldKeep reports whether a hit with this score could be among the k
// best; it lets callers skip work for hopeless hits.
func (t *topK) wouldKeep(score float64) bool {
	return !t.set || score >= t.floor
}

// wouldKeepKey is wouldKeep for a hit whose id key is known: once the
// buffer was cut to k, a tie with the k-th hit whose id sorts after it is
// refused as well.
func (t *topK) wouldKeepKey(score float64, key uint64) bool {
	if !t.set || score > t.floor {
		return true
	}
	if score < t.floor {
		return false
	}
	if !t.cut {
		return true
	}
	// Cut, the k-th hit's score is the floor.
	r := t.cutAt.key
	return key == 0 || r == 0 || key <= r
}

func (t *topK) push(s scored) {
	if t.k <= 0 {
		return
	}
	if t.hp == nil {
		t.hp = hitBufs.Get().(*[]scored)
		t.h = (*t.hp)[:0]
	}
	t.h = append(t.h, s)
	if len(t.h) >= t.full {
		t.raise()
	}
}

// raise sets the floor to the k-th best score in the buffer and drops
// the hits below it.
func (t *topK) raise() {
	t.cut = false
	kh := newKth(t.k)
	for i := range t.h {
		kh.add(t.h[i].score)
	}
	t.floor, t.set = kh.kth(math.Inf(-1)), true
	kh.done()
	n := 0
	for _, s := range t.h {
		if s.score >= t.floor {
			t.h[n] = s
			n++
		}
	}
	clear(t.h[n:]) // hold no ids
	t.h = t.h[:n]
	if n > 2*t.k {
		// Many ties at the floor: keep the k best of them.
		t.order(t.k)
		clear(t.h[t.k:])
		t.h = t.h[:t.k]
		t.cut, t.cutAt = true, t.h[t.k-1]
		n = t.k
	}
	t.full = max(4*t.k+64, 2*n)
}

// sorted returns the best-first slice of at most k hits, in the storage
// newTopK was given; the topK is not used after it.
func (t *topK) sorted() []scored {
	out := t.out[:0]
	if t.hp != nil {
		t.order(t.k)
		out = append(out, t.h[:min(t.k, len(t.h))]...)
		clear(t.h) // hold no ids
		*t.hp = t.h[:0]
		hitBufs.Put(t.hp)
		t.hp, t.h = nil, nil
	}
	return out
}

// order puts the keep best hits of the buffer first, best first (the
// rest after them in no order, for the caller to cut). better is a total
// order over hits of distinct ids, so any sort gives the one order: the
// hits are ordered by their scores and id keys, held apart from the hits
// (which the garbage collector must watch being moved), and then put in
// that order once. Only the keep best are sorted: a buffer holds up to
// four times k hits between raises, and sorting what is cut costs more
// than the selection that finds the cut.
func (t *topK) order(keep int) {
	out := t.h
	if len(out) < 2 {
		return
	}
	sp := sortPool.Get().(*sortBufs)
	defer sortPool.Put(sp)
	ks := slices.Grow(sp.keys[:0], len(out))[:len(out)]
	ids := slices.Grow(sp.ids[:0], len(out))[:len(out)]
	for i := range out {
		ks[i] = sortKey{score: out[i].score, key: out[i].key, i: int32(i)}
		ids[i] = out[i].id
	}
	depth := 2 * bits.Len(uint(len(ks)))
	if keep < len(ks) {
		selectBest(ks, ids, keep, depth)
		ks = ks[:keep]
	}
	sortKeys(ks, ids, depth)
	clear(ids) // hold no ids
	sp.ids = ids[:0]
	tmp := append(sp.hits[:0], out...)
	for i, k := range ks {
		out[i] = tmp[k.i]
	}
	clear(tmp) // hold no ids
	sp.keys, sp.hits = ks[:0], tmp[:0]
}

// selectBest moves the keep best of ks by keyBetter to ks[:keep], in no
// order: a quickselect with sortKeys's partition, which goes on only in
// the side that holds the keep-th; a short run or one past depth bad
// pivots is sorted whole.
func selectBest(ks []sortKey, ids []string, keep, depth int) {
	for keep > 0 && keep < len(ks) {
		if len(ks) <= 12 || depth == 0 {
			sortKeys(ks, ids, depth)
			return
		}
		depth--
		i, j := partitionKeys(ks, ids)
		// ks[:j+1] are no worse than the pivot, ks[i:] no better, and
		// what lies between is the pivot itself.
		switch {
		case keep <= j+1:
			ks = ks[:j+1]
		case keep >= i:
			ks, keep = ks[i:], keep-i
		default:
			return
		}
	}
}

// keyBetter is better on two keys, with ids[k.i] the id of key k, for
// ties.
func keyBetter(a, b *sortKey, ids []string) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.key != b.key && a.key != 0 && b.key != 0 {
		return a.key < b.key
	}
	return ids[a.i] < ids[b.i]
}

// sortKeys orders ks best first by keyBetter: a quicksort on the median
// of three, with the comparison inlined, insertion sort for short runs,
// and slices.SortFunc past depth levels (a bad run of pivots).
func sortKeys(ks []sortKey, ids []string, depth int) {
	for len(ks) > 12 {
		if depth == 0 {
			slices.SortFunc(ks, func(a, b sortKey) int {
				if keyBetter(&a, &b, ids) {
					return -1
				}
				if keyBetter(&b, &a, ids) {
					return 1
				}
				return 0
			})
			return
		}
		depth--
		i, j := partitionKeys(ks, ids)
		// the shorter side by recursion, the longer by the loop
		if j+1 < len(ks)-i {
			sortKeys(ks[:j+1], ids, depth)
			ks = ks[i:]
		} else {
			sortKeys(ks[i:], ids, depth)
			ks = ks[:j+1]
		}
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && keyBetter(&ks[j], &ks[j-1], ids); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// partitionKeys splits ks (more than two) around the median of its first,
// middle and last: when it returns, j < i, ks[:j+1] are no worse than the
// pivot by keyBetter, ks[i:] no better, and any between is the pivot.
func partitionKeys(ks []sortKey, ids []string) (i, j int) {
	n, m := len(ks)-1, len(ks)/2
	if keyBetter(&ks[m], &ks[0], ids) {
		ks[m], ks[0] = ks[0], ks[m]
	}
	if keyBetter(&ks[n], &ks[m], ids) {
		ks[n], ks[m] = ks[m], ks[n]
		if keyBetter(&ks[m], &ks[0], ids) {
			ks[m], ks[0] = ks[0], ks[m]
		}
	}
	p := ks[m]
	i, j = 0, n
	for i <= j {
		for keyBetter(&ks[i], &p, ids) {
			i++
		}
		for keyBetter(&p, &ks[j], ids) {
			j--
		}
		if i <= j {
			ks[i], ks[j] = ks[j], ks[i]
			i++
			j--
		}
	}
	return i, j
}

// sortKey is what sorted orders a hit by (and sortCandsTop a
// candidate), and its index.
type sortKey struct {
	score float64
	key   uint64
	i     int32
}

type sortBufs struct {
	keys []sortKey
	ids  []string
	hits []scored
}

var sortPool = sync.Pool{New: func() any { return new(sortBufs) }}
