package graph_test

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jedisos/jedisos/graph"
	"github.com/jedisos/jedisos/state"
)

type Chat struct {
	Messages []string `reduce:"append"`
	Turns    int
}

func ExampleGraph_Compile() {
	g := graph.New[Chat]()
	g.AddNode("greet", func(_ context.Context, s Chat) (Chat, error) {
		s.Messages = append(s.Messages, "hello")
		return s, nil
	})
	g.AddNode("answer", func(_ context.Context, s Chat) (Chat, error) {
		s.Messages = append(s.Messages, "how can I help?")
		return s, nil
	})
	g.AddEdge(graph.START, "greet").AddEdge("greet", "answer").AddEdge("answer", graph.END)
	c, err := g.Compile()
	if err != nil {
		panic(err)
	}
	out, err := c.Invoke(context.Background(), Chat{})
	fmt.Println(out.Messages, err)
	// Output: [hello how can I help?] <nil>
}

func ExampleGraph_AddConditionalEdge() {
	g := graph.New[Chat]()
	g.AddNode("think", func(_ context.Context, s Chat) (Chat, error) {
		s.Turns++
		s.Messages = append(s.Messages, fmt.Sprintf("thought %d", s.Turns))
		return s, nil
	})
	g.AddEdge(graph.START, "think")
	g.AddConditionalEdge("think", func(s Chat) string {
		if s.Turns < 3 {
			return "think"
		}
		return graph.END
	}, "think", graph.END)
	c, _ := g.Compile()
	out, _ := c.Invoke(context.Background(), Chat{})
	fmt.Println(out.Messages)
	// Output: [thought 1 thought 2 thought 3]
}

type Doc struct {
	Text    string
	Chunk   string
	Lengths []int `reduce:"append"`
	Total   int
}

func ExampleGraph_AddFanOut() {
	g := graph.New[Doc]()
	g.AddNode("split", func(_ context.Context, s Doc) (Doc, error) { return s, nil })
	g.AddNode("measure", func(_ context.Context, s Doc) (Doc, error) {
		s.Lengths = append(s.Lengths, len(s.Chunk))
		return s, nil
	})
	g.AddNode("reduce", func(_ context.Context, s Doc) (Doc, error) {
		for _, n := range s.Lengths {
			s.Total += n
		}
		return s, nil
	})
	g.AddEdge(graph.START, "split")
	g.AddFanOut("split", func(s Doc) []graph.Send[Doc] {
		var sends []graph.Send[Doc]
		for _, w := range strings.Fields(s.Text) {
			sends = append(sends, graph.Send[Doc]{Node: "measure", State: Doc{Chunk: w}})
		}
		return sends
	}, "measure")
	g.AddEdge("measure", "reduce").AddEdge("reduce", graph.END)
	c, _ := g.Compile()
	out, _ := c.Invoke(context.Background(), Doc{Text: "map reduce in go"})
	fmt.Println(out.Lengths, out.Total)
	// Output: [3 6 2 2] 13
}

func ExampleGraph_AddJoin() {
	g := graph.New[Chat]()
	say := func(word string) graph.NodeFunc[Chat] {
		return func(_ context.Context, s Chat) (Chat, error) {
			s.Messages = append(s.Messages, word)
			return s, nil
		}
	}
	g.AddNode("search", say("search"))
	g.AddNode("fetch", say("fetch"))
	g.AddNode("parse", say("parse"))
	g.AddNode("write", say("write"))
	g.AddEdge(graph.START, "search").AddEdge(graph.START, "fetch").AddEdge("fetch", "parse")
	g.AddJoin("write", "search", "parse") // waits for both
	g.AddEdge("write", graph.END)
	c, _ := g.Compile()
	out, _ := c.Invoke(context.Background(), Chat{})
	fmt.Println(out.Messages)
	// Output: [search fetch parse write]
}

