package llm_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/jedisos/jedisos/llm"
)

// bedrockStream answers InvokeModelWithResponseStream with Anthropic events
// framed as AWS event-stream "chunk" messages.
func bedrockStream(t *testing.T, events []map[string]any) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
		w.WriteHeader(http.StatusOK)
		enc := eventstream.NewEncoder()
		for _, ev := range events {
			inner, _ := json.Marshal(ev)
			payload, _ := json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString(inner)})
			var h eventstream.Headers
			h.Set(":message-type", eventstream.StringValue("event"))
			h.Set(":event-type", eventstream.StringValue("chunk"))
			h.Set(":content-type", eventstream.StringValue("application/json"))
			if err := enc.Encode(w, eventstream.Message{Headers: h, Payload: payload}); err != nil {
				t.Error(err)
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestBedrockStreaming(t *testing.T) {
	srv := bedrockStream(t, []map[string]any{
		{"type": "message_start", "message": map[string]any{"usage": map[string]any{"input_tokens": 30, "output_tokens": 1}}},
		{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": "Hello "}},
		{"type": "content_block_delta", "index": 0, "delta": map[string]any{"type": "text_delta", "text": "Bedrock"}},
		{"type": "message_delta", "delta": map[string]any{"stop_reason": "end_turn"}, "usage": map[string]any{"output_tokens": 6}},
		{"type": "message_stop"},
	})
	m, err := llm.New("bedrock/anthropic.claude-3-sonnet-20240229-v1:0", envOf(map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIATESTKEY", "AWS_SECRET_ACCESS_KEY": "bedrock-secret-value", "AWS_BEDROCK_RUNTIME_ENDPOINT": srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	var c collect
	req := userReq("hi")
	req.Stream = c.fn
	resp, err := m.Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c.text.String() != "Hello Bedrock" || resp.Message.Content != "Hello Bedrock" || resp.FinishReason != llm.FinishStop {
		t.Fatalf("streamed %q resp %+v", c.text.String(), resp)
	}
	if resp.Usage != (llm.Usage{PromptTokens: 30, CompletionTokens: 6, TotalTokens: 36}) || c.last().Usage.TotalTokens != 36 {
		t.Fatalf("usage %+v", resp.Usage)
	}
	approx(t, "cost", resp.Cost, 30*3e-6+6*1.5e-5)
}
