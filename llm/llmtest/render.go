package llmtest

import (
	"encoding/json"
	"fmt"
	"strings"
)

func sse(v any) string { return "data: " + string(mustJSON(v)) + "\n\n" }

func sseNamed(name string, v any) string {
	return "event: " + name + "\ndata: " + string(mustJSON(v)) + "\n\n"
}

// render renders a non-streamed reply.
func (s *Server) render(rep Reply, seq int, model string) []byte {
	switch s.flavor {
	case Anthropic:
		return mustJSON(anthropicMessage(rep, seq, model))
	case Gemini:
		out := geminiResponse(rep, seq, model, true, rep.Text, rep.Reasoning, true)
		cands := out["candidates"].([]any)
		if rep.Logprobs {
			cands[0].(map[string]any)["logprobsResult"] = geminiLogprobs(chunks(rep.Text, rep.ChunkSize), 0, rep.top)
		}
		for i, text := range rep.Choices {
			cands = append(cands, map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}},
				"index": i + 1, "finishReason": "STOP"})
		}
		out["candidates"] = cands
		return mustJSON(out)
	}
	return mustJSON(s.openaiCompletion(rep, seq, model))
}

// streamEvents renders a streamed reply as SSE events, terminal ones last.
func (s *Server) streamEvents(rep Reply, seq int, model string, req map[string]any) []string {
	var content, terminal []string
	switch s.flavor {
	case Anthropic:
		content, terminal = anthropicEvents(rep, seq, model)
	case Gemini:
		content, terminal = geminiEvents(rep, seq, model)
	default:
		includeUsage := false
		if so, ok := req["stream_options"].(map[string]any); ok {
			includeUsage, _ = so["include_usage"].(bool)
		}
		content, terminal = s.openaiEvents(rep, seq, model, includeUsage)
	}
	if rep.StreamError != "" && rep.CutAfter == 0 {
		return append(content, s.streamErrorEvent(rep))
	}
	return append(content, terminal...)
}

// OpenAI.

func (s *Server) openaiFinish(rep Reply) string {
	if rep.Finish != "" {
		return rep.Finish
	}
	if len(rep.ToolCalls) > 0 {
		return "tool_calls"
	}
	return "stop"
}

func openaiUsage(u Usage) map[string]any {
	return map[string]any{
		"prompt_tokens":             u.Prompt,
		"completion_tokens":         u.Completion,
		"total_tokens":              u.Prompt + u.Completion,
		"prompt_tokens_details":     map[string]any{"cached_tokens": u.CacheRead},
		"completion_tokens_details": map[string]any{"reasoning_tokens": u.Reasoning},
	}
}

func (s *Server) callPrefix() string {
	if s.flavor == Ollama {
		return "call_ollama"
	}
	return "call_"
}

func (s *Server) openaiCompletion(rep Reply, seq int, model string) map[string]any {
	msg := map[string]any{"role": "assistant", "content": nil}
	if rep.Text != "" || len(rep.ToolCalls) == 0 {
		msg["content"] = rep.Text
	}
	if rep.Reasoning != "" {
		msg["reasoning_content"] = rep.Reasoning
	}
	if len(rep.ToolCalls) > 0 {
		var tcs []any
		for i, tc := range rep.ToolCalls {
			tcs = append(tcs, map[string]any{"id": rep.toolID(i, seq, s.callPrefix()), "type": "function",
				"function": map[string]any{"name": tc.Name, "arguments": args(tc.Arguments)}})
		}
		msg["tool_calls"] = tcs
	}
	first := map[string]any{"index": 0, "message": msg, "finish_reason": s.openaiFinish(rep), "logprobs": nil}
	if rep.Logprobs {
		first["logprobs"] = map[string]any{"content": openaiLogprobs(chunks(rep.Text, rep.ChunkSize), 0, rep.top)}
	}
	choices := []any{first}
	for i, text := range rep.Choices {
		choices = append(choices, map[string]any{"index": i + 1, "message": map[string]any{"role": "assistant", "content": text},
			"finish_reason": "stop", "logprobs": nil})
	}
	return map[string]any{
		"id": fmt.Sprintf("chatcmpl-%d", seq), "object": "chat.completion", "created": 1700000000 + seq,
		"model": model, "system_fingerprint": "fp_test",
		"choices": choices,
		"usage":   openaiUsage(rep.Usage),
	}
}

