package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

const (
	crashEnv   = "JEDISOS_CRASH_DB"
	crashBlock = "JEDISOS_CRASH_BLOCK"
	crashOnce  = "JEDISOS_CRASH_ONCE"
)

// crashChild is the program the kill-and-resume test runs in a child
// process: a -> (b1 | b2) -> join c -> d, every node run recorded in a file.
// With crashBlock set, b2 waits until b1's writes are saved, signals the
// parent and blocks until it is killed.
func crashChild(db string) int {
	if os.Getenv(crashOnce) != "" {
		return onceCrashChild(db)
	}
	ctx := context.Background()
	store, err := sqlite.Open(db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer store.Close()
	record := recorder(db)
	node := func(name string) graph.NodeFunc[D] {
		return func(ctx context.Context, s D) (D, error) {
			record(name)
			if name == "b2" && os.Getenv(crashBlock) != "" {
				for {
					cp, err := store.Get(ctx, "crash", "")
					if err == nil {
						ws, _ := store.Writes(ctx, "crash", cp.ID)
						if len(ws) == 1 && ws[0].Node == "b1" {
							break
						}
					}
					time.Sleep(5 * time.Millisecond)
				}
				if err := os.WriteFile(db+".blocked", nil, 0o644); err != nil {
					panic(err)
				}
				select {}
			}
			s.Log = append(s.Log, name)
			s.Count++
			return s, nil
		}
	}
	g := graph.New[D]()
	for _, n := range []string{"a", "b1", "b2", "c", "d"} {
		g.AddNode(n, node(n))
	}
	g.AddEdge(graph.START, "a").AddEdge("a", "b1").AddEdge("a", "b2")
	g.AddJoin("c", "b1", "b2")
	g.AddEdge("c", "d").AddEdge("d", graph.END)
	return runChild(ctx, g, store)
}

// recorder returns a function that appends a line to the file db.runs.
func recorder(db string) func(string) {
	return func(name string) {
		f, err := os.OpenFile(db+".runs", os.O_CREATE|os.O_APPEND|os.O_WRONLY|os.O_SYNC, 0o644)
		if err != nil {
			panic(err)
		}
		fmt.Fprintln(f, name)
		f.Close()
	}
}

// onceCrashChild runs a -> pay -> ship, where pay charges through graph.Once
// (the receipt names the charging process). With crashBlock set, pay blocks
// after the charge until it is killed.
func onceCrashChild(db string) int {
	ctx := context.Background()
	store, err := sqlite.Open(db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer store.Close()
	record := recorder(db)
	g := graph.New[Pay]()
	g.AddNode("a", func(_ context.Context, s Pay) (Pay, error) {
		record("a")
		s.Log = append(s.Log, "a")
		return s, nil
	})
	g.AddNode("pay", func(ctx context.Context, s Pay) (Pay, error) {
		record("pay")
		r, err := graph.Once(ctx, "charge", func(context.Context) (string, error) {
			record("charge")
			return fmt.Sprintf("receipt-%d", os.Getpid()), nil
		})
		if err != nil {
			return s, err
		}
		if os.Getenv(crashBlock) != "" {
			if err := os.WriteFile(db+".blocked", nil, 0o644); err != nil {
				panic(err)
			}
			select {}
		}
		s.Receipt = r
		s.Log = append(s.Log, "pay")
		return s, nil
	})
	g.AddNode("ship", func(_ context.Context, s Pay) (Pay, error) {
		record("ship")
		s.Log = append(s.Log, "ship "+s.Receipt)
		return s, nil
	})
	g.AddEdge(graph.START, "a").AddEdge("a", "pay").AddEdge("pay", "ship").AddEdge("ship", graph.END)
	return runChild(ctx, g, store)
}

// killAndResume runs the test binary as a child against db with env set,
// kills it with SIGKILL once it reports being blocked, then runs it again to
// the end. It returns the killed child's pid and the second one's output.
func killAndResume(t *testing.T, db string, env ...string) (int, []byte) {
	t.Helper()
	child := func(block bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+db)
		cmd.Env = append(cmd.Env, env...)
		if block {
			cmd.Env = append(cmd.Env, crashBlock+"=1")
		}
		return cmd
	}
	first := child(true)
	var stderr strings.Builder
	first.Stderr = &stderr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := os.Stat(db + ".blocked"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			first.Process.Kill()
			first.Wait()
			t.Fatalf("child never blocked; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	if ws, ok := first.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed by SIGKILL: %v", err)
	}
	second := child(false)
	second.Stderr = &stderr
	out, err := second.Output()
	if err != nil {
		t.Fatalf("resume failed: %v; stderr: %s", err, stderr.String())
	}
	return first.Process.Pid, out
}

func runCounts(t *testing.T, db string) string {
	t.Helper()
	runs, err := os.ReadFile(db + ".runs")
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, line := range strings.Fields(string(runs)) {
		counts[line]++
	}
	return fmt.Sprint(counts)
}

// TestKillAndResumeOnce kills a process right after a node's side effect
// ran through graph.Once (its result saved) and before the node returned;
// the resumed process runs the node again but not the side effect, and the
// node's write carries the result the killed process got.
func TestKillAndResumeOnce(t *testing.T) {
	db := filepath.Join(t.TempDir(), "once.db")
	pid, out := killAndResume(t, db, crashOnce+"=1")
	var final Pay
	if err := json.Unmarshal(out, &final); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	receipt := fmt.Sprintf("receipt-%d", pid)
	if want := []string{"a", "pay", "ship " + receipt}; final.Receipt != receipt || !slices.Equal(final.Log, want) {
		t.Fatalf("final state %+v, want receipt %s and log %v", final, receipt, want)
	}
	if got, want := runCounts(t, db), fmt.Sprint(map[string]int{"a": 1, "pay": 2, "charge": 1, "ship": 1}); got != want {
		t.Fatalf("runs %v, want %v", got, want)
	}
}

// TestKillAndResumeSQLite runs a graph in a child process against a SQLite
// file, kills it with SIGKILL while a node is blocked, resumes it in a new
// process, and checks that every node whose writes were saved ran once.
func TestKillAndResumeSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "crash.db")
	_, out := killAndResume(t, db)
	var final D
	if err := json.Unmarshal(out, &final); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	if want := []string{"a", "b1", "b2", "c", "d"}; !slices.Equal(final.Log, want) || final.Count != 5 {
		t.Fatalf("final state %+v, want log %v and count 5", final, want)
	}
	// b2 started in the killed process and again after resume; a and b1
	// had their writes saved and must not run again.
	want := map[string]int{"a": 1, "b1": 1, "b2": 2, "c": 1, "d": 1}
	if got := runCounts(t, db); got != fmt.Sprint(want) {
		t.Fatalf("node runs %v, want %v", got, want)
	}
}

// runChild compiles g over store, runs thread "crash" from the zero state
// and prints the final state as JSON: the child process's exit code.
func runChild[S any](ctx context.Context, g *graph.Graph[S], store state.Checkpointer) int {
	c, err := g.Compile(graph.WithCheckpointer(store))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var zero S
	out, err := c.Invoke(ctx, zero, graph.Thread("crash"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return 1
	}
	return 0
}
