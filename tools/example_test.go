package tools_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

// WeatherArgs are the arguments of get_weather.
type WeatherArgs struct {
	Location string `json:"location" jsonschema:"description=City and country\\, e.g. Seoul\\, South Korea"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit,description=Temperature unit"`
}

// Weather is what get_weather returns.
type Weather struct {
	Location string `json:"location"`
	Temp     int    `json:"temp"`
	Unit     string `json:"unit"`
}

func getWeather(_ context.Context, in WeatherArgs) (Weather, error) {
	if in.Unit == "fahrenheit" {
		return Weather{in.Location, 59, "fahrenheit"}, nil
	}
	return Weather{in.Location, 15, "celsius"}, nil
}

func ExampleNew() {
	weather, err := tools.New("get_weather", "Look up the current weather of a place", getWeather)
	if err != nil {
		fmt.Println(err)
		return
	}
	var schema map[string]any
	_ = json.Unmarshal(weather.Schema(), &schema)
	out, _ := json.MarshalIndent(schema, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "additionalProperties": false,
	//   "properties": {
	//     "location": {
	//       "description": "City and country, e.g. Seoul, South Korea",
	//       "type": "string"
	//     },
	//     "unit": {
	//       "description": "Temperature unit",
	//       "enum": [
	//         "celsius",
	//         "fahrenheit"
	//       ],
	//       "type": "string"
	//     }
	//   },
	//   "required": [
	//     "location"
	//   ],
	//   "type": "object"
	// }
}

func ExampleRegistry_Execute() {
	weather, _ := tools.New("get_weather", "Look up the current weather of a place", getWeather)
	reg, _ := tools.NewRegistry(tools.Config{}, weather)

	ok := reg.Execute(context.Background(), llm.ToolCall{ID: "call_1", Name: "get_weather",
		Arguments: `{"location":"Seoul, South Korea"}`})
	fmt.Println(ok.Content)

	bad := reg.Execute(context.Background(), llm.ToolCall{ID: "call_2", Name: "get_weather",
		Arguments: `{"city":"Busan","unit":"kelvin"}`})
	fmt.Println(bad.Content)
	// Output:
	// {"location":"Seoul, South Korea","temp":15,"unit":"celsius"}
	// Error: the arguments for tool "get_weather" do not match its parameter schema:
	// - /city: unknown property; the allowed properties are location, unit
	// - /location: required property is missing
	// - /unit: value must be one of "celsius", "fahrenheit"; got "kelvin"
	// Fix the arguments and call the tool again.
}

func ExampleRegistry_RunTurn() {
	weather, _ := tools.New("get_weather", "Look up the current weather of a place", getWeather)
	reg, _ := tools.NewRegistry(tools.Config{MaxConcurrency: 4}, weather)

	// One assistant turn asking for three calls; the results come back in
	// call order, ready to append to the conversation.
	turn := []llm.ToolCall{
		{ID: "call_a", Name: "get_weather", Arguments: `{"location":"Seoul"}`},
		{ID: "call_b", Name: "get_weather", Arguments: `{"location":"Busan","unit":"fahrenheit"}`},
		{ID: "call_c", Name: "get_forecast", Arguments: `{}`},
	}
	results, err := reg.RunTurn(context.Background(), turn)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range tools.Messages(results) {
		fmt.Printf("%s %s: %s\n", m.Role, m.ToolCallID, m.Content)
	}
	// Output:
	// tool call_a: {"location":"Seoul","temp":15,"unit":"celsius"}
	// tool call_b: {"location":"Busan","temp":59,"unit":"fahrenheit"}
	// tool call_c: Error: there is no tool named "get_forecast". Available tools: get_weather. Call one of them by its exact name.
}

func ExampleNewNoArgs() {
	clock, _ := tools.NewNoArgs("current_time", "The current time in UTC", func(context.Context) (string, error) {
		return "2025-03-01T09:30:00Z", nil
	})
	// Models send "" or "{}" for tools without parameters.
	fmt.Println(clock.Execute(context.Background(), llm.ToolCall{ID: "c", Name: "current_time"}).Content)
	fmt.Println(string(clock.Schema()))
	// Output:
	// 2025-03-01T09:30:00Z
	// {"properties":{},"additionalProperties":false,"type":"object"}
}

func ExampleNewRaw() {
	// A tool defined at run time, for instance from a plugin's manifest.
	schema := []byte(`{"type":"object","properties":{"text":{"type":"string","minLength":1}},"required":["text"]}`)
	upper, err := tools.NewRaw("shout", "Upper-cases text", schema,
		func(_ context.Context, args json.RawMessage) (string, error) {
			var in struct{ Text string }
			if err := json.Unmarshal(args, &in); err != nil {
				return "", err
			}
			return strings.ToUpper(in.Text), nil
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(upper.Execute(context.Background(), llm.ToolCall{Name: "shout", Arguments: `{"text":"hello"}`}).Content)
	fmt.Println(upper.Execute(context.Background(), llm.ToolCall{Name: "shout", Arguments: `{"text":""}`}).Err)
	// Output:
	// HELLO
	// tools: tool "shout": invalid arguments: /text: must be at least 1 characters long; got 0
}

func ExampleTool_LLMTool() {
	weather, _ := tools.New("get_weather", "Look up the current weather of a place", getWeather)
	tool, err := weather.LLMTool(tools.Strict())
	if err != nil {
		fmt.Println(err)
		return
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(tool)
	// Output:
	// {
	//   "type": "function",
	//   "function": {
	//     "name": "get_weather",
	//     "description": "Look up the current weather of a place",
	//     "parameters": {
	//       "additionalProperties": false,
	//       "properties": {
	//         "location": {
	//           "description": "City and country, e.g. Seoul, South Korea",
	//           "type": "string"
	//         },
	//         "unit": {
	//           "description": "Temperature unit",
	//           "enum": [
	//             "celsius",
	//             "fahrenheit",
	//             null
	//           ],
	//           "type": [
	//             "string",
	//             "null"
	//           ]
	//         }
	//       },
	//       "required": [
	//         "location",
	//         "unit"
	//       ],
	//       "type": "object"
	//     },
	//     "strict": true
	//   }
	// }
}

func ExampleRegistry_Select() {
	weather, _ := tools.New("get_weather", "Look up the current weather of a place", getWeather)
	clock, _ := tools.NewNoArgs("current_time", "The current time in UTC", func(context.Context) (string, error) {
		return "09:30", nil
	})
	reg, _ := tools.NewRegistry(tools.Config{}, weather, clock)
	if err := reg.Register(clock); err != nil {
		fmt.Println(err)
	}
	only, _ := reg.Select("current_time")
	exported, _ := only.LLMTools()
	fmt.Println(reg.Names(), only.Names(), len(exported), exported[0].Function.Name)
	_, err := reg.Select("get_wether")
	fmt.Println(err)
	// Output:
	// tools: a tool named "current_time" is already registered
	// [get_weather current_time] [current_time] 1 current_time
	// tools: unknown tool "get_wether" (available: get_weather, current_time)
}

func ExampleWithTimeout() {
	slow, _ := tools.NewNoArgs("slow_report", "Builds a long report", func(ctx context.Context) (string, error) {
		select {
		case <-ctx.Done(): // a well-behaved tool stops when its context ends
			return "", ctx.Err()
		case <-time.After(time.Minute):
			return "report", nil
		}
	}, tools.WithTimeout(10*time.Millisecond))
	res := slow.Execute(context.Background(), llm.ToolCall{ID: "c1", Name: "slow_report"})
	fmt.Println(res.Content)
	fmt.Println(errors.Is(res.Err, tools.ErrTimeout), errors.Is(res.Err, context.DeadlineExceeded))
	// Output:
	// Error: tool "slow_report" did not finish within 10ms and was stopped.
	// true true
}

func ExampleValidationError() {
	weather, _ := tools.New("get_weather", "Look up the current weather of a place", getWeather)
	res := weather.Execute(context.Background(), llm.ToolCall{Name: "get_weather", Arguments: `{"location":7,"unit":"K"}`})
	var ve *tools.ValidationError
	if errors.As(res.Err, &ve) {
		for _, v := range ve.Violations {
			fmt.Printf("%s | %s\n", v.Path, v.Message)
		}
	}
	// Output:
	// /location | expected string, got number
	// /unit | value must be one of "celsius", "fahrenheit"; got "K"
}

func ExampleWithMaxOutputBytes() {
	logs, _ := tools.NewNoArgs("read_logs", "Returns the service log", func(context.Context) (string, error) {
		return strings.Repeat("GET /health 200\n", 20), nil // 320 bytes
	}, tools.WithMaxOutputBytes(100))
	res := logs.Execute(context.Background(), llm.ToolCall{ID: "c1", Name: "read_logs"})
	fmt.Println(res.Truncated, len(res.Content))
	fmt.Println(res.Content)
	// Output:
	// true 99
	// GET /health 200
	// GET /health 200
	// GET /health 200
	// GET /heal
	// [output truncated: 57 of 320 bytes shown]
}

func ExampleWithMaxArgumentBytes() {
	type saveArgs struct {
		Text string `json:"text"`
	}
	save, _ := tools.New("save_note", "Saves a note", func(ctx context.Context, in saveArgs) (string, error) {
		return "saved", nil
	}, tools.WithMaxArgumentBytes(64))
	res := save.Execute(context.Background(), llm.ToolCall{ID: "c1", Name: "save_note",
		Arguments: `{"text":"` + strings.Repeat("a", 100) + `"}`})
	fmt.Println(errors.Is(res.Err, tools.ErrArgumentsTooLarge))
	fmt.Println(res.Content)
	// Output:
	// true
	// Error: the arguments for tool "save_note" are 111 bytes long, over the limit of 64 bytes, and were not read. Send shorter arguments: pass large content by reference (a path, id or URL) or split the work into several calls.
}
