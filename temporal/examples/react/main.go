// Command react runs jedisos's prebuilt ReAct agent (nodes.NewReAct) as a
// Temporal workflow: every node run — memory recall, each model call, each
// round of tool calls, memory retain — is an activity, and the agent loop
// lives in the workflow.
//
// By default it is fully offline: it starts a Temporal server inside the
// process (SQLite in memory, loopback only), a worker, and a client, and
// the agent answers with a scripted model (a deterministic stand-in that
// follows fixed rules; not a language model) from the embedded memory
// store. With -hostport it uses a real Temporal cluster instead; -role
// splits the worker and the client into separate processes (see README.md).
//
//	go run ./examples/react
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/nodes"
	jt "github.com/jedisos/jedisos/temporal"
	"github.com/jedisos/jedisos/temporal/devserver"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.hostPort, "hostport", "", "Temporal frontend host:port (default: start a server in this process)")
	flag.StringVar(&cfg.namespace, "namespace", "default", "Temporal namespace")
	flag.StringVar(&cfg.taskQueue, "taskqueue", "jedisos-react", "task queue of the workflow and its activities")
	flag.StringVar(&cfg.role, "role", "all", "all: worker and client in this process; worker: only the worker; client: only start the conversation")
	flag.StringVar(&cfg.dataDir, "data", "", "directory for the memory file (default: a new temporary directory)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

type config struct {
	hostPort, namespace, taskQueue, role, dataDir string
}

// The conversation: an introduction, the weather in two cities (two tool
// calls in one model turn), and a question only memory can answer.
var questions = []string{
	"Hi! I'm Mina. I live in Seoul and I prefer celsius.",
	"Compare the weather in Seoul and Busan.",
	"Where do I live?",
}

func run(ctx context.Context, cfg config, out io.Writer) error {
	switch cfg.role {
	case "all", "worker", "client":
	default:
		return fmt.Errorf("-role %q: want all, worker or client", cfg.role)
	}
	if cfg.hostPort == "" {
		if cfg.role != "all" {
			return errors.New("-role worker and -role client need -hostport: the in-process server lives only as long as its process")
		}
		srv, err := devserver.Start(ctx, devserver.Options{Namespaces: []string{cfg.namespace}})
		if err != nil {
			return err
		}
		defer srv.Stop()
		cfg.hostPort = srv.HostPort()
		fmt.Fprintf(out, "temporal: in-process server at %s (SQLite in memory), namespace %q\n", cfg.hostPort, cfg.namespace)
	} else {
		fmt.Fprintf(out, "temporal: %s, namespace %q\n", cfg.hostPort, cfg.namespace)
	}
	c, err := client.Dial(client.Options{HostPort: cfg.hostPort, Namespace: cfg.namespace, Logger: quietLogger{}})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", cfg.hostPort, err)
	}
	defer c.Close()

	if cfg.dataDir == "" {
		dir, err := os.MkdirTemp("", "jedisos-temporal-react-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.dataDir = dir
	}
	agent, closeAgent, err := newAgent(filepath.Join(cfg.dataDir, "memory.jsonl"))
	if err != nil {
		return err
	}
	defer closeAgent()

	if cfg.role != "client" {
		w := worker.New(c, cfg.taskQueue, worker.Options{})
		agent.Register(w)
		if err := w.Start(); err != nil {
			return err
		}
		defer w.Stop()
		fmt.Fprintf(out, "worker: polling task queue %q\n", cfg.taskQueue)
		if cfg.role == "worker" {
			<-ctx.Done()
			return nil
		}
	}
	return converse(ctx, c, agent, cfg.taskQueue, out)
}

// newAgent builds the ReAct agent over the embedded memory store and makes
// it a Temporal workflow.
func newAgent(memFile string) (*jt.Graph[nodes.AgentState], func(), error) {
	reg, err := newTools()
	if err != nil {
		return nil, nil, err
	}
	store, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: memFile})
	if err != nil {
		return nil, nil, err
	}
	mem, err := memory.New(memory.Config{Store: store})
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	closeAll := func() { mem.Close(); store.Close() }
	compiled, err := nodes.NewReAct(nodes.ReActConfig{
		Model:        offlineModel(),
		SystemPrompt: "You are a helpful assistant. Use the tools when they help; answer briefly.",
		Tools:        reg,
		Memory:       mem,
		Bank:         "mina",
		Recall:       memory.RecallOptions{Budget: memory.BudgetMid, MaxTokens: 512, MaxResults: 5},
	})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	agent, err := jt.New(compiled, "jedisos-react", jt.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	return agent, closeAll, nil
}

// converse runs one workflow per user turn, streaming its progress, and
// carries the conversation from each turn's final state to the next.
func converse(ctx context.Context, c client.Client, agent *jt.Graph[nodes.AgentState], taskQueue string, out io.Writer) error {
	var st nodes.AgentState
	conv := fmt.Sprintf("mina-%d", time.Now().UnixNano())
	for i, q := range questions {
		fmt.Fprintln(out)
		fmt.Fprintln(out, "user>", q)
		st.Messages = append(st.Messages[:len(st.Messages):len(st.Messages)], llm.User(q))
		run, err := agent.Start(ctx, c, client.StartWorkflowOptions{ID: fmt.Sprintf("%s-turn-%d", conv, i+1), TaskQueue: taskQueue}, st)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "workflow %s\n", run.ID())
		for ev, err := range run.Stream(ctx) {
			if err != nil {
				return err
			}
			switch ev.Kind {
			case graph.EventNodeEnd:
				fmt.Fprintf(out, "  step %d: activity %s done (wrote %s)\n", ev.Step, ev.Node, strings.Join(ev.Written, ", "))
			case graph.EventState:
				if m, ok := ev.State.Last(); ok && m.Role == llm.RoleAssistant && len(m.ToolCalls) > 0 {
					for _, tc := range m.ToolCalls {
						fmt.Fprintf(out, "  tool call: %s %s\n", tc.Name, tc.Arguments)
					}
				}
			}
		}
		if st, err = run.Result(ctx); err != nil {
			return err
		}
		status, err := run.Status(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "agent> %s\n", st.Answer())
		fmt.Fprintf(out, "  (%s after %d steps; %d messages in the conversation)\n", status.Phase, status.Step, len(st.Messages))
	}
	fmt.Fprintln(out)
	fmt.Fprintf(out, "usage: %d prompt + %d completion = %d tokens\n", st.Usage.PromptTokens, st.Usage.CompletionTokens, st.Usage.TotalTokens)
	return nil
}

type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}
