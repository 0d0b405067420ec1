package memory

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// CachedEmbedder wraps any [Embedder] (a langchaingo provider: OpenAI,
// Ollama, Gemini, ...) so that each distinct text is embedded once: texts
// already in Cache are answered from it, the others are sent to Embedder
// in batches of BatchSize, and their vectors are added to the cache. With
// a persistent cache ([OpenEmbeddingCache]) a restarted process re-embeds
// nothing it embedded before.
type CachedEmbedder struct {
	// Embedder computes the vectors. Required.
	Embedder Embedder
	// Model names the embedding model ("openai/text-embedding-3-small").
	// It is part of every cache key, so vectors of two models never mix.
	// Required.
	Model string
	// Cache holds the vectors; nil means a cache in memory only.
	Cache EmbeddingCache
	// BatchSize is the most texts sent in one call; 0 means 64.
	BatchSize int

	once sync.Once
	mem  *memoryCache
}

var _ Embedder = (*CachedEmbedder)(nil)

// EmbeddingCache stores vectors by key. Implementations must be safe for
// concurrent use.
type EmbeddingCache interface {
	// Get returns the vector stored under key.
	Get(key string) ([]float32, bool)
	// Put stores vectors by key (keys[i] -> vecs[i]).
	Put(keys []string, vecs [][]float32) error
}

func (c *CachedEmbedder) cache() EmbeddingCache {
	if c.Cache != nil {
		return c.Cache
	}
	c.once.Do(func() { c.mem = &memoryCache{m: map[string][]float32{}} })
	return c.mem
}

// cacheKey is the SHA-256 of the model, the use (documents and queries
// may be embedded differently) and the text.
func (c *CachedEmbedder) cacheKey(use, text string) string {
	h := sha256.Sum256([]byte(c.Model + "\x00" + use + "\x00" + text))
	return hex.EncodeToString(h[:])
}

func (c *CachedEmbedder) check() error {
	switch {
	case c == nil || c.Embedder == nil:
		return fmt.Errorf("%w: CachedEmbedder.Embedder is nil", ErrInvalid)
	case c.Model == "":
		return fmt.Errorf("%w: CachedEmbedder.Model is empty; name the embedding model so cached vectors of two models never mix", ErrInvalid)
	case c.BatchSize < 0:
		return fmt.Errorf("%w: CachedEmbedder.BatchSize %d must be >= 0", ErrInvalid, c.BatchSize)
	}
	return nil
}

// EmbedDocuments implements [Embedder].
func (c *CachedEmbedder) EmbedDocuments(ctx context.Context, texts []string) ([][]float32, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	cache := c.cache()
	out := make([][]float32, len(texts))
	keys := make([]string, len(texts))
	// the distinct texts not cached, in first-seen order
	var missing []string
	var missKeys []string
	wait := map[string][]int{}
	for i, t := range texts {
		k := c.cacheKey("d", t)
		keys[i] = k
		if v, ok := cache.Get(k); ok {
			out[i] = v
			continue
		}
		if _, seen := wait[k]; !seen {
			missing = append(missing, t)
			missKeys = append(missKeys, k)
		}
		wait[k] = append(wait[k], i)
	}
	size := c.BatchSize
	if size == 0 {
		size = 64
	}
	for lo := 0; lo < len(missing); lo += size {
		hi := min(lo+size, len(missing))
		vecs, err := c.Embedder.EmbedDocuments(ctx, missing[lo:hi])
		if err != nil {
			return nil, fmt.Errorf("embed texts %d-%d of %d new: %w", lo, hi-1, len(missing), err)
		}
		if len(vecs) != hi-lo {
			return nil, fmt.Errorf("embedder returned %d vectors for %d texts", len(vecs), hi-lo)
		}
		for j, v := range vecs {
			if len(v) == 0 {
				return nil, fmt.Errorf("embedder returned an empty vector for text %d", lo+j)
			}
		}
		if err := cache.Put(missKeys[lo:hi], vecs); err != nil {
			return nil, fmt.Errorf("embedding cache: %w", err)
		}
		for j, v := range vecs {
			for _, i := range wait[missKeys[lo+j]] {
				out[i] = v
			}
		}
	}
	return out, nil
}

