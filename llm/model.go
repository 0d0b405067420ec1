package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// Model is one provider model built from a model string. It implements
// Completer and langchaingo's llms.Model. Every error it returns is an
// *Error with the key scrubbed out. It retries only when built with
// WithRetries (LiteLLM's max_retries), by the same rules as the Router.
type Model struct {
	caller
	name   string // the model name sent to the provider
	prefix string // the model-string prefix ("openai", "groq", ...)
	spec   ProviderSpec
	params Params
	prices *Prices

	base       string
	key        string
	apiVersion string
	project    string
	location   string
	vertex     bool
	hc         *http.Client
	limits     Limits                                    // resolved Params.Limits
	token      func(ctx context.Context) (string, error) // Vertex AI access tokens
	lc         llms.Model                                // Bedrock, through langchaingo
}

var (
	_ Completer  = (*Model)(nil)
	_ llms.Model = (*Model)(nil)
)

// Provider returns the provider name ("openai", "anthropic", "gemini", ...).
func (m *Model) Provider() string { return m.provider }

// Name returns the model string the Model was built from.
func (m *Model) Name() string { return m.model }

// ProviderModel returns the model name sent to the provider (the model
// string without its prefix).
func (m *Model) ProviderModel() string { return m.name }

// Wire returns the protocol the model speaks.
func (m *Model) Wire() Wire { return m.spec.Wire }

// APIBase returns the base URL requests go to.
func (m *Model) APIBase() string { return m.base }

// Info returns the model's price-table information (or the prices given in
// Params), and whether any is known. The Tiers of the result are the
// caller's own copy.
func (m *Model) Info() (ModelInfo, bool) {
	mi := m.info
	mi.Tiers = slices.Clone(mi.Tiers)
	return mi, m.hasInfo
}

// Complete sends one request and returns the single merged assistant reply
// with usage, cost and latency. When req.Stream is set the reply is streamed
// and also returned whole at the end.
func (m *Model) Complete(ctx context.Context, req *Request) (*Response, error) {
	return m.run(ctx, req, m.dispatch)
}

func (m *Model) dispatch(ctx context.Context, req *Request) (*Response, error) {
	req = m.withDefaults(req)
	if err := checkResponseFormat(req.ResponseFormat); err != nil {
		return nil, err
	}
	req, err := m.dropUnsupported(req)
	if err != nil {
		return nil, err
	}
	var resp *Response
	switch m.spec.Wire {
	case WireOpenAI:
		resp, err = m.openaiComplete(ctx, req)
	case WireAnthropic:
		resp, err = m.anthropicComplete(ctx, req)
	case WireGemini:
		resp, err = m.geminiComplete(ctx, req)
	case WireBedrock:
		resp, err = m.bedrockComplete(ctx, req)
	default:
		return nil, fmt.Errorf("wire %q not supported", m.spec.Wire)
	}
	if resp != nil && resp.Created.IsZero() {
		resp.Created = time.Now()
	}
	return resp, err
}

// GenerateContent implements langchaingo's llms.Model.
func (m *Model) GenerateContent(ctx context.Context, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	return generateContent(ctx, m, messages, options...)
}

// Call implements langchaingo's llms.Model.
func (m *Model) Call(ctx context.Context, prompt string, options ...llms.CallOption) (string, error) {
	return llms.GenerateFromSinglePrompt(ctx, m, prompt, options...)
}

// RequestFromLangchain builds a Request from langchaingo messages and call
// options (tools, tool choice, temperature, max tokens, top-p, stop words,
// JSON mode, metadata, streaming function).
func RequestFromLangchain(messages []llms.MessageContent, options ...llms.CallOption) (*Request, error) {
	var o llms.CallOptions
	for _, opt := range options {
		opt(&o)
	}
	msgs, err := FromLangchainMessages(messages)
	if err != nil {
		return nil, err
	}
	tc, err := ParseToolChoice(o.ToolChoice)
	if err != nil {
		return nil, err
	}
	req := &Request{Model: o.Model, Messages: msgs, Tools: o.Tools, ToolChoice: tc,
		MaxTokens: o.MaxTokens, Stop: o.StopWords, JSONMode: o.JSONMode, Metadata: o.Metadata, N: o.N}
	if o.TopP != 0 {
		p := o.TopP
		req.TopP = &p
	}
	if o.Seed != 0 {
		s := o.Seed
		req.Seed = &s
	}
	if o.Temperature != 0 {
		t := o.Temperature
		req.Temperature = &t
	}
	if len(req.Tools) == 0 && len(o.Functions) > 0 {
		for _, f := range o.Functions {
			req.Tools = append(req.Tools, llms.Tool{Type: "function", Function: &llms.FunctionDefinition{
				Name: f.Name, Description: f.Description, Parameters: f.Parameters, Strict: f.Strict}})
		}
	}
	if o.StreamingFunc != nil || o.StreamingReasoningFunc != nil {
		sf, rf := o.StreamingFunc, o.StreamingReasoningFunc
		req.Stream = func(ctx context.Context, c Chunk) error {
			// as langchaingo's clients do: text goes to both functions
			if sf != nil && c.Text != "" {
				if err := sf(ctx, []byte(c.Text)); err != nil {
					return err
				}
			}
			if rf != nil && (c.Text != "" || c.Reasoning != "") {
				return rf(ctx, []byte(c.Reasoning), []byte(c.Text))
			}
			return nil
		}
	}
	return req, nil
}

