package tools_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

func TestUnregisterAndReplace(t *testing.T) {
	mk := func(name, out string) *tools.Tool {
		tl, err := tools.NewNoArgs(name, name, func(context.Context) (string, error) { return out, nil })
		if err != nil {
			t.Fatal(err)
		}
		return tl
	}
	reg, err := tools.NewRegistry(tools.Config{}, mk("a", "1"), mk("b", "1"), mk("c", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if n := reg.Unregister("b", "nope"); n != 1 || strings.Join(reg.Names(), ",") != "a,c" {
		t.Fatalf("Unregister removed %d, names %v", n, reg.Names())
	}
	// A clash with a tool that stays changes nothing.
	err = reg.Replace([]string{"a"}, mk("a", "2"), mk("c", "2"))
	var de *tools.DuplicateToolError
	if !errors.As(err, &de) || de.Name != "c" || strings.Join(reg.Names(), ",") != "a,c" {
		t.Fatalf("clashing Replace: %v, names %v", err, reg.Names())
	}
	if res := reg.Execute(context.Background(), llm.ToolCall{ID: "1", Name: "a", Arguments: "{}"}); res.Content != "1" {
		t.Fatalf("a after a refused Replace = %q", res.Content)
	}
	if err := reg.Replace([]string{"a"}, mk("a", "2"), mk("d", "2")); err != nil {
		t.Fatal(err)
	}
	if strings.Join(reg.Names(), ",") != "c,a,d" {
		t.Fatalf("names after Replace = %v", reg.Names())
	}
	if res := reg.Execute(context.Background(), llm.ToolCall{ID: "1", Name: "a", Arguments: "{}"}); res.Content != "2" {
		t.Fatalf("a after Replace = %q", res.Content)
	}
	if err := reg.Replace(nil, nil); !errors.Is(err, tools.ErrInvalidTool) {
		t.Fatalf("nil tool: %v", err)
	}
}
