package llm

import (
	"context"
	"fmt"
	"strings"

	"github.com/tmc/langchaingo/llms"
)

// ToLangchain converts messages to langchaingo's MessageContent, one to one:
// system -> system, user -> human, assistant -> ai (text part, then one
// ToolCall part per call), tool -> tool (one ToolCallResponse part).
func ToLangchain(msgs []Message) []llms.MessageContent {
	out := make([]llms.MessageContent, len(msgs))
	// Single-part messages share one backing array of parts.
	single := 0
	for i := range msgs {
		if msgs[i].Role != RoleAssistant {
			single++
		}
	}
	parts := make([]llms.ContentPart, single)
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case RoleAssistant:
			out[i] = toLangchainMessage(m)
			continue
		case RoleTool:
			parts[0] = llms.ToolCallResponse{ToolCallID: m.ToolCallID, Name: m.Name, Content: m.Content}
			out[i] = llms.MessageContent{Role: llms.ChatMessageTypeTool}
		case RoleSystem:
			parts[0] = llms.TextContent{Text: m.Content}
			out[i] = llms.MessageContent{Role: llms.ChatMessageTypeSystem}
		default:
			parts[0] = llms.TextContent{Text: m.Content}
			out[i] = llms.MessageContent{Role: llms.ChatMessageTypeHuman}
		}
		out[i].Parts = parts[:1:1]
		parts = parts[1:]
	}
	return out
}

