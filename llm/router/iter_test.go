package router

import (
	"context"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
)

// bodyCounter counts HTTP response bodies opened and closed.
type bodyCounter struct {
	base           *http.Transport
	mu             sync.Mutex
	opened, closed int
}

func (b *bodyCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := b.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.opened++
	b.mu.Unlock()
	resp.Body = &countedBody{ReadCloser: resp.Body, b: b}
	return resp, nil
}

type countedBody struct {
	io.ReadCloser
	b    *bodyCounter
	once sync.Once
}

func (c *countedBody) Close() error {
	c.once.Do(func() { c.b.mu.Lock(); c.b.closed++; c.b.mu.Unlock() })
	return c.ReadCloser.Close()
}

// TestRouterStreamFallsBackBeforeTheFirstChunk: ranging over Router.Stream
// retries and falls back before anything is yielded; the chunks come from
// the deployment that answered and the last item is its whole response.
func TestRouterStreamFallsBackBeforeTheFirstChunk(t *testing.T) {
	a := streamer([]string{"never"}, 0, &llm.Error{Kind: llm.ErrServiceUnavailable, StatusCode: 503})
	b := streamer([]string{"Hel", "lo"}, -1, nil)
	var log attemptLog
	r := newRouter(t, Config{Deployments: []Deployment{dep("p", "a", a), dep("f", "b", b)}, NumRetries: Int(0),
		Fallbacks: map[string][]string{"p": {"f"}}, Callbacks: []llm.Callback{log.callback()}}, newFakeClock())
	var texts []string
	var final *llm.Response
	for c, err := range r.Stream(context.Background(), userReq("p", "hi")) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Response != nil {
			final = c.Response
		} else if c.Text != "" {
			texts = append(texts, c.Text)
		}
	}
	if !reflect.DeepEqual(texts, []string{"Hel", "lo"}) || final == nil || final.Deployment != "b" || final.Message.Content != "Hello" || final.Attempts != 2 {
		t.Fatalf("texts %v final %+v", texts, final)
	}
	if got := log.deployments(); !reflect.DeepEqual(got, []string{"a", "b"}) || log.rows[0].Kind != llm.ErrServiceUnavailable || log.rows[1].Kind != "" {
		t.Fatalf("attempts %+v", log.rows)
	}

	// After the first chunk a failure is yielded once, with the partial reply.
	c := streamer([]string{"par", "tial", "never"}, 2, &llm.Error{Kind: llm.ErrAPIConnection, Message: "reset"})
	r2 := newRouter(t, Config{Deployments: []Deployment{dep("p", "c", c), dep("f", "b2", streamer([]string{"x"}, -1, nil))},
		Fallbacks: map[string][]string{"p": {"f"}}}, newFakeClock())
	var errs []error
	texts = nil
	for ch, err := range r2.Stream(context.Background(), userReq("p", "hi")) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		texts = append(texts, ch.Text)
	}
	var e *llm.Error
	if len(errs) != 1 || !errors.As(errs[0], &e) || e.Kind != llm.ErrStreamInterrupted || e.Partial.Message.Content != "partial" ||
		!reflect.DeepEqual(texts, []string{"par", "tial"}) {
		t.Fatalf("errs %v texts %v", errs, texts)
	}
}

// TestRouterStreamBreak: breaking out of the loop over a real wire
// deployment is a success for the router: success callback with the
// partial response, no failure callback, no cooldown or failure counted,
// the HTTP body closed and no goroutine left.
func TestRouterStreamBreak(t *testing.T) {
	for _, f := range []llmtest.Flavor{llmtest.OpenAI, llmtest.Anthropic, llmtest.Gemini} {
		t.Run(string(f), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			srv := llmtest.Start(f)
			defer srv.Close()
			srv.SetDefault(llmtest.Reply{Text: strings.Repeat("word ", 300), ChunkSize: 5, Usage: llmtest.Usage{Prompt: 30, Completion: 300}})
			tr := &bodyCounter{base: &http.Transport{}}
			defer tr.base.CloseIdleConnections()
			var mu sync.Mutex
			var successes []*llm.Response
			failures := 0
			cb := llm.CallbackFuncs{
				Success: func(_ context.Context, _ *llm.CallInfo, r *llm.Response) {
					mu.Lock()
					successes = append(successes, r)
					mu.Unlock()
				},
				Failure: func(context.Context, *llm.CallInfo, error) { mu.Lock(); failures++; mu.Unlock() },
			}
			r := newRouter(t, Config{Callbacks: []llm.Callback{cb}, Deployments: []Deployment{{Group: "g", ID: "d1",
				Params: llm.Params{Model: flavorModel[f], APIKey: "sk-test", APIBase: srv.APIBase(), HTTPClient: &http.Client{Transport: tr}}}}}, nil)
			for range 2 { // twice: the deployment stays healthy
				var seen strings.Builder
				n := 0
				for c, err := range r.Stream(context.Background(), userReq("g", "talk")) {
					if err != nil {
						t.Fatal(err)
					}
					seen.WriteString(c.Text)
					if n++; n == 4 {
						break
					}
				}
				mu.Lock()
				last := successes[len(successes)-1]
				mu.Unlock()
				if last.FinishReason != llm.FinishStopped || last.Message.Content != seen.String() || last.Deployment != "d1" {
					t.Fatalf("partial %+v, seen %q", last, seen.String())
				}
			}
			if opened, closed := func() (int, int) { tr.mu.Lock(); defer tr.mu.Unlock(); return tr.opened, tr.closed }(); opened != 2 || closed != 2 {
				t.Fatalf("bodies opened %d closed %d", opened, closed)
			}
			st := r.Status()[0]
			if len(successes) != 2 || failures != 0 || st.Failures != 0 || !st.CooldownUntil.IsZero() || st.InFlight != 0 || st.Requests != 2 {
				t.Fatalf("%d successes, %d failures, status %+v", len(successes), failures, st)
			}
		})
	}
}

// TestRouterStreamBreakOverAnyCompleter: a deployment that hands the
// stream function's ErrStopStream back as its error is also a success.
func TestRouterStreamBreakOverAnyCompleter(t *testing.T) {
	s := streamer([]string{"a", "b", "c", "d"}, -1, nil)
	var log attemptLog
	r := newRouter(t, Config{Deployments: []Deployment{dep("g", "s", s)}, Callbacks: []llm.Callback{log.callback()}}, newFakeClock())
	for c, err := range r.Stream(context.Background(), userReq("g", "hi")) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Text == "b" {
			break
		}
	}
	if len(log.rows) != 1 || log.rows[0].Kind != "" || r.Status()[0].Failures != 0 || cooling(r, "s") {
		t.Fatalf("attempts %+v status %+v", log.rows, r.Status())
	}
	// the callback form: ErrStopStream returns the partial response
	req := userReq("g", "hi")
	req.Stream = func(_ context.Context, c llm.Chunk) error {
		if c.Text == "c" {
			return llm.ErrStopStream
		}
		return nil
	}
	resp, err := r.Complete(context.Background(), req)
	if err != nil || resp.Message.Content != "abc" || resp.FinishReason != llm.FinishStopped {
		t.Fatalf("resp %+v err %v", resp, err)
	}
}
