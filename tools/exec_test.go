package tools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jedisos/jedisos/llm"
)

type label string

type report struct {
	City string  `json:"city"`
	Temp float64 `json:"temp"`
}

func TestOutputEncoding(t *testing.T) {
	type in struct{}
	cases := []struct {
		name string
		tool func() (*Tool, error)
		want string
	}{
		{"string passthrough", func() (*Tool, error) {
			return New("s", "", func(context.Context, in) (string, error) { return `say "hi"`, nil })
		}, `say "hi"`},
		{"named string", func() (*Tool, error) {
			return New("n", "", func(context.Context, in) (label, error) { return "sunny", nil })
		}, "sunny"},
		{"struct as JSON", func() (*Tool, error) {
			return New("j", "", func(context.Context, in) (report, error) { return report{"Seoul", 15.5}, nil })
		}, `{"city":"Seoul","temp":15.5}`},
		{"pointer as JSON", func() (*Tool, error) {
			return New("p", "", func(context.Context, in) (*report, error) { return &report{"Busan", 18}, nil })
		}, `{"city":"Busan","temp":18}`},
		{"nil pointer", func() (*Tool, error) {
			return New("np", "", func(context.Context, in) (*report, error) { return nil, nil })
		}, `null`},
		{"raw JSON", func() (*Tool, error) {
			return New("r", "", func(context.Context, in) (json.RawMessage, error) { return json.RawMessage(`{"a":1}`), nil })
		}, `{"a":1}`},
		{"any holding a string", func() (*Tool, error) {
			return New("a", "", func(context.Context, in) (any, error) { return "text", nil })
		}, `text`},
		{"nil any", func() (*Tool, error) {
			return New("na", "", func(context.Context, in) (any, error) { return nil, nil })
		}, `null`},
		{"slice", func() (*Tool, error) {
			return New("sl", "", func(context.Context, in) ([]int, error) { return []int{3, 1, 2}, nil })
		}, `[3,1,2]`},
		{"Korean text", func() (*Tool, error) {
			return New("ko", "", func(context.Context, in) (string, error) { return "서울: 맑음", nil })
		}, "서울: 맑음"},
	}
	for _, c := range cases {
		tool, err := c.tool()
		if err != nil {
			t.Fatal(err)
		}
		res := tool.Execute(context.Background(), call(tool.Name(), "{}"))
		if res.Err != nil || res.Content != c.want || res.Truncated {
			t.Errorf("%s: got %+v, want content %q", c.name, res, c.want)
		}
	}
}

func TestOutputEncodingFailure(t *testing.T) {
	bad, err := NewNoArgs("bad", "", func(context.Context) (any, error) { return map[string]any{"f": func() {}}, nil })
	if err != nil {
		t.Fatal(err)
	}
	res := bad.Execute(context.Background(), call("bad", ""))
	var ee *ExecError
	if !errors.As(res.Err, &ee) || !errors.Is(res.Err, ErrToolFailed) {
		t.Fatalf("Err = %v", res.Err)
	}
	var ute *json.UnsupportedTypeError
	if !errors.As(res.Err, &ute) {
		t.Errorf("Err does not wrap the JSON encoder's error: %v", res.Err)
	}
	invalidRaw, _ := NewNoArgs("raw", "", func(context.Context) (json.RawMessage, error) { return json.RawMessage(`{"a"`), nil })
	if res := invalidRaw.Execute(context.Background(), call("raw", "")); !errors.Is(res.Err, ErrToolFailed) {
		t.Errorf("invalid raw output: Err = %v", res.Err)
	}
}