func toLangchainMessage(m *Message) llms.MessageContent {
	switch m.Role {
	case RoleSystem:
		return llms.MessageContent{Role: llms.ChatMessageTypeSystem, Parts: []llms.ContentPart{llms.TextContent{Text: m.Content}}}
	case RoleAssistant:
		parts := make([]llms.ContentPart, 0, 1+len(m.ToolCalls))
		if m.Content != "" || len(m.ToolCalls) == 0 {
			parts = append(parts, llms.TextContent{Text: m.Content})
		}
		for _, tc := range m.ToolCalls {
			typ := tc.Type
			if typ == "" {
				typ = "function"
			}
			parts = append(parts, llms.ToolCall{ID: tc.ID, Type: typ,
				FunctionCall: &llms.FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
		}
		return llms.MessageContent{Role: llms.ChatMessageTypeAI, Parts: parts}
	case RoleTool:
		return llms.MessageContent{Role: llms.ChatMessageTypeTool, Parts: []llms.ContentPart{
			llms.ToolCallResponse{ToolCallID: m.ToolCallID, Name: m.Name, Content: m.Content}}}
	default:
		return llms.MessageContent{Role: llms.ChatMessageTypeHuman, Parts: []llms.ContentPart{llms.TextContent{Text: m.Content}}}
	}
}

// FromLangchainMessages converts langchaingo messages to Messages. Text
// parts are concatenated; ToolCall parts become ToolCalls; a
// ToolCallResponse becomes a tool message. Image and binary parts are not
// representable and are an error naming the message index.
func FromLangchainMessages(msgs []llms.MessageContent) ([]Message, error) {
	out := make([]Message, 0, len(msgs))
	for i, mc := range msgs {
		var m Message
		switch mc.Role {
		case llms.ChatMessageTypeSystem:
			m.Role = RoleSystem
		case llms.ChatMessageTypeAI:
			m.Role = RoleAssistant
		case llms.ChatMessageTypeTool, llms.ChatMessageTypeFunction:
			m.Role = RoleTool
		default:
			m.Role = RoleUser
		}
		var text strings.Builder
		for _, p := range mc.Parts {
			switch p := p.(type) {
			case llms.TextContent:
				text.WriteString(p.Text)
			case llms.ToolCall:
				tc := ToolCall{ID: p.ID, Type: p.Type}
				if p.FunctionCall != nil {
					tc.Name, tc.Arguments = p.FunctionCall.Name, p.FunctionCall.Arguments
				}
				m.ToolCalls = append(m.ToolCalls, tc)
			case llms.ToolCallResponse:
				m.Role = RoleTool
				m.ToolCallID, m.Name = p.ToolCallID, p.Name
				text.WriteString(p.Content)
			default:
				return nil, &Error{Kind: ErrUnsupportedParams,
					Message: fmt.Sprintf("message %d: content part %T is not supported (text, tool calls and tool results only)", i, p)}
			}
		}
		m.Content = text.String()
		out = append(out, m)
	}
	return out, nil
}

// FromContentResponse merges a langchaingo reply into one assistant message:
// the choices' texts are concatenated, their tool calls collected in order,
// usage is read once (Anthropic repeats it on every choice) and normalised,
// and the stop reason normalised. Tool calls without an id get "call_<n>".
func FromContentResponse(cr *llms.ContentResponse) (Message, FinishReason, Usage) {
	msg := Message{Role: RoleAssistant}
	if cr == nil {
		return msg, FinishStop, Usage{}
	}
	var usage Usage
	gotUsage := false
	var finish FinishReason
	for _, ch := range cr.Choices {
		if ch == nil {
			continue
		}
		if ch.Content != "" {
			msg.Content += ch.Content
		}
		if ch.ReasoningContent != "" {
			msg.ReasoningContent += ch.ReasoningContent
		}
		for _, tc := range ch.ToolCalls {
			t := ToolCall{ID: tc.ID, Type: tc.Type}
			if t.Type == "" {
				t.Type = "function"
			}
			if tc.FunctionCall != nil {
				t.Name, t.Arguments = tc.FunctionCall.Name, tc.FunctionCall.Arguments
			}
			msg.ToolCalls = append(msg.ToolCalls, t)
		}
		if len(ch.ToolCalls) == 0 && ch.FuncCall != nil {
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{Type: "function", Name: ch.FuncCall.Name, Arguments: ch.FuncCall.Arguments})
		}
		if !gotUsage {
			if u, ok := UsageFromGenerationInfo(ch.GenerationInfo); ok {
				usage, gotUsage = u, true
			}
		}
		if f := NormalizeFinishReason(ch.StopReason); f != "" && (finish == "" || f == FinishToolCalls) {
			finish = f
		}
	}
	for i := range msg.ToolCalls {
		if msg.ToolCalls[i].ID == "" {
			msg.ToolCalls[i].ID = fmt.Sprintf("call_%d", i)
		}
		if msg.ToolCalls[i].Arguments == "" {
			msg.ToolCalls[i].Arguments = "{}"
		}
	}
	if len(msg.ToolCalls) > 0 && (finish == "" || finish == FinishStop) {
		finish = FinishToolCalls
	}
	if finish == "" {
		finish = FinishStop
	}
	return msg, finish, usage
}

// NormalizeFinishReason maps a provider's stop reason to stop, tool_calls,
// length or content_filter; "" stays "".
func NormalizeFinishReason(s string) FinishReason {
	switch strings.ToLower(s) {
	case "":
		return ""
	case "stop", "end_turn", "stop_sequence", "eos", "complete", "finish_reason_stop", "pause_turn":
		return FinishStop
	case "tool_calls", "tool_use", "function_call", "tool_call":
		return FinishToolCalls
	case "length", "max_tokens", "max_output_tokens", "model_length", "finish_reason_max_tokens":
		return FinishLength
	case "content_filter", "safety", "recitation", "blocklist", "prohibited_content", "spii",
		"refusal", "image_safety", "guardrail_intervened", "finish_reason_safety":
		return FinishContentFilter
	}
	return FinishStop
}

func intOf(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	case float64:
		return int(n), true
	case float32:
		return int(n), true
	case uint32:
		return int(n), true
	case uint64:
		return int(n), true
	}
	return 0, false
}

