package routerredis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// CacheOptions configures a Cache.
type CacheOptions struct {
	// Prefix is put before every key (default "jedisos:cache:").
	Prefix string
	// TTL is how long an answer stays in Redis; 0 keeps it until Redis
	// evicts it (set a maxmemory policy then).
	TTL time.Duration
}

// DefaultCachePrefix is CacheOptions.Prefix's default.
const DefaultCachePrefix = "jedisos:cache:"

// Cache is a router.Cache in Redis: each answer is one string key holding
// the response as JSON, with the TTL as its expiry. It is safe for
// concurrent use.
type Cache struct {
	c      redis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ router.Cache = (*Cache)(nil)

// NewCache returns a Cache over the client (a *redis.Client, a cluster or
// a ring client).
func NewCache(c redis.UniversalClient, o CacheOptions) *Cache {
	if o.Prefix == "" {
		o.Prefix = DefaultCachePrefix
	}
	return &Cache{c: c, prefix: o.Prefix, ttl: o.TTL}
}

// Get reads the answer under key; a missing key is a miss.
func (c *Cache) Get(ctx context.Context, key string) (*llm.Response, bool, error) {
	b, err := c.c.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("routerredis: cache get: %w", err)
	}
	var resp llm.Response
	if err := json.Unmarshal(b, &resp); err != nil {
		return nil, false, fmt.Errorf("routerredis: cache entry %s is not a response: %w", c.prefix+key, err)
	}
	return &resp, true, nil
}

// Set stores resp as JSON under key with the TTL.
func (c *Cache) Set(ctx context.Context, key string, resp *llm.Response) error {
	b, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("routerredis: cache set: %w", err)
	}
	if err := c.c.Set(ctx, c.prefix+key, b, c.ttl).Err(); err != nil {
		return fmt.Errorf("routerredis: cache set: %w", err)
	}
	return nil
}
