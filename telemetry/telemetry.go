// Package telemetry reports jedisos's graph runs, LLM calls, tool
// executions and memory recalls as OpenTelemetry traces and metrics,
// following the GenAI semantic conventions.
//
// The core packages know nothing of OpenTelemetry: each has a small hook
// (graph.Tracer, llm.Callback, tools.Tracer, memory.Tracer) that costs a nil
// check when unset. New builds every hook from one TracerProvider and
// MeterProvider:
//
//	tel := telemetry.New(telemetry.Options{TracerProvider: tp, MeterProvider: mp})
//	rt, _ := router.New(router.Config{..., Callbacks: []llm.Callback{tel.LLM()},
//		ServiceCallbacks: []router.ServiceCallback{tel.Router()}})
//	reg, _ := tools.NewRegistry(tools.Config{Tracer: tel.Tools()}, weather)
//	mem, _ := memory.New(memory.Config{Tracer: tel.Memory()})
//	agent, _ := nodes.NewReAct(nodes.ReActConfig{Model: rt, Tools: reg, Memory: mem,
//		Tracer: tel.Graph("react")})
//
// One ReAct turn then gives this span tree (the LLM, tool and recall spans
// nest under the node task that made them; a Router's retries and
// fallbacks are sibling "chat" spans, one per attempt):
//
//	invoke_workflow react
//	├── graph.step 0
//	│   └── graph.node memory_recall
//	│       └── retrieval {bank}
//	├── graph.step 1
//	│   └── graph.node llm_reason
//	│       ├── chat gpt-4o        (attempt 1, 500: error)
//	│       └── chat gpt-4o-mini   (attempt 2, fallback depth 1)
//	├── graph.step 2
//	│   └── graph.node tool_exec
//	│       └── execute_tool get_weather
//	└── ...
//
// Metrics: gen_ai.client.token.usage and gen_ai.client.operation.duration
// histograms (per attempt, with the conventions' bucket boundaries), from
// the LLM callback; jedisos.router.cooldowns, jedisos.router.fallbacks and
// jedisos.router.cache.hits counters from the Router's service callback.
//
// Privacy: prompts, completions, tool arguments and results and recall
// queries are recorded only with Options.CaptureContent. Error messages
// and captured content pass through llm.RedactSecrets with the values of
// every provider key environment variable llm reads and Options.Secrets,
// so API keys never reach an exporter.
package telemetry

import (
	"os"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/jedisos/jedisos/llm"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/jedisos/jedisos/telemetry"

// Options configure New.
type Options struct {
	// TracerProvider makes the spans; nil records none.
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics; nil records none.
	MeterProvider metric.MeterProvider
	// CaptureContent records message contents, tool arguments and
	// results and recall queries as span attributes (gen_ai.input.messages,
	// gen_ai.output.messages, gen_ai.tool.call.arguments,
	// gen_ai.tool.call.result, gen_ai.retrieval.query.text). Off by
	// default: they may hold personal data.
	CaptureContent bool
	// Secrets are more values to scrub from everything recorded, besides
	// the provider key environment variables.
	Secrets []string
}

// Telemetry holds the tracer, the instruments and the options; its methods
// return the hooks of each package. It is safe for concurrent use.
type Telemetry struct {
	tracer  trace.Tracer
	capture bool
	secrets []string

	tokens    metric.Int64Histogram
	duration  metric.Float64Histogram
	cooldowns metric.Int64Counter
	fallbacks metric.Int64Counter
	cacheHits metric.Int64Counter
	llm       *llmHooks
	tools     *toolTracer
	memory    *memoryTracer
}

// The GenAI conventions' advisory bucket boundaries.
var (
	tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864}
	durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
)

