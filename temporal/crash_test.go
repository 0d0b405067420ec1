package temporal_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/jedisos/jedisos/graph"
	jt "github.com/jedisos/jedisos/temporal"
)

// childEnv makes the test binary a worker process: "hostport|namespace|
// taskqueue|logfile".
const childEnv = "JEDISOS_TEMPORAL_CHILD_WORKER"

// crashGraph is a, then b and c in parallel, then d. Every node logs its
// start and end with its process id; in the child process c blocks, so the
// child can be killed in the middle of the step, after b finished.
func crashGraph(t testing.TB, logFile string, child bool) *jt.Graph[S] {
	logLine := func(what, node string) error {
		f, err := os.OpenFile(logFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = fmt.Fprintf(f, "%s %s %d\n", what, node, os.Getpid())
		return err
	}
	node := func(name string) graph.NodeFunc[S] {
		return func(ctx context.Context, s S) (S, error) {
			if err := logLine("start", name); err != nil {
				return s, err
			}
			if child && name == "c" {
				<-ctx.Done() // until the process is killed
				return s, ctx.Err()
			}
			s.Log = append(s.Log, name)
			s.Count++
			if err := logLine("end", name); err != nil {
				return s, err
			}
			return s, nil
		}
	}
	gb := graph.New[S]()
	gb.AddNode("a", node("a")).AddNode("b", node("b")).AddNode("c", node("c")).AddNode("d", node("d"))
	gb.AddEdge(graph.START, "a").AddEdge("a", "b").AddEdge("a", "c").AddJoin("d", "b", "c").AddEdge("d", graph.END)
	cg, err := gb.Compile()
	if err != nil {
		if t == nil {
			panic(err)
		}
		t.Fatal(err)
	}
	g, err := jt.New(cg, "crash", jt.Options{HeartbeatTimeout: time.Second, RetryInterval: 100 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	return g
}

// childWorker runs a worker until the process is killed.
func childWorker(spec string) int {
	parts := strings.Split(spec, "|")
	if len(parts) != 4 {
		fmt.Fprintln(os.Stderr, "bad", childEnv, spec)
		return 2
	}
	c, err := client.Dial(client.Options{HostPort: parts[0], Namespace: parts[1], Logger: quiet{}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := worker.New(c, parts[2], worker.Options{StickyScheduleToStartTimeout: time.Second})
	crashGraph(nil, parts[3], true).Register(w)
	if err := w.Run(worker.InterruptCh()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type logEntry struct {
	what, node string
	pid        int
}

func readLog(t *testing.T, path string) []logEntry {
	t.Helper()
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []logEntry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e logEntry
		if _, err := fmt.Sscanf(sc.Text(), "%s %s %d", &e.what, &e.node, &e.pid); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

func TestServerWorkerKilledMidStepRunCompletesElsewhere(t *testing.T) {
	ctx := ctxT(t)
	c := dial(t)
	hp, n := server(t)
	logFile := t.TempDir() + "/nodes.log"
	tq := fmt.Sprintf("crash-%d", time.Now().UnixNano())

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{hp, n, tq, logFile}, "|"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	childPid := cmd.Process.Pid
	killed := false
	t.Cleanup(func() {
		if !killed {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})

	g := crashGraph(t, logFile, false)
	run, err := g.Start(ctx, c, client.StartWorkflowOptions{ID: tq, TaskQueue: tq}, S{})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the child finished a and b, is inside c, and the server
	// has b's result: a node logs its end before its activity reports
	// it, so until then b's activity is pending beside c's, and a kill
	// would lose b's result. Then c's alone is pending.
	deadline := time.Now().Add(90 * time.Second)
	for {
		endB, cStarted := false, false
		for _, e := range readLog(t, logFile) {
			if e.what == "end" && e.node == "b" {
				endB = true
			}
			if e.what == "start" && e.node == "c" {
				cStarted = true
			}
		}
		pending := -1
		if endB && cStarted {
			desc, err := c.DescribeWorkflowExecution(ctx, tq, "")
			if err != nil {
				t.Fatal(err)
			}
			pending = len(desc.PendingActivities)
		}
		if pending == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the child worker did not reach node c with b's result saved (%d activities pending); log %+v", pending, readLog(t, logFile))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed = true
	if st, err := run.Status(ctx); err == nil {
		t.Fatalf("status answered with no worker alive: %+v", st)
	}

	// Two fresh workers in this process take over.
	for range 2 {
		w := worker.New(c, tq, worker.Options{})
		g.Register(w)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(w.Stop)
	}
	out, err := run.Result(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if out.Count != 4 {
		t.Fatalf("final %+v", out)
	}
	me := os.Getpid()
	starts, ends := map[string][]int{}, map[string][]int{}
	for _, e := range readLog(t, logFile) {
		if e.what == "start" {
			starts[e.node] = append(starts[e.node], e.pid)
		} else {
			ends[e.node] = append(ends[e.node], e.pid)
		}
	}
	for node, want := range map[string]int{"a": childPid, "b": childPid, "c": me, "d": me} {
		if got := ends[node]; len(got) != 1 || got[0] != want {
			t.Errorf("node %s finished in processes %v, want once in %d", node, got, want)
		}
	}
	if got := starts["c"]; len(got) != 2 || got[0] != childPid || got[1] != me {
		t.Errorf("node c started in %v, want in the killed child %d, then here %d", got, childPid, me)
	}
	for _, node := range []string{"a", "b", "d"} {
		if len(starts[node]) != 1 {
			t.Errorf("node %s started %d times, want 1", node, len(starts[node]))
		}
	}
}
