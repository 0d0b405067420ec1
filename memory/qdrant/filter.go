package qdrant

import (
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/qdrant/go-client/qdrant"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// bankFilter is the filter every memory request carries: the bank (the
// tenant key) and the caller's Filter.
func bankFilter(bank string, f *memory.Filter) *qdrant.Filter {
	out := &qdrant.Filter{Must: []*qdrant.Condition{qdrant.NewMatchKeyword(keyBank, bank)}}
	if len(f.Kinds) > 0 {
		ks := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ks[i] = string(k)
		}
		out.Must = append(out.Must, qdrant.NewMatchKeywords(keyKind, ks...))
	}
	if len(f.TagsAny) > 0 {
		out.Must = append(out.Must, qdrant.NewMatchKeywords(keyTags, f.TagsAny...))
	}
	for _, t := range f.TagsAll {
		out.Must = append(out.Must, qdrant.NewMatchKeyword(keyTags, t))
	}
	if f.DocumentID != "" {
		out.Must = append(out.Must, qdrant.NewMatchKeyword(keyDocument, f.DocumentID))
	}
	if f.Window != nil {
		addWindow(out, f.Window)
	}
	return out
}

// addWindow keeps memories whose time ([Memory.When], stored as when_start
// and when_end) overlaps w; memories without a time have neither key and
// never pass.
func addWindow(f *qdrant.Filter, w *memory.TimeRange) {
	if !w.End.IsZero() {
		f.Must = append(f.Must, qdrant.NewDatetimeRange(keyWhenStart, &qdrant.DatetimeRange{Lte: ts(w.End)}))
	}
	if !w.Start.IsZero() {
		f.Must = append(f.Must, qdrant.NewDatetimeRange(keyWhenEnd, &qdrant.DatetimeRange{Gte: ts(w.Start)}))
	}
	if w.Start.IsZero() && w.End.IsZero() {
		f.MustNot = append(f.MustNot, qdrant.NewIsEmpty(keyWhenStart))
	}
}

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

// with returns a copy of f with extra conditions (f is shared by arms).
func with(f *qdrant.Filter, extra func(*qdrant.Filter)) *qdrant.Filter {
	out := &qdrant.Filter{
		Must:    append([]*qdrant.Condition(nil), f.Must...),
		MustNot: append([]*qdrant.Condition(nil), f.MustNot...),
	}
	extra(out)
	return out
}
