package memory

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// EmbeddedOptions configures an [EmbeddedStore].
type EmbeddedOptions struct {
	// Path is the file the store is persisted to. Empty keeps everything
	// in memory only.
	Path string
	// NoSync skips the fsync after each write. Faster; a power loss (not
	// a killed process) may then lose the last writes. Default: sync.
	NoSync bool
	// HNSWThreshold builds an approximate HNSW index for the semantic arm
	// of any bank holding at least this many memories. 0 (the default)
	// disables it: the semantic arm is then an exact cosine scan. The
	// index is approximate (about 0.83 recall@10 against the exact scan
	// on the package's synthetic corpus) and pays off only for large
	// banks (about 3x faster at 100k memories); building it is slow. Not
	// available on windows, where OpenEmbedded refuses a threshold.
	HNSWThreshold int
	// ReadOnly opens an existing file for reading only, under a shared
	// lock: any number of read-only stores may have a file open at once,
	// but not while a writer has it, and a writer cannot open it while
	// they do. Writes (PutBank, DeleteBank, Upsert, Delete, Compact)
	// return [ErrReadOnly]. A torn final record is skipped, not truncated
	// (the next writer truncates it). Requires Path.
	ReadOnly bool
}

// EmbeddedStore is the zero-setup [Store]: pure Go, in memory, optionally
// persisted to one append-only, checksummed file (see [OpenEmbedded]).
// It keeps per bank a flat array of normalised vectors, an inverted index
// for BM25, and an entity index, so a recall touches no more of the
// corpus than its arms need. It is safe for concurrent use.
//
// A bank without an HNSW graph also keeps its vectors column by column
// (another 4 bytes per dimension per memory), so the exact semantic scan
// of a query with few non-zero dimensions, such as [OfflineEmbedder]'s,
// reads only those columns. A bank that may get a graph keeps instead the
// non-zero dimensions of each vector that has few (8 bytes each), which
// its arms read to score memories one by one. Both give the scores of
// the full dot product, to the bit.
type EmbeddedStore struct {
	mu     sync.RWMutex
	opts   EmbeddedOptions
	dim    int
	banks  map[string]*bankIndex
	profs  map[string]Bank
	log    *logFile
	closed bool
}

// NewEmbeddedStore returns an empty in-memory store.
func NewEmbeddedStore() *EmbeddedStore {
	s, _ := OpenEmbedded(EmbeddedOptions{})
	return s
}

// OpenEmbedded opens (or creates) the store at opts.Path and replays it.
//
// The file is locked while the store is open: a second OpenEmbedded of the
// same file, in this process or another, fails at once with a
// [*LockedError] (matching [ErrLocked]) naming the file and, where known,
// the pid of the process holding it, so two writers can never interleave
// their records. The lock is an advisory lock (flock on Unix, LockFileEx
// on Windows) on the sidecar file <path>.lock, which holds the writer's
// pid and is left in place on Close; do not delete it while a store is
// open. The operating system drops the lock when the holder exits, however
// it exits. On platforms without file locks (Plan 9, WebAssembly,
// Solaris, AIX) no lock is taken and the caller must keep to one opener.
// See [EmbeddedOptions.ReadOnly] for shared, read-only opening.
//
// A record torn by a killed process at the end of the file (its length
// runs past the end of the file, the bytes there do not match its
// checksum and no whole record follows) is dropped and the file truncated
// to the last whole record. Any other damage (a bad checksum, even in a
// complete last record; a damaged length field, whether whole records
// follow or the record itself is whole) is reported as [ErrCorrupt] with
// the record's offset, and the file is left byte for byte as it was.
func OpenEmbedded(opts EmbeddedOptions) (*EmbeddedStore, error) {
	if opts.HNSWThreshold < 0 {
		return nil, fmt.Errorf("%w: embedded store: HNSW threshold %d must be >= 0", ErrInvalid, opts.HNSWThreshold)
	}
	if opts.HNSWThreshold > 0 && !hnswAvailable {
		return nil, fmt.Errorf("%w: embedded store: HNSWThreshold %d: this build has no HNSW index (github.com/coder/hnsw does not build on %s); leave it 0 for the exact scan", ErrInvalid, opts.HNSWThreshold, runtime.GOOS)
	}
	if opts.ReadOnly && opts.Path == "" {
		return nil, fmt.Errorf("%w: embedded store: ReadOnly needs a Path", ErrInvalid)
	}
	s := &EmbeddedStore{opts: opts, banks: map[string]*bankIndex{}, profs: map[string]Bank{}}
	if opts.Path == "" {
		return s, nil
	}
	lf, err := openLog(opts.Path, !opts.NoSync, opts.ReadOnly, s.replay)
	if err != nil {
		return nil, err
	}
	s.log = lf
	return s, nil
}