// topLogprobs is how many alternatives per token the request asked for.
func topLogprobs(req map[string]any) int {
	if n, ok := req["top_logprobs"].(float64); ok {
		return int(n)
	}
	if gc, ok := req["generationConfig"].(map[string]any); ok {
		if n, ok := gc["logprobs"].(float64); ok {
			return int(n)
		}
	}
	return 0
}

// byteInts is s's UTF-8 bytes as OpenAI lists them: numbers.
func byteInts(s string) []int {
	out := make([]int, len(s))
	for i := range len(s) {
		out[i] = int(s[i])
	}
	return out
}

// logprob is the scripted log probability of the k-th piece.
func logprob(k int) float64 { return -float64(k+1) / 10 }

func openaiLogprobs(pieces []string, from, top int) []any {
	out := make([]any, 0, len(pieces))
	for i, p := range pieces {
		k := from + i
		alts := []any{}
		for j := range top {
			alts = append(alts, map[string]any{"token": fmt.Sprintf("alt%d", j), "logprob": logprob(k) - float64(j+1), "bytes": nil})
		}
		out = append(out, map[string]any{"token": p, "logprob": logprob(k), "bytes": byteInts(p), "top_logprobs": alts})
	}
	return out
}

func (s *Server) openaiEvents(rep Reply, seq int, model string, includeUsage bool) (content, terminal []string) {
	id := fmt.Sprintf("chatcmpl-%d", seq)
	chunk := func(delta map[string]any, finish any) string {
		c := map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000 + seq, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
		return sse(c)
	}
	content = append(content, chunk(map[string]any{"role": "assistant", "content": ""}, nil))
	for _, r := range chunks(rep.Reasoning, rep.ChunkSize) {
		content = append(content, chunk(map[string]any{"reasoning_content": r}, nil))
	}
	for k, t := range chunks(rep.Text, rep.ChunkSize) {
		if !rep.Logprobs {
			content = append(content, chunk(map[string]any{"content": t}, nil))
			continue
		}
		c := map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000 + seq, "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": t}, "finish_reason": nil,
				"logprobs": map[string]any{"content": openaiLogprobs([]string{t}, k, rep.top)}}}}
		content = append(content, sse(c))
	}
	// Tool calls: a head delta (id, name) per call, then argument fragments,
	// either call after call or interleaved across calls.
	frags := make([][]string, len(rep.ToolCalls))
	for i, tc := range rep.ToolCalls {
		frags[i] = chunks(args(tc.Arguments), rep.ChunkSize)
	}
	head := func(i int) string {
		return chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "id": rep.toolID(i, seq, s.callPrefix()),
			"type": "function", "function": map[string]any{"name": rep.ToolCalls[i].Name, "arguments": ""}}}}, nil)
	}
	frag := func(i int, a string) string {
		return chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i, "function": map[string]any{"arguments": a}}}}, nil)
	}
	if s.flavor == Ollama {
		// Ollama sends each call whole, in one delta.
		for i, tc := range rep.ToolCalls {
			content = append(content, chunk(map[string]any{"tool_calls": []any{map[string]any{"index": i,
				"id": rep.toolID(i, seq, s.callPrefix()), "type": "function",
				"function": map[string]any{"name": tc.Name, "arguments": args(tc.Arguments)}}}}, nil))
		}
	} else if rep.Interleave {
		for i := range rep.ToolCalls {
			content = append(content, head(i))
		}
		for k := 0; ; k++ {
			any := false
			for i := range frags {
				if k < len(frags[i]) {
					content = append(content, frag(i, frags[i][k]))
					any = true
				}
			}
			if !any {
				break
			}
		}
	} else {
		for i := range rep.ToolCalls {
			content = append(content, head(i))
			for _, a := range frags[i] {
				content = append(content, frag(i, a))
			}
		}
	}
	terminal = append(terminal, chunk(map[string]any{}, s.openaiFinish(rep)))
	if includeUsage {
		terminal = append(terminal, sse(map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000 + seq,
			"model": model, "choices": []any{}, "usage": openaiUsage(rep.Usage)}))
	}
	terminal = append(terminal, "data: [DONE]\n\n")
	return content, terminal
}

// Anthropic.

