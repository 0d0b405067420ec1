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

// topK keeps the k best hits in a min-heap whose root is the worst kept.
type topK struct {
	k int
	h []scored
}

func newTopK(k int, buf []scored) topK { return topK{k: k, h: buf[:0]} }

// wouldKeep reports whether a hit with this score could enter the heap;
// it lets callers skip work for hopeless hits.
func (t *topK) wouldKeep(score float64) bool {
	return len(t.h) < t.k || score >= t.h[0].score
}

// wouldKeepKey is wouldKeep for a hit whose id key is known: a tie with
// the worst kept hit whose id sorts after it is refused as well.
func (t *topK) wouldKeepKey(score float64, key uint64) bool {
	if len(t.h) < t.k || score > t.h[0].score {
		return true
	}
	if score < t.h[0].score {
		return false
	}
	r := t.h[0].key
	return key == 0 || r == 0 || key <= r
}

func (t *topK) push(s scored) {
	if len(t.h) < t.k {
		t.h = append(t.h, s)
		t.up(len(t.h) - 1)
		return
	}
	if !better(&s, &t.h[0]) {
		return
	}
	t.h[0] = s
	t.down(0)
}

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !better(&t.h[p], &t.h[i]) { // parent is worse or equal: heap ok when parent worse
			break
		}
		t.h[p], t.h[i] = t.h[i], t.h[p]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		w := l
		if r := l + 1; r < n && better(&t.h[l], &t.h[r]) {
			w = r
		}
		if !better(&t.h[i], &t.h[w]) {
			return
		}
		t.h[i], t.h[w] = t.h[w], t.h[i]
		i = w
	}
}

// sorted empties the heap into a best-first slice (reusing its storage).
// better is a total order over hits of distinct ids, so any sort gives
// the one order: the hits are sorted by their scores and id keys, held
// apart from the hits (which the garbage collector must watch being
// moved), and then put in that order once.
func (t *topK) sorted() []scored {
	out := t.h
	t.h = out[:0]
	if len(out) < 2 {
		return out
	}
	sp := sortPool.Get().(*sortBufs)
	defer sortPool.Put(sp)
	ks := slices.Grow(sp.keys[:0], len(out))[:len(out)]
	for i := range out {
		ks[i] = sortKey{score: out[i].score, key: out[i].key, i: int32(i)}
	}
	sortKeys(ks, out, 2*bits.Len(uint(len(ks))))
	tmp := append(sp.hits[:0], out...)
	for i, k := range ks {
		out[i] = tmp[k.i]
	}
	clear(tmp) // hold no ids
	sp.keys, sp.hits = ks[:0], tmp[:0]
	return out
}

// keyBetter is better on two hits' keys, with hits holding the ids for
// ties.
func keyBetter(a, b *sortKey, hits []scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	if a.key != b.key && a.key != 0 && b.key != 0 {
		return a.key < b.key
	}
	return hits[a.i].id < hits[b.i].id
}

// sortKeys orders ks best first by keyBetter: a quicksort on the median
// of three, with the comparison inlined, insertion sort for short runs,
// and slices.SortFunc past depth levels (a bad run of pivots).
func sortKeys(ks []sortKey, hits []scored, depth int) {
	for len(ks) > 12 {
		if depth == 0 {
			slices.SortFunc(ks, func(a, b sortKey) int {
				if keyBetter(&a, &b, hits) {
					return -1
				}
				if keyBetter(&b, &a, hits) {
					return 1
				}
				return 0
			})
			return
		}
		depth--
		n, m := len(ks)-1, len(ks)/2
		if keyBetter(&ks[m], &ks[0], hits) {
			ks[m], ks[0] = ks[0], ks[m]
		}
		if keyBetter(&ks[n], &ks[m], hits) {
			ks[n], ks[m] = ks[m], ks[n]
			if keyBetter(&ks[m], &ks[0], hits) {
				ks[m], ks[0] = ks[0], ks[m]
			}
		}
		p := ks[m]
		i, j := 0, n
		for i <= j {
			for keyBetter(&ks[i], &p, hits) {
				i++
			}
			for keyBetter(&p, &ks[j], hits) {
				j--
			}
			if i <= j {
				ks[i], ks[j] = ks[j], ks[i]
				i++
				j--
			}
		}
		// the shorter side by recursion, the longer by the loop
		if j+1 < len(ks)-i {
			sortKeys(ks[:j+1], hits, depth)
			ks = ks[i:]
		} else {
			sortKeys(ks[i:], hits, depth)
			ks = ks[:j+1]
		}
	}
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && keyBetter(&ks[j], &ks[j-1], hits); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}

// sortKey is what sorted orders a hit by, and the hit's index.
type sortKey struct {
	score float64
	key   uint64
	i     int32
}

type sortBufs struct {
	keys []sortKey
	hits []scored
}

var sortPool = sync.Pool{New: func() any { return new(sortBufs) }}

// floorTop collects the best k of a stream of hits when many of them would
// enter a heap, as happens when a scan meets scores in rising order: hits
// at or above a floor are appended, and when the buffer is full the floor
// is raised to the k-th best score seen and the buffer cut to the hits at
// or above it. sorted then gives what a topK of k fed the same hits gives.
type floorTop struct {
	k     int
	buf   []scored
	floor float64
	set   bool
	full  int // the length at which the floor is raised next
}

func newFloorTop(k int) floorTop {
	return floorTop{k: k, buf: make([]scored, 0, 2*k+64), full: 4*k + 64}
}

// wouldKeep reports whether a hit of score could be among the best k.
func (f *floorTop) wouldKeep(score float64) bool { return !f.set || score >= f.floor }

func (f *floorTop) push(s scored) {
	if f.k <= 0 {
		return
	}
	f.buf = append(f.buf, s)
	if len(f.buf) >= f.full {
		f.raise()
	}
}

func (f *floorTop) raise() {
	h := newKth(f.k)
	for i := range f.buf {
		h.add(f.buf[i].score)
	}
	f.floor, f.set = h.kth(math.Inf(-1)), true
	h.done()
	n := 0
	for _, s := range f.buf {
		if s.score >= f.floor {
			f.buf[n] = s
			n++
		}
	}
	f.buf = f.buf[:n]
	// Many ties at the floor: raise again only once the buffer doubled.
	f.full = max(4*f.k+64, 2*n)
}

func (f *floorTop) sorted() []scored {
	tk := newTopK(f.k, make([]scored, 0, f.k))
	for i := range f.buf {
		tk.push(f.buf[i])
	}
	return tk.sorted()
}
