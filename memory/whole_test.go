package memory_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// Issue 14, item 6: a retained content comes back whole, once, with the
// sentences that matched marked; near-duplicates are folded; Facts keeps
// the per-fact hits.
func TestRecallReturnsWholeMemories(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	content := "Dana moved to Lisbon in May. Dana works as an architect there. She loves the tiles."
	retain(t, e, "b", content, now)
	retain(t, e, "b", "My gym locker code is 4471.", now)
	retain(t, e, "b", "Gym locker code: 4471", now.Add(time.Hour))
	retain(t, e, "b", "Raj ran the Berlin marathon.", now)

	res, err := e.Recall(ctx, "b", "Dana Lisbon architect", memory.RecallOptions{MaxResults: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Text != content {
		t.Fatalf("first hit %+v, want the whole content", res.Hits)
	}
	if n := 0; true {
		for _, h := range res.Hits {
			if h.Text == content {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("content returned %d times", n)
		}
	}
	m := res.Hits[0].Matched
	if len(m) < 2 || !slices.Contains(m, "Dana moved to Lisbon in May.") || !slices.Contains(m, "Dana works as an architect there.") {
		t.Fatalf("matched %q", m)
	}

	res, err = e.Recall(ctx, "b", "gym locker code", memory.RecallOptions{MaxResults: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || len(res.Hits[0].Duplicates) != 1 {
		t.Fatalf("hits %+v: the near-duplicate should be folded into the first", res.Hits)
	}
	for _, h := range res.Hits[1:] {
		if h.Text == "Gym locker code: 4471" || h.Text == "My gym locker code is 4471." {
			t.Fatalf("near-duplicate returned again: %q", h.Text)
		}
	}

	res, err = e.Recall(ctx, "b", "Dana Lisbon architect", memory.RecallOptions{MaxResults: 5, Facts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) < 2 || res.Hits[0].Text != res.Hits[0].Memory.Text || res.Hits[1].Memory.SourceID != res.Hits[0].Memory.SourceID {
		t.Fatalf("facts: %+v", res.Hits)
	}
}

// Issue 14, item 7: an explicit occurrence time wins over dates in the text.
func TestRetainOccurredAt(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	at := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	r, err := e.Retain(ctx, "b", "Yesterday we hiked Bukhansan.", memory.RetainOptions{Timestamp: now, OccurredStart: at, OccurredEnd: at.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Memories[0]; !m.OccurredStart.Equal(at) || !m.OccurredEnd.Equal(at.Add(48*time.Hour)) || !m.MentionedAt.Equal(now) {
		t.Fatalf("memory times %v %v %v", m.OccurredStart, m.OccurredEnd, m.MentionedAt)
	}
	r, err = e.Retain(ctx, "b", "We swam.", memory.RetainOptions{Timestamp: now, OccurredStart: at})
	if err != nil || !r.Memories[0].OccurredEnd.Equal(at) {
		t.Fatalf("instant: %v %+v", err, r)
	}
	_, err = e.Retain(ctx, "b", "Bad range.", memory.RetainOptions{OccurredStart: at, OccurredEnd: at.Add(-time.Hour)})
	if !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("end before start: %v", err)
	}
	res, err := e.Recall(ctx, "b", "hiking", memory.RecallOptions{Window: &memory.TimeRange{Start: at, End: at.Add(24 * time.Hour)}, Arms: []memory.Arm{memory.ArmTemporal}})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("temporal recall over the given time: %v %+v", err, res)
	}
}

// Issue 14, item 8: caller-given entities are annotations on every fact;
// detection can be turned off.
func TestRetainEntitiesAreAnnotations(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	r, err := e.Retain(ctx, "b", "My sister called. She is moving to Porto.", memory.RetainOptions{Entities: []string{"Dana"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range r.Memories {
		if !slices.Contains(m.Entities, "Dana") {
			t.Fatalf("%q lacks the annotation: %q", m.Text, m.Entities)
		}
	}
	off := newEngine(t, memory.Config{NoEntityDetection: true})
	r, err = off.Retain(ctx, "b", "Mina met Jun in Seoul.", memory.RetainOptions{Entities: []string{"Bori"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Memories[0].Entities; !slices.Equal(got, []string{"Bori"}) {
		t.Fatalf("detection off: entities %q, want only the given one", got)
	}
	res, err := off.Recall(ctx, "b", "Mina", memory.RecallOptions{Arms: []memory.Arm{memory.ArmEntity}, MaxResults: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entities) != 0 {
		t.Fatalf("detection off: query entities %q", res.Entities)
	}
}

// Issue 14, item 11: defaults that do what they say.
func TestRecallDefaults(t *testing.T) {
	if !(memory.BudgetLow < memory.BudgetMid && memory.BudgetMid < memory.BudgetHigh) || memory.BudgetDefault != 0 {
		t.Fatal("budgets are not ordered low < mid < high with a distinct zero value")
	}
	if memory.BudgetDefault.PerArm() != memory.BudgetMid.PerArm() || memory.BudgetDefault.String() != "mid" {
		t.Fatal("the zero budget is not mid")
	}
	if (memory.OfflineEmbedder{}).Dimension() != memory.OfflineDim || memory.OfflineDim != 256 {
		t.Fatal("offline dimension")
	}
	v, _ := memory.OfflineEmbedder{}.EmbedQuery(context.Background(), "x")
	if len(v) != memory.OfflineDim {
		t.Fatalf("offline vector has %d dims", len(v))
	}
	// MaxResults alone is not cut by the default 4096-token trim
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	long := ""
	for i := 0; i < 1500; i++ {
		long += "tiger "
	}
	for i := 0; i < 3; i++ {
		retain(t, e, "b", long+"note "+string(rune('a'+i))+".", now)
	}
	res, err := e.Recall(ctx, "b", "tiger", memory.RecallOptions{MaxResults: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) != 3 || res.Tokens <= 4096 {
		t.Fatalf("%d hits, %d tokens; want 3 hits past 4096 tokens", len(res.Hits), res.Tokens)
	}
	res, _ = e.Recall(ctx, "b", "tiger", memory.RecallOptions{})
	if res.Tokens > 4096 {
		t.Fatalf("default trim: %d tokens", res.Tokens)
	}
	if _, err := e.Recall(ctx, "b", "tiger", memory.RecallOptions{Budget: memory.BudgetHigh + 1}); !errors.Is(err, memory.ErrInvalid) {
		t.Fatalf("bad budget: %v", err)
	}
}