func TestTruncation(t *testing.T) {
	long := strings.Repeat("가나다", 100) // 900 bytes, 3 bytes per rune
	tool, err := NewNoArgs("long", "", func(context.Context) (string, error) { return long, nil }, WithMaxOutputBytes(200))
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("long", ""))
	if res.Err != nil || !res.Truncated {
		t.Fatalf("result = %+v", res)
	}
	if len(res.Content) > 200 {
		t.Errorf("content is %d bytes, limit 200", len(res.Content))
	}
	if !utf8.ValidString(res.Content) {
		t.Errorf("content cut inside a rune: %q", res.Content)
	}
	body, marker, ok := strings.Cut(res.Content, "\n[output truncated: ")
	if !ok || !strings.HasPrefix(long, body) {
		t.Fatalf("content = %q", res.Content)
	}
	if want := fmt.Sprintf("%d of 900 bytes shown]", len(body)); marker != want {
		t.Errorf("marker = %q, want %q", marker, want)
	}
	// 200 - len("\n[output truncated: 200 of 900 bytes shown]") = 157 bytes,
	// rounded down to the start of a 3-byte rune.
	if len(body) != 156 {
		t.Errorf("kept %d bytes, want 156", len(body))
	}

	// Registry default applies to tools without their own limit.
	short, _ := NewNoArgs("short", "", func(context.Context) (string, error) { return strings.Repeat("x", 100), nil })
	reg, err := NewRegistry(Config{MaxOutputBytes: 80}, short)
	if err != nil {
		t.Fatal(err)
	}
	res = reg.Execute(context.Background(), call("short", ""))
	if !res.Truncated || len(res.Content) > 80 || !strings.HasSuffix(res.Content, " of 100 bytes shown]") {
		t.Errorf("registry limit: %+v", res)
	}
	// At the limit nothing changes.
	exact, _ := NewNoArgs("exact", "", func(context.Context) (string, error) { return strings.Repeat("y", 80), nil })
	if err := reg.Register(exact); err != nil {
		t.Fatal(err)
	}
	if res := reg.Execute(context.Background(), call("exact", "")); res.Truncated || res.Content != strings.Repeat("y", 80) {
		t.Errorf("output at the limit changed: %+v", res)
	}
}

var errNoStation = errors.New("no weather station near the location")

func TestToolError(t *testing.T) {
	tool, err := New("get_weather", "", func(context.Context, weatherIn) (string, error) {
		return "", fmt.Errorf("looking up Atlantis: %w", errNoStation)
	})
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("get_weather", `{"location":"Atlantis"}`))
	if !errors.Is(res.Err, ErrToolFailed) || !errors.Is(res.Err, errNoStation) {
		t.Fatalf("Err = %v", res.Err)
	}
	if want := `Error: tool "get_weather" failed: looking up Atlantis: no weather station near the location`; res.Content != want {
		t.Errorf("content = %q, want %q", res.Content, want)
	}
}

