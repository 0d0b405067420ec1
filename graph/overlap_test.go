package graph_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
	"github.com/jedisos/jedisos/state/sqlite"
)

// overlapGraph appends each run's input entry (through the append reducer)
// and counts the run in a node.
func overlapGraph(t testing.TB, cp state.Checkpointer, opts ...graph.CompileOption) *graph.Compiled[U] {
	c, err := buildOverlap(cp, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func buildOverlap(cp state.Checkpointer, opts ...graph.CompileOption) (*graph.Compiled[U], error) {
	g := graph.New[U]()
	g.AddNode("count", func(_ context.Context, s U) (U, error) {
		jitter()
		s.Count++
		return s, nil
	})
	g.AddEdge(graph.START, "count").AddEdge("count", graph.END)
	return g.Compile(append(opts, graph.WithCheckpointer(cp))...)
}

// Ten goroutines run twenty runs each on one thread, over two Compiled
// values sharing one store: every run is serialised, nothing is lost.
func TestOverlappingRunsOneThread(t *testing.T) {
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		mem := state.NewMemory()
		cs := []*graph.Compiled[U]{overlapGraph(t, mem, graph.WithDurability(mode)), overlapGraph(t, mem, graph.WithDurability(mode))}
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for gr := range 10 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					_, err := cs[gr%2].Invoke(context.Background(), U{Log: []string{fmt.Sprintf("%d-%d", gr, i)}}, graph.Thread("t"))
					if err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("%s: %v", mode, err)
		}
		sn, err := cs[0].State(context.Background(), "t")
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, e := range sn.State.Log {
			seen[e] = true
		}
		if len(sn.State.Log) != 200 || len(seen) != 200 || sn.State.Count != 200 {
			t.Fatalf("%s: %d entries (%d distinct), count %d; want 200", mode, len(sn.State.Log), len(seen), sn.State.Count)
		}
	}
}

// A run waiting for its thread honours its context; the lock is released
// on every way a run ends: error, interrupt, an abandoned stream, a panic.
func TestThreadLockReleased(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	block := make(chan struct{})
	entered := make(chan struct{}, 1)
	g := graph.New[U]()
	g.AddNode("n", func(ctx context.Context, s U) (U, error) {
		switch s.Note {
		case "block":
			entered <- struct{}{}
			<-block
		case "fail":
			return s, errors.New("fail")
		case "ask":
			v, err := graph.Interrupt[string](ctx, "?")
			s.Note = v
			return s, err
		}
		return s, nil
	})
	g.AddEdge(graph.START, "n")
	g.AddConditionalEdge("n", func(s U) string {
		if s.Note == "panic" {
			panic("router")
		}
		return graph.END
	}, graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(mem))

	done := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, U{Note: "block"}, graph.Thread("t"))
		done <- err
	}()
	<-entered
	wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	_, err := c.Invoke(wctx, U{Note: "x"}, graph.Thread("t"))
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `"t"`) {
		t.Fatalf("waiting run: %v", err)
	}
	// DeleteThread waits too.
	wctx, cancel = context.WithTimeout(ctx, 20*time.Millisecond)
	err = c.DeleteThread(wctx, "t")
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting delete: %v", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	next := func(in U) error {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := c.Invoke(rctx, in, graph.Thread("t"))
		return err
	}
	if err := next(U{Note: "fail"}); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("failing run: %v", err)
	}
	if err := next(U{Note: "ask"}); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("interrupted run: %v", err)
	}
	if err := c.DeleteThread(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	for _, err := range c.Stream(ctx, U{Note: "x"}, graph.Thread("t")) {
		_ = err
		break
	}
	if err := next(U{Note: "x"}); err != nil {
		t.Fatalf("after an abandoned stream: %v", err)
	}
	func() {
		defer func() {
			if v := recover(); v != "router" {
				t.Fatalf("recovered %v", v)
			}
		}()
		_ = next(U{Note: "panic"})
	}()
	if err := next(U{Note: "x"}); err != nil {
		t.Fatalf("after a panic: %v", err)
	}
	func() {
		defer func() { recover() }()
		for range c.Stream(ctx, U{Note: "x"}, graph.Thread("t")) {
			panic("consumer")
		}
	}()
	if err := next(U{Note: "x"}); err != nil {
		t.Fatalf("after every kind of exit: %v", err)
	}
}

const overlapEnv = "JEDISOS_OVERLAP_DB"

