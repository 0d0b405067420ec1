package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

// recorder logs every callback it gets, with the deployment and, for a
// failure, the error text.
type recorder struct {
	name string
	mu   *sync.Mutex
	log  *[]string
	// reject, when set, is returned by OnInput.
	reject error
	// errs holds the errors OnFailure got.
	errs *[]error
}

func (r recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*r.log = append(*r.log, r.name+" "+s)
}

func (r recorder) OnInput(_ context.Context, info *llm.CallInfo) error {
	r.add("input " + info.Deployment)
	return r.reject
}

func (r recorder) OnSuccess(_ context.Context, info *llm.CallInfo, _ *llm.Response) {
	r.add("success " + info.Deployment)
}

func (r recorder) OnFailure(_ context.Context, info *llm.CallInfo, err error) {
	r.mu.Lock()
	*r.errs = append(*r.errs, err)
	r.mu.Unlock()
	if info.End.IsZero() {
		r.add("failure " + info.Deployment + " without End")
		return
	}
	r.add("failure " + info.Deployment)
}

func (r recorder) OnStream(context.Context, *llm.CallInfo, llm.Chunk) {}

func recorders(names []string, reject map[string]error) ([]llm.Callback, *[]string, *[]error) {
	var mu sync.Mutex
	var log []string
	var errs []error
	var cbs []llm.Callback
	for _, n := range names {
		cbs = append(cbs, recorder{name: n, mu: &mu, log: &log, reject: reject[n], errs: &errs})
	}
	return cbs, &log, &errs
}

// An input callback that rejects the attempt ends it for every callback
// whose OnInput ran (the rejecting one included) with OnFailure and the
// call's error; callbacks after it are never called; the model is not
// called and the deployment's reservation is given back.
func TestRejectedAttemptEndsEveryStartedCallback(t *testing.T) {
	policy := errors.New("blocked by policy")
	cbs, log, errs := recorders([]string{"first", "rejecter", "after"}, map[string]error{"rejecter": policy})
	m := okModel("a", "x")
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", m)}, Callbacks: cbs}, newFakeClock())
	_, err := r.Complete(context.Background(), userReq("g", "hi"))
	if !errors.Is(err, policy) || !errors.Is(err, llm.ErrRejected) {
		t.Fatalf("err %v", err)
	}
	if want := "router: input callback rejected the call to deployment a: blocked by policy"; err.Error() != want {
		t.Fatalf("err %q, want %q", err, want)
	}
	want := []string{"first input a", "rejecter input a", "first failure a", "rejecter failure a"}
	if strings.Join(*log, "|") != strings.Join(want, "|") {
		t.Fatalf("callbacks saw %q, want %q", *log, want)
	}
	if len(*errs) != 2 || (*errs)[0] != err || (*errs)[1] != err {
		t.Fatalf("OnFailure got %v, want the call's error twice", *errs)
	}
	if m.Calls() != 0 {
		t.Fatal("a rejected attempt reached the model")
	}
	if st := r.Status(); st[0].InFlight != 0 || st[0].RPM != 0 {
		t.Fatalf("a rejected call holds no reservation: %+v", st[0])
	}
}

// The same holds on a single model (llm.WithCallbacks), through the shared
// llm.Callbacks.Begin.
func TestCallbacksBegin(t *testing.T) {
	policy := errors.New("no")
	cbs, log, _ := recorders([]string{"a", "b", "c"}, map[string]error{"b": policy})
	info := &llm.CallInfo{Deployment: "d"}
	ran, err := llm.Callbacks(cbs).Begin(context.Background(), info)
	if err != policy || len(ran) != 2 {
		t.Fatalf("ran %d, err %v", len(ran), err)
	}
	ran, err = llm.Callbacks(cbs[:1]).Begin(context.Background(), info)
	if err != nil || ran != nil {
		t.Fatalf("ran %v, err %v", ran, err)
	}
	if want := "a input d|b input d|a input d"; strings.Join(*log, "|") != want {
		t.Fatalf("log %q", *log)
	}
}

// A Completer that panics: the callbacks that saw the attempt start get
// OnFailure, the deployment's in-flight slot is freed, and the panic
// reaches the caller unchanged.
func TestPanickingModelEndsCallbacksAndFreesSlot(t *testing.T) {
	for _, withDeadline := range []bool{false, true} {
		t.Run(fmt.Sprintf("deadline=%v", withDeadline), func(t *testing.T) {
			cbs, log, errs := recorders([]string{"rec"}, nil)
			boom := &fake{fn: func(context.Context, *llm.Request, int) (*llm.Response, error) { panic("model bug") }}
			r := newRouter(t, Config{Deployments: []Deployment{dep("g", "a", boom)}, Callbacks: cbs}, newFakeClock())
			ctx := context.Background()
			if withDeadline {
				// the attempt runs in its own goroutine (r.invoke)
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			var got any
			func() {
				defer func() { got = recover() }()
				r.Complete(ctx, userReq("g", "hi"))
			}()
			if got != "model bug" {
				t.Fatalf("recovered %v, want the model's panic", got)
			}
			if want := "rec input a|rec failure a"; strings.Join(*log, "|") != want {
				t.Fatalf("log %q", *log)
			}
			if len(*errs) != 1 || !strings.Contains((*errs)[0].Error(), "the model panicked: model bug") {
				t.Fatalf("errs %v", *errs)
			}
			if st := r.Status(); st[0].InFlight != 0 {
				t.Fatalf("the panicking attempt still holds its slot: %+v", st[0])
			}
		})
	}
}
