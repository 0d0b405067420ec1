package llm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Gemini generateContent wire types (AI Studio and Vertex AI).

type gmFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type gmFunctionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type gmPart struct {
	Text             string              `json:"text,omitempty"`
	Thought          bool                `json:"thought,omitempty"`
	FunctionCall     *gmFunctionCall     `json:"functionCall,omitempty"`
	FunctionResponse *gmFunctionResponse `json:"functionResponse,omitempty"`
}

type gmContent struct {
	Role  string   `json:"role,omitempty"`
	Parts []gmPart `json:"parts"`
}

type gmFunctionDecl struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Parameters  any    `json:"parameters,omitempty"`
}

type gmTool struct {
	FunctionDeclarations []gmFunctionDecl `json:"functionDeclarations"`
}

type gmGenerationConfig struct {
	Temperature      *float64 `json:"temperature,omitempty"`
	TopP             *float64 `json:"topP,omitempty"`
	MaxOutputTokens  int      `json:"maxOutputTokens,omitempty"`
	StopSequences    []string `json:"stopSequences,omitempty"`
	ResponseMIMEType string   `json:"responseMimeType,omitempty"`
	ResponseSchema   any      `json:"responseSchema,omitempty"`
	Seed             *int     `json:"seed,omitempty"`
	CandidateCount   int      `json:"candidateCount,omitempty"`
	ResponseLogprobs bool     `json:"responseLogprobs,omitempty"`
	Logprobs         int      `json:"logprobs,omitempty"`
}

type gmLogprob struct {
	Token          string  `json:"token"`
	LogProbability float64 `json:"logProbability"`
}

type gmLogprobsResult struct {
	TopCandidates []struct {
		Candidates []gmLogprob `json:"candidates"`
	} `json:"topCandidates"`
	ChosenCandidates []gmLogprob `json:"chosenCandidates"`
}

// logprobs converts Gemini's per-position lists to TokenLogprobs.
func (r *gmLogprobsResult) logprobs() []TokenLogprob {
	if r == nil {
		return nil
	}
	out := make([]TokenLogprob, 0, len(r.ChosenCandidates))
	for i, c := range r.ChosenCandidates {
		tl := TokenLogprob{Token: c.Token, Logprob: c.LogProbability}
		if i < len(r.TopCandidates) {
			for _, alt := range r.TopCandidates[i].Candidates {
				tl.TopLogprobs = append(tl.TopLogprobs, TopLogprob{Token: alt.Token, Logprob: alt.LogProbability})
			}
		}
		out = append(out, tl)
	}
	return out
}

type gmRequest struct {
	Contents          []gmContent         `json:"contents"`
	SystemInstruction *gmContent          `json:"systemInstruction,omitempty"`
	Tools             []gmTool            `json:"tools,omitempty"`
	ToolConfig        map[string]any      `json:"toolConfig,omitempty"`
	GenerationConfig  *gmGenerationConfig `json:"generationConfig,omitempty"`
}

type gmUsage struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
}

// usage normalises Gemini's counts: thoughts are reasoning tokens, billed
// as output, and not included in candidatesTokenCount.
func (u *gmUsage) usage() Usage {
	out := Usage{
		PromptTokens:     u.PromptTokenCount,
		CompletionTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount,
		TotalTokens:      u.TotalTokenCount,
		CacheReadTokens:  u.CachedContentTokenCount,
		ReasoningTokens:  u.ThoughtsTokenCount,
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.PromptTokens + out.CompletionTokens
	}
	return out
}