// UsageFromGenerationInfo normalises the token counts langchaingo providers
// put in ContentChoice.GenerationInfo (OpenAI's PromptTokens/...,
// Anthropic's InputTokens/... whose input excludes cache reads and writes,
// Google's and Bedrock's input_tokens/...). ok is false when none is present.
func UsageFromGenerationInfo(gi map[string]any) (u Usage, ok bool) {
	if len(gi) == 0 {
		return u, false
	}
	if p, found := giInt(gi, "PromptTokens"); found { // OpenAI, Ollama, Google
		u.PromptTokens = p
		u.CompletionTokens, _ = giInt(gi, "CompletionTokens")
		u.TotalTokens, _ = giInt(gi, "TotalTokens")
		if u.TotalTokens == 0 {
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		u.CacheReadTokens = giFirst(gi, "PromptCachedTokens", "CachedTokens")
		u.ReasoningTokens = giFirst(gi, "ReasoningTokens", "CompletionReasoningTokens")
		if u.ReasoningTokens == 0 {
			u.ReasoningTokens, _ = giInt(gi, "ThinkingTokens")
		}
		return u, true
	}
	if in, found := giInt(gi, "InputTokens"); found { // Anthropic
		out, _ := giInt(gi, "OutputTokens")
		cw, _ := giInt(gi, "CacheCreationInputTokens")
		cr, _ := giInt(gi, "CacheReadInputTokens")
		u = Usage{PromptTokens: in + cw + cr, CompletionTokens: out, CacheReadTokens: cr, CacheWriteTokens: cw}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		return u, true
	}
	p, fp := giInt(gi, "input_tokens") // Google, Bedrock
	if !fp {
		p, fp = giInt(gi, "prompt_tokens")
	}
	c, fc := giInt(gi, "output_tokens")
	if !fc {
		c, fc = giInt(gi, "completion_tokens")
	}
	if !fp && !fc {
		return u, false
	}
	u.PromptTokens, u.CompletionTokens = p, c
	u.TotalTokens, _ = giInt(gi, "total_tokens")
	if u.TotalTokens == 0 {
		u.TotalTokens = p + c
	}
	u.CacheReadTokens = giFirst(gi, "PromptCachedTokens", "cache_read_input_tokens")
	u.ReasoningTokens = giFirst(gi, "ReasoningTokens", "ThinkingTokens")
	return u, true
}

func giInt(gi map[string]any, key string) (int, bool) {
	v, found := gi[key]
	if !found {
		return 0, false
	}
	return intOf(v)
}

// giFirst returns the first non-zero of two keys.
func giFirst(gi map[string]any, a, b string) int {
	if n, _ := giInt(gi, a); n != 0 {
		return n
	}
	n, _ := giInt(gi, b)
	return n
}

// CallOptions converts the request's parameters (temperature, max tokens,
// top-p, stop words, JSON mode, tools, tool choice, metadata) to langchaingo
// call options. Unset parameters are left unset. The tool choice is given in
// OpenAI's shape, which langchaingo's providers read; a "none" choice is
// given as no tools, since some of them ignore it.
func CallOptions(req *Request) []llms.CallOption {
	r := req
	return []llms.CallOption{func(o *llms.CallOptions) {
		if r.Temperature != nil {
			o.Temperature = *r.Temperature
		}
		if r.MaxTokens > 0 {
			o.MaxTokens = r.MaxTokens
		}
		if r.TopP != nil {
			o.TopP = *r.TopP
		}
		if len(r.Stop) > 0 {
			o.StopWords = r.Stop
		}
		if wantsJSON(r) {
			o.JSONMode = true
		}
		// tool choice "none" is sent as no tools at all: some langchaingo
		// providers (bedrock) drop a "none" choice and would still offer them
		if len(r.Tools) > 0 && r.ToolChoice.Mode != ToolNone {
			o.Tools = r.Tools
			if !r.ToolChoice.IsZero() {
				o.ToolChoice = r.ToolChoice.OpenAI()
			}
		}
		if len(r.Metadata) > 0 {
			o.Metadata = r.Metadata
		}
	}}
}

// lcCompleter adapts a langchaingo model to Completer.
type lcCompleter struct {
	caller
	m llms.Model
}

// FromLangchain adapts any langchaingo model to Completer with the same
// message conversion, merging of choices, usage normalisation, cost and
// error classification as the built-in providers. provider and model name
// the model in responses, errors and cost lookups. Streaming passes text
// chunks as they come (langchaingo's streaming interface carries text only)
// and the tool calls before the final chunk.
//
// Give the langchaingo provider CaptureClient as its HTTP client (e.g.
// openai.WithHTTPClient(llm.CaptureClient(nil))) so failures are classified
// from the real HTTP status, body and Retry-After rather than from
// langchaingo's error strings; pass WithAPIKey so the key is scrubbed from
// errors even where the provider echoes it. Options also accept
// WithCallbacks, WithTimeout, WithCost and WithPrices.
func FromLangchain(m llms.Model, provider, model string, opts ...Option) Completer {
	c := config{}
	for _, o := range opts {
		o(&c)
	}
	if c.prices == nil {
		c.prices = defaultPrices
	}
	lc := &lcCompleter{m: m}
	lc.caller = caller{provider: provider, model: model, callbacks: Callbacks(c.callbacks),
		timeout: c.params.Timeout, red: newRedactor(c.params.APIKey), retry: c.retry}
	if c.params.HasPrices() {
		lc.info = c.params.ApplyPrices(ModelInfo{Key: model, Provider: provider})
		lc.hasInfo = true
	} else {
		lc.info, lc.hasInfo = c.prices.Lookup(model)
	}
	lc.costKnown = lc.hasInfo || IsLocalProvider(provider)
	lc.red.addHeaders(c.params.Headers) // credential headers are secrets too
	return lc
}

// Complete implements Completer.
func (l *lcCompleter) Complete(ctx context.Context, req *Request) (*Response, error) {
	return l.run(ctx, req, l.generate)
}

func (l *lcCompleter) generate(ctx context.Context, req *Request) (*Response, error) {
	return langchainGenerate(ctx, l.m, req)
}

// lcStream forwards a langchaingo streaming function's chunks.
type lcStream struct {
	fn       StreamFunc
	err      error
	streamed strings.Builder
}

func (s *lcStream) onChunk(ctx context.Context, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := s.fn(ctx, Chunk{Text: string(b)}); err != nil {
		s.err = &interrupted{cause: &stopped{err},
			partial: &Response{Message: Message{Role: RoleAssistant, Content: s.streamed.String()}}}
		return err
	}
	s.streamed.Write(b)
	return nil
}

// langchainGenerate calls a langchaingo model with req and merges its reply.
func langchainGenerate(ctx context.Context, lm llms.Model, req *Request) (*Response, error) {
	opts := CallOptions(req)
	var ls *lcStream
	if req.Stream != nil {
		ls = &lcStream{fn: req.Stream}
		opts = append(opts, llms.WithStreamingFunc(ls.onChunk))
	}
	ctx, slot := withCapture(ctx)
	cr, err := lm.GenerateContent(ctx, ToLangchain(req.Messages), opts...)
	if ls != nil && ls.err != nil {
		// Some providers swallow the streaming function's error.
		return nil, ls.err
	}
	if err != nil {
		if he := slot.get(); he != nil {
			err = &capturedError{http: he, err: err}
		}
		if ls != nil && ls.streamed.Len() > 0 {
			// output already reached the caller
			return nil, &interrupted{cause: err,
				partial: &Response{Message: Message{Role: RoleAssistant, Content: ls.streamed.String()}}}
		}
		return nil, err
	}
	msg, finish, usage := FromContentResponse(cr)
	resp := newResponse()
	meta := resp.Message.Meta
	resp.Message, resp.FinishReason, resp.Usage = msg, finish, usage
	resp.Message.Meta = meta
	if ls != nil {
		// langchaingo streams text only, and some providers not even that:
		// send what did not arrive as chunks before the final one.
		var tail []Chunk
		if ls.streamed.Len() == 0 && msg.Content != "" {
			tail = append(tail, Chunk{Text: msg.Content})
		}
		for i, tc := range msg.ToolCalls {
			tail = append(tail, Chunk{ToolCall: &ToolCallDelta{Index: i, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments}})
		}
		u := resp.Usage
		tail = append(tail, Chunk{FinishReason: finish, Usage: &u})
		for _, c := range tail {
			if err := req.Stream(ctx, c); err != nil {
				return nil, &interrupted{cause: &stopped{err}, partial: resp, finished: true}
			}
		}
	}
	return resp, nil
}
