package graph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

// A durable task's interrupt state is made on its first use. Goroutines of
// one node that use it first at the same moment must share one state: a
// key used by all of them runs once, and the others are told it was used.
func TestOnceFirstUseFromManyGoroutines(t *testing.T) {
	ctx := context.Background()
	for _, parallel := range []bool{false, true} {
		name := "one task"
		if parallel {
			name = "two tasks"
		}
		t.Run(name, func(t *testing.T) {
			store := state.NewMemory()
			g := graph.New[Pay]()
			const n = 16
			var mu sync.Mutex
			results := map[string][]string{}
			node := func(label string) graph.NodeFunc[Pay] {
				return func(ctx context.Context, s Pay) (Pay, error) {
					var wg sync.WaitGroup
					start := make(chan struct{})
					for range n {
						wg.Add(1)
						go func() {
							defer wg.Done()
							<-start
							v, err := graph.Once(ctx, "k", func(context.Context) (string, error) { return label + " ran", nil })
							mu.Lock()
							defer mu.Unlock()
							switch {
							case err == nil:
								results[label] = append(results[label], v)
							case errors.Is(err, graph.ErrOnceKey):
								results[label] = append(results[label], "refused")
							default:
								results[label] = append(results[label], err.Error())
							}
						}()
					}
					close(start)
					wg.Wait()
					s.Log = append(s.Log, label)
					return s, nil
				}
			}
			g.AddNode("a", node("a"))
			g.AddEdge(graph.START, "a").AddEdge("a", graph.END)
			if parallel {
				g.AddNode("b", node("b"))
				g.AddEdge(graph.START, "b").AddEdge("b", graph.END)
			}
			c := mustCompile(t, g, graph.WithCheckpointer(store))
			labels := []string{"a"}
			if parallel {
				labels = append(labels, "b")
			}
			// Many rounds, so the goroutines often meet at the first use.
			for round := range 300 {
				clear(results)
				out, err := c.Invoke(ctx, Pay{}, graph.Thread(fmt.Sprint("t", round)))
				if err != nil {
					t.Fatal(err)
				}
				if strings.Join(out.Log, ",") != strings.Join(labels, ",") {
					t.Fatalf("log %v", out.Log)
				}
				for _, l := range labels {
					ran, refused := 0, 0
					for _, r := range results[l] {
						switch r {
						case l + " ran":
							ran++
						case "refused":
							refused++
						default:
							t.Fatalf("task %s: unexpected result %q", l, r)
						}
					}
					// Each task has its own memo: its key ran once in it.
					if ran != 1 || refused != n-1 {
						t.Fatalf("round %d, task %s: %d ran, %d refused, want 1 and %d", round, l, ran, refused, n-1)
					}
				}
			}
		})
	}
}

// A context kept past its node's return can still call Once and Interrupt,
// but nothing it does is saved: the task's entry was final when the node
// returned, whether or not the node had used its state before.
func TestOnceAfterNodeReturned(t *testing.T) {
	ctx := context.Background()
	for _, usedBefore := range []bool{false, true} {
		name := "state unused in the node"
		if usedBefore {
			name = "state used in the node"
		}
		t.Run(name, func(t *testing.T) {
			store := state.NewMemory()
			kept := make(chan context.Context, 1)
			g := graph.New[Pay]()
			g.AddNode("a", func(ctx context.Context, s Pay) (Pay, error) {
				if usedBefore {
					v, err := graph.Once(ctx, "early", func(context.Context) (string, error) { return "e", nil })
					if err != nil || v != "e" {
						return s, errors.Join(err, errors.New("early Once gave "+v))
					}
				}
				kept <- ctx
				s.Log = append(s.Log, "a")
				return s, nil
			})
			g.AddNode("b", func(ctx context.Context, s Pay) (Pay, error) {
				s.Log = append(s.Log, "b")
				return s, nil
			})
			g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", graph.END)
			c := mustCompile(t, g, graph.WithCheckpointer(store))
			out, err := c.Invoke(ctx, Pay{}, graph.Thread("t"))
			if err != nil || strings.Join(out.Log, ",") != "a,b" {
				t.Fatalf("run: %v, %v", out.Log, err)
			}
			late := <-kept
			ran := false
			_, err = graph.Once(late, "late", func(context.Context) (string, error) { ran = true; return "l", nil })
			if !ran || err == nil || !strings.Contains(err.Error(), `Once "late" ran after node "a" returned; its result was not saved`) {
				t.Fatalf("late Once: ran %v, err %v", ran, err)
			}
			if _, err := graph.Interrupt[string](late, "too late"); err == nil || errors.Is(err, graph.ErrNoCheckpointer) {
				t.Fatalf("late Interrupt: %v", err)
			}
			// The step of a saved its entry with the early result only.
			hist, err := store.List(ctx, "t", state.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, cp := range hist {
				ws, err := store.Writes(ctx, "t", cp.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, w := range ws {
					var keys []string
					for _, m := range w.Memos {
						keys = append(keys, m.Key)
					}
					if len(w.Interrupts) > 0 || strings.Contains(strings.Join(keys, ","), "late") || (w.Node == "b" && len(keys) > 0) {
						t.Fatalf("checkpoint %s: entry of %s has interrupts %v, memos %v", cp.ID, w.Node, w.Interrupts, keys)
					}
				}
			}
		})
	}
}
