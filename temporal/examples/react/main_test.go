package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"
)

// TestOfflineConversationOnTemporal runs the example as a user would, on
// the in-process server, and checks what it prints.
func TestOfflineConversationOnTemporal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, config{namespace: "default", taskQueue: "react-test", role: "all", dataDir: t.TempDir()}, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	text := out.String()
	want := []string{
		"temporal: in-process server at 127.0.0.1:",
		"worker: polling task queue \"react-test\"",
		"user> Hi! I'm Mina.",
		"activity memory_recall done",
		"activity llm_reason done",
		"activity memory_retain done",
		"agent> Nice to meet you, Mina!",
		"(done after 3 steps; 2 messages in the conversation)",
		"user> Compare the weather in Seoul and Busan.",
		`tool call: get_weather {"city":"Seoul"}`,
		`tool call: get_weather {"city":"Busan"}`,
		"activity tool_exec done",
		"agent> Seoul is sunny at 15°C; Busan is cloudy at 18°C.",
		"user> Where do I live?",
		"step 0: activity memory_recall done (wrote Memories)",
		"agent> You live in Seoul",
		"usage:",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(text[at:], w)
		if i < 0 {
			t.Fatalf("missing %q after offset %d in output:\n%s", w, at, text)
		}
		at += i + len(w)
	}
	if testing.Verbose() {
		os.Stdout.WriteString(text)
	}
}

func TestRoleNeedsAServerAddress(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), config{role: "worker"}, &out)
	if err == nil || !strings.Contains(err.Error(), "need -hostport") {
		t.Fatalf("err = %v", err)
	}
	if err := run(context.Background(), config{role: "both"}, &out); err == nil || !strings.Contains(err.Error(), `-role "both"`) {
		t.Fatalf("err = %v", err)
	}
}
