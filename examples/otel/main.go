// Command otel traces one turn of the ReAct agent with OpenTelemetry: graph
// steps and node tasks, each Router attempt as a GenAI "chat" span (the
// primary deployment is rate limited, so the call falls back), the tool
// call and the memory recall, plus the GenAI token and duration metrics and
// the Router's cooldown and fallback counters.
//
// Offline by default: the two "providers" are local servers speaking
// OpenAI's wire format with scripted replies (not language models), the
// spans are kept in memory and printed as a tree, the metrics read once
// and printed.
//
//	go run ./examples/otel
//
// To send the spans to a collector as well, set the standard OTLP
// variables; OTEL_EXPORTER_OTLP_PROTOCOL picks grpc or http/protobuf (the
// default):
//
//	OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 go run ./examples/otel
//	OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 go run ./examples/otel
//
// Set JEDISOS_CAPTURE_CONTENT=1 to record prompts, completions, tool
// arguments and results too (off by default: they may hold personal data).
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/nodes"
	"github.com/jedisos/jedisos/telemetry"
	"github.com/jedisos/jedisos/tools"
)

func main() {
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

// WeatherArgs are get_weather's parameters.
type WeatherArgs struct {
	City string `json:"city" jsonschema:"description=the city, e.g. Seoul"`
}

// Weather is get_weather's result.
type Weather struct {
	City    string `json:"city"`
	Celsius int    `json:"celsius"`
}

func run(ctx context.Context) error {
	// Traces: kept in memory for the printout, and sent over OTLP when
	// an endpoint is configured.
	mem := tracetest.NewInMemoryExporter()
	topts := []sdktrace.TracerProviderOption{sdktrace.WithSyncer(mem),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName("jedisos-otel-example")))}
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" {
		exp, how, err := otlpExporter(ctx)
		if err != nil {
			return err
		}
		fmt.Println("exporting spans over OTLP", how)
		topts = append(topts, sdktrace.WithBatcher(exp))
	} else {
		fmt.Println("OTEL_EXPORTER_OTLP_ENDPOINT not set: spans stay in memory")
	}
	tp := sdktrace.NewTracerProvider(topts...)
	defer func() {
		// flushes the OTLP batch, if any
		if err := tp.Shutdown(ctx); err != nil {
			log.Print("exporting spans: ", err)
		}
	}()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	tel := telemetry.New(telemetry.Options{TracerProvider: tp, MeterProvider: mp,
		CaptureContent: os.Getenv("JEDISOS_CAPTURE_CONTENT") == "1"})

	// Two OpenAI-compatible deployments: the primary is rate limited,
	// the backup asks for the tool, then answers.
	primary, backup := llmtest.Start(llmtest.OpenAI), llmtest.Start(llmtest.OpenAI)
	defer primary.Close()
	defer backup.Close()
	primary.SetDefault(llmtest.Reply{Status: 429, ErrorType: "rate_limit_error", ErrorMessage: "Rate limit reached",
		Header: map[string]string{"Retry-After": "30"}})
	backup.Enqueue(
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city":"Seoul"}`}},
			Usage: llmtest.Usage{Prompt: 120, Completion: 18}},
		llmtest.Reply{Text: "It is 15°C in Seoul.", Usage: llmtest.Usage{Prompt: 160, Completion: 9}},
	)
	zero := 0
	rt, err := router.New(router.Config{
		Deployments: []router.Deployment{
			{Group: "primary", ID: "primary-gpt-4o", Params: llm.Params{Model: "gpt-4o", APIBase: primary.APIBase(), APIKey: "sk-example-primary"}},
			{Group: "backup", ID: "backup-gpt-4o-mini", Params: llm.Params{Model: "gpt-4o-mini", APIBase: backup.APIBase(), APIKey: "sk-example-backup"}},
		},
		Fallbacks:        map[string][]string{"primary": {"backup"}},
		NumRetries:       &zero,
		Callbacks:        []llm.Callback{tel.LLM()},
		ServiceCallbacks: []router.ServiceCallback{tel.Router()},
	})
	if err != nil {
		return err
	}
	weather, err := tools.New("get_weather", "Current weather of a city",
		func(_ context.Context, a WeatherArgs) (Weather, error) {
			return Weather{City: a.City, Celsius: 15}, nil
		})
	if err != nil {
		return err
	}
	reg, err := tools.NewRegistry(tools.Config{Tracer: tel.Tools()}, weather)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "jedisos-otel-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	store, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: filepath.Join(dir, "memory.log")})
	if err != nil {
		return err
	}
	eng, err := memory.New(memory.Config{Store: store, Tracer: tel.Memory()})
	if err != nil {
		return err
	}
	defer store.Close()
	defer eng.Close()
	if _, err := eng.Retain(ctx, "mina", "Mina lives in Seoul.", memory.RetainOptions{}); err != nil {
		return err
	}
	agent, err := nodes.NewReAct(nodes.ReActConfig{
		Model: rt, ModelName: "primary", SystemPrompt: "You are a terse weather assistant.",
		Tools: reg, Memory: eng, Bank: "mina", Tracer: tel.Graph("react"),
	})
	if err != nil {
		return err
	}
	q := "What is the weather where Mina lives?"
	fmt.Println("user>", q)
	ans, _, err := nodes.Ask(ctx, agent, nodes.AgentState{}, q)
	if err != nil {
		return err
	}
	fmt.Println("agent>", ans)

	fmt.Println("\nspans:")
	printTree(mem.GetSpans())
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		return err
	}
	fmt.Println("\nmetrics:")
	printMetrics(rm)
	return nil
}

