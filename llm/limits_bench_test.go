package llm_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jedisos/jedisos/llm"
)

func benchServer(b *testing.B, header map[string]string, write func(w io.Writer) error) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(200)
		_ = write(w)
	}))
	b.Cleanup(srv.Close)
	return srv.URL + "/v1"
}

func benchModel(b *testing.B, base string) *llm.Model {
	m, err := llm.New("gpt-4o", llm.WithAPIKey(testKey), llm.WithAPIBase(base))
	if err != nil {
		b.Fatal(err)
	}
	return m
}

// BenchmarkHostileResponse reads each hostile response up to the default
// limits (8 MiB per event, 32 MiB per body); B/op is what one costs.
func BenchmarkHostileResponse(b *testing.B) {
	stream := func(m *llm.Model) error {
		req := userReq("hi")
		req.Stream = func(context.Context, llm.Chunk) error { return nil }
		_, err := m.Complete(context.Background(), req)
		return err
	}
	b.Run("sse-line-100MB", func(b *testing.B) {
		m := benchModel(b, benchServer(b, map[string]string{"Content-Type": "text/event-stream"}, func(w io.Writer) error {
			io.WriteString(w, "data: {\"x\":\"")
			return repeat(w, 'a', 100<<20)
		}))
		for b.Loop() {
			if err := stream(m); err == nil {
				b.Fatal("no error")
			}
		}
	})
	b.Run("json-body-100MB", func(b *testing.B) {
		m := benchModel(b, benchServer(b, map[string]string{"Content-Type": "application/json"}, func(w io.Writer) error {
			io.WriteString(w, `{"choices":[{"message":{"content":"`)
			return repeat(w, 'a', 100<<20)
		}))
		for b.Loop() {
			if _, err := m.Complete(context.Background(), userReq("hi")); err == nil {
				b.Fatal("no error")
			}
		}
	})
	b.Run("gzip-bomb", func(b *testing.B) {
		bomb := gzipBomb(nil)
		m := benchModel(b, benchServer(b, map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"},
			func(w io.Writer) error { _, err := w.Write(bomb); return err }))
		for b.Loop() {
			if _, err := m.Complete(context.Background(), userReq("hi")); err == nil {
				b.Fatal("no error")
			}
		}
	})
}

// BenchmarkStreamToolArguments streams one tool call's 256 KiB of
// arguments in 65536 four-byte deltas (appending each to a string used to
// copy the whole argument every time).
func BenchmarkStreamToolArguments(b *testing.B) {
	m := benchModel(b, benchServer(b, map[string]string{"Content-Type": "text/event-stream"}, func(w io.Writer) error {
		io.WriteString(w, `data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}}]}`+"\n\n")
		ev := []byte(`data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"aaaa"}}]}}]}` + "\n\n")
		for range 65536 {
			if _, err := w.Write(ev); err != nil {
				return err
			}
		}
		_, err := io.WriteString(w, `data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`+"\n\ndata: [DONE]\n\n")
		return err
	}))
	for b.Loop() {
		req := userReq("hi")
		req.Stream = func(context.Context, llm.Chunk) error { return nil }
		resp, err := m.Complete(context.Background(), req)
		if err != nil || len(resp.Message.ToolCalls[0].Arguments) != 4*65536 {
			b.Fatal(err)
		}
	}
}
