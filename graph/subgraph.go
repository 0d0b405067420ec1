package graph

import (
	"context"
	"errors"
)

var errNilSubgraph = errors.New("graph: Subgraph needs a compiled inner graph and both mapping functions")

// AsNode returns the compiled graph as a node of another graph over the
// same state type: the node runs this graph from the outer state to its end
// and returns its final state. Custom events and tokens of the inner nodes
// reach the outer stream, named "outer/inner". In a checkpointed outer
// graph, an Interrupt inside the subgraph pauses the outer task (the pending
// interrupt is named "outer/inner"); on resume the subgraph runs again from
// its start and the answered Interrupt calls return their answers, and
// Once calls of the inner nodes return the results saved with the outer
// task. Parallel interrupts inside one subgraph are raised one at a time.
func (c *Compiled[S]) AsNode(opts ...RunOption) NodeFunc[S] {
	return func(ctx context.Context, s S) (S, error) {
		out, err := c.Invoke(ctx, s, opts...)
		if err != nil {
			st, ok, perr := takeParentCommand[S, S](ctx, err)
			if ok {
				return st, nil
			}
			return out, perr
		}
		return out, nil
	}
}

// Subgraph returns inner as a node of a graph over another state type P:
// in maps the outer state to the inner graph's input, out folds the inner
// final state back into the outer state.
func Subgraph[P, C any](inner *Compiled[C], in func(P) C, out func(P, C) P, opts ...RunOption) NodeFunc[P] {
	return func(ctx context.Context, p P) (P, error) {
		if inner == nil || in == nil || out == nil {
			return p, errNilSubgraph
		}
		res, err := inner.Invoke(ctx, in(p), opts...)
		if err != nil {
			st, ok, perr := takeParentCommand[P, C](ctx, err)
			if !ok {
				return p, perr
			}
			res = st
		}
		return out(p, res), nil
	}
}
