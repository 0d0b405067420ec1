package llm_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/tmc/langchaingo/llms"
)

func ptr[T any](v T) *T { return &v }

var citySchema = map[string]any{"type": "object", "additionalProperties": false,
	"properties": map[string]any{"city": map[string]any{"type": "string"}, "temp_c": map[string]any{"type": "number"}},
	"required":   []any{"city", "temp_c"}}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestPassThroughOpenAI: every pass-through parameter reaches an
// OpenAI-compatible server under its own name, TopP 0 included, Extra is
// merged last; the response carries Created, log probabilities and, for
// n > 1, every choice.
func TestPassThroughOpenAI(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m := newModel(t, "gpt-4o", srv)
	srv.Enqueue(llmtest.Reply{Text: "Seoul is sunny", ChunkSize: 6, Logprobs: true, Choices: []string{"Seoul: sunny"},
		Usage: llmtest.Usage{Prompt: 12, Completion: 4}})
	req := userReq("weather?")
	req.TopP, req.Seed, req.N, req.User = ptr(0.0), ptr(42), 2, "user-1234"
	req.TopLogprobs, req.Stop = 2, []string{"END"}
	req.ResponseFormat = llm.JSONSchemaFormat("weather", citySchema)
	req.Extra = map[string]any{"service_tier": "flex", "seed": 7, "metadata": map[string]any{"app": "jedisos"}}
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Last()
	j := got.JSON
	for k, want := range map[string]string{
		"top_p": `0`, "seed": `7`, "n": `2`, "user": `"user-1234"`, "logprobs": `true`, "top_logprobs": `2`, "stop": `["END"]`,
		"service_tier": `"flex"`, "metadata": `{"app":"jedisos"}`,
		"response_format": `{"json_schema":{"name":"weather","schema":{"additionalProperties":false,"properties":{"city":{"type":"string"},"temp_c":{"type":"number"}},"required":["city","temp_c"],"type":"object"},"strict":true},"type":"json_schema"}`,
	} {
		if g := jsonOf(j[k]); g != want {
			t.Errorf("%s = %s, want %s", k, g, want)
		}
	}
	if !resp.Created.Equal(time.Unix(1700000001, 0)) {
		t.Errorf("created %v", resp.Created)
	}
	if len(resp.Choices) != 2 || resp.Choices[1].Message.Content != "Seoul: sunny" || resp.Message.Content != "Seoul is sunny" ||
		resp.Choices[0].Message.Content != "Seoul is sunny" || resp.Choices[1].Index != 1 {
		t.Fatalf("choices %+v message %q", resp.Choices, resp.Message.Content)
	}
	want := []llm.TokenLogprob{
		{Token: "Seoul ", Logprob: -0.1, Bytes: []int{83, 101, 111, 117, 108, 32}, TopLogprobs: []llm.TopLogprob{{Token: "alt0", Logprob: -1.1}, {Token: "alt1", Logprob: -2.1}}},
		{Token: "is sun", Logprob: -0.2, Bytes: []int{105, 115, 32, 115, 117, 110}, TopLogprobs: []llm.TopLogprob{{Token: "alt0", Logprob: -1.2}, {Token: "alt1", Logprob: -2.2}}},
		{Token: "ny", Logprob: -0.3, Bytes: []int{110, 121}, TopLogprobs: []llm.TopLogprob{{Token: "alt0", Logprob: -1.3}, {Token: "alt1", Logprob: -2.3}}},
	}
	if !approxLogprobs(resp.Logprobs, want) {
		t.Fatalf("logprobs %+v", resp.Logprobs)
	}

	// Unset parameters are not sent at all.
	if _, err := m.Complete(context.Background(), userReq("x")); err != nil {
		t.Fatal(err)
	}
	got, _ = srv.Last()
	for _, k := range []string{"top_p", "seed", "n", "user", "logprobs", "top_logprobs", "stop", "response_format", "temperature"} {
		if _, ok := got.JSON[k]; ok {
			t.Errorf("%s sent unset: %s", k, got.Body)
		}
	}

	// Streamed: log probabilities arrive with the chunks and in the response.
	srv.Enqueue(llmtest.Reply{Text: "Seoul is sunny", ChunkSize: 6, Logprobs: true})
	req = userReq("weather?")
	req.Logprobs = true
	var streamed []llm.TokenLogprob
	var final *llm.Response
	for c, err := range m.Stream(context.Background(), req) {
		if err != nil {
			t.Fatal(err)
		}
		streamed = append(streamed, c.Logprobs...)
		if c.Response != nil {
			final = c.Response
		}
	}
	if len(streamed) != 3 || streamed[2].Token != "ny" || len(final.Logprobs) != 3 || final.Logprobs[0].Logprob != -0.1 || final.Created.IsZero() {
		t.Fatalf("streamed %+v final %+v", streamed, final)
	}
}

