package memory_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// Deleting memories removes them from every arm, from Get and from Count;
// the rest of the bank is unchanged.
func TestKoEnDeletion(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	ctx := context.Background()
	st := s.e.Store()
	n0, err := st.Count(ctx, koEnBank, memory.Filter{})
	if err != nil || n0 != len(koEnItems) {
		t.Fatalf("Count = %d, %v; want %d", n0, err, len(koEnItems))
	}
	if err := st.Delete(ctx, koEnBank, s.ids["k17"]); err != nil {
		t.Fatal(err)
	}
	r := s.recall(t, "What is my phone number?", memory.RecallOptions{MaxResults: 5})
	if got := s.keys(r.Hits); !slices.Equal(got, []string{"k16"}) {
		t.Errorf("after deleting k17: %v, want [k16]\n%s", got, s.describe(r.Hits))
	}
	// the entity arm forgets deleted memories too
	var gone []string
	for _, k := range []string{"k02", "k03", "k18", "k19", "k36"} {
		gone = append(gone, s.ids[k]...)
	}
	if err := st.Delete(ctx, koEnBank, append(gone, "00000000-0000-0000-0000-000000000000")); err != nil {
		t.Fatalf("Delete with an unknown id: %v", err)
	}
	for _, q := range []string{"민수에 대해 알려줘", "민수"} {
		r = s.recall(t, q, memory.RecallOptions{MaxResults: 10, Arms: []memory.Arm{memory.ArmEntity, memory.ArmKeyword, memory.ArmSemantic}})
		got := s.keys(r.Hits)
		if len(got) == 0 || got[0] != "k01" {
			t.Errorf("%q after deletes: %v, want k01 first", q, got)
		}
		for _, k := range got {
			if slices.Contains([]string{"k02", "k03", "k17", "k18", "k19", "k36"}, k) {
				t.Errorf("%q: deleted %s came back", q, k)
			}
		}
	}
	ms, err := st.Get(ctx, koEnBank, append(s.ids["k01"], s.ids["k02"]...))
	if err != nil || len(ms) != 1 || ms[0].ID != s.ids["k01"][0] {
		t.Errorf("Get after delete: %d memories, %v", len(ms), err)
	}
	if n, _ := st.Count(ctx, koEnBank, memory.Filter{}); n != n0-6 {
		t.Errorf("Count after deleting 6 = %d, want %d", n, n0-6)
	}
}