func otlpExporter(ctx context.Context) (sdktrace.SpanExporter, string, error) {
	proto := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if proto == "" {
		proto = os.Getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if proto == "grpc" {
		e, err := otlptracegrpc.New(ctx) // reads the OTEL_EXPORTER_OTLP_* variables
		return e, "(grpc)", err
	}
	e, err := otlptracehttp.New(ctx)
	return e, "(http/protobuf)", err
}

// the attributes printed after each span's name
var shown = []attribute.Key{"jedisos.router.deployment", "jedisos.router.attempt", "jedisos.router.fallback_depth",
	"error.type", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens", "gen_ai.response.finish_reasons",
	"gen_ai.tool.call.id", "jedisos.memory.arm.semantic.candidates", "jedisos.memory.arm.keyword.candidates", "jedisos.memory.hits"}

func printTree(spans tracetest.SpanStubs) {
	kids := map[string][]tracetest.SpanStub{}
	var roots []tracetest.SpanStub
	for _, s := range spans {
		if s.Parent.IsValid() {
			kids[s.Parent.SpanID().String()] = append(kids[s.Parent.SpanID().String()], s)
		} else {
			roots = append(roots, s)
		}
	}
	var walk func(s tracetest.SpanStub, depth int)
	walk = func(s tracetest.SpanStub, depth int) {
		var b strings.Builder
		b.WriteString(strings.Repeat("  ", depth) + s.Name)
		for _, kv := range s.Attributes {
			if kv.Key == "jedisos.graph.step" && s.Name == "graph.step" {
				fmt.Fprintf(&b, " %d", kv.Value.AsInt64())
			}
		}
		var extra []string
		for _, k := range shown {
			for _, kv := range s.Attributes {
				if kv.Key == k {
					name := strings.TrimPrefix(strings.TrimPrefix(string(k), "jedisos."), "gen_ai.")
					extra = append(extra, name+"="+kv.Value.Emit())
				}
			}
		}
		if s.Status.Code == codes.Error {
			extra = append(extra, "ERROR")
		}
		if len(extra) > 0 {
			b.WriteString("  (" + strings.Join(extra, " ") + ")")
		}
		fmt.Println(b.String())
		ks := kids[s.SpanContext.SpanID().String()]
		slices.SortStableFunc(ks, func(x, y tracetest.SpanStub) int { return x.StartTime.Compare(y.StartTime) })
		for _, k := range ks {
			walk(k, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
}

func printMetrics(rm metricdata.ResourceMetrics) {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			var lines []string
			printf := func(format string, a ...any) { lines = append(lines, fmt.Sprintf(format, a...)) }
			switch d := m.Data.(type) {
			case metricdata.Histogram[int64]:
				for _, dp := range d.DataPoints {
					tt, _ := dp.Attributes.Value("gen_ai.token.type")
					md, _ := dp.Attributes.Value("gen_ai.request.model")
					printf("%s{model=%s,type=%s} count=%d sum=%d\n", m.Name, md.Emit(), tt.Emit(), dp.Count, dp.Sum)
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					md, _ := dp.Attributes.Value("gen_ai.request.model")
					et, failed := dp.Attributes.Value("error.type")
					label := "ok"
					if failed {
						label = et.Emit()
					}
					printf("%s{model=%s,%s} count=%d\n", m.Name, md.Emit(), label, dp.Count)
				}
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					label := ""
					if dep, ok := dp.Attributes.Value("jedisos.router.deployment"); ok {
						label = "deployment=" + dep.Emit()
					} else if to, ok := dp.Attributes.Value("jedisos.router.fallback.to"); ok {
						from, _ := dp.Attributes.Value("jedisos.router.fallback.from")
						label = "from=" + from.Emit() + ",to=" + to.Emit()
					} else if g, ok := dp.Attributes.Value("jedisos.router.group"); ok {
						label = "group=" + g.Emit()
					}
					printf("%s{%s} %d\n", m.Name, label, dp.Value)
				}
			}
			slices.Sort(lines)
			fmt.Print(strings.Join(lines, ""))
		}
	}
}
