package memory

import "context"

// Tracer observes an Engine's recalls, for tracing (package telemetry
// builds one on OpenTelemetry). Set it in Config.Tracer; an engine without
// one pays a nil check per recall, nothing else.
//
// StartRecall is called when Recall starts; the context it returns is the
// one the recall runs with (embedding, store search, reranking), and the
// Span is ended once with the result, whose ArmCandidates and Candidates
// count what each arm found. A Tracer must not panic.
type Tracer interface {
	StartRecall(ctx context.Context, info RecallInfo) (context.Context, Span)
}

// Span is one traced recall.
type Span interface {
	// End receives the recall's result and error.
	End(res RecallResult, err error)
}

// RecallInfo describes a recall to a Tracer. Query is the user's text: a
// tracer that records it must treat it as content.
type RecallInfo struct {
	Bank    string
	Query   string
	Options RecallOptions
}
