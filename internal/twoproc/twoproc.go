// Package twoproc runs two OS processes that write one thread of one
// checkpoint store at the same time, for the stores' tests: each child is
// the test binary run again, and the test counts acknowledged writes lost.
package twoproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

const (
	envTarget = "JEDISOS_TWOPROC_TARGET"
	envName   = "JEDISOS_TWOPROC_NAME"
	envMode   = "JEDISOS_TWOPROC_MODE"
	envN      = "JEDISOS_TWOPROC_N"
	envGo     = "JEDISOS_TWOPROC_GO"
)

// Opener opens the store named by target (a file path or a DSN).
type Opener func(ctx context.Context, target string) (state.Checkpointer, func(), error)

// Modes of Run.
const (
	// Puts: each child loops Get latest, Put a checkpoint on it, retrying
	// on ErrConflict.
	Puts = "puts"
	// Runs: each child invokes a checkpointed graph with one entry as
	// input, whose node appends the entry + "/done", retrying on
	// ErrConflict and while the thread has the other process's run in
	// flight (the graph's "unfinished work" error).
	Runs = "runs"
)

// Log is the state of the Runs mode.
type Log struct {
	Entries []string `reduce:"append"`
}

// Child runs the child's part when the test binary was started by Run, and
// then exits; otherwise it returns at once. Call it first in TestMain.
func Child(open Opener) {
	target := os.Getenv(envTarget)
	if target == "" {
		return
	}
	os.Exit(child(open, target))
}

