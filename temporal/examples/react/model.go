package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/scripted"
)

// offlineModel is the scripted stand-in for a language model: fixed rules,
// the same answer every time.
func offlineModel() llm.Completer {
	return llm.FromLangchain(scripted.NewFunc(rules), "scripted", "scripted-react")
}

func rules(msgs []llm.Message) scripted.Reply {
	last := msgs[len(msgs)-1]
	if last.Role == llm.RoleTool {
		var parts []string
		for i := len(msgs) - 1; i >= 0 && msgs[i].Role == llm.RoleTool; i-- {
			var w Weather
			if err := json.Unmarshal([]byte(msgs[i].Content), &w); err != nil || w.Location == "" {
				parts = append(parts, msgs[i].Content)
				continue
			}
			parts = append([]string{fmt.Sprintf("%s is %s at %d°C", w.Location, w.Condition, w.Temperature)}, parts...)
		}
		return scripted.Reply{Text: strings.Join(parts, "; ") + "."}
	}
	q := ""
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.RoleUser {
			q = strings.ToLower(msgs[i].Content)
			break
		}
	}
	if strings.Contains(q, "weather") {
		var calls []llm.ToolCall
		for _, city := range []string{"Seoul", "Busan", "Tokyo"} {
			if strings.Contains(q, strings.ToLower(city)) {
				args, _ := json.Marshal(WeatherInput{City: city})
				calls = append(calls, llm.ToolCall{Name: "get_weather", Arguments: string(args)})
			}
		}
		if len(calls) > 0 {
			return scripted.Reply{ToolCalls: calls}
		}
	}
	if strings.Contains(q, "where do i live") {
		// Recalled memories reach the model in its system messages.
		for _, m := range msgs {
			if m.Role == llm.RoleSystem && strings.Contains(m.Content, "Seoul") {
				return scripted.Reply{Text: "You live in Seoul (from what you told me earlier)."}
			}
		}
		return scripted.Reply{Text: "I don't know yet."}
	}
	return scripted.Reply{Text: "Nice to meet you, Mina! I'll remember that."}
}