// overlapChild runs 40 runs on one thread of the SQLite file db, retrying a
// run that got state.ErrConflict or graph.ErrUnfinished (the other
// process's run in flight), and prints the entries of the runs that
// succeeded and the number of conflicts.
func overlapChild(db string) int {
	store, err := sqlite.Open(db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer store.Close()
	c, err := buildOverlap(store)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	res := struct {
		OK        []string
		Conflicts int
		Busy      int
	}{}
	for i := 0; i < 40; {
		entry := strconv.Itoa(os.Getpid()) + "-" + strconv.Itoa(i)
		_, err := c.Invoke(context.Background(), U{Log: []string{entry}}, graph.Thread("shared"))
		switch {
		case err == nil:
			res.OK = append(res.OK, entry)
			i++
		case errors.Is(err, state.ErrConflict):
			if !strings.Contains(err.Error(), `"shared"`) {
				fmt.Fprintln(os.Stderr, "conflict error does not name the thread:", err)
				return 1
			}
			res.Conflicts++
		case errors.Is(err, graph.ErrUnfinished):
			res.Busy++
		default:
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
		return 1
	}
	return 0
}

// Two processes run one thread of one SQLite file at once, retrying runs
// that lost the race (ErrConflict, or ErrUnfinished while the other's run
// is in flight): every acknowledged run's entry is in the final state
// exactly once, and nothing else is.
func TestTwoProcessesOneThread(t *testing.T) {
	db := filepath.Join(t.TempDir(), "overlap.db")
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	type result struct {
		OK        []string
		Conflicts int
		Busy      int
	}
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), overlapEnv+"="+db)
		var out, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &out)
		defer func() {
			if stderr.Len() > 0 {
				t.Logf("child stderr: %s", stderr.String())
			}
		}()
	}
	var acked []string
	conflicts, busy := 0, 0
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("child %d: %v", i, err)
		}
		var r result
		if err := json.Unmarshal([]byte(outs[i].String()), &r); err != nil {
			t.Fatalf("child %d output %q: %v", i, outs[i].String(), err)
		}
		acked = append(acked, r.OK...)
		conflicts += r.Conflicts
		busy += r.Busy
	}
	store, err = sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := overlapGraph(t, store)
	sn, err := c.State(context.Background(), "shared")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]int{}
	for _, e := range sn.State.Log {
		have[e]++
	}
	lost := 0
	for _, e := range acked {
		if have[e] != 1 {
			lost++
		}
	}
	t.Logf("%d runs acknowledged, %d retried after ErrConflict, %d after ErrUnfinished, %d entries in the final state, %d acknowledged entries lost", len(acked), conflicts, busy, len(sn.State.Log), lost)
	if lost != 0 || len(acked) != 80 || len(sn.State.Log) != 80 || sn.State.Count != 80 {
		t.Fatalf("%d of %d acknowledged entries lost; %d entries and count %d, want 80", lost, len(acked), len(sn.State.Log), sn.State.Count)
	}
}

// A node that runs its own thread again gets an error instead of waiting
// for itself.
func TestNestedRunOfSameThread(t *testing.T) {
	mem := state.NewMemory()
	inner := overlapGraph(t, mem)
	g := graph.New[U]()
	g.AddNode("outer", func(ctx context.Context, s U) (U, error) {
		_, err := inner.Invoke(ctx, U{}, graph.Thread("t"))
		return s, err
	})
	g.AddEdge(graph.START, "outer").AddEdge("outer", graph.END)
	c := mustCompile(t, g, graph.WithCheckpointer(mem))
	_, err := c.Invoke(context.Background(), U{}, graph.Thread("t"))
	if err == nil || !strings.Contains(err.Error(), "wait for itself") {
		t.Fatalf("nested run: %v", err)
	}
	// Another thread is fine.
	g2 := graph.New[U]()
	g2.AddNode("outer", func(ctx context.Context, s U) (U, error) {
		_, err := inner.Invoke(ctx, U{}, graph.Thread("inner"))
		return s, err
	})
	g2.AddEdge(graph.START, "outer").AddEdge("outer", graph.END)
	if _, err := mustCompile(t, g2, graph.WithCheckpointer(mem)).Invoke(context.Background(), U{}, graph.Thread("t2")); err != nil {
		t.Fatal(err)
	}
}

// racingStore is a store in which another process saves a checkpoint of
// the thread right after this process's n-th Put.
type racingStore struct {
	*state.Memory
	mu   sync.Mutex
	puts int
	n    int
}

func (s *racingStore) Put(ctx context.Context, cp state.Checkpoint) error {
	if err := s.Memory.Put(ctx, cp); err != nil {
		return err
	}
	return s.race(ctx, cp)
}

// PutStep saves a step's checkpoint with its writes: a Put too.
func (s *racingStore) PutStep(ctx context.Context, parent string, ws []state.TaskWrites, cp state.Checkpoint) error {
	if err := s.Memory.PutStep(ctx, parent, ws, cp); err != nil {
		return err
	}
	return s.race(ctx, cp)
}

