package router

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
)

func served(t *testing.T, r *Router, n int, group string) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		resp, err := r.Complete(context.Background(), userReq(group, "hi"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.Deployment)
	}
	return out
}

func TestSimpleShuffleWeighted(t *testing.T) {
	ds := []Deployment{dep("g", "a", okModel("a", "")), dep("g", "b", okModel("b", "")), dep("g", "c", okModel("c", ""))}
	ds[0].Weight, ds[1].Weight, ds[2].Weight = 1, 3, 0
	// total 4: x = rand*4; a covers [0,1), b [1,4); c has no weight
	r := newRouter(t, Config{Deployments: ds}, newFakeClock(), WithRand(seqRand(0.1, 0.3, 0.9, 0.2499)))
	if got := served(t, r, 4, "g"); !reflect.DeepEqual(got, []string{"a", "b", "b", "a"}) {
		t.Fatalf("served %v", got)
	}
	// no weights: rpm decides, then tpm, then uniform
	ds = []Deployment{dep("g", "a", okModel("a", "")), dep("g", "b", okModel("b", ""))}
	ds[0].RPM, ds[1].RPM = 900, 100
	r = newRouter(t, Config{Deployments: ds}, newFakeClock(), WithRand(seqRand(0.85, 0.95)))
	if got := served(t, r, 2, "g"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("rpm-weighted: served %v", got)
	}
	ds = []Deployment{dep("g", "a", okModel("a", "")), dep("g", "b", okModel("b", ""))}
	r = newRouter(t, Config{Deployments: ds}, newFakeClock(), WithRand(seqRand(0.2, 0.7)))
	if got := served(t, r, 2, "g"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("uniform: served %v", got)
	}
}

func TestLeastBusy(t *testing.T) {
	// LiteLLM #37622: ties went to the first deployment. Here ties are random.
	ds := []Deployment{dep("g", "a", okModel("a", "")), dep("g", "b", okModel("b", "")), dep("g", "c", okModel("c", ""))}
	r := newRouter(t, Config{Deployments: ds, Strategy: LeastBusy}, newFakeClock(), WithRand(seqRand(0.9, 0.9, 0.0, 0.0, 0.9, 0.0)))
	// reservoir over 3 ties takes 2 draws: (0.9, 0.9) keeps a; (0, 0) ends on c; (0.9, 0) ends on c... (0.0 at the 3rd tie)
	if got := served(t, r, 3, "g"); !reflect.DeepEqual(got, []string{"a", "c", "c"}) {
		t.Fatalf("served %v", got)
	}
	counts := map[string]int{}
	r = newRouter(t, Config{Deployments: ds, Strategy: LeastBusy}, newFakeClock())
	for _, d := range served(t, r, 300, "g") {
		counts[d]++
	}
	for _, id := range []string{"a", "b", "c"} {
		if counts[id] < 50 {
			t.Fatalf("idle ties are not spread: %v", counts)
		}
	}

	// the busy deployment is avoided
	release := make(chan struct{})
	started := make(chan struct{})
	block := &fake{fn: func(ctx context.Context, _ *llm.Request, n int) (*llm.Response, error) {
		if n == 1 {
			close(started)
			<-release
		}
		return reply("slow"), nil
	}}
	ds = []Deployment{dep("g", "a", block), dep("g", "b", okModel("b", ""))}
	r = newRouter(t, Config{Deployments: ds, Strategy: LeastBusy}, newFakeClock(), WithRand(seqRand(0.9)))
	done := make(chan string)
	go func() {
		resp, _ := r.Complete(context.Background(), userReq("g", "hi"))
		done <- resp.Deployment
	}()
	<-started
	if st := r.Status(); st[0].InFlight != 1 || st[1].InFlight != 0 {
		t.Fatalf("in flight %+v", st)
	}
	if got := served(t, r, 3, "g"); !reflect.DeepEqual(got, []string{"b", "b", "b"}) {
		t.Fatalf("while a is busy: %v", got)
	}
	close(release)
	if d := <-done; d != "a" {
		t.Fatalf("blocked call served by %s", d)
	}
}

