package router

import (
	"cmp"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/jedisos/jedisos/llm"
)

// Cache stores the Router's answers keyed on the normalised request
// (LiteLLM's caching). Set Config.Cache to turn caching on: a call whose
// request matches a stored answer is answered from the cache without
// calling any provider (Response.CacheHit; streams receive the stored
// answer as chunks). Only successful, complete answers are stored; errors
// and interrupted streams never are. CallOptions.NoCache and NoStore
// bypass it per call.
//
// MemoryCache is an in-process LRU with a TTL; package
// llm/router/routerredis stores answers in Redis, shared by every process
// using it. A cache's errors never fail a call: a failed Get is a miss and
// a failed Set is dropped (both logged at debug level).
type Cache interface {
	// Get returns the answer stored under key; ok is false on a miss. The
	// Router may modify the returned response.
	Get(ctx context.Context, key string) (resp *llm.Response, ok bool, err error)
	// Set stores resp under key. The cache must not keep resp itself (the
	// caller owns it): copy or encode it.
	Set(ctx context.Context, key string, resp *llm.Response) error
}

// CacheKey is the key the Router stores req's answer under when group is
// asked: a SHA-256 over a canonical encoding of the request as sent (the
// group, every message's role, content, name, tool calls and tool call id,
// the tools, the tool choice and every sampling parameter, after the
// Router's defaults are applied), without what does not change the answer
// (Timeout, Stream, Metadata, and the Meta of earlier assistant messages).
// A request field added to llm.Request later is included automatically.
// It returns "" for a request that cannot be encoded (such a request is
// never answered from the cache).
func CacheKey(group string, req *llm.Request) string {
	bp := keyBufs.Get().(*[]byte)
	b := (*bp)[:0]
	defer func() { *bp = b; keyBufs.Put(bp) }()
	b = append(b, "jedisos-cache-v1"...)
	b = keyStr(b, 'g', group)
	for i := range req.Messages {
		m := &req.Messages[i]
		b = keyStr(b, 'r', string(m.Role))
		b = keyStr(b, 'c', m.Content)
		b = keyStr(b, 'n', m.Name)
		b = keyStr(b, 'i', m.ToolCallID)
		b = keyStr(b, 'h', m.ReasoningContent)
		for _, tc := range m.ToolCalls {
			b = keyStr(b, 'T', tc.ID)
			b = keyStr(b, 't', tc.Type)
			b = keyStr(b, 'N', tc.Name)
			b = keyStr(b, 'A', tc.Arguments)
		}
		for _, f := range messageExtra {
			var ok bool
			if b, ok = keyJSON(b, 'm', reflect.ValueOf(m).Elem().Field(f).Interface()); !ok {
				return ""
			}
		}
	}
	var ok bool
	if len(req.Tools) > 0 {
		if b, ok = keyJSON(b, 'o', req.Tools); !ok {
			return ""
		}
	}
	if !req.ToolChoice.IsZero() {
		b = keyStr(b, 'C', string(req.ToolChoice.Mode))
		b = keyStr(b, 'F', req.ToolChoice.Name)
	}
	if req.Temperature != nil {
		b = append(b, 'p')
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*req.Temperature))
	}
	b = append(b, 'x')
	b = binary.AppendVarint(b, int64(req.MaxTokens))
	if req.TopP != nil {
		b = append(b, 'P')
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(*req.TopP))
	}
	for _, s := range req.Stop {
		b = keyStr(b, 's', s)
	}
	if req.ResponseFormat != nil {
		if b, ok = keyJSON(b, 'R', req.ResponseFormat); !ok {
			return ""
		}
	}
	if req.Seed != nil {
		b = append(b, 'S')
		b = binary.AppendVarint(b, int64(*req.Seed))
	}
	b = append(b, 'N')
	b = binary.AppendVarint(b, int64(req.N))
	b = keyStr(b, 'u', req.User)
	b = append(b, 'L')
	b = binary.AppendVarint(b, int64(req.TopLogprobs))
	for _, f := range []struct {
		on  bool
		tag byte
	}{{req.JSONMode, 'J'}, {req.Logprobs, 'l'}, {req.DropParams, 'D'}} {
		if f.on {
			b = append(b, f.tag)
		}
	}
	if len(req.Extra) > 0 {
		// encoding/json sorts map keys: the same extras, the same key
		if b, ok = keyJSON(b, 'E', req.Extra); !ok {
			return ""
		}
	}
	for _, f := range requestExtra {
		if b, ok = keyJSON(b, 'e', reflect.ValueOf(req).Elem().Field(f).Interface()); !ok {
			return ""
		}
	}
	sum := sha256.Sum256(b)
	var out [len("v1:") + 2*sha256.Size]byte
	copy(out[:], "v1:")
	hex.Encode(out[3:], sum[:])
	return string(out[:])
}

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// keyStr appends a tagged, length-prefixed string.
func keyStr(b []byte, tag byte, s string) []byte {
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// keyJSON appends a tagged, length-prefixed JSON encoding of v.
func keyJSON(b []byte, tag byte, v any) ([]byte, bool) {
	j, err := json.Marshal(v)
	if err != nil {
		return b, false
	}
	return keyStr(b, tag, string(j)), true
}

// The fields of llm.Request and llm.Message that CacheKey does not encode
// by hand are encoded as JSON, so that a field added later still changes
// the key.
var (
	requestExtra = extraFields(reflect.TypeFor[llm.Request](),
		"Model", "Messages", "Tools", "ToolChoice", "Temperature", "MaxTokens", "TopP", "Stop", "ResponseFormat",
		"Seed", "N", "User", "TopLogprobs", "JSONMode", "Logprobs", "DropParams", "Extra",
		"Timeout", "Stream", "Metadata")
	messageExtra = extraFields(reflect.TypeFor[llm.Message](),
		"Role", "Content", "Name", "ToolCalls", "ToolCallID", "ReasoningContent", "Meta")
)

func extraFields(t reflect.Type, known ...string) []int {
	var out []int
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.IsExported() && !slices.Contains(known, f.Name) {
			out = append(out, i)
		}
	}
	return out
}

