//go:build windows

package memory

// hnswAvailable reports whether this build has the HNSW index: not on
// windows, where github.com/coder/hnsw does not build (it needs a package
// without windows support). OpenEmbedded refuses a HNSWThreshold there, so
// no bank ever builds a graph.
const hnswAvailable = false

// newANNGraph is never called on windows (see hnswAvailable).
func newANNGraph(slots []int32, vecs [][]float32) annGraph {
	panic("memory: the HNSW index does not build on windows")
}
