package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// jsonModeInstruction implements Request.JSONMode for Anthropic.
const jsonModeInstruction = "Respond with a single valid JSON object and nothing else."

// Anthropic messages-API wire types.

type anBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   string          `json:"content,omitempty"`
	Thinking  string          `json:"thinking,omitempty"`
	Signature string          `json:"signature,omitempty"`
}

type anMessage struct {
	Role    string    `json:"role"`
	Content []anBlock `json:"content"`
}

type anTool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	InputSchema any    `json:"input_schema"`
}

type anRequest struct {
	Model            string `json:"model,omitempty"`
	AnthropicVersion string `json:"anthropic_version,omitempty"` // Vertex AI

	MaxTokens     int            `json:"max_tokens"`
	System        string         `json:"system,omitempty"`
	Messages      []anMessage    `json:"messages"`
	Tools         []anTool       `json:"tools,omitempty"`
	ToolChoice    map[string]any `json:"tool_choice,omitempty"`
	Temperature   *float64       `json:"temperature,omitempty"`
	TopP          *float64       `json:"top_p,omitempty"`
	StopSequences []string       `json:"stop_sequences,omitempty"`
	Stream        bool           `json:"stream,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
}

// anthropicJSONTool is the tool a json_schema response format is asked
// through: the model must call it, and its input is the reply.
const anthropicJSONTool = "json_tool_call"

type anUsage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// usage normalises Anthropic's counts: its input_tokens exclude cache reads
// and writes, ours include them.
func (u anUsage) usage() Usage {
	out := Usage{
		PromptTokens:     u.InputTokens + u.CacheCreationInputTokens + u.CacheReadInputTokens,
		CompletionTokens: u.OutputTokens,
		CacheReadTokens:  u.CacheReadInputTokens,
		CacheWriteTokens: u.CacheCreationInputTokens,
	}
	out.TotalTokens = out.PromptTokens + out.CompletionTokens
	return out
}

type anResponse struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Content    []anBlock `json:"content"`
	StopReason string    `json:"stop_reason"`
	Usage      anUsage   `json:"usage"`
}

// anthropicMessages converts messages: system messages join the system
// prompt, consecutive tool results become one user turn of tool_result
// blocks, and consecutive turns of the same role are merged.
func anthropicMessages(msgs []Message) (string, []anMessage, error) {
	var system []string
	out := make([]anMessage, 0, len(msgs))
	add := func(role string, blocks ...anBlock) {
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			return
		}
		out = append(out, anMessage{Role: role, Content: blocks})
	}
	for i, m := range msgs {
		switch m.Role {
		case RoleSystem:
			system = append(system, m.Content)
		case RoleUser:
			add("user", anBlock{Type: "text", Text: m.Content})
		case RoleTool:
			add("user", anBlock{Type: "tool_result", ToolUseID: m.ToolCallID, Content: m.Content})
		case RoleAssistant:
			var blocks []anBlock
			if m.Content != "" {
				blocks = append(blocks, anBlock{Type: "text", Text: m.Content})
			}
			for j, tc := range m.ToolCalls {
				args := strings.TrimSpace(tc.Arguments)
				if args == "" {
					args = "{}"
				}
				if !json.Valid([]byte(args)) {
					return "", nil, fmt.Errorf("message %d: tool call %d (%s): arguments are not valid JSON", i, j, tc.Name)
				}
				blocks = append(blocks, anBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: json.RawMessage(args)})
			}
			if len(blocks) == 0 {
				blocks = append(blocks, anBlock{Type: "text", Text: ""})
			}
			add("assistant", blocks...)
		}
	}
	return strings.Join(system, "\n\n"), out, nil
}

func (m *Model) anthropicRequest(req *Request, stream bool) (*anRequest, error) {
	system, msgs, err := anthropicMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = 4096
		if m.hasInfo && m.info.MaxOutputTokens > 0 && m.info.MaxOutputTokens < maxTokens {
			maxTokens = m.info.MaxOutputTokens
		}
	}
	schema := req.ResponseFormat != nil && req.ResponseFormat.Type == "json_schema"
	if wantsJSON(req) && !schema {
		// The messages API has no JSON mode; ask for it in the system prompt.
		if system != "" {
			system += "\n\n"
		}
		system += jsonModeInstruction
	}
	r := &anRequest{Model: m.name, MaxTokens: maxTokens, System: system, Messages: msgs,
		Temperature: req.Temperature, TopP: req.TopP, StopSequences: req.Stop, Stream: stream}
	for _, t := range req.Tools {
		if t.Function == nil {
			continue
		}
		schema := t.Function.Parameters
		if schema == nil {
			schema = map[string]any{"type": "object", "properties": map[string]any{}}
		}
		r.Tools = append(r.Tools, anTool{Name: t.Function.Name, Description: t.Function.Description, InputSchema: schema})
	}
	if len(r.Tools) > 0 {
		r.ToolChoice = anthropicToolChoice(req.ToolChoice)
	}
	if schema {
		js := req.ResponseFormat.JSONSchema
		desc := js.Description
		if desc == "" {
			desc = "Respond with the answer as this tool's input, matching the schema " + js.Name + "."
		}
		r.Tools = []anTool{{Name: anthropicJSONTool, Description: desc, InputSchema: js.Schema}}
		r.ToolChoice = map[string]any{"type": "tool", "name": anthropicJSONTool}
	}
	if req.User != "" {
		r.Metadata = map[string]any{"user_id": req.User}
	}
	return r, nil
}

func (m *Model) anthropicComplete(ctx context.Context, req *Request) (*Response, error) {
	stream := req.Stream != nil
	ar, err := m.anthropicRequest(req, stream)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: err.Error()}
	}
	h := make(http.Header, 4)
	url := m.base + "/v1/messages"
	if m.vertex {
		// Claude on Vertex AI: the model is in the URL, the version in the body.
		tok, err := m.vertexToken(ctx)
		if err != nil {
			return nil, err
		}
		h.Set("Authorization", "Bearer "+tok)
		ar.Model, ar.AnthropicVersion = "", "vertex-2023-10-16"
		method := ":rawPredict"
		if stream {
			method = ":streamRawPredict"
		}
		url = m.vertexModelURL("anthropic") + method
	} else {
		h.Set("x-api-key", m.key)
		h.Set("anthropic-version", m.apiVersion)
	}
	if stream {
		h.Set("Accept", "text/event-stream")
	}
	body, err := withExtra(ar, req.Extra)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: "merging extra fields: " + err.Error()}
	}
	hresp, err := m.post(ctx, url, body, h)
	if err != nil {
		return nil, err
	}
	jsonTool := req.ResponseFormat != nil && req.ResponseFormat.Type == "json_schema"
	if stream {
		st := &streamState{fn: req.Stream, lim: m.limits, toolsAsText: jsonTool}
		return anthropicStream(ctx, hresp.Body, st)
	}
	var resp anResponse
	if err := m.readJSON(hresp, &resp); err != nil {
		return nil, err
	}
	out := anthropicResponse(&resp)
	if jsonTool {
		// the forced tool's input is the reply
		var b strings.Builder
		b.WriteString(out.Message.Content)
		for _, tc := range out.Message.ToolCalls {
			b.WriteString(tc.Arguments)
		}
		out.Message.Content, out.Message.ToolCalls = b.String(), nil
		if out.FinishReason == FinishToolCalls {
			out.FinishReason = FinishStop
		}
	}
	return out, nil
}

func anthropicResponse(r *anResponse) *Response {
	msg := Message{Role: RoleAssistant}
	for _, b := range r.Content {
		switch b.Type {
		case "text":
			msg.Content += b.Text
		case "thinking":
			msg.ReasoningContent += b.Thinking
		case "tool_use":
			args := string(b.Input)
			if args == "" || args == "null" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: b.ID, Type: "function", Name: b.Name, Arguments: args})
		}
	}
	finish := NormalizeFinishReason(r.StopReason)
	if len(msg.ToolCalls) > 0 && (finish == "" || finish == FinishStop) {
		finish = FinishToolCalls
	}
	if finish == "" {
		finish = FinishStop
	}
	return &Response{ID: r.ID, Message: msg, FinishReason: finish, Usage: r.Usage.usage()}
}

// anthropicStream reads a messages SSE stream. Tool input JSON deltas are
// forwarded as tool-call deltas indexed by tool ordinal; an `error` event
// (e.g. overloaded_error) fails the call; a stream without message_stop is
// a truncation.
func anthropicStream(ctx context.Context, body io.ReadCloser, st *streamState) (*Response, error) {
	defer body.Close()
	sr := newSSEReader(body, st.lim.MaxEventBytes)
	toolOrdinal := map[int]int{} // content block index -> tool call ordinal
	var usage anUsage
	stopped := false
	for !stopped {
		ev, err := sr.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, st.fail(err)
		}
		if len(ev.Data) == 0 {
			continue
		}
		var e struct {
			Type    string `json:"type"`
			Index   int    `json:"index"`
			Message *struct {
				ID    string  `json:"id"`
				Usage anUsage `json:"usage"`
			} `json:"message"`
			ContentBlock *anBlock `json:"content_block"`
			Delta        *struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
				Thinking    string `json:"thinking"`
				StopReason  string `json:"stop_reason"`
			} `json:"delta"`
			Usage *anUsage `json:"usage"`
			Error *struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			return nil, st.fail(&StreamError{Type: "malformed_chunk", Message: "malformed stream event: " + err.Error()})
		}
		typ := e.Type
		if typ == "" {
			typ = ev.Event
		}
		switch typ {
		case "error":
			se := &StreamError{Message: string(ev.Data)}
			if e.Error != nil {
				se.Type, se.Message = e.Error.Type, e.Error.Message
			}
			return nil, st.fail(se)
		case "message_start":
			if e.Message != nil {
				st.id = e.Message.ID
				usage = e.Message.Usage
				st.usage = usage.usage() // kept by a partial reply if the stream breaks
			}
		case "content_block_start":
			if b := e.ContentBlock; b != nil {
				switch b.Type {
				case "tool_use":
					ord := len(toolOrdinal)
					toolOrdinal[e.Index] = ord
					if err := st.addToolDelta(ctx, ToolCallDelta{Index: ord, ID: b.ID, Name: b.Name}); err != nil {
						return nil, st.fail(err)
					}
				case "text":
					if err := st.addText(ctx, b.Text); err != nil {
						return nil, st.fail(err)
					}
				}
			}
		case "content_block_delta":
			if d := e.Delta; d != nil {
				var err error
				switch d.Type {
				case "text_delta":
					err = st.addText(ctx, d.Text)
				case "thinking_delta":
					err = st.addReasoning(ctx, d.Thinking)
				case "input_json_delta":
					ord, ok := toolOrdinal[e.Index]
					if !ok {
						err = &StreamError{Type: "malformed_chunk", Message: fmt.Sprintf("input_json_delta for block %d without a tool_use start", e.Index)}
					} else if d.PartialJSON != "" {
						err = st.addToolDelta(ctx, ToolCallDelta{Index: ord, Arguments: d.PartialJSON})
					}
				}
				if err != nil {
					return nil, st.fail(err)
				}
			}
		case "message_delta":
			if e.Delta != nil && e.Delta.StopReason != "" {
				st.finish = NormalizeFinishReason(e.Delta.StopReason)
			}
			if e.Usage != nil {
				usage.OutputTokens = e.Usage.OutputTokens
				if e.Usage.InputTokens > 0 {
					usage.InputTokens = e.Usage.InputTokens
				}
				if e.Usage.CacheReadInputTokens > 0 {
					usage.CacheReadInputTokens = e.Usage.CacheReadInputTokens
				}
				if e.Usage.CacheCreationInputTokens > 0 {
					usage.CacheCreationInputTokens = e.Usage.CacheCreationInputTokens
				}
				st.usage = usage.usage()
			}
		case "message_stop":
			stopped = true
		}
	}
	if !stopped {
		return nil, st.fail(errTruncated)
	}
	return st.finishStream(ctx)
}
