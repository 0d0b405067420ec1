package routerredis_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/llm/router/routerredis"
)

// Every replica of an application answers repeated requests from one
// Redis cache. (Not run: it needs a Redis server.)
func ExampleNewCache() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	r, err := router.New(router.Config{
		Deployments: []router.Deployment{{Group: "chat", Params: llm.Params{Model: "gpt-4o"}}},
		Cache:       routerredis.NewCache(rdb, routerredis.CacheOptions{TTL: 10 * time.Minute}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := r.Complete(context.Background(), &llm.Request{Model: "chat", Messages: []llm.Message{llm.User("Hello")}})
	if err == nil {
		fmt.Println(resp.Message.Content, resp.CacheHit)
	}
}
