// Command hitl pauses an agent-like graph for a human's approval before a
// (fake) side-effecting step, saves the paused run in a SQLite file, and
// resumes it from that file in a second invocation of the program. The
// approval node notifies a reviewer before it pauses; it runs again from its
// start on resume, and graph.Once keeps the notification from being sent
// twice.
//
// Run with no flags, it demonstrates both invocations by starting itself
// twice against a temporary database. Run by hand:
//
//	hitl -db run.db               # runs until approval is needed, then exits
//	hitl -db run.db -answer yes   # resumes the saved thread with the answer
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state/sqlite"
)

// Task is the state of one run.
type Task struct {
	To       string
	Subject  string
	Draft    string
	Approved bool
	Sent     string
	Log      []string `reduce:"append"`
}

// Question is what the approval step asks the human.
type Question struct {
	Prompt string
	Draft  string
}

const thread = "order-42"

func build(store *sqlite.Store, out *os.File) (*graph.Compiled[Task], error) {
	g := graph.New[Task]()
	g.AddNode("plan", func(_ context.Context, s Task) (Task, error) {
		s.Draft = fmt.Sprintf("Hello %s, your order #42 has shipped.", s.To)
		s.Log = append(s.Log, "planned")
		fmt.Fprintf(out, "plan: drafted %q for %s\n", s.Subject, s.To)
		return s, nil
	})
	g.AddNode("approve", func(ctx context.Context, s Task) (Task, error) {
		// This node runs again from its start when the run resumes, so its
		// side effect before the Interrupt goes through graph.Once: the
		// reviewer is notified on the first run only, and the re-run gets
		// the saved request id back.
		request, err := graph.Once(ctx, "notify-reviewer", func(context.Context) (string, error) {
			fmt.Fprintf(out, "approve: (fake) review request REV-7 sent to the reviewer\n")
			return "REV-7", nil
		})
		if err != nil {
			return s, err
		}
		fmt.Fprintf(out, "approve: waiting on review request %s\n", request)
		// The first time, this stops the run; on resume it returns the answer.
		answer, err := graph.Interrupt[string](ctx, Question{Prompt: "Send this email to " + s.To + "?", Draft: s.Draft})
		if err != nil {
			return s, err
		}
		s.Approved = answer == "yes"
		s.Log = append(s.Log, request+":"+answer)
		return s, nil
	})
	g.AddNode("send", func(ctx context.Context, s Task) (Task, error) {
		// The side effect runs only after approval; Once also keeps a re-run
		// of this node (after a crash, say) from sending the email twice.
		id, err := graph.Once(ctx, "send-email", func(context.Context) (string, error) {
			fmt.Fprintf(out, "send: (fake) email sent to %s: %s\n", s.To, s.Draft)
			return "msg-1", nil
		})
		if err != nil {
			return s, err
		}
		s.Sent = id
		s.Log = append(s.Log, "sent:"+id)
		return s, nil
	})
	g.AddNode("discard", func(_ context.Context, s Task) (Task, error) {
		fmt.Fprintln(out, "discard: draft dropped")
		s.Log = append(s.Log, "discarded")
		return s, nil
	})
	g.AddEdge(graph.START, "plan").AddEdge("plan", "approve")
	g.AddConditionalEdge("approve", func(s Task) string {
		if s.Approved {
			return "send"
		}
		return "discard"
	}, "send", "discard")
	g.AddEdge("send", graph.END).AddEdge("discard", graph.END)
	return g.Compile(graph.WithCheckpointer(store))
}

func run(db, answer string) error {
	ctx := context.Background()
	store, err := sqlite.Open(db)
	if err != nil {
		return err
	}
	defer store.Close()
	c, err := build(store, os.Stdout)
	if err != nil {
		return err
	}
	var opts []graph.RunOption
	in := Task{To: "alice@example.com", Subject: "Your order shipped"}
	opts = append(opts, graph.Thread(thread))
	if answer != "" {
		fmt.Printf("resuming thread %q from %s with answer %q\n", thread, filepath.Base(db), answer)
		in = Task{} // the thread's saved state is used
		opts = append(opts, graph.Resume(answer))
	}
	out, err := c.Invoke(ctx, in, opts...)
	var paused *graph.InterruptedError
	if errors.As(err, &paused) {
		var q Question
		if err := paused.Interrupts[0].Decode(&q); err != nil {
			return err
		}
		fmt.Printf("paused at step %d in node %q: %s\n", paused.Step, paused.Interrupts[0].Node, q.Prompt)
		fmt.Printf("draft: %s\n", q.Draft)
		fmt.Printf("the run is saved in thread %q; run again with -answer yes or -answer no\n", thread)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Printf("done: approved=%v sent=%s log=%v\n", out.Approved, out.Sent, out.Log)
	hist, err := c.History(ctx, thread, graph.HistoryOptions{})
	if err != nil {
		return err
	}
	fmt.Printf("thread %q has %d checkpoints; the newest is step %d\n", thread, len(hist), hist[0].Step)
	return nil
}

func main() {
	db := flag.String("db", "", "SQLite file holding the saved run (empty: demonstrate both invocations with a temporary file)")
	answer := flag.String("answer", "", "the human's answer to resume with (yes or no)")
	flag.Parse()
	if *db != "" {
		if err := run(*db, *answer); err != nil {
			fmt.Fprintln(os.Stderr, "hitl:", err)
			os.Exit(1)
		}
		return
	}
	dir, err := os.MkdirTemp("", "hitl")
	if err != nil {
		fmt.Fprintln(os.Stderr, "hitl:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hitl:", err)
		os.Exit(1)
	}
	path := filepath.Join(dir, "hitl.db")
	for i, args := range [][]string{{"-db", path}, {"-db", path, "-answer", "yes"}} {
		fmt.Printf("== invocation %d: hitl %s\n", i+1, argsText(args))
		cmd := exec.Command(self, args...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "hitl:", err)
			os.Exit(1)
		}
	}
}

func argsText(args []string) string {
	s := ""
	for i, a := range args {
		if i > 0 {
			s += " "
		}
		if i == 1 {
			a = "hitl.db"
		}
		s += a
	}
	return s
}
