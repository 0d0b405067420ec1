package router

import (
	"context"

	"github.com/tmc/langchaingo/llms"

	"github.com/jedisos/jedisos/llm"
)

var (
	_ llm.Completer = (*Router)(nil)
	_ llms.Model    = (*Router)(nil)
)

// GenerateContent implements langchaingo's llms.Model: the messages and
// options become an llm.Request routed like Complete. llms.WithModel names
// the group; without it the default group answers. The reply is one choice
// whose GenerationInfo carries usage, cost, model and provider.
func (r *Router) GenerateContent(ctx context.Context, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	req, err := llm.RequestFromLangchain(messages, options...)
	if err != nil {
		return nil, err
	}
	resp, err := r.Complete(ctx, req)
	if err != nil {
		return nil, err
	}
	cr := llm.ToContentResponse(resp)
	if len(cr.Choices) > 0 && cr.Choices[0].GenerationInfo != nil {
		cr.Choices[0].GenerationInfo["Deployment"] = resp.Deployment
		cr.Choices[0].GenerationInfo["Attempts"] = resp.Attempts
	}
	return cr, nil
}

// Call implements langchaingo's llms.Model for a single text prompt.
func (r *Router) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, r, prompt, options...)
}
