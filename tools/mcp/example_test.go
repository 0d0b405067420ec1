package mcp_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
	"github.com/jedisos/jedisos/tools/mcp"
)

// A registry of Go-struct tools served over streamable HTTP, and the same
// tools imported into another registry through an MCP client, under a
// prefix.
func Example() {
	ctx := context.Background()
	type In struct {
		City string `json:"city" jsonschema:"description=the city"`
	}
	weather, _ := tools.New("get_weather", "Current weather of a city.", func(_ context.Context, in In) (string, error) {
		return "sunny in " + in.City, nil
	})
	local, _ := tools.NewRegistry(tools.Config{}, weather)
	hs := httptest.NewServer(mcp.NewServer(local, mcp.ServerOptions{Name: "weather"}).Handler())
	defer hs.Close()
	defer hs.CloseClientConnections()

	client, err := mcp.ConnectHTTP(ctx, hs.URL, mcp.Options{Name: "weather", Prefix: "w_"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	agentTools := &tools.Registry{}
	if err := client.Register(agentTools); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(agentTools.Names())
	res := agentTools.Execute(ctx, llm.ToolCall{ID: "call_1", Name: "w_get_weather", Arguments: `{"city":"Seoul"}`})
	fmt.Println(res.Content)
	res = agentTools.Execute(ctx, llm.ToolCall{ID: "call_2", Name: "w_get_weather", Arguments: `{}`})
	fmt.Println(res.Err != nil)
	// Output:
	// [w_get_weather]
	// sunny in Seoul
	// true
}
