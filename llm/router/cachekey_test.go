package router

import (
	"reflect"
	"testing"
	"time"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

// Every field that changes the answer changes the cache key; the fields
// that do not (Timeout, Stream, Metadata, Meta) do not.
func TestCacheKeyFields(t *testing.T) {
	base := func() *llm.Request {
		return &llm.Request{Model: "g", Messages: []llm.Message{llm.System("s"), llm.User("u")}}
	}
	k0 := CacheKey("g", base())
	if k0 == "" || CacheKey("g", base()) != k0 {
		t.Fatal("key not stable")
	}
	same := []func(*llm.Request){
		func(r *llm.Request) { r.Timeout = time.Second },
		func(r *llm.Request) { r.Metadata = map[string]any{"a": 1} },
		func(r *llm.Request) { r.Model = "other" }, // the group argument is what counts
		func(r *llm.Request) { r.Messages[0].Meta = &llm.ResponseMeta{Model: "x"} },
	}
	for i, f := range same {
		r := base()
		f(r)
		if CacheKey("g", r) != k0 {
			t.Errorf("same[%d] changed the key", i)
		}
	}
	diff := []func(*llm.Request){
		func(r *llm.Request) { r.Messages[1].Content = "v" },
		func(r *llm.Request) { r.Messages[1].Role = llm.RoleAssistant },
		func(r *llm.Request) { r.Messages[1].Name = "n" },
		func(r *llm.Request) { r.Messages[1].ToolCallID = "c" },
		func(r *llm.Request) { r.Messages[1].ReasoningContent = "think" },
		func(r *llm.Request) { r.Messages[1].ToolCalls = []llm.ToolCall{{ID: "1", Name: "f", Arguments: "{}"}} },
		func(r *llm.Request) { r.Messages = r.Messages[:1] },
		func(r *llm.Request) {
			r.Tools = []llms.Tool{{Type: "function", Function: &llms.FunctionDefinition{Name: "f"}}}
		},
		func(r *llm.Request) { r.ToolChoice = llm.ToolChoice{Mode: llm.ToolRequired} },
		func(r *llm.Request) { r.ToolChoice = llm.UseTool("f") },
		func(r *llm.Request) { r.Temperature = Float(0) },
		func(r *llm.Request) { r.MaxTokens = 5 },
		func(r *llm.Request) { r.TopP = Float(0) },
		func(r *llm.Request) { r.TopP = Float(0.5) },
		func(r *llm.Request) { r.Stop = []string{"x"} },
		func(r *llm.Request) { r.ResponseFormat = llm.JSONSchemaFormat("s", map[string]any{"type": "object"}) },
		func(r *llm.Request) { seed := 7; r.Seed = &seed },
		func(r *llm.Request) { r.N = 2 },
		func(r *llm.Request) { r.User = "mina" },
		func(r *llm.Request) { r.TopLogprobs = 3 },
		func(r *llm.Request) { r.Logprobs = true },
		func(r *llm.Request) { r.DropParams = true },
		func(r *llm.Request) { r.Extra = map[string]any{"k": 1} },
		func(r *llm.Request) { r.JSONMode = true },
		// content moved between messages is another conversation
		func(r *llm.Request) { r.Messages[0].Content, r.Messages[1].Content = "su", "" },
	}
	seen := map[string]int{k0: -1}
	for i, f := range diff {
		r := base()
		f(r)
		k := CacheKey("g", r)
		if j, dup := seen[k]; dup {
			t.Errorf("diff[%d] has the key of %d", i, j)
		}
		seen[k] = i
	}
	if CacheKey("h", base()) == k0 {
		t.Error("the group does not change the key")
	}
	// a field added to the request later is encoded too
	type future struct {
		Model string
		Seed  *int
	}
	if got := extraFields(reflect.TypeFor[future](), "Model"); len(got) != 1 || got[0] != 1 {
		t.Fatalf("extra fields %v", got)
	}
	if len(requestExtra) != 0 || len(messageExtra) != 0 {
		// still correct (encoded through JSON), but slower: add them to
		// the hand-written encoding
		t.Errorf("fields not in CacheKey's own encoding: request %v, message %v", requestExtra, messageExtra)
	}
}
