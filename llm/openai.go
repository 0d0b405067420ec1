package llm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tmc/langchaingo/llms"
)

// OpenAI chat-completions wire types.

type oaFunction struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

type oaToolCall struct {
	Index    *int       `json:"index,omitempty"`
	ID       string     `json:"id,omitempty"`
	Type     string     `json:"type,omitempty"`
	Function oaFunction `json:"function"`
}

type oaMessage struct {
	Role       string       `json:"role"`
	Content    *string      `json:"content"`
	Name       string       `json:"name,omitempty"`
	ToolCalls  []oaToolCall `json:"tool_calls,omitempty"`
	ToolCallID string       `json:"tool_call_id,omitempty"`
}

type oaRequest struct {
	Model               string         `json:"model"`
	Messages            []oaMessage    `json:"messages"`
	Temperature         *float64       `json:"temperature,omitempty"`
	TopP                *float64       `json:"top_p,omitempty"`
	Seed                *int           `json:"seed,omitempty"`
	N                   int            `json:"n,omitempty"`
	User                string         `json:"user,omitempty"`
	Logprobs            bool           `json:"logprobs,omitempty"`
	TopLogprobs         int            `json:"top_logprobs,omitempty"`
	MaxTokens           int            `json:"max_tokens,omitempty"`
	MaxCompletionTokens int            `json:"max_completion_tokens,omitempty"`
	Stop                []string       `json:"stop,omitempty"`
	Tools               []llms.Tool    `json:"tools,omitempty"`
	ToolChoice          any            `json:"tool_choice,omitempty"`
	ResponseFormat      any            `json:"response_format,omitempty"`
	Stream              bool           `json:"stream,omitempty"`
	StreamOptions       map[string]any `json:"stream_options,omitempty"`
}

type oaUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	// DeepSeek-style servers report cache hits here.
	PromptCacheHitTokens int `json:"prompt_cache_hit_tokens"`
}

