package memory_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jedisos/jedisos/memory"
	"github.com/tmc/langchaingo/embeddings"
)

func TestLLMExtractorOverOpenAIWire(t *testing.T) {
	srv, llm := newFakeOpenAI(t, `{"facts":[
		{"text":"Mina flew to Paris on 2025-04-15.","kind":"world","entities":["Mina","Paris"],"occurred_start":"2025-04-15"},
		{"text":"Mina missed her meeting with Jun.","kind":"world","entities":["Mina","Jun"],"occurred_start":"2025-04-15T09:00:00Z","occurred_end":"2025-04-15T10:00:00Z","caused_by":[0]},
		{"text":"The assistant suggested rebooking.","kind":"experience"}]}`)
	e := newEngine(t, memory.Config{Extractor: &memory.LLMExtractor{Model: llm}})
	r, err := e.Retain(context.Background(), "mina", "Yesterday Mina flew to Paris, so she missed the meeting with Jun. I suggested rebooking.",
		memory.RetainOptions{Context: "chat", Entities: []string{"Jun"}})
	if err != nil {
		t.Fatal(err)
	}
	ms := r.Memories
	if len(ms) != 3 {
		t.Fatalf("got %d memories", len(ms))
	}
	day := time.Date(2025, 4, 15, 0, 0, 0, 0, time.UTC)
	if !ms[0].OccurredStart.Equal(day) || !ms[0].OccurredEnd.Equal(day.Add(24*time.Hour-time.Nanosecond)) {
		t.Errorf("date-only range: %v - %v", ms[0].OccurredStart, ms[0].OccurredEnd)
	}
	if !slices.Contains(ms[1].Links, memory.Link{Target: ms[0].ID, Kind: memory.LinkCausal, Weight: 1}) {
		t.Errorf("causal link missing: %+v", ms[1].Links)
	}
	if ms[2].Kind != memory.KindExperience {
		t.Errorf("kind = %q", ms[2].Kind)
	}
	req := srv.request(t, 0)
	if rf, _ := req["response_format"].(map[string]any); rf["type"] != "json_object" {
		t.Errorf("request not in JSON mode: %v", req["response_format"])
	}
	msgs := messages(req)
	if len(msgs) != 2 || !strings.Contains(msgs[0], `"caused_by"`) || !strings.Contains(msgs[0], "2025-04-16T12:00:00Z") ||
		!strings.Contains(msgs[1], "Known entities: Jun") || !strings.Contains(msgs[1], "Context: chat") {
		t.Errorf("prompt: %q", msgs)
	}
}

func TestLLMExtractorRejectsBadReplies(t *testing.T) {
	for name, reply := range map[string]string{
		"not json":     `Sure! Here are the facts.`,
		"bad kind":     `{"facts":[{"text":"x","kind":"rumour"}]}`,
		"empty text":   `{"facts":[{"text":" ","kind":"world"}]}`,
		"bad date":     `{"facts":[{"text":"x","kind":"world","occurred_start":"last tuesday"}]}`,
		"future cause": `{"facts":[{"text":"x","kind":"world","caused_by":[0]}]}`,
		"confidence":   `{"facts":[{"text":"x","kind":"opinion","confidence":3}]}`,
	} {
		_, llm := newFakeOpenAI(t, reply)
		e := newEngine(t, memory.Config{Extractor: &memory.LLMExtractor{Model: llm}})
		_, err := e.Retain(context.Background(), "b", "content", memory.RetainOptions{})
		if !errors.Is(err, memory.ErrExtract) {
			t.Errorf("%s: err = %v, want ErrExtract", name, err)
		}
		if n, _ := e.Store().Count(context.Background(), "b", memory.Filter{}); n != 0 {
			t.Errorf("%s: stored %d memories", name, n)
		}
	}
}

func TestLLMExtractorErrorHidesKey(t *testing.T) {
	srv, llm := newFakeOpenAI(t)
	srv.status = http.StatusUnauthorized
	_, err := (&memory.LLMExtractor{Model: llm}).Extract(context.Background(), memory.ExtractRequest{Content: "x"})
	if err == nil || !errors.Is(err, memory.ErrExtract) {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "sk-secret-test-key") {
		t.Fatalf("error leaks the API key: %v", err)
	}
}

func TestLLMExtractorChunks(t *testing.T) {
	srv, llm := newFakeOpenAI(t,
		`{"facts":[{"text":"A one.","kind":"world"},{"text":"A two.","kind":"world","caused_by":[0]}]}`,
		`{"facts":[{"text":"B one.","kind":"world"},{"text":"B two.","kind":"world","caused_by":[0]}]}`)
	x := &memory.LLMExtractor{Model: llm, MaxChunk: 50}
	facts, err := x.Extract(context.Background(), memory.ExtractRequest{Content: "First sentence is here. Second sentence too. Third one follows now."})
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) != 4 || !slices.Equal(facts[3].CausedBy, []int{2}) || !slices.Equal(facts[1].CausedBy, []int{0}) {
		t.Fatalf("facts %+v", facts)
	}
	if len(srv.requests) != 2 {
		t.Fatalf("%d calls, want 2", len(srv.requests))
	}
}

