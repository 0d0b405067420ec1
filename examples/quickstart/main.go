package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/llm/scripted"
	"github.com/jedisos/jedisos/memory"
	"github.com/jedisos/jedisos/nodes"
	"github.com/jedisos/jedisos/tools"
)

type WeatherIn struct {
	Location string `json:"location" jsonschema_description:"City, e.g. Seoul"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit"`
}

func main() {
	ctx := context.Background()
	weather, _ := tools.New("get_weather", "Current weather of a city",
		func(ctx context.Context, in WeatherIn) (string, error) { return in.Location + ": sunny, 15°C", nil })
	reg, _ := tools.NewRegistry(tools.Config{}, weather)

	mem, _ := memory.New(memory.Config{}) // embedded store, offline embedder
	defer mem.Close()
	mem.Retain(ctx, "mina", "Mina lives in Seoul.", memory.RetainOptions{})

	// primary -> fallbacks; a model without its key is skipped
	var model llm.Completer
	rt, err := router.NewFromFile("llm_config.yaml")
	switch {
	case err == nil:
		model = rt
	case errors.Is(err, os.ErrNotExist): // offline: a scripted stand-in
		model = llm.FromLangchain(scripted.New([]scripted.Reply{
			{ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}}},
			{Text: "It is sunny in Seoul, 15°C."}}), "scripted", "offline")
	default:
		log.Fatal(err)
	}
	agent, err := nodes.NewReAct(nodes.ReActConfig{
		Model: model, Tools: reg, Memory: mem, Bank: "mina",
		SystemPrompt: "You are a helpful assistant.",
	})
	if err != nil {
		log.Fatal(err)
	}
	answer, st, err := nodes.Ask(ctx, agent, nodes.AgentState{}, "What's the weather where I live?")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(answer, st.Usage.TotalTokens, st.Cost)
}