// New builds the hooks from o's providers. Missing providers record
// nothing; New never fails (an instrument the MeterProvider refuses is
// replaced by a no-op one).
func New(o Options) *Telemetry {
	tp := o.TracerProvider
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	mp := o.MeterProvider
	if mp == nil {
		mp = metricnoop.NewMeterProvider()
	}
	t := &Telemetry{tracer: tp.Tracer(ScopeName), capture: o.CaptureContent}
	for _, spec := range llm.Providers() {
		for _, env := range spec.KeyEnv {
			if v := os.Getenv(env); len(v) >= 4 {
				t.secrets = append(t.secrets, v)
			}
		}
	}
	for _, s := range o.Secrets {
		if len(s) >= 4 {
			t.secrets = append(t.secrets, s)
		}
	}
	m := mp.Meter(ScopeName)
	nm := metricnoop.NewMeterProvider().Meter(ScopeName)
	var err error
	if t.tokens, err = m.Int64Histogram("gen_ai.client.token.usage", metric.WithUnit("{token}"),
		metric.WithDescription("Number of input and output tokens used."),
		metric.WithExplicitBucketBoundaries(tokenBuckets...)); err != nil {
		t.tokens, _ = nm.Int64Histogram("gen_ai.client.token.usage")
	}
	if t.duration, err = m.Float64Histogram("gen_ai.client.operation.duration", metric.WithUnit("s"),
		metric.WithDescription("GenAI operation duration."),
		metric.WithExplicitBucketBoundaries(durationBuckets...)); err != nil {
		t.duration, _ = nm.Float64Histogram("gen_ai.client.operation.duration")
	}
	if t.cooldowns, err = m.Int64Counter("jedisos.router.cooldowns", metric.WithUnit("{cooldown}"),
		metric.WithDescription("Router deployments cooled down after a failure.")); err != nil {
		t.cooldowns, _ = nm.Int64Counter("jedisos.router.cooldowns")
	}
	if t.fallbacks, err = m.Int64Counter("jedisos.router.fallbacks", metric.WithUnit("{fallback}"),
		metric.WithDescription("Router calls moved to a fallback group.")); err != nil {
		t.fallbacks, _ = nm.Int64Counter("jedisos.router.fallbacks")
	}
	if t.cacheHits, err = m.Int64Counter("jedisos.router.cache.hits", metric.WithUnit("{hit}"),
		metric.WithDescription("Router calls answered from the response cache.")); err != nil {
		t.cacheHits, _ = nm.Int64Counter("jedisos.router.cache.hits")
	}
	t.llm = &llmHooks{t: t}
	t.tools = &toolTracer{t: t}
	t.memory = &memoryTracer{t: t}
	return t
}

// scrub removes secrets from text bound for an attribute or status.
func (t *Telemetry) scrub(s string) string { return llm.RedactSecrets(s, t.secrets...) }

// fail marks span as failed with err's (scrubbed) text and error.type.
func (t *Telemetry) fail(span trace.Span, errType string, err error) {
	span.SetAttributes(semconv.ErrorTypeKey.String(errType))
	span.SetStatus(codes.Error, t.scrub(err.Error()))
}

// Attribute keys of jedisos's own (outside the GenAI conventions).
const (
	KeyGraphStep      = attribute.Key("jedisos.graph.step")
	KeyGraphNodes     = attribute.Key("jedisos.graph.step.nodes")
	KeyGraphNode      = attribute.Key("jedisos.graph.node")
	KeyGraphTask      = attribute.Key("jedisos.graph.task")
	KeyGraphAttempt   = attribute.Key("jedisos.graph.attempt")
	KeyGraphThread    = attribute.Key("jedisos.graph.thread")
	KeyGraphParent    = attribute.Key("jedisos.graph.parent")
	KeyInterrupted    = attribute.Key("jedisos.graph.interrupted")
	KeyRouterGroup    = attribute.Key("jedisos.router.group")
	KeyRouterDeploy   = attribute.Key("jedisos.router.deployment")
	KeyRouterAttempt  = attribute.Key("jedisos.router.attempt")
	KeyRouterFallback = attribute.Key("jedisos.router.fallback_depth")
	KeyRouterWait     = attribute.Key("jedisos.router.wait")
	KeyCost           = attribute.Key("jedisos.usage.cost")
	KeyCacheRead      = attribute.Key("jedisos.usage.cache_read_tokens")
	KeyReasoning      = attribute.Key("jedisos.usage.reasoning_tokens")
	KeyToolTruncated  = attribute.Key("jedisos.tool.truncated")
	KeyMemoryBudget   = attribute.Key("jedisos.memory.budget")
	KeyMemoryCands    = attribute.Key("jedisos.memory.candidates")
	KeyMemoryHits     = attribute.Key("jedisos.memory.hits")
	KeyMemoryTokens   = attribute.Key("jedisos.memory.tokens")
	// KeyMemoryArmPrefix + arm name + ".candidates", e.g.
	// jedisos.memory.arm.semantic.candidates.
	KeyMemoryArmPrefix = "jedisos.memory.arm."
	// KeyGenAISystem is the older name of gen_ai.provider.name, set too
	// for backends that still read it.
	KeyGenAISystem = attribute.Key("gen_ai.system")
)