func TestUsageBased(t *testing.T) {
	clk := newFakeClock()
	ds := []Deployment{dep("g", "a", okModel("a", "")), dep("g", "b", okModel("b", ""))}
	ds[0].RPM = 2
	ds[1].TPM = 90
	r := newRouter(t, Config{Deployments: ds, Strategy: UsageBased}, clk, WithRand(seqRand(0.9)))
	// each call reserves the 8 prompt tokens counted before it; the usage
	// reported (10 prompt + 5 completion) makes it 15
	got := served(t, r, 4, "g")
	if !reflect.DeepEqual(got, []string{"a", "b", "a", "b"}) {
		t.Fatalf("served %v", got)
	}
	st := r.Status()
	if st[0].RPM != 2 || st[0].TPM != 30 || st[1].TPM != 30 {
		t.Fatalf("status %+v", st)
	}
	// a is at its rpm; b takes everything until its tpm is used up
	got = served(t, r, 4, "g")
	if !reflect.DeepEqual(got, []string{"b", "b", "b", "b"}) {
		t.Fatalf("served %v", got)
	}
	_, err := r.Complete(context.Background(), userReq("g", "hi"))
	if errKind(err) != llm.ErrRateLimit || !containsAll(err.Error(), "2 at their rpm/tpm limit") {
		t.Fatalf("err %v", err)
	}
	// a new minute resets the counters
	clk.Advance(time.Minute)
	if got := served(t, r, 1, "g"); got[0] != "a" {
		t.Fatalf("next minute: %v", got)
	}
}

func TestLatencyBased(t *testing.T) {
	clk := newFakeClock()
	slowFast := func(name string, d time.Duration) *fake {
		return &fake{fn: func(context.Context, *llm.Request, int) (*llm.Response, error) {
			clk.Advance(d)
			return reply(name), nil // 5 completion tokens
		}}
	}
	ds := []Deployment{dep("g", "a", slowFast("a", 500*time.Millisecond)), dep("g", "b", slowFast("b", 100*time.Millisecond)),
		dep("g", "c", slowFast("c", 110*time.Millisecond))}
	r := newRouter(t, Config{Deployments: ds, Strategy: LatencyBased, StrategyArgs: StrategyArgs{LatencyBuffer: 0.2}}, clk,
		WithRand(seqRand(0, 0.5, 0.9, 0.1, 0.9, 0.1, 0.9)))
	// deployments without samples count as fastest: a, then one of b and
	// c, then the last one without samples
	if got := served(t, r, 3, "g"); !reflect.DeepEqual(got, []string{"a", "c", "b"}) {
		t.Fatalf("warm-up served %v", got)
	}
	st := r.Status()
	if st[0].Latency != 0.1 || st[1].Latency < 0.0199 || st[1].Latency > 0.0201 {
		t.Fatalf("latency samples %+v", st)
	}
	// b (0.02 s/token) and c (0.022) are within 20%; a (0.1) is not
	got := served(t, r, 4, "g")
	if !reflect.DeepEqual(got, []string{"c", "b", "c", "b"}) {
		t.Fatalf("served %v", got)
	}
	// a timeout adds a penalty sample
	to := &fake{fn: func(ctx context.Context, _ *llm.Request, n int) (*llm.Response, error) {
		if n == 1 {
			return nil, httpErr(llm.ErrTimeout, 408)
		}
		return reply("x"), nil
	}}
	ds = []Deployment{dep("g", "x", to), dep("g", "y", slowFast("y", time.Second))}
	r = newRouter(t, Config{Deployments: ds, Strategy: LatencyBased, DisableCooldowns: true}, clk, WithRand(seqRand(0)))
	served(t, r, 1, "g") // x times out (penalty), y answers
	if st := r.Status(); st[0].Latency != DefaultTimeoutPenalty {
		t.Fatalf("penalty %+v", st)
	}
	if got := served(t, r, 2, "g"); !reflect.DeepEqual(got, []string{"y", "y"}) {
		t.Fatalf("after timeout: %v", got)
	}
}

