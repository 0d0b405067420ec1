package llm_test

import (
	"context"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/tmc/langchaingo/llms"
)

// With both langchaingo streaming functions set, text chunks reach both
// (as langchaingo's own clients do) and reasoning chunks the reasoning one.
func TestRequestFromLangchainBothStreamingFuncs(t *testing.T) {
	var text, rText, rReason string
	req, err := llm.RequestFromLangchain([]llms.MessageContent{llms.TextParts(llms.ChatMessageTypeHuman, "hi")},
		llms.WithStreamingFunc(func(_ context.Context, b []byte) error { text += string(b); return nil }),
		llms.WithStreamingReasoningFunc(func(_ context.Context, r, c []byte) error {
			rReason += string(r)
			rText += string(c)
			return nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []llm.Chunk{{Reasoning: "think "}, {Text: "Hel"}, {Text: "lo"}, {FinishReason: llm.FinishStop}} {
		if err := req.Stream(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	if text != "Hello" || rText != "Hello" || rReason != "think " {
		t.Fatalf("streaming func got %q; reasoning func got text %q, reasoning %q", text, rText, rReason)
	}
}