func TestPanicBecomesError(t *testing.T) {
	tool, err := New("get_weather", "", func(_ context.Context, in weatherIn) (string, error) {
		var m map[string]int
		m[in.Location] = 1 // assignment to a nil map
		return "", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("get_weather", `{"location":"Seoul"}`))
	var pe *PanicError
	if !errors.As(res.Err, &pe) || !errors.Is(res.Err, ErrPanic) {
		t.Fatalf("Err = %v", res.Err)
	}
	if pe.Tool != "get_weather" || !strings.Contains(string(pe.Stack), "TestPanicBecomesError") {
		t.Errorf("panic error %+v lacks tool or stack", pe)
	}
	var re interface{ RuntimeError() }
	if !errors.As(res.Err, &re) {
		t.Errorf("panic value not unwrapped: %v", res.Err)
	}
	if want := `Error: tool "get_weather" crashed while running (panic: assignment to entry in nil map). This is a fault in the tool, not in your arguments.`; res.Content != want {
		t.Errorf("content = %q", res.Content)
	}
}

func TestTimeout(t *testing.T) {
	tool, err := NewNoArgs("slow", "", func(ctx context.Context) (string, error) {
		<-ctx.Done()
		return "", ctx.Err()
	}, WithTimeout(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("slow", ""))
	var te *TimeoutError
	if !errors.As(res.Err, &te) || !errors.Is(res.Err, ErrTimeout) || !errors.Is(res.Err, context.DeadlineExceeded) {
		t.Fatalf("Err = %v", res.Err)
	}
	if te.Timeout != 20*time.Millisecond {
		t.Errorf("Timeout = %v", te.Timeout)
	}
	if want := `Error: tool "slow" did not finish within 20ms and was stopped.`; res.Content != want {
		t.Errorf("content = %q", res.Content)
	}
}

func TestTimeoutOfToolIgnoringContext(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	stubborn, err := NewNoArgs("stubborn", "", func(context.Context) (string, error) {
		defer close(finished)
		<-release // ignores its context
		return "late", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	quick, _ := NewNoArgs("quick", "", func(context.Context) (string, error) { return "fast", nil })
	// One worker: the turn goes on past the stuck call with a new worker.
	reg, err := NewRegistry(Config{Timeout: 20 * time.Millisecond, MaxConcurrency: 1}, stubborn, quick)
	if err != nil {
		t.Fatal(err)
	}
	results, err := reg.RunTurn(context.Background(), []llm.ToolCall{
		{ID: "1", Name: "quick"}, {ID: "2", Name: "stubborn"}, {ID: "3", Name: "quick"}, {ID: "4", Name: "quick"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(results[1].Err, ErrTimeout) || results[1].CallID != "2" {
		t.Errorf("stuck call: %+v", results[1])
	}
	for _, i := range []int{0, 2, 3} {
		if results[i].Err != nil || results[i].Content != "fast" {
			t.Errorf("call %d: %+v", i, results[i])
		}
	}
	close(release)
	<-finished
}

func TestExecuteReplacesLateResult(t *testing.T) {
	tool, err := NewNoArgs("late", "", func(context.Context) (string, error) {
		time.Sleep(30 * time.Millisecond) // ignores its context
		return "too late", nil
	}, WithTimeout(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("late", ""))
	if !errors.Is(res.Err, ErrTimeout) || res.Content != `Error: tool "late" did not finish within 5ms and was stopped.` {
		t.Errorf("result = %+v", res)
	}
}

func TestCancellationStopsRunningTool(t *testing.T) {
	started := make(chan struct{})
	tool, err := NewNoArgs("wait", "", func(ctx context.Context) (string, error) {
		close(started)
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	res := tool.Execute(ctx, call("wait", ""))
	var ce *CanceledError
	if !errors.As(res.Err, &ce) || !errors.Is(res.Err, ErrCanceled) || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("Err = %v", res.Err)
	}
	if errors.Is(res.Err, ErrTimeout) {
		t.Errorf("cancellation reported as a timeout")
	}

	// A context done before the call never runs the tool.
	ran := false
	quick, _ := NewNoArgs("quick", "", func(context.Context) (string, error) { ran = true; return "", nil })
	cause := errors.New("user pressed stop")
	ctx, cancelCause := context.WithCancelCause(context.Background())
	cancelCause(cause)
	res = quick.Execute(ctx, call("quick", ""))
	if ran || !errors.Is(res.Err, cause) || !errors.Is(res.Err, ErrCanceled) {
		t.Errorf("ran=%v Err=%v", ran, res.Err)
	}
}

func TestUnknownTool(t *testing.T) {
	a, _ := NewNoArgs("get_weather", "", func(context.Context) (string, error) { return "", nil })
	b, _ := NewNoArgs("search_web", "", func(context.Context) (string, error) { return "", nil })
	reg, err := NewRegistry(Config{}, a, b)
	if err != nil {
		t.Fatal(err)
	}
	res := reg.Execute(context.Background(), llm.ToolCall{ID: "c9", Name: "get_wether", Arguments: "{}"})
	var ue *UnknownToolError
	if !errors.As(res.Err, &ue) || !errors.Is(res.Err, ErrUnknownTool) {
		t.Fatalf("Err = %v", res.Err)
	}
	if strings.Join(ue.Available, ",") != "get_weather,search_web" || ue.Names[0] != "get_wether" {
		t.Errorf("error = %+v", ue)
	}
	if want := `Error: there is no tool named "get_wether". Available tools: get_weather, search_web. Call one of them by its exact name.`; res.Content != want {
		t.Errorf("content = %q", res.Content)
	}
	if m := res.Message(); m.Role != llm.RoleTool || m.ToolCallID != "c9" || m.Name != "get_wether" || m.Content != res.Content {
		t.Errorf("message = %+v", m)
	}
}

func TestRunTurnOrderAndBound(t *testing.T) {
	const n, bound = 40, 4
	var running, peak atomic.Int32
	tool, err := New("sleep", "", func(ctx context.Context, in struct {
		N     int `json:"n"`
		Delay int `json:"delay_us"`
	}) (string, error) {
		cur := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		select {
		case <-time.After(time.Duration(in.Delay) * time.Microsecond):
		case <-ctx.Done():
			return "", ctx.Err()
		}
		return fmt.Sprintf("done %d", in.N), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(Config{MaxConcurrency: bound}, tool)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	calls := make([]llm.ToolCall, n)
	for i := range calls {
		calls[i] = llm.ToolCall{ID: fmt.Sprintf("call_%02d", i), Name: "sleep",
			Arguments: fmt.Sprintf(`{"n":%d,"delay_us":%d}`, i, rng.IntN(3000))}
	}
	calls[7].Arguments = `{"n":"seven"}` // a bad call among good ones
	calls[13].Name = "nope"
	results, err := reg.RunTurn(context.Background(), calls)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != n {
		t.Fatalf("%d results for %d calls", len(results), n)
	}
	for i, r := range results {
		if r.CallID != calls[i].ID {
			t.Errorf("result %d answers %s, want %s", i, r.CallID, calls[i].ID)
		}
		switch i {
		case 7:
			if !errors.Is(r.Err, ErrInvalidArguments) {
				t.Errorf("call 7: Err = %v", r.Err)
			}
		case 13:
			if !errors.Is(r.Err, ErrUnknownTool) {
				t.Errorf("call 13: Err = %v", r.Err)
			}
		default:
			if r.Err != nil || r.Content != fmt.Sprintf("done %d", i) {
				t.Errorf("call %d: %+v", i, r)
			}
		}
	}
	if p := peak.Load(); p > bound || p < 2 {
		t.Errorf("peak concurrency %d, want 2..%d", p, bound)
	}
	msgs := Messages(results)
	if len(msgs) != n || msgs[5].ToolCallID != "call_05" || msgs[5].Content != "done 5" || msgs[5].Role != llm.RoleTool {
		t.Errorf("messages: %+v", msgs[5])
	}
}

func TestRunTurnCancellation(t *testing.T) {
	var started sync.WaitGroup
	started.Add(2)
	var ran atomic.Int32
	tool, err := NewNoArgs("block", "", func(ctx context.Context) (string, error) {
		ran.Add(1)
		started.Done()
		<-ctx.Done()
		return "", ctx.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(Config{MaxConcurrency: 2}, tool)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		started.Wait()
		cancel()
	}()
	calls := []llm.ToolCall{{ID: "a", Name: "block"}, {ID: "b", Name: "block"}, {ID: "c", Name: "block"}, {ID: "d", Name: "block"}}
	results, err := reg.RunTurn(ctx, calls)
	if !errors.Is(err, ErrCanceled) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if ran.Load() != 2 {
		t.Errorf("%d tools ran after cancellation, want 2", ran.Load())
	}
	for i, r := range results {
		if r.CallID != calls[i].ID || !errors.Is(r.Err, ErrCanceled) {
			t.Errorf("result %d: %+v", i, r)
		}
	}
}

func TestRunTurnEmptyAndSingle(t *testing.T) {
	tool, _ := NewNoArgs("one", "", func(context.Context) (int, error) { return 1, nil })
	reg, _ := NewRegistry(Config{}, tool)
	results, err := reg.RunTurn(context.Background(), nil)
	if err != nil || len(results) != 0 {
		t.Errorf("empty turn: %v %v", results, err)
	}
	results, err = reg.RunTurn(context.Background(), []llm.ToolCall{{ID: "x", Name: "one"}})
	if err != nil || len(results) != 1 || results[0].Content != "1" {
		t.Errorf("single call: %+v %v", results, err)
	}
}

func TestPointerAt(t *testing.T) {
	doc := []byte(`{"a":[1,{"b/c":[true,2.5]}],"d":{"e":"x"},"f":7}`)
	cases := map[string]string{
		"1":    "/a/0",
		"2.5":  "/a/1/b~1c/1",
		`"x"`:  "/d/e",
		"7":    "/f",
		"true": "/a/1/b~1c/0",
	}
	for lit, want := range cases {
		end := int64(strings.Index(string(doc), lit) + len(lit))
		got, ok := pointerAt(doc, end)
		if !ok || got != want {
			t.Errorf("value %s: got %q %v, want %q", lit, got, ok, want)
		}
	}
	if _, ok := pointerAt(doc, 3); ok {
		t.Errorf("offset inside a key matched")
	}
}

func TestGoexitBecomesError(t *testing.T) {
	quit, err := NewNoArgs("quit", "", func(context.Context) (string, error) {
		runtime.Goexit()
		return "unreachable", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := NewNoArgs("ok", "", func(context.Context) (string, error) { return "fine", nil })
	reg, _ := NewRegistry(Config{MaxConcurrency: 1}, quit, ok)
	results, err := reg.RunTurn(context.Background(), []llm.ToolCall{{ID: "1", Name: "quit"}, {ID: "2", Name: "ok"}})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(results[0].Err, ErrToolFailed) || !errors.Is(results[0].Err, errGoexit) {
		t.Errorf("Goexit call: %+v", results[0])
	}
	if results[1].Content != "fine" {
		t.Errorf("call after Goexit: %+v", results[1])
	}
}

func TestZeroRegistry(t *testing.T) {
	var reg Registry
	if res := reg.Execute(context.Background(), call("x", "")); !errors.Is(res.Err, ErrUnknownTool) ||
		!strings.Contains(res.Content, "Available tools: none.") {
		t.Errorf("empty registry: %+v", res)
	}
	tool, _ := NewNoArgs("x", "", func(context.Context) (string, error) { return "fine", nil })
	if err := reg.Register(tool); err != nil {
		t.Fatal(err)
	}
	results, err := reg.RunTurn(context.Background(), []llm.ToolCall{{ID: "1", Name: "x"}, {ID: "2", Name: "x"}})
	if err != nil || results[0].Content != "fine" || results[1].Content != "fine" {
		t.Errorf("zero registry turn: %+v %v", results, err)
	}
}

func TestRunTurnCancellationDoesNotWaitForStubbornTool(t *testing.T) {
	release := make(chan struct{})
	finished := make(chan struct{})
	started := make(chan struct{})
	tool, err := NewNoArgs("stubborn", "", func(context.Context) (string, error) {
		defer close(finished)
		close(started)
		<-release // ignores its context
		return "late", nil
	})
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := NewRegistry(Config{}, tool)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	results, err := reg.RunTurn(ctx, []llm.ToolCall{{ID: "1", Name: "stubborn"}})
	if !errors.Is(err, context.Canceled) || !errors.Is(results[0].Err, ErrCanceled) {
		t.Errorf("err = %v, result = %+v", err, results[0])
	}
	close(release)
	<-finished
}

func TestLongErrorTruncatedAndSchemaCopied(t *testing.T) {
	tool, err := NewNoArgs("noisy", "", func(context.Context) (string, error) {
		return "", errors.New(strings.Repeat("e", 500))
	}, WithMaxOutputBytes(100))
	if err != nil {
		t.Fatal(err)
	}
	res := tool.Execute(context.Background(), call("noisy", ""))
	if !errors.Is(res.Err, ErrToolFailed) || len(res.Content) > 100 ||
		!strings.HasPrefix(res.Content, `Error: tool "noisy" failed: eee`) || !strings.Contains(res.Content, "[output truncated: ") {
		t.Errorf("result = %+v", res)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration = %v", res.Duration)
	}
	s := tool.Schema()
	s[0] = 'X'
	if tool.Schema()[0] != '{' {
		t.Errorf("Schema returned the tool's own bytes")
	}
}
