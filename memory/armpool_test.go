package memory_test

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// The arms' results live in pooled buffers given back once a search's
// caller has read them. Recalls running at once must each get exactly
// what the same recall gets alone: every query, budget and arm, from
// eight goroutines, against serial references.
func TestConcurrentRecallsSameAsAlone(t *testing.T) {
	ctx := context.Background()
	s, err := memory.OpenEmbedded(memory.EmbeddedOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ms := newCorpusGen(3000).next(3000)
	if err := s.Upsert(ctx, ms); err != nil {
		t.Fatal(err)
	}
	e, err := memory.New(memory.Config{Store: s, Now: func() time.Time { return benchNow }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	type job struct {
		q      string
		budget memory.Budget
		facts  bool
	}
	var jobs []job
	for _, q := range benchQueries {
		for _, b := range []memory.Budget{memory.BudgetLow, memory.BudgetMid, memory.BudgetHigh} {
			jobs = append(jobs, job{q, b, false}, job{q, b, true})
		}
	}
	want := make([]memory.RecallResult, len(jobs))
	for i, j := range jobs {
		res, err := e.Recall(ctx, "u", j.q, memory.RecallOptions{Budget: j.budget, Facts: j.facts})
		if err != nil {
			t.Fatal(err)
		}
		// The reference itself is sane: several distinct memories, each
		// found by an arm.
		seen := map[string]bool{}
		for _, h := range res.Hits {
			if seen[h.Memory.ID] || h.Memory.ID == "" || len(h.FoundBy()) == 0 {
				t.Fatalf("query %q: hit %q repeated, empty or found by no arm", j.q, h.Memory.ID)
			}
			seen[h.Memory.ID] = true
		}
		if len(res.Hits) < 3 {
			t.Fatalf("query %q (budget %v, facts %v) found %d hits", j.q, j.budget, j.facts, len(res.Hits))
		}
		want[i] = res
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for round := range 6 {
				for k := range jobs {
					i := (k + g*7 + round) % len(jobs)
					j := jobs[i]
					res, err := e.Recall(ctx, "u", j.q, memory.RecallOptions{Budget: j.budget, Facts: j.facts})
					if err != nil {
						errs <- err.Error()
						return
					}
					if !reflect.DeepEqual(res.Hits, want[i].Hits) {
						errs <- "query " + j.q + ": hits differ from the recall alone"
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}
