package graph_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// Pay is the state of the payment tests.
type Pay struct {
	Item    string
	Receipt string
	Answer  string
	Log     []string `reduce:"append"`
}

// payGraph: pay charges (a counted side effect through Once), then asks for
// approval, then writes the receipt it got from the charge.
func payGraph(t *testing.T, cp state.Checkpointer, charges *atomic.Int32, opts ...graph.CompileOption) *graph.Compiled[Pay] {
	g := graph.New[Pay]()
	g.AddNode("pay", func(ctx context.Context, s Pay) (Pay, error) {
		receipt, err := graph.Once(ctx, "charge", func(context.Context) (string, error) {
			return fmt.Sprintf("receipt-%d", charges.Add(1)), nil
		})
		if err != nil {
			return s, err
		}
		ans, err := graph.Interrupt[string](ctx, "charged "+receipt+"; ship?")
		if err != nil {
			return s, err
		}
		s.Receipt, s.Answer = receipt, ans
		s.Log = append(s.Log, "paid "+receipt)
		return s, nil
	})
	g.AddEdge(graph.START, "pay").AddEdge("pay", graph.END)
	return mustCompile(t, g, append([]graph.CompileOption{graph.WithCheckpointer(cp)}, opts...)...)
}

func sqliteStore(t *testing.T) *sqlite.Store {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "once.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestOnceSurvivesInterrupt(t *testing.T) {
	ctx := context.Background()
	for _, store := range []string{"memory", "sqlite"} {
		for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
			t.Run(store+"/"+mode.String(), func(t *testing.T) {
				var cp state.Checkpointer = state.NewMemory()
				if store == "sqlite" {
					cp = sqliteStore(t)
				}
				var charges atomic.Int32
				c := payGraph(t, cp, &charges, graph.WithDurability(mode))
				_, err := c.Invoke(ctx, Pay{Item: "book"}, graph.Thread("p"))
				var ie *graph.InterruptedError
				if !errors.As(err, &ie) || len(ie.Interrupts) != 1 {
					t.Fatalf("first run: %v", err)
				}
				var q string
				if err := ie.Interrupts[0].Decode(&q); err != nil || q != "charged receipt-1; ship?" {
					t.Fatalf("question %q, %v", q, err)
				}
				// The result is saved with the interrupted task.
				ws, err := cp.Writes(ctx, "p", ie.CheckpointID)
				if err != nil || len(ws) != 1 || len(ws[0].Memos) != 1 || ws[0].Memos[0].Key != "pay@0.0/charge" || string(ws[0].Memos[0].Value) != `"receipt-1"` {
					t.Fatalf("saved writes %+v, %v", ws, err)
				}

				out, err := c.Invoke(ctx, Pay{}, graph.Thread("p"), graph.Resume("yes"))
				if err != nil {
					t.Fatal(err)
				}
				if charges.Load() != 1 {
					t.Fatalf("the charge ran %d times, want 1", charges.Load())
				}
				if out.Receipt != "receipt-1" || out.Answer != "yes" || !slices.Equal(out.Log, []string{"paid receipt-1"}) {
					t.Fatalf("final state %+v", out)
				}
			})
		}
	}
}

// TestOnceSavedBeforeNodeEnds checks that a result is in the store as soon as
// Once returns (sync durability), while the node still runs, and that a
// failed step re-run after the failure does not repeat the side effect.
func TestOnceSavedBeforeNodeEnds(t *testing.T) {
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		t.Run(mode.String(), func(t *testing.T) { onceSavedBeforeNodeEnds(t, mode) })
	}
}