// writable returns [ErrReadOnly] for a store opened read-only.
func (s *EmbeddedStore) writable() error {
	if s.opts.ReadOnly {
		return fmt.Errorf("%w: %s", ErrReadOnly, s.opts.Path)
	}
	return nil
}

func (s *EmbeddedStore) replay(r logRecord) error {
	switch r.Op {
	case opPutBank:
		s.profs[r.Bank.ID] = *r.Bank
	case opDeleteBank:
		delete(s.profs, r.ID)
		delete(s.banks, r.ID)
	case opUpsert:
		for i := range r.Memories {
			if err := s.checkDim(&r.Memories[i]); err != nil {
				return err
			}
		}
		for i := range r.Memories {
			s.bank(r.Memories[i].Bank).put(&r.Memories[i], s.dim, s.opts.HNSWThreshold)
		}
	case opDelete:
		if b := s.banks[r.ID]; b != nil {
			for _, id := range r.IDs {
				b.remove(id)
			}
			b.tidy(s.dim)
		}
	default:
		return fmt.Errorf("%w: unknown record op %q", ErrCorrupt, r.Op)
	}
	return nil
}

func (s *EmbeddedStore) bank(id string) *bankIndex {
	b := s.banks[id]
	if b == nil {
		b = newBankIndex()
		s.banks[id] = b
	}
	return b
}

func (s *EmbeddedStore) checkDim(m *Memory) error {
	if s.dim == 0 {
		s.dim = len(m.Vector)
		return nil
	}
	if len(m.Vector) != s.dim {
		return fmt.Errorf("%w: memory %s has %d dimensions, store has %d", ErrDimension, m.ID, len(m.Vector), s.dim)
	}
	return nil
}

// Dim is the dimension of the stored vectors (0 while empty).
func (s *EmbeddedStore) Dim() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.dim
}

// PutBank implements [Store].
func (s *EmbeddedStore) PutBank(ctx context.Context, b Bank) error {
	if err := s.writable(); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.log != nil {
		if err := s.log.append(logRecord{Op: opPutBank, Bank: &b}); err != nil {
			return err
		}
	}
	s.profs[b.ID] = b
	return nil
}

// Bank implements [Store].
func (s *EmbeddedStore) Bank(ctx context.Context, id string) (Bank, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return Bank{}, ErrClosed
	}
	b, ok := s.profs[id]
	if !ok {
		return Bank{}, fmt.Errorf("%w: bank %q", ErrNotFound, id)
	}
	return b, nil
}

