package memory_test

import (
	"context"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The temporal arm runs only when the query or the options give a window.
func TestTemporalArmOnlyWithAWindow(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	day := 24 * time.Hour
	retain(t, e, "b", "Jun planted tomatoes in the garden.", now.Add(-40*day))
	retain(t, e, "b", "Jun repainted the garden fence.", now.Add(-3*day))

	res, err := e.Recall(ctx, "b", "What did Jun do in the garden?", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window != nil {
		t.Fatalf("window %v parsed from a query that names no time", res.Window)
	}
	for _, h := range res.Hits {
		if h.Ranks[memory.ArmTemporal] != 0 {
			t.Fatalf("temporal arm ran without a window: %s", h.Provenance())
		}
	}

	// A window given in the options runs the temporal arm over it.
	w := &memory.TimeRange{Start: now.Add(-5 * day), End: now}
	res, err = e.Recall(ctx, "b", "What did Jun do in the garden?", memory.RecallOptions{Window: w})
	if err != nil {
		t.Fatal(err)
	}
	if res.Window == nil || !res.Window.Start.Equal(w.Start) {
		t.Fatalf("window = %v, want the given one", res.Window)
	}
	if len(res.Hits) == 0 || res.Hits[0].Memory.Text != "Jun repainted the garden fence." || res.Hits[0].Ranks[memory.ArmTemporal] != 1 {
		t.Fatalf("hits %q; want the fence first, found by the temporal arm", hitTexts(res))
	}
	for _, h := range res.Hits {
		if h.Memory.Text == "Jun planted tomatoes in the garden." && h.Ranks[memory.ArmTemporal] != 0 {
			t.Fatal("a memory outside the window was found by the temporal arm")
		}
	}
}

func TestBudgetPerArm(t *testing.T) {
	for b, want := range map[memory.Budget]int{memory.BudgetLow: 100, memory.BudgetMid: 300, memory.BudgetHigh: 1000} {
		if got := b.PerArm(); got != want {
			t.Errorf("%s per arm = %d, want %d", b, got, want)
		}
	}
}