// ToContentResponse converts a Response to langchaingo's shape: one choice
// holding the text, the tool calls, the normalised stop reason and the usage
// in GenerationInfo (PromptTokens, CompletionTokens, TotalTokens,
// ReasoningTokens, PromptCachedTokens, CacheWriteTokens, Cost).
func ToContentResponse(r *Response) *llms.ContentResponse {
	ch := &llms.ContentChoice{
		Content:          r.Message.Content,
		StopReason:       string(r.FinishReason),
		ReasoningContent: r.Message.ReasoningContent,
		GenerationInfo: map[string]any{
			"PromptTokens":       r.Usage.PromptTokens,
			"CompletionTokens":   r.Usage.CompletionTokens,
			"TotalTokens":        r.Usage.TotalTokens,
			"ReasoningTokens":    r.Usage.ReasoningTokens,
			"PromptCachedTokens": r.Usage.CacheReadTokens,
			"CacheWriteTokens":   r.Usage.CacheWriteTokens,
			"Cost":               r.Cost,
			"Model":              r.Model,
			"Provider":           r.Provider,
		},
	}
	for _, tc := range r.Message.ToolCalls {
		typ := tc.Type
		if typ == "" {
			typ = "function"
		}
		ltc := llms.ToolCall{ID: tc.ID, Type: typ, FunctionCall: &llms.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}}
		ch.ToolCalls = append(ch.ToolCalls, ltc)
	}
	if len(ch.ToolCalls) > 0 {
		ch.FuncCall = ch.ToolCalls[0].FunctionCall
	}
	return &llms.ContentResponse{Choices: []*llms.ContentChoice{ch}}
}

func generateContent(ctx context.Context, c Completer, messages []llms.MessageContent, options ...llms.CallOption) (*llms.ContentResponse, error) {
	req, err := RequestFromLangchain(messages, options...)
	if err != nil {
		return nil, err
	}
	resp, err := c.Complete(ctx, req)
	if err != nil {
		return nil, err
	}
	return ToContentResponse(resp), nil
}

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// post sends a JSON body and returns the response when its status is 2xx;
// otherwise it returns an *HTTPError with status, headers and body.
func (m *Model) post(ctx context.Context, url string, body any, header http.Header) (*http.Response, error) {
	buf, err := json.Marshal(body)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: "encoding request: " + err.Error(), Err: err}
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(buf))
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: "building request: " + m.red.scrub(err.Error())}
	}
	hreq.Header = header
	hreq.Header.Set("Content-Type", "application/json")
	for k, v := range m.params.Headers {
		hreq.Header.Set(k, v)
	}
	resp, err := m.hc.Do(hreq)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		resp.Body.Close()
		return nil, m.httpError(resp.StatusCode, resp.Header, b)
	}
	if err := decodeBody(resp); err != nil {
		return nil, err
	}
	return resp, nil
}

// readJSON decodes a successful JSON response body of at most
// Limits.MaxResponseBytes.
func (m *Model) readJSON(resp *http.Response, v any) error {
	defer resp.Body.Close()
	b, err := readBody(resp, m.limits.MaxResponseBytes)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		snippet := string(b)
		if len(snippet) > 200 {
			snippet = snippet[:200] + "..."
		}
		return &Error{Kind: ErrAPI, StatusCode: resp.StatusCode,
			Message: fmt.Sprintf("malformed response body (%v): %s", err, strings.TrimSpace(snippet)), Err: err}
	}
	return nil
}

// streamState collects a streamed reply and forwards chunks to the
// caller's StreamFunc.
type streamState struct {
	lim   Limits       // resolved; a zero MaxOutputBytes is no limit (non-streamed replies)
	out   int          // bytes accumulated: text, reasoning, tool names and arguments
	parts []toolBuffer // the names and arguments of calls, as they grow

	fn        StreamFunc
	delivered int
	text      []byte
	reasoning []byte
	calls     []ToolCall
	finish    FinishReason
	usage     Usage
	id        string
	created   time.Time
	logprobs  []TokenLogprob
	// toolsAsText streams tool-call arguments as text (Anthropic's
	// json_schema response format, asked through a forced tool)
	toolsAsText bool
}

func (s *streamState) addLogprobs(ctx context.Context, lp []TokenLogprob) error {
	s.logprobs = append(s.logprobs, lp...)
	return s.emit(ctx, Chunk{Logprobs: lp})
}