func onceSavedBeforeNodeEnds(t *testing.T, mode graph.Durability) {
	ctx := context.Background()
	mem := state.NewMemory()
	var charges, runs atomic.Int32
	fail := errors.New("carrier down")
	var seen []state.TaskWrites
	g := graph.New[Pay]()
	g.AddNode("a", func(_ context.Context, s Pay) (Pay, error) { s.Log = append(s.Log, "a"); return s, nil })
	g.AddNode("pay", func(ctx context.Context, s Pay) (Pay, error) {
		runs.Add(1)
		r, err := graph.Once(ctx, "charge", func(context.Context) (string, error) {
			return fmt.Sprintf("r%d", charges.Add(1)), nil
		})
		if err != nil {
			return s, err
		}
		if cp, err := mem.Get(ctx, "f", ""); err == nil {
			seen, _ = mem.Writes(ctx, "f", cp.ID)
		}
		if runs.Load() == 1 {
			return s, fail
		}
		s.Receipt = r
		return s, nil
	})
	g.AddEdge(graph.START, "a").AddEdge("a", "pay").AddEdge("pay", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(mem), graph.WithDurability(mode))
	if _, err := c.Invoke(ctx, Pay{}, graph.Thread("f")); !errors.Is(err, fail) {
		t.Fatalf("first run: %v", err)
	}
	if mode == graph.DurabilitySync && (len(seen) != 1 || !seen[0].Running || seen[0].Node != "pay" || seen[0].Writes != nil || len(seen[0].Memos) != 1 || string(seen[0].Memos[0].Value) != `"r1"`) {
		t.Fatalf("progress in the store while the node ran: %+v", seen)
	}
	// The failed task's progress is not a write.
	sn, err := c.State(ctx, "f")
	if err != nil || len(sn.Writes) != 0 || len(sn.Interrupts) != 0 || !slices.Equal(sn.Next, []string{"pay"}) {
		t.Fatalf("state after failure: %+v, %v", sn, err)
	}
	out, err := c.Invoke(ctx, Pay{}, graph.Thread("f"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Receipt != "r1" || charges.Load() != 1 || runs.Load() != 2 || !slices.Equal(out.Log, []string{"a"}) {
		t.Fatalf("after re-run: %+v charges %d runs %d", out, charges.Load(), runs.Load())
	}
}

func TestOnceParallelTasksDoNotCollide(t *testing.T) {
	ctx := context.Background()
	for _, store := range []string{"memory", "sqlite"} {
		t.Run(store, func(t *testing.T) {
			var cp state.Checkpointer = state.NewMemory()
			if store == "sqlite" {
				cp = sqliteStore(t)
			}
			var charges atomic.Int32
			perItem := map[string]*atomic.Int32{"x": {}, "y": {}, "z": {}}
			g := graph.New[Pay]()
			g.AddNode("split", func(_ context.Context, s Pay) (Pay, error) { return s, nil })
			g.AddFanOut("split", func(Pay) []graph.Send[Pay] {
				return []graph.Send[Pay]{{Node: "buy", State: Pay{Item: "x"}}, {Node: "buy", State: Pay{Item: "y"}}, {Node: "gift", State: Pay{Item: "z"}}}
			}, "buy", "gift")
			buy := func(ctx context.Context, s Pay) (Pay, error) {
				// Every task uses the same key: results are kept per task.
				r, err := graph.Once(ctx, "charge", func(context.Context) (string, error) {
					perItem[s.Item].Add(1)
					charges.Add(1)
					return "receipt-" + s.Item, nil
				})
				if err != nil {
					return s, err
				}
				ans, err := graph.Interrupt[string](ctx, s.Item)
				if err != nil {
					return s, err
				}
				s.Log = append(s.Log, r+":"+ans)
				return s, nil
			}
			g.AddNode("buy", buy).AddNode("gift", buy)
			g.AddEdge("buy", graph.END).AddEdge("gift", graph.END)
			g.AddEdge(graph.START, "split")
			c := mustCompile(t, g, graph.WithCheckpointer(cp))

			_, err := c.Invoke(ctx, Pay{}, graph.Thread("par"))
			var ie *graph.InterruptedError
			if !errors.As(err, &ie) || len(ie.Interrupts) != 3 {
				t.Fatalf("first run: %v", err)
			}
			if charges.Load() != 3 {
				t.Fatalf("charges %d, want 3 (one per task)", charges.Load())
			}
			ids := map[string]string{}
			for _, it := range ie.Interrupts {
				var item string
				if err := it.Decode(&item); err != nil {
					t.Fatal(err)
				}
				ids[item] = it.ID
			}
			// Answer one task; the others pause again without charging.
			_, err = c.Invoke(ctx, Pay{}, graph.Thread("par"), graph.ResumeID(ids["y"], "ok-y"))
			if !errors.As(err, &ie) || len(ie.Interrupts) != 2 {
				t.Fatalf("second run: %v", err)
			}
			for _, it := range ie.Interrupts {
				var item string
				_ = it.Decode(&item)
				ids[item] = it.ID
			}
			out, err := c.Invoke(ctx, Pay{}, graph.Thread("par"), graph.ResumeID(ids["x"], "ok-x"), graph.ResumeID(ids["z"], "ok-z"))
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"receipt-x:ok-x", "receipt-y:ok-y", "receipt-z:ok-z"}; !slices.Equal(out.Log, want) {
				t.Fatalf("log %v, want %v", out.Log, want)
			}
			for item, n := range perItem {
				if n.Load() != 1 {
					t.Fatalf("item %s charged %d times", item, n.Load())
				}
			}
		})
	}
}

func TestOnceKeyErrors(t *testing.T) {
	ctx := context.Background()
	var fnRuns atomic.Int32
	count := func(context.Context) (int, error) { return int(fnRuns.Add(1)), nil }
	for _, tc := range []struct {
		name string
		keys []string
		want string
	}{
		{"duplicate", []string{"k", "other", "k"}, `key "k" twice`},
		{"empty", []string{""}, "empty key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fnRuns.Store(0)
			g := graph.New[Pay]()
			g.AddNode("n", func(ctx context.Context, s Pay) (Pay, error) {
				for _, k := range tc.keys {
					if _, err := graph.Once(ctx, k, count); err != nil {
						return s, err
					}
				}
				return s, nil
			})
			g.AddEdge(graph.START, "n").AddEdge("n", graph.END)
			c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
			_, err := c.Invoke(ctx, Pay{}, graph.Thread("k"))
			if !errors.Is(err, graph.ErrOnceKey) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), `node "n"`) {
				t.Fatalf("err = %v, want ErrOnceKey mentioning %q", err, tc.want)
			}
			if int(fnRuns.Load()) != len(tc.keys)-1 {
				t.Fatalf("fn ran %d times, want %d", fnRuns.Load(), len(tc.keys)-1)
			}
		})
	}
}

