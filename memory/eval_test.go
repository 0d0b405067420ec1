package memory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/memory"
)

type evalScores struct {
	sum [memory.NumArms + 1]float64 // per arm, then fused
	n   int
}

// runEval retains testdata/eval.json with the offline extractor and
// embedder and returns recall@10 of the evidence per question group, per
// arm and fused.
func runEval(t testing.TB) (map[string]*evalScores, []string) {
	raw, err := os.ReadFile("testdata/eval.json")
	if err != nil {
		t.Fatal(err)
	}
	var set evalSet
	if err := json.Unmarshal(raw, &set); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := memory.New(memory.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, it := range set.Items {
		if _, err := e.Retain(ctx, it.Bank, it.Content, memory.RetainOptions{Timestamp: it.At}); err != nil {
			t.Fatal(err)
		}
	}
	groups := map[string]*evalScores{}
	var misses []string
	for _, q := range set.Questions {
		want := map[string]bool{}
		for _, ev := range q.Evidence {
			want[memory.MemoryID(q.Bank, ev)] = true
		}
		var row [memory.NumArms + 1]float64
		for col := 0; col <= int(memory.NumArms); col++ {
			opts := memory.RecallOptions{QueryTime: q.At, MaxResults: 10, MaxTokens: 1 << 20}
			if col < int(memory.NumArms) {
				opts.Arms = []memory.Arm{memory.Arm(col)}
			}
			res, err := e.Recall(ctx, q.Bank, q.Query, opts)
			if err != nil {
				t.Fatal(err)
			}
			found := 0
			for _, h := range res.Hits {
				if h.Memory.Bank != q.Bank {
					t.Fatalf("bank isolation broken: %q in %q", h.Memory.Bank, q.Bank)
				}
				if want[h.Memory.ID] {
					found++
				}
			}
			den := min(len(want), 10)
			row[col] = float64(found) / float64(den)
			if col == int(memory.NumArms) && row[col] < 1 {
				misses = append(misses, fmt.Sprintf("%s/%s %q: %d/%d", q.Type, q.Lang, q.Query, found, den))
			}
		}
		for _, key := range []string{q.Type, "lang:" + q.Lang, "overall"} {
			g := groups[key]
			if g == nil {
				g = &evalScores{}
				groups[key] = g
			}
			for i := range row {
				g.sum[i] += row[i]
			}
			g.n++
		}
	}
	return groups, misses
}

func (s *evalScores) mean(col int) float64 { return s.sum[col] / float64(s.n) }

// TestRetrievalQuality is the retrieval evaluation: recall@10 of the
// evidence facts per arm and fused, on the generated set. Run with -v to
// see the table.
func TestRetrievalQuality(t *testing.T) {
	groups, misses := runEval(t)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| questions | n | semantic | keyword | entity | temporal | fused |\n|---|---|---|---|---|---|---|\n")
	for _, k := range []string{"keyword", "paraphrase", "entity", "temporal", "lang:en", "lang:ko", "overall"} {
		g := groups[k]
		fmt.Fprintf(&b, "| %s | %d |", k, g.n)
		for col := 0; col <= int(memory.NumArms); col++ {
			fmt.Fprintf(&b, " %.3f |", g.mean(col))
		}
		b.WriteByte('\n')
	}
	t.Log(b.String())
	for _, m := range misses {
		t.Log("fused miss: " + m)
	}
	all := groups["overall"]
	fused := all.mean(int(memory.NumArms))
	for a := memory.Arm(0); a < memory.NumArms; a++ {
		if fused <= all.mean(int(a)) {
			t.Errorf("fused recall@10 %.3f does not beat the %s arm (%.3f)", fused, a, all.mean(int(a)))
		}
	}
	tmp := groups["temporal"]
	if tmp.mean(int(memory.ArmTemporal)) < 0.9 {
		t.Errorf("temporal arm recall@10 on temporal questions %.3f < 0.9", tmp.mean(int(memory.ArmTemporal)))
	}
	for _, a := range []memory.Arm{memory.ArmSemantic, memory.ArmKeyword, memory.ArmEntity} {
		if tmp.mean(int(a)) >= tmp.mean(int(memory.ArmTemporal)) {
			t.Errorf("%s arm answers temporal questions as well as the temporal arm", a)
		}
	}
	if ko := groups["lang:ko"]; ko.mean(int(memory.NumArms)) < 0.8 {
		t.Errorf("Korean questions: fused recall@10 %.3f < 0.8", ko.mean(int(memory.NumArms)))
	}
	if fused < 0.85 {
		t.Errorf("overall fused recall@10 %.3f < 0.85", fused)
	}
}
