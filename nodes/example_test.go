package nodes_test

import (
	"context"
	"fmt"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/nodes"
	"github.com/jedisos/jedisos/tools"
)

type WeatherIn struct {
	Location string `json:"location" jsonschema_description:"City, e.g. Seoul"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
}

// A ReAct agent with a typed tool and long-term memory. The scripted model
// stands in for the Router so the example runs offline.
func Example() {
	ctx := context.Background()
	weather, _ := tools.New("get_weather", "Current weather of a city",
		func(ctx context.Context, in WeatherIn) (string, error) { return in.Location + ": sunny, 15°C", nil })
	reg, _ := tools.NewRegistry(tools.Config{}, weather)

	mem, _ := memory.New(memory.Config{}) // embedded store, offline embedder
	defer mem.Close()
	mem.Retain(ctx, "mina", "Mina lives in Seoul.", memory.RetainOptions{})

	model := scripted.New([]scripted.Reply{
		{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}}},
		{Text: "It is sunny in Seoul, 15°C."},
	})
	agent, err := nodes.NewReAct(nodes.ReActConfig{
		Model: llm.FromLangchain(model, "scripted", "demo"), // normally a *router.Router
		Tools: reg, Memory: mem, Bank: "mina",
	})
	if err != nil {
		panic(err)
	}
	answer, st, err := nodes.Ask(ctx, agent, nodes.AgentState{}, "What's the weather where I live?")
	if err != nil {
		panic(err)
	}
	fmt.Println("recalled:", st.Memories[0].Text)
	fmt.Println("tool:", st.Messages[2].Content)
	fmt.Println("answer:", answer)
	// Output:
	// recalled: Mina lives in Seoul.
	// tool: Seoul: sunny, 15°C
	// answer: It is sunny in Seoul, 15°C.
}
