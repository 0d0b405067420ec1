package memory

import (
	"context"
	"testing"
	"time"
)

type factsExtractor []Fact

func (f factsExtractor) Extract(context.Context, ExtractRequest) ([]Fact, error) {
	return append([]Fact(nil), f...), nil
}

// Blank facts are skipped; the causal links of the facts after them must
// still point at the facts they name, by the extractor's numbering.
func TestRetainCausalLinksSkipBlankFacts(t *testing.T) {
	facts := factsExtractor{
		{Text: "  "},             // 0: skipped
		{Text: "The pipe burst"}, // 1
		{Text: ""},               // 2: skipped
		{Text: "The kitchen flooded", CausedBy: []int{1}},      // 3
		{Text: "Mina called a plumber", CausedBy: []int{2, 3}}, // 4: 2 is not stored
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e, err := New(Config{Extractor: facts, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	res, err := e.Retain(context.Background(), "b", "story", RetainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Memories) != 3 {
		t.Fatalf("got %d memories, want 3", len(res.Memories))
	}
	causal := func(m Memory) []string {
		var out []string
		for _, l := range m.Links {
			if l.Kind == LinkCausal {
				out = append(out, l.Target)
			}
		}
		return out
	}
	burst, flood, call := res.Memories[0], res.Memories[1], res.Memories[2]
	if got := causal(burst); len(got) != 0 {
		t.Errorf("%q causal links %v, want none", burst.Text, got)
	}
	if got := causal(flood); len(got) != 1 || got[0] != burst.ID {
		t.Errorf("%q causal links %v, want [%s] (%q)", flood.Text, got, burst.ID, burst.Text)
	}
	if got := causal(call); len(got) != 1 || got[0] != flood.ID {
		t.Errorf("%q causal links %v, want [%s] (%q)", call.Text, got, flood.ID, flood.Text)
	}
}
