package memory_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/llm/scripted"
	"github.com/jedisos/jedisos/memory"
)

// Query expansion: a paraphrase the offline embedder cannot match is
// found through the model's rewrites; the model is called once per recall.
func TestQueryExpansion(t *testing.T) {
	ctx := context.Background()
	model := scripted.New([]scripted.Reply{
		{Text: `{"paraphrases":["What food can't I stand?"],"keywords":["cilantro","coriander","food"]}`},
	})
	plain := newEngine(t, memory.Config{})
	e := newEngine(t, memory.Config{Model: model, ExpandQueries: true})
	for _, x := range []*memory.Engine{plain, e} {
		retain(t, x, "b", "I can't stand cilantro.", now)
		retain(t, x, "b", "Raj ran the Berlin marathon.", now)
	}
	res, err := plain.Recall(ctx, "b", "Which foods do I dislike?", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Contains(hitTexts(res), "I can't stand cilantro.") {
		t.Fatal("found without expansion; the test needs a paraphrase the offline arms miss")
	}
	res, err = e.Recall(ctx, "b", "Which foods do I dislike?", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Memory.Text != "I can't stand cilantro." {
		t.Fatalf("with expansion: %q", hitTexts(res))
	}
	calls := model.Calls()
	if len(calls) != 1 || !strings.Contains(calls[0].Messages[0].Content, "paraphrases") || calls[0].Messages[1].Content != "Which foods do I dislike?" {
		t.Fatalf("model calls %+v", calls)
	}
	// NoExpansion skips the model (the script is used up: a call would fail)
	if _, err := e.Recall(ctx, "b", "marathon", memory.RecallOptions{NoExpansion: true}); err != nil {
		t.Fatal(err)
	}
	// a reply that is not the JSON asked for is an error naming the step
	bad := newEngine(t, memory.Config{Model: scripted.New([]scripted.Reply{{Text: "sure, here you go"}}), ExpandQueries: true})
	retain(t, bad, "b", "x y z", now)
	if _, err := bad.Recall(ctx, "b", "marathon", memory.RecallOptions{}); err == nil || !strings.Contains(err.Error(), "expand query") {
		t.Fatalf("bad reply: %v", err)
	}
	if _, err := memory.New(memory.Config{ExpandQueries: true}); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("expansion without a model: %v", err)
	}
}

// Fact normalisation: the model's rewrite is stored, with its entities and
// date; the content stays as the source.
func TestNormalizeFacts(t *testing.T) {
	ctx := context.Background()
	model := scripted.New([]scripted.Reply{
		{Text: `{"facts":[{"index":0,"text":"Dana moved to Porto on 2025-04-15.","entities":["Dana","Porto"],"occurred_start":"2025-04-15"}]}`},
		{Text: `{"facts":[{"index":3,"text":"x"}]}`},
	})
	e := newEngine(t, memory.Config{Model: model, NormalizeFacts: true})
	content := "My sister called. She moved to Porto yesterday."
	r, err := e.Retain(ctx, "b", content, memory.RetainOptions{Timestamp: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Memories) != 2 {
		t.Fatalf("memories %+v", r.Memories)
	}
	m := r.Memories[0]
	day := time.Date(2025, 4, 15, 0, 0, 0, 0, time.UTC)
	if m.Text != "Dana moved to Porto on 2025-04-15." || !slices.Contains(m.Entities, "Dana") || m.Source != content ||
		!m.OccurredStart.Equal(day) || !m.OccurredEnd.Equal(day.Add(24*time.Hour-time.Nanosecond)) {
		t.Fatalf("normalised memory %+v", m)
	}
	if r.Memories[1].Text != "She moved to Porto yesterday." {
		t.Fatalf("fact left out of the reply changed: %q", r.Memories[1].Text)
	}
	if prompt := model.Calls()[0].Messages[1].Content; !strings.Contains(prompt, "0. My sister called.") || !strings.Contains(prompt, "2025-04-16T12:00:00Z") {
		t.Fatalf("prompt %q", prompt)
	}
	if _, err := e.Retain(ctx, "b", "Another note.", memory.RetainOptions{}); err == nil || !strings.Contains(err.Error(), "index 3") {
		t.Fatalf("bad index: %v", err)
	}
}
