// Command memory retains a few conversations in English and Korean into
// the embedded store, then recalls with each budget and prints which
// retrieval arms found each memory.
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/jedisos/jedisos/memory"
)

func main() {
	ctx := context.Background()
	now := time.Date(2025, 4, 16, 18, 0, 0, 0, time.UTC) // a Wednesday
	e, err := memory.New(memory.Config{Now: func() time.Time { return now }})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	if err := e.PutBank(ctx, memory.Bank{ID: "mina", Name: "Mina's assistant",
		Background: "Assistant of Mina, a product designer in Seoul."}); err != nil {
		log.Fatal(err)
	}
	turns := []struct {
		at      time.Time
		content string
	}{
		{now.AddDate(0, -2, 0), "Mina adopted a cat named Bori. Mina works at Naver as a product designer."},
		{now.AddDate(0, 0, -9), "Yesterday Mina flew to Paris for a design conference. Mina met Jun at the Louvre."},
		{now.AddDate(0, 0, -1), "Mina's sister Dana got engaged to Tomas. I think Mina is thrilled about it."},
		{now.AddDate(0, 0, -3), "민수는 어제 부산으로 이사했다. 민수는 해운대 근처의 카페에서 일한다."},
		{now, "지영은 오늘 판교에서 발표를 했다. Mina's gym locker code is 4471."},
	}
	for _, t := range turns {
		r, err := e.Retain(ctx, "mina", t.content, memory.RetainOptions{Timestamp: t.at, Context: "chat"})
		if err != nil {
			log.Fatal(err)
		}
		for _, m := range r.Memories {
			when := "-"
			if s, _, ok := m.When(); ok {
				when = s.Format("2006-01-02")
			}
			fmt.Printf("retained %-11s %s  %s %v\n", m.Kind, when, m.Text, m.Entities)
		}
	}

	// Background: 1,500 short team notes over the past year, so the
	// budgets (candidates per arm) make a visible difference.
	var notes []memory.RetainItem
	topics := []string{"sprint planning", "design review", "hiring", "the billing bug", "the roadmap", "user research"}
	for i := 0; i < 1500; i++ {
		notes = append(notes, memory.RetainItem{
			Content: fmt.Sprintf("Team note %04d covered %s.", i, topics[i%len(topics)]),
			Options: memory.RetainOptions{Timestamp: now.Add(-time.Duration(i) * 6 * time.Hour), Tags: []string{"team"}},
		})
	}
	if _, err := e.RetainBatch(ctx, "mina", notes); err != nil {
		log.Fatal(err)
	}

	queries := []string{
		"What is the name of Mina's cat?",
		"What did Mina do last week?",
		"민수는 어디로 이사했어?",
		"locker code",
		"What did the design review note say?",
	}
	for _, q := range queries {
		for _, b := range []memory.Budget{memory.BudgetLow, memory.BudgetMid, memory.BudgetHigh} {
			res, err := e.Recall(ctx, "mina", q, memory.RecallOptions{Budget: b, MaxResults: 3})
			if err != nil {
				log.Fatal(err)
			}
			fmt.Printf("\nrecall %q budget=%s (%d per arm): %d candidates, %d tokens", q, b, b.PerArm(), res.Candidates, res.Tokens)
			if res.Window != nil {
				fmt.Printf(", window %s..%s", res.Window.Start.Format("01-02"), res.Window.End.Format("01-02"))
			}
			fmt.Println()
			for i, h := range res.Hits {
				fmt.Printf("  %d. %.4f %-40s %s\n", i+1, h.Score, h.Provenance(), h.Memory.Text)
			}
		}
	}
}
