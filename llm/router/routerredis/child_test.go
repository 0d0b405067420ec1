package routerredis_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/llm/router/routerredis"
)

// The two-process test re-executes this test binary with these variables
// set; the child makes its calls, prints what served them and exits.
const (
	envChild  = "ROUTERREDIS_TEST_CHILD"
	envAddr   = "ROUTERREDIS_TEST_ADDR"
	envPrefix = "ROUTERREDIS_TEST_PREFIX"
	envCalls  = "ROUTERREDIS_TEST_CALLS"
)

// replicaRouter is one replica's Router: deployment "a" (order 1, rpm
// limit rpm) and "b" (order 2, unlimited) in group "g", sharing state.
func replicaRouter(state router.SharedState, rpm int, served *[2]atomic.Int32) (*router.Router, error) {
	mk := func(i int, text string) llm.Completer {
		return completer(func(context.Context, *llm.Request) (*llm.Response, error) {
			served[i].Add(1)
			return &llm.Response{Message: llm.Assistant(text), Usage: llm.Usage{PromptTokens: 5, CompletionTokens: 1}}, nil
		})
	}
	return router.New(router.Config{SharedState: state, NumRetries: router.Int(0),
		Deployments: []router.Deployment{
			{Group: "g", ID: "a", Order: 1, RPM: rpm, Params: llm.Params{Model: "test/a"}, Model: mk(0, "a")},
			{Group: "g", ID: "b", Order: 2, Params: llm.Params{Model: "test/b"}, Model: mk(1, "b")},
		}})
}

// callConcurrently makes n calls at once and counts the errors.
func callConcurrently(r *router.Router, n int) int {
	var wg sync.WaitGroup
	var errs atomic.Int32
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User("hi")}}); err != nil {
				errs.Add(1)
			}
		}()
	}
	wg.Wait()
	return int(errs.Load())
}

func runChild() bool {
	if os.Getenv(envChild) != "1" {
		return false
	}
	c := redis.NewClient(&redis.Options{Addr: os.Getenv(envAddr)})
	defer c.Close()
	n, _ := strconv.Atoi(os.Getenv(envCalls))
	var served [2]atomic.Int32
	r, err := replicaRouter(routerredis.NewState(c, routerredis.StateOptions{Prefix: os.Getenv(envPrefix)}), 10, &served)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	errs := callConcurrently(r, n)
	fmt.Printf("a=%d b=%d errors=%d\n", served[0].Load(), served[1].Load(), errs)
	return true
}