// SaveBatch saves each op through the methods above: the background saves
// race too.
func (s *racingStore) SaveBatch(ctx context.Context, ops []state.BatchOp) (int, error) {
	return applyOps(ctx, s, ops)
}

func (s *racingStore) race(ctx context.Context, cp state.Checkpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.puts++
	if s.puts == s.n {
		other := cp
		other.ID, other.Base, other.ParentID = cp.ID+"-other", cp.ID, cp.ID
		return s.Memory.Put(ctx, other)
	}
	return nil
}

// When another process saves first, the run stops with ErrConflict naming
// the thread, in every durability mode, and the other process's checkpoint
// stays the thread's latest.
func TestConflictStopsTheRun(t *testing.T) {
	for _, mode := range []graph.Durability{graph.DurabilitySync, graph.DurabilityAsync, graph.DurabilityExit} {
		store := &racingStore{Memory: state.NewMemory(), n: 2}
		var ran atomic.Int32
		g := graph.New[U]()
		for _, n := range []string{"a", "b", "c", "d", "e"} {
			g.AddNode(n, func(ctx context.Context, s U) (U, error) {
				ran.Add(1)
				if n == "c" && mode == graph.DurabilityExit {
					// Under DurabilityExit nothing is saved until the end:
					// the other process saves the thread's first checkpoint.
					if err := store.Memory.Put(ctx, state.Checkpoint{ThreadID: "t", ID: "x-other", Snapshot: []byte("{}")}); err != nil {
						return s, err
					}
				}
				s.Log = append(s.Log, n)
				return s, nil
			})
		}
		g.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("b", "c").AddEdge("c", "d").AddEdge("d", "e").AddEdge("e", graph.END)
		c := mustCompile(t, g, graph.WithCheckpointer(store), graph.WithDurability(mode))
		if mode == graph.DurabilityExit {
			store.n = 0
		}
		_, err := c.Invoke(context.Background(), U{}, graph.Thread("t"))
		if !errors.Is(err, state.ErrConflict) || !strings.Contains(err.Error(), `"t"`) {
			t.Fatalf("%s: err %v", mode, err)
		}
		latest, _ := store.Get(context.Background(), "t", "")
		if !strings.HasSuffix(latest.ID, "-other") {
			t.Fatalf("%s: latest %s was overwritten", mode, latest.ID)
		}
		// a ran before the other save, b before its own save found it.
		if mode == graph.DurabilitySync && ran.Load() != 2 {
			t.Fatalf("%s: %d nodes ran, want 2", mode, ran.Load())
		}
		if mode == graph.DurabilityAsync && ran.Load() == 5 {
			t.Logf("%s: the background save failed only after the last step", mode)
		}
	}
}

// otherProcess is the same store under another checkpointer value, so runs
// through it do not share this process's thread lock: as another process.
type otherProcess struct{ *state.Memory }

// New input on a thread whose step is unfinished without a failed run (a
// run in progress elsewhere, or a crash) is refused with ErrUnfinished, so
// two processes never both take the step; after the run fails, new input
// is taken and Snapshot.Failed says why.
func TestNewInputWhileAnotherRunIsInFlight(t *testing.T) {
	ctx := context.Background()
	mem := state.NewMemory()
	entered, release := make(chan struct{}), make(chan struct{})
	g := graph.New[U]()
	g.AddNode("n", func(_ context.Context, s U) (U, error) {
		if s.Note == "block" {
			close(entered)
			<-release
			return s, errors.New("down")
		}
		s.Count++
		return s, nil
	})
	g.AddEdge(graph.START, "n").AddEdge("n", graph.END)
	here := mustCompile(t, g, graph.WithCheckpointer(mem))
	there := mustCompile(t, g, graph.WithCheckpointer(otherProcess{mem}))
	done := make(chan error, 1)
	go func() {
		_, err := here.Invoke(ctx, U{Note: "block"}, graph.Thread("t"))
		done <- err
	}()
	<-entered
	_, err := there.Invoke(ctx, U{Log: []string{"x"}}, graph.Thread("t"))
	if !errors.Is(err, graph.ErrUnfinished) || !strings.Contains(err.Error(), "zero state") {
		t.Fatalf("new input while a run is in flight: %v", err)
	}
	close(release)
	if err := <-done; err == nil {
		t.Fatal("blocked run did not fail")
	}
	sn, _ := there.State(ctx, "t")
	if !sn.Failed {
		t.Fatalf("snapshot after the failed run: %+v", sn)
	}
	out, err := there.Invoke(ctx, U{Log: []string{"x"}, Note: "go"}, graph.Thread("t"))
	if err != nil || !slices.Equal(out.Log, []string{"x"}) || out.Count != 1 {
		t.Fatalf("new input after the failure: %+v %v", out, err)
	}
}
