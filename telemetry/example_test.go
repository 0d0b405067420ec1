package telemetry_test

import (
	"context"
	"fmt"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/telemetry"
)

// Tracing a graph: one span per run, per step and per node call.
func Example() {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	tel := telemetry.New(telemetry.Options{TracerProvider: tp})

	type S struct{ N int }
	g := graph.New[S]()
	g.AddNode("double", func(_ context.Context, s S) (S, error) { s.N *= 2; return s, nil })
	g.AddEdge(graph.START, "double").AddEdge("double", graph.END)
	c, err := g.Compile(graph.WithTracer(tel.Graph("doubler")))
	if err != nil {
		panic(err)
	}
	out, _ := c.Invoke(context.Background(), S{N: 21})
	fmt.Println(out.N)
	for _, s := range exp.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output:
	// 42
	// graph.node double
	// graph.step
	// invoke_workflow doubler
}
