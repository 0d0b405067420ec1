package graph_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type utf8State struct {
	Log []string `reduce:"append"`
}

// Interrupt payloads, resume values and Once results are saved exactly or
// refused: a string that is not valid UTF-8 is never rewritten silently.
func TestInvalidUTF8OutsideTheStateIsRefused(t *testing.T) {
	bad := "caf\xe9"
	ctx := context.Background()
	build := func(node func(context.Context, utf8State) (utf8State, error)) *graph.Compiled[utf8State] {
		t.Helper()
		g := graph.New[utf8State]()
		g.AddNode("n", node)
		g.AddEdge(graph.START, "n").AddEdge("n", graph.END)
		c, err := g.Compile(graph.WithCheckpointer(state.NewMemory()))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	payload := build(func(ctx context.Context, s utf8State) (utf8State, error) {
		_, err := graph.Interrupt[string](ctx, map[string]string{"question": bad})
		return s, err
	})
	_, err := payload.Invoke(ctx, utf8State{}, graph.Thread("p"))
	if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), "interrupt payload") {
		t.Fatalf("interrupt payload: %v", err)
	}

	once := build(func(ctx context.Context, s utf8State) (utf8State, error) {
		v, err := graph.Once(ctx, "charge", func(context.Context) (string, error) { return bad, nil })
		return utf8State{Log: []string{v}}, err
	})
	_, err = once.Invoke(ctx, utf8State{}, graph.Thread("o"))
	if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), "Once result") {
		t.Fatalf("Once result: %v", err)
	}

	answers := build(func(ctx context.Context, s utf8State) (utf8State, error) {
		a, err := graph.Interrupt[string](ctx, "name?")
		if err != nil {
			return s, err
		}
		return utf8State{Log: []string{a}}, nil
	})
	if _, err := answers.Invoke(ctx, utf8State{}, graph.Thread("r")); !errors.Is(err, graph.ErrInterrupted) {
		t.Fatalf("first run: %v", err)
	}
	_, err = answers.Invoke(ctx, utf8State{}, graph.Thread("r"), graph.Resume(bad))
	if !errors.Is(err, state.ErrInvalidUTF8) || !strings.Contains(err.Error(), "resume value") {
		t.Fatalf("resume value: %v", err)
	}
	// The interrupt is still pending and a valid answer goes through.
	out, err := answers.Invoke(ctx, utf8State{}, graph.Thread("r"), graph.Resume("café"))
	if err != nil || len(out.Log) != 1 || out.Log[0] != "café" {
		t.Fatalf("valid answer after the refused one: %+v %v", out, err)
	}
}