func child(open Opener, target string) int {
	ctx := context.Background()
	store, closeStore, err := open(ctx, target)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer closeStore()
	name, mode := os.Getenv(envName), os.Getenv(envMode)
	n, _ := strconv.Atoi(os.Getenv(envN))
	// Both children start together, once both have opened the store.
	if err := os.WriteFile(os.Getenv(envGo)+"."+name, nil, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for {
		if _, err := os.Stat(os.Getenv(envGo)); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	conflicts := 0
	var c *graph.Compiled[Log]
	if mode == Runs {
		g := graph.New[Log]()
		g.AddNode("append", func(_ context.Context, s Log) (Log, error) {
			s.Entries = append(s.Entries, s.Entries[len(s.Entries)-1]+"/done")
			return s, nil
		})
		g.AddEdge(graph.START, "append").AddEdge("append", graph.END)
		c, err = g.Compile(graph.WithCheckpointer(store))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		busy := 0
		defer func() { fmt.Fprintln(out, "busy", busy) }()
		for i := 0; i < n; {
			entry := fmt.Sprintf("%s-%d", name, i)
			_, err := c.Invoke(ctx, Log{Entries: []string{entry}}, graph.Thread("shared"))
			switch {
			case err == nil:
				fmt.Fprintln(out, "ack", entry)
				fmt.Fprintln(out, "ack", entry+"/done")
				i++
			case errors.Is(err, state.ErrConflict):
				conflicts++
			case strings.Contains(err.Error(), "unfinished work"):
				busy++
			default:
				fmt.Fprintf(os.Stderr, "run %s: error that is not a conflict: %v\n", entry, err)
				return 1
			}
		}
	} else {
		for i := 0; i < n; {
			base := ""
			latest, err := store.Get(ctx, "shared", "")
			switch {
			case err == nil:
				base = latest.ID
			case !errors.Is(err, state.ErrNotFound):
				fmt.Fprintln(os.Stderr, "get:", err)
				return 1
			}
			// Work between reading and saving, as a node's would be.
			time.Sleep(time.Duration(rand.IntN(300)) * time.Microsecond)
			id := fmt.Sprintf("%s-%d", name, i)
			err = store.Put(ctx, state.Checkpoint{ThreadID: "shared", ID: id, ParentID: base, Step: i, Source: "loop", CreatedAt: time.Now(), Snapshot: []byte(fmt.Sprintf(`{"by":%q}`, id))})
			switch {
			case err == nil:
				fmt.Fprintln(out, "ack", id)
				i++
			case errors.Is(err, state.ErrConflict):
				var se *state.StaleError
				if !errors.As(err, &se) || se.CheckpointID != id {
					fmt.Fprintf(os.Stderr, "conflict without a StaleError naming %s: %v\n", id, err)
					return 1
				}
				conflicts++
			default:
				fmt.Fprintf(os.Stderr, "put %s: error that is not a conflict: %v\n", id, err)
				return 1
			}
		}
	}
	fmt.Fprintln(out, "conflicts", conflicts)
	return 0
}

// Result is what Run found.
type Result struct {
	// Acked is the number of writes the children were told succeeded.
	Acked int
	// Lost is the number of acknowledged writes missing from the thread.
	Lost int
	// Conflicts is the number of ErrConflict the children got (and
	// retried).
	Conflicts int
	// Saved is the number of entries the thread holds.
	Saved int
	// Busy is the number of runs refused because the other process's run
	// was in flight on the thread (Runs mode), and retried.
	Busy int
}

// Run starts two children of the test binary writing perChild entries each
// to thread "shared" of the store at target, waits for them, and checks the
// thread's history: a single chain in which every acknowledged write appears
// exactly once. It fails the test on any other error of a child.
func Run(t *testing.T, open Opener, target, mode string, perChild int) Result {
	t.Helper()
	goFile := filepath.Join(t.TempDir(), "go")
	type proc struct {
		cmd    *exec.Cmd
		stdout strings.Builder
		stderr strings.Builder
	}
	var procs []*proc
	for _, name := range []string{"a", "b"} {
		p := &proc{cmd: exec.Command(os.Args[0], "-test.run=^$")}
		p.cmd.Env = append(os.Environ(), envTarget+"="+target, envName+"="+name, envMode+"="+mode, envN+"="+strconv.Itoa(perChild), envGo+"="+goFile)
		p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, p)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, name := range []string{"a", "b"} {
		for {
			if _, err := os.Stat(goFile + "." + name); err == nil {
				break
			}
			if time.Now().After(deadline) {
				for _, p := range procs {
					p.cmd.Process.Kill()
					p.cmd.Wait()
				}
				t.Fatalf("child %s never opened the store; stderr: %s %s", name, procs[0].stderr.String(), procs[1].stderr.String())
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	if err := os.WriteFile(goFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var res Result
	acked := map[string]bool{}
	for i, p := range procs {
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v; stderr: %s", i, err, p.stderr.String())
		}
		for _, line := range strings.Split(p.stdout.String(), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) == 2 && f[0] == "ack":
				acked[f[1]] = true
				res.Acked++
			case len(f) == 2 && f[0] == "conflicts":
				n, _ := strconv.Atoi(f[1])
				res.Conflicts += n
			case len(f) == 2 && f[0] == "busy":
				n, _ := strconv.Atoi(f[1])
				res.Busy += n
			}
		}
	}
	ctx := context.Background()
	store, closeStore, err := open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore()
	var saved []string
	switch mode {
	case Runs:
		cps, err := store.List(ctx, "shared", state.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkChain(t, cps)
		g := graph.New[Log]()
		g.AddNode("append", func(_ context.Context, s Log) (Log, error) { return s, nil })
		g.AddEdge(graph.START, "append").AddEdge("append", graph.END)
		c, err := g.Compile(graph.WithCheckpointer(store))
		if err != nil {
			t.Fatal(err)
		}
		snap, err := c.State(ctx, "shared")
		if err != nil {
			t.Fatal(err)
		}
		saved = snap.State.Entries
	default:
		cps, err := store.List(ctx, "shared", state.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		checkChain(t, cps)
		for _, cp := range cps {
			saved = append(saved, cp.ID)
		}
	}
	seen := map[string]int{}
	for _, s := range saved {
		seen[s]++
		if seen[s] > 1 {
			t.Errorf("entry %s saved %d times", s, seen[s])
		}
		if !acked[s] {
			t.Errorf("entry %s saved but never acknowledged", s)
		}
	}
	for a := range acked {
		if seen[a] == 0 {
			res.Lost++
		}
	}
	res.Saved = len(saved)
	return res
}

// checkChain checks that each checkpoint (newest first) has the next older
// one as its parent.
func checkChain(t *testing.T, cps []state.Checkpoint) {
	t.Helper()
	for i := 0; i+1 < len(cps); i++ {
		if cps[i].ParentID != cps[i+1].ID {
			t.Fatalf("history forks: checkpoint %s has parent %q, but the one before it is %s", cps[i].ID, cps[i].ParentID, cps[i+1].ID)
		}
	}
	if len(cps) > 0 && cps[len(cps)-1].ParentID != "" {
		t.Fatalf("the first checkpoint %s has parent %q", cps[len(cps)-1].ID, cps[len(cps)-1].ParentID)
	}
}