func TestReflect(t *testing.T) {
	ctx := context.Background()
	srv, llm := newFakeOpenAI(t, "```json\n"+`{"answer":"Mina's cat is Bori.","used":[1],"opinion":"Mina loves her cat Bori.","confidence":0.8}`+"\n```")
	e := newEngine(t, memory.Config{Model: llm})
	if err := e.PutBank(ctx, memory.Bank{ID: "mina", Name: "Mina's assistant", Background: "Helps Mina, a designer in Seoul.",
		Disposition: memory.Disposition{Skepticism: 5, Literalism: 1, Empathy: 4}}); err != nil {
		t.Fatal(err)
	}
	retain(t, e, "mina", "Mina adopted a cat named Bori. Jun lives in Busan.", now)
	res, err := e.Reflect(ctx, "mina", "What is Mina's cat called?", memory.ReflectOptions{RetainOpinion: true, Context: "Mina asked about pets."})
	if err != nil {
		t.Fatal(err)
	}
	if res.Answer != "Mina's cat is Bori." || res.Confidence != 0.8 || len(res.Used) != 1 || res.Used[0] != res.Recall.Hits[0].Memory.ID {
		t.Fatalf("reflect = %+v", res)
	}
	if res.Retained == nil || res.Retained.Kind != memory.KindOpinion || res.Retained.Confidence != 0.8 ||
		res.Retained.Links[0] != (memory.Link{Target: res.Used[0], Kind: memory.LinkCausal, Weight: 1}) {
		t.Fatalf("retained opinion %+v", res.Retained)
	}
	got, _ := e.Store().Get(ctx, "mina", []string{res.Retained.ID})
	if len(got) != 1 || got[0].Text != "Mina loves her cat Bori." {
		t.Fatalf("opinion not stored: %+v", got)
	}
	msgs := messages(srv.request(t, 0))
	if !strings.Contains(msgs[0], "Helps Mina, a designer in Seoul.") || !strings.Contains(msgs[0], "skepticism very high") ||
		!strings.Contains(msgs[0], "literalism very low") || !strings.Contains(msgs[0], "empathy high") {
		t.Errorf("system prompt: %q", msgs[0])
	}
	if !strings.Contains(msgs[1], "[1] (world, 2025-04-16) Mina adopted a cat named Bori.") || !strings.Contains(msgs[1], "Mina asked about pets.") {
		t.Errorf("user prompt: %q", msgs[1])
	}
}

func TestReflectErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := newEngine(t, memory.Config{}).Reflect(ctx, "b", "q", memory.ReflectOptions{}); !errors.Is(err, memory.ErrInvalid) {
		t.Errorf("no model: %v", err)
	}
	for name, reply := range map[string]string{
		"cites missing memory": `{"answer":"x","used":[7]}`,
		"not json":             `I think so.`,
		"confidence":           `{"answer":"x","used":[],"confidence":-1}`,
	} {
		_, llm := newFakeOpenAI(t, reply)
		e := newEngine(t, memory.Config{Model: llm})
		retain(t, e, "b", "One fact here.", now)
		if _, err := e.Reflect(ctx, "b", "fact", memory.ReflectOptions{}); !errors.Is(err, memory.ErrExtract) {
			t.Errorf("%s: err = %v, want ErrExtract", name, err)
		}
	}
}

func TestLangchaingoEmbedderOverOpenAIWire(t *testing.T) {
	srv, llm := newFakeOpenAI(t)
	emb, err := embeddings.NewEmbedder(llm)
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, memory.Config{Embedder: emb})
	retain(t, e, "b", "Mina adopted a cat named Bori. Jun bought a bicycle.", now)
	res, err := e.Recall(context.Background(), "b", "Mina's cat", memory.RecallOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Hits) == 0 || res.Hits[0].Memory.Text != "Mina adopted a cat named Bori." || res.Hits[0].Ranks[memory.ArmSemantic] != 1 {
		t.Fatalf("recall with a provider embedder: %q %s", hitTexts(res), res.Hits[0].Provenance())
	}
	got, _ := e.Store().Get(context.Background(), "b", []string{res.Hits[0].Memory.ID})
	if len(got[0].Vector) != 64 {
		t.Fatalf("stored vector has %d dimensions, want the provider's 64", len(got[0].Vector))
	}
	if srv.embedCalls != 2 { // one batch for retain, one for the query
		t.Fatalf("embedding calls = %d, want 2", srv.embedCalls)
	}
}