func ExampleCompiled_Stream() {
	g := graph.New[Chat]()
	g.AddNode("llm", func(ctx context.Context, s Chat) (Chat, error) {
		var reply strings.Builder
		for _, tok := range []string{"Hel", "lo", "!"} {
			graph.EmitToken(ctx, tok)
			reply.WriteString(tok)
		}
		s.Messages = append(s.Messages, reply.String())
		return s, nil
	})
	g.AddEdge(graph.START, "llm").AddEdge("llm", graph.END)
	c, _ := g.Compile()
	for ev, err := range c.Stream(context.Background(), Chat{}, graph.Only(graph.EventToken|graph.EventState)) {
		if err != nil {
			panic(err)
		}
		switch ev.Kind {
		case graph.EventToken:
			fmt.Printf("token %q from %s\n", ev.Token, ev.Node)
		case graph.EventState:
			fmt.Println("state", ev.State.Messages)
		}
	}
	// Output:
	// token "Hel" from llm
	// token "lo" from llm
	// token "!" from llm
	// state [Hello!]
}

func ExampleSubgraph() {
	type Inner struct{ Words []string }
	ig := graph.New[Inner]()
	ig.AddNode("upper", func(_ context.Context, s Inner) (Inner, error) {
		for i, w := range s.Words {
			s.Words[i] = strings.ToUpper(w)
		}
		return s, nil
	})
	ig.AddEdge(graph.START, "upper").AddEdge("upper", graph.END)
	inner, _ := ig.Compile()

	g := graph.New[Chat]()
	g.AddNode("shout", graph.Subgraph(inner,
		func(s Chat) Inner { return Inner{Words: append([]string(nil), s.Messages...)} },
		func(s Chat, in Inner) Chat { s.Messages = append(s.Messages, strings.Join(in.Words, " ")); return s }))
	g.AddEdge(graph.START, "shout").AddEdge("shout", graph.END)
	c, _ := g.Compile()
	out, _ := c.Invoke(context.Background(), Chat{Messages: []string{"hi", "there"}})
	fmt.Println(out.Messages)
	// Output: [hi there HI THERE]
}

func ExampleCompiled_Mermaid() {
	g := graph.New[Chat]()
	g.AddNode("agent", func(_ context.Context, s Chat) (Chat, error) { return s, nil })
	g.AddNode("tools", func(_ context.Context, s Chat) (Chat, error) { return s, nil })
	g.AddEdge(graph.START, "agent")
	g.AddConditionalEdge("agent", func(Chat) string { return graph.END }, "tools", graph.END)
	g.AddEdge("tools", "agent")
	c, _ := g.Compile()
	fmt.Print(c.Mermaid())
	// Output:
	// flowchart TD
	// 	__start__([START])
	// 	agent
	// 	tools
	// 	__end__([END])
	// 	__start__ --> agent
	// 	agent -.-> tools
	// 	agent -.-> __end__
	// 	tools --> agent
}

func ExampleCompileError() {
	g := graph.New[Chat]()
	g.AddNode("a", func(_ context.Context, s Chat) (Chat, error) { return s, nil })
	g.AddEdge("a", "b")
	_, err := g.Compile()
	var ce *graph.CompileError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// unknown node [b]: edge from "a" to unknown node "b"
	// missing entry: no edge leaves START; add graph.AddEdge(graph.START, "first")
	// no path to END [a]: no path from this node reaches END
}

func ExampleWithRetry() {
	attempts := 0
	g := graph.New[Chat]()
	g.AddNode("flaky", func(_ context.Context, s Chat) (Chat, error) {
		attempts++
		if attempts < 3 {
			// Only transient failures are retried by default.
			return s, graph.Retryable(errors.New("temporarily unavailable"))
		}
		s.Messages = append(s.Messages, "ok")
		return s, nil
	}, graph.WithRetry(graph.RetryPolicy{MaxAttempts: 5, InitialInterval: 1}))
	g.AddEdge(graph.START, "flaky").AddEdge("flaky", graph.END)
	c, _ := g.Compile()
	out, err := c.Invoke(context.Background(), Chat{})
	fmt.Println(out.Messages, attempts, err)
	// Output: [ok] 3 <nil>
}

func ExampleWithStateOptions() {
	type Scores struct{ Best int }
	g := graph.New[Scores]()
	for i, v := range []int{4, 9, 2} {
		name := fmt.Sprintf("judge%d", i)
		g.AddNode(name, func(_ context.Context, s Scores) (Scores, error) { s.Best = v; return s, nil })
		g.AddEdge(graph.START, name).AddEdge(name, graph.END)
	}
	c, _ := g.Compile(graph.WithStateOptions(state.WithReducer("Best", func(acc, w int) int { return max(acc, w) })))
	out, _ := c.Invoke(context.Background(), Scores{})
	fmt.Println(out.Best)
	// Output: 9
}
