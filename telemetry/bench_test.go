package telemetry_test

import (
	"context"
	"strconv"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/telemetry"
)

// benchTelemetry records every span through a batching processor into an
// exporter that drops them: the cost of tracing without the cost of I/O.
func benchTelemetry(b *testing.B) *telemetry.Telemetry {
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return telemetry.New(telemetry.Options{TracerProvider: tp})
}

type benchState struct {
	Counter  int `reduce:"sum"`
	Messages []string
}

func noop(_ context.Context, s benchState) (benchState, error) { return s, nil }

// BenchmarkLinear10Traced is graph's BenchmarkLinear10 with a tracer:
// 1 run, 10 steps and 10 node spans per iteration.
func BenchmarkLinear10Traced(b *testing.B) {
	g := graph.New[benchState]()
	prev := graph.START
	for i := range 10 {
		name := "n" + strconv.Itoa(i)
		g.AddNode(name, noop)
		g.AddEdge(prev, name)
		prev = name
	}
	g.AddEdge(prev, graph.END)
	c, err := g.Compile(graph.WithTracer(benchTelemetry(b).Graph("bench")))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Invoke(ctx, benchState{Messages: []string{"hello"}}); err != nil {
			b.Fatal(err)
		}
	}
}

type benchModel struct{}

//go:noinline
func (benchModel) Complete(context.Context, *llm.Request) (*llm.Response, error) {
	return &llm.Response{Model: "bench", Message: llm.Message{Role: llm.RoleAssistant, Content: "ok"},
		FinishReason: llm.FinishStop, Usage: llm.Usage{PromptTokens: 10, CompletionTokens: 2, TotalTokens: 12}}, nil
}

// BenchmarkRouterOverheadTraced is llm/router's BenchmarkRouterOverhead
// (simple-shuffle, 3 groups x 4 deployments) with the telemetry callback:
// one chat span and three metric records per call.
func BenchmarkRouterOverheadTraced(b *testing.B) {
	for _, traced := range []bool{false, true} {
		b.Run("traced="+strconv.FormatBool(traced), func(b *testing.B) {
			var ds []router.Deployment
			for g := 1; g <= 3; g++ {
				for i := 1; i <= 4; i++ {
					ds = append(ds, router.Deployment{Group: "g" + strconv.Itoa(g), ID: "g" + strconv.Itoa(g) + "-d" + strconv.Itoa(i), Model: benchModel{},
						Params: llm.Params{Model: "bench/model", InputCostPerToken: float64(i) * 1e-6, OutputCostPerToken: 2e-6}})
				}
			}
			cfg := router.Config{Deployments: ds, Fallbacks: map[string][]string{"g1": {"g2", "g3"}}}
			if traced {
				cfg.Callbacks = []llm.Callback{benchTelemetry(b).LLM()}
			}
			r, err := router.New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			req := &llm.Request{Model: "g1", Messages: []llm.Message{llm.System("You are terse."), llm.User("Say ok.")}}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Complete(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
