package graph

import (
	"context"
	"time"
)

// START is the virtual node a run begins at: edges from START name the
// nodes of the first step.
const START = "__start__"

// END is the virtual node that ends a branch of the run. The run finishes
// when a step triggers no further node.
const END = "__end__"

// NodeFunc is the work of one node: it receives the state and returns the new
// state. In a step with several nodes every node receives the same snapshot,
// and the fields each one changed are merged (see package state). A node must
// not mutate maps, slices or pointed-to values of its input in place; it
// assigns new values (append to a slice is fine).
type NodeFunc[S any] func(ctx context.Context, s S) (S, error)

// Send asks for one run of Node with its own input State, for map-reduce
// fan-out: a fan-out router returns one Send per branch.
type Send[S any] struct {
	Node  string
	State S
}

// NodeOption configures one node.
type NodeOption func(*nodeConfig)

type nodeConfig struct {
	retry       *RetryPolicy
	timeout     time.Duration
	gotoTargets []string
	hasGoto     bool
}

// WithRetry makes the node retry failed attempts under policy p.
func WithRetry(p RetryPolicy) NodeOption {
	return func(c *nodeConfig) { c.retry = &p }
}

// WithTimeout bounds every attempt of the node to d: the node's context is
// cancelled when d elapses and the attempt fails with a *TimeoutError.
func WithTimeout(d time.Duration) NodeOption {
	return func(c *nodeConfig) { c.timeout = d }
}

type nodeDef[S any] struct {
	name string
	fn   NodeFunc[S]
	cfg  nodeConfig
}

type edgeKind uint8

const (
	edgeStatic edgeKind = iota
	edgeRoute           // router returns one name
	edgeRoutes          // router returns several names
	edgeSend            // router returns Sends
	edgeGoto            // a node's declared Command targets
)

type edgeDef[S any] struct {
	kind    edgeKind
	from    string
	to      []string // static: one target; conditional: declared targets
	one     func(S) string
	many    func(S) []string
	send    func(S) []Send[S]
	joinSrc []string // join edges: all sources; to[0] is the target
}

// Graph is a graph under construction. Its methods record declarations and
// never fail; Compile checks everything at once. A Graph is not safe for
// concurrent use.
type Graph[S any] struct {
	nodes []nodeDef[S]
	edges []edgeDef[S]
	joins []edgeDef[S]
	names map[string]int
	dups  []string
}

// New returns an empty graph over state type S.
func New[S any]() *Graph[S] {
	return &Graph[S]{names: map[string]int{}}
}

// AddNode declares a node. Names must be unique and not START or END.
func (g *Graph[S]) AddNode(name string, fn NodeFunc[S], opts ...NodeOption) *Graph[S] {
	if _, dup := g.names[name]; dup {
		g.dups = append(g.dups, name)
		return g
	}
	d := nodeDef[S]{name: name, fn: fn}
	for _, o := range opts {
		o(&d.cfg)
	}
	g.names[name] = len(g.nodes)
	g.nodes = append(g.nodes, d)
	if d.cfg.hasGoto {
		g.edges = append(g.edges, edgeDef[S]{kind: edgeGoto, from: name, to: d.cfg.gotoTargets})
	}
	return g
}

// AddEdge makes to run in the step after from. from may be START; to may be END.
func (g *Graph[S]) AddEdge(from, to string) *Graph[S] {
	g.edges = append(g.edges, edgeDef[S]{kind: edgeStatic, from: from, to: []string{to}})
	return g
}

// AddJoin makes to run once every one of from has finished (in this step or
// earlier ones since the join last fired): a barrier. Only the join's own
// firing starts a new count; to running through another edge does not, as
// in LangGraph.
func (g *Graph[S]) AddJoin(to string, from ...string) *Graph[S] {
	g.joins = append(g.joins, edgeDef[S]{kind: edgeStatic, to: []string{to}, joinSrc: append([]string(nil), from...)})
	return g
}

// AddConditionalEdge routes from from to the one node route returns, which
// must be one of targets (END included if the route may end the run).
func (g *Graph[S]) AddConditionalEdge(from string, route func(S) string, targets ...string) *Graph[S] {
	g.edges = append(g.edges, edgeDef[S]{kind: edgeRoute, from: from, to: targets, one: route})
	return g
}

// AddConditionalEdges routes from from to every node route returns (they run
// in parallel in the next step); each must be one of targets.
func (g *Graph[S]) AddConditionalEdges(from string, route func(S) []string, targets ...string) *Graph[S] {
	g.edges = append(g.edges, edgeDef[S]{kind: edgeRoutes, from: from, to: targets, many: route})
	return g
}

// AddFanOut routes from from to one run per Send that route returns, each
// with its own input state (map-reduce). Every Send.Node must be one of
// targets. The branches' writes merge like any parallel step's.
func (g *Graph[S]) AddFanOut(from string, route func(S) []Send[S], targets ...string) *Graph[S] {
	g.edges = append(g.edges, edgeDef[S]{kind: edgeSend, from: from, to: targets, send: route})
	return g
}
