package llm

import (
	"encoding/json"
	"fmt"
	"maps"
	"strings"
)

// Pass-through parameters: which provider takes which, the model's
// defaults from Params, drop_params, and Extra merged into the body.
//
//	parameter        openai-compatible  anthropic               gemini / vertex          bedrock (langchaingo)
//	top_p            top_p              top_p                   topP                     yes
//	stop             stop               stop_sequences          stopSequences            yes
//	seed             seed               -                       seed                     -
//	n (> 1)          n                  -                       candidateCount           -
//	user             user               metadata.user_id        -                        -
//	logprobs         logprobs           -                       responseLogprobs         -
//	top_logprobs     top_logprobs       -                       logprobs                 -
//	response_format  response_format    instruction / tool      responseMimeType+Schema  json_object only
//	extra            merged             merged                  merged                   -
//
// A parameter marked "-" is ErrUnsupportedParams, naming it and the
// provider, unless drop_params is set (Request.DropParams or
// Params.DropParams), which drops it. N > 1 with a stream is unsupported
// everywhere.

// withDefaults fills the model's Params defaults into a copy of req where
// req leaves them unset.
func (m *Model) withDefaults(req *Request) *Request {
	p := &m.params
	needT := req.Temperature == nil && p.Temperature != nil
	needM := req.MaxTokens == 0 && p.MaxTokens > 0
	needP := req.TopP == nil && p.TopP != nil
	needS := len(req.Stop) == 0 && len(p.Stop) > 0
	needSeed := req.Seed == nil && p.Seed != nil
	needX := len(p.Extra) > 0
	needD := p.DropParams && !req.DropParams
	if !needT && !needM && !needP && !needS && !needSeed && !needX && !needD {
		return req
	}
	r := *req
	if needT {
		r.Temperature = p.Temperature
	}
	if needM {
		r.MaxTokens = p.MaxTokens
	}
	if needP {
		r.TopP = p.TopP
	}
	if needS {
		r.Stop = p.Stop
	}
	if needSeed {
		r.Seed = p.Seed
	}
	if needX {
		x := maps.Clone(p.Extra)
		maps.Copy(x, req.Extra)
		r.Extra = x
	}
	if needD {
		r.DropParams = true
	}
	return &r
}

// unsupportedParams lists the parameters of req the model's wire cannot
// send.
func (m *Model) unsupportedParams(req *Request) []string {
	var out []string
	add := func(cond bool, name string) {
		if cond {
			out = append(out, name)
		}
	}
	if req.N > 1 && req.Stream != nil {
		out = append(out, "n > 1 with streaming")
	}
	schema := req.ResponseFormat != nil && req.ResponseFormat.Type == "json_schema"
	switch m.spec.Wire {
	case WireAnthropic:
		add(req.Seed != nil, "seed")
		add(req.N > 1, "n")
		add(req.Logprobs || req.TopLogprobs > 0, "logprobs")
		add(schema && (len(req.Tools) > 0 || !req.ToolChoice.IsZero()), "response_format json_schema together with tools")
	case WireGemini:
		add(req.User != "", "user")
	case WireBedrock:
		add(req.Seed != nil, "seed")
		add(req.N > 1, "n")
		add(req.User != "", "user")
		add(req.Logprobs || req.TopLogprobs > 0, "logprobs")
		add(schema, "response_format json_schema")
		add(len(req.Extra) > 0, "extra")
	}
	return out
}

// dropUnsupported returns a copy of req without the parameters the wire
// cannot send, or, without drop_params, an ErrUnsupportedParams error
// naming them.
func (m *Model) dropUnsupported(req *Request) (*Request, error) {
	bad := m.unsupportedParams(req)
	if len(bad) == 0 {
		return req, nil
	}
	if !req.DropParams {
		return nil, &Error{Kind: ErrUnsupportedParams, Provider: m.provider, Model: m.model,
			Message: fmt.Sprintf("%s does not support %s; set drop_params (Request.DropParams or Params.DropParams) to drop them",
				m.provider, strings.Join(bad, ", "))}
	}
	r := *req
	schema := r.ResponseFormat != nil && r.ResponseFormat.Type == "json_schema"
	switch m.spec.Wire {
	case WireAnthropic:
		r.Seed, r.Logprobs, r.TopLogprobs = nil, false, 0
		if r.N > 1 {
			r.N = 1
		}
		if schema && (len(r.Tools) > 0 || !r.ToolChoice.IsZero()) {
			r.ResponseFormat, r.JSONMode = nil, true // the tools stay; ask for JSON in words
		}
	case WireGemini:
		r.User = ""
	case WireBedrock:
		r.Seed, r.User, r.Logprobs, r.TopLogprobs, r.Extra = nil, "", false, 0, nil
		if r.N > 1 {
			r.N = 1
		}
		if schema {
			r.ResponseFormat, r.JSONMode = nil, true
		}
	}
	if r.N > 1 && r.Stream != nil {
		r.N = 1
	}
	return &r, nil
}

// wantsJSON reports whether req asks for a JSON reply of any kind.
func wantsJSON(req *Request) bool {
	if req.ResponseFormat != nil {
		return req.ResponseFormat.Type == "json_object" || req.ResponseFormat.Type == "json_schema"
	}
	return req.JSONMode
}

// checkResponseFormat rejects a format no provider understands.
func checkResponseFormat(rf *ResponseFormat) error {
	if rf == nil {
		return nil
	}
	switch rf.Type {
	case "text", "json_object":
		return nil
	case "json_schema":
		if rf.JSONSchema == nil || rf.JSONSchema.Schema == nil {
			return &Error{Kind: ErrBadRequest, Message: "response_format json_schema needs json_schema.schema"}
		}
		if rf.JSONSchema.Name == "" {
			return &Error{Kind: ErrBadRequest, Message: "response_format json_schema needs json_schema.name"}
		}
		return nil
	}
	return &Error{Kind: ErrUnsupportedParams, Message: fmt.Sprintf("unknown response_format type %q (want text, json_object or json_schema)", rf.Type)}
}

// withExtra returns body with extra's fields merged in at the top level.
func withExtra(body any, extra map[string]any) (any, error) {
	if len(extra) == 0 {
		return body, nil
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	maps.Copy(m, extra)
	return m, nil
}
