package llm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/tmc/langchaingo/llms"
)

// A langchaingo model whose stream fails after text reached the caller
// gives ErrStreamInterrupted with the partial text, still matching the
// kind of the failure, as the package documents for every stream.
func TestFromLangchainStreamFailureAfterOutput(t *testing.T) {
	fm := &fakeModel{
		resp: &llms.ContentResponse{Choices: []*llms.ContentChoice{{Content: "half an ans"}}},
		err:  errors.New("read tcp 127.0.0.1:1234: connection reset by peer"),
	}
	c := llm.FromLangchain(fm, "openai", "gpt-4o")
	var got collect
	req := userReq("hi")
	req.Stream = got.fn
	_, err := c.Complete(context.Background(), req)
	var e *llm.Error
	if !errors.As(err, &e) || e.Kind != llm.ErrStreamInterrupted || !errors.Is(err, llm.ErrAPIConnection) {
		t.Fatalf("err = %v", err)
	}
	if e.Partial == nil || e.Partial.Message.Content != "half an ans" || got.text.String() != "half an ans" {
		t.Fatalf("partial %+v, caller saw %q", e.Partial, got.text.String())
	}
	// Before any output the failure keeps its own kind.
	fm.resp = nil
	_, err = c.Complete(context.Background(), req)
	if !errors.As(err, &e) || e.Kind != llm.ErrAPIConnection || e.Partial != nil {
		t.Fatalf("err = %v", err)
	}
}