func TestOnceWithoutCheckpointerRunsEveryTime(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	g := graph.New[Pay]()
	g.AddNode("loop", func(ctx context.Context, s Pay) (Pay, error) {
		n, err := graph.Once(ctx, "tick", func(context.Context) (int32, error) { return runs.Add(1), nil })
		if err != nil {
			return s, err
		}
		s.Log = append(s.Log, fmt.Sprint(n))
		return s, nil
	})
	g.AddEdge(graph.START, "loop")
	g.AddConditionalEdge("loop", func(s Pay) string {
		if len(s.Log) < 3 {
			return "loop"
		}
		return graph.END
	}, "loop", graph.END)
	out, err := mustCompile(t, g).Invoke(ctx, Pay{})
	if err != nil || !slices.Equal(out.Log, []string{"1", "2", "3"}) || runs.Load() != 3 {
		t.Fatalf("out %+v err %v runs %d", out, err, runs.Load())
	}
	// Outside a node it is a plain call.
	v, err := graph.Once(ctx, "x", func(context.Context) (string, error) { return "plain", nil })
	if err != nil || v != "plain" {
		t.Fatalf("outside a node: %q %v", v, err)
	}
}

func TestOnceErrorsAndRetries(t *testing.T) {
	ctx := context.Background()
	var charges, attempts atomic.Int32
	down := graph.Retryable(errors.New("down"))
	g := graph.New[Pay]()
	g.AddNode("pay", func(ctx context.Context, s Pay) (Pay, error) {
		a := attempts.Add(1)
		// Attempt 1: the charge fails (not remembered). Attempt 2: it
		// succeeds, then the node fails. Attempt 3: the saved receipt is
		// returned and the node succeeds.
		r, err := graph.Once(ctx, "charge", func(context.Context) (string, error) {
			n := charges.Add(1)
			if n == 1 {
				return "", down
			}
			return fmt.Sprintf("r%d", n), nil
		})
		if err != nil {
			return s, err
		}
		if a == 2 {
			return s, down
		}
		s.Receipt = r
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 3, InitialInterval: time.Microsecond}))
	g.AddEdge(graph.START, "pay").AddEdge("pay", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	out, err := c.Invoke(ctx, Pay{}, graph.Thread("r"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Receipt != "r2" || charges.Load() != 2 || attempts.Load() != 3 {
		t.Fatalf("receipt %q charges %d attempts %d; want r2, 2, 3", out.Receipt, charges.Load(), attempts.Load())
	}
}

func TestOnceResultUnencodable(t *testing.T) {
	ctx := context.Background()
	g := graph.New[Pay]()
	g.AddNode("n", func(ctx context.Context, s Pay) (Pay, error) {
		_, err := graph.Once(ctx, "ch", func(context.Context) (chan int, error) { return make(chan int), nil })
		return s, err
	})
	g.AddEdge(graph.START, "n").AddEdge("n", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(state.NewMemory()))
	_, err := c.Invoke(ctx, Pay{}, graph.Thread("u"))
	if err == nil || !strings.Contains(err.Error(), `Once "ch" of node "n"`) || !strings.Contains(err.Error(), "cannot be encoded") {
		t.Fatalf("err = %v", err)
	}
}

// TestOnceInsideSubgraph: the inner nodes' results are saved with the outer
// task; a node that runs the same subgraph twice gets two separate scopes.
func TestOnceInsideSubgraph(t *testing.T) {
	ctx := context.Background()
	var drafts, draftRuns atomic.Int32
	ig := graph.New[Pay]()
	ig.AddNode("draft", func(ctx context.Context, s Pay) (Pay, error) {
		draftRuns.Add(1)
		d, err := graph.Once(ctx, "llm", func(context.Context) (string, error) {
			return fmt.Sprintf("draft-%d", drafts.Add(1)), nil
		})
		if err != nil {
			return s, err
		}
		s.Log = append(s.Log, d)
		return s, nil
	})
	ig.AddNode("ask", func(ctx context.Context, s Pay) (Pay, error) {
		ans, err := graph.Interrupt[string](ctx, s.Log[len(s.Log)-1])
		if err != nil {
			return s, err
		}
		s.Log = append(s.Log, ans)
		return s, nil
	})
	ig.AddEdge(graph.START, "draft").AddEdge("draft", "ask").AddEdge("ask", graph.END)
	inner := mustCompile(t, ig)

	g := graph.New[Pay]()
	g.AddNode("agent", func(ctx context.Context, s Pay) (Pay, error) {
		a, err := inner.Invoke(ctx, Pay{})
		if err != nil {
			return s, err
		}
		b, err := inner.Invoke(ctx, Pay{})
		if err != nil {
			return s, err
		}
		s.Log = append(s.Log, strings.Join(a.Log, "+"), strings.Join(b.Log, "+"))
		return s, nil
	})
	g.AddEdge(graph.START, "agent").AddEdge("agent", graph.END)
	mem := state.NewMemory()
	c := mustCompile(t, g, graph.WithCheckpointer(mem))

	_, err := c.Invoke(ctx, Pay{}, graph.Thread("sub"))
	var ie *graph.InterruptedError
	if !errors.As(err, &ie) || len(ie.Interrupts) != 1 || ie.Interrupts[0].Node != "agent/ask" {
		t.Fatalf("first pause: %v", err)
	}
	_, err = c.Invoke(ctx, Pay{}, graph.Thread("sub"), graph.Resume("A"))
	if !errors.As(err, &ie) || len(ie.Interrupts) != 1 {
		t.Fatalf("second pause: %v", err)
	}
	var q string
	if err := ie.Interrupts[0].Decode(&q); err != nil || q != "draft-2" {
		t.Fatalf("second question %q, %v: the second subgraph run must get its own result", q, err)
	}
	ws, _ := mem.Writes(ctx, "sub", ie.CheckpointID)
	var keys []string
	for _, m := range ws[0].Memos {
		keys = append(keys, m.Key)
	}
	if want := []string{"agent@0.0#0/draft@0.0/llm", "agent@0.0#1/draft@0.0/llm"}; !slices.Equal(keys, want) {
		t.Fatalf("saved keys %v, want %v", keys, want)
	}
	out, err := c.Invoke(ctx, Pay{}, graph.Thread("sub"), graph.Resume("B"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"draft-1+A", "draft-2+B"}; !slices.Equal(out.Log, want) {
		t.Fatalf("log %v, want %v", out.Log, want)
	}
	// The inner draft node ran 1+2+2 times (each subgraph run re-runs from
	// its start), its side effect twice: once per subgraph run.
	if drafts.Load() != 2 || draftRuns.Load() != 5 {
		t.Fatalf("side effect ran %d times, draft node %d times; want 2 and 5", drafts.Load(), draftRuns.Load())
	}
}
