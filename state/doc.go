// Package state holds what a graph run knows about its state type: the merge
// plan for parallel writes (per-field reducers worked out once from the struct),
// the encoding of a node's writes, and the durable side of a run — checkpoint
// types, the Checkpointer interface and its in-memory store. The SQLite and
// PostgreSQL stores live in state/sqlite and state/postgres so programs that
// do not use them do not link them; state/statetest is the contract every
// store passes.
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
//
// A checkpoint holds what encoding/json writes for the state. A field it
// leaves out (tagged json:"-", or unexported) may hold what cannot be
// saved, such as a func or a client: a run carries it from node to node,
// and neither a snapshot nor a node's saved writes hold it, so a state read
// back from a store has its zero value there.
//
// # Text in checkpoints
//
// Checkpoints hold states as JSON, and JSON carries text as UTF-8 only. A
// string that is not valid UTF-8 would come back changed (encoding/json
// writes each bad byte as U+FFFD), so the encoders refuse it instead: a run
// that writes one fails with an error matching ErrInvalidUTF8 that names the
// field ("Chat.Messages[3].Content has byte 0xff at offset 5 of 9"), and
// nothing of that step is saved. Refusing was chosen over an escape scheme
// for such strings because the state is a typed Go struct the program
// controls: binary data belongs in a []byte field (saved exactly, as
// base64), and text from outside can be made valid with
// strings.ToValidUTF8 where it enters the state, a choice the program makes
// and sees. The stores apply the same rule to the strings they encode
// themselves (task lists, interrupts, side-effect results; see EncodeValue).
package state