func TestCostBased(t *testing.T) {
	ds := []Deployment{dep("g", "a", okModel("a", "")), dep("g", "b", okModel("b", "")), dep("g", "c", okModel("c", ""))}
	ds[0].Params.InputCostPerToken, ds[0].Params.OutputCostPerToken = 3e-6, 15e-6
	ds[1].Params.InputCostPerToken, ds[1].Params.OutputCostPerToken = 1e-6, 2e-6
	ds[2].Params.InputCostPerToken, ds[2].Params.OutputCostPerToken = 0.5e-6, 2.5e-6
	ds[1].RPM = 1
	ds[2].RPM = 1
	r := newRouter(t, Config{Deployments: ds, Strategy: CostBased}, newFakeClock(), WithRand(seqRand(0.9)))
	resp, err := r.Complete(context.Background(), userReq("g", "hi"))
	if err != nil || resp.Deployment != "b" && resp.Deployment != "c" {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	// b and c cost 3e-6 per token together: a tie, broken at random (0.9 keeps b)
	if resp.Deployment != "b" {
		t.Fatalf("tie: %s", resp.Deployment)
	}
	// cost from the deployment's overrides: 10 prompt * 1e-6 + 5 completion * 2e-6
	if d := resp.Cost - 20e-6; d > 1e-12 || d < -1e-12 {
		t.Fatalf("cost %g", resp.Cost)
	}
	if got := served(t, r, 2, "g"); !reflect.DeepEqual(got, []string{"c", "a"}) {
		t.Fatalf("under limits: %v", got)
	}
}

func TestOrder(t *testing.T) {
	clk := newFakeClock()
	ds := []Deployment{dep("g", "backup", okModel("backup", "")), dep("g", "main", script("main", nil, httpErr(llm.ErrAuthentication, 401), nil))}
	ds[0].Order = 2
	ds[1].Order = 1
	r := newRouter(t, Config{Deployments: ds}, clk)
	if got := served(t, r, 3, "g"); !reflect.DeepEqual(got, []string{"main", "backup", "backup"}) {
		t.Fatalf("served %v", got)
	}
	clk.Advance(DefaultCooldownTime)
	if got := served(t, r, 1, "g"); got[0] != "main" {
		t.Fatalf("after cooldown %v", got)
	}
}

func TestMaxParallelRequests(t *testing.T) {
	var cur, peak atomic.Int32
	m := &fake{fn: func(ctx context.Context, _ *llm.Request, _ int) (*llm.Response, error) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(2 * time.Millisecond)
		cur.Add(-1)
		return reply("x"), nil
	}}
	d := dep("g", "a", m)
	d.MaxParallelRequests = 2
	r := newRouter(t, Config{Deployments: []Deployment{d}}, nil)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.Complete(context.Background(), userReq("g", "hi")); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak.Load() != 2 || m.Calls() != 20 {
		t.Fatalf("peak %d calls %d", peak.Load(), m.Calls())
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !stringsContains(s, sub) {
			return false
		}
	}
	return true
}

func stringsContains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestWaitingForASlotEndsWithTheCall(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	m := &fake{fn: func(ctx context.Context, _ *llm.Request, n int) (*llm.Response, error) {
		if n == 1 {
			close(started)
			<-release
		}
		return reply("x"), nil
	}}
	d := dep("g", "a", m)
	d.MaxParallelRequests = 1
	r := newRouter(t, Config{Deployments: []Deployment{d}}, nil)
	done := make(chan error)
	go func() {
		_, err := r.Complete(context.Background(), userReq("g", "hi"))
		done <- err
	}()
	<-started
	req := userReq("g", "hi")
	req.Timeout = 20 * time.Millisecond
	_, err := r.Complete(context.Background(), req)
	if errKind(err) != llm.ErrTimeout || m.Calls() != 1 {
		t.Fatalf("err %v calls %d", err, m.Calls())
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
