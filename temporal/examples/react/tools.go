package main

import (
	"context"
	"fmt"

	"github.com/jedisos/jedisos/tools"
)

// WeatherInput is get_weather's arguments.
type WeatherInput struct {
	City string `json:"city" jsonschema:"description=City name, e.g. Seoul"`
}

// Weather is get_weather's result.
type Weather struct {
	Location    string `json:"location"`
	Condition   string `json:"condition"`
	Temperature int    `json:"temperature_c"`
}

// A fixed table keeps the example offline; a real tool calls a service.
var stations = map[string]Weather{
	"Seoul": {Location: "Seoul", Condition: "sunny", Temperature: 15},
	"Busan": {Location: "Busan", Condition: "cloudy", Temperature: 18},
	"Tokyo": {Location: "Tokyo", Condition: "rainy", Temperature: 12},
}

func newTools() (*tools.Registry, error) {
	weather, err := tools.New("get_weather", "Current weather of a city", func(_ context.Context, in WeatherInput) (Weather, error) {
		w, ok := stations[in.City]
		if !ok {
			return Weather{}, fmt.Errorf("no weather station for %q (known: Seoul, Busan, Tokyo)", in.City)
		}
		return w, nil
	})
	if err != nil {
		return nil, err
	}
	return tools.NewRegistry(tools.Config{}, weather)
}