func approxLogprobs(got, want []llm.TokenLogprob) bool {
	if len(got) != len(want) {
		return false
	}
	near := func(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
	for i := range got {
		g, w := got[i], want[i]
		if g.Token != w.Token || !near(g.Logprob, w.Logprob) || !reflect.DeepEqual(g.Bytes, w.Bytes) || len(g.TopLogprobs) != len(w.TopLogprobs) {
			return false
		}
		for k := range g.TopLogprobs {
			if g.TopLogprobs[k].Token != w.TopLogprobs[k].Token || !near(g.TopLogprobs[k].Logprob, w.TopLogprobs[k].Logprob) {
				return false
			}
		}
	}
	return true
}

// TestPassThroughGemini: the same parameters in generateContent's shape.
func TestPassThroughGemini(t *testing.T) {
	srv := llmtest.NewGemini(t)
	m := newModel(t, "gemini/gemini-2.0-flash", srv)
	srv.Enqueue(llmtest.Reply{Text: `{"city":"Seoul","temp_c":21}`, ChunkSize: 100, Logprobs: true, Choices: []string{`{"city":"Busan","temp_c":19}`}})
	req := userReq("weather?")
	req.TopP, req.Seed, req.N, req.TopLogprobs, req.Stop = ptr(0.0), ptr(42), 2, 3, []string{"END"}
	req.ResponseFormat = llm.JSONSchemaFormat("weather", citySchema)
	req.Extra = map[string]any{"safetySettings": []any{map[string]any{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}}}
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Last()
	gc := jsonOf(got.JSON["generationConfig"])
	want := `{"candidateCount":2,"logprobs":3,"responseLogprobs":true,"responseMimeType":"application/json","responseSchema":{"properties":{"city":{"type":"string"},"temp_c":{"type":"number"}},"required":["city","temp_c"],"type":"object"},"seed":42,"stopSequences":["END"],"topP":0}`
	if gc != want {
		t.Fatalf("generationConfig %s\nwant %s", gc, want)
	}
	if s := jsonOf(got.JSON["safetySettings"]); !strings.Contains(s, "BLOCK_NONE") {
		t.Fatalf("extra not merged: %s", got.Body)
	}
	if len(resp.Choices) != 2 || resp.Choices[1].Message.Content != `{"city":"Busan","temp_c":19}` || len(resp.Logprobs) != 1 ||
		len(resp.Logprobs[0].TopLogprobs) != 3 || resp.Logprobs[0].Logprob != -0.1 || resp.Created.IsZero() {
		t.Fatalf("resp %+v", resp)
	}
}

// TestPassThroughAnthropic: top_p 0 and the user reach the messages API; a
// json_schema format is a forced tool whose input becomes the reply, in
// full and streamed; seed, n and logprobs are unsupported unless dropped.
func TestPassThroughAnthropic(t *testing.T) {
	srv := llmtest.NewAnthropic(t)
	m := newModel(t, "claude-sonnet-4-5", srv)
	answer := `{"city":"Seoul","temp_c":21}`
	for _, stream := range []bool{false, true} {
		srv.Enqueue(llmtest.Reply{ToolCalls: []llmtest.ToolCall{{Name: "json_tool_call", Arguments: answer}}, ChunkSize: 7})
		req := userReq("weather?")
		req.TopP, req.User, req.Stop = ptr(0.0), "user-1234", []string{"END"}
		req.ResponseFormat = llm.JSONSchemaFormat("weather", citySchema)
		req.Extra = map[string]any{"thinking": map[string]any{"type": "disabled"}}
		var text strings.Builder
		if stream {
			req.Stream = func(_ context.Context, c llm.Chunk) error {
				if c.ToolCall != nil {
					t.Errorf("tool delta streamed: %+v", c.ToolCall)
				}
				text.WriteString(c.Text)
				return nil
			}
		}
		resp, err := m.Complete(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := srv.Last()
		j := got.JSON
		if jsonOf(j["top_p"]) != "0" || jsonOf(j["metadata"]) != `{"user_id":"user-1234"}` || jsonOf(j["stop_sequences"]) != `["END"]` ||
			jsonOf(j["tool_choice"]) != `{"name":"json_tool_call","type":"tool"}` || jsonOf(j["thinking"]) != `{"type":"disabled"}` {
			t.Fatalf("body %s", got.Body)
		}
		tools := j["tools"].([]any)
		if len(tools) != 1 || jsonOf(tools[0].(map[string]any)["input_schema"]) != jsonOf(citySchema) {
			t.Fatalf("tools %s", jsonOf(tools))
		}
		if resp.Message.Content != answer || len(resp.Message.ToolCalls) != 0 || resp.FinishReason != llm.FinishStop {
			t.Fatalf("stream=%v resp %+v", stream, resp)
		}
		if stream && text.String() != answer {
			t.Fatalf("streamed %q", text.String())
		}
	}

	before := srv.Count()
	req := userReq("x")
	req.Seed, req.N, req.Logprobs = ptr(1), 2, true
	_, err := m.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrUnsupportedParams || !strings.Contains(e.Message, "anthropic does not support seed, n, logprobs") ||
		!strings.Contains(e.Message, "drop_params") || srv.Count() != before {
		t.Fatalf("err %v", err)
	}
	req.DropParams = true
	if _, err := m.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Last()
	for _, k := range []string{"seed", "n", "logprobs"} {
		if _, ok := got.JSON[k]; ok {
			t.Fatalf("%s sent despite drop_params: %s", k, got.Body)
		}
	}
	// drop_params on the model
	md := newModel(t, "claude-sonnet-4-5", srv)
	mdp, err := llm.NewFromParams(llm.Params{Model: "claude-sonnet-4-5", APIKey: testKey, APIBase: srv.APIBase(), DropParams: true})
	if err != nil {
		t.Fatal(err)
	}
	req.DropParams = false
	if _, err := md.Complete(context.Background(), req); !errors.Is(err, llm.ErrUnsupportedParams) {
		t.Fatalf("without drop_params: %v", err)
	}
	if _, err := mdp.Complete(context.Background(), req); err != nil {
		t.Fatalf("with Params.DropParams: %v", err)
	}
	// Gemini has no user field.
	gm := llmtest.NewGemini(t)
	req = userReq("x")
	req.User = "u"
	if _, err := newModel(t, "gemini/gemini-2.0-flash", gm).Complete(context.Background(), req); !errors.Is(err, llm.ErrUnsupportedParams) || gm.Count() != 0 {
		t.Fatalf("gemini user: %v", err)
	}
	// n > 1 with a stream, anywhere.
	oa := llmtest.NewOpenAI(t)
	req = userReq("x")
	req.N = 3
	req.Stream = func(context.Context, llm.Chunk) error { return nil }
	if _, err := newModel(t, "gpt-4o", oa).Complete(context.Background(), req); !errors.Is(err, llm.ErrUnsupportedParams) || oa.Count() != 0 {
		t.Fatalf("n with stream: %v", err)
	}
}

// TestParamsDefaults: a model's Params defaults apply where the request
// sets nothing, and never over what it sets.
func TestParamsDefaults(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m, err := llm.NewFromParams(llm.Params{Model: "gpt-4o", APIKey: testKey, APIBase: srv.APIBase(),
		Temperature: ptr(0.3), MaxTokens: 99, TopP: ptr(0.0), Stop: []string{"STOP"}, Seed: ptr(5),
		Extra: map[string]any{"service_tier": "flex", "store": false}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Complete(context.Background(), userReq("x")); err != nil {
		t.Fatal(err)
	}
	got, _ := srv.Last()
	if jsonOf(got.JSON["temperature"]) != "0.3" || jsonOf(got.JSON["max_tokens"]) != "99" || jsonOf(got.JSON["top_p"]) != "0" ||
		jsonOf(got.JSON["stop"]) != `["STOP"]` || jsonOf(got.JSON["seed"]) != "5" || got.JSON["service_tier"] != "flex" || got.JSON["store"] != false {
		t.Fatalf("body %s", got.Body)
	}
	req := userReq("x")
	req.Temperature, req.TopP, req.Stop, req.Seed = ptr(1.0), ptr(0.9), []string{"END"}, ptr(8)
	req.Extra = map[string]any{"store": true}
	if _, err := m.Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	got, _ = srv.Last()
	if jsonOf(got.JSON["temperature"]) != "1" || jsonOf(got.JSON["top_p"]) != "0.9" || jsonOf(got.JSON["stop"]) != `["END"]` ||
		jsonOf(got.JSON["seed"]) != "8" || got.JSON["store"] != true || got.JSON["service_tier"] != "flex" {
		t.Fatalf("body %s", got.Body)
	}
}

// TestTopPFromLangchain: langchaingo's options reach the request.
func TestTopPFromLangchain(t *testing.T) {
	req, err := llm.RequestFromLangchain([]llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "x")},
		llms.WithTopP(0.5), llms.WithSeed(3), llms.WithN(2))
	if err != nil || req.TopP == nil || *req.TopP != 0.5 || req.Seed == nil || *req.Seed != 3 || req.N != 2 {
		t.Fatalf("req %+v err %v", req, err)
	}
}

// TestResponseFormatInvalid: a malformed response_format is refused.
func TestResponseFormatInvalid(t *testing.T) {
	srv := llmtest.NewOpenAI(t)
	m := newModel(t, "gpt-4o", srv)
	for _, rf := range []*llm.ResponseFormat{{Type: "xml"}, {Type: "json_schema"}, {Type: "json_schema", JSONSchema: &llm.JSONSchema{Schema: citySchema}}} {
		req := userReq("x")
		req.ResponseFormat = rf
		if _, err := m.Complete(context.Background(), req); !errors.Is(err, llm.ErrBadRequest) {
			t.Errorf("%+v: %v", rf, err)
		}
	}
	if srv.Count() != 0 {
		t.Fatal("request sent")
	}
}
