// Package routerredis keeps an llm/router Router's response cache in Redis
// (LiteLLM's caching with type redis), through the maintained go-redis
// client (github.com/redis/go-redis/v9), so that every process using one
// Redis answers repeated requests from one cache.
//
// It is a package of its own so that programs that use no Redis do not
// link a Redis client.
package routerredis
