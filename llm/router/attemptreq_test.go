package router_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// keepReq is a callback that keeps every CallInfo.Request it is shown.
type keepReq struct {
	llm.CallbackFuncs
	mu   sync.Mutex
	seen []*llm.Request
}

func (k *keepReq) OnInput(_ context.Context, info *llm.CallInfo) error {
	k.mu.Lock()
	k.seen = append(k.seen, info.Request)
	k.mu.Unlock()
	return nil
}

// The Router reuses an attempt's request copy only when nothing else can
// still see it: a callback's CallInfo.Request and the request of an
// abandoned call stay as they were sent, however many calls follow.
func TestAttemptRequestNotReusedWhileVisible(t *testing.T) {
	answer := model(func(_ context.Context, req *llm.Request) (*llm.Response, error) {
		return &llm.Response{Message: llm.Assistant("ok " + req.Messages[0].Content)}, nil
	})
	t.Run("callback keeps CallInfo.Request", func(t *testing.T) {
		k := &keepReq{}
		r, err := router.New(router.Config{Callbacks: []llm.Callback{k},
			Deployments: []router.Deployment{{Group: "g", ID: "d", Params: llm.Params{Model: "test/m"}, Model: answer}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"one", "two", "three"} {
			resp, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User(q)}})
			if err != nil || resp.Message.Content != "ok "+q {
				t.Fatalf("call %q: %v, %+v", q, err, resp)
			}
		}
		if len(k.seen) != 3 {
			t.Fatalf("callback saw %d requests, want 3", len(k.seen))
		}
		for i, q := range []string{"one", "two", "three"} {
			got := k.seen[i]
			if got.Model != "test/m" || len(got.Messages) != 1 || got.Messages[0].Content != q {
				t.Fatalf("request %d kept by the callback changed to %+v", i, got)
			}
		}
		if k.seen[0] == k.seen[1] || k.seen[1] == k.seen[2] {
			t.Fatal("two attempts shown to a callback share one request")
		}
	})
	t.Run("abandoned call", func(t *testing.T) {
		release := make(chan struct{})
		entered := make(chan struct{}, 1)
		late := make(chan llm.Request, 1)
		var first sync.Once
		stuckThenAnswer := model(func(ctx context.Context, req *llm.Request) (*llm.Response, error) {
			stuck := false
			first.Do(func() { stuck = true })
			if !stuck {
				return answer(ctx, req)
			}
			entered <- struct{}{}
			<-release
			late <- *req // read after the Router gave up on this call
			return &llm.Response{Message: llm.Assistant("late")}, nil
		})
		r, err := router.New(router.Config{Timeout: 20 * time.Millisecond,
			Deployments: []router.Deployment{{Group: "g", ID: "d", Params: llm.Params{Model: "test/m"}, Model: stuckThenAnswer}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User("stuck")}}); err == nil {
			t.Fatal("the stuck call succeeded")
		}
		<-entered
		for _, q := range []string{"a", "b", "c"} {
			resp, err := r.Complete(context.Background(), &llm.Request{Model: "g", Messages: []llm.Message{llm.User(q)}})
			if err != nil || resp.Message.Content != "ok "+q {
				t.Fatalf("call %q after the abandoned one: %v, %+v", q, err, resp)
			}
		}
		close(release)
		got := <-late
		if got.Model != "test/m" || len(got.Messages) != 1 || got.Messages[0].Content != "stuck" {
			t.Fatalf("the abandoned call's request changed under it: %+v", got)
		}
		drain(t, r)
	})
}
