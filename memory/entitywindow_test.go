package memory_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

// The entity arm visits only the newest EntityWindow(limit) memories of a
// common entity: with 5,000 memories naming "Acme" it returns the newest
// ones (the last stored), a memory sharing "Acme" with them but also
// naming a rare entity is still found by the rare one however old it is,
// and a memory stored later takes its place among the newest.
func TestEntityArmWindowsCommonEntities(t *testing.T) {
	ctx := context.Background()
	s := memory.NewEmbeddedStore()
	defer s.Close()
	const n, limit = 5000, 100
	window := memory.EntityWindow(limit)
	if window >= n {
		t.Fatalf("EntityWindow(%d) = %d: the test needs a common entity longer than the window", limit, window)
	}
	emb := memory.OfflineEmbedder{}
	mk := func(i int, ents ...string) memory.Memory {
		text := fmt.Sprintf("Acme shipped order %d.", i)
		v, err := emb.EmbedQuery(ctx, text)
		if err != nil {
			t.Fatal(err)
		}
		return memory.Memory{ID: fmt.Sprintf("m%05d", i), Bank: "b", Kind: memory.KindWorld, Text: text, Vector: v, Entities: ents}
	}
	// memory 0, the oldest, also names the rare "Zed"
	ms := []memory.Memory{mk(0, "Acme", "Zed")}
	for i := 1; i < n; i++ {
		ms = append(ms, mk(i, "Acme"))
	}
	for lo := 0; lo < n; lo += 1000 {
		if err := s.Upsert(ctx, ms[lo:lo+1000]); err != nil {
			t.Fatal(err)
		}
	}
	search := func(ents ...string) []string {
		t.Helper()
		res, err := s.Search(ctx, memory.SearchRequest{Bank: "b", Limit: limit, Entities: ents})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, c := range res.Candidates {
			if c.Ranks[memory.ArmEntity] > 0 {
				ids = append(ids, c.Memory.ID)
			}
		}
		slices.Sort(ids)
		return ids
	}
	newest := func(last int) []string { // ids of the limit lowest-id memories among the window ending at last
		var ids []string
		for i := last - window + 1; i <= last && len(ids) < limit; i++ {
			ids = append(ids, fmt.Sprintf("m%05d", i))
		}
		return ids
	}
	// equal scores: ties go to the smaller id, so the arm returns the
	// first limit ids of the window of newest memories
	if got, want := search("Acme"), newest(n-1); !slices.Equal(got, want) {
		t.Fatalf("Acme: got %d ids %v..., want the newest %v...", len(got), got[:min(3, len(got))], want[:3])
	}
	if got := search("Zed"); !slices.Equal(got, []string{"m00000"}) {
		t.Fatalf("Zed: got %v, want the oldest memory", got)
	}
	// with both, the rare entity puts its memory among the hits
	if got := search("Zed", "Acme"); !slices.Contains(got, "m00000") || len(got) != limit {
		t.Fatalf("Zed+Acme: got %d hits, m00000 found: %v", len(got), slices.Contains(got, "m00000"))
	}
	// a newer memory enters the window, the oldest in it leaves
	if err := s.Upsert(ctx, []memory.Memory{mk(n, "Acme")}); err != nil {
		t.Fatal(err)
	}
	if got, want := search("Acme"), newest(n); !slices.Equal(got, want) {
		t.Fatalf("after one more: got %v..., want %v...", got[:min(3, len(got))], want[:3])
	}
	// deleting an old memory keeps the others in order: the newest stay
	// the newest
	if err := s.Delete(ctx, "b", []string{"m00010"}); err != nil {
		t.Fatal(err)
	}
	if got, want := search("Acme"), newest(n); !slices.Equal(got, want) {
		t.Fatalf("after delete: got %v..., want %v...", got[:min(3, len(got))], want[:3])
	}
	// deleting one inside the window lets it reach one memory further back
	del := fmt.Sprintf("m%05d", n-window+1)
	if err := s.Delete(ctx, "b", []string{del}); err != nil {
		t.Fatal(err)
	}
	want := slices.DeleteFunc(newest(n), func(id string) bool { return id == del })
	want = append([]string{fmt.Sprintf("m%05d", n-window)}, want...)
	if got := search("Acme"); !slices.Equal(got, want[:limit]) {
		t.Fatalf("after delete in window: got %v..., want %v...", got[:min(3, len(got))], want[:3])
	}
}
