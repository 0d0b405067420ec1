package memory

// annGraph is a bank's approximate nearest-neighbour graph over its
// normalised vectors, keyed by slot (see EmbeddedOptions.HNSWThreshold).
type annGraph interface {
	// add inserts the vector of slot; the graph keeps vec.
	add(slot int32, vec []float32)
	// search returns the slots of up to k vectors nearest to q, in no
	// particular order (callers rescore them exactly).
	search(q []float32, k int) []int32
}