// MemoryCacheConfig configures a MemoryCache.
type MemoryCacheConfig struct {
	// MaxEntries bounds the answers kept; the least recently used goes
	// first (default 1000).
	MaxEntries int
	// TTL is how long an answer stays valid; 0 keeps answers until they
	// are evicted.
	TTL time.Duration
	// Now is the cache's clock (default time.Now), for tests.
	Now func() time.Time
}

// DefaultCacheEntries is MemoryCacheConfig.MaxEntries's default.
const DefaultCacheEntries = 1000

// MemoryCache is an in-process LRU cache of answers with a TTL. It is safe
// for concurrent use.
type MemoryCache struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu  sync.Mutex
	lru *list.List // of *cacheEntry, most recent first
	idx map[string]*list.Element
}

type cacheEntry struct {
	key     string
	resp    *llm.Response
	expires time.Time // zero: never
}

// NewMemoryCache returns an empty MemoryCache.
func NewMemoryCache(cfg MemoryCacheConfig) *MemoryCache {
	c := &MemoryCache{max: cfg.MaxEntries, ttl: cfg.TTL, now: cfg.Now, lru: list.New(), idx: map[string]*list.Element{}}
	if c.max <= 0 {
		c.max = DefaultCacheEntries
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// Get returns a copy of the answer under key, if it has not expired.
func (c *MemoryCache) Get(_ context.Context, key string) (*llm.Response, bool, error) {
	c.mu.Lock()
	el, ok := c.idx[key]
	if !ok {
		c.mu.Unlock()
		return nil, false, nil
	}
	e := el.Value.(*cacheEntry)
	if !e.expires.IsZero() && !c.now().Before(e.expires) {
		c.lru.Remove(el)
		delete(c.idx, key)
		c.mu.Unlock()
		return nil, false, nil
	}
	c.lru.MoveToFront(el)
	resp := e.resp
	c.mu.Unlock()
	return cloneResponse(resp), true, nil
}

// Set stores a copy of resp under key, evicting the least recently used
// answer when the cache is full.
func (c *MemoryCache) Set(_ context.Context, key string, resp *llm.Response) error {
	e := &cacheEntry{key: key, resp: cloneResponse(resp)}
	if c.ttl > 0 {
		e.expires = c.now().Add(c.ttl)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.idx[key]; ok {
		el.Value = e
		c.lru.MoveToFront(el)
		return nil
	}
	c.idx[key] = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		last := c.lru.Back()
		c.lru.Remove(last)
		delete(c.idx, last.Value.(*cacheEntry).key)
	}
	return nil
}

// Len returns the number of answers held (expired ones included until
// they are looked up or evicted).
func (c *MemoryCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// cloneResponse copies resp deeply enough that neither copy shares
// mutable state with the other.
func cloneResponse(r *llm.Response) *llm.Response {
	cp := *r
	cp.Message = cloneMessage(r.Message)
	cp.Logprobs = slices.Clone(r.Logprobs)
	if r.Choices != nil {
		cp.Choices = slices.Clone(r.Choices)
		for i := range cp.Choices {
			cp.Choices[i].Message = cloneMessage(r.Choices[i].Message)
			cp.Choices[i].Logprobs = slices.Clone(r.Choices[i].Logprobs)
		}
	}
	return &cp
}

func cloneMessage(m llm.Message) llm.Message {
	m.ToolCalls = slices.Clone(m.ToolCalls)
	if m.Meta != nil {
		meta := *m.Meta
		m.Meta = &meta
	}
	return m
}

// fromCache answers the call from the cache, or reports a miss.
func (c *call) fromCache(ctx context.Context, key string) (*llm.Response, bool, error) {
	r := c.r
	resp, ok, err := r.cache.Get(ctx, key)
	if err != nil {
		r.logger.Debug("router: cache lookup failed; calling the model", "error", err)
		return nil, false, nil
	}
	if !ok || resp == nil {
		return nil, false, nil
	}
	resp.CacheHit = true
	resp.Cost = 0
	c.end = r.clock.Now()
	if len(r.services) > 0 {
		r.emit(ctx, &CacheHit{At: c.end, Group: cmp.Or(c.req.Model, r.cfg.DefaultGroup), Model: resp.Model})
	}
	if c.stream != nil {
		// a caller that stops reading (ErrStopStream) still got a whole reply
		if err := c.stream.deliverWhole(ctx, resp); err != nil && !errors.Is(err, llm.ErrStopStream) {
			return nil, false, err
		}
	}
	return resp, true, nil
}

// toCache stores a fresh answer.
func (c *call) toCache(ctx context.Context, key string, resp *llm.Response) {
	if err := c.r.cache.Set(ctx, key, resp); err != nil {
		c.r.logger.Debug("router: cache store failed", "error", err)
	}
}
