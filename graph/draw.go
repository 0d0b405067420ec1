package graph

import (
	"fmt"
	"regexp"
	"strings"
)

var plainID = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func mermaidID(name string) string {
	// "end" closes a subgraph in Mermaid, so it cannot be a node id.
	if plainID.MatchString(name) && name != "end" {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if r < 128 && (r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, "_%x_", r)
		}
	}
	return "n_" + b.String()
}

// Mermaid draws the graph as a Mermaid flowchart: solid arrows for static
// edges, thick arrows for joins (labelled with all their sources), dotted
// arrows to every declared target of a conditional edge, dotted arrows
// labelled "send" for fan-outs and "goto" for declared Command targets.
func (c *Compiled[S]) Mermaid() string {
	g := c.src
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	fmt.Fprintf(&b, "\t%s([START])\n", START)
	for _, n := range g.nodes {
		id := mermaidID(n.name)
		if id == n.name {
			fmt.Fprintf(&b, "\t%s\n", id)
		} else {
			fmt.Fprintf(&b, "\t%s[%q]\n", id, n.name)
		}
	}
	fmt.Fprintf(&b, "\t%s([END])\n", END)
	for _, e := range g.edges {
		from := mermaidID(e.from)
		switch e.kind {
		case edgeStatic:
			fmt.Fprintf(&b, "\t%s --> %s\n", from, mermaidID(e.to[0]))
		case edgeSend:
			for _, t := range e.to {
				fmt.Fprintf(&b, "\t%s -. send .-> %s\n", from, mermaidID(t))
			}
		case edgeGoto:
			for _, t := range e.to {
				fmt.Fprintf(&b, "\t%s -. goto .-> %s\n", from, mermaidID(t))
			}
		default:
			for _, t := range e.to {
				fmt.Fprintf(&b, "\t%s -.-> %s\n", from, mermaidID(t))
			}
		}
	}
	for _, j := range g.joins {
		label := strings.Join(j.joinSrc, " + ")
		for _, s := range j.joinSrc {
			fmt.Fprintf(&b, "\t%s ==>|%s| %s\n", mermaidID(s), label, mermaidID(j.to[0]))
		}
	}
	return b.String()
}

// DOT draws the graph in Graphviz DOT: solid edges for static edges, bold
// edges for joins, dashed edges to every declared target of a conditional
// edge, dashed edges labelled "send" for fan-outs, dotted edges labelled
// "goto" for declared Command targets.
func (c *Compiled[S]) DOT() string {
	g := c.src
	var b strings.Builder
	b.WriteString("digraph G {\n")
	fmt.Fprintf(&b, "\t%q [shape=oval label=\"START\"];\n", START)
	for _, n := range g.nodes {
		fmt.Fprintf(&b, "\t%q [shape=box];\n", n.name)
	}
	fmt.Fprintf(&b, "\t%q [shape=oval label=\"END\"];\n", END)
	for _, e := range g.edges {
		switch e.kind {
		case edgeStatic:
			fmt.Fprintf(&b, "\t%q -> %q;\n", e.from, e.to[0])
		case edgeSend:
			for _, t := range e.to {
				fmt.Fprintf(&b, "\t%q -> %q [style=dashed label=\"send\"];\n", e.from, t)
			}
		case edgeGoto:
			for _, t := range e.to {
				fmt.Fprintf(&b, "\t%q -> %q [style=dotted label=\"goto\"];\n", e.from, t)
			}
		default:
			for _, t := range e.to {
				fmt.Fprintf(&b, "\t%q -> %q [style=dashed];\n", e.from, t)
			}
		}
	}
	for _, j := range g.joins {
		for _, s := range j.joinSrc {
			fmt.Fprintf(&b, "\t%q -> %q [style=bold label=%q];\n", s, j.to[0], "join: "+strings.Join(j.joinSrc, " + "))
		}
	}
	b.WriteString("}\n")
	return b.String()
}