func (u *oaUsage) usage() Usage {
	out := Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if u.PromptTokensDetails != nil {
		out.CacheReadTokens = u.PromptTokensDetails.CachedTokens
	}
	if out.CacheReadTokens == 0 {
		out.CacheReadTokens = u.PromptCacheHitTokens
	}
	if u.CompletionTokensDetails != nil {
		out.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

type oaRespMessage struct {
	Content          string       `json:"content"`
	ReasoningContent string       `json:"reasoning_content"`
	Reasoning        string       `json:"reasoning"`
	Refusal          string       `json:"refusal"`
	ToolCalls        []oaToolCall `json:"tool_calls"`
}

type oaLogprobs struct {
	Content []TokenLogprob `json:"content"`
}

type oaResponse struct {
	ID      string `json:"id"`
	Created int64  `json:"created"`
	Choices []struct {
		Index        int           `json:"index"`
		Message      oaRespMessage `json:"message"`
		Delta        oaRespMessage `json:"delta"`
		FinishReason *string       `json:"finish_reason"`
		Logprobs     *oaLogprobs   `json:"logprobs"`
	} `json:"choices"`
	Usage *oaUsage        `json:"usage"`
	Error json.RawMessage `json:"error"`
}

func strPtr(s string) *string { return &s }

// openaiMessages converts messages to the chat-completions shape.
func openaiMessages(msgs []Message) []oaMessage {
	out := make([]oaMessage, 0, len(msgs))
	for _, m := range msgs {
		om := oaMessage{Role: string(m.Role), Name: m.Name, ToolCallID: m.ToolCallID}
		switch m.Role {
		case RoleAssistant:
			if m.Content != "" || len(m.ToolCalls) == 0 {
				om.Content = strPtr(m.Content)
			}
			for _, tc := range m.ToolCalls {
				args := tc.Arguments
				if args == "" {
					args = "{}"
				}
				om.ToolCalls = append(om.ToolCalls, oaToolCall{ID: tc.ID, Type: "function",
					Function: oaFunction{Name: tc.Name, Arguments: args}})
			}
		case RoleTool:
			om.Content = strPtr(m.Content)
			om.Name = "" // not part of the tool message shape
		default:
			om.Content = strPtr(m.Content)
		}
		out = append(out, om)
	}
	return out
}

// usesMaxCompletionTokens reports whether the model wants
// max_completion_tokens (OpenAI's reasoning and gpt-5 models).
func (m *Model) usesMaxCompletionTokens() bool {
	if m.prefix != "openai" && m.prefix != "azure" {
		return false
	}
	n := strings.ToLower(m.name)
	return bareProvider(n) == "openai" && (n[0] == 'o' || strings.HasPrefix(n, "gpt-5"))
}

func (m *Model) openaiRequest(req *Request, stream bool) *oaRequest {
	r := &oaRequest{Model: m.name, Messages: openaiMessages(req.Messages), Temperature: req.Temperature,
		TopP: req.TopP, Stop: req.Stop, Tools: req.Tools}
	if len(req.Tools) > 0 {
		r.ToolChoice = req.ToolChoice.OpenAI()
	}
	if req.MaxTokens > 0 {
		if m.usesMaxCompletionTokens() {
			r.MaxCompletionTokens = req.MaxTokens
		} else {
			r.MaxTokens = req.MaxTokens
		}
	}
	switch {
	case req.ResponseFormat != nil:
		r.ResponseFormat = req.ResponseFormat
	case req.JSONMode:
		r.ResponseFormat = map[string]any{"type": "json_object"}
	}
	r.Seed, r.User, r.Logprobs, r.TopLogprobs = req.Seed, req.User, req.Logprobs || req.TopLogprobs > 0, req.TopLogprobs
	if req.N > 1 {
		r.N = req.N
	}
	if stream {
		r.Stream = true
		r.StreamOptions = map[string]any{"include_usage": true}
	}
	return r
}

func (m *Model) openaiURLAndHeader() (string, http.Header) {
	h := make(http.Header, 4)
	var u string
	if m.prefix == "azure" {
		u = m.base + "/openai/deployments/" + url.PathEscape(m.name) + "/chat/completions?api-version=" + url.QueryEscape(m.apiVersion)
		h.Set("api-key", m.key)
	} else {
		u = m.base + "/chat/completions"
		if m.key != "" {
			h.Set("Authorization", "Bearer "+m.key)
		}
	}
	if m.params.Organization != "" {
		h.Set("OpenAI-Organization", m.params.Organization)
	}
	return u, h
}

func (m *Model) openaiComplete(ctx context.Context, req *Request) (*Response, error) {
	stream := req.Stream != nil
	u, h := m.openaiURLAndHeader()
	if stream {
		h.Set("Accept", "text/event-stream")
	}
	body, err := withExtra(m.openaiRequest(req, stream), req.Extra)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: "merging extra fields: " + err.Error()}
	}
	hresp, err := m.post(ctx, u, body, h)
	if err != nil {
		return nil, err
	}
	if stream {
		return openaiStream(ctx, hresp.Body, &streamState{fn: req.Stream, lim: m.limits})
	}
	var or oaResponse
	if err := m.readJSON(hresp, &or); err != nil {
		return nil, err
	}
	if len(or.Error) > 0 && string(or.Error) != "null" {
		return nil, openaiStreamError(or.Error)
	}
	if req.N > 1 && len(or.Choices) > 1 {
		return openaiChoices(&or), nil
	}
	return openaiResponse(&or), nil
}

// openaiChoices keeps the choices of an n > 1 reply apart.
func openaiChoices(or *oaResponse) *Response {
	var resp *Response
	var choices []Choice
	for i := range or.Choices {
		one := *or
		one.Choices = or.Choices[i : i+1]
		r := openaiResponse(&one)
		if resp == nil {
			resp = r
		}
		choices = append(choices, Choice{Index: or.Choices[i].Index, Message: r.Message, FinishReason: r.FinishReason, Logprobs: r.Logprobs})
	}
	resp.Choices = choices
	return resp
}