// EmbedQuery implements [Embedder].
func (c *CachedEmbedder) EmbedQuery(ctx context.Context, text string) ([]float32, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	cache := c.cache()
	k := c.cacheKey("q", text)
	if v, ok := cache.Get(k); ok {
		return v, nil
	}
	v, err := c.Embedder.EmbedQuery(ctx, text)
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, fmt.Errorf("embedder returned an empty query vector")
	}
	if err := cache.Put([]string{k}, [][]float32{v}); err != nil {
		return nil, fmt.Errorf("embedding cache: %w", err)
	}
	return v, nil
}

type memoryCache struct {
	mu sync.RWMutex
	m  map[string][]float32
}

func (c *memoryCache) Get(k string) ([]float32, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *memoryCache) Put(ks []string, vs [][]float32) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range ks {
		c.m[k] = vs[i]
	}
	return nil
}

// FileEmbeddingCache is an [EmbeddingCache] kept in memory and appended to
// a file, one JSON object per line ({"k": key, "v": vector}); float32
// values survive the round trip exactly. Opening it reads the file back. A
// last line cut short by a crash is dropped (and cut off the file, so new
// lines start clean); a damaged line elsewhere is an error naming its line.
type FileEmbeddingCache struct {
	mu   sync.Mutex
	m    map[string][]float32
	f    *os.File
	path string
}

var _ EmbeddingCache = (*FileEmbeddingCache)(nil)

type cacheLine struct {
	K string    `json:"k"`
	V []float32 `json:"v"`
}

// OpenEmbeddingCache opens (creating if needed) the cache file at path.
func OpenEmbeddingCache(path string) (*FileEmbeddingCache, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("embedding cache: %w", err)
	}
	c := &FileEmbeddingCache{m: map[string][]float32{}, f: f, path: path}
	if err := c.load(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return c, nil
}

func (c *FileEmbeddingCache) load() error {
	r := bufio.NewReader(c.f)
	var good int64
	for n := 1; ; n++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			if len(bytes.TrimSpace(line)) > 0 {
				// a last line without its newline: a torn write
				if terr := c.f.Truncate(good); terr != nil {
					return fmt.Errorf("embedding cache %s: drop the torn last line: %w", c.path, terr)
				}
			}
			break
		}
		if err != nil {
			return fmt.Errorf("embedding cache %s: line %d: %w", c.path, n, err)
		}
		var l cacheLine
		if err := json.Unmarshal(line, &l); err != nil || l.K == "" || len(l.V) == 0 {
			if _, perr := r.Peek(1); errors.Is(perr, io.EOF) {
				if terr := c.f.Truncate(good); terr != nil {
					return fmt.Errorf("embedding cache %s: drop the torn last line: %w", c.path, terr)
				}
				break
			}
			return fmt.Errorf("embedding cache %s: line %d is not a cache entry", c.path, n)
		}
		c.m[l.K] = l.V
		good += int64(len(line))
	}
	if _, err := c.f.Seek(good, io.SeekStart); err != nil {
		return fmt.Errorf("embedding cache %s: %w", c.path, err)
	}
	return nil
}

// Get implements [EmbeddingCache].
func (c *FileEmbeddingCache) Get(k string) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

// Put implements [EmbeddingCache]: the entries are written in one append
// and kept in memory once written.
func (c *FileEmbeddingCache) Put(ks []string, vs [][]float32) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for i, k := range ks {
		if err := enc.Encode(cacheLine{K: k, V: vs[i]}); err != nil {
			return fmt.Errorf("encode entry: %w", err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return ErrClosed
	}
	if _, err := c.f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write %s: %w", c.path, err)
	}
	for i, k := range ks {
		c.m[k] = vs[i]
	}
	return nil
}

// Len returns how many vectors the cache holds.
func (c *FileEmbeddingCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// Close syncs and closes the file; later Puts return ErrClosed.
func (c *FileEmbeddingCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f == nil {
		return nil
	}
	err := c.f.Sync()
	if cerr := c.f.Close(); err == nil {
		err = cerr
	}
	c.f = nil
	return err
}