func anthropicStop(rep Reply) string {
	if rep.Finish != "" {
		return rep.Finish
	}
	if len(rep.ToolCalls) > 0 {
		return "tool_use"
	}
	return "end_turn"
}

func anthropicUsage(u Usage) map[string]any {
	return map[string]any{"input_tokens": u.Prompt, "output_tokens": u.Completion,
		"cache_creation_input_tokens": u.CacheWrite, "cache_read_input_tokens": u.CacheRead}
}

func anthropicMessage(rep Reply, seq int, model string) map[string]any {
	var content []any
	if rep.Reasoning != "" {
		content = append(content, map[string]any{"type": "thinking", "thinking": rep.Reasoning, "signature": "sig"})
	}
	if rep.Text != "" || len(rep.ToolCalls) == 0 {
		content = append(content, map[string]any{"type": "text", "text": rep.Text})
	}
	for i, tc := range rep.ToolCalls {
		content = append(content, map[string]any{"type": "tool_use", "id": rep.toolID(i, seq, "toolu_"), "name": tc.Name,
			"input": json.RawMessage(args(tc.Arguments))})
	}
	return map[string]any{"id": fmt.Sprintf("msg_%d", seq), "type": "message", "role": "assistant", "model": model,
		"content": content, "stop_reason": anthropicStop(rep), "stop_sequence": nil, "usage": anthropicUsage(rep.Usage)}
}

func anthropicEvents(rep Reply, seq int, model string) (content, terminal []string) {
	start := anthropicUsage(rep.Usage)
	start["output_tokens"] = 1
	content = append(content, sseNamed("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": fmt.Sprintf("msg_%d", seq), "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": start}}))
	content = append(content, sseNamed("ping", map[string]any{"type": "ping"}))
	idx := 0
	if rep.Reasoning != "" {
		content = append(content, sseNamed("content_block_start", map[string]any{"type": "content_block_start", "index": idx,
			"content_block": map[string]any{"type": "thinking", "thinking": ""}}))
		for _, r := range chunks(rep.Reasoning, rep.ChunkSize) {
			content = append(content, sseNamed("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
				"delta": map[string]any{"type": "thinking_delta", "thinking": r}}))
		}
		content = append(content, sseNamed("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx}))
		idx++
	}
	if rep.Text != "" || len(rep.ToolCalls) == 0 {
		content = append(content, sseNamed("content_block_start", map[string]any{"type": "content_block_start", "index": idx,
			"content_block": map[string]any{"type": "text", "text": ""}}))
		for _, t := range chunks(rep.Text, rep.ChunkSize) {
			content = append(content, sseNamed("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
				"delta": map[string]any{"type": "text_delta", "text": t}}))
		}
		content = append(content, sseNamed("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx}))
		idx++
	}
	for i, tc := range rep.ToolCalls {
		content = append(content, sseNamed("content_block_start", map[string]any{"type": "content_block_start", "index": idx,
			"content_block": map[string]any{"type": "tool_use", "id": rep.toolID(i, seq, "toolu_"), "name": tc.Name, "input": map[string]any{}}}))
		for _, a := range chunks(args(tc.Arguments), rep.ChunkSize) {
			content = append(content, sseNamed("content_block_delta", map[string]any{"type": "content_block_delta", "index": idx,
				"delta": map[string]any{"type": "input_json_delta", "partial_json": a}}))
		}
		content = append(content, sseNamed("content_block_stop", map[string]any{"type": "content_block_stop", "index": idx}))
		idx++
	}
	terminal = append(terminal,
		sseNamed("message_delta", map[string]any{"type": "message_delta",
			"delta": map[string]any{"stop_reason": anthropicStop(rep), "stop_sequence": nil},
			"usage": map[string]any{"output_tokens": rep.Usage.Completion}}),
		sseNamed("message_stop", map[string]any{"type": "message_stop"}))
	return content, terminal
}

// Gemini.

func geminiFinish(rep Reply) string {
	if rep.Finish != "" {
		return rep.Finish
	}
	return "STOP"
}

func geminiUsage(u Usage) map[string]any {
	m := map[string]any{"promptTokenCount": u.Prompt, "candidatesTokenCount": u.Completion,
		"totalTokenCount": u.Prompt + u.Completion + u.Reasoning}
	if u.CacheRead > 0 {
		m["cachedContentTokenCount"] = u.CacheRead
	}
	if u.Reasoning > 0 {
		m["thoughtsTokenCount"] = u.Reasoning
	}
	return m
}

func geminiResponse(rep Reply, seq int, model string, withCalls bool, text, reasoning string, final bool) map[string]any {
	var parts []any
	if reasoning != "" {
		parts = append(parts, map[string]any{"text": reasoning, "thought": true})
	}
	if text != "" {
		parts = append(parts, map[string]any{"text": text})
	}
	if withCalls {
		for _, tc := range rep.ToolCalls {
			parts = append(parts, map[string]any{"functionCall": map[string]any{"name": tc.Name, "args": json.RawMessage(args(tc.Arguments))}})
		}
	}
	if parts == nil {
		parts = []any{map[string]any{"text": ""}}
	}
	cand := map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "index": 0}
	out := map[string]any{"candidates": []any{cand}, "modelVersion": strings.TrimPrefix(model, "models/"),
		"responseId": fmt.Sprintf("resp-%d", seq)}
	if final {
		cand["finishReason"] = geminiFinish(rep)
		out["usageMetadata"] = geminiUsage(rep.Usage)
	} else {
		out["usageMetadata"] = map[string]any{"promptTokenCount": rep.Usage.Prompt}
	}
	return out
}

