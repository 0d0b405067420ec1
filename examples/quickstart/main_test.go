package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm/llmtest"
)

// The README's "An agent in thirty lines" block is this program, byte for
// byte, so what the README prints compiles and runs.
func TestREADMEBlockIsMainGo(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## An agent in thirty lines\n")
	if !ok {
		t.Fatal(`README.md has no "## An agent in thirty lines" section`)
	}
	_, block, ok := strings.Cut(section, "```go\n")
	if !ok {
		t.Fatal("the section has no ```go block")
	}
	block, _, ok = strings.Cut(block, "```\n")
	if !ok {
		t.Fatal("the ```go block is not closed")
	}
	if block != string(src) {
		t.Fatalf("README.md's block differs from examples/quickstart/main.go; copy main.go into the README.\n--- README\n%s\n--- main.go\n%s", block, src)
	}
}

// run runs the program in dir and returns what it printed.
func run(t *testing.T, dir string) string {
	t.Helper()
	t.Chdir(dir)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	out := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		out <- b.String()
	}()
	main()
	w.Close()
	return <-out
}

func clearKeys(t *testing.T) {
	for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
		"OPENAI_API_BASE", "OPENAI_BASE_URL", "ANTHROPIC_API_BASE", "GEMINI_API_BASE", "OLLAMA_API_BASE", "OLLAMA_HOST"} {
		t.Setenv(k, "")
	}
}

// No llm_config.yaml and no keys: the scripted stand-in answers, offline.
func TestOffline(t *testing.T) {
	clearKeys(t)
	got := run(t, t.TempDir())
	if !strings.HasPrefix(got, "It is sunny in Seoul, 15°C. ") {
		t.Fatalf("printed %q", got)
	}
}

// The guide's llm_config.yaml (claude -> gpt -> gemini -> ollama) with
// only OPENAI_API_KEY set: the Router skips the deployments without keys
// and the agent answers through gpt, tool call included.
func TestGuideConfigWithOnlyOneKey(t *testing.T) {
	clearKeys(t)
	srv := llmtest.NewOpenAI(t)
	srv.RequireKey("sk-quickstart-test")
	srv.Enqueue(
		llmtest.Reply{ToolCalls: []llmtest.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"location":"Seoul"}`}},
			Usage: llmtest.Usage{Prompt: 80, Completion: 12}},
		llmtest.Reply{Text: "Sunny in Seoul, 15°C (from gpt).", Usage: llmtest.Usage{Prompt: 120, Completion: 9}},
	)
	t.Setenv("OPENAI_API_KEY", "sk-quickstart-test")
	t.Setenv("OPENAI_API_BASE", srv.APIBase())
	t.Setenv("OLLAMA_API_BASE", llmtest.ClosedURL(t))
	cfg, err := os.ReadFile("../../llm/router/testdata/llm_config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "llm_config.yaml"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	got := run(t, dir)
	if !strings.HasPrefix(got, "Sunny in Seoul, 15°C (from gpt). 221 ") || srv.Count() != 2 {
		t.Fatalf("printed %q; the server saw %d requests", got, srv.Count())
	}
	reqs := srv.Requests()
	if reqs[1].JSON["model"] != "gpt-5.2" || !strings.Contains(string(reqs[1].Body), "Seoul: sunny, 15°C") {
		t.Fatalf("second request %s", reqs[1].Body)
	}
}
