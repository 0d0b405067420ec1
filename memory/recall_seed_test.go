package memory_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
)

// Issue 14, item 5: a Korean query whose words name an entity the
// detector does not mark in the query still starts the entity arm, through
// the keyword hits' entities.
func TestEntityArmSeededFromKeywordHits(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{EntitySeeds: -1}) // no semantic seeds: only the keyword hits can start it
	retain(t, e, "k", "한사랑내과에서 독감 주사 맞았어요.", now)
	retain(t, e, "k", "한사랑내과는 토요일에도 진료해요.", now)
	for _, s := range []string{"수진이랑 영화 봤어.", "도서관에서 소설 빌렸어요.", "헬스장에서 운동했어.", "하린이는 채식주의자야.", "베란다에 상추 심었어.", "새 운동화 샀어요."} {
		retain(t, e, "k", s, now)
	}
	res, err := e.Recall(ctx, "k", "한사랑내과 관련해서 뭐 있었지?", memory.RecallOptions{Arms: []memory.Arm{memory.ArmEntity}})
	if err != nil {
		t.Fatal(err)
	}
	got := hitTexts(res)
	slices.Sort(got)
	if !slices.Equal(got, []string{"한사랑내과는 토요일에도 진료해요.", "한사랑내과에서 독감 주사 맞았어요."}) {
		t.Fatalf("entity arm found %q", got)
	}
}

// Issue 14, item 8 (recall side): RecallOptions.Entities start the entity
// arm whether or not the query spells them.
func TestRecallEntitiesAreUsedAsGiven(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	retain(t, e, "k", "Dana is allergic to peanuts.", now)
	retain(t, e, "k", "Raj ran the Berlin marathon.", now)
	res, err := e.Recall(ctx, "k", "what about my sister?", memory.RecallOptions{Entities: []string{"Dana"}, Arms: []memory.Arm{memory.ArmEntity}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hitTexts(res), []string{"Dana is allergic to peanuts."}) || !slices.Equal(res.Entities, []string{"Dana"}) {
		t.Fatalf("hits %q, entities %q", hitTexts(res), res.Entities)
	}
}

// Issue 14, item 10: memories that merely fall inside the query's window
// are not lifted over memories the query's words found.
func TestInWindowBoostNeedsOtherEvidence(t *testing.T) {
	ctx := context.Background()
	e := newEngine(t, memory.Config{})
	day := 24 * time.Hour
	retain(t, e, "k", "Dana talked about her marathon training plan.", now.Add(-40*day))
	for _, s := range []string{"Went bouldering at the gym.", "Bought new running shoes.", "Fixed the billing bug.", "Planted tomatoes."} {
		retain(t, e, "k", s, now.Add(-8*day))
	}
	res, err := e.Recall(ctx, "k", "What did Dana say about the marathon last week?", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Memory.Text != "Dana talked about her marathon training plan." {
		t.Fatalf("hits %q: the marathon memory should lead", hitTexts(res))
	}
	// a query that is only its time still ranks the window first
	res, err = e.Recall(ctx, "k", "What did I do last week?", memory.RecallOptions{MaxResults: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if h.Memory.Text == "Dana talked about her marathon training plan." {
			t.Fatalf("an out-of-window memory in %q", hitTexts(res))
		}
	}
}