func geminiLogprobs(pieces []string, from, top int) map[string]any {
	var chosen, tops []any
	for i, p := range pieces {
		k := from + i
		chosen = append(chosen, map[string]any{"token": p, "logProbability": logprob(k)})
		var alts []any
		for j := range top {
			alts = append(alts, map[string]any{"token": fmt.Sprintf("alt%d", j), "logProbability": logprob(k) - float64(j+1)})
		}
		tops = append(tops, map[string]any{"candidates": alts})
	}
	return map[string]any{"chosenCandidates": chosen, "topCandidates": tops}
}

func geminiEvents(rep Reply, seq int, model string) (content, terminal []string) {
	for _, r := range chunks(rep.Reasoning, rep.ChunkSize) {
		content = append(content, sse(geminiResponse(rep, seq, model, false, "", r, false)))
	}
	for k, t := range chunks(rep.Text, rep.ChunkSize) {
		ev := geminiResponse(rep, seq, model, false, t, "", false)
		if rep.Logprobs {
			ev["candidates"].([]any)[0].(map[string]any)["logprobsResult"] = geminiLogprobs([]string{t}, k, rep.top)
		}
		content = append(content, sse(ev))
	}
	// The last event carries the function calls, finish reason and usage.
	terminal = append(terminal, sse(geminiResponse(rep, seq, model, true, "", "", true)))
	return content, terminal
}

// Ollama's native /api/chat.

func ollamaNative(rep Reply, model, text string, final bool) map[string]any {
	msg := map[string]any{"role": "assistant", "content": text}
	out := map[string]any{"model": model, "created_at": "2026-01-01T00:00:00Z", "message": msg, "done": final}
	if !final {
		return out
	}
	if rep.Reasoning != "" {
		msg["thinking"] = rep.Reasoning
	}
	if len(rep.ToolCalls) > 0 {
		var tcs []any
		for _, tc := range rep.ToolCalls {
			tcs = append(tcs, map[string]any{"function": map[string]any{"name": tc.Name, "arguments": json.RawMessage(args(tc.Arguments))}})
		}
		msg["tool_calls"] = tcs
	}
	reason := rep.Finish
	if reason == "" {
		reason = "stop"
	}
	out["done_reason"] = reason
	out["total_duration"] = 1000000
	out["prompt_eval_count"] = rep.Usage.Prompt
	out["eval_count"] = rep.Usage.Completion
	return out
}

func ollamaNativeLines(rep Reply, model string) []string {
	var lines []string
	for _, t := range chunks(rep.Text, rep.ChunkSize) {
		lines = append(lines, string(mustJSON(ollamaNative(rep, model, t, false)))+"\n")
	}
	if rep.StreamError != "" && rep.CutAfter == 0 {
		return append(lines, string(mustJSON(map[string]any{"error": rep.ErrorMessage}))+"\n")
	}
	return append(lines, string(mustJSON(ollamaNative(rep, model, "", true)))+"\n")
}