// DeleteBank implements [Store].
func (s *EmbeddedStore) DeleteBank(ctx context.Context, id string) error {
	if err := s.writable(); err != nil {
		return err
	}
	if id == "" {
		return fmt.Errorf("%w: bank id is empty", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.log != nil {
		if err := s.log.append(logRecord{Op: opDeleteBank, ID: id}); err != nil {
			return err
		}
	}
	delete(s.profs, id)
	delete(s.banks, id)
	return nil
}

// Upsert implements [Store]. The batch is validated first and written as
// one checksummed record, so it is applied entirely or not at all.
func (s *EmbeddedStore) Upsert(ctx context.Context, ms []Memory) error {
	if err := s.writable(); err != nil {
		return err
	}
	if len(ms) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	batch := make([]Memory, len(ms))
	for i := range ms {
		if err := ms[i].Validate(); err != nil {
			return fmt.Errorf("upsert item %d: %w", i, err)
		}
		batch[i] = ms[i].Clone()
		normalize(batch[i].Vector)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	dim := s.dim
	for i := range batch {
		if dim == 0 {
			dim = len(batch[i].Vector)
		}
		if len(batch[i].Vector) != dim {
			return fmt.Errorf("upsert item %d: %w: memory %s has %d dimensions, store has %d", i, ErrDimension, batch[i].ID, len(batch[i].Vector), dim)
		}
	}
	if s.log != nil {
		if err := s.log.append(logRecord{Op: opUpsert, Memories: batch}); err != nil {
			return err
		}
	}
	s.dim = dim
	for i := range batch {
		s.bank(batch[i].Bank).put(&batch[i], dim, s.opts.HNSWThreshold)
	}
	return nil
}

// Get implements [Store].
func (s *EmbeddedStore) Get(ctx context.Context, bank string, ids []string) ([]Memory, error) {
	if bank == "" {
		return nil, fmt.Errorf("%w: get: bank is empty", ErrInvalid)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	b := s.banks[bank]
	out := make([]Memory, 0, len(ids))
	if b == nil {
		return out, nil
	}
	for _, id := range ids {
		if slot, ok := b.byID[id]; ok {
			m := b.entries[slot].m.Clone()
			m.Vector = append([]float32(nil), b.vec(slot, s.dim)...)
			out = append(out, m)
		}
	}
	return out, nil
}

// Delete implements [Store].
func (s *EmbeddedStore) Delete(ctx context.Context, bank string, ids []string) error {
	if err := s.writable(); err != nil {
		return err
	}
	if bank == "" {
		return fmt.Errorf("%w: delete: bank is empty", ErrInvalid)
	}
	if len(ids) == 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	b := s.banks[bank]
	if b == nil {
		return nil
	}
	if s.log != nil {
		if err := s.log.append(logRecord{Op: opDelete, ID: bank, IDs: ids}); err != nil {
			return err
		}
	}
	for _, id := range ids {
		b.remove(id)
	}
	b.tidy(s.dim)
	return nil
}

// Count implements [Store].
func (s *EmbeddedStore) Count(ctx context.Context, bank string, f Filter) (int, error) {
	if bank == "" {
		return 0, fmt.Errorf("%w: count: bank is empty", ErrInvalid)
	}
	if err := f.Validate(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	b := s.banks[bank]
	if b == nil {
		return 0, nil
	}
	if filterEmpty(&f) {
		return len(b.byID), nil
	}
	n := 0
	for i := range b.entries {
		if e := &b.entries[i]; e.alive && f.Match(e.m) {
			n++
		}
	}
	return n, nil
}

// Compact rewrites the file with only the live banks and memories,
// atomically (write a new file, sync, rename). In-memory stores ignore it.
func (s *EmbeddedStore) Compact() error {
	if err := s.writable(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.log == nil {
		return nil
	}
	var recs []logRecord
	ids := make([]string, 0, len(s.profs))
	for id := range s.profs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		b := s.profs[id]
		recs = append(recs, logRecord{Op: opPutBank, Bank: &b})
	}
	bids := make([]string, 0, len(s.banks))
	for id := range s.banks {
		bids = append(bids, id)
	}
	slices.Sort(bids)
	for _, id := range bids {
		b := s.banks[id]
		var batch []Memory
		for i := range b.entries {
			e := &b.entries[i]
			if !e.alive {
				continue
			}
			m := *e.m
			m.Vector = b.vec(int32(i), s.dim)
			batch = append(batch, m)
			if len(batch) == 1024 {
				recs = append(recs, logRecord{Op: opUpsert, Memories: batch})
				batch = nil
			}
		}
		if len(batch) > 0 {
			recs = append(recs, logRecord{Op: opUpsert, Memories: batch})
		}
	}
	return s.log.rewrite(recs)
}

// Close implements [Store].
func (s *EmbeddedStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.log != nil {
		return s.log.close()
	}
	return nil
}

func filterEmpty(f *Filter) bool {
	return len(f.Kinds) == 0 && len(f.TagsAny) == 0 && len(f.TagsAll) == 0 && f.Window == nil && f.DocumentID == ""
}

// EntityKey is the form entities are matched in, by every store: Unicode
// NFKC (decomposed Hangul composed, full-width letters as ASCII), trimmed,
// lower case. "ＡＷＳ " and "aws" are one entity.
func EntityKey(e string) string { return strings.ToLower(strings.TrimSpace(foldForm(e))) }

func normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
}

// dot is the inner product of a and b (len(b) >= len(a)). The AVX2 kernel
// and the loop below give the same bits: eight partial sums, lane k over
// the products k, k+8, ..., the tail added to the first, summed in a fixed
// order.
func dot(a, b []float32) float32 {
	var out [1]float32
	if len(a) >= 8 && dotRowsAsm(a, b, len(a), out[:]) {
		return out[0]
	}
	return dotGo(a, b)
}

// dotRows sets out[r] to the dot product of q and row r of rows (rows of
// dim floats, one after the other), for every r < len(out).
func dotRows(q, rows []float32, dim int, out []float32) {
	if dotRowsAsm(q, rows, dim, out) {
		return
	}
	for r := range out {
		out[r] = dotGo(q[:dim], rows[r*dim:(r+1)*dim])
	}
}

func dotGo(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa := a[i : i+8 : i+8]
		bb := b[i : i+8 : i+8]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
		s4 += aa[4] * bb[4]
		s5 += aa[5] * bb[5]
		s6 += aa[6] * bb[6]
		s7 += aa[7] * bb[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s4) + (s1 + s5) + (s2 + s6) + (s3 + s7)
}
