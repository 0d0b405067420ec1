// Command mcp runs the ReAct agent with tools that come from an MCP server:
// the program starts itself a second time as a local MCP server (stdio)
// offering get_weather and convert_temperature, connects to it, registers
// its tools under the prefix "wx_", and lets the agent call them. Offline:
// the model is a scripted stand-in (not a language model).
//
//	go run ./examples/mcp
//
// To use another MCP server, replace the command given to ConnectCommand
// (for example exec.Command("npx", "-y", "@modelcontextprotocol/server-filesystem", dir))
// or connect over streamable HTTP with mcp.ConnectHTTP(ctx, url, opts).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"strings"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
	"github.com/jedisos/jedisos/nodes"
	"github.com/jedisos/jedisos/tools"
	"github.com/jedisos/jedisos/tools/mcp"
)

func main() {
	serve := flag.Bool("serve", false, "serve the weather tools over MCP on stdin/stdout instead of running the agent")
	flag.Parse()
	ctx := context.Background()
	if *serve {
		if err := mcp.NewServer(weatherTools(), mcp.ServerOptions{Name: "weather"}).ServeStdio(ctx); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

// WeatherArgs are get_weather's parameters.
type WeatherArgs struct {
	City string `json:"city" jsonschema:"description=the city, e.g. Seoul"`
}

// ConvertArgs are convert_temperature's parameters.
type ConvertArgs struct {
	Celsius float64 `json:"celsius" jsonschema:"description=temperature in degrees Celsius"`
}

// weatherTools is what the MCP server process offers: ordinary jedisos
// tools declared from Go structs.
func weatherTools() *tools.Registry {
	table := map[string]int{"seoul": 15, "busan": 18}
	w, err := tools.New("get_weather", "Current temperature of a city in Celsius.", func(_ context.Context, in WeatherArgs) (string, error) {
		t, ok := table[strings.ToLower(in.City)]
		if !ok {
			return "", fmt.Errorf("no weather data for %q; known cities: Seoul, Busan", in.City)
		}
		return fmt.Sprintf(`{"city":%q,"celsius":%d}`, in.City, t), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := tools.New("convert_temperature", "Converts Celsius to Fahrenheit.", func(_ context.Context, in ConvertArgs) (string, error) {
		return fmt.Sprintf("%.1f", in.Celsius*9/5+32), nil
	})
	if err != nil {
		log.Fatal(err)
	}
	reg, err := tools.NewRegistry(tools.Config{}, w, c)
	if err != nil {
		log.Fatal(err)
	}
	return reg
}

func run(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	client, err := mcp.ConnectCommand(ctx, exec.Command(self, "-serve"), mcp.Options{Name: "weather", Prefix: "wx_"})
	if err != nil {
		return err
	}
	defer client.Close()
	reg := &tools.Registry{}
	if err := client.Register(reg); err != nil {
		return err
	}
	fmt.Println("tools from MCP server", client.Name()+":", strings.Join(reg.Names(), ", "))

	agent, err := nodes.NewReAct(nodes.ReActConfig{
		Model:        llm.FromLangchain(scripted.NewFunc(brain, scripted.Loop()), "scripted", "scripted-mcp"),
		ModelName:    "scripted",
		SystemPrompt: "Use the tools to answer.",
		Tools:        reg,
	})
	if err != nil {
		return err
	}
	q := "How warm is it in Seoul, in Fahrenheit?"
	fmt.Println("user>", q)
	kinds := graph.EventCustom | graph.EventState
	var final nodes.AgentState
	for ev, err := range agent.Stream(ctx, nodes.AgentState{Messages: []llm.Message{llm.User(q)}}, graph.Only(kinds)) {
		if err != nil {
			return err
		}
		if te, ok := ev.Payload.(nodes.ToolEvent); ok {
			fmt.Printf("tool %s -> %s\n", te.Name, te.Content)
		}
		if ev.Kind == graph.EventState {
			final = ev.State
		}
	}
	msgs := final.Messages
	fmt.Println("agent>", msgs[len(msgs)-1].Content)
	return nil
}

// brain is the scripted model: weather first, then the conversion, then
// the answer from both results.
func brain(msgs []llm.Message) scripted.Reply {
	var results []string
	for _, m := range msgs {
		if m.Role == llm.RoleTool {
			results = append(results, m.Content)
		}
	}
	switch len(results) {
	case 0:
		return scripted.Reply{ToolCalls: []llm.ToolCall{{Name: "wx_get_weather", Arguments: `{"city":"Seoul"}`}}}
	case 1:
		var w struct{ Celsius float64 }
		if err := json.Unmarshal([]byte(results[0]), &w); err != nil {
			return scripted.Reply{Text: "The weather server said: " + results[0]}
		}
		return scripted.Reply{ToolCalls: []llm.ToolCall{{Name: "wx_convert_temperature", Arguments: fmt.Sprintf(`{"celsius":%g}`, w.Celsius)}}}
	default:
		return scripted.Reply{Text: fmt.Sprintf("It is %s°F in Seoul right now.", results[1])}
	}
}
