package main

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jedisos/jedisos/llm"
)

func TestOneLineCutsWholeCharacters(t *testing.T) {
	long := strings.Repeat("날씨", 100)
	got := oneLine(long)
	if !utf8.ValidString(got) || !strings.HasSuffix(got, "...") || utf8.RuneCountInString(got) != 120 {
		t.Fatalf("oneLine = %q (valid %v, %d runes)", got, utf8.ValidString(got), utf8.RuneCountInString(got))
	}
	if got := oneLine("a\nb"); got != "a b" {
		t.Fatalf("oneLine(a\\nb) = %q", got)
	}
}

func TestOfflineBrainShortSearch(t *testing.T) {
	for _, q := range []string{"search", "Search cats", "Search the web for Go generics"} {
		r := offlineBrain([]llm.Message{llm.User(q)})
		if len(r.ToolCalls) != 1 || r.ToolCalls[0].Name != "search_web" {
			t.Fatalf("%q: reply %+v", q, r)
		}
	}
	r := offlineBrain([]llm.Message{llm.User("Search the web for Go generics")})
	if r.ToolCalls[0].Arguments != `{"query":"Go generics"}` {
		t.Fatalf("arguments = %s", r.ToolCalls[0].Arguments)
	}
	// A tool result without a unit still reads as Celsius.
	ans := answerFromTools([]llm.Message{llm.User("x"), llm.ToolResult("c", "get_weather", `{"location":"Seoul","condition":"sunny","temperature":15}`)})
	if ans != "Here is what I found: Seoul is sunny at 15°C." {
		t.Fatalf("answer = %q", ans)
	}
}
