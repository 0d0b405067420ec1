package graph

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	dg "github.com/dominikbraun/graph"

	"github.com/jedisos/jedisos/state"
)

// DefaultStepLimit is the step limit of a run unless WithStepLimit or
// StepLimit says otherwise.
const DefaultStepLimit = 1000

// CompileOption configures Compile.
type CompileOption func(*compileConfig)

type compileConfig struct {
	stepLimit   int
	stateOpts   []state.Option
	cp          state.Checkpointer
	durability  Durability
	breakBefore []string
	breakAfter  []string
	snapEvery   int
	errs        []string
	tracer      Tracer
}

// WithStepLimit sets the default step limit of the compiled graph's runs.
func WithStepLimit(n int) CompileOption {
	return func(c *compileConfig) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Sprintf("WithStepLimit(%d): the limit must be positive", n))
			return
		}
		c.stepLimit = n
	}
}

// WithStateOptions passes options, such as state.WithReducer, to the state
// merge plan.
func WithStateOptions(opts ...state.Option) CompileOption {
	return func(c *compileConfig) { c.stateOpts = append(c.stateOpts, opts...) }
}

type cedge[S any] struct {
	kind    edgeKind
	from    string
	targets []string
	tidx    []int // node index of each target, -1 for END
	one     func(S) string
	many    func(S) []string
	send    func(S) []Send[S]
}

type joinRef struct {
	join int
	bit  uint64
}

type cjoin struct {
	target  int
	sources []int
	all     uint64
}

type cnode[S any] struct {
	name    string
	fn      NodeFunc[S]
	retry   *RetryPolicy
	timeout time.Duration
	static  []int
	conds   []int
	joins   []joinRef
	// gotoT are the declared Command targets (Goto), gotoIdx their node
	// indexes (-1 for END).
	gotoT       []string
	gotoIdx     []int
	breakBefore bool
	breakAfter  bool
	// simple: exactly one static edge or one single-choice router, and no
	// join, so the next step is at most this one successor.
	simple bool
}

// Compiled is a validated graph, ready to run. It is immutable and safe for
// concurrent use by any number of runs.
type Compiled[S any] struct {
	nodes     []cnode[S]
	names     []string
	static    taskStatic
	byName    map[string]int
	entry     cnode[S] // edges out of START
	conds     []cedge[S]
	joins     []cjoin
	plan      *state.Plan[S]
	custom    bool // the plan has custom reducers
	stepLimit int
	width     int // a hint for the number of tasks in one step
	taskBufs  sync.Pool
	dur       *durable[S]
	// breaksBefore and breaksAfter are set when some node has a
	// breakpoint of the graph before or after it.
	breaksBefore, breaksAfter bool
	src                       *Graph[S] // for drawing
	tracer                    Tracer
}

