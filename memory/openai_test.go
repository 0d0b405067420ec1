package memory_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/memory"

	"github.com/tmc/langchaingo/llms/openai"
)

// fakeOpenAI is an OpenAI-compatible chat completions server on 127.0.0.1
// that answers each call with the next canned content and records the
// requests it received.
type fakeOpenAI struct {
	mu         sync.Mutex
	replies    []string
	status     int
	requests   []map[string]any
	embedCalls int
}

func (f *fakeOpenAI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req map[string]any
	_ = json.Unmarshal(body, &req)
	if strings.HasSuffix(r.URL.Path, "/embeddings") {
		f.embeddings(w, req)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	status := f.status
	var content string
	if len(f.replies) > 0 {
		content, f.replies = f.replies[0], f.replies[1:]
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if status != 0 {
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided: sk-sec***","type":"invalid_request_error","code":"invalid_api_key"}}`)
		return
	}
	resp := map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1744790400, "model": "gpt-4o-mini",
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": content}}},
		"usage": map[string]any{"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
	}
	_ = json.NewEncoder(w).Encode(resp)
}

// embeddings answers the OpenAI embeddings endpoint with 64-dimensional
// offline embeddings of the inputs, so results are deterministic.
func (f *fakeOpenAI) embeddings(w http.ResponseWriter, req map[string]any) {
	in, _ := req["input"].([]any)
	var texts []string
	for _, x := range in {
		s, _ := x.(string)
		texts = append(texts, s)
	}
	f.mu.Lock()
	f.embedCalls++
	f.mu.Unlock()
	vecs, _ := memory.OfflineEmbedder{Dim: 64}.EmbedDocuments(context.Background(), texts)
	var data []any
	for i, v := range vecs {
		data = append(data, map[string]any{"object": "embedding", "index": i, "embedding": v})
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": "text-embedding-3-small",
		"usage": map[string]any{"prompt_tokens": 10, "total_tokens": 10}})
}

func newFakeOpenAI(t *testing.T, replies ...string) (*fakeOpenAI, *openai.LLM) {
	t.Helper()
	f := &fakeOpenAI{replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	llm, err := openai.New(openai.WithToken("sk-secret-test-key"), openai.WithBaseURL(srv.URL+"/v1"), openai.WithModel("gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	return f, llm
}

func (f *fakeOpenAI) request(t *testing.T, i int) map[string]any {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.requests) {
		t.Fatalf("server saw %d requests, want at least %d", len(f.requests), i+1)
	}
	return f.requests[i]
}

// messages returns the "content" of each message of a recorded request.
func messages(req map[string]any) []string {
	var out []string
	ms, _ := req["messages"].([]any)
	for _, m := range ms {
		mm, _ := m.(map[string]any)
		switch c := mm["content"].(type) {
		case string:
			out = append(out, c)
		case []any:
			for _, p := range c {
				pm, _ := p.(map[string]any)
				if s, ok := pm["text"].(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