type gmResponse struct {
	Candidates []struct {
		Content        gmContent         `json:"content"`
		FinishReason   string            `json:"finishReason"`
		Index          int               `json:"index"`
		LogprobsResult *gmLogprobsResult `json:"logprobsResult"`
	} `json:"candidates"`
	CreateTime     string `json:"createTime"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *gmUsage        `json:"usageMetadata"`
	ResponseID    string          `json:"responseId"`
	Error         json.RawMessage `json:"error"`
}

// geminiSchema removes the JSON-Schema keywords Gemini rejects.
func geminiSchema(params any) (any, error) {
	if params == nil {
		return nil, nil
	}
	b, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	var clean func(any) any
	clean = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			for _, k := range []string{"$schema", "$id", "additionalProperties"} {
				delete(t, k)
			}
			for k, val := range t {
				t[k] = clean(val)
			}
			return t
		case []any:
			for i := range t {
				t[i] = clean(t[i])
			}
			return t
		}
		return x
	}
	return clean(v), nil
}

func geminiRequest(req *Request) (*gmRequest, error) {
	r := &gmRequest{}
	var system []gmPart
	names := map[string]string{} // tool call id -> function name
	add := func(role string, p gmPart) {
		if n := len(r.Contents); n > 0 && r.Contents[n-1].Role == role {
			r.Contents[n-1].Parts = append(r.Contents[n-1].Parts, p)
			return
		}
		r.Contents = append(r.Contents, gmContent{Role: role, Parts: []gmPart{p}})
	}
	for i, m := range req.Messages {
		switch m.Role {
		case RoleSystem:
			system = append(system, gmPart{Text: m.Content})
		case RoleUser:
			add("user", gmPart{Text: m.Content})
		case RoleAssistant:
			if m.Content != "" || len(m.ToolCalls) == 0 {
				add("model", gmPart{Text: m.Content})
			}
			for j, tc := range m.ToolCalls {
				args := strings.TrimSpace(tc.Arguments)
				if args == "" {
					args = "{}"
				}
				if !json.Valid([]byte(args)) {
					return nil, fmt.Errorf("message %d: tool call %d (%s): arguments are not valid JSON", i, j, tc.Name)
				}
				names[tc.ID] = tc.Name
				add("model", gmPart{FunctionCall: &gmFunctionCall{Name: tc.Name, Args: json.RawMessage(args)}})
			}
		case RoleTool:
			name := m.Name
			if name == "" {
				name = names[m.ToolCallID]
			}
			if name == "" {
				return nil, fmt.Errorf("message %d: tool result for call %q names no tool and answers no earlier call", i, m.ToolCallID)
			}
			resp := strings.TrimSpace(m.Content)
			if !strings.HasPrefix(resp, "{") || !json.Valid([]byte(resp)) {
				b, _ := json.Marshal(map[string]string{"content": m.Content})
				resp = string(b)
			}
			add("user", gmPart{FunctionResponse: &gmFunctionResponse{Name: name, Response: json.RawMessage(resp)}})
		}
	}
	if len(system) > 0 {
		r.SystemInstruction = &gmContent{Parts: system}
	}
	var decls []gmFunctionDecl
	for _, t := range req.Tools {
		if t.Function == nil {
			continue
		}
		p, err := geminiSchema(t.Function.Parameters)
		if err != nil {
			return nil, fmt.Errorf("tool %s: parameters: %w", t.Function.Name, err)
		}
		decls = append(decls, gmFunctionDecl{Name: t.Function.Name, Description: t.Function.Description, Parameters: p})
	}
	if len(decls) > 0 {
		r.Tools = []gmTool{{FunctionDeclarations: decls}}
		if fc := geminiFunctionCalling(req.ToolChoice); fc != nil {
			r.ToolConfig = map[string]any{"functionCallingConfig": fc}
		}
	}
	gc := &gmGenerationConfig{Temperature: req.Temperature, TopP: req.TopP, MaxOutputTokens: req.MaxTokens, StopSequences: req.Stop,
		Seed: req.Seed, ResponseLogprobs: req.Logprobs || req.TopLogprobs > 0, Logprobs: req.TopLogprobs}
	if req.N > 1 {
		gc.CandidateCount = req.N
	}
	if wantsJSON(req) {
		gc.ResponseMIMEType = "application/json"
	}
	if rf := req.ResponseFormat; rf != nil && rf.Type == "json_schema" {
		s, err := geminiSchema(rf.JSONSchema.Schema)
		if err != nil {
			return nil, fmt.Errorf("response_format schema: %w", err)
		}
		gc.ResponseSchema = s
	}
	if b, _ := json.Marshal(gc); string(b) != "{}" {
		r.GenerationConfig = gc
	}
	return r, nil
}

func (m *Model) geminiURL(stream bool) string {
	method := ":generateContent"
	if stream {
		method = ":streamGenerateContent?alt=sse"
	}
	if m.vertex {
		return m.vertexModelURL("google") + method
	}
	u := m.base + "/v1beta/models/" + url.PathEscape(m.name) + method
	sep := "?"
	if stream {
		sep = "&"
	}
	return u + sep + "key=" + url.QueryEscape(m.key)
}

func (m *Model) geminiComplete(ctx context.Context, req *Request) (*Response, error) {
	stream := req.Stream != nil
	gr, err := geminiRequest(req)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: err.Error()}
	}
	h := make(http.Header, 2)
	if m.vertex {
		tok, err := m.vertexToken(ctx)
		if err != nil {
			return nil, err
		}
		h.Set("Authorization", "Bearer "+tok)
	}
	if stream {
		h.Set("Accept", "text/event-stream")
	}
	body, err := withExtra(gr, req.Extra)
	if err != nil {
		return nil, &Error{Kind: ErrBadRequest, Message: "merging extra fields: " + err.Error()}
	}
	hresp, err := m.post(ctx, m.geminiURL(stream), body, h)
	if err != nil {
		return nil, err
	}
	if stream {
		return geminiStream(ctx, hresp.Body, &streamState{fn: req.Stream, lim: m.limits})
	}
	var resp gmResponse
	if err := m.readJSON(hresp, &resp); err != nil {
		return nil, err
	}
	if len(resp.Error) > 0 {
		return nil, geminiStreamError(resp.Error)
	}
	if len(resp.Candidates) == 0 && resp.PromptFeedback != nil && resp.PromptFeedback.BlockReason != "" {
		return nil, &Error{Kind: ErrContentPolicyViolation,
			Message: "The response was blocked: prompt blocked for " + resp.PromptFeedback.BlockReason}
	}
	var out *Response
	var choices []Choice
	all := resp.Candidates
	for i := range max(len(all), 1) {
		one := resp
		if len(all) > 0 {
			one.Candidates = all[i : i+1]
		}
		st := &streamState{fn: func(context.Context, Chunk) error { return nil }}
		if err := geminiApply(ctx, st, &one); err != nil {
			return nil, err
		}
		r := st.response()
		if out == nil {
			out = r
		}
		if len(all) > 1 && req.N > 1 {
			choices = append(choices, Choice{Index: all[i].Index, Message: r.Message, FinishReason: r.FinishReason, Logprobs: r.Logprobs})
		} else {
			break
		}
	}
	out.Choices = choices
	if t, err := time.Parse(time.RFC3339Nano, resp.CreateTime); err == nil {
		out.Created = t
	}
	return out, nil
}

func newCallID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "call_" + hex.EncodeToString(b[:])
}

// geminiApply adds one (possibly partial) response to st.
func geminiApply(ctx context.Context, st *streamState, r *gmResponse) error {
	if r.ResponseID != "" && st.id == "" {
		st.id = r.ResponseID
	}
	for ci, c := range r.Candidates {
		if ci > 0 {
			break // one candidate is requested
		}
		for _, p := range c.Content.Parts {
			switch {
			case p.FunctionCall != nil:
				id := p.FunctionCall.ID
				if id == "" {
					id = newCallID()
				}
				args := string(p.FunctionCall.Args)
				if args == "" || args == "null" {
					args = "{}"
				}
				if err := st.addToolDelta(ctx, ToolCallDelta{Index: len(st.calls), ID: id, Name: p.FunctionCall.Name, Arguments: args}); err != nil {
					return err
				}
			case p.Thought:
				if err := st.addReasoning(ctx, p.Text); err != nil {
					return err
				}
			default:
				if err := st.addText(ctx, p.Text); err != nil {
					return err
				}
			}
		}
		if lp := c.LogprobsResult.logprobs(); len(lp) > 0 {
			if err := st.addLogprobs(ctx, lp); err != nil {
				return err
			}
		}
		if c.FinishReason != "" && c.FinishReason != "FINISH_REASON_UNSPECIFIED" {
			st.finish = NormalizeFinishReason(c.FinishReason)
		}
	}
	if r.UsageMetadata != nil {
		st.usage = r.UsageMetadata.usage()
	}
	return nil
}

func geminiStreamError(raw json.RawMessage) error {
	var obj struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	}
	_ = json.Unmarshal(raw, &obj)
	if obj.Message == "" {
		obj.Message = string(raw)
	}
	return &StreamError{Type: obj.Status, Message: obj.Message, StatusCode: obj.Code}
}

// geminiStream reads streamGenerateContent?alt=sse: each event is a
// partial GenerateContentResponse; usage comes with the last one.
func geminiStream(ctx context.Context, body io.ReadCloser, st *streamState) (*Response, error) {
	defer body.Close()
	sr := newSSEReader(body, st.lim.MaxEventBytes)
	for {
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
		var r gmResponse
		if err := json.Unmarshal(ev.Data, &r); err != nil {
			return nil, st.fail(&StreamError{Type: "malformed_chunk", Message: "malformed stream chunk: " + err.Error()})
		}
		if len(r.Error) > 0 {
			return nil, st.fail(geminiStreamError(r.Error))
		}
		if len(r.Candidates) == 0 && r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
			return nil, st.fail(&StreamError{Type: "content_filter",
				Message: "The response was blocked: prompt blocked for " + r.PromptFeedback.BlockReason})
		}
		if err := geminiApply(ctx, st, &r); err != nil {
			return nil, st.fail(err)
		}
	}
	if st.finish == "" {
		return nil, st.fail(errTruncated)
	}
	return st.finishStream(ctx)
}

// vertexModelURL is the Vertex AI URL of the model, without the method.
func (m *Model) vertexModelURL(publisher string) string {
	return m.base + "/v1/projects/" + url.PathEscape(m.project) + "/locations/" + url.PathEscape(m.location) +
		"/publishers/" + publisher + "/models/" + url.PathEscape(m.name)
}

// vertexToken returns the access token for Vertex AI.
func (m *Model) vertexToken(ctx context.Context) (string, error) {
	if m.token == nil {
		return m.key, nil
	}
	tok, err := m.token(ctx)
	if err != nil {
		return "", &Error{Kind: ErrAuthentication, Message: "vertex_ai credentials: " + err.Error(), Err: err}
	}
	return tok, nil
}
