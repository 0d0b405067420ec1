package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jedisos/jedisos/tools"
)

// WeatherInput is get_weather's arguments, as in the guide's tool
// definition.
type WeatherInput struct {
	Location string `json:"location" jsonschema_description:"City and country, e.g. 'Seoul, South Korea'"`
	Unit     string `json:"unit,omitempty" jsonschema:"enum=celsius,enum=fahrenheit,description=Temperature unit"`
}

// Weather is get_weather's result.
type Weather struct {
	Location    string `json:"location"`
	Condition   string `json:"condition"`
	Temperature int    `json:"temperature"`
	Unit        string `json:"unit"`
}

// SearchInput is search_web's arguments.
type SearchInput struct {
	Query string `json:"query" jsonschema:"description=Search query"`
}

// SearchResult is one web result.
type SearchResult struct {
	Title   string `json:"title"`
	URL     string `json:"url"`
	Snippet string `json:"snippet"`
}

// The example's tools answer from fixed tables so it runs offline; a real
// program would call a weather service and a search engine here.
var weatherTable = map[string]Weather{
	"seoul": {Location: "Seoul, South Korea", Condition: "sunny", Temperature: 15},
	"busan": {Location: "Busan, South Korea", Condition: "cloudy", Temperature: 18},
	"tokyo": {Location: "Tokyo, Japan", Condition: "rain", Temperature: 12},
}

func getWeather(_ context.Context, in WeatherInput) (Weather, error) {
	key := strings.ToLower(strings.TrimSpace(strings.Split(in.Location, ",")[0]))
	switch key {
	case "서울":
		key = "seoul"
	case "부산":
		key = "busan"
	}
	w, ok := weatherTable[key]
	if !ok {
		return Weather{}, fmt.Errorf("no weather station for %q (known: Seoul, Busan, Tokyo)", in.Location)
	}
	w.Unit = "celsius"
	if in.Unit == "fahrenheit" {
		w.Temperature = w.Temperature*9/5 + 32
		w.Unit = "fahrenheit"
	}
	return w, nil
}

func searchWeb(_ context.Context, in SearchInput) ([]SearchResult, error) {
	return []SearchResult{{
		Title:   "jedisos: LLM agents as typed state graphs in Go",
		URL:     "https://example.com/jedisos",
		Snippet: "Compose agent graphs in Go, register typed tools, recall long-term memory. Query: " + in.Query,
	}}, nil
}

func newTools() (*tools.Registry, error) {
	weather, err := tools.New("get_weather", "Get the current weather of a location", getWeather)
	if err != nil {
		return nil, err
	}
	search, err := tools.New("search_web", "Search the web", searchWeb)
	if err != nil {
		return nil, err
	}
	return tools.NewRegistry(tools.Config{}, weather, search)
}
