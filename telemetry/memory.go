package telemetry

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/jedisos/jedisos/memory"
)

// Memory returns the memory.Tracer for memory.Config.Tracer: one
// "retrieval {bank}" span per recall (gen_ai.operation.name retrieval,
// gen_ai.data_source.id the bank) with the candidates each arm found
// (jedisos.memory.arm.{semantic,keyword,entity,temporal}.candidates), the
// fused candidates, the hits kept and their tokens.
func (t *Telemetry) Memory() memory.Tracer { return t.memory }

type memoryTracer struct{ t *Telemetry }

type recallSpan struct {
	t  *Telemetry
	sp trace.Span
}

func (mt *memoryTracer) StartRecall(ctx context.Context, info memory.RecallInfo) (context.Context, memory.Span) {
	attrs := []attribute.KeyValue{semconv.GenAIOperationNameRetrieval, semconv.GenAIDataSourceIDKey.String(info.Bank),
		KeyMemoryBudget.String(info.Options.Budget.String())}
	if mt.t.capture {
		attrs = append(attrs, semconv.GenAIRetrievalQueryTextKey.String(mt.t.scrub(info.Query)))
	}
	ctx, sp := mt.t.tracer.Start(ctx, "retrieval "+info.Bank, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
	return ctx, recallSpan{mt.t, sp}
}

func (s recallSpan) End(res memory.RecallResult, err error) {
	if err != nil {
		s.t.fail(s.sp, errorType(err), err)
		s.sp.End()
		return
	}
	attrs := make([]attribute.KeyValue, 0, 3+memory.NumArms)
	attrs = append(attrs, KeyMemoryCands.Int(res.Candidates), KeyMemoryHits.Int(len(res.Hits)), KeyMemoryTokens.Int(res.Tokens))
	for a := memory.Arm(0); a < memory.NumArms; a++ {
		attrs = append(attrs, attribute.Int(KeyMemoryArmPrefix+a.String()+".candidates", res.ArmCandidates[a]))
	}
	s.sp.SetAttributes(attrs...)
	s.sp.SetStatus(codes.Ok, "")
	s.sp.End()
}
