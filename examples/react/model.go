package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/router"
	"github.com/jedisos/jedisos/llm/scripted"
)

// chooseModel picks what answers: the router of llm_config.yaml when the
// file exists, else a router over the guide's chain restricted to the
// providers whose keys are set, else the offline scripted model. It
// returns the model, the group to ask for, and a sentence saying which.
func chooseModel(configPath string) (llm.Completer, string, string, error) {
	if _, err := os.Stat(configPath); err == nil {
		r, err := router.NewFromFile(configPath)
		if err != nil {
			return nil, "", "", err
		}
		return r, "", "router from " + configPath, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, "", "", err
	}

	// The guide's default chain, each link used only when its key is set.
	chain := []struct{ group, model, env string }{
		{"primary", "claude-sonnet-4-5", "ANTHROPIC_API_KEY"},
		{"fallback1", "gpt-4o", "OPENAI_API_KEY"},
		{"fallback2", "gemini/gemini-2.5-flash", "GEMINI_API_KEY"},
	}
	var cfg router.Config
	var names []string
	for _, c := range chain {
		if os.Getenv(c.env) == "" && !(c.env == "GEMINI_API_KEY" && os.Getenv("GOOGLE_API_KEY") != "") {
			continue
		}
		cfg.Deployments = append(cfg.Deployments, router.Deployment{Group: c.group, Params: llm.Params{Model: c.model}})
		names = append(names, c.model)
	}
	if len(cfg.Deployments) > 0 {
		groups := make([]string, 0, len(cfg.Deployments))
		for _, d := range cfg.Deployments[1:] {
			groups = append(groups, d.Group)
		}
		first := cfg.Deployments[0].Group
		cfg.Fallbacks = map[string][]string{first: groups}
		r, err := router.New(cfg)
		if err != nil {
			return nil, "", "", err
		}
		return r, first, "router over " + strings.Join(names, " -> ") + " (keys from the environment)", nil
	}

	m := scripted.NewFunc(offlineBrain)
	return llm.FromLangchain(m, "scripted", "scripted-react"), "",
		"scripted (offline, deterministic; set ANTHROPIC_API_KEY, OPENAI_API_KEY or GEMINI_API_KEY, or write llm_config.yaml, to use real providers)", nil
}

// offlineBrain is the scripted model's script. It is a fixed set of rules,
// not a language model: it asks for the weather of the cities a question
// names, searches when asked to, answers from tool results, and answers
// personal questions from the recalled memories the agent put in its
// system messages.
func offlineBrain(msgs []llm.Message) scripted.Reply {
	last := msgs[len(msgs)-1]
	if last.Role == llm.RoleTool {
		return scripted.Reply{Text: answerFromTools(msgs)}
	}
	q := ""
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == llm.RoleUser {
			q = msgs[i].Content
			break
		}
	}
	lq := strings.ToLower(q)
	var calls []llm.ToolCall
	if strings.Contains(lq, "weather") || strings.Contains(q, "날씨") {
		for _, city := range [][2]string{{"seoul", "Seoul"}, {"서울", "Seoul"}, {"busan", "Busan"}, {"부산", "Busan"}, {"tokyo", "Tokyo"}} {
			if strings.Contains(lq, city[0]) && !hasCall(calls, city[1]) {
				args, _ := json.Marshal(map[string]string{"location": city[1] + ", South Korea", "unit": "celsius"})
				calls = append(calls, llm.ToolCall{Name: "get_weather", Arguments: string(args)})
			}
		}
	}
	if strings.HasPrefix(lq, "search") {
		query := strings.TrimSpace(q[len("search"):])
		if strings.HasPrefix(strings.ToLower(query), "the web for") {
			query = strings.TrimSpace(query[len("the web for"):])
		}
		args, _ := json.Marshal(map[string]string{"query": query})
		calls = append(calls, llm.ToolCall{Name: "search_web", Arguments: string(args)})
	}
	if len(calls) > 0 {
		return scripted.Reply{ToolCalls: calls}
	}
	if strings.Contains(lq, "where do i live") {
		return scripted.Reply{Text: answerFromMemory(msgs)}
	}
	return scripted.Reply{Text: "Nice to meet you, Mina! I'll remember that."}
}

func hasCall(calls []llm.ToolCall, city string) bool {
	for _, c := range calls {
		if strings.Contains(c.Arguments, city) {
			return true
		}
	}
	return false
}

func answerFromTools(msgs []llm.Message) string {
	var parts []string
	for i := len(msgs) - 1; i >= 0 && msgs[i].Role == llm.RoleTool; i-- {
		var w struct {
			Location    string `json:"location"`
			Condition   string `json:"condition"`
			Temperature int    `json:"temperature"`
			Unit        string `json:"unit"`
		}
		var rs []struct {
			Title string `json:"title"`
			URL   string `json:"url"`
		}
		switch {
		case json.Unmarshal([]byte(msgs[i].Content), &w) == nil && w.Location != "":
			parts = append([]string{fmt.Sprintf("%s is %s at %d°%s", w.Location, w.Condition, w.Temperature, unitSymbol(w.Unit))}, parts...)
		case json.Unmarshal([]byte(msgs[i].Content), &rs) == nil && len(rs) > 0:
			parts = append([]string{fmt.Sprintf("the top result is %q (%s)", rs[0].Title, rs[0].URL)}, parts...)
		default:
			parts = append([]string{"a tool failed: " + msgs[i].Content}, parts...)
		}
	}
	return "Here is what I found: " + strings.Join(parts, "; ") + "."
}

func answerFromMemory(msgs []llm.Message) string {
	for _, m := range msgs {
		if m.Role != llm.RoleSystem || !strings.Contains(m.Content, "memories") {
			continue
		}
		// Recalled memories are whole retained turns; quote the sentence
		// that answers.
		for _, line := range strings.Split(m.Content, "\n") {
			for _, sentence := range strings.SplitAfter(line, ". ") {
				if strings.Contains(sentence, "Seoul") && strings.Contains(sentence, "celsius") {
					return "You told me: " + strings.TrimSpace(sentence)
				}
			}
		}
	}
	return "I don't remember yet."
}

func unitSymbol(unit string) string {
	if unit == "fahrenheit" {
		return "F"
	}
	return "C"
}
