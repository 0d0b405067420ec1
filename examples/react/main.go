// Command react is jedisos's main example: a ReAct agent with the weather
// and web-search tools of the user's LiteLLM guide, long-term memory and
// durable checkpoints.
//
// With no keys and no llm_config.yaml it runs offline on the embedded
// defaults: a scripted model (a deterministic stand-in that follows a fixed
// ReAct script; it is not a language model), the embedded memory store and
// SQLite checkpoints. With an llm_config.yaml in the working directory, or
// provider keys in the environment, it uses real providers through the
// fallback Router instead, and says which.
//
//	go run ./examples/react
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/nodes"
	"github.com/jedisos/jedisos/state/sqlite"
)

func main() {
	dataDir := flag.String("data", "", "directory for the memory file and the checkpoint database (default: a new temporary directory)")
	config := flag.String("config", "llm_config.yaml", "router configuration used when the file exists")
	flag.Parse()
	if err := run(context.Background(), *dataDir, *config); err != nil {
		log.Fatal(err)
	}
}

// The conversation the example holds: the user introduces themself, asks
// the guide's weather comparison (two tool calls in one turn), searches
// the web, then asks something only memory can answer.
var questions = []string{
	"Hi! I'm Mina. I live in Seoul and I prefer celsius.",
	"서울과 부산 날씨를 비교해줘",
	"Search the web for jedisos typed state graphs.",
	"Where do I live, and which unit do I like?",
}

func run(ctx context.Context, dataDir, configPath string) error {
	if dataDir == "" {
		dir, err := os.MkdirTemp("", "jedisos-react-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dataDir = dir
	}

	model, modelName, how, err := chooseModel(configPath)
	if err != nil {
		return err
	}
	fmt.Println("model:", how)

	reg, err := newTools()
	if err != nil {
		return err
	}

	store, err := memory.OpenEmbedded(memory.EmbeddedOptions{Path: filepath.Join(dataDir, "memory.jsonl")})
	if err != nil {
		return err
	}
	mem, err := memory.New(memory.Config{Store: store})
	if err != nil {
		return err
	}
	defer mem.Close()
	defer store.Close()

	checkpoints, err := sqlite.Open(filepath.Join(dataDir, "checkpoints.db"))
	if err != nil {
		return err
	}
	defer checkpoints.Close()

	agent, err := nodes.NewReAct(nodes.ReActConfig{
		Model:        model,
		ModelName:    modelName,
		SystemPrompt: "You are a helpful assistant. Use the tools when they help; answer briefly.",
		Tools:        reg,
		Memory:       mem,
		Bank:         "mina",
		Recall:       memory.RecallOptions{Budget: memory.BudgetMid, MaxTokens: 512, MaxResults: 5},
		Checkpointer: checkpoints,
	})
	if err != nil {
		return err
	}
	fmt.Println("memory: embedded store; checkpoints: SQLite (thread \"mina\")")
	fmt.Println()

	var total llm.Usage
	var cost float64
	for _, q := range questions {
		fmt.Println("user>", q)
		in := nodes.AgentState{Messages: []llm.Message{llm.User(q)}}
		out, err := turn(ctx, agent, in)
		if err != nil {
			return err
		}
		total, cost = out.Usage, out.Cost
		fmt.Println()
	}

	hist, err := agent.History(ctx, "mina", graph.HistoryOptions{})
	if err != nil {
		return err
	}
	n, err := store.Count(ctx, "mina", memory.Filter{})
	if err != nil {
		return err
	}
	fmt.Printf("usage: %d prompt + %d completion = %d tokens, cost $%.6f\n", total.PromptTokens, total.CompletionTokens, total.TotalTokens, cost)
	fmt.Printf("memories in bank \"mina\": %d; checkpoints in thread \"mina\": %d\n", n, len(hist))
	return nil
}

// turn runs one turn on the "mina" thread, streaming the agent's progress:
// recalled memories, tool calls and results, and the answer's tokens.
func turn(ctx context.Context, agent *graph.Compiled[nodes.AgentState], in nodes.AgentState) (nodes.AgentState, error) {
	var out nodes.AgentState
	streaming := false
	kinds := graph.EventNodeEnd | graph.EventToken | graph.EventCustom | graph.EventState
	for ev, err := range agent.Stream(ctx, in, graph.Thread("mina"), graph.Only(kinds)) {
		if err != nil {
			return out, err
		}
		switch ev.Kind {
		case graph.EventToken:
			if !streaming {
				fmt.Print("agent> ")
				streaming = true
			}
			fmt.Print(ev.Token)
		case graph.EventCustom:
			if te, ok := ev.Payload.(nodes.ToolEvent); ok {
				status := "ok"
				if te.Err != nil {
					status = "error"
				}
				fmt.Printf("  tool result %s (%s): %s\n", te.Name, status, oneLine(te.Content))
			}
		case graph.EventNodeEnd:
			switch ev.Node {
			case nodes.NodeMemoryRecall:
				for _, m := range ev.State.Memories {
					fmt.Printf("  recalled [%s]: %s\n", m.FoundBy, m.Text)
				}
			case nodes.NodeLLMReason:
				if m, ok := ev.State.Last(); ok {
					for _, tc := range m.ToolCalls {
						fmt.Printf("  tool call %s %s\n", tc.Name, tc.Arguments)
					}
				}
			case nodes.NodeMemoryRetain:
				fmt.Println("  (turn retained in memory)")
			}
		case graph.EventState:
			out = ev.State
		}
		if streaming && ev.Kind != graph.EventToken {
			fmt.Println()
			streaming = false
		}
	}
	if streaming {
		fmt.Println()
	}
	if out.Answer() == "" {
		return out, nodes.ErrNoAnswer
	}
	return out, nil
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if r := []rune(s); len(r) > 120 {
		s = string(r[:117]) + "..."
	}
	return s
}
