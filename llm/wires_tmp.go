package llm

import (
	"context"
	"fmt"
)

func (m *Model) anthropicComplete(ctx context.Context, req *Request) (*Response, error) {
	return nil, fmt.Errorf("anthropic wire: in progress")
}
func (m *Model) geminiComplete(ctx context.Context, req *Request) (*Response, error) {
	return nil, fmt.Errorf("gemini wire: in progress")
}
func (m *Model) bedrockComplete(ctx context.Context, req *Request) (*Response, error) {
	return nil, fmt.Errorf("bedrock: in progress")
}
func (m *Model) initBedrock(getenv func(string) string) error { return nil }
