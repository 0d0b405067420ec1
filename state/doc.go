// Package state holds what a graph run knows about its state type: the merge
// plan for parallel writes (per-field reducers worked out once from the struct),
// the encoding of a node's writes, and the durable side of a run — checkpoint
// types, the Checkpointer interface and its in-memory store. The SQLite store
// lives in state/sqlite so programs that do not use it do not link it.
//
// A state is a plain Go struct. Fields may carry a reducer tag:
//
//	type State struct {
//		Messages []string          `reduce:"append"` // parallel appends are concatenated
//		Scores   map[string]int    `reduce:"merge"`  // parallel map writes are merged key by key
//		Counter  int               `reduce:"sum"`    // parallel increments are added up
//		Answer   string                              // at most one writer per step
//	}
//
// A reducer only matters when several nodes of one step write the same field;
// a field written by one node takes that node's value.
package state
