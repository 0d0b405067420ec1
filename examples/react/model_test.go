package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/llm"
	"github.com/jedisos/jedisos/llm/llmtest"
	"github.com/jedisos/jedisos/llm/router"
)

func clearKeys(t *testing.T) {
	for _, k := range []string{"ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY"} {
		t.Setenv(k, "")
	}
}

func TestChooseModelOffline(t *testing.T) {
	clearKeys(t)
	m, _, how, err := chooseModel(filepath.Join(t.TempDir(), "llm_config.yaml"))
	if err != nil || !strings.HasPrefix(how, "scripted") {
		t.Fatalf("how = %q, err = %v", how, err)
	}
	if _, ok := m.(*router.Router); ok {
		t.Fatal("offline choice is a Router")
	}
}

func TestChooseModelFromEnvironmentKey(t *testing.T) {
	clearKeys(t)
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "hello from the server"})
	t.Setenv("OPENAI_API_KEY", "sk-test")
	t.Setenv("OPENAI_API_BASE", srv.APIBase())
	m, group, how, err := chooseModel(filepath.Join(t.TempDir(), "llm_config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if how != "router over gpt-4o (keys from the environment)" || group != "fallback1" {
		t.Fatalf("how = %q, group = %q", how, group)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Model: group, Messages: []llm.Message{llm.User("hi")}})
	if err != nil || resp.Message.Content != "hello from the server" || srv.Count() != 1 {
		t.Fatalf("resp %+v, err %v, server saw %d requests", resp, err, srv.Count())
	}
}

func TestChooseModelFromConfigFile(t *testing.T) {
	clearKeys(t)
	srv := llmtest.NewOpenAI(t)
	srv.Enqueue(llmtest.Reply{Text: "configured"})
	path := filepath.Join(t.TempDir(), "llm_config.yaml")
	cfg := "model_list:\n  - model_name: main\n    litellm_params:\n      model: openai/gpt-4o\n      api_base: " + srv.APIBase() + "\n      api_key: sk-test\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	m, _, how, err := chooseModel(path)
	if err != nil || how != "router from "+path {
		t.Fatalf("how = %q, err = %v", how, err)
	}
	resp, err := m.Complete(context.Background(), &llm.Request{Messages: []llm.Message{llm.User("hi")}})
	if err != nil || resp.Message.Content != "configured" {
		t.Fatalf("resp %+v, err %v", resp, err)
	}
}
