package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
)

// LLM returns the llm.Callback that makes one "chat {model}" span per
// provider attempt and records the token usage and duration metrics. Put
// it in router.Config.Callbacks (each retry and fallback attempt is then
// a span carrying its deployment, attempt number and fallback depth) or
// pass it to
// llm.WithCallbacks for a single model. The span's parent is the span in
// the context of the call: the graph node's, inside an agent. Cooldowns,
// fallbacks and cache hits come from Router's service callback.
func (t *Telemetry) LLM() llm.Callback { return t.llm }

type llmHooks struct {
	t     *Telemetry
	calls sync.Map // *llm.CallInfo -> *llmCall
}

type llmCall struct {
	span  trace.Span
	start time.Time
	attrs []attribute.KeyValue // metric attributes
	first bool                 // a chunk arrived
	mu    sync.Mutex
}

// providerName maps jedisos's provider names to gen_ai.provider.name values.
func providerName(p string) string {
	switch p {
	case "gemini":
		return "gcp.gemini"
	case "vertex_ai":
		return "gcp.vertex_ai"
	case "bedrock":
		return "aws.bedrock"
	case "azure":
		return "azure.ai.openai"
	case "mistral":
		return "mistral_ai"
	case "xai":
		return "x_ai"
	}
	return p
}