// Banks are isolated: the same words in another bank never come back,
// the same text has one id per bank, and deleting a bank leaves the
// others whole.
func TestKoEnBankIsolation(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	ctx := context.Background()
	e := s.e
	other := map[string]string{}
	for _, c := range []string{"민수는 대구에 산다.", "My phone number is 010-5555-0000.", "민수는 판교에 산다.", "The Wi-Fi password at home is tulip77."} {
		res, err := e.Retain(ctx, "neighbour", c, memory.RetainOptions{Timestamp: koEnNow})
		if err != nil {
			t.Fatal(err)
		}
		other[res.Memories[0].ID] = c
	}
	if id := memory.MemoryID("neighbour", "민수는 판교에 산다."); id == s.ids["k18"][0] || other[id] == "" {
		t.Errorf("same text in two banks: ids %s and %s", id, s.ids["k18"][0])
	}
	for _, q := range []string{"민수 산다", "What is my phone number?", "Wi-Fi password", "대구"} {
		r := s.recall(t, q, memory.RecallOptions{MaxResults: 20})
		for _, h := range r.Hits {
			if h.Memory.Bank != koEnBank || other[h.Memory.ID] != "" {
				t.Errorf("%q in %s returned %s's %q", q, koEnBank, h.Memory.Bank, h.Text)
			}
		}
		r2, err := e.Recall(ctx, "neighbour", q, memory.RecallOptions{MaxResults: 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r2.Hits {
			if other[h.Memory.ID] == "" {
				t.Errorf("%q in neighbour returned %s's %q", q, h.Memory.Bank, h.Text)
			}
		}
	}
	r, _ := e.Recall(ctx, "neighbour", "Wi-Fi password", memory.RecallOptions{MaxResults: 1})
	if len(r.Hits) != 1 || !strings.Contains(r.Hits[0].Text, "tulip77") {
		t.Errorf("neighbour Wi-Fi: %+v", r.Hits)
	}
	if err := e.Store().DeleteBank(ctx, "neighbour"); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.Store().Count(ctx, "neighbour", memory.Filter{}); n != 0 {
		t.Errorf("neighbour after DeleteBank: %d memories", n)
	}
	if n, _ := e.Store().Count(ctx, koEnBank, memory.Filter{}); n != len(koEnItems) {
		t.Errorf("%s after deleting neighbour: %d memories, want %d", koEnBank, n, len(koEnItems))
	}
	r = s.recall(t, "민수 산다", memory.RecallOptions{MaxResults: 10})
	if !slices.Contains(s.keys(r.Hits), "k18") {
		t.Errorf("k18 gone after deleting another bank")
	}
	// a recall of a bank that was never written is empty, not an error
	r, err := e.Recall(ctx, "nobody", "민수", memory.RecallOptions{})
	if err != nil || len(r.Hits) != 0 {
		t.Errorf("unknown bank: %d hits, %v", len(r.Hits), err)
	}
}

// A content repeating a kept hit's words (other order, punctuation,
// particles) is folded into it as a duplicate rather than returned twice.
func TestKoEnNearDuplicatesFold(t *testing.T) {
	s := retainKoEnSet(t, newKoEnEngine(t, memory.Config{}))
	res, err := s.e.Retain(context.Background(), koEnBank, "판교에 민수가 산다!", memory.RetainOptions{Timestamp: koEnDay(2025, 6, 2)})
	if err != nil {
		t.Fatal(err)
	}
	dup := res.Memories[0].ID
	if dup == s.ids["k18"][0] {
		t.Fatalf("reworded fact has the same id")
	}
	r := s.recall(t, "민수 판교", memory.RecallOptions{MaxResults: 10})
	n := 0
	for _, h := range r.Hits {
		if h.Memory.ID == dup || h.Memory.ID == s.ids["k18"][0] {
			n++
			if !slices.Contains(h.Duplicates, dup) && !slices.Contains(h.Duplicates, s.ids["k18"][0]) {
				t.Errorf("hit %q has duplicates %v, want the other wording", h.Text, h.Duplicates)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d hits for the two wordings, want 1\n%s", n, s.describe(r.Hits))
	}
	// with Facts each stays its own hit
	r = s.recall(t, "민수 판교", memory.RecallOptions{MaxResults: 10, Facts: true})
	n = 0
	for _, h := range r.Hits {
		if h.Memory.ID == dup || h.Memory.ID == s.ids["k18"][0] {
			n++
		}
	}
	if n != 2 {
		t.Errorf("Facts: %d hits for the two wordings, want 2", n)
	}
}

// A content of several sentences is one hit whose Text is the whole
// content and whose Matched lists the facts found, best first.
func TestKoEnWholeContentHits(t *testing.T) {
	e := newKoEnEngine(t, memory.Config{})
	ctx := context.Background()
	content := "오늘 아침에 민수랑 판교에서 커피를 마셨다. 오후에는 서연이랑 성수동에서 쇼핑했다. Later I finished the quarterly report for Kakao."
	res, err := e.Retain(ctx, "day", content, memory.RetainOptions{Timestamp: koEnNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Memories) != 3 {
		t.Fatalf("%d facts, want 3: %+v", len(res.Memories), res.IDs())
	}
	for _, m := range res.Memories {
		if m.Text == "오늘 아침에 민수랑 판교에서 커피를 마셨다." {
			if got := m.OccurredStart.Format("2006-01-02"); got != "2026-04-15" {
				t.Errorf("오늘: occurred %s, want 2026-04-15", got)
			}
		}
	}
	r, err := e.Recall(ctx, "day", "서연이랑 쇼핑", memory.RecallOptions{MaxResults: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) != 1 || r.Hits[0].Text != content || len(r.Hits[0].Matched) == 0 || r.Hits[0].Matched[0] != "오후에는 서연이랑 성수동에서 쇼핑했다." {
		t.Errorf("whole-content hit: %+v", r.Hits)
	}
	r, err = e.Recall(ctx, "day", "quarterly report", memory.RecallOptions{MaxResults: 3, Facts: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Hits) == 0 || r.Hits[0].Text != "Later I finished the quarterly report for Kakao." {
		t.Errorf("Facts hit: %+v", r.Hits)
	}
}