// emit forwards c to the caller; a StreamFunc error stops the stream.
func (s *streamState) emit(ctx context.Context, c Chunk) error {
	if err := s.fn(ctx, c); err != nil {
		return &stopped{err}
	}
	s.delivered++
	return nil
}

func (s *streamState) addText(ctx context.Context, t string) error {
	if t == "" {
		return nil
	}
	if err := s.grow(len(t)); err != nil {
		return err
	}
	s.text = s.appendOut(s.text, t)
	return s.emit(ctx, Chunk{Text: t})
}

func (s *streamState) addReasoning(ctx context.Context, t string) error {
	if t == "" {
		return nil
	}
	if err := s.grow(len(t)); err != nil {
		return err
	}
	s.reasoning = s.appendOut(s.reasoning, t)
	return s.emit(ctx, Chunk{Reasoning: t})
}

// maxToolCalls bounds the tool-call index a stream may use, so that a
// malformed index cannot allocate without limit.
const maxToolCalls = 1024

// addToolDelta appends a fragment to the call at index (creating it). An
// index out of [0, maxToolCalls) is a malformed stream.
func (s *streamState) addToolDelta(ctx context.Context, d ToolCallDelta) error {
	if s.toolsAsText {
		return s.addText(ctx, d.Arguments)
	}
	if d.Index < 0 || d.Index >= maxToolCalls {
		return &StreamError{Type: "malformed_chunk",
			Message: fmt.Sprintf("tool call index %d out of range [0, %d)", d.Index, maxToolCalls)}
	}
	if err := s.grow(len(d.ID) + len(d.Name) + len(d.Arguments)); err != nil {
		return err
	}
	for len(s.calls) <= d.Index {
		s.calls = append(s.calls, ToolCall{Type: "function"})
		s.parts = append(s.parts, toolBuffer{})
	}
	if d.ID != "" {
		s.calls[d.Index].ID = d.ID
	}
	p := &s.parts[d.Index]
	p.name = s.appendOut(p.name, d.Name)
	p.args = s.appendOut(p.args, d.Arguments)
	return s.emit(ctx, Chunk{ToolCall: &d})
}

func (s *streamState) response() *Response {
	msg := Message{Role: RoleAssistant, Content: bytesString(s.text), ReasoningContent: bytesString(s.reasoning)}
	for i, tc := range s.calls {
		if i < len(s.parts) {
			tc.Name, tc.Arguments = bytesString(s.parts[i].name), bytesString(s.parts[i].args)
		}
		if tc.Name == "" && tc.Arguments == "" && tc.ID == "" {
			continue
		}
		if tc.ID == "" {
			tc.ID = fmt.Sprintf("call_%d", i)
		}
		if tc.Arguments == "" {
			tc.Arguments = "{}"
		}
		msg.ToolCalls = append(msg.ToolCalls, tc)
	}
	finish := s.finish
	if s.toolsAsText && finish == FinishToolCalls {
		finish = FinishStop
	}
	if len(msg.ToolCalls) > 0 && (finish == "" || finish == FinishStop) {
		finish = FinishToolCalls
	}
	if finish == "" {
		finish = FinishStop
	}
	u := s.usage
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return &Response{ID: s.id, Message: msg, FinishReason: finish, Usage: u, Created: s.created, Logprobs: s.logprobs}
}

// finishStream sends the final chunk (finish reason and usage).
func (s *streamState) finishStream(ctx context.Context) (*Response, error) {
	resp := s.response()
	u := resp.Usage
	if err := s.emit(ctx, Chunk{FinishReason: resp.FinishReason, Usage: &u}); err != nil {
		return nil, s.fail(err)
	}
	return resp, nil
}

// fail wraps a failure of a stream: after output reached the caller it
// becomes an interruption carrying the partial reply.
func (s *streamState) fail(err error) error {
	if s.delivered == 0 {
		if st, ok := err.(*stopped); ok {
			return &interrupted{cause: st, partial: s.response(), finished: s.finish != ""}
		}
		return err
	}
	return &interrupted{cause: err, partial: s.response(), finished: s.finish != ""}
}

// stopped is the caller's StreamFunc asking to stop.
type stopped struct{ err error }

func (s *stopped) Error() string { return "stream stopped by the stream function: " + s.err.Error() }
func (s *stopped) Unwrap() error { return s.err }

// interrupted is a stream failure after output reached the caller.
type interrupted struct {
	cause   error
	partial *Response
	// finished: the provider had sent its finish reason
	finished bool
}

func (i *interrupted) Error() string { return i.cause.Error() }
func (i *interrupted) Unwrap() error { return i.cause }

// errTruncated is a stream that ended without its terminal event.
var errTruncated = &StreamError{Type: "truncated", Message: "stream ended before the provider finished the reply (connection cut)"}
