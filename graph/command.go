package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jedisos/jedisos/state"
)

// Command is what a command node (AddCommandNode) returns: its new state,
// as a NodeFunc returns it, and where the run goes next — LangGraph's
// Command(update=..., goto=...), typed.
type Command[S any] struct {
	// State is the node's result: the fields it changed relative to its
	// input are its writes, merged like any node's.
	State S
	// Goto names nodes (or END) to run in the next step, in addition to
	// what the node's edges pick. Each must be declared with Goto when the
	// node is added.
	Goto []string
	// Send adds one task per Send to the next step, each with its own
	// input (map-reduce). Each Send.Node must be declared with Goto.
	Send []Send[S]
	// Parent sends the command to the graph that runs this graph as a
	// node (AsNode, Subgraph): this graph's run stops at once, the node
	// running it in the parent returns State (mapped by Subgraph's out
	// function) as its result, and Goto and Send route the parent's next
	// step; they name the parent's nodes, declared with Goto on the node
	// that runs this graph. Sends cross only to a parent of the same state
	// type (AsNode).
	Parent bool
}

// CommandFunc is the work of a command node: it returns its result and
// where to go next.
type CommandFunc[S any] func(ctx context.Context, s S) (Command[S], error)

// Goto declares the nodes (END included) a node may route to with a
// Command, its own or one a subgraph it runs sends to its parent: Compile
// checks them and counts them as edges (reachability, drawing), and a
// Command naming an undeclared node is a *RouteError.
func Goto(targets ...string) NodeOption {
	return func(c *nodeConfig) {
		c.gotoTargets = append(c.gotoTargets, targets...)
		c.hasGoto = true
	}
}

// AddCommandNode declares a node whose function returns a Command: a
// state update plus where to go next. Declare its targets with Goto.
func (g *Graph[S]) AddCommandNode(name string, fn CommandFunc[S], opts ...NodeOption) *Graph[S] {
	var nf NodeFunc[S]
	if fn != nil {
		nf = func(ctx context.Context, s S) (S, error) {
			cmd, err := fn(ctx, s)
			if err != nil {
				return s, err
			}
			return applyCommand(ctx, cmd)
		}
	}
	return g.AddNode(name, nf, opts...)
}

// applyCommand records cmd's routing on the running task (or, for a
// Parent command, unwinds the graph's run) and returns its state.
func applyCommand[S any](ctx context.Context, cmd Command[S]) (S, error) {
	t := taskFrom(ctx)
	if t == nil {
		return cmd.State, errors.New("graph: a Command was returned outside a node")
	}
	if cmd.Parent {
		if !t.sub() {
			return cmd.State, fmt.Errorf("graph: node %q returned a Command for its parent graph, but its graph is not run as a node of another (AsNode, Subgraph)", t.prefix+t.name())
		}
		return cmd.State, &parentCommand{state: cmd.State, gotos: cmd.Goto, sends: cmd.Send, node: t.prefix + t.name()}
	}
	if len(cmd.Goto) > 0 || len(cmd.Send) > 0 {
		t.extOf().cmd = &cmdRoute{gotos: cmd.Goto, sends: cmd.Send}
	}
	return cmd.State, nil
}

// cmdRoute is the routing part of a Command, held by the task that
// returned it; sends is a []Send[S].
type cmdRoute struct {
	gotos []string
	sends any
}

// parentCommand unwinds a subgraph's run with a Command for the parent.
type parentCommand struct {
	state any
	gotos []string
	sends any
	node  string
}

func (p *parentCommand) Error() string {
	return fmt.Sprintf("graph: node %q sent a Command to the parent graph, but nothing ran this graph as a node to take it", p.node)
}

// takeParentCommand is the parent's side of a Command with Parent: if err
// carries one, it is recorded on the task running in ctx and its state
// returned (ok true). C is the inner graph's state type, P the parent's.
func takeParentCommand[P, C any](ctx context.Context, err error) (C, bool, error) {
	var zero C
	var pc *parentCommand
	if !errors.As(err, &pc) {
		return zero, false, err
	}
	st, ok := pc.state.(C)
	if !ok {
		return zero, false, err
	}
	var sends []Send[P]
	if pc.sends != nil {
		s, ok := pc.sends.([]Send[P])
		if !ok {
			if inner, isC := pc.sends.([]Send[C]); !isC || len(inner) > 0 {
				return zero, false, fmt.Errorf("graph: node %q sent a Command with Sends to a parent graph over another state type; Sends cross only between graphs of one state type (AsNode)", pc.node)
			}
		}
		sends = s
	}
	if t := taskFrom(ctx); t != nil && (len(pc.gotos) > 0 || len(sends) > 0) {
		t.extOf().cmd = &cmdRoute{gotos: pc.gotos, sends: sends}
	}
	return st, true, nil
}

// routeKey is the key under which a finished task's saved entry keeps the
// routing of its Command (among its Memos, which a finished task has no
// other use for).
const routeKey = "\x00graph:command"

type savedRoute struct {
	Goto []string    `json:"goto,omitempty"`
	Send []savedSend `json:"send,omitempty"`
}

type savedSend struct {
	Node  string          `json:"node"`
	Input json.RawMessage `json:"input"`
}

func encodeRoute[S any](c *Compiled[S], cmd *cmdRoute) (state.Memo, error) {
	sr := savedRoute{Goto: cmd.gotos}
	sends, _ := cmd.sends.([]Send[S])
	for i := range sends {
		b, err := c.plan.EncodeState(&sends[i].State)
		if err != nil {
			return state.Memo{}, fmt.Errorf("Command send to %q: %w", sends[i].Node, err)
		}
		sr.Send = append(sr.Send, savedSend{Node: sends[i].Node, Input: b})
	}
	b, err := json.Marshal(sr)
	if err != nil {
		return state.Memo{}, err
	}
	return state.Memo{Key: routeKey, Value: b}, nil
}

func decodeRoute[S any](c *Compiled[S], b []byte) (*cmdRoute, error) {
	var sr savedRoute
	if err := json.Unmarshal(b, &sr); err != nil {
		return nil, fmt.Errorf("saved Command: %w", err)
	}
	cmd := &cmdRoute{gotos: sr.Goto}
	var sends []Send[S]
	for _, s := range sr.Send {
		st, err := c.plan.DecodeState(s.Input)
		if err != nil {
			return nil, fmt.Errorf("saved Command send to %q: %w", s.Node, err)
		}
		sends = append(sends, Send[S]{Node: s.Node, State: st})
	}
	if sends != nil {
		cmd.sends = sends
	}
	return cmd, nil
}