func (h *llmHooks) OnInput(ctx context.Context, info *llm.CallInfo) error {
	t := h.t
	prov := providerName(info.Provider)
	attrs := make([]attribute.KeyValue, 0, 16)
	attrs = append(attrs, semconv.GenAIOperationNameChat, semconv.GenAIProviderNameKey.String(prov),
		KeyGenAISystem.String(prov), semconv.GenAIRequestModelKey.String(info.Model))
	if info.Deployment != "" || info.Group != "" {
		attrs = append(attrs, KeyRouterGroup.String(info.Group), KeyRouterDeploy.String(info.Deployment),
			KeyRouterAttempt.Int(info.Attempt), KeyRouterFallback.Int(info.FallbackDepth))
		if info.Wait > 0 {
			attrs = append(attrs, KeyRouterWait.Float64(info.Wait.Seconds()))
		}
	}
	if r := info.Request; r != nil {
		if r.Temperature != nil {
			attrs = append(attrs, semconv.GenAIRequestTemperatureKey.Float64(*r.Temperature))
		}
		if r.MaxTokens > 0 {
			attrs = append(attrs, semconv.GenAIRequestMaxTokensKey.Int(r.MaxTokens))
		}
		if r.TopP != nil {
			attrs = append(attrs, semconv.GenAIRequestTopPKey.Float64(*r.TopP))
		}
		if len(r.Stop) > 0 {
			attrs = append(attrs, semconv.GenAIRequestStopSequencesKey.StringSlice(r.Stop))
		}
		if t.capture {
			sys, msgs := inputMessages(r.Messages)
			if sys != "" {
				attrs = append(attrs, semconv.GenAISystemInstructionsKey.String(t.scrub(sys)))
			}
			attrs = append(attrs, semconv.GenAIInputMessagesKey.String(t.scrub(msgs)))
		}
	}
	_, sp := t.tracer.Start(ctx, "chat "+info.Model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	c := &llmCall{span: sp, start: time.Now(),
		attrs: []attribute.KeyValue{semconv.GenAIOperationNameChat, semconv.GenAIProviderNameKey.String(prov),
			semconv.GenAIRequestModelKey.String(info.Model)}}
	h.calls.Store(info, c)
	return nil
}

func (h *llmHooks) OnSuccess(ctx context.Context, info *llm.CallInfo, resp *llm.Response) {
	v, ok := h.calls.LoadAndDelete(info)
	if !ok {
		return
	}
	c := v.(*llmCall)
	t := h.t
	d := time.Since(c.start).Seconds()
	model := resp.Model
	if model == "" {
		model = info.Model
	}
	attrs := []attribute.KeyValue{semconv.GenAIResponseModelKey.String(model),
		semconv.GenAIUsageInputTokensKey.Int(resp.Usage.PromptTokens),
		semconv.GenAIUsageOutputTokensKey.Int(resp.Usage.CompletionTokens),
		KeyCost.Float64(resp.Cost)}
	if resp.FinishReason != "" {
		attrs = append(attrs, semconv.GenAIResponseFinishReasonsKey.StringSlice([]string{string(resp.FinishReason)}))
	}
	if resp.ID != "" {
		attrs = append(attrs, semconv.GenAIResponseIDKey.String(resp.ID))
	}
	if resp.Usage.CacheReadTokens > 0 {
		attrs = append(attrs, KeyCacheRead.Int(resp.Usage.CacheReadTokens))
	}
	if resp.Usage.ReasoningTokens > 0 {
		attrs = append(attrs, KeyReasoning.Int(resp.Usage.ReasoningTokens))
	}
	if t.capture {
		attrs = append(attrs, semconv.GenAIOutputMessagesKey.String(t.scrub(outputMessages(resp))))
	}
	c.span.SetAttributes(attrs...)
	c.span.SetStatus(codes.Ok, "")
	c.span.End()
	mattrs := slices.Clip(append(c.attrs, semconv.GenAIResponseModelKey.String(model)))
	t.duration.Record(ctx, d, metric.WithAttributes(mattrs...))
	t.tokens.Record(ctx, int64(resp.Usage.PromptTokens), metric.WithAttributes(append(mattrs, semconv.GenAITokenTypeInput)...))
	t.tokens.Record(ctx, int64(resp.Usage.CompletionTokens), metric.WithAttributes(append(mattrs, semconv.GenAITokenTypeOutput)...))
}

func (h *llmHooks) OnFailure(ctx context.Context, info *llm.CallInfo, err error) {
	v, ok := h.calls.LoadAndDelete(info)
	if !ok {
		return
	}
	c := v.(*llmCall)
	t := h.t
	d := time.Since(c.start).Seconds()
	et := errorType(err)
	var e *llm.Error
	if errors.As(err, &e) {
		if e.StatusCode != 0 {
			c.span.SetAttributes(semconv.HTTPResponseStatusCode(e.StatusCode))
		}
		if e.Partial != nil {
			c.span.SetAttributes(semconv.GenAIUsageInputTokensKey.Int(e.Partial.Usage.PromptTokens),
				semconv.GenAIUsageOutputTokensKey.Int(e.Partial.Usage.CompletionTokens), KeyCost.Float64(e.Partial.Cost))
		}
	}
	t.fail(c.span, et, err)
	c.span.End()
	t.duration.Record(ctx, d, metric.WithAttributes(append(c.attrs, semconv.ErrorTypeKey.String(et))...))
}

func (h *llmHooks) OnStream(ctx context.Context, info *llm.CallInfo, ch llm.Chunk) {
	v, ok := h.calls.Load(info)
	if !ok {
		return
	}
	c := v.(*llmCall)
	c.mu.Lock()
	first := !c.first
	c.first = true
	c.mu.Unlock()
	if first {
		c.span.AddEvent("gen_ai.first_chunk")
	}
}

// Router returns the router.ServiceCallback for
// router.Config.ServiceCallbacks: it counts cooldowns
// (jedisos.router.cooldowns), fallbacks taken (jedisos.router.fallbacks)
// and response-cache hits (jedisos.router.cache.hits), and marks the
// calling span with a "jedisos.router.cache_hit" or
// "jedisos.router.fallback" event.
func (t *Telemetry) Router() router.ServiceCallback { return t.routerEvent }

func (t *Telemetry) routerEvent(ctx context.Context, e router.Event) {
	switch ev := e.(type) {
	case *router.CooldownStarted:
		et := "_OTHER"
		if ev.Cause != nil {
			et = errorType(ev.Cause)
		}
		t.cooldowns.Add(ctx, 1, metric.WithAttributes(KeyRouterGroup.String(ev.Group), KeyRouterDeploy.String(ev.Deployment),
			semconv.GenAIRequestModelKey.String(ev.Model), semconv.ErrorTypeKey.String(et)))
	case *router.FallbackTaken:
		t.fallbacks.Add(ctx, 1, metric.WithAttributes(attribute.String("jedisos.router.fallback.from", ev.From),
			attribute.String("jedisos.router.fallback.to", ev.To), KeyRouterFallback.Int(ev.Depth)))
		trace.SpanFromContext(ctx).AddEvent("jedisos.router.fallback", trace.WithAttributes(
			attribute.String("jedisos.router.fallback.from", ev.From), attribute.String("jedisos.router.fallback.to", ev.To),
			KeyRouterFallback.Int(ev.Depth)))
	case *router.CacheHit:
		t.cacheHits.Add(ctx, 1, metric.WithAttributes(KeyRouterGroup.String(ev.Group), semconv.GenAIRequestModelKey.String(ev.Model)))
		trace.SpanFromContext(ctx).AddEvent("jedisos.router.cache_hit", trace.WithAttributes(
			KeyRouterGroup.String(ev.Group), semconv.GenAIResponseModelKey.String(ev.Model)))
	}
}

// errorType is a low-cardinality name for err: the llm Kind when there is
// one, else the Go type of the innermost error that has one of its own.
func errorType(err error) string {
	var e *llm.Error
	switch {
	case errors.Is(err, llm.ErrRejected):
		// an input callback refused the call (on a single model, an
		// ErrBadRequest *llm.Error; in a Router, the rejection itself)
		return "rejected"
	case errors.As(err, &e):
		return string(e.Kind)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	for {
		u := errors.Unwrap(err)
		if u == nil || strings.HasPrefix(fmt.Sprintf("%T", u), "*errors.") || strings.HasPrefix(fmt.Sprintf("%T", u), "*fmt.") {
			break
		}
		err = u
	}
	name := strings.TrimPrefix(fmt.Sprintf("%T", err), "*")
	if name == "errors.errorString" || name == "fmt.wrapError" {
		return "_OTHER"
	}
	return name
}

// Content in the GenAI conventions' message shape.
type msgPart struct {
	Type      string          `json:"type"`
	Content   string          `json:"content,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Arguments json.RawMessage `json:"arguments,omitempty"`
	Response  string          `json:"response,omitempty"`
}

type chatMsg struct {
	Role         string    `json:"role"`
	Parts        []msgPart `json:"parts"`
	FinishReason string    `json:"finish_reason,omitempty"`
}

func parts(m llm.Message) []msgPart {
	var ps []msgPart
	switch m.Role {
	case llm.RoleTool:
		return []msgPart{{Type: "tool_call_response", ID: m.ToolCallID, Response: m.Content}}
	}
	if m.ReasoningContent != "" {
		ps = append(ps, msgPart{Type: "reasoning", Content: m.ReasoningContent})
	}
	if m.Content != "" {
		ps = append(ps, msgPart{Type: "text", Content: m.Content})
	}
	for _, tc := range m.ToolCalls {
		p := msgPart{Type: "tool_call", ID: tc.ID, Name: tc.Name}
		if json.Valid([]byte(tc.Arguments)) {
			p.Arguments = json.RawMessage(tc.Arguments)
		} else if tc.Arguments != "" {
			p.Arguments, _ = json.Marshal(tc.Arguments)
		}
		ps = append(ps, p)
	}
	if ps == nil {
		ps = []msgPart{}
	}
	return ps
}

// inputMessages returns the system instructions and the other messages
// as JSON text.
func inputMessages(ms []llm.Message) (string, string) {
	var sys []string
	out := make([]chatMsg, 0, len(ms))
	for _, m := range ms {
		if m.Role == llm.RoleSystem {
			sys = append(sys, m.Content)
			continue
		}
		out = append(out, chatMsg{Role: string(m.Role), Parts: parts(m)})
	}
	b, _ := json.Marshal(out)
	s := ""
	if len(sys) > 0 {
		sb, _ := json.Marshal(func() []msgPart {
			ps := make([]msgPart, len(sys))
			for i, c := range sys {
				ps[i] = msgPart{Type: "text", Content: c}
			}
			return ps
		}())
		s = string(sb)
	}
	return s, string(b)
}

func outputMessages(r *llm.Response) string {
	b, _ := json.Marshal([]chatMsg{{Role: "assistant", Parts: parts(r.Message), FinishReason: string(r.FinishReason)}})
	return string(b)
}
