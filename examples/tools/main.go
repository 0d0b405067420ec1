// Command tools declares the get_weather and search_web tools as typed Go
// functions, prints the schemas generated for them, and runs a valid call,
// an invalid one and a whole assistant turn, offline.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/tools"
)

// WeatherArgs are get_weather's parameters.
type WeatherArgs struct {
	Location string `json:"location" jsonschema:"description=도시\\, 국가 (예: 'Seoul\\, South Korea')"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit,description=온도 단위"`
}

// Weather is get_weather's answer.
type Weather struct {
	Location  string `json:"location"`
	Condition string `json:"weather"`
	Temp      int    `json:"temp"`
	Unit      string `json:"unit"`
}

// SearchArgs are search_web's parameters.
type SearchArgs struct {
	Query string `json:"query" jsonschema:"description=검색 쿼리"`
}

// A fixed table stands in for a weather service so the program runs offline.
var stations = map[string]Weather{
	"seoul": {Condition: "sunny", Temp: 15},
	"busan": {Condition: "cloudy", Temp: 18},
}

func getWeather(_ context.Context, in WeatherArgs) (Weather, error) {
	city := strings.ToLower(strings.TrimSpace(strings.Split(in.Location, ",")[0]))
	w, ok := stations[city]
	if !ok {
		return Weather{}, fmt.Errorf("no weather data for %q; known cities: Seoul, Busan", in.Location)
	}
	w.Location, w.Unit = in.Location, "celsius"
	if in.Unit == "fahrenheit" {
		w.Temp, w.Unit = w.Temp*9/5+32, "fahrenheit"
	}
	return w, nil
}

func searchWeb(_ context.Context, in SearchArgs) (string, error) {
	return fmt.Sprintf("1 result for %q: jedisos - typed state graphs for LLM agents in Go", in.Query), nil
}

func main() {
	weather, err := tools.New("get_weather", "특정 위치의 날씨를 조회한다", getWeather)
	if err != nil {
		log.Fatal(err)
	}
	search, err := tools.New("search_web", "웹에서 정보를 검색한다", searchWeb)
	if err != nil {
		log.Fatal(err)
	}
	reg, err := tools.NewRegistry(tools.Config{MaxConcurrency: 4}, weather, search)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	fmt.Println("== tools offered to the model")
	offered, err := reg.LLMTools()
	if err != nil {
		log.Fatal(err)
	}
	printJSON(offered)

	fmt.Println("\n== a valid call")
	res := reg.Execute(ctx, llm.ToolCall{ID: "call_1", Name: "get_weather", Arguments: `{"location":"Seoul, South Korea"}`})
	printJSON(res.Message())

	fmt.Println("\n== an invalid call, and what the model reads back")
	res = reg.Execute(ctx, llm.ToolCall{ID: "call_2", Name: "get_weather", Arguments: `{"city":"Busan","unit":"kelvin"}`})
	fmt.Println(res.Content)
	fmt.Println("caller sees:", res.Err)

	fmt.Println("\n== one assistant turn with six calls, answered in call order")
	turn := []llm.ToolCall{
		{ID: "call_a", Name: "get_weather", Arguments: `{"location":"Seoul"}`},
		{ID: "call_b", Name: "get_weather", Arguments: `{"location":"Busan","unit":"fahrenheit"}`},
		{ID: "call_c", Name: "search_web", Arguments: `{"query":"jedisos"}`},
		{ID: "call_d", Name: "get_weather", Arguments: `{"location":"Jeju"}`},
		{ID: "call_e", Name: "get_weather", Arguments: `{"location":"Daegu"`},
		{ID: "call_f", Name: "get_wether", Arguments: `{"location":"Daegu"}`},
	}
	results, err := reg.RunTurn(ctx, turn)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Printf("[%s] %s\n", r.CallID, r.Content)
	}

	fmt.Println("\n== strict mode parameters of get_weather")
	strict, err := weather.LLMTool(tools.Strict())
	if err != nil {
		log.Fatal(err)
	}
	printJSON(strict.Function.Parameters)
}

func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		log.Fatal(err)
	}
}
