//go:build !windows

package memory

import (
	"math/rand"

	"github.com/coder/hnsw"
)

// hnswAvailable reports whether this build has the HNSW index.
const hnswAvailable = true

// hnswGraph is annGraph on github.com/coder/hnsw.
type hnswGraph struct{ g *hnsw.Graph[int32] }

// newANNGraph builds the graph of vecs, keyed by slots, with fixed
// parameters and seed (the same bank gives the same graph).
func newANNGraph(slots []int32, vecs [][]float32) annGraph {
	g := hnsw.NewGraph[int32]()
	g.Rng = rand.New(rand.NewSource(1))
	g.M = 32
	g.EfSearch = 400
	nodes := make([]hnsw.Node[int32], len(slots))
	for i := range slots {
		nodes[i] = hnsw.MakeNode(slots[i], vecs[i])
	}
	g.Add(nodes...)
	return &hnswGraph{g: g}
}

func (h *hnswGraph) add(slot int32, vec []float32) { h.g.Add(hnsw.MakeNode(slot, vec)) }

func (h *hnswGraph) search(q []float32, k int) []int32 {
	nodes := h.g.Search(q, k)
	out := make([]int32, len(nodes))
	for i := range nodes {
		out[i] = nodes[i].Key
	}
	return out
}
