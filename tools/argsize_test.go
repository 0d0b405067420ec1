package tools_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

type noteArgs struct {
	Text string `json:"text"`
}

func noteTool(t *testing.T, ran *int, opts ...tools.Option) *tools.Tool {
	t.Helper()
	tool, err := tools.New("note", "Save a note", func(ctx context.Context, in noteArgs) (string, error) {
		*ran++
		return strconv.Itoa(len(in.Text)), nil
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tool
}

// argsOf returns the arguments {"text":"xxx..."} of exactly size bytes.
func argsOf(size int) string {
	return `{"text":"` + strings.Repeat("x", size-len(`{"text":""}`)) + `"}`
}

// TestArgumentSizeLimit: arguments over the limit are answered with an
// ArgumentsTooLargeError naming the limit, without being parsed and
// without running the tool; at the limit they go through.
func TestArgumentSizeLimit(t *testing.T) {
	ctx := context.Background()
	ran := 0
	reg, err := tools.NewRegistry(tools.Config{}, noteTool(t, &ran))
	if err != nil {
		t.Fatal(err)
	}
	huge := argsOf(11 << 20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := reg.Execute(ctx, llm.ToolCall{ID: "c1", Name: "note", Arguments: huge})
	runtime.ReadMemStats(&after)
	var tl *tools.ArgumentsTooLargeError
	if !errors.Is(res.Err, tools.ErrArgumentsTooLarge) || !errors.As(res.Err, &tl) ||
		tl.Size != len(huge) || tl.Limit != tools.DefaultMaxArgumentBytes || tl.Tool != "note" {
		t.Fatalf("11 MiB arguments: %v", res.Err)
	}
	if !strings.Contains(res.Content, strconv.Itoa(tools.DefaultMaxArgumentBytes)+" bytes") || !strings.Contains(res.Content, `"note"`) {
		t.Fatalf("the model is not told the limit: %q", res.Content)
	}
	if ran != 0 {
		t.Fatal("the tool ran on refused arguments")
	}
	// Refusing does not read the text: far less than its size is allocated.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<10 {
		t.Fatalf("refusing %d bytes of arguments allocated %d bytes", len(huge), alloc)
	}
	// Exactly at the limit: accepted.
	res = reg.Execute(ctx, llm.ToolCall{ID: "c2", Name: "note", Arguments: argsOf(tools.DefaultMaxArgumentBytes)})
	if res.Err != nil || ran != 1 {
		t.Fatalf("arguments at the limit: %v", res.Err)
	}

	// A registry's own limit, in RunTurn; a tool's limit overrides it.
	small, err := tools.NewRegistry(tools.Config{MaxArgumentBytes: 100}, noteTool(t, &ran))
	if err != nil {
		t.Fatal(err)
	}
	own := 0
	wide, _ := tools.New("wide", "", func(ctx context.Context, in noteArgs) (string, error) { own++; return "ok", nil },
		tools.WithMaxArgumentBytes(1000))
	if err := small.Register(wide); err != nil {
		t.Fatal(err)
	}
	results, err := small.RunTurn(ctx, []llm.ToolCall{
		{ID: "a", Name: "note", Arguments: argsOf(101)},
		{ID: "b", Name: "note", Arguments: argsOf(100)},
		{ID: "c", Name: "wide", Arguments: argsOf(500)},
		{ID: "d", Name: "wide", Arguments: argsOf(1001)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{100, 0, 0, 1000} {
		r := results[i]
		if want == 0 {
			if r.Err != nil {
				t.Errorf("call %s: %v", r.CallID, r.Err)
			}
			continue
		}
		if !errors.As(r.Err, &tl) || tl.Limit != want || !strings.Contains(r.Content, "limit of "+strconv.Itoa(want)+" bytes") {
			t.Errorf("call %s: %v / %q, want the %d byte limit", r.CallID, r.Err, r.Content, want)
		}
	}
	if own != 1 {
		t.Errorf("wide ran %d times, want 1", own)
	}
	// Tool.Execute alone uses the default.
	if r := noteTool(t, &ran).Execute(ctx, llm.ToolCall{Name: "note", Arguments: huge}); !errors.Is(r.Err, tools.ErrArgumentsTooLarge) {
		t.Errorf("Tool.Execute: %v", r.Err)
	}
	if _, err := tools.New("x", "", func(ctx context.Context, in noteArgs) (string, error) { return "", nil }, tools.WithMaxArgumentBytes(1)); !errors.Is(err, tools.ErrInvalidTool) {
		t.Errorf("WithMaxArgumentBytes(1): %v", err)
	}
}