func openaiResponse(or *oaResponse) *Response {
	msg := Message{Role: RoleAssistant}
	var finish FinishReason
	var logprobs []TokenLogprob
	for _, ch := range or.Choices {
		if ch.Logprobs != nil {
			logprobs = append(logprobs, ch.Logprobs.Content...)
		}
		msg.Content += ch.Message.Content
		if ch.Message.Content == "" && ch.Message.Refusal != "" {
			msg.Content += ch.Message.Refusal
		}
		msg.ReasoningContent += ch.Message.ReasoningContent + ch.Message.Reasoning
		for _, tc := range ch.Message.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: tc.ID, Type: "function", Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if ch.FinishReason != nil && finish == "" {
			finish = NormalizeFinishReason(*ch.FinishReason)
		}
	}
	for i := range msg.ToolCalls {
		if msg.ToolCalls[i].ID == "" {
			msg.ToolCalls[i].ID = "call_" + strconv.Itoa(i)
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
	resp := &Response{ID: or.ID, Message: msg, FinishReason: finish, Logprobs: logprobs}
	if or.Created > 0 {
		resp.Created = time.Unix(or.Created, 0)
	}
	if or.Usage != nil {
		resp.Usage = or.Usage.usage()
	}
	return resp
}

// openaiStreamError turns an in-band {"error": ...} object into a StreamError.
func openaiStreamError(raw json.RawMessage) error {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return &StreamError{Message: s}
	}
	var obj struct {
		Message string          `json:"message"`
		Type    string          `json:"type"`
		Code    json.RawMessage `json:"code"`
	}
	_ = json.Unmarshal(raw, &obj)
	se := &StreamError{Type: obj.Type, Message: obj.Message}
	var code string
	var num int
	if json.Unmarshal(obj.Code, &code) == nil && code != "" {
		if se.Type == "" || kindFromCode(code) != "" {
			se.Type = code
		}
	} else if json.Unmarshal(obj.Code, &num) == nil && num >= 400 {
		se.StatusCode = num
	}
	if se.Message == "" {
		se.Message = string(raw)
	}
	return se
}

// openaiStream reads a chat-completions SSE stream, assembling text and
// tool calls by their index. An in-band error event fails the call; a
// stream that stops before [DONE] or a finish reason is a truncation.
func openaiStream(ctx context.Context, body io.ReadCloser, st *streamState) (*Response, error) {
	defer body.Close()
	sr := newSSEReader(body, st.lim.MaxEventBytes)
	done := false
	lastIndex := -1
	for {
		ev, err := sr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, st.fail(err)
		}
		data := ev.Data
		if len(data) == 0 {
			continue
		}
		if string(data) == "[DONE]" {
			done = true
			break
		}
		if ev.Event == "error" {
			var wrapper struct {
				Error json.RawMessage `json:"error"`
			}
			if json.Unmarshal(data, &wrapper) == nil && len(wrapper.Error) > 0 {
				return nil, st.fail(openaiStreamError(wrapper.Error))
			}
			return nil, st.fail(&StreamError{Message: string(data)})
		}
		var chunk oaResponse
		if err := json.Unmarshal(data, &chunk); err != nil {
			return nil, st.fail(&StreamError{Type: "malformed_chunk", Message: "malformed stream chunk: " + err.Error()})
		}
		if len(chunk.Error) > 0 && string(chunk.Error) != "null" {
			return nil, st.fail(openaiStreamError(chunk.Error))
		}
		if chunk.ID != "" && st.id == "" {
			st.id = chunk.ID
		}
		if chunk.Created > 0 && st.created.IsZero() {
			st.created = time.Unix(chunk.Created, 0)
		}
		for _, ch := range chunk.Choices {
			d := ch.Delta
			if ch.Logprobs != nil && len(ch.Logprobs.Content) > 0 {
				if err := st.addLogprobs(ctx, ch.Logprobs.Content); err != nil {
					return nil, st.fail(err)
				}
			}
			if err := st.addReasoning(ctx, d.ReasoningContent+d.Reasoning); err != nil {
				return nil, st.fail(err)
			}
			if err := st.addText(ctx, d.Content); err != nil {
				return nil, st.fail(err)
			}
			for pos, tc := range d.ToolCalls {
				idx := pos
				switch {
				case tc.Index != nil:
					idx = *tc.Index
				case tc.ID != "":
					idx = len(st.calls)
				case lastIndex >= 0:
					idx = lastIndex
				}
				lastIndex = idx
				if err := st.addToolDelta(ctx, ToolCallDelta{Index: idx, ID: tc.ID, Name: tc.Function.Name,
					Arguments: tc.Function.Arguments}); err != nil {
					return nil, st.fail(err)
				}
			}
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				st.finish = NormalizeFinishReason(*ch.FinishReason)
			}
		}
		if chunk.Usage != nil {
			st.usage = chunk.Usage.usage()
		}
	}
	if !done && st.finish == "" {
		return nil, st.fail(errTruncated)
	}
	return st.finishStream(ctx)
}