// Compile validates g and returns the runnable graph. Every problem found —
// duplicate or reserved names, edges to unknown nodes, a missing entry, nodes
// unreachable from START, nodes that cannot reach END, a state type that
// cannot be merged (or, with a checkpointer, encoded) — is returned at once
// in a *CompileError.
func (g *Graph[S]) Compile(opts ...CompileOption) (*Compiled[S], error) {
	cfg := compileConfig{stepLimit: DefaultStepLimit}
	for _, o := range opts {
		o(&cfg)
	}
	var problems []Problem
	add := func(k ProblemKind, detail string, nodes ...string) {
		problems = append(problems, Problem{Kind: k, Nodes: nodes, Detail: detail})
	}
	for _, e := range cfg.errs {
		add(ProblemOption, e)
	}
	for _, d := range g.dups {
		add(ProblemDuplicateNode, "node declared more than once", d)
	}
	for _, n := range g.nodes {
		switch {
		case n.name == START || n.name == END:
			add(ProblemReservedName, "START and END cannot be node names", n.name)
		case n.name == "":
			add(ProblemReservedName, "node name is empty")
		}
		if n.fn == nil {
			add(ProblemNilFunc, "node function is nil", n.name)
		}
		if n.cfg.timeout < 0 {
			add(ProblemOption, "negative timeout", n.name)
		}
	}

	c := &Compiled[S]{byName: make(map[string]int, len(g.nodes)), stepLimit: cfg.stepLimit, src: g, tracer: cfg.tracer}
	for i, n := range g.nodes {
		c.byName[n.name] = i
		c.names = append(c.names, n.name)
		c.nodes = append(c.nodes, cnode[S]{name: n.name, fn: n.fn, retry: n.cfg.retry, timeout: n.cfg.timeout})
	}
	known := func(name string) bool { _, ok := c.byName[name]; return ok }
	src := func(name string) *cnode[S] {
		if name == START {
			return &c.entry
		}
		return &c.nodes[c.byName[name]]
	}

	vg := dg.New(dg.StringHash, dg.Directed())
	rg := dg.New(dg.StringHash, dg.Directed())
	for _, v := range append([]string{START, END}, nodeNames(g)...) {
		_ = vg.AddVertex(v)
		_ = rg.AddVertex(v)
	}
	link := func(from, to string) {
		if err := vg.AddEdge(from, to); err != nil && !errors.Is(err, dg.ErrEdgeAlreadyExists) {
			return
		}
		_ = rg.AddEdge(to, from)
	}

	for _, e := range g.edges {
		bad := false
		if e.from != START && !known(e.from) {
			add(ProblemUnknownNode, fmt.Sprintf("edge from unknown node %q", e.from), e.from)
			bad = true
		}
		if e.from == END {
			add(ProblemBadEdge, "an edge cannot leave END", END)
			bad = true
		}
		if e.kind == edgeGoto && len(e.to) == 0 {
			add(ProblemBadEdge, "Goto declares no targets", e.from)
			bad = true
		} else if e.kind != edgeStatic && len(e.to) == 0 {
			add(ProblemBadEdge, "conditional edge declares no targets", e.from)
			bad = true
		}
		if (e.kind == edgeRoute && e.one == nil) || (e.kind == edgeRoutes && e.many == nil) || (e.kind == edgeSend && e.send == nil) {
			add(ProblemNilFunc, "router function is nil", e.from)
			bad = true
		}
		tidx := make([]int, len(e.to))
		for i, t := range e.to {
			switch {
			case t == END:
				tidx[i] = -1
				if e.kind == edgeSend {
					add(ProblemBadEdge, "a fan-out cannot send to END", e.from)
					bad = true
				}
			case t == START:
				add(ProblemBadEdge, "an edge cannot enter START", e.from)
				bad = true
			case !known(t):
				add(ProblemUnknownNode, fmt.Sprintf("edge from %q to unknown node %q", e.from, t), t)
				bad = true
			default:
				tidx[i] = c.byName[t]
			}
		}
		if bad {
			continue
		}
		for _, t := range e.to {
			link(e.from, t)
		}
		n := src(e.from)
		if e.kind == edgeGoto {
			for i, t := range e.to {
				if !slices.Contains(n.gotoT, t) {
					n.gotoT = append(n.gotoT, t)
					n.gotoIdx = append(n.gotoIdx, tidx[i])
				}
			}
			continue
		}
		if e.kind == edgeStatic {
			if tidx[0] >= 0 && !slices.Contains(n.static, tidx[0]) {
				n.static = append(n.static, tidx[0])
			} else if tidx[0] < 0 {
				n.static = append(n.static, -1)
			}
			continue
		}
		n.conds = append(n.conds, len(c.conds))
		c.conds = append(c.conds, cedge[S]{kind: e.kind, from: e.from, targets: e.to, tidx: tidx, one: e.one, many: e.many, send: e.send})
	}
	for _, j := range g.joins {
		target := j.to[0]
		bad := false
		if !known(target) {
			add(ProblemUnknownNode, fmt.Sprintf("join into unknown node %q", target), target)
			bad = true
		}
		if len(j.joinSrc) == 0 || len(j.joinSrc) > 64 {
			add(ProblemBadEdge, fmt.Sprintf("a join needs 1 to 64 sources, got %d", len(j.joinSrc)), target)
			bad = true
		}
		for _, s := range j.joinSrc {
			if !known(s) {
				add(ProblemUnknownNode, fmt.Sprintf("join into %q from unknown node %q", target, s), s)
				bad = true
			}
		}
		if bad {
			continue
		}
		cj := cjoin{target: c.byName[target]}
		for i, s := range j.joinSrc {
			si := c.byName[s]
			cj.sources = append(cj.sources, si)
			cj.all |= 1 << uint(i)
			c.nodes[si].joins = append(c.nodes[si].joins, joinRef{join: len(c.joins), bit: 1 << uint(i)})
			link(s, target)
		}
		c.joins = append(c.joins, cj)
	}

	if len(c.entry.static) == 0 && len(c.entry.conds) == 0 {
		add(ProblemMissingEntry, "no edge leaves START; add graph.AddEdge(graph.START, \"first\")")
	} else {
		reach := map[string]bool{}
		_ = dg.BFS(vg, START, func(v string) bool { reach[v] = true; return false })
		for _, n := range g.nodes {
			if !reach[n.name] {
				add(ProblemUnreachable, "node cannot be reached from START", n.name)
			}
		}
	}
	toEnd := map[string]bool{}
	_ = dg.BFS(rg, END, func(v string) bool { toEnd[v] = true; return false })
	for _, n := range g.nodes {
		if !toEnd[n.name] {
			add(ProblemNoPathToEnd, "no path from this node reaches END", n.name)
		}
	}

	plan, err := state.NewPlan[S](cfg.stateOpts...)
	if err != nil {
		add(ProblemState, err.Error())
	}
	c.plan = plan
	c.custom = plan != nil && plan.HasCustom()
	c.static.names = c.names
	if plan != nil {
		c.static.fields = plan
	}

	for _, name := range cfg.breakBefore {
		if !known(name) {
			add(ProblemUnknownNode, fmt.Sprintf("breakpoint before unknown node %q", name), name)
		} else {
			c.nodes[c.byName[name]].breakBefore = true
			c.breaksBefore = true
		}
	}
	for _, name := range cfg.breakAfter {
		if !known(name) {
			add(ProblemUnknownNode, fmt.Sprintf("breakpoint after unknown node %q", name), name)
		} else {
			c.nodes[c.byName[name]].breakAfter = true
			c.breaksAfter = true
		}
	}
	if cfg.cp == nil && len(cfg.breakBefore)+len(cfg.breakAfter) > 0 {
		add(ProblemOption, "WithInterruptBefore and WithInterruptAfter pause the run, which needs WithCheckpointer")
	}
	if cfg.cp != nil && plan != nil {
		d, derr := newDurable[S](cfg, plan)
		if derr != nil {
			for _, p := range derr {
				add(ProblemState, p)
			}
		}
		c.dur = d
	}
	if len(problems) > 0 {
		return nil, &CompileError{Problems: problems}
	}
	c.entry.simple = len(c.entry.static) == 1 && c.entry.static[0] >= 0 && len(c.entry.conds) == 0
	for i := range c.nodes {
		n := &c.nodes[i]
		n.simple = len(n.joins) == 0 && len(n.static)+len(n.conds) == 1 && (len(n.conds) == 0 || c.conds[n.conds[0]].kind == edgeRoute)
	}
	c.width = width(&c.entry, c.conds)
	for i := range c.nodes {
		c.width = max(c.width, width(&c.nodes[i], c.conds))
	}
	return c, nil
}

func width[S any](n *cnode[S], conds []cedge[S]) int {
	w := len(n.joins) + len(n.gotoIdx)
	for _, t := range n.static {
		if t >= 0 {
			w++
		}
	}
	for _, ci := range n.conds {
		for _, t := range conds[ci].tidx {
			if t >= 0 {
				w++
			}
		}
	}
	return w
}

func nodeNames[S any](g *Graph[S]) []string {
	out := make([]string, len(g.nodes))
	for i, n := range g.nodes {
		out[i] = n.name
	}
	return out
}

// Nodes returns the node names in declaration order.
func (c *Compiled[S]) Nodes() []string {
	out := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = n.name
	}
	return out
}

// Plan returns the state merge plan worked out at Compile.
func (c *Compiled[S]) Plan() *state.Plan[S] { return c.plan }
